"""What the plugin reports (the orders placed through the protected checkout) and what it
keeps a copy of (settings and the blacklist, pulled by version)."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.checkout import blacklist
from backend.checkout.models import CheckoutOrder, CheckoutSettings
from backend.checkout.settings import CODE_DIGITS, PROOF_SECONDS, balance_ok, settings_for
from backend.checkout.signals import plugin_config_asked
from backend.extensions import db
from backend.licensing.models import Site
from backend.phones import InvalidPhone, normalise_phone
from backend.security import export_key
from backend.sms import service as sms

# How an order's phone was checked, as the plugin reports it and the report shows it.
ORDER_OTP_STATES = ("verified", "trusted", "skipped_no_balance", "skipped_unavailable", "off")


# --- orders reported by the plugin ---------------------------------------------------------------

def record_order(site: Site, *, wc_order_id: int, phone, otp: str | None, status: str) -> CheckoutOrder:
    """The plugin says an order was placed through the protected checkout (or changed status).
    One row per order; a later report updates it."""
    try:
        normalised = normalise_phone(phone) if phone else None
    except InvalidPhone:
        normalised = None
    order = db.session.execute(select(CheckoutOrder).where(CheckoutOrder.site_id == site.id,
                                                           CheckoutOrder.wc_order_id == wc_order_id)).scalar_one_or_none()
    if order is None:
        try:
            with db.session.begin_nested():
                order = CheckoutOrder(site_id=site.id, wc_order_id=wc_order_id, phone=normalised, otp=otp or "off",
                                      status=status)
                db.session.add(order)
                db.session.flush()
            return order
        except IntegrityError:
            order = db.session.execute(select(CheckoutOrder).where(CheckoutOrder.site_id == site.id,
                                                                   CheckoutOrder.wc_order_id == wc_order_id)).scalar_one()
    order.status = status
    if otp:
        order.otp = otp
    if normalised:
        order.phone = normalised
    db.session.flush()
    return order


# --- what the plugin keeps a copy of ------------------------------------------------------------

def plugin_config(site: Site, since: int | None) -> dict:
    """Settings the plugin needs at checkout; the blacklist only when `since` is not current."""
    settings = settings_for(site)
    config = {
        "version": settings.version,
        "otp": {
            "enabled": settings.otp_enabled,
            "balance_ok": balance_ok(site, settings) if settings.otp_enabled else True,
            "no_balance_since": settings.no_balance_since,
            "code_digits": CODE_DIGITS,
            "cooldown_seconds": settings.cooldown_seconds,
            "code_ttl_seconds": settings.code_ttl_seconds,
            "proof_seconds": PROOF_SECONDS,
        },
        "blacklist": None,
        # Sent on every pull: how a shop active before export keys existed gets its key, and
        # how every shop gets the new one after the service's secret key changed. It also keys
        # the checkout proofs (version 2, see PROOF_CONTEXTS).
        "export_key": export_key(site.token_hash),
    }
    for _receiver, parts in plugin_config_asked.send(site):  # abandoned checkouts' settings
        config.update(parts)
    if since != settings.version:
        config["blacklist"] = {"message": settings.blacklist_message, **blacklist.values_by_kind(site)}
    return config


def otp_alert(site: Site) -> dict | None:
    """The shop must know when codes stopped going out for want of balance (S8)."""
    settings = db.session.get(CheckoutSettings, site.id)
    if settings is None or not settings.otp_enabled:
        return None
    if settings.no_balance_since is None and balance_ok(site, settings):
        return None
    return {"since": settings.no_balance_since, "balance": sms.balance_of(site.id)}
