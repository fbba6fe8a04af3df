"""Tasks the work model's own tests declare: the workers these tests start import this module
too (`workers.start(imports=[__name__])`), so both sides know them. Product tasks live in the
domains' tasks.py; these stand for their shapes: a job over items with an outside call each,
and a task whose outside side never answers."""
import os
import time

from backend import commits
from backend.tasks import task
from backend.tasks.service import fail_job, mark_running, record_item, recorded_items

ITEMS = "test.items_with_a_call_each"
ALWAYS_FAILS = "test.always_fails"


@task(ITEMS, lane="transactional", max_retries=3, min_backoff_ms=100, max_backoff_ms=200)
def items_with_a_call_each(site_id: int, job_id: int, items: list) -> None:
    done = recorded_items(job_id)
    mark_running(job_id)
    for item in items:
        if item in done:  # a redelivered task skips what it already did
            continue
        time.sleep(float(os.environ.get("TEST_CALL_SECONDS", "0.2")))  # stands for the outside call
        record_item(job_id, item, "done")
        commits.keep_progress()  # each item's result survives a worker killed after it


def _gave_up(error: str, site_id: int, job_id: int) -> None:
    fail_job(job_id, error)


@task(ALWAYS_FAILS, lane="transactional", max_retries=2, min_backoff_ms=100, max_backoff_ms=200, gave_up=_gave_up)
def always_fails(site_id: int, job_id: int) -> None:
    raise ConnectionError("the gateway did not answer")
