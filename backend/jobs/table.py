"""The job table: what runs, how often. A new job is one line here plus its function."""
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object]
    trigger: str = "interval"
    trigger_args: dict = field(default_factory=dict)
    # how long a run may hold its lease before another scheduler may take the job over
    lease_seconds: int = 600


def purge_embed_tickets():
    from backend.embed.service import purge_old_tickets
    return purge_old_tickets()


def resume_stuck_sms():
    from backend.sms.service import resume_stuck_messages
    return resume_stuck_messages()


def reconcile_recharges():
    from backend.sms.service import reconcile_pending_recharges
    return reconcile_pending_recharges()


def poll_courier_statuses():
    from backend.couriers.polling import poll_due_consignments
    return poll_due_consignments()


JOBS = [
    Job("purge_embed_tickets", purge_embed_tickets, trigger_args={"hours": 1}),
    Job("resume_stuck_sms", resume_stuck_sms, trigger_args={"minutes": 1}),
    Job("reconcile_recharges", reconcile_recharges, trigger_args={"minutes": 5}),
    # Each run asks only about parcels whose next check is due (every shop's own interval) and
    # stops dispatching after COURIER_POLL_SECONDS, well inside its lease.
    Job("poll_courier_statuses", poll_courier_statuses, trigger_args={"minutes": 5}),
]
