"""Booking orders with Steadfast (C1–C3) against the sandbox Steadfast and the sandbox store, over
real sockets: single, bulk with a bad order, and every double-booking case (double click, a
dropped answer, a crash between the courier's answer and our write)."""
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from backend.couriers import booking
from backend.couriers.models import BookingAttempt, Consignment
from backend.extensions import db
from backend.licensing.models import Site
from backend.orders.models import Order
from backend.clock import utcnow
from tests.couriers.helpers import bookable
from tests.embed_helpers import open_embed
from tests.threads import errors_at_once


@pytest.fixture
def shop(make_synced, steadfast, keys):
    """A shop whose store's orders are in Bikri, with Steadfast connected and set as the default."""
    shop = make_synced(orders=60, seed=11)
    assert shop.client.put("/api/v1/couriers/steadfast/account", json=keys, headers=shop.auth).status_code == 200
    assert shop.client.put("/api/v1/couriers/settings", json={"default_courier": "steadfast"},
                           headers=shop.auth).status_code == 200
    return shop


def book(shop, order_ids, **extra):
    """Start a booking through the API (202 and the job), then read the job's results: tests run
    each task right after the request's commit, so the job is done when the answer comes."""
    response = shop.client.post("/api/v1/couriers/bookings", json={"order_ids": order_ids, **extra}, headers=shop.auth)
    assert response.status_code == 202, response.json
    job = response.json["job"]
    assert response.headers["Location"] == response.json["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["total"] == len(set(order_ids))
    progress = shop.client.get(response.headers["Location"], headers=shop.auth)
    assert progress.status_code == 200 and progress.json["status"] == "done", progress.json
    return booking_answer(progress.json, order_ids)


def booking_answer(job, order_ids):
    """The job's items as the booking answer was: counts, and one result per order in the order given."""
    by_order = {item["order_id"]: item for item in job["items"]}
    assert len(by_order) == len(job["items"]) == job["total"], "one result per order"
    items = [by_order[i] for i in dict.fromkeys(order_ids)]
    counts = {outcome: sum(1 for i in items if i["outcome"] == outcome) for outcome in ("booked", "refused", "not_attempted")}
    return {**counts, "items": items}


def consignments(app):
    with app.app_context():
        return db.session.execute(select(Consignment)).scalars().all()


def courier_data(shop, wc_id):
    order = shop.store.data.order(wc_id)
    meta = {m["key"]: m["value"] for m in order["meta_data"]}
    return json.loads(meta["_courier_data"]) if "_courier_data" in meta else None


def test_book_one_order_writes_courier_data_and_a_note(app, shop, steadfast):
    [wc_id] = bookable(app, shop)
    answer = book(shop, [wc_id])
    [item] = answer["items"]
    assert item["outcome"] == "booked", item
    assert answer["booked"] == 1 and item["consignment_id"] and item["tracking_code"]
    assert item["woocommerce_updated"] is True
    parcel = steadfast.parcel(int(item["consignment_id"]))
    with app.app_context():
        order = db.session.execute(select(Order).where(Order.wc_id == wc_id)).scalar_one()
        assert order.courier == "steadfast"
        assert parcel.invoice == (order.number or str(wc_id))
    [row] = consignments(app)
    assert (row.consignment_id, row.order_wc_id, row.courier) == (item["consignment_id"], wc_id, "steadfast")
    data = courier_data(shop, wc_id)
    assert data["courier"] == "steadfast" and data["consignment_id"] == item["consignment_id"]
    assert data["tracking_code"] == item["tracking_code"] and data["booked_at"].endswith("Z")
    # the note rides in the same orders/batch call (the plugin turns its meta into the note): no call per order
    notes = shop.store.data.notes_of(wc_id)
    assert len(notes) == 1 and item["consignment_id"] in notes[0]["note"]
    assert "_bikri_booking_note" not in {m["key"] for m in shop.store.data.order(wc_id)["meta_data"]}
    calls = shop.store.data.calls
    assert calls["POST orders/batch"] == 1 and not calls["PUT orders/<id>"] and not calls["POST orders/<id>/notes"]

    again = book(shop, [wc_id])["items"][0]
    assert again["outcome"] == "not_attempted" and "already booked" in again["message"]
    assert len(steadfast.parcels) == 1


def test_bulk_one_bad_order_never_fails_the_others(app, shop, steadfast):
    ids = bookable(app, shop, 3)
    with app.app_context():
        db.session.execute(update(Order).where(Order.wc_id == ids[1]).values(billing_phone="12345"))
        db.session.execute(update(Order).where(Order.wc_id == ids[2]).values(billing_address=""))
        db.session.commit()
        done = db.session.execute(select(Order.wc_id).where(Order.status == "completed")).scalars().first()
    answer = book(shop, ids + [done, 999999])
    outcomes = [i["outcome"] for i in answer["items"]]
    assert outcomes == ["booked", "not_attempted", "not_attempted", "not_attempted", "not_attempted"]
    bad_phone, no_address, completed, unknown = answer["items"][1:]
    assert "12345" in bad_phone["message"] and "phone" in bad_phone["message"]
    assert "address" in no_address["message"]
    assert "completed" in completed["message"]
    assert "999999" in unknown["message"]
    assert len(steadfast.parcels) == 1


def test_bulk_goes_through_one_bulk_call(app, shop, steadfast):
    ids = bookable(app, shop, 4)
    answer = book(shop, ids)
    assert answer["booked"] == 4
    assert steadfast.calls.get("bulk_order") == 1 and not steadfast.calls.get("create_order")
    assert all(courier_data(shop, wc_id) for wc_id in ids)


def test_double_click_books_once(app, shop, steadfast):
    [wc_id] = bookable(app, shop)
    steadfast.slow_next(0.8)
    answers = []

    def click():
        with app.test_client() as client:
            response = client.post("/api/v1/couriers/bookings", json={"order_ids": [wc_id]}, headers=shop.auth)
            job = client.get(response.headers["Location"], headers=shop.auth).json
            answers.append(job["items"][0])

    assert errors_at_once(click, 2) == []
    assert sorted(a["outcome"] for a in answers) == ["booked", "not_attempted"], answers
    # the second click came while the first was still with Steadfast: it found the claim
    assert any("right now" in a["message"] for a in answers if a["outcome"] == "not_attempted"), answers
    assert len(steadfast.parcels) == 1 and len(consignments(app)) == 1


def test_dropped_answer_is_looked_up_not_created_again(app, shop, steadfast):
    [wc_id] = bookable(app, shop)
    steadfast.drop_next_create()
    first = book(shop, [wc_id])["items"][0]
    # the parcel exists at Steadfast; we never heard. The lookup by invoice finds it at once.
    assert first["outcome"] == "booked", first
    assert len(steadfast.parcels) == 1
    assert steadfast.calls.get("create_order") == 1
    again = book(shop, [wc_id])["items"][0]
    assert again["outcome"] == "not_attempted"
    assert len(steadfast.parcels) == 1 and steadfast.calls.get("create_order") == 1


def test_unanswered_and_absent_is_retried_safely(app, shop, steadfast):
    [wc_id] = bookable(app, shop)
    steadfast.fail_next(count=2, status=503)  # the create, then the lookup: both fail
    first = book(shop, [wc_id])["items"][0]
    assert first["outcome"] == "refused" and not steadfast.parcels
    with app.app_context():
        assert db.session.execute(select(BookingAttempt.state)).scalar_one() == "failed"
    second = book(shop, [wc_id])["items"][0]  # looked up (absent), then created
    assert second["outcome"] == "booked" and len(steadfast.parcels) == 1


def test_crash_between_answer_and_write_is_healed_on_retry(app, shop, steadfast, monkeypatch):
    [wc_id] = bookable(app, shop)

    def crash(*args, **kwargs):
        raise RuntimeError("process killed")

    monkeypatch.setattr(booking, "register_consignment", crash)
    with app.test_request_context():
        site = db.session.get(Site, shop.site_id)
        with pytest.raises(RuntimeError):
            booking.book_orders(site, [wc_id])
        db.session.rollback()
        assert len(steadfast.parcels) == 1 and consignments(app) == []
        # a second click at once finds the claim and sends nothing
        busy = booking.book_orders(site, [wc_id])[0]
        assert busy.outcome == "not_attempted" and "right now" in busy.message
        # once the claim is older than a booking can take, the retry looks the invoice up
        db.session.execute(update(BookingAttempt).values(claimed_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
        monkeypatch.undo()
        healed = booking.book_orders(site, [wc_id])[0]
        assert healed.outcome == "booked", healed.message
        assert "not booked again" in healed.message
    assert len(steadfast.parcels) == 1 and steadfast.calls.get("create_order") == 1
    with app.app_context():
        assert db.session.execute(select(Order.courier).where(Order.wc_id == wc_id)).scalar_one() == "steadfast"
    assert courier_data(shop, wc_id)["courier"] == "steadfast"


def a_booking_job(site_id, wc_ids):
    """A booking job whose task has not run yet (it is run by hand below, as a worker would)."""
    from backend.tasks.models import WorkJob

    job = WorkJob(site_id=site_id, kind="booking", task=booking.BOOK_MANY, per_task=100, total=len(wc_ids),
                  params=json.dumps({"courier": "steadfast", "note": None, "_items": [str(i) for i in wc_ids]}),
                  created_at=utcnow())
    db.session.add(job)
    db.session.commit()
    return job.id


def job_results(job_id):
    from backend.tasks.models import WorkJob
    from backend.tasks.service import job_view

    return {int(item["item"]): item for item in job_view(db.session.get(WorkJob, job_id))["items"]}


def killed_after_registering(monkeypatch):
    """The worker dies right after the consignment is written, before the commit that keeps it."""
    register = booking.register_consignment

    def register_then_die(*args, **kwargs):
        register(*args, **kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(booking, "register_consignment", register_then_die)


def test_a_worker_killed_after_the_courier_answered_keeps_both_writes_or_neither(app, shop, steadfast, monkeypatch):
    """The consignment and the booked attempt are kept by one commit, on SQLite too (a savepoint
    opened with no transaction open used to commit the consignment alone on release). The job's
    task, delivered again, reports the order booked, and nothing is created twice."""
    ids = bookable(app, shop, 2)
    with app.test_request_context():
        site = db.session.get(Site, shop.site_id)
        job_id = a_booking_job(site.id, ids)
        killed_after_registering(monkeypatch)
        with pytest.raises(RuntimeError):
            booking.book_job_items(site.id, job_id, ids)
        db.session.rollback()  # what the killed worker had not committed is gone
        assert len(steadfast.parcels) == 2
        states = dict(db.session.execute(select(BookingAttempt.order_wc_id, BookingAttempt.state)).all())
        recorded = set(db.session.execute(select(Consignment.order_wc_id)).scalars())
        assert recorded == {wc_id for wc_id, state in states.items() if state == "booked"}, (states, recorded)

        monkeypatch.undo()
        booking.book_job_items(site.id, job_id, ids)  # the task, delivered again
        db.session.commit()
        results = job_results(job_id)
        assert [results[wc_id]["outcome"] for wc_id in ids] == ["booked", "booked"], results
        assert set(db.session.execute(select(BookingAttempt.state)).scalars()) == {"booked"}
    assert len(steadfast.parcels) == 2 and steadfast.calls.get("bulk_order") == 1
    assert all(courier_data(shop, wc_id)["courier"] == "steadfast" for wc_id in ids)


def test_a_consignment_kept_without_its_booked_attempt_is_booked_for_its_job(app, shop, steadfast, monkeypatch):
    """What a worker killed at that moment left before the fix (on SQLite): the consignment
    recorded, the job's claim still `sending`. The job's task, delivered again, reports the order
    booked with its consignment (not "already booked"), marks the claim booked and writes
    WooCommerce."""
    [wc_id] = bookable(app, shop, 1)
    with app.test_request_context():
        site = db.session.get(Site, shop.site_id)
        job_id = a_booking_job(site.id, [wc_id])
        killed_after_registering(monkeypatch)
        with pytest.raises(RuntimeError):
            booking.book_job_items(site.id, job_id, [wc_id])
        db.session.rollback()
        monkeypatch.undo()
        [parcel] = steadfast.parcels.values()
        booking.register_consignment(site, parcel.invoice, "steadfast", str(parcel.consignment_id),
                                     parcel.tracking_code, Decimal("100"), wc_id)
        db.session.commit()
        attempt = db.session.execute(select(BookingAttempt)).scalar_one()
        assert (attempt.state, attempt.job_id) == ("sending", job_id)

        booking.book_job_items(site.id, job_id, [wc_id])
        db.session.commit()
        result = job_results(job_id)[wc_id]
        assert result["outcome"] == "booked", result
        assert result["consignment_id"] == str(parcel.consignment_id) and result["woocommerce_updated"]
        db.session.expire_all()
        attempt = db.session.execute(select(BookingAttempt)).scalar_one()
        assert (attempt.state, attempt.consignment_id) == ("booked", str(parcel.consignment_id))
    assert len(steadfast.parcels) == 1
    assert courier_data(shop, wc_id)["consignment_id"] == str(parcel.consignment_id)


def test_woocommerce_failure_keeps_the_booking_and_is_repaired(app, shop, steadfast):
    [wc_id] = bookable(app, shop)
    shop.store.data.fail_status, shop.store.data.fail_remaining = 403, 1  # a security plugin says no, once
    item = book(shop, [wc_id])["items"][0]
    assert item["outcome"] == "booked" and item["woocommerce_updated"] is False and item["woocommerce_problem"]
    assert courier_data(shop, wc_id) is None
    again = book(shop, [wc_id])["items"][0]
    assert again["outcome"] == "not_attempted" and again["woocommerce_updated"] is True
    assert courier_data(shop, wc_id)["consignment_id"] == item["consignment_id"]
    assert len(steadfast.parcels) == 1


def test_no_default_courier_and_none_connected_says_so(app, shop):
    shop.client.put("/api/v1/couriers/settings", json={"default_courier": ""}, headers=shop.auth)
    assert shop.client.delete("/api/v1/couriers/steadfast/account", headers=shop.auth).status_code == 204
    response = shop.client.post("/api/v1/couriers/bookings", json={"order_ids": [1]}, headers=shop.auth)
    assert response.status_code == 422 and response.json["error"]["code"] == "no_default_courier"


def test_the_only_connected_courier_books_without_a_default(app, shop, steadfast):
    """Issue 17 item 12: one courier connected and no default chosen: one click books with it."""
    assert shop.client.put("/api/v1/couriers/settings", json={"default_courier": ""},
                           headers=shop.auth).json["default_courier"] is None
    ids = bookable(app, shop, 1)
    item = book(shop, ids)["items"][0]
    assert item["outcome"] == "booked", item
    assert [c.courier for c in consignments(app)] == ["steadfast"]
    assert len(steadfast.parcels) == 1
    # the desk's booking dialog offers it too, instead of asking for a default courier
    page, _session = shop.open_page("orders")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="book-selected"' in html and "Book selected orders with Steadfast" in html


def test_desk_courier_filter_and_column(app, shop, steadfast):
    ids = bookable(app, shop, 2)
    booked = book(shop, ids[:1])["items"][0]
    rows = shop.get("/api/v1/orders?courier=steadfast").json["orders"]
    assert [r["wc_id"] for r in rows] == ids[:1]
    assert rows[0]["courier"] == "steadfast" and rows[0]["consignment_id"] == booked["consignment_id"]


def test_order_desk_books_one_click_and_bulk_and_shows_the_consignment(app, shop, steadfast):
    ids = bookable(app, shop, 3)
    response, headers = open_embed(shop)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Book selected orders with Steadfast" in page and "Balance: ৳" in page
    # bulk booking sits in the bulk bar beside the status change, not in a collapsed box (issue 20)
    bulk_bar = re.search(r'<form id="desk-bulk".*?</form>', page, re.S).group(0)
    assert 'id="book-selected"' in bulk_bar and 'id="bulk-apply"' in bulk_bar and "<details" not in bulk_bar
    rows = shop.client.get("/embed/orders/list", query_string={"status": "processing"}, headers=headers).get_data(as_text=True)
    assert "book-one" in rows
    one = shop.client.post("/embed/orders/book", data={"order": [ids[0]]}, headers=headers)
    assert one.status_code == 200 and one.headers.get("HX-Trigger") == "orders-changed"
    assert "1 of 1 orders booked." in one.get_data(as_text=True)
    bulk = shop.client.post("/embed/orders/book", data={"order": ids, "note": "Call before"}, headers=headers).get_data(as_text=True)
    assert "2 of 3 orders booked." in bulk and "already booked" in bulk
    assert all(p.fields.get("note") == "Call before" for p in steadfast.parcels.values() if p.invoice != str(ids[0]))
    listed = shop.client.get("/embed/orders/list", query_string={"courier": "steadfast"}, headers=headers).get_data(as_text=True)
    assert listed.count('class="order-row"') == 3
    with app.app_context():
        for c in db.session.execute(select(Consignment)).scalars():
            assert c.consignment_id in listed
    balance = shop.client.get("/embed/orders/booking-balance", headers=headers).get_data(as_text=True)
    assert "Balance" in balance
    nothing = shop.client.post("/embed/orders/book", data={}, headers=headers).get_data(as_text=True)
    assert "Select the orders to book first." in nothing


def test_staff_book_but_do_not_see_the_balance(app, shop, steadfast):
    response, headers = open_embed(shop, role="shop_staff")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Book selected orders with Steadfast" in page and "Balance" not in page
    assert shop.client.get("/embed/orders/booking-balance", headers=headers).status_code == 403


def test_another_shops_booking_job_is_not_found(app, shop, steadfast, make_shop):
    [wc_id] = bookable(app, shop)
    started = shop.client.post("/api/v1/couriers/bookings", json={"order_ids": [wc_id]}, headers=shop.auth)
    assert started.status_code == 202
    other = make_shop(url="https://shop-b.example.com")
    answer = other.get(started.headers["Location"])
    assert answer.status_code == 404 and answer.json["error"]["code"] == "job_not_found"
    _page, headers = open_embed(other)
    assert other.client.get(f"/embed/orders/jobs/{started.json['job']['id']}", headers=headers).status_code == 404
    assert shop.get(started.headers["Location"]).json["items"][0]["outcome"] == "booked"


def test_nothing_is_queued_when_the_courier_is_not_connected(app, shop, steadfast):
    """What the request can refuse (422/404) it refuses before a job exists."""
    from backend.tasks.models import WorkJob
    assert shop.client.delete("/api/v1/couriers/steadfast/account", headers=shop.auth).status_code == 204
    response = shop.client.post("/api/v1/couriers/bookings", json={"order_ids": [1]}, headers=shop.auth)
    assert response.status_code == 404 and response.json["error"]["code"] == "courier_not_connected"
    with app.app_context():
        assert db.session.execute(select(WorkJob).where(WorkJob.kind == "booking")).first() is None


def test_a_task_that_gives_up_ends_its_job_and_lets_its_claims_go(app, shop, steadfast, monkeypatch):
    """A crash after Steadfast created the parcel, every retry used up: the order gets a result
    (the job ends), a dead letter is written, and the claim is let go as failed, so booking
    again at once looks the invoice up and finds the parcel instead of creating a second."""
    from backend.tasks.models import DeadTask

    [wc_id] = bookable(app, shop)

    def crash(*args, **kwargs):
        raise RuntimeError("process killed")

    monkeypatch.setattr(booking, "register_consignment", crash)
    [item] = book(shop, [wc_id])["items"]
    assert item["outcome"] == "refused" and "could not finish booking" in item["message"], item
    with app.app_context():
        assert db.session.execute(select(BookingAttempt.state)).scalar_one() == "failed"
        assert [d.task for d in db.session.execute(select(DeadTask)).scalars()] == ["couriers.book_one"]
    monkeypatch.undo()
    [again] = book(shop, [wc_id])["items"]
    assert again["outcome"] == "booked" and "not booked again" in again["message"], again
    assert len(steadfast.parcels) == 1 and steadfast.calls.get("create_order") == 1


def test_steadfast_is_asked_within_its_rate_across_workers(app, shop, steadfast, monkeypatch):
    """Every call to Steadfast takes a turn in Redis (coordination.take_turn) under the account's
    key at COURIERS["steadfast"]["requests_per_second"]: at 1 a second, three bookings' creates
    span at least two seconds' windows, whichever process sends them."""
    import time

    from backend.couriers.models import CourierAccount
    from backend.tasks import coordination

    app.config["COURIERS"]["steadfast"]["requests_per_second"] = 1.0
    turns = []
    real_take_turn = coordination.take_turn

    def take_turn(service, per_second, **kwargs):
        turns.append((service, per_second))
        return real_take_turn(service, per_second, **kwargs)

    monkeypatch.setattr(coordination, "take_turn", take_turn)
    ids = bookable(app, shop, 3)
    started = time.monotonic()
    answers = [book(shop, [wc_id])["items"][0]["outcome"] for wc_id in ids]
    assert answers == ["booked"] * 3 and steadfast.calls.get("create_order") == 3
    assert time.monotonic() - started >= 1.0
    with app.app_context():
        account_id = db.session.execute(select(CourierAccount.id)).scalar_one()
    assert turns == [(f"steadfast:{account_id}", 1.0)] * 3


def test_the_queue_down_refuses_the_booking_before_anything_is_written(app, shop, steadfast):
    from backend.tasks.models import WorkJob

    [wc_id] = bookable(app, shop)
    app.config["BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    response = shop.client.post("/api/v1/couriers/bookings", json={"order_ids": [wc_id]}, headers=shop.auth)
    assert response.status_code == 503 and response.json["error"]["code"] == "queue_unavailable"
    _page, headers = open_embed(shop)
    desk = shop.client.post("/embed/orders/book", data={"order": [wc_id]}, headers=headers).get_data(as_text=True)
    assert "work queue is not answering" in desk
    with app.app_context():
        assert db.session.execute(select(WorkJob).where(WorkJob.kind == "booking")).first() is None
        assert db.session.execute(select(BookingAttempt)).first() is None
    assert not steadfast.parcels
