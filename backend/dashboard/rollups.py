"""Keeping the dashboard's daily rollups equal to the orders they summarise.

Each stored version of an order *contributes* fixed amounts to a few rollup rows (its Dhaka
day and status, its source, its products, its cycle times). When the one order upsert
(backend/orders/service.py) replaces a version, it announces `order_stored` with the old and
the new version (backend/dashboard/listeners.py calls `apply_changes`) and we add
`new − old` to the rollups in the same transaction: a new order
adds, a cancelled/refunded/trashed/deleted one takes back what it gave, a changed total or
status moves the difference. Because the rollups are a pure sum of contributions,
`rebuild_site` (the same function over every stored order) must give the same rows — the
tests check exactly that after random histories.

Parcels (the cash widget) work the same way: booking adds a consignment's contribution and
every change of its status or collected amount adds `new − old` (`parcel_changed`,
`apply_parcel_changes`).

Customers' first orders (new vs returning) are not a property of one order: they change
when `recount_customers` moves a customer's first order, which it announces with the
before/after first-order times (`first_orders_moved`, `apply_first_order_changes`).
"""
import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from backend.couriers.models import Consignment
from backend.couriers.signals import PARCEL_FIELDS
from backend.dashboard.models import (
    DayCustomers, DayCycle, DayPaid, DayParcels, DayProduct, DaySource, DayStatus, MonthProduct,
)
from backend.database import in_list, insert_rows_together
from backend.extensions import db
from backend.orders.models import Customer, Order, OrderItem
from backend.orders.versions import ITEM_FIELDS, ORDER_FIELDS, lock_site

ZERO = Decimal("0.00")
DHAKA_OFFSET = timedelta(hours=6)  # Bangladesh keeps UTC+6 all year
# Statuses that are orders but not sales: never paid or confirmed (pending, failed), called
# off (cancelled), or the money went back (refunded, and returned — a COD parcel sent back
# is never paid). Drafts, trash and deletions are not even orders (excluded_from_sales).
NOT_SALES = frozenset({"pending", "failed", "cancelled", "refunded", "returned"})
# WooCommerce Analytics' default "excluded statuses": its basis (DayPaid) leaves these out
WC_EXCLUDED = frozenset({"pending", "failed", "cancelled"})
MAX_HOURS = 24 * 30  # cycle times beyond 30 days share one histogram bucket

# the key columns of each rollup (besides site_id) and its measures
KEYS = {
    DayStatus: ("day", "status"),
    DayPaid: ("day",),
    DaySource: ("day", "source_type", "utm_source", "utm_medium", "utm_campaign", "referrer_host", "created_via",
                "click_source"),
    DayProduct: ("day", "product_id"),
    MonthProduct: ("month", "product_id"),
    DayCycle: ("day", "stage", "hours"),
    DayCustomers: ("day",),
    DayParcels: ("day", "courier", "status"),
}
MEASURES = {
    DayStatus: ("orders", "customer_orders", "total", "subtotal", "discount", "shipping", "refunded",
                "delivered_revenue"),
    DayPaid: ("orders", "total", "subtotal", "discount", "shipping", "refunded"),
    DaySource: ("orders", "revenue", "delivered_orders", "delivered_revenue"),
    DayProduct: ("orders", "quantity", "revenue"),
    MonthProduct: ("orders", "quantity", "revenue"),
    DayCycle: ("orders",),
    DayCustomers: ("new_customers",),
    DayParcels: ("parcels", "cod", "collected", "collected_known"),
}


def dhaka_day(moment: datetime) -> date:
    return (moment + DHAKA_OFFSET).date()


def is_sale(status: str) -> bool:
    return status not in NOT_SALES


def referrer_host(referrer: str | None) -> str:
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")[:200]


# Histogram bins (lower bound in hours, width): fine where cycle times usually fall, coarse
# beyond, so a day holds a few dozen rows per stage rather than one per distinct hour (at a
# million orders the per-hour rows outnumbered the orders). Medians are read to the bin.
BINS = ((0, 24, 2), (24, 72, 4), (72, 168, 12), (168, MAX_HOURS, 24))


def hours_bin(hours: int) -> int:
    for low, high, width in BINS:
        if hours < high:
            return low + (hours - low) // width * width
    return MAX_HOURS


def _hours(start: datetime, end: datetime) -> int:
    return hours_bin(max(0, int((end - start).total_seconds() // 3600)))


def contributions(order, items) -> dict:
    """{(model, key tuple): {measure: amount}} that this stored version of an order adds."""
    out = {}
    if order["excluded_from_sales"] or order["deleted_at"] is not None:
        return out
    created = order["date_created_gmt"]
    day = dhaka_day(created)
    total, refunded = order["total"] or ZERO, order["refunded_total"] or ZERO
    out[(DayStatus, (day, order["status"]))] = {
        "orders": 1, "customer_orders": 1 if order["customer_id"] else 0, "total": total,
        "subtotal": order["subtotal"] or ZERO, "discount": order["discount_total"] or ZERO,
        "shipping": order["shipping_total"] or ZERO, "refunded": refunded,
        "delivered_revenue": total - refunded if order["delivered_gmt"] is not None else ZERO,
    }
    if is_sale(order["status"]):
        source = (day, order["source_type"] or "", order["utm_source"] or "", order["utm_medium"] or "",
                  order["utm_campaign"] or "", referrer_host(order["referrer"]), order["created_via"] or "",
                  order["click_source"] or "")
        delivered = order["delivered_gmt"] is not None
        out[(DaySource, source)] = {"orders": 1, "revenue": total - refunded, "delivered_orders": 1 if delivered else 0,
                                    "delivered_revenue": total - refunded if delivered else ZERO}
        products = {}
        for item in items:
            product = products.setdefault(item["product_id"] or 0, {"orders": 1, "quantity": 0, "revenue": ZERO})
            product["quantity"] += item["quantity"] or 0
            product["revenue"] += item["total"] or ZERO
        for product_id, measures in products.items():
            out[(DayProduct, (day, product_id))] = measures
            out[(MonthProduct, (day.replace(day=1), product_id))] = dict(measures)
    _add(out, paid_contributions(order), +1)
    shipped, delivered = order["shipped_gmt"], order["delivered_gmt"]
    if shipped is not None:
        out[(DayCycle, (day, "shipped", _hours(created, shipped)))] = {"orders": 1}
    if delivered is not None:
        out[(DayCycle, (day, "delivered", _hours(created, delivered)))] = {"orders": 1}
        if shipped is not None and delivered >= shipped:
            out[(DayCycle, (day, "transit", _hours(shipped, delivered)))] = {"orders": 1}
    return out


def refunds_of(order) -> list[tuple[Decimal, datetime]]:
    """(amount, when made) of each refund of a stored order. Orders stored before the refunds were
    kept one by one (0790) know only their sum: it is dated by the stored version's modification."""
    if order["refunds"] is None:
        refunded = order["refunded_total"] or ZERO
        return [(refunded, order["date_modified_gmt"])] if refunded else []
    return [(Decimal(amount), datetime.fromisoformat(when)) for _id, amount, when in json.loads(order["refunds"])]


def paid_contributions(order) -> dict:
    """What an order adds to WooCommerce's basis (DayPaid): its money on the day it was paid, if
    it was; each refund taken off on the day it was made."""
    out = {}
    if order["status"] in WC_EXCLUDED:
        return out
    paid = order["date_paid_gmt"]
    if paid is not None:
        out[(DayPaid, (dhaka_day(paid),))] = {
            "orders": 1, "total": order["total"] or ZERO, "subtotal": order["subtotal"] or ZERO,
            "discount": order["discount_total"] or ZERO, "shipping": order["shipping_total"] or ZERO}
    for amount, when in refunds_of(order):
        _add(out, {(DayPaid, (dhaka_day(when),)): {"refunded": amount}}, +1)
    return out


def _add(into: dict, parts: dict, sign: int) -> None:
    for key, measures in parts.items():
        target = into.setdefault(key, {})
        for name, amount in measures.items():
            target[name] = target.get(name, 0) + sign * amount


def write(site_id: int, deltas: dict) -> None:
    """Add the deltas to the rollup rows (creating them), one statement per rollup table.
    Rows are written in key order so that concurrent writers lock them in the same order."""
    by_model = defaultdict(list)
    for (model, key), measures in sorted(deltas.items(), key=lambda kv: (kv[0][0].__tablename__, kv[0][1])):
        if any(measures.values()):
            by_model[model].append({"site_id": site_id, **dict(zip(KEYS[model], key)),
                                    **{m: measures.get(m, 0) for m in MEASURES[model]}})
    # one statement for all tables, whose text never changes whatever the number of rows
    # (cached, unlike a multi-row VALUES, which was compiled afresh for every write)
    insert_rows_together([(model.__table__, rows, {"conflict": ("site_id", *KEYS[model]), "add": MEASURES[model]})
                          for model, rows in by_model.items()])


# --- called by the listeners (backend/dashboard/listeners.py) ------------------------------

def apply_changes(site_id: int, changes) -> None:
    """changes: [(old version or None, new version or None)], a version being (order, items)."""
    deltas = {}
    for old, new in changes:
        if old is not None:
            _add(deltas, contributions(*old), -1)
        if new is not None:
            _add(deltas, contributions(*new), +1)
    write(site_id, deltas)


# --- customers' first orders ------------------------------------------------------------

def apply_first_order_changes(before: dict, after: dict) -> None:
    deltas = defaultdict(dict)
    for customer_id, (site_id, now_first) in after.items():
        was_first = before.get(customer_id, (site_id, None))[1]
        if was_first == now_first:
            continue
        if was_first is not None:
            _add(deltas[site_id], {(DayCustomers, (dhaka_day(was_first),)): {"new_customers": 1}}, -1)
        if now_first is not None:
            _add(deltas[site_id], {(DayCustomers, (dhaka_day(now_first),)): {"new_customers": 1}}, +1)
    for site_id, site_deltas in deltas.items():
        write(site_id, site_deltas)


def rebuild_customers(site_id: int) -> None:
    """The site's new-customer rollup from scratch (after a backfill recounted every customer)."""
    lock_site(site_id, exclusive=True)
    db.session.connection().execute(delete(DayCustomers).where(DayCustomers.site_id == site_id))
    deltas = {}
    for (first,) in db.session.connection().execute(
            select(Customer.first_order_gmt).where(Customer.site_id == site_id, Customer.first_order_gmt.is_not(None))):
        _add(deltas, {(DayCustomers, (dhaka_day(first),)): {"new_customers": 1}}, +1)
    write(site_id, deltas)


# --- repair -----------------------------------------------------------------------------

ROLLUPS = (DayStatus, DayPaid, DaySource, DayProduct, MonthProduct, DayCycle)


def rebuild_site(site_id: int, chunk: int = 2000) -> None:
    """Every rollup of the site from its stored orders, with the same contributions the
    upsert adds: at the end of a backfill, for existing data after an upgrade, and as the
    tests' reference."""
    lock_site(site_id, exclusive=True)
    connection = db.session.connection()
    for model in ROLLUPS:
        connection.execute(delete(model).where(model.site_id == site_id))
    last_id = 0
    while True:
        deltas = {}
        orders = connection.execute(
            select(*[Order.__table__.c[f] for f in ORDER_FIELDS]).where(Order.site_id == site_id, Order.id > last_id)
            .order_by(Order.id).limit(chunk)).mappings().all()
        if not orders:
            break
        last_id = orders[-1]["id"]
        items = defaultdict(list)
        for item in connection.execute(select(*[OrderItem.__table__.c[f] for f in ITEM_FIELDS])
                                       .where(in_list(OrderItem.order_id, [o["id"] for o in orders]))).mappings():
            items[item["order_id"]].append(item)
        for order in orders:
            _add(deltas, contributions(order, items[order["id"]]), +1)
        # written as it goes, so memory holds one chunk's keys, not the store's (a big shop's
        # day-by-product rows alone run to hundreds of thousands)
        write(site_id, deltas)
    rebuild_customers(site_id)


# --- parcels (D12 cash) -----------------------------------------------------------------

def parcel_contribution(parcel) -> dict:
    collected = parcel["collected_amount"]
    return {(DayParcels, (dhaka_day(parcel["booked_at"]), parcel["courier"], parcel["status"])): {
        "parcels": 1, "cod": parcel["cod_amount"] or ZERO, "collected": collected or ZERO,
        "collected_known": 0 if collected is None else 1}}


def parcel_deltas(changes, into: dict | None = None) -> dict:
    """changes: [(old version or None, new version or None)] of consignments, any sites →
    {site_id: deltas}, added to `into` when given (a bulk run collects a batch's changes)."""
    into = {} if into is None else into
    for old, new in changes:
        for version, sign in ((old, -1), (new, +1)):
            if version is not None:
                _add(into.setdefault(version["site_id"], {}), parcel_contribution(version), sign)
    return into


def write_parcel_deltas(deltas: dict) -> None:
    for site_id in sorted(deltas):  # sites, then rows, in one order: concurrent writers do not deadlock
        write(site_id, deltas[site_id])


def apply_parcel_changes(changes) -> None:
    write_parcel_deltas(parcel_deltas(changes))


def defer_parcel_changes(changes) -> None:
    """Keep the changes for the session's commit (`_write_deferred`), which writes them with any
    others in one statement, rows in key order: a bulk run commits every hundred parcels, and
    two runs at once then never lock the same rollup rows in turn (no deadlock) — nor does a
    commit made mid-batch (polling's pacer) leave changes without their rollup. Inside a
    savepoint they are written at once, so a savepoint rolled back takes back only its own."""
    if db.session().in_nested_transaction():
        apply_parcel_changes(changes)
    else:
        parcel_deltas(changes, db.session.info.setdefault(DEFERRED, {}))


DEFERRED = "bikri_parcel_deltas"


@event.listens_for(Session, "before_commit")
def _write_deferred(session) -> None:
    deltas = session.info.pop(DEFERRED, None)
    if deltas:
        write_parcel_deltas(deltas)


@event.listens_for(Session, "after_soft_rollback")
def _drop_deferred(session, rolled_back) -> None:
    if rolled_back.parent is None:  # the whole transaction: the changes they followed are gone too
        session.info.pop(DEFERRED, None)


def rebuild_parcels(site_id: int) -> None:
    """The site's parcel rollup from its consignments (repair; the tests' reference)."""
    connection = db.session.connection()
    connection.execute(delete(DayParcels).where(DayParcels.site_id == site_id))
    rows = connection.execute(select(*[Consignment.__table__.c[f] for f in PARCEL_FIELDS])
                              .where(Consignment.site_id == site_id)).mappings()
    write_parcel_deltas(parcel_deltas((None, row) for row in rows))
