"""A manual order (O2) is sent to WooCommerce by a worker, never by the web request: the request
validates, queues a one-item job and waits a few seconds for it (here tasks run inline, right
after the request commits what it wrote). A create is never sent twice."""
import json
import re

import pytest
from sqlalchemy import select

from backend.desk import manual_orders
from backend.extensions import db
from backend.orders.models import Order
from backend.tasks import RetryLater
from backend.tasks.execution import run_inline
from backend.tasks.models import WorkJob
from backend.tasks import service as task_service
from backend.tasks.registry import task_named
from tests.desk.test_writes import manual
from tests.embed_helpers import open_embed
from tests.sync.helpers import hold_tasks, transactions_while_asked, writes_while_asked

FORM = {"name": "Karim Uddin", "phone": "01811223344", "address": "Road 1", "district": "BD-13", "product": ["101"],
        "quantity": ["2"], "shipping": "60", "payment_method": "cod"}


def jobs(app, site_id):
    with app.app_context():
        return list(db.session.execute(select(WorkJob).where(WorkJob.site_id == site_id, WorkJob.kind == "manual_order")
                                       .order_by(WorkJob.id)).scalars())


def stored_wc_ids(app, site_id):
    with app.app_context():
        return set(db.session.execute(select(Order.wc_id).where(Order.site_id == site_id)).scalars())


@pytest.fixture
def worker_late(app, monkeypatch):
    """Tasks run inline here, within the request: this holds the create back as a busy worker
    would (the request's wait ends first); `deliver(site_id, job_id)` then runs it as the worker does."""
    create, held = manual_orders.create_order_of_job, [True]
    monkeypatch.setattr(manual_orders, "create_order_of_job",
                        lambda site_id, job_id, items: None if held[0] else create(site_id, job_id, items))

    def deliver(site_id, job_id):
        held[0] = False
        with app.app_context():
            run_inline(task_named(manual_orders.TASK), site_id, {"job_id": job_id, "items": [manual_orders.ITEM]})
    return deliver


def test_woocommerce_is_asked_by_the_task_with_no_write_open(app, synced):
    with writes_while_asked(app, synced.store) as writing:
        response = synced.post("/api/v1/orders", json=manual())
    assert response.status_code == 201, response.json
    assert writing == []
    assert set(response.json) == {"order", "bikri_total", "woocommerce_total", "total_matches"}
    [job] = jobs(app, synced.site_id)
    assert job.status == "done" and job.started_by == "api"
    assert "payload" not in json.loads(job.params), "the form's payload is not kept once sent"
    assert response.json["order"]["wc_id"] in stored_wc_ids(app, synced.site_id)


def test_woocommerce_is_asked_with_no_transaction_open(app, synced, monkeypatch):
    """A worker's task only reads (the job, the shop) before it sends the order, and ends that
    reading transaction first: none waits open on WooCommerce (PostgreSQL shows readers)."""
    held = hold_tasks(monkeypatch, task_service)
    monkeypatch.setattr(manual_orders, "WAIT_SECONDS", 0)
    response = synced.post("/api/v1/orders", json=manual())
    assert response.status_code == 202, response.json
    with transactions_while_asked(app, synced.store.app) as found:
        held.run(app)
    assert synced.store.data.calls["POST orders"] == 1 and found == []
    [job] = jobs(app, synced.site_id)
    assert job.status == "done"


def test_a_bad_form_queues_nothing(app, synced):
    response = synced.post("/api/v1/orders", json=manual(phone="0171123"))
    assert response.status_code == 422 and jobs(app, synced.site_id) == []


def test_woocommerce_refusing_answers_502_and_stores_nothing(app, synced):
    del synced.store.data.products[102]  # the shop deleted the product after Bikri last read it
    before, known = synced.store.data.total_orders(), stored_wc_ids(app, synced.site_id)
    response = synced.post("/api/v1/orders", json=manual())
    assert response.status_code == 502, response.json
    error = response.json["error"]
    assert error["code"] == "woocommerce_refused" and error["message"].startswith("WooCommerce refused the order: ")
    assert error["details"] == {"woocommerce": ["woocommerce_rest_invalid_product_id"]}
    assert synced.store.data.total_orders() == before and stored_wc_ids(app, synced.site_id) == known
    assert synced.store.data.calls["POST orders"] == 1, "a refused create is not tried again"


def test_a_redelivered_task_never_creates_a_second_order(app, synced, monkeypatch):
    """The first delivery reaches WooCommerce, then dies before its answer is kept (here: asked to
    come back later, so the inline runner delivers the task again): the second delivery finds the
    payload taken and only says the order may exist."""
    upsert = manual_orders.upsert_orders
    deliveries = []

    def dies_once(site_id, answers):
        deliveries.append(answers[0]["id"])
        if len(deliveries) == 1:
            raise RetryLater(0, "the worker died")
        return upsert(site_id, answers)

    monkeypatch.setattr(manual_orders, "upsert_orders", dies_once)
    before = synced.store.data.total_orders()
    response = synced.post("/api/v1/orders", json=manual())
    assert response.status_code == 502, response.json
    assert response.json["error"]["code"] == "woocommerce_unanswered"
    assert "Look for it in WooCommerce's orders" in response.json["error"]["message"]
    assert synced.store.data.total_orders() == before + 1 and synced.store.data.calls["POST orders"] == 1
    assert len(deliveries) == 1, "the second delivery did not ask WooCommerce"
    [job] = jobs(app, synced.site_id)
    assert job.status == "done" and "payload" not in json.loads(job.params)


def test_the_api_answers_202_with_the_job_when_the_worker_is_late(app, synced, worker_late):
    before = synced.store.data.total_orders()
    response = synced.post("/api/v1/orders", json=manual())
    assert response.status_code == 202, response.json
    assert response.headers["Location"] == f"/api/v1/jobs/{response.json['id']}"
    assert response.json["kind"] == "manual_order" and response.json["status"] == "queued"
    assert synced.store.data.total_orders() == before
    worker_late(synced.site_id, response.json["id"])
    job = synced.get(response.headers["Location"]).json
    [item] = job["items"]
    assert job["status"] == "done" and item["outcome"] == "ok"
    assert item["bikri_total"] == item["woocommerce_total"] == synced.store.data.order(item["wc_id"])["total"]
    assert item["wc_id"] in stored_wc_ids(app, synced.site_id)


def test_the_page_says_the_order_is_being_created_then_shows_it(app, synced, worker_late):
    _response, headers = open_embed(synced)
    before = synced.store.data.total_orders()
    pending = synced.client.post("/embed/orders/create", headers=headers, data=FORM).get_data(as_text=True)
    assert 'data-creating="1"' in pending and "Creating the order in WooCommerce" in pending
    assert re.search(r'<button class="button button-primary" type="submit" disabled>', pending), "not sent twice"
    assert 'value="Karim Uddin"' in pending
    poll = re.search(r'data-creating="1"\s+hx-post="([^"]+)"', pending).group(1).replace("&amp;", "&")
    assert 'data-creating="1"' in synced.client.post(poll, headers=headers, data=FORM).get_data(as_text=True)
    worker_late(synced.site_id, int(poll.rsplit("=", 1)[1]))
    done = synced.client.post(poll, headers=headers, data=FORM)
    html = done.get_data(as_text=True)
    assert 'id="manual-created"' in html and 'data-creating' not in html and 'value="Karim Uddin"' not in html
    assert done.headers["HX-Trigger"] == "orders-changed"
    assert synced.store.data.total_orders() == before + 1


def test_the_page_shows_a_late_refusal_with_the_form_as_typed(app, synced, worker_late):
    del synced.store.data.products[101]
    _response, headers = open_embed(synced)
    pending = synced.client.post("/embed/orders/create", headers=headers, data=FORM).get_data(as_text=True)
    poll = re.search(r'data-creating="1"\s+hx-post="([^"]+)"', pending).group(1).replace("&amp;", "&")
    worker_late(synced.site_id, int(poll.rsplit("=", 1)[1]))
    html = synced.client.post(poll, headers=headers, data=FORM).get_data(as_text=True)
    assert "WooCommerce refused the order" in html and 'value="Karim Uddin"' in html and "data-creating" not in html


def test_another_shops_job_is_not_followed(app, synced, make_synced):
    other = make_synced(orders=5, seed=2)
    response = other.post("/api/v1/orders", json=manual())
    assert response.status_code == 201, response.json
    [job] = jobs(app, other.site_id)
    _response, headers = open_embed(synced)
    answer = synced.client.post(f"/embed/orders/create/progress?job={job.id}", headers=headers, data=FORM)
    assert answer.status_code == 404
