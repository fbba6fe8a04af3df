"""The scheduler keeps the schedule only (issue 19): APScheduler ticks, and each tick of a job
either enqueues its per-shop tasks, enqueues the job as one task, or (database-only jobs) runs
it here. However many scheduler processes run, a job's tick runs once per interval
(`coordination.claim_tick`): ticks fall on the same wall-clock grid in every process (the
interval's multiples since the epoch, plus a small offset), so two schedulers race for the same
slot and one wins. There is no lease over all shops: a crashed worker holds up only its own
shop, until its shop lock (SHOP_LOCK_SECONDS, 30 s, renewed while alive) runs out.

`job_locks` keeps, per job, when the last tick started and finished and its error, for
whoever looks (the console); it no longer leases anything.
"""
import logging
import os
import socket
import time
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app, g

from backend.database import upsert_insert
from backend.extensions import db
from backend.jobs import tasks
from backend.jobs.models import JobLock
from backend.jobs.table import JOBS, Job
from backend.tasks import coordination, enqueue
from backend.clock import utcnow

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
wall_clock = time.time  # which interval a tick is in (the tests set it)


def interval_of(job: Job) -> float:
    """The job's interval; JOB_INTERVALS (BIKRI_JOB_INTERVALS="sync_backfill=10,...") overrides it."""
    return float(current_app.config.get("JOB_INTERVALS", {}).get(job.name, job.interval_seconds))


def tick(app, job: Job, worker: str = WORKER):
    """One scheduled run of `job`, if no other scheduler has had this interval's. Returns what
    the run did (the shops queued, or a global job's result), None when it was not ours."""
    with app.app_context():
        interval, now = interval_of(job), wall_clock()
        if not coordination.claim_tick(job.name, interval, now=now):
            log.debug("job %s: this interval's run is another scheduler's", job.name)
            return None
        started, error, result = utcnow(), None, None
        try:
            g.job_name = job.name  # who wrote, for the activity log (T2): Bikri's job
            if job.per_shop:
                result = fan_out(job, interval)
            elif job.lane is not None:
                enqueue(tasks.task_of(job))
                result = "queued"
            else:
                result = job.target()()
            _record(job.name, worker, started, None)
            db.session.commit()  # the run's own writes, and the tasks go to the broker (the outbox)
            log.info("job %s ran by %s (slot %d): %s", job.name, worker, int(now // interval), result)
            return result
        except Exception as exc:  # a failing job must not stop the scheduler
            db.session.rollback()
            error = repr(exc)
            log.exception("job %s failed", job.name)
            _record(job.name, worker, started, error)
            db.session.commit()
            return None


def fan_out(job: Job, interval: float) -> dict:
    """Enqueue the job's task for every shop with work due, except a shop whose run is still
    waiting in the queue or still running: it covers this tick (a backlog does not pile up one
    task per tick, and a shop's backfill running for minutes is not asked to start again)."""
    site_ids = list(job.shops_due()())
    to_queue = _not_waiting(job, site_ids, interval)
    declared = tasks.task_of(job)
    for site_id in to_queue:
        enqueue(declared, site_id=site_id)
    return {"shops_due": len(site_ids), "queued": len(to_queue)}


def _not_waiting(job: Job, site_ids: list[int], interval: float) -> list[int]:
    if not site_ids:
        return []
    connection = coordination.client()
    # a waiting mark lasts two intervals at most: a message the broker lost delays the shop by
    # that, never for ever
    ttl = max(60, int(interval * 2))
    pipe = connection.pipeline(transaction=False)
    for site_id in site_ids:
        pipe.exists(coordination.shop_lock_key(site_id, job.name))
        pipe.set(tasks.waiting_key(job.name, site_id), 1, nx=True, ex=ttl)
    answers = pipe.execute()
    to_queue, clear = [], []
    for site_id, running, marked in zip(site_ids, answers[0::2], answers[1::2]):
        if running:
            if marked:  # not queued after all: the running one covers this tick
                clear.append(tasks.waiting_key(job.name, site_id))
        elif marked:
            to_queue.append(site_id)
    if clear:
        connection.delete(*clear)
    return to_queue


def _record(name: str, worker: str, started: datetime, error: str | None) -> None:
    """The job's last run, for the console (no lease: the row locks nothing)."""
    values = dict(locked_by=worker, last_started_at=started, last_finished_at=utcnow(),
                  last_error=error[:1000] if error else None)
    db.session.execute(upsert_insert(JobLock).values(name=name, locked_until=None, **values)
                       .on_conflict_do_update(index_elements=[JobLock.name], set_=values))


def every_shop(job: Job) -> dict:
    """A per-shop job's whole run in this process (the tenant walk): `for_shop` for every shop
    its `shops` names, in turn, each shop's outcome committed before the next shop's turn, as
    the scheduler's tasks do (one per shop, each committed at its end). What one shop wrote is
    then never open while the next shop's WooCommerce or courier is asked, and survives a later
    shop's failure. {site id: what `for_shop` answered}."""
    outcomes = {}
    for site_id in job.shops_due()():
        outcomes[site_id] = job.shop_target()(site_id)
        db.session.commit()
    return outcomes


def run_job(app, job: Job):
    """The whole job now, in this process: every shop in turn for a per-shop job (the CLI, the
    tests, the demo). Commits once at the end, as a tick does (and after each shop, `every_shop`,
    for a per-shop job that names no all-shops function of its own)."""
    with app.app_context():
        started = utcnow()
        try:
            result = every_shop(job) if job.func is None else job.target()()
            _record(job.name, WORKER, started, None)
            db.session.commit()
            log.info("job %s done: %s", job.name, result)
            return result
        except Exception as exc:  # a failing job must not stop its caller's other jobs
            db.session.rollback()
            log.exception("job %s failed", job.name)
            _record(job.name, WORKER, started, repr(exc))
            db.session.commit()
            return None


def first_tick(interval: float, now: datetime | None = None) -> datetime:
    """Where a job's ticks start: the interval's grid since the epoch, shared by every process,
    a little past each multiple so a late tick still lands in its own slot."""
    offset = min(1.0, interval / 10)
    now = now or datetime.now(timezone.utc)
    slot = int((now - _EPOCH).total_seconds() // interval)
    return _EPOCH + timedelta(seconds=slot * interval + offset)


def run_scheduler(app):
    scheduler = BlockingScheduler(timezone="UTC")
    with app.app_context():
        intervals = {job.name: interval_of(job) for job in JOBS}
    for job in JOBS:
        interval = intervals[job.name]
        scheduler.add_job(tick, "interval", seconds=interval, start_date=first_tick(interval), args=[app, job],
                          id=job.name, replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=max(1, int(interval / 2)))
    log.info("jobs process %s started with %d jobs", WORKER, len(JOBS))
    scheduler.start()
