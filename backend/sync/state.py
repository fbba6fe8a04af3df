"""The sync's state rows: one per site and kind (backfill, reconcile, events, export).

A row holds the kind's lease (one process at a time per site and kind), its status and
progress, and its cursor (JSON): where a backfill stands, reconciliation's checkpoint, the
orders pushed events gave up on, whether the plugin's order export answers.
"""
import json
import logging
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, true, update

from backend import commits
from backend.database import in_list, upsert_insert
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerceError, format_wc_time, parse_wc_time
from backend.integrations.woocommerce_export import OrderExport
from backend.licensing.models import Site
from backend.orders import service as orders
from backend.orders.models import Order
from backend.sync.models import EventInbox, SyncKind, SyncState, SyncStatus
from backend.tasks import coordination
from backend.clock import iso, utcnow

log = logging.getLogger(__name__)
OWNER = f"{socket.gethostname()}:{os.getpid()}"


class SyncBusy(Exception):
    """Another process holds this site's sync lease."""


# --- state and leases ---------------------------------------------------------------------

def state_for(site_id: int, kind: str) -> SyncState:
    """The site's state row for this kind, created on first use (safe against a concurrent first use)."""
    db.session.execute(
        upsert_insert(SyncState).values(site_id=site_id, kind=kind, status=SyncStatus.IDLE, done=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[SyncState.site_id, SyncState.kind])
    )
    return db.session.execute(
        select(SyncState).where(SyncState.site_id == site_id, SyncState.kind == kind)
    ).scalar_one()


def _owner() -> str:
    return f"{OWNER}:{threading.get_ident()}"


def lock_name(kind: str) -> str:
    """The shop lock (backend.tasks.coordination) a scheduled run of this kind holds: the job's name."""
    return f"sync_{kind}"


def claim(site_id: int, kind: str) -> SyncState:
    """Take the site's lease for this kind (not committed: `leased` does) or raise SyncBusy.

    A run under the shop's lock for this kind (the scheduled per-shop task, `flask sync
    backfill`) takes the lease whoever holds it: every run takes that lock first, and a dead
    run's lock is gone within a minute, so a lease still in the row is a killed process's. The
    shop resumes at the next tick instead of after SYNC_LEASE_SECONDS."""
    state = state_for(site_id, kind)
    now = utcnow()
    free = or_(SyncState.lease_until.is_(None), SyncState.lease_until < now, SyncState.lease_owner == _owner())
    if coordination.holding(site_id, lock_name(kind)):
        if state.lease_until is not None and state.lease_until >= now and state.lease_owner != _owner():
            log.info("site %s: %s lease of %s taken over (its run is gone)", site_id, kind, state.lease_owner)
        free = true()
    taken = db.session.execute(
        update(SyncState)
        .where(SyncState.id == state.id, free)
        .values(lease_until=now + timedelta(seconds=current_app.config["SYNC_LEASE_SECONDS"]), lease_owner=_owner())
    ).rowcount
    if not taken:
        raise SyncBusy(f"site {site_id}: a {kind} is already running elsewhere")
    db.session.refresh(state)
    return state


def renew(state: SyncState) -> None:
    state.lease_until = utcnow() + timedelta(seconds=current_app.config["SYNC_LEASE_SECONDS"])


def release(state_id: int) -> None:
    """Let the lease go (the next run, here or elsewhere, may take it)."""
    db.session.execute(update(SyncState).where(SyncState.id == state_id, SyncState.lease_owner == _owner())
                       .values(lease_until=None, lease_owner=None))


@contextmanager
def leased(site_id: int, kind: str):
    """A run under the site's lease for this kind (SyncBusy when another process holds it): the
    lease is seen by every other process before the run starts, and let go in the same commit
    as what the run wrote last (its outcome: DONE, FAILED, the checkpoint); after a rollback
    when the run raised. Yields the state row."""
    state = claim(site_id, kind)
    state_id = state.id
    with commits.lease(let_go=lambda: release(state_id)):
        yield state


def cursor_of(state: SyncState) -> dict:
    return json.loads(state.cursor) if state.cursor else {}


def progress_text(done: int, total: int | None) -> str:
    return f"{done:,} of {total:,} orders" if total is not None else f"{done:,} orders"


def backfill_in_progress(site_id: int) -> SyncState | None:
    """The site's backfill while it is queued or running: the desk's "Importing orders" line
    reads the same row as GET /api/v1/sync/status."""
    return db.session.execute(
        select(SyncState).where(SyncState.site_id == site_id, SyncState.kind == SyncKind.BACKFILL,
                                SyncState.status.in_((SyncStatus.QUEUED, SyncStatus.RUNNING)))
    ).scalar_one_or_none()


def status_of(site: Site) -> dict:
    """What GET /api/v1/sync/status answers."""
    states = {s.kind: s for s in db.session.execute(select(SyncState).where(SyncState.site_id == site.id)).scalars()}
    backfill, reconcile, events = states.get(SyncKind.BACKFILL), states.get(SyncKind.RECONCILE), states.get(SyncKind.EVENTS)
    checkpoint = parse_wc_time(cursor_of(reconcile).get("after")) if reconcile else None
    return {
        "connected": bool(site.wc_consumer_key_enc and site.wc_consumer_secret_enc),
        "orders_stored": orders.orders_stored(site.id),
        "backfill": {
            "status": backfill.status if backfill else SyncStatus.IDLE,
            "done": backfill.done if backfill else 0,
            "total": backfill.total if backfill else None,
            "progress": progress_text(backfill.done, backfill.total) if backfill else progress_text(0, None),
            "started_at": iso(backfill.started_at) if backfill else None,
            "finished_at": iso(backfill.finished_at) if backfill else None,
            "last_error": backfill.last_error if backfill else None,
        },
        "reconcile": {
            "status": reconcile.status if reconcile else SyncStatus.IDLE,
            "checkpoint": iso(checkpoint),
            "last_run_at": iso(reconcile.finished_at) if reconcile else None,
            "last_changes": reconcile.done if reconcile else 0,
            "last_error": reconcile.last_error if reconcile else None,
        },
        "events": {
            "waiting": db.session.execute(select(func.count()).select_from(EventInbox)
                                          .where(EventInbox.site_id == site.id)).scalar_one(),
            "failed": events.done if events else 0,
            "last_error": events.last_error if events else None,
            "last_error_at": iso(events.finished_at) if events else None,
            "unstored": _as_status(_newest_unstored(events) if events else None),
        },
    }


# --- orders pushed events gave up on (the events row's cursor) -------------------------------

@dataclass
class EventFailure:
    """An order change the plugin handed over ("accepted") that the service gave up storing."""
    order_id: int
    at: datetime
    reason: str


# The orders given up on are remembered (newest last) until a later write stores them; at most:
UNSTORED_KEPT = 50


def remember_unstored(site_id: int, failed: list[tuple[dict, dict]]) -> None:
    state = state_for(site_id, SyncKind.EVENTS)
    now = utcnow()
    unstored = cursor_of(state).get("unstored", {})
    for event, result in failed:
        reason = f"Order #{event['order_id']}: {result['error']['message']}"[:1000]
        unstored.pop(str(event["order_id"]), None)  # re-added last: the newest
        unstored[str(event["order_id"])] = {"at": now.isoformat(), "reason": reason}
        state.last_error = reason
    state.cursor = json.dumps({"unstored": dict(list(unstored.items())[-UNSTORED_KEPT:])})
    state.done += len(failed)
    state.finished_at = now


UNSTORED_ALARM = timedelta(days=7)


def recent_event_failure(site_id: int) -> EventFailure | None:
    """The newest order change given up on this week that no later write has stored since (a
    later event, or reconciliation's pull, stores the order and ends the alarm)."""
    state = db.session.execute(select(SyncState).where(
        SyncState.site_id == site_id, SyncState.kind == SyncKind.EVENTS)).scalar_one_or_none()
    return _newest_unstored(state) if state is not None else None


def _newest_unstored(state: SyncState) -> EventFailure | None:
    since = utcnow() - UNSTORED_ALARM
    failures = [EventFailure(int(order_id), at, entry["reason"])
                for order_id, entry in cursor_of(state).get("unstored", {}).items()
                if (at := datetime.fromisoformat(entry["at"])) > since]
    if not failures:
        return None
    stored_since = dict(db.session.execute(
        select(Order.wc_id, Order.synced_at)
        .where(Order.site_id == state.site_id, in_list(Order.wc_id, [f.order_id for f in failures]))).all())
    missing = [f for f in failures if stored_since.get(f.order_id) is None or stored_since[f.order_id] < f.at]
    return max(missing, key=lambda f: f.at) if missing else None


def _as_status(failure: EventFailure | None) -> dict | None:
    return None if failure is None else {"order_id": failure.order_id, "reason": failure.reason, "at": iso(failure.at)}


# --- the plugin's order export (fast path) ----------------------------------------------------

def export_for(site: Site) -> OrderExport | None:
    """The shop's order export when its plugin offers it, else None (wc/v3 then).

    Probed once and remembered per site (a SyncState row of kind "export"), probed again
    after SYNC_EXPORT_REPROBE_SECONDS either way: a plugin update adds the route, a security
    plugin may start or stop blocking it. A shop that did not answer the probe at all, or whose
    plugin is still waiting for its export key (KEY_MISSING), is not remembered as lacking it.

    Commits: the probe is a remote call, and no transaction may stay open across one (on SQLite
    an open write transaction locks the whole database for every shop while the shop answers).
    """
    if not site.token_hash:
        return None
    remembered = db.session.execute(select(SyncState.cursor).where(
        SyncState.site_id == site.id, SyncState.kind == SyncKind.EXPORT)).scalar_one_or_none()
    known = json.loads(remembered) if remembered else {}
    checked = parse_wc_time(known.get("checked_at"))
    export = OrderExport.for_site(site)
    if checked and (utcnow() - checked).total_seconds() < current_app.config["SYNC_EXPORT_REPROBE_SECONDS"]:
        return export if known.get("available") else None
    site_id = site.id  # read before the step's commit expires `site`
    with commits.remote_step():  # the probe's answer is kept: both callers ask the shop next
        try:
            available = export.probe()
        except WooCommerceError as error:
            log.info("site %s: export probe got no usable answer (%s); using wc/v3 this time", site_id, error)
            return None
        remember_export(site_id, available)
    return export if available else None


def remember_export(site_id: int, available: bool, reason: str | None = None) -> None:
    state = state_for(site_id, SyncKind.EXPORT)
    state.cursor = json.dumps({"available": available, "checked_at": format_wc_time(utcnow())})
    state.status = SyncStatus.IDLE if available else SyncStatus.FAILED
    state.last_error = reason[:1000] if reason else None


# --- reconciliation's checkpoint -------------------------------------------------------------

def start_reconcile_at(site_id: int, moment: datetime) -> None:
    """Reconciliation's first checkpoint, set by a backfill to its own start (a later one keeps it)."""
    state = state_for(site_id, SyncKind.RECONCILE)
    if not cursor_of(state).get("after"):
        state.cursor = json.dumps({"after": format_wc_time(moment)})

