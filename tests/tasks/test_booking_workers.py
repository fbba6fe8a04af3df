"""Booking in real worker processes (issue 19): the request answers with a job at once, a bulk
worker books the orders against the sandbox Steadfast (over a real socket), and WooCommerce gets
`_courier_data` through orders/batch. A worker SIGKILLed in the middle of a booking loses
nothing and doubles nothing: counted at the sandbox courier, not in our own tables.

Run on SQLite and on PostgreSQL (BIKRI_TEST_DB=postgresql)."""
import json
import math
import time
from collections import Counter

import pytest
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from sqlalchemy import select

from backend.couriers.models import BookingAttempt
from backend.extensions import db
from backend.orders.models import Order
from backend.sandbox.steadfast import API_KEY
from tests.couriers.helpers import bookable
from tests.tasks.conftest import connect_steadfast
from tests.wait import wait_until
from backend.tasks.models import WorkJob
from backend.tasks.queue import queue_name

ORDERS = 60


@pytest.fixture
def shop(app, workers, make_synced, steadfast):
    """A shop with its orders in Bikri, Steadfast connected and the default courier."""
    shop = make_synced(orders=400, seed=11)
    connect_steadfast(app, shop)
    assert shop.client.put("/api/v1/couriers/settings", json={"default_courier": "steadfast"},
                           headers=shop.auth).status_code == 200
    return shop


def worker_env(steadfast, **extra):
    return {"BIKRI_STEADFAST_BASE_URL": steadfast.url, "BIKRI_STEADFAST_RATE": "50", **extra}


def start_booking(shop, ids):
    started = time.monotonic()
    response = shop.client.post("/api/v1/couriers/bookings", json={"order_ids": ids}, headers=shop.auth)
    assert response.status_code == 202, response.json
    assert response.json["job"]["total"] == len(ids) and response.json["job"]["status"] in ("queued", "running")
    return response, time.monotonic() - started


def job_done(app, job_id):
    with app.app_context():
        job = db.session.get(WorkJob, job_id)
        return job.status == "done"


def parcels_by_invoice(steadfast) -> Counter:
    return Counter(parcel.invoice for parcel in steadfast.parcels.values())


def invoices(app, shop, ids):
    with app.app_context():
        return {o.wc_id: o.number or str(o.wc_id) for o in db.session.execute(
            select(Order).where(Order.site_id == shop.site_id, Order.wc_id.in_(ids))).scalars()}


def courier_data(shop, wc_id):
    meta = {m["key"]: m["value"] for m in shop.store.data.order(wc_id)["meta_data"]}
    return json.loads(meta["_courier_data"]) if "_courier_data" in meta else None


def test_a_bulk_booking_runs_in_a_bulk_worker_each_order_once(app, workers, shop, steadfast):
    ids = bookable(app, shop, ORDERS)
    workers.start(lanes=("bulk",), threads=4, **worker_env(steadfast))
    response, took = start_booking(shop, ids)
    job_id = response.json["job"]["id"]
    wait_until(lambda: job_done(app, job_id), 60, "the booking job")

    job = shop.get(response.headers["Location"]).json
    assert job["done"] == job["total"] == ORDERS
    assert sorted(int(item["item"]) for item in job["items"]) == sorted(ids), "one result per order"
    assert {item["outcome"] for item in job["items"]} == {"booked"}, [i["message"] for i in job["items"]][:3]
    assert all(item["consignment_id"] and item["woocommerce_updated"] for item in job["items"])
    # exactly once, counted at the courier: 60 parcels, one per invoice, in one bulk call
    numbers = invoices(app, shop, ids)
    assert parcels_by_invoice(steadfast) == Counter(numbers.values())
    assert steadfast.calls.get("bulk_order") == 1 and not steadfast.calls.get("create_order")
    # WooCommerce: the meta through orders/batch, ceil(60/100) calls, none per order
    calls = shop.store.data.calls
    assert calls["POST orders/batch"] <= math.ceil(ORDERS / 100)
    assert not calls["PUT orders/<id>"] and not calls["POST orders/<id>/notes"]
    by_id = {int(item["item"]): item for item in job["items"]}
    assert all(courier_data(shop, wc_id)["consignment_id"] == by_id[wc_id]["consignment_id"] for wc_id in ids)
    assert all(len(shop.store.data.notes_of(wc_id)) == 1 for wc_id in ids), "one booking note each, in the batch"


def redeliver_a_dead_workers_tasks(app, lanes):
    """What a live worker's broker does now and then (dramatiq's "maintenance", by chance on 0.1%
    of its calls): put the messages a worker took and never acknowledged back in their queue once
    its heartbeat is older than the timeout. Forced here, so the test does not wait on chance."""
    namespace = app.config["QUEUE_NAMESPACE"]
    broker = RedisBroker(url=app.config["BROKER_URL"], namespace=namespace, middleware=[],
                         heartbeat_timeout=30_000, maintenance_chance=MAINTENANCE_SCALE)
    try:
        for lane in lanes:
            broker.do_qsize(queue_name(namespace, lane))
            broker.do_qsize(queue_name(namespace, lane) + ".DQ")
    finally:
        broker.close()


def test_a_worker_killed_mid_booking_loses_nothing_and_doubles_nothing(app, workers, shop, steadfast):
    ids = bookable(app, shop, ORDERS)
    app.config["BOOKING_ORDERS_PER_TASK"] = 10  # six tasks, so the kill falls between and inside them
    steadfast.latency_ms = 1500  # each bulk call takes 1.5 s: the booking is slow enough to be killed in
    env = worker_env(steadfast, BIKRI_BOOKING_ORDERS_PER_TASK="10")
    first = workers.start(lanes=("bulk",), threads=2, **env)
    response, _took = start_booking(shop, ids)
    job_id = response.json["job"]["id"]

    # kill it while a bulk call is with Steadfast, after some orders were booked and recorded
    wait_until(lambda: steadfast.calls.get("bulk_order", 0) >= 3, 60, "the third bulk call")
    first.kill()
    first.wait(10)
    with app.app_context():
        job = db.session.get(WorkJob, job_id)
        assert job.status != "done" and job.done < ORDERS, "killed mid-booking"

    workers.start(lanes=("bulk",), threads=2, **env)
    steadfast.latency_ms = 100

    def finished():
        redeliver_a_dead_workers_tasks(app, ("bulk",))
        return job_done(app, job_id)

    wait_until(finished, 120, "the booking job after the kill (redelivered after the 30 s heartbeat timeout)")

    numbers = invoices(app, shop, ids)
    # nothing doubled: one parcel per invoice at the courier; nothing lost: every order is there
    assert parcels_by_invoice(steadfast) == Counter(numbers.values())
    job = shop.get(response.headers["Location"]).json
    assert job["done"] == job["total"] == ORDERS
    assert sorted(int(item["item"]) for item in job["items"]) == sorted(ids), "one result per order"
    assert {item["outcome"] for item in job["items"]} == {"booked"}, [
        i["message"] for i in job["items"] if i["outcome"] != "booked"][:3]
    with app.app_context():
        states = db.session.execute(select(BookingAttempt.state).where(
            BookingAttempt.site_id == shop.site_id)).scalars().all()
        assert Counter(states) == {"booked": ORDERS}
        assert set(db.session.execute(select(Order.courier).where(Order.wc_id.in_(ids))).scalars()) == {"steadfast"}


def test_steadfast_saying_slow_down_brings_the_task_back_later(app, workers, shop, steadfast):
    """A 429 with Retry-After: the task comes back after it (RetryLater, not a failure) and books."""
    [wc_id] = bookable(app, shop, 1)
    workers.start(lanes=("transactional",), threads=2, **worker_env(steadfast))
    # one token in 5 s, none now: the first create is refused even when a loaded machine takes
    # a few seconds to reach it (at 1 a second, a CI run once found the token back already)
    steadfast.set_rate(0.2, burst=1)
    steadfast.accounts[API_KEY].tokens, steadfast.accounts[API_KEY].refilled_at = 0.0, time.monotonic()
    response, _took = start_booking(shop, [wc_id])
    wait_until(lambda: job_done(app, response.json["job"]["id"]), 60, "the booking job")
    [item] = shop.get(response.headers["Location"]).json["items"]
    assert item["outcome"] == "booked", item
    assert steadfast.rate_limited >= 1 and len(steadfast.parcels) == 1
    # the refused create left no claim behind: the retry created at once, without a look-up first
    assert steadfast.calls.get("create_order", 0) >= 2 and not steadfast.calls.get("status_by_invoice")


def test_the_desk_shows_one_orders_result_and_a_bulks_progress_then_its_results(app, workers, shop, steadfast,
                                                                                   monkeypatch):
    from backend.desk import views
    from tests.embed_helpers import open_embed

    ids = bookable(app, shop, 21)
    workers.start(lanes=("transactional", "bulk"), threads=4, **worker_env(steadfast))
    _page, headers = open_embed(shop)
    one = shop.client.post("/embed/orders/book", data={"order": [ids[0]]}, headers=headers)
    assert "1 of 1 orders booked." in one.get_data(as_text=True)  # the wait: no progress bar for one order
    assert one.headers.get("HX-Trigger") == "orders-changed"

    monkeypatch.setattr(views, "JOB_WAIT_SECONDS", 0.5)
    steadfast.latency_ms = 3000
    bulk = shop.client.post("/embed/orders/book", data={"order": ids}, headers=headers).get_data(as_text=True)
    assert "job-progress" in bulk and "of 21 booked" in bulk, bulk
    job_id = int(bulk.split('data-job-id="')[1].split('"')[0])
    page = wait_until(lambda: (lambda text: text if "orders booked." in text else None)(
        shop.client.get(f"/embed/orders/jobs/{job_id}", headers=headers).get_data(as_text=True)), 60, "the results")
    assert "20 of 21 orders booked." in page and "already booked" in page
    assert len(steadfast.parcels) == 21
