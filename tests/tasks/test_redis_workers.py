"""The work model's core on real workers and Redis: a job survives a worker killed in the middle
of it (its messages come back after the heartbeat timeout, each item is recorded once), and a
task that keeps failing ends as a dead letter once its retries are used up."""
import signal

from sqlalchemy import func, select

from backend.extensions import db
from backend.tasks.models import DeadTask, WorkJob, WorkJobItem
from backend.tasks import enqueue
from backend.tasks.service import start_job
from backend.clock import utcnow
from tests.tasks import declared
from tests.wait import wait_until

# a killed worker is noticed after 2 s instead of 30 s, and on any broker call instead of 1 in 1000
QUICK_REDELIVERY = {"BIKRI_TASK_HEARTBEAT_MS": "2000", "BIKRI_TASK_MAINTENANCE_CHANCE": "1000000"}


def _recorded(app, job_id):
    with app.app_context():
        return db.session.execute(select(func.count(WorkJobItem.id)).where(WorkJobItem.job_id == job_id)).scalar_one()


def test_a_job_survives_a_killed_worker_and_records_each_item_once(app, workers, shop):
    workers.use_broker(app.config["REDIS_URL"])  # Redis's heartbeat is what this test is about
    items = [f"order-{n}" for n in range(24)]
    with app.app_context():
        job_id = start_job(shop.site_id, "test_items", items, declared.ITEMS, per_task=8).id
        db.session.commit()  # its three tasks go to Redis now

    first = workers.start(lanes=("transactional",), threads=3, imports=[declared.__name__], **QUICK_REDELIVERY)
    wait_until(lambda: _recorded(app, job_id) >= 4, 30, "the first worker records some items")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = _recorded(app, job_id)
    assert at_kill < len(items), "killed mid-job"

    workers.start(lanes=("transactional",), threads=3, imports=[declared.__name__], **QUICK_REDELIVERY)

    def finished():
        with app.app_context():
            return db.session.get(WorkJob, job_id).status == "done"
    wait_until(finished, 60, "the second worker finishes the job")
    with app.app_context():
        job = db.session.get(WorkJob, job_id)
        rows = db.session.execute(select(WorkJobItem.item).where(WorkJobItem.job_id == job_id)).scalars().all()
    assert sorted(rows) == sorted(items), "every item recorded, none twice"
    assert (job.done, job.total) == (len(items), len(items))
    assert len(rows) > at_kill, "the second worker did the rest"


def test_a_task_that_keeps_failing_becomes_a_dead_letter(app, workers, shop):
    workers.use_broker(app.config["REDIS_URL"])
    with app.app_context():
        job = WorkJob(site_id=shop.site_id, kind="test_fails", task="test.always_fails", total=1, created_at=utcnow())
        db.session.add(job)
        db.session.flush()
        job_id = job.id
        enqueue(declared.ALWAYS_FAILS, site_id=shop.site_id, job_id=job_id)
        db.session.commit()
    workers.start(lanes=("transactional",), threads=2, imports=[declared.__name__])

    def dead_letter():
        with app.app_context():
            return db.session.execute(select(DeadTask).where(DeadTask.task == declared.ALWAYS_FAILS)).scalar_one_or_none()
    dead = wait_until(dead_letter, 30, "a dead letter once the retries are used up")
    assert (dead.site_id, dead.lane, dead.attempts) == (shop.site_id, "transactional", 3)  # the first run and 2 retries
    assert "the gateway did not answer" in dead.error and f'"job_id": {job_id}' in dead.arguments
    with app.app_context():
        job = db.session.get(WorkJob, job_id)
        assert job.status == "failed" and "the gateway did not answer" in job.error, "the domain was told"
