"""Desk work through real workers (issue 19): a bulk status change leaves the web request, the
workers write it to the sandbox WooCommerce store once per order, and the desk shows a progress
bar until the results replace it. Run on SQLite and on PostgreSQL (BIKRI_TEST_DB=postgresql)."""
import re
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.couriers import balances, service as courier_service, views as courier_views
from backend.couriers.models import CourierAccount
from backend.desk import manual_orders, views
from backend.extensions import db
from backend.fraud import checks as fraud_checks
from backend.licensing.models import Site
from backend.orders.models import Order
from backend.sandbox.bkash import BkashSandbox
from backend.sandbox.server import SandboxServer
from backend.sms import views as sms_views
from backend.sandbox.steadfast import API_KEY, SECRET_KEY
from tests.couriers.helpers import book_at_sandbox
from tests.desk.test_writes import manual
from tests.tasks.conftest import connect_steadfast


def poll_json(api, location, done=lambda job: job["status"] == "done", step=0.1):
    """Ask `location` (a job, a recharge) until `done(answer)` holds (a job: until it is done), for
    30 s at most; the answer."""
    deadline = time.monotonic() + 30
    while not done(answer := api.get(location).json):
        assert time.monotonic() < deadline, answer
        time.sleep(step)
    return answer


def fetch_while_busy(client, html, poll, headers, busy):
    """What a page's polling does: fetch the fragment at `poll` again while it still shows `busy`
    (30 s at most); its last HTML."""
    deadline = time.monotonic() + 30
    while busy in html:
        assert time.monotonic() < deadline, html
        time.sleep(0.1)
        html = client.get(poll, headers=headers).get_data(as_text=True)
    return html


@pytest.fixture
def synced(make_synced):
    return make_synced(orders=200, seed=11)


def processing(app, site_id, n):
    with app.app_context():
        return list(db.session.execute(select(Order.wc_id).where(Order.site_id == site_id, Order.status == "processing")
                                       .order_by(Order.wc_id).limit(n)).scalars())


def poll_fragment(shop, headers, job_id, seconds=60):
    """Ask for the job's fragment as the progress bar does until the results replace it; every
    fragment seen on the way."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        html = shop.client.get(f"/embed/orders/jobs/{job_id}", headers=headers).get_data(as_text=True)
        seen.append(html)
        if "job-progress" not in html:
            return seen
        time.sleep(0.1)  # the page's own rhythm is once a second; a condition polled, not a sleep to sync
    raise AssertionError(f"job {job_id} did not finish: {seen[-1]}")


def test_a_bulk_status_change_of_30_orders_runs_in_a_worker_once_per_order(app, synced, workers, monkeypatch):
    workers.start(lanes=("transactional", "bulk"), threads=4)
    ids = processing(app, synced.site_id, 30)
    assert len(ids) == 30
    with app.app_context():
        db.session.get(Site, synced.site_id).locale = "bn_BD"  # the shop's notes are in its own language
        db.session.commit()
    synced.store.data.latency = 0.05  # a real shop takes its time; the progress bar has something to show
    monkeypatch.setattr(views, "JOB_WAIT_SECONDS", 0)  # show the progress bar at once
    _page, session = synced.open_page("orders", name="Karim Uddin")
    headers = {"X-Bikri-Embed-Session": session}
    before = synced.store.data.requests

    started = time.monotonic()
    answer = synced.client.post("/embed/orders/status", data={"order": ids, "status": "on-hold"}, headers=headers)
    assert time.monotonic() - started < 1.0, "the request does not wait on WooCommerce"
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'class="notice notice-info job-progress"' in html
    assert "of 30 changed in WooCommerce" in html and 'role="progressbar"' in html
    job_id = int(re.search(r'data-job-id="(\d+)"', html).group(1))

    seen = poll_fragment(synced, headers, job_id)
    progress = [int(m.group(1)) for page in seen if (m := re.search(r"(\d+) of 30 changed in WooCommerce", page))]
    assert progress == sorted(progress), "the bar only moves forward"
    final = seen[-1]
    assert "30 of 30 orders changed in WooCommerce." in final and "status-failures" not in final

    # once per order: one batch call for the 30 statuses, then one note on each
    assert synced.store.data.requests - before == 1 + 30
    for wc_id in ids:
        assert synced.store.data.order(wc_id)["status"] == "on-hold"
        notes = [n["note"] for n in synced.store.data.notes_of(wc_id)]
        assert len(notes) == 1 and "Karim Uddin" in notes[0] and "বিক্রি" in notes[0], notes
    with app.app_context():
        stored = dict(db.session.execute(select(Order.wc_id, Order.status).where(
            Order.site_id == synced.site_id, Order.wc_id.in_(ids))).all())
    assert set(stored.values()) == {"on-hold"}

    job = synced.get(f"/api/v1/jobs/{job_id}").json
    assert job["kind"] == "status_change" and job["status"] == "done" and job["done"] == job["total"] == 30
    assert sorted(item["wc_id"] for item in job["items"]) == sorted(ids)
    assert {(item["outcome"], item["ok"], item["status"], item["note"]) for item in job["items"]} == \
        {("changed", True, "on-hold", True)}


def test_the_api_answers_202_at_once_and_the_worker_finishes_the_job(app, synced, workers):
    workers.start(lanes=("transactional", "bulk"), threads=4)
    [wc_id] = processing(app, synced.site_id, 1)
    answer = synced.post("/api/v1/orders/status", json={"orders": [wc_id], "status": "completed"})
    assert answer.status_code == 202 and answer.json["status"] == "queued"
    location = answer.headers["Location"]
    job = poll_json(synced, location, step=0.05)
    [item] = job["items"]
    assert item["wc_id"] == wc_id and item["ok"] is True and item["status"] == "completed"
    assert synced.store.data.order(wc_id)["status"] == "completed"
    # a bad request is refused before anything is queued
    refused = synced.post("/api/v1/orders/status", json={"orders": [wc_id], "status": "trash"})
    assert refused.status_code == 422



def test_a_manual_order_is_created_by_a_worker_while_the_api_and_the_page_wait(app, synced, workers, monkeypatch):
    """WooCommerce slower than the request waits: the API answers 202 with the job, the page says
    the order is being created and follows it; each order is created once."""
    workers.start(lanes=("transactional",), threads=2)
    synced.store.data.latency = 1.0
    monkeypatch.setattr(manual_orders, "WAIT_SECONDS", 0.2)
    before = synced.store.data.total_orders()

    started = time.monotonic()
    answer = synced.post("/api/v1/orders", json=manual())
    assert time.monotonic() - started < 1.0, "the request does not wait on WooCommerce"
    assert answer.status_code == 202 and answer.headers["Location"] == f"/api/v1/jobs/{answer.json['id']}"
    job = poll_json(synced, answer.headers["Location"])
    [item] = job["items"]
    assert job["kind"] == "manual_order" and item["outcome"] == "ok"
    assert synced.store.data.order(item["wc_id"])["total"] == item["bikri_total"] == item["woocommerce_total"]

    _page, session = synced.open_page("orders")
    headers = {"X-Bikri-Embed-Session": session}
    form = {"name": "Karim Uddin", "phone": "01811223344", "address": "Road 1", "district": "BD-13",
            "product": ["101"], "quantity": ["1"], "shipping": "60", "payment_method": "cod"}
    html = synced.client.post("/embed/orders/create", headers=headers, data=form).get_data(as_text=True)
    assert 'data-creating="1"' in html
    poll = re.search(r'data-creating="1"\s+hx-post="([^"]+)"', html).group(1).replace("&amp;", "&")
    deadline = time.monotonic() + 30
    while 'data-creating="1"' in html:  # what the pending form's poll does, once a second on the page
        assert time.monotonic() < deadline, html
        time.sleep(0.1)
        html = synced.client.post(poll, headers=headers, data=form).get_data(as_text=True)
    assert 'id="manual-created"' in html
    assert synced.store.data.total_orders() == before + 2 and synced.store.data.calls["POST orders"] == 2

# --- the on-demand courier status check ------------------------------------------------------------

def booked_parcels(app, shop, steadfast, n):
    with app.app_context():
        pks = book_at_sandbox(db.session.get(Site, shop.site_id), n)
        db.session.commit()
    steadfast.status_calls.clear()
    return pks


def test_a_status_check_from_the_couriers_page_runs_in_a_worker(app, shop, steadfast, workers, monkeypatch):
    workers.start(lanes=("transactional",), threads=4, BIKRI_STEADFAST_BASE_URL=steadfast.url, BIKRI_STEADFAST_RATE="50")
    connect_steadfast(app, shop)
    pks = booked_parcels(app, shop, steadfast, 4)
    steadfast.advance(2 * 3600)
    steadfast.latency_ms = 300  # a slow courier: the page shows progress first
    monkeypatch.setattr(courier_views, "CHECK_WAIT_SECONDS", 0)
    _page, session = shop.open_page(page="couriers", role="shop_manager")
    headers = {"X-Bikri-Embed-Session": session}

    started = time.monotonic()
    answer = shop.client.post("/embed/couriers/consignments/check", data={"id": [str(pk) for pk in pks]}, headers=headers)
    assert time.monotonic() - started < 1.0, "the request does not wait on the courier"
    html = answer.get_data(as_text=True)
    assert "of 4 checked with the courier" in html and 'role="progressbar"' in html
    job_id = int(re.search(r'data-job-id="(\d+)"', html).group(1))
    deadline = time.monotonic() + 30
    while "job-progress" in html:
        assert time.monotonic() < deadline, html
        time.sleep(0.1)
        answer = shop.client.get(f"/embed/couriers/consignments/check/{job_id}", headers=headers)
        html = answer.get_data(as_text=True)
    assert html.count("changed just now") == 4 and answer.headers["HX-Trigger"] == "checked"
    assert sorted(steadfast.status_calls.values()) == [1, 1, 1, 1], "each parcel asked once"
    # the same job through the API, one result per parcel in the order asked
    job = shop.get(f"/api/v1/jobs/{job_id}").json
    assert [item["id"] for item in sorted(job["items"], key=lambda item: int(item["item"]))] == pks


# --- the courier balance --------------------------------------------------------------------------

def test_the_balance_waits_briefly_then_answers_what_it_knows_and_the_page_polls(app, shop, steadfast, workers,
                                                                                monkeypatch):
    workers.start(lanes=("transactional",), threads=2, BIKRI_STEADFAST_BASE_URL=steadfast.url)
    connect_steadfast(app, shop)
    known = shop.get("/api/v1/couriers/steadfast/balance")
    assert known.status_code == 200 and known.json["refreshing"] is False
    steadfast.accounts[API_KEY].balance = Decimal("312.75")
    steadfast.latency_ms = 1500  # slower than the page waits
    monkeypatch.setattr(balances, "WAIT_SECONDS", 0.2)

    started = time.monotonic()
    answer = shop.get("/api/v1/couriers/steadfast/balance")
    assert time.monotonic() - started < 1.2, "the request does not wait on the courier"
    assert answer.status_code == 202 and answer.json["refreshing"] is True
    assert answer.json["balance"] == known.json["balance"] and answer.json["checked_at"] == known.json["checked_at"]
    assert answer.headers["Location"] == f"/api/v1/jobs/{answer.json['job']}"
    # asking again while the courier is asked joins the same refresh
    assert shop.get("/api/v1/couriers/steadfast/balance").json["job"] == answer.json["job"]
    job = poll_json(shop, answer.headers["Location"])
    assert job["kind"] == "courier_balance" and job["items"][0]["balance"] == "312.75"
    assert steadfast.calls["get_balance"] == 3, "saving the keys, the first ask, one refresh shared by two asks"

    # the booking dialog: the last known balance, being asked, then the answer
    steadfast.accounts[API_KEY].balance = Decimal("99.50")
    _page, session = shop.open_page("orders", role="shop_manager")
    headers = {"X-Bikri-Embed-Session": session}
    html = shop.client.get("/embed/orders/booking-balance", headers=headers).get_data(as_text=True)
    assert 'data-refreshing="1"' in html and "312.75" in html
    poll = re.search(r'hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = fetch_while_busy(shop.client, html, poll, headers, busy='data-refreshing="1"')
    assert "99.50" in html


# --- connecting a courier account -------------------------------------------------------------------

def test_new_courier_keys_are_checked_by_a_worker_while_the_page_polls(app, shop, steadfast, workers, monkeypatch):
    from backend.couriers import key_checks
    workers.start(lanes=("transactional",), threads=2, BIKRI_STEADFAST_BASE_URL=steadfast.url)
    steadfast.latency_ms = 1500  # slower than the request waits
    monkeypatch.setattr(key_checks, "WAIT_SECONDS", 0.2)

    started = time.monotonic()
    answer = shop.client.put("/api/v1/couriers/steadfast/account", headers=shop.auth,
                             json={"api_key": API_KEY, "secret_key": SECRET_KEY})
    assert time.monotonic() - started < 1.2, "the request does not wait on the courier"
    assert answer.status_code == 202 and answer.headers["Location"] == f"/api/v1/jobs/{answer.json['id']}"
    job = poll_json(shop, answer.headers["Location"])
    assert job["kind"] == "courier_keys" and job["items"][0]["outcome"] == "ok"
    assert [a["connected"] for a in shop.get("/api/v1/couriers").json["items"]] == [True]

    # the page: "checking", then the courier's answer replaces it (the sandbox refuses unknown
    # keys before its delay, so the slow answer here is an acceptance)
    _page, session = shop.open_page("couriers")
    headers = {"X-Bikri-Embed-Session": session}
    html = shop.client.post("/embed/couriers/accounts/steadfast", headers=headers,
                            data={"api_key": API_KEY, "secret_key": ""}).get_data(as_text=True)
    assert 'data-checking="1"' in html
    poll = re.search(r'data-checking="1" hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = fetch_while_busy(shop.client, html, poll, headers, busy='data-checking="1"')
    assert "Steadfast accepted the keys" in html
    with app.app_context():
        account = db.session.execute(select(CourierAccount)).scalar_one()
        assert courier_service.account_credentials(account) == {"api_key": API_KEY, "secret_key": SECRET_KEY}


# --- the fraud check ------------------------------------------------------------------------------

def test_a_fraud_check_asks_the_courier_in_a_worker_and_the_panel_polls(app, shop, steadfast, workers, monkeypatch):
    workers.start(lanes=("transactional",), threads=2, BIKRI_STEADFAST_BASE_URL=steadfast.url)
    connect_steadfast(app, shop)
    steadfast.set_history("01711000000", total=22, delivered=15, cancelled=5)
    steadfast.latency_ms = 1500  # slower than the page waits
    monkeypatch.setattr(fraud_checks, "WAIT_SECONDS", 0.2)

    started = time.monotonic()
    answer = shop.post("/api/v1/fraud/check", json={"phone": "01711000000"})
    assert time.monotonic() - started < 1.2, "the request does not wait on the courier"
    assert answer.status_code == 202 and answer.json["kind"] == "fraud_check"
    # the same number asked again while the courier is asked joins the same job: one look-up spent
    assert shop.post("/api/v1/fraud/check", json={"phone": "+8801711000000"}).json["id"] == answer.json["id"]
    job = poll_json(shop, answer.headers["Location"])
    [item] = job["items"]
    assert item["outcome"] == "checked" and item["risk"] == "medium" and item["couriers"][0]["delivered"] == 15
    assert steadfast.calls["fraud_check"] == 1
    # now a recent check: answered at once, from what is stored
    again = shop.post("/api/v1/fraud/check", json={"phone": "01711000000"})
    assert again.status_code == 200 and again.json["cached"] is True and again.json["id"] == item["check_id"]

    # the desk's panel: asking, then the check
    steadfast.set_history("01811000000", total=4, delivered=1, cancelled=3)
    _page, session = shop.open_page("orders", role="shop_manager")
    headers = {"X-Bikri-Embed-Session": session}
    html = shop.client.post("/embed/fraud/check", data={"phone": "01811000000"}, headers=headers).get_data(as_text=True)
    assert "fraud-asking" in html
    poll = re.search(r'hx-get="(/embed/fraud/check/\d+)"', html).group(1)
    html = fetch_while_busy(shop.client, html, poll, headers, busy="fraud-asking")
    assert 'class="fraud-courier"' in html and steadfast.calls["fraud_check"] == 2


# --- a bKash recharge -----------------------------------------------------------------------------

def test_a_bkash_recharge_is_opened_by_a_worker_and_the_page_asks_for_the_address(app, shop, workers, monkeypatch):
    sandbox = BkashSandbox()
    with SandboxServer(sandbox) as url:
        config = sandbox.gateway_config(url)
        monkeypatch.setitem(app.config, "BKASH", config)
        workers.start(lanes=("transactional",), threads=2,
                      **{f"BIKRI_BKASH_{name.upper()}": value for name, value in config.items()})
        sandbox.create_latency = 1.0  # bKash opens the payment slower than the page waits
        monkeypatch.setattr(sms_views, "RECHARGE_WAIT_SECONDS", 0.2)

        started = time.monotonic()
        answer = shop.post("/api/sms/recharge", json={"amount": 500})
        assert time.monotonic() - started < 0.8, "the request does not wait on bKash"
        assert answer.status_code == 202 and answer.json["status"] == "creating" and answer.json["payment_url"] is None
        recharge = poll_json(shop, answer.headers["Location"], lambda recharge: recharge["status"] != "creating")
        assert recharge["status"] == "pending" and recharge["payment_url"].startswith(url + "/pay/")
        [listed] = [r for r in shop.get("/api/sms/recharge-history").json["items"] if r["id"] == recharge["id"]]
        assert listed["payment_url"] == recharge["payment_url"]

        # the SMS page: "opening the payment", then the Pay button
        _page, session = shop.open_page("sms")
        headers = {"X-Bikri-Embed-Session": session}
        html = shop.client.post("/embed/sms/recharge", data={"amount": "700"}, headers=headers).get_data(as_text=True)
        assert "recharge-opening" in html and "Pay with bKash" not in html
        poll = re.search(r'hx-get="(/embed/sms/recharge/\d+)"', html).group(1)
        html = fetch_while_busy(shop.client, html, poll, headers, busy="recharge-opening")
        assert "Pay with bKash" in html and f'href="{url}/pay/' in html
        assert sandbox.count("create") == 2
