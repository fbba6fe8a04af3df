"""The operators' side of SMS (P9): prices per plan, limits, the gateway, Nagad for recharges,
every wallet, manual recharges to approve, revenue against gateway cost by month, and recharges
by how they were paid over a period."""
from decimal import Decimal, InvalidOperation

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from backend.api import dhaka_day_range_from_query
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.payments import NagadGateway
from backend.integrations.payments.nagad import load_private_key, public_key_pem
from backend.integrations.sms import SMS_GATEWAYS
from backend.licensing.models import License, Site
from backend.money import taka, whole_poisha
from backend.operator.routes import confirmation, console_blueprint, operator_required
from backend.security import mask_secret
from backend.sms import service
from backend.sms.models import Recharge, SmsMessage, SmsRate, Wallet
from backend.clock import dhaka_date_sql
from backend.formatting import money

blp = console_blueprint("operator_sms", __name__, "/operator/sms", template_folder="templates")


# Human labels for the console's fields (form errors name them too). A gateway's settings are
# named by its adapter (`fields`); a setting without a label here shows its own name.
FIELD_LABELS = {
    "gsm_rate": _l("English price"), "unicode_rate": _l("Bangla price"),
    "gsm_cost": _l("Gateway cost, English"), "unicode_cost": _l("Gateway cost, Bangla"),
    "min_recharge": _l("Smallest recharge (৳)"), "max_recharge": _l("Largest recharge (৳)"),
    "amount": _l("Amount"), "base_url": _l("Gateway API address"), "sid": _l("Sender ID (SID)"),
    "api_token": _l("API token"), "api_key": _l("API key"), "sender_id": _l("Sender ID"),
    "merchant_id": _l("Merchant ID"), "merchant_number": _l("Merchant account number"),
    "nagad_public_key": _l("Nagad's public key"), "merchant_private_key": _l("Merchant private key"),
    "server_ip": _l("This server's IP address (whitelisted by Nagad)"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def _month_sql(column):
    return func.substr(func.cast(dhaka_date_sql(column), db.String), 1, 7)


@blp.get("/")
@operator_required
def overview():
    config = service.sms_settings()
    gateway_key, gateway_settings = service.gateway_settings()
    gateway_class = SMS_GATEWAYS.get(gateway_key)
    shown_settings = {
        name: (mask_secret(gateway_settings.get(name)) if secret else gateway_settings.get(name, ""))
        for name, secret in (gateway_class.fields if gateway_class else ())
    }
    wallets = db.session.execute(
        select(Site, License, func.coalesce(Wallet.balance, 0))
        .join(License, Site.license_id == License.id).outerjoin(Wallet, Wallet.site_id == Site.id)
        .order_by(Site.id)
    ).all()
    month = _month_sql(SmsMessage.created_at).label("month")
    revenue = db.session.execute(
        select(month, SmsMessage.site_id, func.count(SmsMessage.id), func.sum(SmsMessage.cost), func.sum(SmsMessage.gateway_cost))
        .where(SmsMessage.status == "sent").group_by(month, SmsMessage.site_id).order_by(month.desc(), SmsMessage.site_id)
    ).all()
    totals = {}
    for row_month, _site, count, cost, gateway_cost in revenue:
        total = totals.setdefault(row_month, [0, Decimal(0), Decimal(0)])
        total[0] += count
        total[1] += cost or 0
        total[2] += gateway_cost or 0
    pending = db.session.execute(
        select(Recharge, Site).join(Site, Recharge.site_id == Site.id)
        .where(Recharge.method == "manual", Recharge.status == "pending").order_by(Recharge.id)
    ).all()
    held = db.session.execute(
        select(Recharge, Site).join(Site, Recharge.site_id == Site.id).where(Recharge.status == "held").order_by(Recharge.id)
    ).all()
    sites_by_id = {site.id: site for site, _l, _b in wallets}
    try:
        period = dhaka_day_range_from_query(request.args, max_days=366)
        period_error = None
    except ApiError as error:
        period, period_error = dhaka_day_range_from_query({}), error.message
    by_method = service.revenue_by_method(*period)
    return render_template(
        "operator_sms/overview.html", config=config, rates=db.session.execute(select(SmsRate).order_by(SmsRate.plan)).scalars().all(),
        gateway_key=gateway_key, gateway_fields=[(name, secret) for name, secret in (gateway_class.fields if gateway_class else ())],
        shown_settings=shown_settings, gateways=SMS_GATEWAYS, wallets=wallets, revenue=revenue, totals=totals,
        pending=pending, sites_by_id=sites_by_id, setting_label=field_label, default_plan=service.DEFAULT_PLAN,
        held=held, nagad=_nagad_form(), period=period, period_error=period_error, by_method=by_method,
        by_method_total=(sum(row[1] for row in by_method), sum((row[2] for row in by_method), Decimal("0"))),
    )


def _nagad_form() -> dict:
    """What the Nagad form shows: the settings but the private key (only its last characters), and
    the public half of the merchant key, which the operator uploads to Nagad's merchant portal."""
    enabled, settings = service.payment_gateway_settings("nagad")
    try:
        merchant_public_key = public_key_pem(load_private_key(settings["merchant_private_key"]))
    except (KeyError, ValueError):
        merchant_public_key = None
    # a PEM key ends in its frame: the hint is the end of its base64 body
    shown = {name: (mask_secret("".join(line for line in (settings.get(name) or "").splitlines()
                                        if not line.startswith("-----"))) if secret else settings.get(name, ""))
             for name, secret in NagadGateway.fields}
    return {"enabled": enabled, "fields": NagadGateway.fields, "shown": shown, "merchant_public_key": merchant_public_key}


@blp.post("/payments/nagad")
@operator_required
def save_nagad():
    """Nagad for shops' recharges: switched on only with settings the adapter accepts (nothing
    asks Nagad here); a private key left blank keeps the stored one, which is never shown back."""
    _enabled, current = service.payment_gateway_settings("nagad")
    settings = {}
    for name, secret in NagadGateway.fields:
        value = request.form.get(name, "").strip()
        settings[name] = value or (current.get(name, "") if secret else "")
    try:
        service.configure_payment_gateway("nagad", settings, enabled=request.form.get("enabled") == "on",
                                          by=g.operator.email)
    except ValueError as error:
        return _back(str(error), "error")
    return _back(_("Nagad settings saved."))


def _back(message, category="success"):
    flash(message, category)
    return redirect(url_for("operator_sms.overview"))


def _decimal(name):
    try:
        value = taka(request.form.get(name, "").strip())
    except InvalidOperation:
        raise ValueError(_("%(field)s must be an amount in taka, like 0.35.", field=field_label(name)))
    # bounded before anyone quantizes it: 1e30 would raise InvalidOperation there (a 500)
    if not value.is_finite() or value < 0 or value > service.MAX_RECHARGE:
        raise ValueError(_("%(field)s must be an amount in taka, like 0.35.", field=field_label(name)))
    return value


@blp.post("/rates")
@operator_required
def save_rate():
    plan = request.form.get("plan", "").strip()[:40]
    if not plan:
        return _back(_("Name the plan (or * for every plan without its own prices)."), "error")
    names = ("gsm_rate", "unicode_rate", "gsm_cost", "unicode_cost")
    try:
        prices = {name: _decimal(name) for name in names}
    except ValueError as error:
        return _back(str(error), "error")
    # every SMS of every shop on the plan is charged at these prices from now on
    asked = confirmation(
        _("Change the SMS prices of plan %(plan)s?", plan=_plan_name(plan)), _("Save prices"),
        [(field_label(name), f"৳ {prices[name]:f}") for name in names]
        + [(_("What happens"), _("Every SMS sent from now on by shops on this plan costs these prices."))],
        url_for("operator_sms.overview"))
    if asked is not None:
        return asked
    try:
        service.set_rate(plan, **prices)
    except ValueError as error:
        db.session.rollback()
        return _back(str(error), "error")
    return _back(_("Prices for plan %(plan)s saved.", plan=plan))


def _plan_name(plan: str) -> str:
    return _("all other plans") if plan == service.DEFAULT_PLAN else plan


@blp.post("/settings")
@operator_required
def save_settings():
    config = service.sms_settings()
    try:
        low, high = _decimal("min_recharge"), _decimal("max_recharge")
    except ValueError as error:
        return _back(str(error), "error")
    try:
        per_minute, otp = int(request.form.get("sends_per_minute", "")), int(request.form.get("otp_per_phone_per_hour", ""))
    except ValueError:
        return _back(_("Limits must be whole numbers."), "error")
    if not (0 < low <= high) or per_minute < 1 or otp < 1:
        return _back(_("The minimum recharge must be above zero and not above the maximum; limits at least 1."), "error")
    config.min_recharge, config.max_recharge, config.sends_per_minute, config.otp_per_phone_per_hour = low, high, per_minute, otp
    return _back(_("SMS settings saved."))


@blp.post("/gateway")
@operator_required
def save_gateway():
    key = request.form.get("gateway_key", "")
    if key not in SMS_GATEWAYS:
        return _back(_("Choose a gateway."), "error")
    current_key, current = service.gateway_settings()
    settings = {}
    for name, secret in SMS_GATEWAYS[key].fields:
        value = request.form.get(name, "").strip()
        # a secret left blank keeps the stored one: it is never shown back to be re-typed
        settings[name] = value or (current.get(name, "") if secret and current_key == key else "")
    try:
        service.configure_gateway(key, settings)
    except ValueError as error:
        return _back(str(error), "error")
    return _back(_("Gateway saved."))


@blp.post("/credit")
@operator_required
def credit_wallet():
    site = db.get_or_404(Site, request.form.get("site_id", type=int) or 0)
    try:
        amount = _decimal("amount")
        if amount <= 0 or not whole_poisha(amount):
            raise ValueError(_("Credit a positive amount with at most two decimals."))
    except ValueError as error:
        return _back(str(error), "error")
    note = request.form.get("note", "").strip()[:255] or None
    asked = confirmation(_("Credit %(amount)s to %(site)s?", amount=money(amount), site=site.url), _("Credit"),
                         [(_("Site"), site.url), (_("Amount"), f"৳ {amount:f}"), (_("Note"), note or "—"),
                          (_("Balance now"), f"৳ {service.balance_of(site.id):f}")],
                         url_for("operator_sms.overview"))
    if asked is not None:
        return asked
    service.operator_credit(site, amount, operator=g.operator.email, note=note)
    return _back(_("%(amount)s credited to %(site)s.", amount=money(amount), site=site.url))


@blp.post("/recharges/<int:recharge_id>/<action>")
@operator_required
def decide_recharge(recharge_id, action):
    recharge = db.get_or_404(Recharge, recharge_id)
    if action not in ("approve", "reject"):
        abort(404)
    if recharge.method != "manual" or recharge.status != "pending":
        return _back(_("Recharge #%(id)s was decided already (%(status)s); nothing changed.", id=recharge.id,
                       status=recharge_status_label(recharge.status)), "error")
    site = db.session.get(Site, recharge.site_id)
    try:
        if action == "approve":
            asked = confirmation(
                _("Credit %(amount)s to %(site)s?", amount=money(recharge.amount), site=site.url),
                _("Approve and credit"),
                [(_("Site"), site.url), (_("Amount"), money(recharge.amount)),
                 (_("Reference"), recharge.transaction_id or "—"),
                 (_("What happens"), _("Only approve once the payment has reached Bikri's account."))],
                url_for("operator_sms.overview"))
            if asked is not None:
                return asked
            service.approve_manual_recharge(recharge, g.operator.email)
            message = _("Recharge #%(id)s approved: %(amount)s credited to %(site)s.", id=recharge.id,
                        amount=money(recharge.amount), site=site.url)
        else:
            reason = " ".join(request.form.get("reason", "").split())
            if not reason:
                return _back(_("Say why the request is rejected: the shop sees the reason."), "error")
            service.reject_manual_recharge(recharge, g.operator.email, reason)
            message = _("Recharge #%(id)s rejected; the shop sees the reason.", id=recharge.id)
    except service.AlreadyDecided:
        db.session.rollback()
        return _back(_("Recharge #%(id)s was decided already; nothing changed.", id=recharge_id), "error")
    return _back(message)


@blp.post("/recharges/<int:recharge_id>/close")
@operator_required
def close_held(recharge_id):
    """A held online payment (paid, but not the amount or order asked) checked by an operator."""
    recharge = db.get_or_404(Recharge, recharge_id)
    reason = " ".join(request.form.get("reason", "").split())
    if not reason:
        return _back(_("Say what was found: the reason stays on the recharge."), "error")
    try:
        service.close_held_recharge(recharge, g.operator.email, reason)
    except service.AlreadyDecided:
        db.session.rollback()
        return _back(_("Recharge #%(id)s was decided already; nothing changed.", id=recharge_id), "error")
    return _back(_("Recharge #%(id)s closed.", id=recharge.id))


def recharge_status_label(status: str) -> str:
    return current_app.jinja_env.globals["recharge_status"](status)
