"""Capture (the plugin sends a checkout as the shopper types), and orders closing the checkouts of
their phone.
"""
import json
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.abandoned.models import AbandonedCheckout
from backend.abandoned.settings import (
    ACTIVE, CAPTURE_KEY, CLOCK_SLACK, MAX_ITEMS, NOT_ORDERS, capture_enabled, clean_text, invalid,
)
from backend.database import in_list
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.money import to_poisha
from backend.orders.models import Order
from backend.phones import InvalidPhone, normalise_phone
from backend.clock import utcnow


def _amount(value, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid(field_name, _("A number such as 1250.00.")) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
        raise invalid(field_name, _("Between %(low)s and %(high)s.", low=0, high=100000000))
    return to_poisha(amount)


def clean_cart(items: list) -> list[dict]:
    if len(items) > MAX_ITEMS:
        raise invalid("items", f"At most {MAX_ITEMS} cart lines.")
    cart = []
    for item in items:
        cart.append({"product_id": int(item["product_id"]), "name": clean_text(item["name"], 200) or "",
                     "quantity": int(item["quantity"]), "total": f"{_amount(item['total'], 'items'):f}"})
    return cart


def capture(site: Site, data: dict) -> AbandonedCheckout:
    """Store what the shopper typed so far. One row per capture key; a checkout already closed
    (ordered, recovered, lost) is left as it is."""
    if not capture_enabled(site):
        raise ApiError("Abandoned checkout capture is switched off for this shop.", code="abandoned_capture_off", status=409)
    key = data["capture_key"]
    if not CAPTURE_KEY.fullmatch(key):
        raise invalid("capture_key", "16 to 64 letters, digits, _ or -: the plugin's capture key.")
    try:
        phone = normalise_phone(data["phone"])
    except InvalidPhone as error:
        raise invalid("phone", str(error)) from error
    values = {
        "phone": phone, "name": clean_text(data.get("name"), 200), "email": clean_text(data.get("email"), 254),
        "address": clean_text(data.get("address"), 500), "district": clean_text(data.get("district"), 100),
        "cart": json.dumps(clean_cart(data.get("items") or []), ensure_ascii=False),
        "value": _amount(data.get("total") or 0, "total"), "currency": clean_text(data.get("currency"), 8) or "BDT",
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


def close_checkout(row: AbandonedCheckout, wc_order_id: int | None, now: datetime) -> None:
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
            close_checkout(row, wc_id, now)
            closed += 1
    if closed:
        db.session.flush()
    return closed


def order_since(site_id: int, phone: str, since: datetime):
    """The first order of this phone placed after `since` (as the orders read model holds it)."""
    return db.session.execute(
        select(Order.wc_id).where(Order.site_id == site_id, Order.phone == phone, Order.status.not_in(NOT_ORDERS),
                                  Order.deleted_at.is_(None), Order.date_created_gmt >= since - CLOCK_SLACK)
        .order_by(Order.date_created_gmt).limit(1)
    ).scalar_one_or_none()
