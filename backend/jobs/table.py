"""The job table: what runs, how often, and where. A new job is one line here plus its functions.

A job names its functions ("package.module:function") instead of importing them: the job
runner sits above every domain (the scheduler may call any of them) but imports none, so no
domain's import graph grows by the table, and jobs never imports a screen (embed's ticket
purge is one of its jobs). tests/jobs/test_runner.py checks every name resolves.

Two kinds of job (issue 19):

- **per shop** (`shops` and `for_shop` set): each tick asks `shops()` which shops have work due
  (one cheap query) and enqueues one task per shop in `lane`; the task runs `for_shop(site_id)`
  under that shop's lock for this job (backend/jobs/tasks.py). Thousands of shops are spread
  over the workers, and a crash holds up only the shops it was working for, for under a minute.
- **global**: one run per interval across every scheduler process. With a `lane`, it is handed
  to a worker (it calls someone outside Bikri); without one, the scheduler runs it itself (a
  statement or two on the database: a worker would only add a queue hop).

`func` is the whole job in one process (every shop in turn, or the global job): what
`flask jobs run-once NAME`, the tests and the demo call. A per-shop job may leave it out: the
runner then walks `shops()` itself, a commit per shop (`runner.every_shop`, the tenant walk).
"""
import importlib
from dataclasses import dataclass, field
from typing import Callable


def resolve(name: str | Callable) -> Callable:
    if callable(name):
        return name
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


@dataclass(frozen=True)
class Job:
    name: str
    # a function, or its "module:function" name; None for a per-shop job walked by the runner
    func: Callable[[], object] | str | None
    trigger_args: dict = field(default_factory=dict)  # the interval: {"seconds"|"minutes"|"hours": n}
    # per shop: the shops with work due now, and the work for one of them
    shops: Callable[[], list[int]] | str | None = None
    for_shop: Callable[[int], object] | str | None = None
    # where a run happens: a worker lane, or None for the scheduler process itself (global jobs only)
    lane: str | None = None

    def __post_init__(self):
        if (self.shops is None) != (self.for_shop is None):
            raise ValueError(f"job {self.name}: a per-shop job names both `shops` and `for_shop`")
        if self.func is None and not self.per_shop:
            raise ValueError(f"job {self.name}: a global job names its function")
        if self.per_shop and self.lane is None:
            raise ValueError(f"job {self.name}: per-shop work runs in a worker lane")

    @property
    def per_shop(self) -> bool:
        return self.for_shop is not None

    @property
    def interval_seconds(self) -> float:
        units = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
        return float(sum(units[unit] * amount for unit, amount in self.trigger_args.items()))

    def target(self) -> Callable[[], object]:
        return resolve(self.func)

    def shops_due(self) -> Callable[[], list[int]]:
        return resolve(self.shops)

    def shop_target(self) -> Callable[[int], object]:
        return resolve(self.for_shop)


# Lanes: per-shop work is "bulk" (a shop's bulk cap applies, so one shop's campaign and its own
# scheduled work share its slots, and never another shop's), except the event inbox: an order
# the plugin pushed belongs on the desk in seconds, not behind campaigns, and applying one row is
# a single short action. Courier polling stays in "bulk" although statuses are urgent-ish: a big
# shop's poll holds a thread for minutes (the courier's pace), which a transactional thread (one
# SMS, one booking) must not wait behind.
JOBS = [
    Job("purge_embed_tickets", "backend.embed.service:purge_old_tickets", trigger_args={"hours": 1}),
    # stuck sends ask the gateway again, and pending recharges ask bKash or Nagad: a worker's, not the scheduler's, wait
    Job("resume_stuck_sms", "backend.sms.service:resume_stuck_messages", trigger_args={"minutes": 1},
        lane="transactional"),
    Job("reconcile_recharges", "backend.sms.service:reconcile_pending_recharges", trigger_args={"minutes": 5},
        lane="transactional"),
    # queued or interrupted backfills, each run within SYNC_BACKFILL_BUDGET_SECONDS; the next
    # tick resumes from the cursor. A killed worker's shop lock (SHOP_LOCK_SECONDS, 30 s) plus
    # one tick: its backfill goes on within a minute. A shop whose backfill runs is not queued again.
    Job("sync_backfill", "backend.sync.service:backfill_queued", trigger_args={"seconds": 15},
        shops="backend.sync.service:sites_with_backfill_due", for_shop="backend.sync.service:backfill_site",
        lane="bulk"),
    # a lost push event costs at most these minutes (issue 5)
    Job("sync_reconcile", None, trigger_args={"minutes": 5},
        shops="backend.sync.service:connected_sites", for_shop="backend.sync.service:reconcile_site", lane="bulk"),
    # accepted events whose web worker did not apply them (restart, crash), and retries
    # inventory (issue 23): products a push missed (modified_after), a shop never read backfilled
    Job("inventory_reconcile", "backend.inventory.product_sync:reconcile_all", trigger_args={"minutes": 10}, lane="bulk"),
    Job("apply_event_inbox", "backend.sync.service:apply_inbox", trigger_args={"seconds": 15},
        shops="backend.sync.service:sites_with_inbox_due", for_shop="backend.sync.service:apply_site_inbox",
        lane="transactional"),
    Job("prune_seen_events", "backend.sync.service:prune_seen_events", trigger_args={"hours": 6}),
    Job("expire_otp_codes", "backend.checkout.service:expire_old_codes", trigger_args={"minutes": 10}),
    # Each run asks only about parcels whose next check is due (every shop's own interval) and
    # stops dispatching after COURIER_POLL_SECONDS.
    Job("poll_courier_statuses", "backend.couriers.polling:poll_due_consignments", trigger_args={"minutes": 5},
        shops="backend.couriers.polling:sites_with_parcels_due", for_shop="backend.couriers.polling:poll_site",
        lane="bulk"),
    # a delivered parcel completes its WooCommerce order (each shop's own mapping)
    Job("write_courier_statuses", None, trigger_args={"minutes": 5},
        shops="backend.couriers.writeback:sites_with_writes_due",
        for_shop="backend.couriers.writeback:write_site_statuses", lane="bulk"),
    # courier keys typed but never checked (their job lost before a worker took it) are not kept
    Job("forget_courier_key_checks", "backend.couriers.key_checks:forget_stale_checks", trigger_args={"hours": 1}),
    # abandoned checkouts: mark abandoned, send due reminders (idempotent per checkout and number), mark lost
    Job("abandoned_checkouts", "backend.abandoned.service:run_job", trigger_args={"minutes": 1},
        shops="backend.abandoned.service:sites_with_checkouts_to_follow",
        for_shop="backend.abandoned.service:run_for_site", lane="bulk"),
    # status messages held by quiet hours (or whose hand-over to the broker failed): queue their dispatch
    Job("notifications_due", "backend.notifications.service:dispatch_due", trigger_args={"minutes": 1}),
    # N2: parcels with no status change for the shop's N days make a "stuck" alert
    Job("notifications_stuck_parcels", "backend.notifications.alerts:find_stuck_parcels", trigger_args={"hours": 1}),
    # the desk's status tab counts (PostgreSQL): fold the rows the orders triggers appended
    Job("start_due_campaigns", "backend.customers.service:start_due_campaigns", trigger_args={"minutes": 1}),
    Job("rescore_customer_segments", "backend.customers.service:rescore_segments", trigger_args={"hours": 1},
        lane="bulk"),
    Job("fold_order_status_counts", "backend.desk.service:fold_status_counts", trigger_args={"minutes": 5}),
    # the aging report's totals (PostgreSQL): fold the rows the stock_items triggers appended
    Job("fold_aging_totals", "backend.inventory.aging:fold_aging_totals", trigger_args={"minutes": 5}),
    # the low-stock list's 30 days' sales per item: the day that left the 30 summed out (after Dhaka's midnight)
    Job("roll_sales_windows", None, trigger_args={"hours": 1},
        shops="backend.inventory.sales:shops_with_windows_to_roll",
        for_shop="backend.inventory.sales:roll_sales_window", lane="bulk"),
    # jobs whose tasks never reached a worker (the broker was down at the commit) get them again
    # Conversions API events whose message was lost (broker down at commit) go to the workers again
    Job("queue_capi_events", "backend.adtracking.service:queue_pending", trigger_args={"minutes": 2}),
    # loyalty points (U2): checkout holds no order used give their points back; lapsed points
    # expire; "you earned" SMS whose hand-over to the broker was lost go to the workers again
    Job("release_loyalty_holds", "backend.loyalty.service:release_expired_holds", trigger_args={"minutes": 5}),
    Job("expire_loyalty_points", "backend.loyalty.ledger:expire_all", trigger_args={"hours": 1}),
    Job("queue_loyalty_sms", "backend.loyalty.service:queue_due_sms", trigger_args={"minutes": 2}),
    Job("resume_stalled_jobs", "backend.tasks.service:resume_stalled_jobs", trigger_args={"minutes": 5}),
    # support chat (H2): an offline alert whose hand-over to the broker failed, or whose worker died
    Job("resume_support_alerts", "backend.support.alerts:resume_stuck_alerts", trigger_args={"minutes": 1}),
    # the activity log (T2): every shop's entries older than its retention (default a year)
    Job("prune_activity", "backend.activity.service:prune_all", trigger_args={"hours": 6}, lane="bulk"),
    # live chat (H2): conversations silent for LIVECHAT_KEEP_DAYS go, with the shoppers' numbers
    Job("prune_live_chats", "backend.livechat.service:prune_old_conversations", trigger_args={"hours": 6}),
]
JOBS_BY_NAME = {job.name: job for job in JOBS}
