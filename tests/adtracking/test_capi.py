"""K2: Conversions API events from the service, checked against the Graph API sandbox: the
event_id the Pixel uses (dedup), hashed phone and email, retries on 5xx, no resend."""
import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from backend.adtracking import service, tasks
from backend.adtracking.models import CapiEvent
from backend.couriers import service as couriers
from backend.extensions import db
from backend.licensing.models import Site
from backend.orders.service import upsert_normalised, upsert_orders
from backend.orders.wire import normalise_order
from backend.sandbox.meta_graph import ACCESS_TOKEN, create_meta_graph_app
from backend.sandbox.server import SandboxServer
from backend.clock import utcnow
from tests.sync.helpers import transactions_while_asked

PIXEL = "1234567890123456"


def sha(value):
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def graph(app):
    sandbox = create_meta_graph_app()
    with SandboxServer(sandbox) as url:
        app.config["META_GRAPH_URL"] = url
        sandbox.sandbox.url, sandbox.sandbox.app = url, sandbox
        yield sandbox.sandbox


def configure(shop, client, **extra):
    body = {"pixel_id": PIXEL, "access_token": ACCESS_TOKEN, "capi_enabled": True, **extra}
    answer = client.put("/api/v1/adtracking/settings", json=body, headers=shop.auth)
    assert answer.status_code == 200, answer.json
    return answer.json


def order(wc_id, *, status="processing", total="1250.00", ago=timedelta(hours=1), phone="01712-345678",
          email="  Rahima@Example.COM "):
    created = (utcnow() - ago).strftime("%Y-%m-%dT%H:%M:%S")
    return {"id": wc_id, "number": str(wc_id), "status": status, "currency": "BDT", "date_created_gmt": created,
            "date_modified_gmt": created, "total": total,
            "billing": {"first_name": "Rahima", "phone": phone, "email": email},
            "line_items": [{"id": 1, "product_id": 77, "name": "Saree", "quantity": 2, "price": "625.00",
                            "subtotal": "1250.00", "total": "1250.00"}],
            "meta_data": [{"key": "_wc_order_attribution_utm_campaign", "value": "eid-sale"}]}


def send_pending(app):
    with app.app_context():
        service.queue_pending(older_than_seconds=0)


def events(app, site_id):
    with app.app_context():
        return db.session.execute(select(CapiEvent).where(CapiEvent.site_id == site_id).order_by(CapiEvent.id)).scalars().all()


def test_normalising_and_hashing_as_meta_requires():
    assert service.meta_phone("01712-345678") == "8801712345678"
    assert service.meta_phone("+880 1712 345678") == "8801712345678"
    assert service.meta_phone("১৭১২৩৪৫৬৭৮") == "8801712345678"
    assert service.meta_phone("12345") is None
    assert service.meta_email("  Rahima@Example.COM ") == "rahima@example.com"
    assert service.meta_email("not an email") is None
    assert service.hash_value("8801712345678") == sha("8801712345678")
    assert service.purchase_event_id(5001) == "bikri-5001"


def test_settings_are_validated_and_the_token_is_kept_encrypted(app, client, shop):
    bad = client.put("/api/v1/adtracking/settings", json={"pixel_id": "12ab", "capi_enabled": True}, headers=shop.auth)
    assert bad.status_code == 422 and {"pixel_id", "capi_enabled"} <= set(bad.json["error"]["details"])
    saved = configure(shop, client)
    assert saved["access_token_set"] and ACCESS_TOKEN not in saved["access_token"] and saved["pixel_id"] == PIXEL
    with app.app_context():
        stored = db.session.execute(text("SELECT capi_token_enc FROM ad_settings")).scalar()
    assert stored and ACCESS_TOKEN not in stored
    # an empty token keeps the stored one
    kept = client.put("/api/v1/adtracking/settings", json={"pixel_id": PIXEL, "capi_enabled": True}, headers=shop.auth)
    assert kept.status_code == 200 and kept.json["access_token_set"]
    assert client.get("/api/v1/adtracking/settings", headers=shop.auth).json["capi_enabled"] is True


def test_a_new_order_sends_one_purchase_with_the_pixels_event_id_and_hashed_ids(app, client, shop, graph):
    configure(shop, client)
    with app.app_context():
        upsert_orders(shop.site_id, [order(5001)])
        db.session.commit()
    assert [e.status for e in events(app, shop.site_id)] == ["pending"]
    send_pending(app)
    assert len(graph.received) == 1
    event = graph.received[0]
    assert event["pixel_id"] == PIXEL
    assert event["event_name"] == "Purchase" and event["event_id"] == "bikri-5001"
    assert event["action_source"] == "website" and isinstance(event["event_time"], int)
    assert event["user_data"]["ph"] == [sha("8801712345678")]
    assert event["user_data"]["em"] == [sha("rahima@example.com")]
    assert event["custom_data"]["currency"] == "BDT" and event["custom_data"]["value"] == 1250.0
    assert event["custom_data"]["order_id"] == "5001"
    assert event["custom_data"]["contents"] == [{"id": "77", "quantity": 2}]
    assert [(e.status, e.attempts) for e in events(app, shop.site_id)] == [("sent", 1)]
    # no resend: the sweeper again, the task redelivered, the order synced again with a change
    send_pending(app)
    with app.app_context():
        row = events(app, shop.site_id)[0]
        tasks.send_event(site_id=shop.site_id, event_pk=row.id)
        db.session.commit()
        upsert_orders(shop.site_id, [dict(order(5001), status="completed", date_modified_gmt="2030-01-01T00:00:00")])
        db.session.commit()
    send_pending(app)
    assert len(graph.received) == 1 and graph.requests == 1


def test_meta_is_asked_with_no_transaction_open(app, client, shop, graph):
    """send_event only reads (the event, the settings, the order) before it asks Meta, and ends
    that reading transaction first: none waits open on Meta's answer."""
    configure(shop, client)
    with app.app_context():
        upsert_orders(shop.site_id, [order(5001)])
        db.session.commit()
    with transactions_while_asked(app, graph.app) as found:
        send_pending(app)
    assert len(graph.received) == 1 and found == []


def test_5xx_is_retried_with_the_same_event_and_sent_once(app, client, shop, graph):
    configure(shop, client)
    with app.app_context():
        upsert_orders(shop.site_id, [order(5002)])
        db.session.commit()
        pk = events(app, shop.site_id)[0].id
        graph.down_for = 2
        for _attempt in range(2):  # what a worker does: the task raises, the work model retries it later
            with pytest.raises(Exception) as raised:
                tasks.send_event(site_id=shop.site_id, event_pk=pk)
            db.session.rollback()
            assert "500" in str(raised.value)
        assert events(app, shop.site_id)[0].status == "pending"
        tasks.send_event(site_id=shop.site_id, event_pk=pk)
        db.session.commit()
        tasks.send_event(site_id=shop.site_id, event_pk=pk)  # redelivered after success: nothing sent
        db.session.commit()
    assert graph.requests == 3 and [e["event_id"] for e in graph.received] == ["bikri-5002"]
    assert events(app, shop.site_id)[0].status == "sent"
    from backend.tasks.registry import task_named
    assert task_named("adtracking.send_event").max_retries >= 5


def test_a_refused_token_fails_the_event_without_retrying(app, client, shop, graph):
    configure(shop, client)
    graph.access_token = "another-token"
    with app.app_context():
        upsert_orders(shop.site_id, [order(5003)])
        db.session.commit()
    send_pending(app)
    send_pending(app)
    row = events(app, shop.site_id)[0]
    assert row.status == "failed" and "190" in row.last_error and graph.requests == 1


def test_meta_down_for_good_gives_up_and_marks_the_event_failed(app, client, shop, graph):
    configure(shop, client)
    graph.down_for = 100
    with app.app_context():
        upsert_orders(shop.site_id, [order(5004)])
        db.session.commit()
    send_pending(app)  # inline mode: the task's failure is its giving up
    assert events(app, shop.site_id)[0].status == "failed"


def test_no_event_without_settings_for_history_or_for_failed_orders(app, client, shop, graph):
    with app.app_context():
        upsert_orders(shop.site_id, [order(6001)])
        db.session.commit()
    assert events(app, shop.site_id) == []
    configure(shop, client)
    with app.app_context():
        upsert_orders(shop.site_id, [order(6002, ago=timedelta(days=9)), order(6003, status="failed")])
        # a backfill page (bulk load): the shop's history, not new orders
        upsert_normalised(shop.site_id, [normalise_order(order(6004))], rollups_now=False)
        db.session.commit()
    assert [e.order_wc_id for e in events(app, shop.site_id)] == []


def _book(app, shop, wc_id):
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        parcel = couriers.register_consignment(site, str(wc_id), "steadfast", f"C{wc_id}", f"T{wc_id}",
                                               Decimal("1250.00"), wc_id)
        db.session.commit()
        return parcel.id


def _parcel_moves(app, shop, parcel_id, old, new):
    with app.app_context():
        version = {"id": parcel_id, "site_id": shop.site_id, "booked_at": utcnow(), "courier": "steadfast",
                   "cod_amount": Decimal("1250.00"), "collected_amount": Decimal("1200.00")}
        service.record_parcels([({**version, "status": old}, {**version, "status": new})])
        db.session.commit()


def test_delivery_sends_the_shops_chosen_event_and_a_return_a_refund(app, client, shop, graph):
    configure(shop, client, delivered_event="custom", delivered_event_name="Delivered", refund_on_return=True)
    with app.app_context():
        upsert_orders(shop.site_id, [order(7001), order(7002)])
        db.session.commit()
    delivered, returned = _book(app, shop, 7001), _book(app, shop, 7002)
    _parcel_moves(app, shop, delivered, "in_review", "delivered")
    _parcel_moves(app, shop, delivered, "in_review", "delivered")  # told twice: one event
    _parcel_moves(app, shop, returned, "in_review", "cancelled")
    send_pending(app)
    by_id = {e["event_id"]: e for e in graph.received}
    assert set(by_id) == {"bikri-7001", "bikri-7002", "bikri-7001-delivered", "bikri-7002-returned"}
    assert by_id["bikri-7001-delivered"]["event_name"] == "Delivered"
    assert by_id["bikri-7001-delivered"]["custom_data"]["value"] == 1200.0  # what the courier collected
    assert by_id["bikri-7002-returned"]["event_name"] == "Refund"


def test_purchase_on_delivery_is_a_second_purchase_with_its_own_id(app, client, shop, graph):
    configure(shop, client, delivered_event="purchase")
    with app.app_context():
        upsert_orders(shop.site_id, [order(7101)])
        db.session.commit()
    _parcel_moves(app, shop, _book(app, shop, 7101), "in_review", "delivered")
    send_pending(app)
    assert sorted((e["event_name"], e["event_id"]) for e in graph.received) == [
        ("Purchase", "bikri-7101"), ("Purchase", "bikri-7101-delivered")]


def test_the_sandbox_speaks_metas_error_shape(graph):
    import json
    import urllib.parse
    import urllib.request
    from urllib.error import HTTPError

    url = f"{graph_url(graph)}/v21.0/{PIXEL}/events"
    body = urllib.parse.urlencode({"data": json.dumps([{"event_name": "Purchase"}]), "access_token": "bad"}).encode()
    with pytest.raises(HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, data=body))
    error = json.loads(refused.value.read())["error"]
    assert refused.value.code == 400 and error["type"] == "OAuthException" and error["code"] == 190 and error["fbtrace_id"]


def graph_url(graph):
    return graph.url


def test_a_real_worker_sends_the_event_queued_by_the_order_and_retries_a_5xx(app, client, shop, graph, workers):
    """Not inline: the listener's row goes to the broker when the upsert commits; a worker sends
    it, Meta's 500 brings it back with backoff, and it is sent once."""
    import time

    configure(shop, client)
    graph.down_for = 1
    workers.start(lanes=("transactional",), threads=2, BIKRI_META_GRAPH_URL=graph.url)
    with app.app_context():
        upsert_orders(shop.site_id, [order(8001)])
        db.session.commit()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not graph.received:
        time.sleep(0.2)
    assert [e["event_id"] for e in graph.received] == ["bikri-8001"]
    assert graph.requests == 2  # the 500, then the retry
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and events(app, shop.site_id)[0].status != "sent":
        time.sleep(0.2)
    assert [(e.status, e.attempts) for e in events(app, shop.site_id)] == [("sent", 1)]


def test_an_update_batch_reads_no_settings_and_a_new_order_in_it_still_purchases(app, client, shop, graph, monkeypatch):
    """Only a new order is a Purchase: a batch of updates skips the settings' read, while a
    batch with one new order among updates records its Purchase (and no other)."""
    configure(shop, client)
    with app.app_context():
        upsert_orders(shop.site_id, [order(6101)])
        db.session.commit()
        reads = []
        real = service._enabled_settings
        monkeypatch.setattr(service, "_enabled_settings", lambda site_id: reads.append(site_id) or real(site_id))
        moved = order(6101, status="completed")
        moved["date_modified_gmt"] = (utcnow() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
        upsert_orders(shop.site_id, [moved])
        db.session.commit()
        assert reads == []
        moved = order(6101, status="on-hold")
        moved["date_modified_gmt"] = (utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
        upsert_orders(shop.site_id, [moved, order(6102)])
        db.session.commit()
        assert reads == [shop.site_id]
    assert [(e.order_wc_id, e.kind) for e in events(app, shop.site_id)] == [(6101, "purchase"), (6102, "purchase")]
