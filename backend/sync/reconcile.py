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
from backend.sync.state import SyncBusy, claim, cursor_of, export_for, leased, remember_export, renew, state_for
from backend.clock import utcnow

log = logging.getLogger(__name__)


def run_reconcile(site_id: int) -> int:
    """Pull orders modified since the checkpoint (minus the overlap) and upsert them.
    Returns how many orders came back (changed or not). Does nothing before the first backfill."""
    state = claim(site_id, SyncKind.RECONCILE)
    state_id = state.id
    with leased(state_id):  # commits the run's outcome as it lets the lease go
        checkpoint = parse_wc_time(cursor_of(state).get("after"))
        if checkpoint is None:
            return 0
        state.status, state.started_at, state.last_error = SyncStatus.RUNNING, utcnow(), None
        overlap = timedelta(seconds=current_app.config["SYNC_RECONCILE_OVERLAP_SECONDS"])
        site = db.session.get(Site, site_id)
        wc = WooCommerce.for_site(site)
        seen, start = 0, ModifiedCursor(after=checkpoint - overlap)
        export = export_for(site)
        commits.before_remote_call()  # RUNNING, and what the probe learnt; the pages come next
        if export is not None:
            try:
                # one walk: the export hands out trashed orders too
                for fresh, after, _after_id in export.iter_by_modified(start.after):
                    store_page(site_id, fresh)
                    seen += len(fresh)
                    state = db.session.get(SyncState, state_id)
                    if after > checkpoint:
                        checkpoint = after
                        state.cursor = json.dumps({"after": format_wc_time(checkpoint)})
                    renew(state)
                    commits.keep_progress()  # the page with its checkpoint
                    db.session.expunge_all()
                export = "done"
            except ExportUnavailable as error:
                db.session.rollback()
                log.warning("reconciliation of site %s: export refused (%s); using wc/v3", site_id, error)
                remember_export(site_id, False, str(error))
                commits.before_remote_call()  # wc/v3 is asked next
            except WooCommerceError as error:
                return _reconcile_failed(site_id, state_id, error, seen)
        try:
            # "any" leaves the trash out, so trashed orders need their own (small) walk
            for status in (() if export == "done" else (None, "trash")):
                for fresh, following in wc.iter_orders_by_modified(start, status=status):
                    store_page(site_id, fresh)
                    seen += len(fresh)
                    state = db.session.get(SyncState, state_id)
                    if following.after and following.after > checkpoint:
                        checkpoint = following.after
                        state.cursor = json.dumps({"after": format_wc_time(checkpoint)})
                    renew(state)
                    commits.keep_progress()  # the page with its checkpoint
                    db.session.expunge_all()
        except WooCommerceError as error:
            return _reconcile_failed(site_id, state_id, error, seen)
        state = db.session.get(SyncState, state_id)
        state.status, state.done, state.finished_at = SyncStatus.IDLE, seen, utcnow()
        return seen


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
            commits.keep_progress()  # queued, whatever the next shop does
            return "queued_backfills"
        run_reconcile(site_id)
        return "reconciled"
    except SyncBusy:
        return "busy"
    except Exception:  # noqa: BLE001 - logged; the next shop still gets its turn
        db.session.rollback()
        log.exception("reconciliation of site %s failed", site_id)
        return "failed"


def reconcile_all() -> dict:
    """The 5-minute job in one process (the CLI, tests): every connected shop in turn. The
    scheduler runs `reconcile_site` per shop in the workers instead."""
    report = {"reconciled": 0, "queued_backfills": 0, "busy": 0, "failed": 0}
    for site_id in connected_sites():
        report[reconcile_site(site_id)] += 1
    return report
