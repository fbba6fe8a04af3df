"""The work model's jobs and dead letters, in the unit tests' inline mode (a task runs right
after its caller's commit). The same path on a real broker with real workers is in
tests/tasks/test_*_workers.py."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.extensions import db
from backend.tasks import RetryLater, enqueue, service, task
from backend.tasks.models import DeadTask, WorkJob, WorkJobItem
from backend.tasks.queue import QueueUnavailable
from backend.clock import utcnow

RUNS: list = []


@task("test.core_record_squares", lane="bulk")
def record_squares(site_id, job_id, items):
    RUNS.append(list(items))
    done = service.recorded_items(job_id)
    for item in items:
        if item not in done:
            service.record_item(job_id, item, "ok", f"{item} squared", {"square": int(item) ** 2})


@task("test.core_always_fails", lane="transactional", gave_up=lambda error, site_id, order: RUNS.append(("gave up", order, error)))
def always_fails(site_id, order):
    raise RuntimeError(f"order {order} cannot be done")


@task("test.core_comes_back_later", lane="transactional")
def comes_back_later(site_id):
    RUNS.append("asked")
    raise RetryLater(0.01, "busy")


@task("test.core_finds_nothing_written", lane="transactional")
def finds_nothing_written(site_id):
    RUNS.append(db.session().in_transaction())


@pytest.fixture(autouse=True)
def clear_runs():
    RUNS.clear()


def test_a_job_records_each_item_once_and_finishes_with_its_last(app, shop):
    with app.app_context():
        job = service.start_job(shop.site_id, "squares", [1, 2, 3, 4, 5], record_squares, per_task=2,
                                params={"why": "test"})
        db.session.commit()
        assert RUNS == [["1", "2"], ["3", "4"], ["5"]]  # one task per two items
        job = db.session.get(WorkJob, job.id)
        assert (job.status, job.done, job.total) == ("done", 5, 5)
        assert service.params_of(job) == {"why": "test"}
        # the task delivered again (a redelivered message) records nothing twice
        record_squares(site_id=shop.site_id, job_id=job.id, items=["1", "2"])
        assert service.record_item(job.id, "1", "ok") is False
        db.session.commit()
        assert db.session.get(WorkJob, job.id).done == 5
        assert len(db.session.execute(select(WorkJobItem).where(WorkJobItem.job_id == job.id)).all()) == 5


def test_the_job_api_shows_progress_and_results_to_its_shop_only(app, shop, make_shop):
    with app.app_context():
        job = service.start_job(shop.site_id, "squares", [3, 4], record_squares)
        db.session.commit()
        job_id = job.id
    answer = shop.get(f"/api/v1/jobs/{job_id}")
    assert answer.status_code == 200
    body = answer.json
    assert (body["status"], body["total"], body["done"]) == ("done", 2, 2)
    assert body["items"] == [{"item": "3", "outcome": "ok", "message": "3 squared", "square": 9},
                             {"item": "4", "outcome": "ok", "message": "4 squared", "square": 16}]
    other = make_shop(url="https://shop-b.example.com")
    refused = other.get(f"/api/v1/jobs/{job_id}")
    assert refused.status_code == 404
    assert refused.json["error"]["code"] == "job_not_found"
    assert shop.get("/api/v1/jobs/999999").status_code == 404


def test_a_task_that_keeps_failing_leaves_a_dead_letter_and_tells_its_domain(app, shop):
    with app.app_context():
        enqueue(always_fails, site_id=shop.site_id, order=42)
        db.session.commit()
        dead = db.session.execute(select(DeadTask)).scalar_one()
        assert (dead.task, dead.site_id, dead.lane) == ("test.core_always_fails", shop.site_id, "transactional")
        assert "order 42 cannot be done" in dead.error
        assert RUNS == [("gave up", 42, dead.error)]
        assert service.dead_letter_count() == 1


def test_retrying_a_dead_letter_sends_the_task_again_once(app, shop):
    with app.app_context():
        enqueue(always_fails, site_id=shop.site_id, order=7)
        db.session.commit()
        dead_id = db.session.execute(select(DeadTask.id)).scalar_one()
        assert service.retry_dead_letter(dead_id) is not None
        db.session.commit()
        assert db.session.get(DeadTask, dead_id).retried_at is not None
        assert service.retry_dead_letter(dead_id) is None  # retried already
        # it failed again: a new dead letter, the old one marked retried
        assert service.dead_letter_count() == 1
        assert [run[:2] for run in RUNS] == [("gave up", 7), ("gave up", 7)]


def test_retry_later_is_not_a_failure_until_it_never_gets_its_turn(app, shop):
    with app.app_context():
        enqueue(comes_back_later, site_id=shop.site_id)
        db.session.commit()
        assert RUNS == ["asked"] * 3
        assert "come back later" in db.session.execute(select(DeadTask.error)).scalar_one()


def test_a_task_starts_with_nothing_written(app, shop):
    """Tasks that ask an outside service first (adtracking.send_event, notifications.email,
    inventory.fetch_items) rely on it: what their caller wrote is committed before they run, so
    no write of it waits open while the service answers."""
    with app.app_context():
        job = service.start_job(shop.site_id, "squares", [1], record_squares)
        db.session.commit()
        db.session.execute(update(WorkJob).where(WorkJob.id == job.id).values(error="the caller's write"))
        assert db.session().in_transaction()
        enqueue(finds_nothing_written, site_id=shop.site_id)
        assert RUNS[-1] is False
        db.session.rollback()
        committed = db.session.execute(select(WorkJob.error).where(WorkJob.id == job.id)).scalar_one()
        assert committed == "the caller's write"  # kept before the task ran


def test_work_is_refused_before_anything_is_written_when_the_broker_is_down(app, shop):
    app.config["BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    with app.app_context():
        with pytest.raises(QueueUnavailable) as refused:
            service.start_job(shop.site_id, "squares", [1], record_squares)
        assert (refused.value.status, refused.value.code) == (503, "queue_unavailable")
        db.session.rollback()
        assert db.session.execute(select(WorkJob)).first() is None


def test_a_stalled_job_gets_its_unfinished_items_again(app, shop):
    with app.app_context():
        job = service.start_job(shop.site_id, "squares", [1, 2, 3], record_squares, per_task=3)
        db.session.commit()
        # as if the broker never got the task for items 2 and 3
        db.session.execute(update(WorkJob).where(WorkJob.id == job.id).values(status="running", done=1))
        db.session.execute(WorkJobItem.__table__.delete().where(WorkJobItem.item.in_(["2", "3"])))
        long_ago = utcnow() - service.STALLED_AFTER - timedelta(minutes=1)
        db.session.execute(update(WorkJob).values(created_at=long_ago))
        db.session.execute(update(WorkJobItem).values(created_at=long_ago))
        db.session.commit()
        RUNS.clear()
        assert service.resume_stalled_jobs() == 1
        db.session.commit()
        assert RUNS == [["2", "3"]]
        job = db.session.get(WorkJob, job.id)
        assert (job.status, job.done) == ("done", 3)
        assert service.resume_stalled_jobs() == 0


def test_a_result_recorded_by_a_run_that_failed_is_not_kept(app, shop):
    """The item and the job's count go together: on SQLite a savepoint that opened the
    transaction committed the item on its own, and the job could never finish."""
    with app.app_context():
        job = WorkJob(site_id=shop.site_id, kind="squares", task="test.core_record_squares", total=2, created_at=utcnow())
        db.session.add(job)
        db.session.commit()
        assert service.record_item(job.id, "1", "ok") is True
        db.session.rollback()  # the run failed after recording
        assert db.session.execute(select(WorkJobItem).where(WorkJobItem.job_id == job.id)).first() is None
        assert service.record_item(job.id, "1", "ok") is True  # the retried run records it
        db.session.commit()
        assert db.session.get(WorkJob, job.id).done == 1
