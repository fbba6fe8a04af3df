"""Runs the job table with APScheduler, one app context and one commit per run."""
import logging
import os
import socket
from datetime import timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import g
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.jobs.models import JobLock
from backend.jobs.table import JOBS, Job
from backend.timeutil import utcnow

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def acquire(name: str, lease_seconds: int) -> bool:
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    taken = db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, (JobLock.locked_until.is_(None)) | (JobLock.locked_until < now))
        .values(locked_until=until, locked_by=WORKER, last_started_at=now)
    ).rowcount
    if taken == 0:
        try:
            db.session.execute(insert(JobLock).values(name=name, locked_until=until, locked_by=WORKER, last_started_at=now))
            taken = 1
        except IntegrityError:  # the row exists and someone holds it
            db.session.rollback()
            return False
    db.session.commit()
    return taken == 1


def release(name: str, error: str | None) -> None:
    db.session.execute(
        update(JobLock).where(JobLock.name == name, JobLock.locked_by == WORKER)
        .values(locked_until=None, last_finished_at=utcnow(), last_error=error[:1000] if error else None)
    )
    db.session.commit()


def run_job(app, job: Job):
    with app.app_context():
        if not acquire(job.name, job.lease_seconds):
            log.info("job %s is running elsewhere; skipped", job.name)
            return None
        error = None
        try:
            g.job_name = job.name  # who wrote, for the activity log (T2): Bikri's job
            result = job.target()()
            db.session.commit()
            log.info("job %s done: %s", job.name, result)
            return result
        except Exception as exc:  # a failing job must not stop the scheduler
            db.session.rollback()
            error = repr(exc)
            log.exception("job %s failed", job.name)
            return None
        finally:
            release(job.name, error)


def run_scheduler(app):
    scheduler = BlockingScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(run_job, job.trigger, args=[app, job], id=job.name, replace_existing=True,
                          coalesce=True, max_instances=1, **job.trigger_args)
    log.info("jobs process started with %d jobs", len(JOBS))
    scheduler.start()
