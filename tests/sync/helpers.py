from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from backend.extensions import db
from backend.orders.models import Customer, Order, OrderItem
from backend.phones import InvalidPhone, normalise_phone


def live_orders(store) -> list[dict]:
    """What WooCommerce's `status=any` would hand out: every order not deleted and not in the trash."""
    data = store.data
    return [data.order(i) for i in range(1, len(data.alive) + 1) if data.exists(i) and data.status[i - 1] != 10]


def stored(app, site_id) -> dict:
    with app.app_context():
        rows = db.session.execute(select(Order).where(Order.site_id == site_id)).scalars().all()
        return {row.wc_id: row for row in rows}


def assert_matches_store(app, site_id, store):
    """Every live order is stored once, with WooCommerce's status, totals, items and phone."""
    orders = live_orders(store)
    rows = {wc_id: row for wc_id, row in stored(app, site_id).items() if row.status != "trash" and not row.deleted_at}
    assert sorted(rows) == sorted(o["id"] for o in orders)
    for order in orders:
        row = rows[order["id"]]
        assert row.status == order["status"]
        assert row.total == Decimal(order["total"])
        assert row.date_modified_gmt.isoformat() == order["date_modified_gmt"]
        assert row.excluded_from_sales == (order["status"] == "checkout-draft")
    with app.app_context():
        items = db.session.execute(select(func.count()).select_from(OrderItem)
                                   .where(OrderItem.order_id.in_([row.id for row in rows.values()]))).scalar_one()
    assert items == sum(len(o["line_items"]) for o in orders)


def expected_customer_counts(orders) -> Counter:
    counts = Counter()
    for order in orders:
        try:
            phone = normalise_phone(order["billing"]["phone"])
        except InvalidPhone:
            continue
        counts[phone] += 0 if order["status"] in ("checkout-draft", "trash") else 1
    return counts


def customer_counts(app, site_id) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(Customer.phone, Customer.order_count).where(Customer.site_id == site_id)).all())
