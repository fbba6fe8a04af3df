import contextlib
from collections import Counter
from decimal import Decimal

from sqlalchemy import create_engine, func, select, text

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
        assert row.created_via == order["created_via"]  # a string, as WooCommerce sends it
        for name in ("date_paid_gmt", "date_completed_gmt"):
            assert (getattr(row, name).isoformat() if getattr(row, name) else None) == order[name], name
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


@contextlib.contextmanager
def writes_while_asked(app, store):
    """Yields the list of the store's requests that arrived while a transaction held writes on the
    service's database. A shop may take seconds to answer; a transaction that wrote and waits
    for it keeps its locks that long (on SQLite the whole database, for every shop)."""
    with app.app_context():
        url, sqlite = db.engine.url, db.engine.dialect.name == "sqlite"
    watcher = create_engine(url, connect_args={"timeout": 0.2} if sqlite else {})
    found, answer = [], store.app.dispatch

    def asked(request):
        with watcher.connect() as connection:
            if sqlite:
                try:  # the write lock: taken at once unless a writer holds it
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    connection.exec_driver_sql("ROLLBACK")
                except Exception:  # noqa: BLE001 - "database is locked"
                    found.append(request.full_path)
            elif connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar():
                found.append(request.full_path)
        return answer(request)

    store.app.dispatch = asked
    try:
        yield found
    finally:
        store.app.dispatch = answer
        watcher.dispose()
