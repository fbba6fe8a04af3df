"""POST /api/v1/events: out of order, duplicates, deletions, partial bodies, per-item errors."""
import copy
import json

from sqlalchemy import select

from backend.extensions import db
from backend.orders.models import Customer, Order, OrderItem
from backend.sandbox.woocommerce import generate
from backend.sync import routes as sync_routes
from tests.sync.helpers import hold_tasks, stored, transactions_while_asked, writes_while_asked

SAMPLE = generate(60, seed=4)


def order(wc_id=1, modified="2026-03-01T10:00:00", **changes):
    body = copy.deepcopy(SAMPLE.order(wc_id))
    body["date_modified_gmt"] = modified
    body.update(changes)
    return json.loads(json.dumps(body))  # as the plugin sends it: plain JSON


def event(body=None, *, key=None, type="updated", order_id=None, modified=None):
    order_id = order_id or body["id"]
    modified = modified or (body["date_modified_gmt"] if body else "2026-03-01T10:00:00")
    payload = {"idempotency_key": key or f"{type}-{order_id}-{modified}", "type": type, "order_id": order_id,
               "date_modified_gmt": modified}
    if body is not None:
        payload["order"] = body
    return payload


def post(shop, *events):
    response = shop.post("/api/v1/events", json={"events": list(events)})
    assert response.status_code == 200, response.json
    return [r["status"] for r in response.json["results"]], response.json["results"]


def test_created_then_updated(app, shop):
    statuses, results = post(shop, event(order(1, status="processing"), type="created"))
    assert statuses == ["applied"] and results[0]["idempotency_key"].startswith("created-1")
    statuses, _ = post(shop, event(order(1, "2026-03-01T11:00:00", status="shipped"), type="status_changed"))
    assert statuses == ["applied"]
    row = stored(app, shop.site_id)[1]
    assert row.status == "shipped" and row.date_modified_gmt.isoformat() == "2026-03-01T11:00:00"


def test_older_events_are_ignored_whatever_the_order_of_arrival(app, shop):
    new, old = order(2, "2026-03-02T12:00:00", status="completed"), order(2, "2026-03-02T09:00:00", status="processing")
    assert post(shop, event(new))[0] == ["applied"]
    assert post(shop, event(old))[0] == ["ignored_older"]
    assert stored(app, shop.site_id)[2].status == "completed"
    # and inside one batch: the newest wins, whatever its position
    older, newer = order(3, "2026-03-03T09:00:00", status="on-hold"), order(3, "2026-03-03T10:00:00", status="cancelled")
    assert post(shop, event(newer), event(older))[0] == ["applied", "ignored_older"]
    assert stored(app, shop.site_id)[3].status == "cancelled"


def test_duplicates_are_answered_without_applying_twice(app, shop):
    body = order(4, status="processing")
    first = event(body, key="evt-4-a")
    assert post(shop, first)[0] == ["applied"]
    assert post(shop, first)[0] == ["duplicate"]
    assert post(shop, event(body, key="evt-4-b"), event(body, key="evt-4-b"))[0] == ["applied", "duplicate"]
    with app.app_context():
        assert db.session.execute(select(OrderItem).join(Order).where(Order.wc_id == 4)).scalars().all().__len__() \
            == len(body["line_items"])


def test_deletion_leaves_a_tombstone_that_older_events_cannot_revive(app, shop):
    post(shop, event(order(5, "2026-03-05T10:00:00")))
    assert post(shop, event(type="deleted", order_id=5, modified="2026-03-05T11:00:00"))[0] == ["applied"]
    row = stored(app, shop.site_id)[5]
    assert row.deleted_at is not None and row.excluded_from_sales
    assert post(shop, event(order(5, "2026-03-05T10:30:00", status="processing"), key="late"))[0] == ["ignored_older"]
    assert stored(app, shop.site_id)[5].deleted_at is not None
    # a deletion that arrives before the order ever did still wins over the order's older versions
    assert post(shop, event(type="deleted", order_id=6, modified="2026-03-06T11:00:00"))[0] == ["applied"]
    assert post(shop, event(order(6, "2026-03-06T10:00:00"), type="created"))[0] == ["ignored_older"]
    assert shop.get("/api/v1/sync/status").json["orders_stored"] == 0


def test_trashed_order_is_kept_but_not_counted(app, shop):
    post(shop, event(order(7, "2026-03-07T10:00:00", status="processing", billing={**order(7)["billing"], "phone": "01812345678"})))
    post(shop, event(order(7, "2026-03-07T11:00:00", status="trash", billing={**order(7)["billing"], "phone": "01812345678"}),
                     type="deleted"))
    row = stored(app, shop.site_id)[7]
    assert row.status == "trash" and row.excluded_from_sales and row.deleted_at is None
    with app.app_context():
        assert db.session.execute(select(Customer.order_count).where(Customer.phone == "+8801812345678")).scalar_one() == 0


def test_customer_recognised_across_phone_formats_and_drafts_not_counted(app, shop):
    formats = ["01711-234567", "+8801711234567", "০১৭১১২৩৪৫৬৭", "8801711234567"]
    events = []
    for n, phone in enumerate(formats, start=10):
        body = order(n, status="completed")
        body["billing"]["phone"] = phone
        events.append(event(body))
    draft = order(20, status="checkout-draft")
    draft["billing"]["phone"] = "01711 234567"
    bad = order(21)
    bad["billing"]["phone"] = "1234"
    statuses, _ = post(shop, *events, event(draft), event(bad))
    assert statuses == ["applied"] * 6
    with app.app_context():
        customers = db.session.execute(select(Customer).where(Customer.site_id == shop.site_id)).scalars().all()
        assert [(c.phone, c.order_count) for c in customers] == [("+8801711234567", 4)]
        rows = {r.wc_id: r for r in db.session.execute(select(Order)).scalars()}
        assert len({rows[n].customer_id for n in (10, 11, 12, 13, 20)}) == 1
        assert rows[20].excluded_from_sales and rows[21].customer_id is None and rows[21].billing_phone == "1234"
    # the phone changes on order 10: the old customer loses it
    moved = order(10, "2026-03-09T10:00:00", status="completed")
    moved["billing"]["phone"] = "01912000000"
    post(shop, event(moved))
    with app.app_context():
        counts = dict(db.session.execute(select(Customer.phone, Customer.order_count)).all())
        assert counts == {"+8801711234567": 3, "+8801912000000": 1}


def test_money_and_read_model_fields(app, shop):
    body = order(30, status="processing")
    body["meta_data"] = [{"id": 1, "key": "_wc_order_attribution_utm_source", "value": "facebook"},
                         {"id": 2, "key": "_wc_order_attribution_source_type", "value": "utm"}]
    body["billing"]["state"] = "BD-10"
    body["line_items"][0]["price"] = 449.5
    post(shop, event(body))
    row = stored(app, shop.site_id)[30]
    assert str(row.total) == body["total"] and row.payment_method == body["payment_method"]
    assert row.utm_source == "facebook" and row.source_type == "utm"
    assert row.billing_state == "BD-10" and row.district == "Chattogram"
    with app.app_context():
        item = db.session.execute(select(OrderItem).join(Order).where(Order.wc_id == 30).order_by(OrderItem.id)).scalars().first()
        assert str(item.price) == "449.50"


def test_partial_events_are_completed_from_woocommerce(app, store, connected):
    """The request does not ask the shop: a partial event is accepted and a worker (inline here,
    right after the answer's commit) reads the order from WooCommerce and applies it."""
    target = store.data.order(9)
    partial = event(type="status_changed", order_id=9, modified=target["date_modified_gmt"])
    with writes_while_asked(app, store) as writing:  # the shop is asked before anything is written
        statuses, _ = post(connected, partial, event({"id": 10, "status": "shipped"}, order_id=10, modified="2026-03-01T00:00:00"))
    assert statuses == ["accepted", "accepted"] and writing == []
    rows = stored(app, connected.site_id)
    assert rows[9].status == target["status"] and rows[10].status == store.data.order(10)["status"]
    asked = store.data.requests
    assert post(connected, partial)[0] == ["accepted"] and store.data.requests == asked, "seen: not asked again"
    # an order WooCommerce no longer has (404 woocommerce_rest_shop_order_invalid_id) is a deletion
    statuses, _ = post(connected, event(type="updated", order_id=424242, modified="2026-03-01T00:00:00"))
    assert statuses == ["accepted"] and stored(app, connected.site_id)[424242].deleted_at is not None


def test_the_worker_asks_the_shop_for_a_partial_event_with_no_transaction_open(app, store, connected, monkeypatch):
    """The worker applying a partial event only reads (the site, the events seen before; the
    inbox row's lease is kept first) before it asks WooCommerce for the order, and ends that
    reading transaction first: none waits open on the shop."""
    held = hold_tasks(monkeypatch, sync_routes)
    target = store.data.order(9)
    assert post(connected, event(type="status_changed", order_id=9, modified=target["date_modified_gmt"]))[0] == ["accepted"]
    with transactions_while_asked(app, store.app) as found:
        held.run(app)
    assert found == [] and stored(app, connected.site_id)[9].status == target["status"]


def test_the_request_never_asks_the_shop(app, store, connected):
    """Without `Prefer: respond-async` too, the answer comes before WooCommerce is asked: events
    that carry their order are applied in the request, the others are accepted for a worker."""
    from backend.sync import routes as sync_routes

    handed = []
    with app.app_context():
        asked = store.data.requests
    original = sync_routes.enqueue
    try:
        sync_routes.enqueue = lambda *args, **kwargs: handed.append(kwargs)  # no worker: the request alone
        statuses, _ = post(connected, event(type="status_changed", order_id=9, modified="2026-03-01T00:00:00"),
                           event(order(41, status="processing")))
    finally:
        sync_routes.enqueue = original
    assert statuses == ["accepted", "applied"]
    assert store.data.requests == asked, "WooCommerce was not asked while the request ran"
    assert len(handed) == 1 and handed[0]["site_id"] == connected.site_id
    assert 41 in stored(app, connected.site_id) and 9 not in stored(app, connected.site_id)


def test_partial_event_without_credentials_fails_alone_and_can_be_retried(app, shop):
    lonely = event(type="updated", order_id=3, modified="2026-03-01T00:00:00", key="retry-me")
    statuses, results = post(shop, lonely, event(order(4)))
    assert statuses == ["accepted", "applied"]
    with app.app_context():  # the worker could not read it: kept to be tried again later
        from backend.sync.models import EventInbox
        waiting = db.session.execute(select(EventInbox)).scalar_one()
        assert "not connected" in waiting.last_error and waiting.attempts == 1
    assert 3 not in stored(app, shop.site_id)
    # its key was not kept: sending it again (now with the order) applies it
    lonely["order"] = order(3)
    assert post(shop, lonely)[0] == ["applied"]


def test_invalid_items_fail_alone(app, shop):
    good = event(order(40))
    broken_total = event(order(41, total="twelve"))
    mismatch = event(order(42), order_id=43)
    statuses, results = post(shop, good, {"type": "updated", "order_id": 44}, {**event(order(45)), "type": "exploded"},
                             broken_total, mismatch, {"idempotency_key": "x", "type": "updated", "order_id": "seven",
                                                      "date_modified_gmt": "yesterday"})
    assert statuses == ["applied", "error", "error", "error", "error", "error"]
    assert results[1]["idempotency_key"] is None and "idempotency_key" in results[1]["error"]["message"]
    assert "type" in results[2]["error"]["message"]
    assert results[3]["error"] == {"code": "invalid_order", "message": "order.total: not an amount of money: 'twelve'"}
    assert "differs" in results[4]["error"]["message"]
    assert "order_id" in results[5]["error"]["message"] and "date_modified_gmt" in results[5]["error"]["message"]
    assert sorted(stored(app, shop.site_id)) == [40]


def test_batch_limits(shop):
    too_many = shop.post("/api/v1/events", json={"events": [event(order(1), key=f"k{i}") for i in range(101)]})
    assert too_many.status_code == 422 and "events" in too_many.json["error"]["details"]
    empty = shop.post("/api/v1/events", json={"events": []})
    assert empty.status_code == 422
    unknown = shop.post("/api/v1/events", json={"events": [event(order(1))], "extra": 1})
    assert unknown.status_code == 422


def test_events_need_the_sites_token(client):
    assert client.post("/api/v1/events", json={"events": []}).status_code == 401


def test_a_database_refusal_fails_only_its_event(app, shop, monkeypatch):
    """Should the database refuse the batch, events are applied one by one and only the culprit fails."""
    from sqlalchemy.exc import DataError

    from backend.orders import service as orders

    real = orders.upsert_normalised

    def refusing(site_id, records, **kw):
        if any(r.wc_id == 50 for r in records):
            raise DataError("INSERT", {}, Exception("value too long"))
        return real(site_id, records, **kw)

    monkeypatch.setattr(orders, "upsert_normalised", refusing)
    statuses, results = post(shop, event(order(49)), event(order(50)), event(type="deleted", order_id=51,
                                                                              modified="2026-03-01T10:00:00"))
    assert statuses == ["applied", "error", "applied"]
    assert results[1]["error"]["code"] == "not_stored"
    assert sorted(stored(app, shop.site_id)) == [49, 51]
    # its key was let go: once the database takes it, the same event applies
    monkeypatch.setattr(orders, "upsert_normalised", real)
    assert post(shop, event(order(50)))[0] == ["applied"]


def test_deleted_with_a_body_that_is_not_in_the_trash_is_gone_for_good(app, shop):
    post(shop, event(order(52, "2026-03-05T10:00:00")))
    statuses, _ = post(shop, event(order(52, "2026-03-05T11:00:00", status="completed"), type="deleted"))
    assert statuses == ["applied"]
    assert stored(app, shop.site_id)[52].deleted_at is not None


def test_partial_event_for_a_trashed_order(app, store, connected):
    store.data.delete(11, force=False)
    statuses, _ = post(connected, event(type="status_changed", order_id=11, modified="2026-03-01T00:00:00"))
    assert statuses == ["accepted"]
    assert stored(app, connected.site_id)[11].status == "trash"


def test_an_order_saved_again_unchanged_moves_only_its_time(app, shop):
    """WooCommerce re-saves orders for things Bikri does not keep (a note, a meta field): the
    order's time moves, while its items, the dashboard's rollups and customer counts stay as
    they were, and a real change afterwards is applied in full."""
    from sqlalchemy import update

    from backend.dashboard.models import DayStatus

    def snapshot():
        with app.app_context():
            names = db.session.execute(select(OrderItem.name).order_by(OrderItem.id)).scalars().all()
            sales = db.session.execute(select(DayStatus.status, DayStatus.orders, DayStatus.total)
                                       .where(DayStatus.site_id == shop.site_id, DayStatus.orders != 0)).all()
            return names, sorted(sales)

    assert post(shop, event(order(5, status="processing"), type="created"))[0] == ["applied"]
    with app.app_context():  # a mark a rewrite of the items would wipe out
        db.session.execute(update(OrderItem).values(name="marked"))
        db.session.commit()
    before = snapshot()
    assert post(shop, event(order(5, "2026-03-01T12:00:00", status="processing")))[0] == ["applied"]
    assert stored(app, shop.site_id)[5].date_modified_gmt.isoformat() == "2026-03-01T12:00:00"
    assert snapshot() == before
    assert post(shop, event(order(5, "2026-03-01T13:00:00", status="cancelled")))[0] == ["applied"]
    names, sales = snapshot()
    assert "marked" not in names and sales != before[1]
