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


def sync_backfill():
    from backend.sync.service import backfill_queued
    return backfill_queued()


def sync_reconcile():
    from backend.sync.service import reconcile_all
    return reconcile_all()


def apply_event_inbox():
    from backend.sync.service import apply_inbox
    return apply_inbox()


def prune_seen_events():
    from backend.sync.service import prune_seen_events as prune
    return prune()


def expire_otp_codes():
    from backend.checkout.service import expire_old_codes
    return expire_old_codes()


def write_courier_statuses():
    from backend.couriers.writeback import write_statuses_to_woocommerce
    return write_statuses_to_woocommerce()


def poll_courier_statuses():
    from backend.couriers.polling import poll_due_consignments
    return poll_due_consignments()


def abandoned_checkouts():
    from backend.abandoned.service import run_job
    return run_job()


def fold_order_status_counts():
    from backend.desk.service import fold_status_counts
    return fold_status_counts()


JOBS = [
    Job("purge_embed_tickets", purge_embed_tickets, trigger_args={"hours": 1}),
    Job("resume_stuck_sms", resume_stuck_sms, trigger_args={"minutes": 1}),
    Job("reconcile_recharges", reconcile_recharges, trigger_args={"minutes": 5}),
    # queued or interrupted backfills, each run within SYNC_BACKFILL_BUDGET_SECONDS (< the lease)
    Job("sync_backfill", sync_backfill, trigger_args={"seconds": 30}, lease_seconds=600),
    # a lost push event costs at most these minutes (issue 5)
    Job("sync_reconcile", sync_reconcile, trigger_args={"minutes": 5}, lease_seconds=900),
    # accepted events whose web worker did not apply them (restart, crash), and retries
    Job("apply_event_inbox", apply_event_inbox, trigger_args={"seconds": 15}, lease_seconds=300),
    Job("prune_seen_events", prune_seen_events, trigger_args={"hours": 6}),
    Job("expire_otp_codes", expire_otp_codes, trigger_args={"minutes": 10}),
    # Each run asks only about parcels whose next check is due (every shop's own interval) and
    # stops dispatching after COURIER_POLL_SECONDS, well inside its lease.
    Job("poll_courier_statuses", poll_courier_statuses, trigger_args={"minutes": 5}),
    # a delivered parcel completes its WooCommerce order (each shop's own mapping)
    Job("write_courier_statuses", write_courier_statuses, trigger_args={"minutes": 5}),
    # abandoned checkouts: mark abandoned, send due reminders (idempotent per checkout and number), mark lost
    Job("abandoned_checkouts", abandoned_checkouts, trigger_args={"minutes": 1}),
    # the desk's status tab counts (PostgreSQL): fold the rows the orders triggers appended
    Job("fold_order_status_counts", fold_order_status_counts, trigger_args={"minutes": 5}),
]
