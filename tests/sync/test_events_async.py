"""POST /api/v1/events with `Prefer: respond-async`: validated and stored, answered "accepted",
applied by a worker's task once the answer's commit stored them; what no task applied (the
broker lost it, a worker died), the jobs process applies."""
import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.orders.models import OrderItem
from backend.sync import service
from backend.sync.models import EventInbox
from tests.sync.helpers import stored
from tests.sync.test_events import event, order

ASYNC = {"Prefer": "respond-async"}


def post_async(shop, *events):
    response = shop.post("/api/v1/events", json={"events": list(events)}, headers=ASYNC)
    assert response.status_code == 202, response.json
    assert response.headers["Preference-Applied"] == "respond-async"
    return response


@pytest.fixture
def held_tasks(app, monkeypatch):
    """The apply tasks the answers queued, held instead of run: `held_tasks.run()` is the worker
    taking them; never running them is the broker losing them (or the worker dying)."""
    from backend.sync import routes, tasks

    class Held(list):
        def run(self):
            with app.app_context():
                for kwargs in self:
                    tasks.apply_accepted_events(**kwargs)
                    db.session.commit()
            self.clear()

    held = Held()
    monkeypatch.setattr(routes, "enqueue", lambda task, **kwargs: held.append(kwargs))
    return held


def inbox_rows(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(EventInbox)).scalar_one()


def test_accepted_events_are_applied_by_a_task_once_stored(app, shop, held_tasks):
    response = post_async(shop, event(order(1, status="processing"), type="created"),
                          {"idempotency_key": "bad-1", "type": "updated"})
    results = response.json["results"]
    assert [r["status"] for r in results] == ["accepted", "error"]
    assert results[1]["error"]["code"] == "invalid_event" and "order_id" in results[1]["error"]["message"]
    assert 1 not in stored(app, shop.site_id) and inbox_rows(app) == 1  # stored, not yet applied
    assert held_tasks == [{"site_id": shop.site_id, "inbox_id": held_tasks[0]["inbox_id"]}]
    held_tasks.run()  # a worker takes the task
    assert stored(app, shop.site_id)[1].status == "processing"
    assert inbox_rows(app) == 0


def test_with_the_tasks_running_the_events_are_stored_when_the_answer_comes(app, shop):
    """The unit tests' inline broker runs the task right after the answer's commit."""
    post_async(shop, event(order(5, status="processing"), type="created"))
    assert stored(app, shop.site_id)[5].status == "processing" and inbox_rows(app) == 0


def inbox(app):
    with app.app_context():
        return [(row.attempts, row.not_before, row.last_error, row.events)
                for row in db.session.execute(select(EventInbox).order_by(EventInbox.id)).scalars()]


def left_by_a_dead_worker(app):
    """What the jobs process sees once a row has waited past INBOX_ORPHAN_AFTER."""
    with app.app_context():
        db.session.execute(EventInbox.__table__.update().values(not_before=EventInbox.received_at))
        db.session.commit()


def run_inbox_job(app):
    from backend.jobs.table import JOBS

    job = next(job for job in JOBS if job.name == "apply_event_inbox")
    with app.app_context():
        return job.target()()


def test_a_batch_its_worker_never_applied_is_applied_by_the_jobs_process(app, shop, held_tasks):
    # its task is never run: the broker lost it, or its worker died before applying
    unclosed = post_async(shop, event(order(2, status="on-hold"), type="created"))
    assert run_inbox_job(app) == 0, "a fresh row belongs to the worker that accepted it"
    left_by_a_dead_worker(app)
    assert run_inbox_job(app) == 1
    assert stored(app, shop.site_id)[2].status == "on-hold" and inbox_rows(app) == 0
    assert unclosed.status_code == 202


def test_sent_twice_applied_once(app, shop):
    body = order(3, status="processing")
    for _ in range(2):  # the plugin's request timed out after the service had stored it: sent again
        post_async(shop, event(body, key="evt-3")).close()
    assert len(stored(app, shop.site_id)) == 1
    with app.app_context():
        items = db.session.execute(select(func.count()).select_from(OrderItem).where(OrderItem.site_id == shop.site_id)).scalar_one()
    assert items == len(body["line_items"])
    assert shop.post("/api/v1/events", json={"events": [event(body, key="evt-3")]}).json["results"][0]["status"] == "duplicate"


def test_a_crash_while_applying_leaves_the_batch_whole_for_a_later_try(app, shop, monkeypatch):
    from backend.orders import service as orders

    real, calls = orders.upsert_normalised, []

    def crash_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the worker was killed mid-apply")
        return real(*args, **kwargs)

    monkeypatch.setattr(orders, "upsert_normalised", crash_once)
    post_async(shop, event(order(5, status="processing")), event(order(6, status="completed"))).close()
    assert stored(app, shop.site_id) == {}, "nothing half-applied"
    [(attempts, _when, _error, events)] = inbox(app)
    assert attempts == 1 and '"order_id":5' in events and '"order_id":6' in events
    left_by_a_dead_worker(app)
    assert run_inbox_job(app) == 1
    rows = stored(app, shop.site_id)
    assert (rows[5].status, rows[6].status) == ("processing", "completed") and inbox_rows(app) == 0


def test_events_that_may_succeed_later_are_retried_alone_then_dropped(app, shop):
    lonely = event(type="updated", order_id=7, modified="2026-03-01T00:00:00", key="fetch-me")  # no body, no WooCommerce key
    post_async(shop, lonely, event(order(8))).close()
    assert 8 in stored(app, shop.site_id)
    [(attempts, not_before, error, events)] = inbox(app)
    assert attempts == 1 and "not connected" in error and '"fetch-me"' in events and '"order_id":8' not in events
    for _ in range(service.INBOX_ATTEMPTS - 1):
        left_by_a_dead_worker(app)
        run_inbox_job(app)
    assert inbox_rows(app) == 0, "given up: reconciliation's pull finds the order"
    events = shop.get("/api/v1/sync/status").json["events"]
    assert events["failed"] == 1 and events["waiting"] == 0
    assert events["last_error"].startswith("Order #7:") and "not connected" in events["last_error"]


def test_an_order_that_cannot_be_read_is_reported_in_the_sync_status(app, shop, held_tasks):
    status = shop.get("/api/v1/sync/status").json["events"]
    assert status == {"waiting": 0, "failed": 0, "last_error": None, "last_error_at": None, "unstored": None}
    unclosed = post_async(shop, event(order(41, total="twelve")), event(order(40)))
    assert [r["status"] for r in unclosed.json["results"]] == ["accepted", "accepted"]  # its body is WooCommerce's to check
    assert shop.get("/api/v1/sync/status").json["events"]["waiting"] == 1
    held_tasks.run()
    assert 40 in stored(app, shop.site_id) and 41 not in stored(app, shop.site_id)
    status = shop.get("/api/v1/sync/status").json["events"]
    assert status["waiting"] == 0 and status["failed"] == 1 and status["last_error_at"]
    assert status["last_error"].startswith("Order #41:") and "total" in status["last_error"]
    assert status["unstored"]["order_id"] == 41 and status["unstored"]["reason"] == status["last_error"]
    assert inbox_rows(app) == 0, "not retried: the same body would fail the same way"
    post_async(shop, event(order(41, modified="2026-03-01T11:00:00")))  # a later change stores it
    held_tasks.run()
    status = shop.get("/api/v1/sync/status").json["events"]
    assert status["unstored"] is None and status["failed"] == 1, "the count is history; the alarm is over"


def test_a_malformed_request_is_refused_whole_as_without_the_preference(app, shop):
    response = shop.post("/api/v1/events", json={"events": []}, headers=ASYNC)
    assert response.status_code == 422 and inbox_rows(app) == 0


def test_the_scheduler_applies_each_shops_orphaned_rows_in_its_own_task(app, make_shop, held_tasks):
    """Per shop (issue 19): the job lists the shops with rows due, and one shop's run applies
    that shop's rows only."""
    first, second = make_shop("https://shop-a.example.com"), make_shop("https://shop-b.example.com")
    # their tasks never run: their workers died before applying
    unclosed = [post_async(first, event(order(3, status="on-hold"), type="created")),
                post_async(second, event(order(4, status="processing"), type="created"))]
    with app.app_context():
        assert service.sites_with_inbox_due() == []  # fresh rows are their accepting workers'
    left_by_a_dead_worker(app)
    with app.app_context():
        assert service.sites_with_inbox_due() == sorted([first.site_id, second.site_id])
        assert service.apply_site_inbox(second.site_id) == 1
        db.session.commit()
        assert service.sites_with_inbox_due() == [first.site_id]
    assert 4 in stored(app, second.site_id) and 3 not in stored(app, first.site_id)
    assert [answer.status_code for answer in unclosed] == [202, 202]
