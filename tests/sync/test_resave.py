"""An order saved again with nothing Bikri keeps changed (same content hash, a newer time) takes
the upsert's short way: one UPDATE of its time. Every outcome and every stored column must be
what the full upsert gives, and a real change in the same batch must still be applied in full."""
import pytest
from sqlalchemy import select, update

from backend.extensions import db
from backend.orders import service
from backend.orders.models import Customer, Order, OrderItem
from backend.orders.signals import order_stored
from tests.sync.test_events import order

T = "2026-03-01T{:02d}:00:00".format


def batches():
    """(label, [wc/v3 orders], prepare) in turn: `prepare(site_id)` meddles with the stored rows first."""
    def tombstone(site_id):
        service.delete_orders(site_id, [(3, service.datetime(2026, 3, 1, 11))])

    def forget_milestone(site_id):  # stored before milestones were kept: the next version dates it
        db.session.execute(update(Order).where(Order.site_id == site_id, Order.wc_id == 4).values(shipped_gmt=None))

    def unlink_customer(site_id):
        db.session.execute(update(Order).where(Order.site_id == site_id, Order.wc_id == 5).values(customer_id=None))

    return [
        ("created", [order(n, T(10), status="processing") for n in range(1, 7)], None),
        ("re-saved, the same again, older", [order(1, T(12), status="processing"), order(2, T(10), status="processing"),
                                             order(6, T(9), status="processing")], None),
        ("moved on, re-saved beside it", [order(1, T(13), status="processing"), order(2, T(13), status="cancelled"),
                                          order(4, T(13), status="shipped")], None),
        ("over a tombstone", [order(3, T(14), status="processing")], tombstone),
        ("milestone not yet dated", [order(4, T(15), status="shipped")], forget_milestone),
        ("customer not linked", [order(5, T(15), status="processing")], unlink_customer),
        ("twice in a batch, older first", [order(6, T(16), status="processing"), order(6, T(17), status="processing"),
                                           order(6, T(15), status="processing")], None),
    ]


def run(app, site_id):
    """Outcomes, announced changes and stored orders after each batch."""
    seen = []
    receiver = lambda sender, **kw: seen.extend((c.wc_id, c.old is None, c.new is None) for c in kw["changes"])  # noqa: E731
    order_stored.connect(receiver)
    try:
        steps = []
        for label, orders, prepare in batches():
            with app.app_context():
                if prepare:
                    prepare(site_id)
                seen.clear()
                outcomes = service.upsert_orders(site_id, orders)
                db.session.commit()
                steps.append((label, outcomes, sorted(seen), stored_rows(site_id)))
        return steps
    finally:
        order_stored.disconnect(receiver)


def stored_rows(site_id):
    skip = {"id", "site_id", "customer_id", "synced_at"}
    rows = {}
    for row in db.session.execute(select(Order).where(Order.site_id == site_id)).scalars():
        phone = db.session.get(Customer, row.customer_id).phone if row.customer_id else None
        items = db.session.execute(select(OrderItem.wc_item_id, OrderItem.quantity, OrderItem.total)
                                   .where(OrderItem.order_id == row.id).order_by(OrderItem.id)).all()
        rows[row.wc_id] = ({c.name: getattr(row, c.name) for c in Order.__table__.c if c.name not in skip}, phone, items)
    return rows


def test_the_short_way_gives_what_the_full_upsert_gives(app, make_shop, monkeypatch):
    short = run(app, make_shop(url="https://short.example.com").site_id)
    monkeypatch.setattr(service, "_only_time_moved", lambda record, old: False)  # every version the full way
    full = run(app, make_shop(url="https://full.example.com").site_id)
    for (label, *got), (_label, *expected) in zip(short, full):
        assert got == expected, label
    outcomes = {label: outcomes for label, outcomes, _seen, _rows in short}
    assert outcomes["re-saved, the same again, older"] == [service.APPLIED, service.UNCHANGED, service.IGNORED_OLDER]
    assert outcomes["twice in a batch, older first"] == [service.IGNORED_OLDER, service.APPLIED, service.IGNORED_OLDER]
    # the real change beside the re-saves was announced, the re-saves were not
    assert [seen for label, _o, seen, _r in short if label.startswith("moved on")] == [[(2, False, False), (4, False, False)]]


def test_a_re_save_moves_its_time_and_nothing_else(app, shop, monkeypatch):
    with app.app_context():
        service.upsert_orders(shop.site_id, [order(1, T(10), status="processing")])
        db.session.commit()
        before = db.session.execute(select(Order).where(Order.wc_id == 1)).scalar_one()
        before = {c.name: getattr(before, c.name) for c in Order.__table__.c}
        calls = []
        monkeypatch.setattr(service, "insert_rows", lambda *a, **kw: calls.append(a) or [])
        assert service.upsert_orders(shop.site_id, [order(1, T(11), status="processing")]) == [service.APPLIED]
        assert calls == []  # neither the orders' upsert nor the items: the short way
        db.session.commit()
        after = db.session.execute(select(Order).where(Order.wc_id == 1)).scalar_one()
        after = {c.name: getattr(after, c.name) for c in Order.__table__.c}
    assert after["date_modified_gmt"].isoformat() == T(11) and after["synced_at"] >= before["synced_at"]
    assert {k: v for k, v in after.items() if k not in ("date_modified_gmt", "synced_at")} == \
        {k: v for k, v in before.items() if k not in ("date_modified_gmt", "synced_at")}


@pytest.mark.parametrize("change", [{"status": "completed"}, {"total": "1.00"}, {"customer_note": "call first"}])
def test_a_change_of_anything_kept_takes_the_full_way(app, shop, change):
    with app.app_context():
        service.upsert_orders(shop.site_id, [order(1, T(10), status="processing")])
        db.session.commit()
        assert service.upsert_orders(shop.site_id, [order(1, T(11), **{"status": "processing", **change})]) == [service.APPLIED]
        db.session.commit()
        row = db.session.execute(select(Order).where(Order.wc_id == 1)).scalar_one()
        field, value = next(iter(change.items()))
        assert str(getattr(row, field)) == value
