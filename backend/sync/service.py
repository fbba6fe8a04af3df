"""Keeping the read model in step with WooCommerce: backfill, reconciliation, pushed events.

All three feed backend/orders/service.py's one upsert, so they may overlap freely. The code
lives in four modules; this one names what the rest of the service (routes, jobs, the CLI,
the desk and dashboard) and the tests use, so they need not know the split:

- state.py: the state rows (one per site and kind), their leases, status and progress, the
  orders pushed events gave up on, and whether the plugin's order export answers;
- backfill.py: the walk over the whole history, its download-read-write pipeline and its
  pacing of the dashboard rollups;
- reconcile.py: the few-minutely pull of what changed since the checkpoint;
- events.py: the plugin's pushed events and the inbox that applies them after the answer.

Tuning constants (e.g. backfill.ROLLUPS_NOW_AFTER_WAIT) are read where they live: patch them
there, not here.
"""
from backend.sync.backfill import backfill_queued, backfill_site, request_backfill, run_backfill, sites_with_backfill_due
from backend.sync.events import (
    EXPORT_ORDER_FIELDS,
    FULL_ORDER_FIELDS,
    INBOX_ATTEMPTS,
    INBOX_ORPHAN_AFTER,
    InvalidItem,
    accept_events,
    apply_events,
    apply_or_accept,
    apply_inbox,
    apply_site_inbox,
    prune_seen_events,
    sites_with_inbox_due,
)
from backend.sync.reconcile import connected_sites, reconcile_site, run_reconcile
from backend.sync.models import SyncKind
from backend.sync.state import (
    OWNER,
    UNSTORED_ALARM,
    UNSTORED_KEPT,
    EventFailure,
    SyncBusy,
    backfill_in_progress,
    claim,
    export_for,
    lock_name,
    progress_text,
    recent_event_failure,
    state_for,
    status_of,
)

__all__ = [
    "EXPORT_ORDER_FIELDS", "FULL_ORDER_FIELDS", "INBOX_ATTEMPTS", "INBOX_ORPHAN_AFTER", "OWNER", "UNSTORED_ALARM",
    "UNSTORED_KEPT", "EventFailure", "InvalidItem", "SyncBusy", "accept_events", "apply_events", "apply_inbox", "apply_or_accept",
    "backfill_in_progress", "backfill_queued", "claim", "connected_sites", "export_for", "progress_text",
    "prune_seen_events", "recent_event_failure", "request_backfill", "run_backfill",
    "run_reconcile", "state_for", "status_of",
    # the scheduler's per-shop entry points (backend/jobs/table.py)
    "SyncKind", "apply_site_inbox", "backfill_site", "lock_name", "reconcile_site", "sites_with_backfill_due", "sites_with_inbox_due",
]
