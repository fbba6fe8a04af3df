"""The desk's Incomplete tab: abandoned and reminded checkouts as work (called, an SMS, an order, lost).
"""
import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from backend.abandoned.models import AbandonedCheckout, AbandonedCheckoutAction
from backend.abandoned.pages import cart_of
from backend.abandoned.settings import (
    ACTIVE, CHASED, DEFAULT_TEXTS_NO_COUPON, invalid, render_text, settings_for, text_template,
)
from backend.districts import WC_STATES
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms import service as sms
from backend.clock import utcnow


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
        raise invalid("template", _("Choose a message."))
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,40}", key or ""):
        raise invalid("key", _("Open the page again and send from there."))
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
