"""The scheduled jobs' runs as tasks: one task per job that runs in a worker ("jobs.<job name>",
in the job's lane), so the console's queues and dead letters say which job.

A per-shop run takes the shop's lock for its job (`coordination.shop_lock`, SHOP_LOCK_SECONDS:
renewed by a thread while the work runs, so a killed worker frees it within a minute) and runs the job's
`for_shop(site_id)`; when another run holds the lock, this one has nothing to do: the running
one covers the tick. A run does not retry (max_retries=0): the next tick is its retry, and an
unexpected error leaves a dead letter for the console.
"""
import functools
import logging

from flask import current_app

from backend.jobs.table import JOBS, JOBS_BY_NAME, Job
from backend.tasks import coordination, task

log = logging.getLogger(__name__)


def waiting_key(job_name: str, site_id: int) -> str:
    """Set by the scheduler while a shop's run of the job waits in the queue (runner.fan_out)."""
    return coordination.key("queued", job_name, site_id)


def run_scheduled(job_name: str, site_id: int | None = None):
    job = JOBS_BY_NAME[job_name]
    if site_id is None:
        return job.target()()
    coordination.client().delete(waiting_key(job_name, site_id))
    seconds = current_app.config.get("SHOP_LOCK_SECONDS", coordination.LOCK_SECONDS)
    with coordination.shop_lock(site_id, job_name, seconds=seconds) as held:
        if not held:
            log.info("job %s for site %s: already running elsewhere; that run covers this one", job_name, site_id)
            return None
        return job.shop_target()(site_id)


def task_of(job: Job) -> str:
    return f"jobs.{job.name}"


for _job in JOBS:
    if _job.lane is not None:
        task(task_of(_job), lane=_job.lane, max_retries=0)(functools.partial(run_scheduled, _job.name))
