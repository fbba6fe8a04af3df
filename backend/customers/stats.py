"""The customer read model (U1): one row per phone, computed from the phone's orders.

Exact by construction: whenever orders change (`order_stored`) or a parcel's status does
(`parcel_changed`), the touched customers are recomputed from their stored orders in the
writer's transaction; `rebuild_site` recomputes a whole shop the same way (existing shops,
and the end of a backfill). tests/customers/test_stats.py checks the listener-kept rows against
a recomputation from raw orders after random order streams.

What counts (the rules of backend/fraud, so a customer's page and the fraud badge agree):
- orders: the phone's sales orders (drafts, trash and deleted orders do not count);
- delivered / returned / cancelled: an order's latest consignment decides (delivered or partly
  delivered → delivered; cancelled or returned → returned); an order never booked counts by its
  WooCommerce status (completed → delivered, returned → returned, cancelled/failed → cancelled);
- spend: total − refunds of the orders that were neither returned nor cancelled;
- average order value: spend / (orders − returned − cancelled);
- district, name, WooCommerce customer id: of the latest order that has one (guest and
  registered orders of a phone are one customer; the account id is kept).

RFM segments, fixed thresholds so a shop can read them (R: days since the last order,
F: kept orders = orders − returned − cancelled, M: spend in taka), first match wins:
- new: one order, placed in the last 30 days;
- champions: last order within 30 days, 4+ kept orders and 5,000 ৳+ spent;
- loyal: last order within 90 days and 3+ kept orders;
- promising: last order within 90 days (any other);
- at_risk: last order 91–180 days ago with 2+ kept orders;
- lost: everything older (or a single order more than 90 days ago).
Recency moves with time: `rescore_segments` (an hourly job) moves the rows whose segment changed.

The filters by tag and by product bought walk tables of their own in the list's order
(customer_tags, customer_products: each row holds a copy of the customer's sort keys). Every
write here keeps them in step in the same statement batch: a customer's products are rewritten
from the same sales orders, and the tags' copies of last order, spend and orders are set from
the row just written (None when the customer has no row).
"""
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, delete, func, insert, or_, select, update

from backend.couriers.models import Consignment
from backend.database import in_list, insert_rows, on_postgresql
from backend.extensions import db
from backend.fraud.service import CANCELLED_WC, DELIVERED_PARCELS, DELIVERED_WC, RETURNED_PARCELS, RETURNED_WC
from backend.orders.models import Customer, Order, OrderItem
from backend.clock import utcnow
from backend.customers.models import CustomerProduct, CustomerStats, CustomerTag

SORT_KEYS = ("last_order_gmt", "spend", "orders")  # copied into customer_tags / customer_products
SEGMENTS = ("champions", "loyal", "promising", "new", "at_risk", "lost")
NEW_DAYS, ACTIVE_DAYS, RISK_DAYS = 30, 90, 180
CHAMPION_ORDERS, CHAMPION_SPEND, LOYAL_ORDERS, RISK_ORDERS = 4, Decimal("5000"), 3, 2
REBUILD_CHUNK = 2000


def segment_of(orders: int, kept: int, spend: Decimal, last_order: datetime | None, now: datetime) -> str | None:
    if not orders or last_order is None:
        return None
    days = now - last_order
    if days <= timedelta(days=NEW_DAYS):
        if orders == 1:
            return "new"
        if kept >= CHAMPION_ORDERS and spend >= CHAMPION_SPEND:
            return "champions"
    if days <= timedelta(days=ACTIVE_DAYS):
        return "loyal" if kept >= LOYAL_ORDERS else "promising"
    if days <= timedelta(days=RISK_DAYS) and kept >= RISK_ORDERS:
        return "at_risk"
    return "lost"


def segment_sql(now: datetime):
    """segment_of as SQL over customer_stats' columns (the hourly rescore)."""
    s = CustomerStats
    kept = s.orders - s.returned - s.cancelled
    recent, active, risky = (now - timedelta(days=NEW_DAYS), now - timedelta(days=ACTIVE_DAYS),
                             now - timedelta(days=RISK_DAYS))
    return case(
        (or_(s.orders == 0, s.last_order_gmt.is_(None)), None),
        (and_(s.last_order_gmt >= recent, s.orders == 1), "new"),
        (and_(s.last_order_gmt >= recent, kept >= CHAMPION_ORDERS, s.spend >= CHAMPION_SPEND), "champions"),
        (and_(s.last_order_gmt >= active, kept >= LOYAL_ORDERS), "loyal"),
        (s.last_order_gmt >= active, "promising"),
        (and_(s.last_order_gmt >= risky, kept >= RISK_ORDERS), "at_risk"),
        else_="lost")


def outcome_of(wc_status: str, parcel_status: str | None) -> str | None:
    if parcel_status in DELIVERED_PARCELS or (parcel_status is None and wc_status in DELIVERED_WC):
        return "delivered"
    if parcel_status in RETURNED_PARCELS or (parcel_status is None and wc_status in RETURNED_WC):
        return "returned"
    if parcel_status is None and wc_status in CANCELLED_WC:
        return "cancelled"
    return None


def _orders_of(customer_ids):
    parcel = (select(Consignment.status)
              .where(Consignment.site_id == Order.site_id, Consignment.order_wc_id == Order.wc_id)
              .order_by(Consignment.id.desc()).limit(1).correlate(Order).scalar_subquery())
    return db.session.execute(
        select(Order.customer_id, Order.status, parcel.label("parcel"), Order.total, Order.refunded_total,
               Order.date_created_gmt, Order.district, Order.wc_customer_id, Order.billing_name)
        .where(in_list(Order.customer_id, customer_ids), Order.deleted_at.is_(None),
               Order.excluded_from_sales.is_(False))
        .order_by(Order.customer_id, Order.date_created_gmt, Order.id)).all()


def compute(customer_ids, now: datetime | None = None) -> dict[int, dict]:
    """{customer id: stats row} from the customers' stored orders; a customer without a sales
    order has no row."""
    now = now or utcnow()
    ids = sorted({i for i in customer_ids if i})
    if not ids:
        return {}
    customers = {row.id: row for row in db.session.execute(
        select(Customer.id, Customer.site_id, Customer.phone, Customer.name).where(in_list(Customer.id, ids)))}
    by_customer = defaultdict(list)
    for row in _orders_of(ids):
        by_customer[row.customer_id].append(row)
    out = {}
    for customer_id, orders in by_customer.items():
        customer = customers[customer_id]
        counts = {"delivered": 0, "returned": 0, "cancelled": 0}
        spend, name, district, wc_customer = Decimal("0"), customer.name, None, None
        for order in orders:  # oldest first: the latest order's details win
            outcome = outcome_of(order.status, order.parcel)
            if outcome:
                counts[outcome] += 1
            if outcome not in ("returned", "cancelled"):
                spend += (order.total or 0) - (order.refunded_total or 0)
            name = order.billing_name or name
            district = order.district or district
            wc_customer = order.wc_customer_id or wc_customer
        kept = len(orders) - counts["returned"] - counts["cancelled"]
        last = orders[-1].date_created_gmt
        out[customer_id] = {
            "customer_id": customer_id, "site_id": customer.site_id, "phone": customer.phone, "name": name,
            "wc_customer_id": wc_customer, "orders": len(orders), **counts, "spend": spend,
            "first_order_gmt": orders[0].date_created_gmt, "last_order_gmt": last, "district": district,
            "segment": segment_of(len(orders), kept, spend, last, now), "updated_at": now,
        }
    return out


def refresh(customer_ids) -> None:
    """Recompute these customers' rows (the listeners' one write). On PostgreSQL the customers
    are locked first (in id order; the order upsert holds them already), so two writers of one
    customer (an order push and a courier poll) take turns and the later one counts both."""
    ids = sorted({i for i in customer_ids if i})
    if not ids:
        return
    if on_postgresql():
        db.session.execute(select(Customer.id).where(in_list(Customer.id, ids)).order_by(Customer.id).with_for_update())
    rows = compute(ids)
    gone = [i for i in ids if i not in rows]
    if gone:
        db.session.execute(delete(CustomerStats).where(in_list(CustomerStats.customer_id, gone)))
    if rows:  # one statement whose text never changes (a multi-row VALUES was compiled afresh for every count)
        insert_rows(CustomerStats.__table__, list(rows.values()), conflict=("customer_id",),
                    update=tuple(c for c in next(iter(rows.values())) if c not in ("customer_id", "site_id")))
    db.session.execute(delete(CustomerProduct).where(in_list(CustomerProduct.customer_id, ids)))
    _insert_products(rows)
    _copy_keys_to_tags(in_list(CustomerTag.customer_id, ids))


def rebuild_site(site_id: int) -> int:
    """Every customer of a shop recomputed from its orders, in chunks of customers (memory stays
    flat however big the shop). Returns how many customers have a row."""
    db.session.execute(delete(CustomerStats).where(CustomerStats.site_id == site_id))
    db.session.execute(delete(CustomerProduct).where(CustomerProduct.site_id == site_id))
    written, after = 0, 0
    while True:
        ids = db.session.execute(select(Customer.id).where(Customer.site_id == site_id, Customer.id > after)
                                 .order_by(Customer.id).limit(REBUILD_CHUNK)).scalars().all()
        if not ids:
            _copy_keys_to_tags(CustomerTag.site_id == site_id)
            return written
        rows = compute(ids)
        if rows:
            db.session.execute(insert(CustomerStats), list(rows.values()))
        _insert_products(rows)
        written += len(rows)
        after = ids[-1]


def products_of(customer_ids) -> dict[int, set[int]]:
    """{customer id: the products in the customer's sales orders} (the orders `compute` counts)."""
    found = defaultdict(set)
    for customer_id, product_id in db.session.execute(
            select(Order.customer_id, OrderItem.product_id).distinct().join(OrderItem, OrderItem.order_id == Order.id)
            .where(in_list(Order.customer_id, customer_ids), Order.deleted_at.is_(None),
                   Order.excluded_from_sales.is_(False), OrderItem.product_id.is_not(None))):
        found[customer_id].add(product_id)
    return found


def _insert_products(rows: dict[int, dict]) -> None:
    """customer_products for these freshly computed customers (their old rows already deleted)."""
    if not rows:
        return
    products = products_of(list(rows))
    values = [{"customer_id": customer_id, "product_id": product_id, "site_id": row["site_id"],
               **{k: row[k] for k in SORT_KEYS}}
              for customer_id, row in rows.items() for product_id in sorted(products.get(customer_id, ()))]
    if values:
        insert_rows(CustomerProduct.__table__, values)


def _copy_keys_to_tags(which) -> None:
    """The tags' copies of their customer's sort keys, from customer_stats (None: no row)."""
    s = CustomerStats
    db.session.execute(update(CustomerTag).where(which).values(
        {k: select(getattr(s, k)).where(s.customer_id == CustomerTag.customer_id).scalar_subquery() for k in SORT_KEYS})
        .execution_options(synchronize_session=False))


def customers_of_phones(site_id: int, phones) -> set[int]:
    phones = sorted({p for p in phones if p})
    if not phones:
        return set()
    return set(db.session.execute(select(Customer.id).where(Customer.site_id == site_id,
                                                            in_list(Customer.phone, phones))).scalars())


def customers_of_parcels(consignment_ids) -> set[int]:
    ids = sorted({i for i in consignment_ids if i})
    if not ids:
        return set()
    return set(db.session.execute(
        select(Order.customer_id).join(Consignment, and_(Consignment.site_id == Order.site_id,
                                                         Consignment.order_wc_id == Order.wc_id))
        .where(in_list(Consignment.id, ids), Order.customer_id.is_not(None))).scalars())


def rescore_segments(now: datetime | None = None) -> int:
    """Move the customers whose segment changed with time alone (recency); one UPDATE."""
    expression = segment_sql(now or utcnow())
    return db.session.execute(
        update(CustomerStats).where(CustomerStats.segment.is_distinct_from(expression))
        .values(segment=expression).execution_options(synchronize_session=False)).rowcount
