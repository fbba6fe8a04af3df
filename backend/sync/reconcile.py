"""Reconciliation: every few minutes, pull what changed since the checkpoint (minus an overlap).

A lost push costs minutes, never an order. The backfill sets the first checkpoint to its own
start; before any backfill ran, reconciliation does nothing (the 5-minute job queues one).
"""
import json
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from backend import commits
from backend.extensions import db
from backend.integrations.woocommerce import ModifiedCursor, WooCommerce, WooCommerceError, format_wc_time, parse_wc_time
from backend.integrations.woocommerce_export import ExportUnavailable
from backend.licensing.models import Site
from backend.sync.backfill import request_backfill, store_page
from backend.sync.models import SyncKind, SyncState, SyncStatus
from backend.sync.state import SyncBusy, cursor_of, export_for, leased, remember_export, renew, state_for
from backend.clock import utcnow

log = logging.getLogger(__name__)


def run_reconcile(site_id: int) -> int:
    """Pull orders modified since the checkpoint (minus the overlap) and upsert them.
    Returns how many orders came back (changed or not). Does nothing before the first backfill."""
    with leased(site_id, SyncKind.RECONCILE) as state:  # commits the run's outcome as it lets the lease go
        state_id = state.id
        checkpoint = parse_wc_time(cursor_of(state).get("after"))
        if checkpoint is None:
            return 0
        state.status, state.started_at, state.last_error = SyncStatus.RUNNING, utcnow(), None
        overlap = timedelta(seconds=current_app.config["SYNC_RECONCILE_OVERLAP_SECONDS"])
        site = db.session.get(Site, site_id)
        wc = WooCommerce.for_site(site)
        seen = 0
        pages = _changed_pages(site_id, export_for(site), wc, ModifiedCursor(after=checkpoint - overlap))
        try:
            # RUNNING and each page with its checkpoint are kept before the next page is asked for
            for fresh, after in commits.one_at_a_time(pages, forget=True):
                store_page(site_id, fresh)
                seen += len(fresh)
                state = db.session.get(SyncState, state_id)
                if after is not None and after > checkpoint:
                    checkpoint = after
                    state.cursor = json.dumps({"after": format_wc_time(checkpoint)})
                renew(state)
        except WooCommerceError as error:
            return _reconcile_failed(site_id, state_id, error, seen)
        state = db.session.get(SyncState, state_id)
        state.status, state.done, state.finished_at = SyncStatus.IDLE, seen, utcnow()
        return seen


def _changed_pages(site_id: int, export, wc: WooCommerce, start: ModifiedCursor):
    """(orders, modified-at cursor or None) per page changed since `start`: through the plugin's
    export when it offers one (one walk: it hands out trashed orders too), else wc/v3, where
    "any" leaves the trash out, so trashed orders need their own (small) walk. An export
    refused mid-walk is remembered, and the walk goes on through wc/v3 after an empty page (so
    that what was learnt is kept before wc/v3 is asked)."""
    if export is not None:
        try:
            for fresh, after, _after_id in export.iter_by_modified(start.after):
                yield fresh, after
            return
        except ExportUnavailable as error:
            log.warning("reconciliation of site %s: export refused (%s); using wc/v3", site_id, error)
            remember_export(site_id, False, str(error))
            yield [], None
    for status in (None, "trash"):
        for fresh, following in wc.iter_orders_by_modified(start, status=status):
            yield fresh, following.after


def _reconcile_failed(site_id: int, state_id: int, error: WooCommerceError, seen: int) -> int:
    db.session.rollback()
    state = db.session.get(SyncState, state_id)
    state.status, state.last_error, state.finished_at = SyncStatus.FAILED, str(error)[:1000], utcnow()
    log.warning("reconciliation of site %s stopped: %s", site_id, error)
    return seen


def connected_sites() -> list[int]:
    return list(db.session.execute(
        select(Site.id).where(Site.token_hash.is_not(None), Site.wc_consumer_key_enc.is_not(None),
                              Site.wc_consumer_secret_enc.is_not(None)).order_by(Site.id)
    ).scalars())


def reconcile_site(site_id: int) -> str:
    """One shop's turn of the 5-minute job: queue a first backfill where none ever ran, else
    reconcile. Answers "reconciled", "queued_backfills", "busy" or "failed"; a shop's failure is
    logged, never raised to the job."""
    try:
        backfill = state_for(site_id, SyncKind.BACKFILL)
        if backfill.status == SyncStatus.IDLE and not backfill.cursor:
            request_backfill(db.session.get(Site, site_id))
            return "queued_backfills"
        run_reconcile(site_id)
        return "reconciled"
    except SyncBusy:
        return "busy"
    except Exception:  # noqa: BLE001 - logged; the next shop still gets its turn
        db.session.rollback()
        log.exception("reconciliation of site %s failed", site_id)
        return "failed"
