"""The rules of abandoned checkouts: capture, when a checkout counts as abandoned, recovered
or lost, the reminders (SMS, optional one-time coupon), the reasons shoppers give.

A checkout is one capture key (the plugin's per-session key): repeated captures update its
row. It becomes "abandoned" `abandon_after_minutes` after the last capture with no order from
its phone, and "recovered" when that phone orders later. Any WooCommerce status except a
block-checkout draft, failed, cancelled (and trash) is an order: cash on delivery sits in
"processing" and many shops leave orders "on-hold" for a phone call — they are orders, not
carts to chase.

Reminders are idempotent: reminder n of checkout c is the SMS with idempotency key
"abandoned-<c>-<n>" and its text is a function of the stored row (the coupon code is
derived from the checkout, so a retried coupon creation finds its own coupon), so a job that
dies mid-way and runs again never sends or charges twice.
"""
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from backend.abandoned.models import AbandonedCheckout, AbandonedCheckoutAction, AbandonedOptOut, AbandonedSettings
from backend.checkout import service as checkout
from backend.dbutil import in_list, row_for_site
from backend.districts import WC_STATES
from backend.errors import ApiError, NotFound
from backend.commits import before_remote_call
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce, WooCommerceError, format_wc_time
from backend.licensing.models import Site
from backend.money import to_poisha
from backend.orders.models import Order
from backend.phones import InvalidPhone, normalise_phone
from backend.security import keyed_hash
from backend.sms import service as sms
from backend.sms.models import SmsMessage
from backend.timeutil import utcnow


def N_(message: str) -> str:
    """Marks a note stored in English for the catalog; the page translates it when it shows it."""
    return message


STATUSES = ("open", "abandoned", "reminded", "recovered", "lost", "ordered")
ACTIVE = ("open", "abandoned", "reminded")  # an order from the phone closes these
CHASED = ("abandoned", "reminded")  # reminders go to these
# WooCommerce statuses that are not orders (yet, or any more)
NOT_ORDERS = ("checkout-draft", "failed", "cancelled", "trash", "deleted")
REASONS = ("too_expensive", "delivery_charge", "just_looking", "other")
# an order's clock (the shop's server) and ours may differ a little
CLOCK_SLACK = timedelta(minutes=2)

MAX_ITEMS = 50
CAPTURE_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")

# name -> (low, high): what a shop may set
LIMITS = {
    "abandon_after_minutes": (15, 1440),
    "reminder1_minutes": (10, 2880),
    "reminder2_minutes": (60, 10080),
    "coupon_percent": (1, 90),
    "coupon_days": (1, 60),
    "lost_after_days": (1, 60),
}
TEXT_FIELDS = ("text1", "text2")
PLACEHOLDERS = {"name", "shop", "link", "coupon", "percent"}
DEFAULT_TEXTS = {
    "en": ("{name}, your cart at {shop} is waiting. Order here: {link}",
           "{name}, your {shop} cart is still saved. Use code {coupon} for {percent}% off: {link}"),
    "bn": ("{name}, {shop}-এ আপনার কার্ট অপেক্ষা করছে। অর্ডার করুন: {link}",
           "{name}, {shop}-এ আপনার কার্ট এখনো আছে। {coupon} কোডে {percent}% ছাড়: {link}"),
}
DEFAULT_TEXTS_NO_COUPON = {
    "en": "{name}, your {shop} cart is still saved. Order before it is gone: {link}",
    "bn": "{name}, {shop}-এ আপনার কার্ট এখনো আছে। শেষ হওয়ার আগে অর্ডার করুন: {link}",
}


def _invalid(field_name: str, message: str) -> ApiError:
    return sms.validation_error(field_name, message)


# --- settings ---------------------------------------------------------------------------------

def settings_for(site: Site) -> AbandonedSettings:
    return row_for_site(AbandonedSettings, site.id)


def capture_enabled(site: Site) -> bool:
    settings = db.session.get(AbandonedSettings, site.id)
    return bool(settings and settings.capture_enabled)


def shop_name(site: Site) -> str:
    return checkout.shop_name(site, checkout.settings_for(site))


def text_template(settings: AbandonedSettings, number: int) -> str:
    custom = settings.text1 if number == 1 else settings.text2
    if custom:
        return custom
    if number == 2 and not settings.coupon_enabled:
        return DEFAULT_TEXTS_NO_COUPON[settings.sms_language]
    if number == 1 and settings.coupon_enabled:
        return DEFAULT_TEXTS[settings.sms_language][1]
    return DEFAULT_TEXTS[settings.sms_language][number - 1]


def reason_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/r/{token}"


def render_text(site: Site, settings: AbandonedSettings, template: str, *, name: str | None, token: str,
                coupon: str | None) -> str:
    values = {"name": (name or "").split(" ")[0][:20] or ("Hello" if settings.sms_language == "en" else "প্রিয় গ্রাহক"),
              "shop": shop_name(site), "link": reason_link(token), "coupon": coupon or "",
              "percent": str(settings.coupon_percent)}
    text = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def check_template(site: Site, settings: AbandonedSettings, template: str, coupon_enabled: bool) -> str:
    def coupon_rule(text):
        if "{coupon}" in text and not coupon_enabled:
            raise ValueError("{coupon} needs the coupon switched on.")

    return sms.check_shop_text(template, placeholders=PLACEHOLDERS, hint="{name}, {shop}, {link}, {coupon} and {percent}",
                               also=coupon_rule, sample=lambda text: render_text(site, settings, text, name="Rahima",
                                                                                  token="x" * 16, coupon="BK-XXXXXXXX"))


def settings_errors(site: Site, values: dict) -> dict:
    """Field -> [messages]; empty when the form may be saved. Texts are cleaned in place."""
    settings = settings_for(site)
    errors = sms.range_errors(values, LIMITS, optional=("reminder2_minutes",))  # None: no second reminder
    if values.get("sms_language", settings.sms_language) not in DEFAULT_TEXTS:
        errors["sms_language"] = ["bn or en."]
    coupon = values.get("coupon_enabled", settings.coupon_enabled)
    for name in TEXT_FIELDS:
        if values.get(name):
            try:
                values[name] = check_template(site, settings, values[name], coupon)
            except ValueError as error:
                errors[name] = [str(error)]
    return errors


def update_settings(site: Site, values: dict, by: str) -> AbandonedSettings:
    """Apply the settings form. Switching reminders on needs an SMS balance (S8)."""
    settings = settings_for(site)
    sms.apply_sms_option_settings(site, settings, values, settings_errors(site, values), switch="reminders_enabled",
                                  text_fields=TEXT_FIELDS, by=by)
    return settings


def reminder_price(site: Site, settings: AbandonedSettings):
    sample = render_text(site, settings, text_template(settings, 1), name="Rahima", token="x" * 16, coupon="BK-XXXXXXXX")
    return sms.quote(site, sample).cost


# --- capture ----------------------------------------------------------------------------------

def _text(value, limit: int) -> str | None:
    value = re.sub(r"\s+", " ", str(value or "")).strip()
    return value[:limit] or None


def _amount(value, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid(field_name, _("A number such as 1250.00.")) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
        raise _invalid(field_name, _("Between %(low)s and %(high)s.", low=0, high=100000000))
    return to_poisha(amount)


def clean_cart(items: list) -> list[dict]:
    if len(items) > MAX_ITEMS:
        raise _invalid("items", f"At most {MAX_ITEMS} cart lines.")
    cart = []
    for item in items:
        cart.append({"product_id": int(item["product_id"]), "name": _text(item["name"], 200) or "",
                     "quantity": int(item["quantity"]), "total": f"{_amount(item['total'], 'items'):f}"})
    return cart


def capture(site: Site, data: dict) -> AbandonedCheckout:
    """Store what the shopper typed so far. One row per capture key; a checkout already closed
    (ordered, recovered, lost) is left as it is."""
    if not capture_enabled(site):
        raise ApiError("Abandoned checkout capture is switched off for this shop.", code="abandoned_capture_off", status=409)
    key = data["capture_key"]
    if not CAPTURE_KEY.fullmatch(key):
        raise _invalid("capture_key", "16 to 64 letters, digits, _ or -: the plugin's capture key.")
    try:
        phone = normalise_phone(data["phone"])
    except InvalidPhone as error:
        raise _invalid("phone", str(error)) from error
    values = {
        "phone": phone, "name": _text(data.get("name"), 200), "email": _text(data.get("email"), 254),
        "address": _text(data.get("address"), 500), "district": _text(data.get("district"), 100),
        "cart": json.dumps(clean_cart(data.get("items") or []), ensure_ascii=False),
        "value": _amount(data.get("total") or 0, "total"), "currency": _text(data.get("currency"), 8) or "BDT",
        "updated_at": utcnow(),
    }
    row = _by_key(site.id, key)
    if row is None:
        _check_new_captures_allowed(site.id, values["updated_at"])
        try:
            with db.session.begin_nested():
                row = AbandonedCheckout(site_id=site.id, capture_key=key, status="open", created_at=values["updated_at"],
                                        reason_token=secrets.token_urlsafe(12), **values)
                db.session.add(row)
                db.session.flush()
            return row
        except IntegrityError:
            row = _by_key(site.id, key)
    if row.status in ACTIVE:
        for name, value in values.items():
            setattr(row, name, value)
        db.session.flush()
    return row


def _check_new_captures_allowed(site_id: int, now: datetime) -> None:
    """The checkout form is public: a script filling it in a loop must not grow a shop's list
    without end. Updates of a known checkout always pass."""
    limit = current_app.config["ABANDONED_CAPTURES_PER_HOUR"]
    started = db.session.execute(
        select(func.count(AbandonedCheckout.id))
        .where(AbandonedCheckout.site_id == site_id, AbandonedCheckout.created_at > now - timedelta(hours=1))
    ).scalar_one()
    if started >= limit:
        raise ApiError(f"This shop records at most {limit} new checkouts an hour. Try again later.",
                       code="rate_limited", status=429, details={"retry_after": 300}, headers={"Retry-After": "300"})


def _by_key(site_id: int, key: str) -> AbandonedCheckout | None:
    return db.session.execute(select(AbandonedCheckout).where(AbandonedCheckout.site_id == site_id,
                                                              AbandonedCheckout.capture_key == key)).scalar_one_or_none()


# --- orders close checkouts -------------------------------------------------------------------

def _close(row: AbandonedCheckout, wc_order_id: int | None, now: datetime) -> None:
    row.status = "ordered" if row.status == "open" else "recovered"
    row.closed_at = now
    row.wc_order_id = wc_order_id


def record_orders(site_id: int, orders: list[tuple[str | None, str, datetime, int]]) -> int:
    """Orders the sync stored, as (phone, status, date_created_gmt, wc_id): any open, abandoned or
    reminded checkout of that phone started before the order is closed by it. Returns how many."""
    placed = {}
    for phone, status, created, wc_id in orders:
        if phone and status not in NOT_ORDERS and (phone not in placed or created < placed[phone][0]):
            placed[phone] = (created, wc_id)
    if not placed:
        return 0
    rows = db.session.execute(
        select(AbandonedCheckout).where(AbandonedCheckout.site_id == site_id, in_list(AbandonedCheckout.phone, placed),
                                        AbandonedCheckout.status.in_(ACTIVE))
    ).scalars().all()
    now, closed = utcnow(), 0
    for row in rows:
        created, wc_id = placed[row.phone]
        if row.created_at <= created + CLOCK_SLACK:
            _close(row, wc_id, now)
            closed += 1
    if closed:
        db.session.flush()
    return closed


def _order_since(site_id: int, phone: str, since: datetime):
    """The first order of this phone placed after `since` (as the orders read model holds it)."""
    return db.session.execute(
        select(Order.wc_id).where(Order.site_id == site_id, Order.phone == phone, Order.status.not_in(NOT_ORDERS),
                                  Order.deleted_at.is_(None), Order.date_created_gmt >= since - CLOCK_SLACK)
        .order_by(Order.date_created_gmt).limit(1)
    ).scalar_one_or_none()


# --- the job ----------------------------------------------------------------------------------

BATCH = 200


def _sites_with(column) -> list[AbandonedSettings]:
    return db.session.execute(select(AbandonedSettings).where(column.is_(True))).scalars().all()


def mark_abandoned(now: datetime | None = None) -> int:
    """Open checkouts idle past their shop's delay: abandoned, unless the phone ordered meanwhile
    (an order the sync stored before the capture's last update, say)."""
    now = now or utcnow()
    count = 0
    for settings in _sites_with(AbandonedSettings.capture_enabled):
        due = db.session.execute(
            select(AbandonedCheckout).where(
                AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.status == "open",
                AbandonedCheckout.updated_at <= now - timedelta(minutes=settings.abandon_after_minutes))
            .order_by(AbandonedCheckout.id).limit(BATCH)
        ).scalars().all()
        for row in due:
            order = _order_since(row.site_id, row.phone, row.created_at)
            if order is not None:
                _close(row, order, now)
            else:
                row.status, row.abandoned_at = "abandoned", now
                count += 1
    return count


def mark_lost(now: datetime | None = None) -> int:
    now = now or utcnow()
    count = 0
    for settings in db.session.execute(select(AbandonedSettings)).scalars().all():
        count += db.session.execute(
            update(AbandonedCheckout).where(
                AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.status.in_(CHASED),
                AbandonedCheckout.abandoned_at <= now - timedelta(days=settings.lost_after_days))
            .values(status="lost", closed_at=now).execution_options(synchronize_session=False)
        ).rowcount
    return count


def coupon_code(site: Site, row: AbandonedCheckout) -> str:
    """The checkout's own code: the same on every try, so a retried creation finds it made."""
    return "BK-" + keyed_hash("abandoned-coupon", f"{site.id}:{row.id}")[:8].upper()


def create_coupon(site: Site, settings: AbandonedSettings, row: AbandonedCheckout, now: datetime) -> str:
    """A one-time percent coupon in the shop's WooCommerce, through its REST API."""
    code = coupon_code(site, row)
    body = {"code": code, "discount_type": "percent", "amount": str(settings.coupon_percent),
            "individual_use": True, "usage_limit": 1, "usage_limit_per_user": 1,
            "date_expires_gmt": format_wc_time(now + timedelta(days=settings.coupon_days)),
            "description": f"Bikri: abandoned checkout #{row.id}"}
    if row.email:
        body["email_restrictions"] = [row.email]
    try:
        WooCommerce.for_site(site, retries=1).request("POST", "coupons", data=body)
    except WooCommerceError as error:
        if error.code != "woocommerce_rest_coupon_code_already_exists":
            raise
    return code


@dataclass
class ReminderRun:
    sent: int = 0
    skipped: int = 0


def _due_reminders(settings: AbandonedSettings, now: datetime):
    # Checkouts cost nothing to start, reminders cost the shop SMS money: a phone gets one
    # reminder series a day, however many checkouts (real or forged) carry it.
    reminded_today = select(AbandonedCheckout.phone).where(
        AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.reminded_at > now - timedelta(days=1))
    due = [and_(AbandonedCheckout.reminders_sent == 0,
                AbandonedCheckout.abandoned_at <= now - timedelta(minutes=settings.reminder1_minutes),
                AbandonedCheckout.phone.not_in(reminded_today))]
    if settings.reminder2_minutes:
        due.append(and_(AbandonedCheckout.reminders_sent == 1,
                        AbandonedCheckout.reminded_at <= now - timedelta(minutes=settings.reminder2_minutes)))
    opted_out = select(AbandonedOptOut.phone).where(AbandonedOptOut.site_id == settings.site_id)
    return db.session.execute(
        select(AbandonedCheckout).where(
            AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.status.in_(CHASED),
            AbandonedCheckout.opted_out.is_(False), AbandonedCheckout.phone.not_in(opted_out), or_(*due))
        .order_by(AbandonedCheckout.id).limit(BATCH)
    ).scalars().all()


def send_reminders(now: datetime | None = None) -> ReminderRun:
    now = now or utcnow()
    run = ReminderRun()
    for settings in _sites_with(AbandonedSettings.reminders_enabled):
        site = db.session.get(Site, settings.site_id)
        if site is None or not site.is_active:
            continue  # a site that left Bikri gets no SMS on its money
        allowance = current_app.config["ABANDONED_REMINDERS_PER_DAY"] - reminders_sent_today(site.id, now)
        first_reminded = set()  # phones started on a series in this run (the query saw none yet)
        for row in _due_reminders(settings, now):
            if row.reminders_sent == 0 and row.phone in first_reminded:
                continue
            first_reminded.add(row.phone)
            if allowance <= 0:
                row.reminder_note = N_("Not sent yet: the shop's reminders for today are used up.")
                run.skipped += 1
                continue
            allowance -= 1
            if _remind(site, settings, row, now):
                run.sent += 1
            else:
                run.skipped += 1
    return run


def reminders_sent_today(site_id: int, now: datetime) -> int:
    """Reminder SMS the shop paid for in the last 24 hours (refunded ones do not count)."""
    return db.session.execute(
        select(func.count(SmsMessage.id)).where(
            SmsMessage.site_id == site_id, SmsMessage.purpose == "abandoned_cart",
            SmsMessage.created_at > now - timedelta(days=1), SmsMessage.status != "failed")
    ).scalar_one()


def _remind(site: Site, settings: AbandonedSettings, row: AbandonedCheckout, now: datetime) -> bool:
    """Send reminder n of this checkout once; False (with the reason noted on the row) when it could not go."""
    number = row.reminders_sent + 1
    # Nothing earlier in the run (marks, notes, the last reminder) waits open on WooCommerce or the
    # SMS gateway, nor is lost to the rollbacks below.
    before_remote_call()
    if settings.coupon_enabled and row.coupon_code is None:
        try:
            row.coupon_code = create_coupon(site, settings, row, now)
        except WooCommerceError as error:
            row.reminder_note = f"The coupon could not be made: {error.message}"[:300]
            return False
        before_remote_call()  # and the coupon survives a refused send's rollback: never made twice
    template = text_template(settings, number)
    if "{coupon}" in template and not row.coupon_code:
        template = DEFAULT_TEXTS_NO_COUPON[settings.sms_language]
    content = render_text(site, settings, template, name=row.name, token=row.reason_token, coupon=row.coupon_code)
    try:
        message = sms.send_sms(site, phone=row.phone, content=content, purpose="abandoned_cart",
                               idempotency_key=f"abandoned-{row.id}-{number}")
    except sms.InsufficientBalance:
        # S8: the job goes on; the list says why this shopper got nothing (send_sms rolled back)
        row = db.session.get(AbandonedCheckout, row.id)
        row.reminder_note = N_("Not sent: no SMS balance.")
        return False
    except ApiError as error:  # rate limited, or a text the wallet refused
        db.session.rollback()
        row = db.session.get(AbandonedCheckout, row.id)
        row.reminder_note = f"Not sent: {error.message}"[:300]
        return False
    row = db.session.get(AbandonedCheckout, row.id)
    row.reminders_sent, row.reminded_at = number, now
    if message.status == "failed":
        # the key is spent on a refunded message; this reminder is not tried again
        row.reminder_note = f"Reminder {number} failed: {message.error or 'not sent'}"[:300]
        return False
    if row.status in CHASED:
        row.status = "reminded"
    row.reminder_note = None
    return True


def run_job() -> dict:
    """The job: mark abandoned, send due reminders, mark lost."""
    abandoned = mark_abandoned()
    reminders = send_reminders()
    lost = mark_lost()
    return {"abandoned": abandoned, "sent": reminders.sent, "skipped": reminders.skipped, "lost": lost}


# --- the shopper's page: reasons and opt-out ----------------------------------------------------

def by_token(token: str) -> AbandonedCheckout | None:
    if not token or len(token) > 32:
        return None
    return db.session.execute(select(AbandonedCheckout).where(AbandonedCheckout.reason_token == token)).scalar_one_or_none()


def record_reason(row: AbandonedCheckout, reason: str, text: str | None) -> None:
    if reason not in REASONS:
        raise _invalid("reason", f"One of: {', '.join(REASONS)}.")
    row.reason = reason
    row.reason_text = _text(text, 300) if reason == "other" else None
    row.reason_at = utcnow()
    db.session.flush()


def opt_out(row: AbandonedCheckout) -> None:
    """"Stop messages": this checkout and every later one of this phone get no reminder."""
    row.opted_out = True
    try:
        with db.session.begin_nested():
            db.session.add(AbandonedOptOut(site_id=row.site_id, phone=row.phone))
    except IntegrityError:
        pass  # said so before
    db.session.flush()


# --- the list and the chart ---------------------------------------------------------------------

LISTED = ("abandoned", "reminded", "recovered", "lost")  # what the list shows unless asked


def list_query(site_id: int, *, status: str | None = None, start: datetime | None = None, end: datetime | None = None,
               phone: str | None = None):
    conditions = [AbandonedCheckout.site_id == site_id]
    conditions.append(AbandonedCheckout.status == status if status else AbandonedCheckout.status.in_(LISTED))
    if start is not None:
        conditions.append(AbandonedCheckout.created_at >= start)
    if end is not None:
        conditions.append(AbandonedCheckout.created_at < end)
    if phone:
        digits = re.sub(r"\D", "", phone.translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789"))).removeprefix("88")
        if digits:
            conditions.append(AbandonedCheckout.phone.contains(digits.lstrip("0") or digits, autoescape=True))
    return select(AbandonedCheckout).where(*conditions).order_by(AbandonedCheckout.created_at.desc(), AbandonedCheckout.id.desc())


def cart_of(row: AbandonedCheckout) -> list[dict]:
    try:
        return json.loads(row.cart or "[]")
    except ValueError:
        return []


def summary(site_id: int, start: datetime | None = None, end: datetime | None = None) -> dict:
    """Counts and values per status, and the reasons given, for the page's figures and chart."""
    conditions = [AbandonedCheckout.site_id == site_id, AbandonedCheckout.status.in_(LISTED)]
    if start is not None:
        conditions.append(AbandonedCheckout.created_at >= start)
    if end is not None:
        conditions.append(AbandonedCheckout.created_at < end)
    by_status = {status: {"count": count, "value": value or Decimal("0")} for status, count, value in db.session.execute(
        select(AbandonedCheckout.status, func.count(AbandonedCheckout.id), func.sum(AbandonedCheckout.value))
        .where(*conditions).group_by(AbandonedCheckout.status))}
    reasons = dict(db.session.execute(
        select(AbandonedCheckout.reason, func.count(AbandonedCheckout.id))
        .where(*conditions, AbandonedCheckout.reason.is_not(None)).group_by(AbandonedCheckout.reason)).all())
    others = db.session.execute(
        select(AbandonedCheckout.reason_text).where(*conditions, AbandonedCheckout.reason == "other",
                                                    AbandonedCheckout.reason_text.is_not(None))
        .order_by(AbandonedCheckout.reason_at.desc()).limit(10)).scalars().all()
    return {"by_status": by_status, "reasons": {reason: reasons.get(reason, 0) for reason in REASONS}, "other_texts": others}


def reminders_alert(site: Site) -> dict | None:
    """S8: reminders are on but the wallet cannot pay for one."""
    settings = db.session.get(AbandonedSettings, site.id)
    if settings is None or not settings.reminders_enabled:
        return None
    if sms.balance_of(site.id) >= reminder_price(site, settings):
        return None
    return {"balance": sms.balance_of(site.id)}


def plugin_config(site: Site) -> dict:
    """What the plugin's checkout copy holds for capture."""
    return {"capture": capture_enabled(site)}



# --- the desk's Incomplete tab: checkouts as work -----------------------------------------------

INCOMPLETE = CHASED  # what the Incomplete tab lists: abandoned, reminded (open ones may still order)
DESK_ACTIONS = ("called", "sms", "ordered", "lost")


def incomplete_count(site_id: int) -> int:
    return db.session.execute(
        select(func.count(AbandonedCheckout.id))
        .where(AbandonedCheckout.site_id == site_id, AbandonedCheckout.status.in_(INCOMPLETE))).scalar_one()


def incomplete_query(site_id: int):
    return (select(AbandonedCheckout)
            .where(AbandonedCheckout.site_id == site_id, AbandonedCheckout.status.in_(INCOMPLETE))
            .order_by(AbandonedCheckout.created_at.desc(), AbandonedCheckout.id.desc()))


def checkout_of(site_id: int, checkout_id) -> AbandonedCheckout:
    try:
        checkout_id = int(checkout_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such checkout.")) from None
    row = db.session.execute(select(AbandonedCheckout).where(
        AbandonedCheckout.site_id == site_id, AbandonedCheckout.id == checkout_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such checkout."))
    return row


def record_action(row: AbandonedCheckout, action: str, by: str, detail: str | None = None) -> AbandonedCheckoutAction:
    entry = AbandonedCheckoutAction(site_id=row.site_id, checkout_id=row.id, action=action, by=by[:120],
                                    at=utcnow(), detail=(detail or None) and detail[:300])
    db.session.add(entry)
    db.session.flush()
    return entry


def actions_of(site_id: int, checkout_ids: list[int]) -> dict[int, list[AbandonedCheckoutAction]]:
    if not checkout_ids:
        return {}
    found: dict[int, list] = {}
    for entry in db.session.execute(select(AbandonedCheckoutAction).where(
            AbandonedCheckoutAction.site_id == site_id, AbandonedCheckoutAction.checkout_id.in_(checkout_ids))
            .order_by(AbandonedCheckoutAction.at, AbandonedCheckoutAction.id)).scalars():
        found.setdefault(entry.checkout_id, []).append(entry)
    return found


def desk_texts(site: Site, row: AbandonedCheckout) -> dict[int, str]:
    """The SMS a person may send from the desk: the shop's two reminder texts, filled in for
    this shopper. A text that needs a coupon this checkout has not got falls back to the
    coupon-free text (a coupon is made only by the reminder job)."""
    settings = settings_for(site)
    texts = {}
    for number in (1, 2):
        template = text_template(settings, number)
        if "{coupon}" in template and not row.coupon_code:
            template = DEFAULT_TEXTS_NO_COUPON[settings.sms_language]
        texts[number] = render_text(site, settings, template, name=row.name, token=row.reason_token, coupon=row.coupon_code)
    return texts


def send_desk_sms(site: Site, row: AbandonedCheckout, number, key: str, by: str):
    """Send template `number` to the shopper through the wallet (priced, balance-checked,
    refunded if the gateway fails). `key` comes from the form, so a double click is one SMS
    and one debit. Recorded on the checkout once it went; nothing is written before the send."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 0
    if number not in (1, 2):
        raise _invalid("template", _("Choose a message."))
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,40}", key or ""):
        raise _invalid("key", _("Open the page again and send from there."))
    checkout_id, phone = row.id, row.phone
    content = desk_texts(site, row)[number]
    message = sms.send_sms(site, phone=phone, content=content, purpose="manual",
                           idempotency_key=f"abandoned-{checkout_id}-desk-{key}")
    row = db.session.get(AbandonedCheckout, checkout_id)
    already = db.session.execute(select(AbandonedCheckoutAction.id).where(
        AbandonedCheckoutAction.site_id == site.id, AbandonedCheckoutAction.checkout_id == checkout_id,
        AbandonedCheckoutAction.action == "sms", AbandonedCheckoutAction.detail == f"{number}:{message.id}")).first()
    if already is None:  # a repeated click answers with the message sent the first time
        record_action(row, "sms", by, f"{number}:{message.id}")
    return message


def mark_lost_by(row: AbandonedCheckout, by: str) -> None:
    if row.status not in ACTIVE:
        raise ApiError(_("This checkout is closed already."), code="checkout_closed", status=409)
    row.status, row.closed_at = "lost", utcnow()
    record_action(row, "lost", by)


def record_called(row: AbandonedCheckout, by: str) -> None:
    record_action(row, "called", by, row.phone)


def order_form(row: AbandonedCheckout):
    """The New-order dialog filled in from the checkout: name, phone, address, district, items."""
    district = row.district or ""
    if district not in WC_STATES:
        by_name = {name.lower(): code for code, name in WC_STATES.items()}
        district = by_name.get(district.strip().lower(), "")
    form = MultiDict([("name", row.name or ""), ("phone", row.phone.removeprefix("+88")), ("address", row.address or ""),
                      ("district", district), ("checkout", str(row.id))])
    for line in cart_of(row):
        form.add("product", str(line.get("product_id", "")))
        form.add("quantity", str(line.get("quantity", 1)))
    return form


def record_converted(site_id: int, checkout_id, wc_order_id: int, number: str, by: str) -> None:
    """The desk made an order from this checkout (through the manual-order path): it is recovered."""
    try:
        row = checkout_of(site_id, checkout_id)
    except ApiError:
        return  # the order exists; a stale or foreign checkout id only goes unrecorded
    if row.status in ACTIVE or row.status == "recovered":
        row.status = "recovered"
        row.closed_at = row.closed_at or utcnow()
        row.wc_order_id = wc_order_id
    record_action(row, "ordered", by, str(number))
