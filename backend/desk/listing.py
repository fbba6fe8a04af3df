"""The desk's list: filters, keyset pages on (date_created_gmt DESC, id DESC) so a deep page costs
what the first page costs and an order arriving while someone pages never shifts the pages, and
what each row shows.
"""
import base64
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, tuple_

from backend.couriers.models import BookingAttempt, Consignment
from backend.desk.fields import STATUS_RE, invalid
from backend.desk.models import OrderTag, OrderTagLink
from backend.desk.order_tasks import assigned_to, tasks_of_orders
from backend.extensions import db
from backend.orders.models import Customer, Order
from backend.phones import InvalidPhone, normalise_phone
from backend.clock import dhaka_midnight_utc

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_DAYS = 366 * 3


@dataclass
class ListFilters:
    statuses: list = field(default_factory=list)
    tag_id: int | None = None
    start: date | None = None  # Dhaka days, inclusive
    end: date | None = None
    courier: str | None = None
    q: str | None = None
    assignee: int | None = None  # "My orders": the WordPress user the orders are assigned to (set by the view)
    cursor: str | None = None
    limit: int = PAGE_SIZE


def encode_cursor(created: datetime, order_id: int) -> str:
    raw = f"{created.strftime('%Y%m%d%H%M%S')}.{order_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, order_id = raw.split(".")
        return datetime.strptime(stamp, "%Y%m%d%H%M%S"), int(order_id)
    except (ValueError, UnicodeDecodeError):
        raise invalid({"cursor": _("This page link is broken; start again from the first page.")}) from None


def parse_filters(args) -> ListFilters:
    """Query arguments (a MultiDict) → ListFilters; every mistake is named by its field."""
    errors, filters = {}, ListFilters()
    statuses = [s.strip() for value in args.getlist("status") for s in value.split(",") if s.strip()]
    if any(not STATUS_RE.match(s) for s in statuses):
        errors["status"] = _("A status is a WooCommerce status slug, like processing.")
    filters.statuses = statuses[:20]
    if args.get("tag"):
        try:
            filters.tag_id = int(args["tag"])
        except ValueError:
            errors["tag"] = _("Choose a tag from the list.")
    for name in ("start", "end"):
        if args.get(name):
            try:
                setattr(filters, name, date.fromisoformat(args[name]))
            except ValueError:
                errors[name] = _("Dates look like 2026-03-01.")
    if filters.start and filters.end and filters.start > filters.end:
        errors["end"] = _("The end date is before the start date.")
    if args.get("courier"):
        filters.courier = args["courier"].strip()[:40]
    filters.q = (args.get("q") or "").strip()[:100] or None
    filters.cursor = args.get("cursor") or None
    if args.get("limit"):
        try:
            filters.limit = max(1, min(MAX_PAGE_SIZE, int(args["limit"])))
        except ValueError:
            errors["limit"] = _("A whole number from 1 to 100.")
    if errors:
        raise invalid(errors)
    return filters


def _search_condition(q: str):
    """Order number (#1234 or 1234), phone in any format, or the start of a name."""
    digits = q.lstrip("#").strip()
    conditions = []
    try:
        conditions.append(Order.phone == normalise_phone(q))
    except InvalidPhone:
        pass
    if digits.isdigit() and len(digits) <= 12:
        conditions.append(Order.number == digits)
    if not conditions:
        # A name: case-insensitive prefix of the billing name, or of its second word. Prefix,
        # not substring, so PostgreSQL can stop early on the keyset order (bench/order_list.py).
        pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        lowered = func.lower(Order.billing_name)
        conditions.append(or_(lowered.like(f"{pattern.lower()}%", escape="\\"),
                              lowered.like(f"% {pattern.lower()}%", escape="\\")))
    return or_(*conditions)


def filter_orders(query, site_id: int, filters: ListFilters):
    """The desk's WHERE for `filters` (the cursor aside), on any select over orders. The list
    and the export (backend/desk/export.py) both use it, so they show exactly the same orders."""
    query = query.where(Order.site_id == site_id, Order.deleted_at.is_(None), Order.status != "checkout-draft")
    if filters.statuses:
        query = query.where(Order.status.in_(filters.statuses))
    if filters.tag_id is not None:
        query = query.where(Order.id.in_(select(OrderTagLink.order_id).where(
            OrderTagLink.site_id == site_id, OrderTagLink.tag_id == filters.tag_id)))
    if filters.start:
        query = query.where(Order.date_created_gmt >= dhaka_midnight_utc(filters.start))
    if filters.end:
        query = query.where(Order.date_created_gmt < dhaka_midnight_utc(filters.end + timedelta(days=1)))
    if filters.courier:
        query = query.where(Order.courier == filters.courier)
    if filters.q:
        query = query.where(_search_condition(filters.q))
    if filters.assignee is not None:
        query = query.where(Order.id.in_(assigned_to(site_id, filters.assignee)))
    return query


def list_orders(site_id: int, filters: ListFilters) -> dict:
    """One page of the desk: {"orders": [...], "next_cursor": str | None}."""
    query = filter_orders(select(Order, Customer.order_count).outerjoin(Customer, Customer.id == Order.customer_id),
                          site_id, filters)
    if filters.cursor:
        created, order_id = decode_cursor(filters.cursor)
        # a row-value comparison: PostgreSQL (and SQLite ≥ 3.15) turn it into one index range,
        # where the spelled-out OR would be a filter on every row above the cursor
        query = query.where(tuple_(Order.date_created_gmt, Order.id) < tuple_(created, order_id))
    rows = db.session.execute(
        query.order_by(Order.date_created_gmt.desc(), Order.id.desc()).limit(filters.limit + 1)).all()
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    tags = tags_of_orders(site_id, [order.id for order, _count in rows])
    booked = consignments_of_orders(site_id, [order.wc_id for order, _count in rows if order.courier])
    orders = [order_row(order, count, tags.get(order.id, []), booked.get(order.wc_id)) for order, count in rows]
    tasks = tasks_of_orders(site_id, [row["id"] for row in orders])
    for row in orders:
        row["task"] = tasks.get(row["id"])
    last = rows[-1][0] if rows else None
    return {"orders": orders, "next_cursor": encode_cursor(last.date_created_gmt, last.id) if more else None}


def consignments_of_orders(site_id: int, wc_ids: list[int]) -> dict[int, str]:
    """wc_id → consignment id, for the courier column (O5)."""
    if not wc_ids:
        return {}
    found = dict(db.session.execute(select(Consignment.order_wc_id, Consignment.consignment_id).where(
        Consignment.site_id == site_id, Consignment.order_wc_id.in_(wc_ids))).all())
    missing = [i for i in wc_ids if i not in found]
    if missing:  # booked, but only the booking lock knows (the courier gave no id, or recording failed)
        found.update({wc_id: cid for wc_id, cid in db.session.execute(
            select(BookingAttempt.order_wc_id, BookingAttempt.consignment_id).where(
                BookingAttempt.site_id == site_id, BookingAttempt.order_wc_id.in_(missing))).all()})
    return found


def order_row(order: Order, order_count: int | None, tags: list, consignment_id: str | None = None) -> dict:
    return {
        "id": order.id, "wc_id": order.wc_id, "number": order.number, "status": order.status,
        "total": order.total, "currency": order.currency, "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title,
        "courier": getattr(order, "courier", None), "consignment_id": consignment_id,
        "name": order.billing_name, "phone": order.phone or order.billing_phone, "district": order.district,
        "date_created_gmt": order.date_created_gmt, "created_via": order.created_via,
        # O4: a customer with more than one order (that counts as a sale) is a repeat customer
        "customer_orders": order_count or 0, "repeat": (order_count or 0) > 1,
        "customer_id": order.customer_id,  # the customer's page (backend/customers)
        "tags": tags,
    }


def tags_of_orders(site_id: int, order_ids: list[int]) -> dict[int, list]:
    if not order_ids:
        return {}
    found: dict[int, list] = {}
    rows = db.session.execute(
        select(OrderTagLink.order_id, OrderTag.id, OrderTag.name, OrderTag.colour)
        .join(OrderTag, OrderTag.id == OrderTagLink.tag_id)
        .where(OrderTagLink.site_id == site_id, OrderTagLink.order_id.in_(order_ids))
        .order_by(OrderTag.name))
    for order_id, tag_id, name, colour in rows:
        found.setdefault(order_id, []).append({"id": tag_id, "name": name, "colour": colour})
    return found


def newest_since(site_id: int, after_id: int) -> dict:
    """The new-order poll (O7): orders stored after `after_id` (the read model's id grows with
    every insert), newest first, at most 20. Cheap: one index range on the primary key."""
    rows = db.session.execute(
        select(Order.id, Order.number, Order.billing_name, Order.total)
        .where(Order.site_id == site_id, Order.id > after_id, Order.deleted_at.is_(None),
               Order.status != "checkout-draft")
        .order_by(Order.id.desc()).limit(20)).all()
    latest = db.session.execute(select(func.max(Order.id)).where(Order.site_id == site_id)).scalar() or 0
    return {"latest_id": max(latest, after_id),
            "orders": [{"id": r.id, "number": r.number, "name": r.billing_name, "total": str(r.total)} for r in rows]}
