"""What the sync's workers run besides the scheduled jobs (backend/jobs/tasks.py).

Order events the plugin pushed with `Prefer: respond-async` are stored in the inbox and
answered at once; a worker applies them (an event without the full order asks WooCommerce for
it, which no web worker may wait on). If this task never runs (the broker was down at the
commit), the scheduled `apply_event_inbox` job applies the row within its interval: the inbox
row is the durable record, the task only makes it quick.
"""
from backend.sync import service
from backend.tasks import task


@task("sync.apply_accepted_events", lane="transactional", max_retries=2)
def apply_accepted_events(site_id: int, inbox_id: int) -> None:
    service.apply_inbox(inbox_id)
