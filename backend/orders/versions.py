"""The stored versions of orders, as the one upsert (backend/orders/service.py) reads and locks
them before replacing them: what listeners of `order_stored` receive as the old version.

The locks serialise writers of the same orders (and a site's bulk rebuild against them) until
commit; the milestones (shipped, delivered) and the refunds' dates are facts of the order
that only a comparison with the stored version can give, so they are filled here.
"""
import json
from collections import Counter, defaultdict

from sqlalchemy import func, select

from backend.database import in_list, on_postgresql
from backend.extensions import db
from backend.orders.models import Customer, Order, OrderItem

# Statuses courier plugins use once a parcel is handed over / received
SHIPPED_STATUSES = frozenset({"shipped", "in-transit", "out-for-delivery"})
DELIVERED_STATUSES = frozenset({"completed", "delivered"})

# what a version carries: the order's columns that anything downstream reads, and its items'
ORDER_FIELDS = ("id", "wc_id", "status", "excluded_from_sales", "deleted_at", "date_created_gmt", "date_modified_gmt",
                "date_completed_gmt", "content_hash", "total", "subtotal", "discount_total", "shipping_total",
                "refunded_total", "customer_id", "source_type", "utm_source", "utm_medium", "utm_campaign", "referrer",
                "created_via", "click_source", "shipped_gmt", "delivered_gmt", "date_paid_gmt", "refunds", "phone",
                "wc_customer_id", "billing_name", "billing_email", "district")
ITEM_FIELDS = ("order_id", "product_id", "variation_id", "quantity", "total")


def lock_site(site_id: int, *, exclusive: bool = False) -> None:
    """Order writers of a site share this lock (PostgreSQL, until commit); a rebuild of what
    is derived from the site's orders takes it alone, so no change lands between the
    rebuild's read and its write. SQLite has a single writer."""
    if not on_postgresql():
        return
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    db.session.connection().execute(select(lock((0x5E << 56) | (site_id & 0xFFFFFF))))


def lock_orders(site_id: int, wc_ids) -> None:
    """Serialise writers of the same orders (PostgreSQL) until commit, before the old versions
    are read: two writers must not both take "no old version" or the same old version as the
    base of their change. A transaction-scoped advisory lock also covers orders not stored yet,
    which a row lock cannot. SQLite has a single writer."""
    if not on_postgresql() or not wc_ids:
        return
    lock_site(site_id)
    keys = sorted({(0x5D << 56) | ((site_id & 0xFFFFFF) << 32) | (wc_id & 0xFFFFFFFF) for wc_id in wc_ids})
    db.session.connection().execute(
        select(func.count()).select_from(
            select(func.pg_advisory_xact_lock(func.unnest(keys))).subquery()))


def read_versions(site_id: int, wc_ids) -> dict:
    """{wc_id: (order mapping, [item mappings])} of the stored versions of these orders."""
    if not wc_ids:
        return {}
    return with_items(read_orders(site_id, wc_ids))


def read_orders(site_id: int, wc_ids) -> dict:
    """{wc_id: order mapping} of the stored versions of these orders, without their items: what
    tells a re-save that changed nothing from a change (`upsert_normalised`) before the items
    of the changed ones are read (`with_items`)."""
    if not wc_ids:
        return {}
    return {row.wc_id: row for row in db.session.connection().execute(
        select(*[Order.__table__.c[f] for f in ORDER_FIELDS])
        .where(Order.site_id == site_id, in_list(Order.wc_id, wc_ids))).mappings()}


def with_items(orders: dict) -> dict:
    """{wc_id: (order mapping, [item mappings])} for order mappings from `read_orders`."""
    connection = db.session.connection()
    items = defaultdict(list)
    ids = [row["id"] for row in orders.values()]
    if ids:
        for item in connection.execute(select(*[OrderItem.__table__.c[f] for f in ITEM_FIELDS])
                                       .where(in_list(OrderItem.order_id, ids))).mappings():
            items[item["order_id"]].append(item)
    return {wc_id: (row, items[row["id"]]) for wc_id, row in orders.items()}


def carry_milestones(row: dict, old) -> None:
    """Fill the new version's shipped/delivered times: kept once known, else the time this
    version was modified if its status says shipped or delivered (WooCommerce keeps no
    history of status changes, so the first version we see in a status dates it)."""
    old_row = old[0] if old else None
    shipped = old_row["shipped_gmt"] if old_row else None
    if shipped is None and row["status"] in SHIPPED_STATUSES:
        shipped = row["date_modified_gmt"]
    delivered = old_row["delivered_gmt"] if old_row else None
    if delivered is None and row["status"] in DELIVERED_STATUSES:
        delivered = row.get("date_completed_gmt") or row["date_modified_gmt"]
    row["shipped_gmt"], row["delivered_gmt"] = shipped, delivered


def date_refunds(row: dict, old) -> None:
    """Give the new version's refunds that came without a time (wc/v3 lists refunds without one)
    the time they were first seen: the stored version's time for the same refund, else this
    version's modification time (the refund is what changed it). Like `carry_milestones`."""
    if row.get("refunds") is None:
        return
    known = {}
    old_row = old[0] if old else None
    if old_row is not None and old_row["refunds"] is not None:
        seen = Counter()
        for refund_id, _amount, when in json.loads(old_row["refunds"]):
            known[(refund_id, seen[refund_id])] = when
            seen[refund_id] += 1
    seen, dated = Counter(), []
    for refund_id, amount, when in json.loads(row["refunds"]):
        nth = seen[refund_id]
        seen[refund_id] += 1
        dated.append([refund_id, amount, when or known.get((refund_id, nth)) or row["date_modified_gmt"].isoformat()])
    row["refunds"] = json.dumps(dated)


def first_orders(customer_ids) -> dict:
    """{customer id: (site id, first order time)} as stored now."""
    if not customer_ids:
        return {}
    return {row.id: (row.site_id, row.first_order_gmt) for row in db.session.connection().execute(
        select(Customer.id, Customer.site_id, Customer.first_order_gmt).where(in_list(Customer.id, customer_ids)))}
