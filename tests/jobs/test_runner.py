from datetime import timedelta

from backend.embed.models import EmbedTicket
from backend.extensions import db
from backend.jobs import runner
from backend.jobs.models import JobLock
from backend.jobs.table import JOBS, Job
from backend.timeutil import utcnow


def test_a_held_lease_stops_a_second_run(app):
    calls = []
    job = Job("test_job", lambda: calls.append(1) or "ran")
    with app.app_context():
        assert runner.acquire("test_job", 60)  # another scheduler holds it now
    assert runner.run_job(app, job) is None and calls == []
    with app.app_context():
        lock = db.session.get(JobLock, "test_job")
        lock.locked_until = utcnow() - timedelta(seconds=1)  # its lease ran out (crashed)
        db.session.commit()
    assert runner.run_job(app, job) == "ran" and calls == [1]
    with app.app_context():
        lock = db.session.get(JobLock, "test_job")
        assert lock.locked_until is None and lock.last_finished_at is not None and lock.last_error is None


def test_a_failing_job_is_recorded_and_releases_its_lease(app):
    def broken():
        raise RuntimeError("courier down")
    assert runner.run_job(app, Job("broken", broken)) is None
    with app.app_context():
        lock = db.session.get(JobLock, "broken")
        assert "courier down" in lock.last_error and lock.locked_until is None


def test_purge_job_removes_only_old_tickets(app, shop):
    shop.post("/api/v1/embed/tickets", json={"wp_user_id": 1, "display_name": "A", "role": "editor", "page": "home"})
    shop.post("/api/v1/embed/tickets", json={"wp_user_id": 1, "display_name": "B", "role": "editor", "page": "home"})
    with app.app_context():
        old = db.session.query(EmbedTicket).filter_by(display_name="A").one()
        old.expires_at = utcnow() - timedelta(days=2)
        db.session.commit()
    purge = next(job for job in JOBS if job.name == "purge_embed_tickets")
    assert runner.run_job(app, purge) == 1
    with app.app_context():
        assert [t.display_name for t in db.session.query(EmbedTicket)] == ["B"]


def test_every_job_names_a_function_that_exists():
    """Jobs name their functions ("module:function") so the runner imports no domain: a
    renamed or moved function must fail here, not at 3 a.m. in the jobs process."""
    for job in JOBS:
        assert isinstance(job.func, str), job.name
        assert callable(job.target()), job.name
