"""The work model's own task: sending a shop's dead letters again (the console's "Retry all")."""
from backend.extensions import db
from backend.tasks.models import DeadTask
from backend.tasks.registry import task
from backend.tasks.service import RETRY_DEAD_LETTERS, mark_running, record_item, recorded_items, retry_dead_letter


@task(RETRY_DEAD_LETTERS, lane="transactional", max_retries=3)
def retry_dead_letters(site_id: int, job_id: int, items: list) -> None:
    # a retried run skips what it already sent: each dead letter is sent again once
    done = recorded_items(job_id)
    mark_running(job_id)
    for dead_id in items:
        if dead_id in done:
            continue
        dead = db.session.get(DeadTask, int(dead_id))
        if dead is None or dead.site_id != site_id or dead.retried_at is not None:
            record_item(job_id, dead_id, "skipped")  # retried by hand meanwhile
            continue
        retry_dead_letter(dead.id)
        record_item(job_id, dead_id, "retried")
