import contextlib
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text
from werkzeug.wrappers import Request

from backend.extensions import db
from backend.orders.models import Customer, Order, OrderItem
from backend.phones import InvalidPhone, normalise_phone
from backend.sandbox.server import RoutedSandbox
from backend.tasks.execution import run_inline
from backend.tasks.registry import task_named


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
    with transactions_while_asked(app, store.app, reading=False) as found:
        yield found


@contextlib.contextmanager
def transactions_while_asked(app, sandbox, *, reading=True):
    """Yields the list of the requests `sandbox` heard while a transaction was open on the
    service's database: one that wrote (see `writes_while_asked`) and, with `reading`, one that
    only read, which holds its connection and its snapshot (PostgreSQL's vacuum keeps every row
    version it might see) while the remote party answers.

    `sandbox` is the WSGI app the service asks: the WooCommerce sandbox (or anything answering
    through `dispatch(request)`), a Flask one (`wsgi_app`: the Graph API, Steadfast, the SMS
    gateway) or a `RoutedSandbox` (its `heard`: Nagad, bKash). A
    reader is seen on PostgreSQL only, as a backend `idle in transaction` while the request
    arrives; on SQLite (WAL) a reader takes no lock another connection can see, so a test that
    watches for readers is skipped there. A transaction already open when the block begins is
    the test's own (an outer app context) and is not counted: the code watched runs inside the
    block, in its own app context."""
    with app.app_context():
        url, sqlite = db.engine.url, db.engine.dialect.name == "sqlite"
    if reading and sqlite:
        pytest.skip("SQLite (WAL) shows no reading transaction to another connection; PostgreSQL does")
    watcher = create_engine(url, connect_args={"timeout": 0.2} if sqlite else {})
    found = []

    def open_transactions(connection) -> list:
        """(pid, when it began, whether it wrote) of every other backend holding a write or,
        between two statements, a transaction."""
        return connection.execute(text(
            "SELECT pid, xact_start, backend_xid IS NOT NULL FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND (backend_xid IS NOT NULL OR state LIKE 'idle in transaction%')")).all()

    before = set()
    if reading:
        with watcher.connect() as connection:
            before = {(pid, began) for pid, began, _wrote in open_transactions(connection)}

    def look(path):
        with watcher.connect() as connection:
            if sqlite:
                try:  # the write lock: taken at once unless a writer holds it
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    connection.exec_driver_sql("ROLLBACK")
                except Exception:  # noqa: BLE001 - "database is locked"
                    found.append(path)
            elif any(wrote or (reading and (pid, began) not in before)
                     for pid, began, wrote in open_transactions(connection)):
                found.append(path)

    with _hearing(sandbox, look):
        try:
            yield found
        finally:
            watcher.dispose()


class HeldTasks(list):
    """Tasks queued while held (`hold_tasks`): (task name, site id, kwargs), in order."""

    def run(self, app):
        """A worker takes them: each in an app context of its own (a fresh session, which reads
        what the task reads), committed at its end as a worker commits."""
        for name, site_id, kwargs in self:
            with app.app_context():
                run_inline(task_named(name), site_id, kwargs)
        self.clear()


def hold_tasks(monkeypatch, *modules) -> HeldTasks:
    """The tasks `modules` queue (through their `enqueue`), held instead of run at once: the unit
    tests' inline queue runs a task in its asker's session, which already holds the rows the
    task would read, so a test of what a worker reads and asks runs them with `held.run(app)`."""
    held = HeldTasks()
    for module in modules:
        monkeypatch.setattr(module, "enqueue", lambda task, *, site_id=None, **kwargs: held.append(
            (task_named(task).name, site_id, kwargs)))
    return held


@contextlib.contextmanager
def _hearing(sandbox, look):
    """`look(path)` runs when a request reaches `sandbox`, before the sandbox answers it."""
    if hasattr(sandbox, "wsgi_app"):  # a Flask app
        name, answer = "wsgi_app", sandbox.wsgi_app

        def asked(environ, start_response):
            look(Request(environ).full_path)
            return answer(environ, start_response)
    elif isinstance(sandbox, RoutedSandbox):  # over its route table: it hears every request first
        name, answer = "heard", sandbox.heard

        def asked(endpoint, request):
            look(request.full_path)
            return answer(endpoint, request)
    else:
        name, answer = "dispatch", sandbox.dispatch

        def asked(request):
            look(request.full_path)
            return answer(request)
    setattr(sandbox, name, asked)
    try:
        yield
    finally:
        setattr(sandbox, name, answer)
