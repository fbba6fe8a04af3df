"""The job table: what runs, how often. A new job is one line here plus its function.

A job names its function ("package.module:function") instead of importing it: the job
runner sits above every domain (the scheduler may call any of them) but imports none, so no
domain's import graph grows by the table, and jobs never imports a screen (embed's ticket
purge is one of its jobs). tests/jobs/test_runner.py checks every name resolves."""
import importlib
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object] | str  # a function, or its "module:function" name
    trigger: str = "interval"
    trigger_args: dict = field(default_factory=dict)
    # how long a run may hold its lease before another scheduler may take the job over
    lease_seconds: int = 600

    def target(self) -> Callable[[], object]:
        if callable(self.func):
            return self.func
        module, _, function = self.func.partition(":")
        return getattr(importlib.import_module(module), function)


JOBS = [
    Job("purge_embed_tickets", "backend.embed.service:purge_old_tickets", trigger_args={"hours": 1}),
    Job("resume_stuck_sms", "backend.sms.service:resume_stuck_messages", trigger_args={"minutes": 1}),
    Job("reconcile_recharges", "backend.sms.service:reconcile_pending_recharges", trigger_args={"minutes": 5}),
    # queued or interrupted backfills, each run within SYNC_BACKFILL_BUDGET_SECONDS (< the lease)
    Job("sync_backfill", "backend.sync.service:backfill_queued", trigger_args={"seconds": 30}, lease_seconds=600),
    # a lost push event costs at most these minutes (issue 5)
    Job("sync_reconcile", "backend.sync.service:reconcile_all", trigger_args={"minutes": 5}, lease_seconds=900),
    # accepted events whose web worker did not apply them (restart, crash), and retries
    Job("apply_event_inbox", "backend.sync.service:apply_inbox", trigger_args={"seconds": 15}, lease_seconds=300),
    Job("prune_seen_events", "backend.sync.service:prune_seen_events", trigger_args={"hours": 6}),
    Job("expire_otp_codes", "backend.checkout.service:expire_old_codes", trigger_args={"minutes": 10}),
    # Each run asks only about parcels whose next check is due (every shop's own interval) and
    # stops dispatching after COURIER_POLL_SECONDS, well inside its lease.
    Job("poll_courier_statuses", "backend.couriers.polling:poll_due_consignments", trigger_args={"minutes": 5}),
    # a delivered parcel completes its WooCommerce order (each shop's own mapping)
    Job("write_courier_statuses", "backend.couriers.writeback:write_statuses_to_woocommerce",
        trigger_args={"minutes": 5}),
    # abandoned checkouts: mark abandoned, send due reminders (idempotent per checkout and number), mark lost
    Job("abandoned_checkouts", "backend.abandoned.service:run_job", trigger_args={"minutes": 1}),
    # status messages held by quiet hours (or whose hand-over to the broker failed): queue their dispatch
    Job("notifications_due", "backend.notifications.service:dispatch_due", trigger_args={"minutes": 1}),
    # N2: parcels with no status change for the shop's N days make a "stuck" alert
    Job("notifications_stuck_parcels", "backend.notifications.service:find_stuck_parcels", trigger_args={"hours": 1}),
    # the desk's status tab counts (PostgreSQL): fold the rows the orders triggers appended
    Job("fold_order_status_counts", "backend.desk.service:fold_status_counts", trigger_args={"minutes": 5}),
    # jobs whose tasks never reached a worker (the broker was down at the commit) get them again
    Job("resume_stalled_jobs", "backend.tasks.service:resume_stalled_jobs", trigger_args={"minutes": 5}),
]
