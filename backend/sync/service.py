"""Keeping the read model in step with WooCommerce: backfill, reconciliation, pushed events.

All three feed backend/orders/service.py's one upsert, so they may overlap freely.

- Backfill walks the whole history by `date_modified_gmt` (keyset, see the adapter) up to
  the moment it started, committing the cursor with every page: a crash resumes from the
  last committed page and the upsert makes the re-read page a no-op. Pages are fetched
  one ahead in a thread while the current one is written, and the session is emptied after
  every page, so memory stays flat however big the store.
- Reconciliation pulls what changed since its checkpoint (minus an overlap) every few
  minutes: a lost push costs minutes, never an order. The backfill sets its first
  checkpoint to the backfill's start, so the two cover everything between them.
- Events arrive from the plugin with idempotency keys; each item succeeds or fails alone.
"""
import json
import logging
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from flask import current_app
from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from backend.dbutil import in_list, insert_rows, on_postgresql, upsert_insert
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.woocommerce_export import ExportUnavailable, OrderExport
from backend.integrations.woocommerce import (
    ModifiedCursor,
    WooCommerce,
    WooCommerceError,
    WooCommerceNotConnected,
    format_wc_time,
    order_missing,
    parse_wc_time,
)
from backend.licensing.models import Site
from backend.orders import service as orders
from backend.orders.models import Order
from backend.sync.models import EventInbox, SeenEvent, SyncKind, SyncState, SyncStatus
from backend.timeutil import iso, utcnow

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


def claim(site_id: int, kind: str) -> SyncState:
    """Take the site's lease for this kind (committed at once) or raise SyncBusy."""
    state = state_for(site_id, kind)
    now = utcnow()
    taken = db.session.execute(
        update(SyncState)
        .where(SyncState.id == state.id,
               or_(SyncState.lease_until.is_(None), SyncState.lease_until < now, SyncState.lease_owner == _owner()))
        .values(lease_until=now + timedelta(seconds=current_app.config["SYNC_LEASE_SECONDS"]), lease_owner=_owner())
    ).rowcount
    db.session.commit()
    if not taken:
        raise SyncBusy(f"site {site_id}: a {kind} is already running elsewhere")
    db.session.refresh(state)
    return state


def _renew(state: SyncState) -> None:
    state.lease_until = utcnow() + timedelta(seconds=current_app.config["SYNC_LEASE_SECONDS"])


def _release(state_id: int) -> None:
    db.session.rollback()
    db.session.execute(update(SyncState).where(SyncState.id == state_id, SyncState.lease_owner == _owner())
                       .values(lease_until=None, lease_owner=None))
    db.session.commit()


def _cursor(state: SyncState) -> dict:
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
    checkpoint = parse_wc_time(_cursor(reconcile).get("after")) if reconcile else None
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


@dataclass
class EventFailure:
    """An order change the plugin handed over ("accepted") that the service gave up storing."""
    order_id: int
    at: datetime
    reason: str


# The orders given up on are remembered (newest last) until a later write stores them; at most:
UNSTORED_KEPT = 50


def _remember_unstored(site_id: int, failed: list[tuple[dict, dict]]) -> None:
    state = state_for(site_id, SyncKind.EVENTS)
    now = utcnow()
    unstored = _cursor(state).get("unstored", {})
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
                for order_id, entry in _cursor(state).get("unstored", {}).items()
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
    db.session.commit()
    try:
        available = export.probe()
    except WooCommerceError as error:
        log.info("site %s: export probe got no usable answer (%s); using wc/v3 this time", site.id, error)
        return None
    _remember_export(site.id, available)
    db.session.commit()
    return export if available else None


def _remember_export(site_id: int, available: bool, reason: str | None = None) -> None:
    state = state_for(site_id, SyncKind.EXPORT)
    state.cursor = json.dumps({"available": available, "checked_at": format_wc_time(utcnow())})
    state.status = SyncStatus.IDLE if available else SyncStatus.FAILED
    state.last_error = reason[:1000] if reason else None


# --- backfill -------------------------------------------------------------------------------

def request_backfill(site: Site, *, restart: bool = False) -> SyncState:
    """Queue a backfill for the jobs process. One already queued or running is left as it is;
    a failed one resumes from its cursor; a finished one (or `restart`) starts over."""
    if not (site.wc_consumer_key_enc and site.wc_consumer_secret_enc):
        raise ApiError("Connect the shop's WooCommerce REST API key first (the plugin hands it over at activation).",
                       code="woocommerce_not_connected", status=409)
    state = state_for(site.id, SyncKind.BACKFILL)
    busy = state.lease_until is not None and state.lease_until > utcnow()
    if state.status in (SyncStatus.QUEUED, SyncStatus.RUNNING) and not restart:
        return state
    if restart and busy:
        raise ApiError("A backfill is running for this shop; it cannot start over until it stops.",
                       code="backfill_running", status=409)
    if restart or state.status in (SyncStatus.IDLE, SyncStatus.DONE):
        # a walk stopped half way may have stored orders without their rollups, left to its end
        unfinished = state.status not in (SyncStatus.IDLE, SyncStatus.DONE) and _cursor(state)
        carried = {"rollups_deferred": True} if unfinished and unfinished.get("rollups_deferred", True) else None
        state.cursor, state.done, state.total = json.dumps(carried) if carried else None, 0, None
        state.started_at = state.finished_at = None
    state.status = SyncStatus.QUEUED
    state.last_error = None
    db.session.flush()
    return state


def run_backfill(site_id: int, *, budget_seconds: float | None = None, on_page=None) -> SyncState:
    """Run (or resume) the site's backfill in this process until done or out of budget.

    `on_page(state)` is called after each committed page (progress output, tests).
    """
    state = claim(site_id, SyncKind.BACKFILL)
    state_id = state.id
    try:
        return _backfill(site_id, state, budget_seconds, on_page)
    finally:
        _release(state_id)


def _backfill(site_id, state, budget_seconds, on_page):
    site = db.session.get(Site, site_id)
    started = time.monotonic()
    try:
        wc = WooCommerce.for_site(site)
        cursor = _cursor(state)
        if "until" not in cursor:  # a walk from the start
            until = utcnow().replace(microsecond=0)
            export = export_for(site)
            # an unfinished walk this one replaces may have left orders whose rollups only a
            # rebuild at the end gives them (`request_backfill` says so); see `_RollupPace`
            cursor = {"until": format_wc_time(until), "products_done": False,
                      "rollups_deferred": cursor.get("rollups_deferred", False)}
            if export is not None:
                # by id: every page is a primary-key range on the shop's side; orders changed
                # during the walk are reconciliation's (its checkpoint is this start)
                cursor.update(mode="export", after_id=0)
                state.total = export.count()
            else:
                cursor.update(mode="wc", walk=ModifiedCursor().to_dict())
                state.total = wc.count_orders(modified_before=until)
            state.done, state.started_at, state.finished_at = 0, utcnow(), None
            _start_reconcile_at(site_id, until)
        state.status, state.last_error, state.cursor = SyncStatus.RUNNING, None, json.dumps(cursor)
        db.session.commit()

        if cursor.get("mode") == "export":
            # trashed orders are left to reconciliation, as wc/v3's "any" leaves them out: the
            # read model is the same whichever path fed it
            walk = (([o for o in fresh if o.get("status") != "trash"], {"after_id": after_id})
                    for fresh, after_id in OrderExport.for_site(site).iter_by_id(int(cursor["after_id"])))
        else:
            until = parse_wc_time(cursor["until"])
            walk = ((fresh, {"walk": following.to_dict()}) for fresh, following
                    in wc.iter_orders_by_modified(ModifiedCursor.from_dict(cursor["walk"]), until=until))
        # Three stages, each in its own thread: download, read the JSON into rows, write. A
        # slow shop's next page is asked for as soon as the last one arrived (reading the rows in
        # the download thread delayed every request by that work), and the rows are read while
        # the database writes.
        with _prefetched(walk, name="sync-fetch") as downloaded, \
                _prefetched(_normalised_pages(downloaded), name="sync-normalise") as pages:
            if not cursor["products_done"]:  # while the first order pages download
                for products in WooCommerce.for_site(site).iter_products():
                    orders.upsert_products(site_id, products)
                    db.session.commit()  # before the next page is asked for (see `export_for`)
                cursor["products_done"] = True
                state.cursor = json.dumps(cursor)
                db.session.commit()
            pace = _RollupPace(cursor)
            for page_number, (records, invalid, following, waited) in enumerate(_timed(pages), start=1):
                orders.upsert_normalised(site_id, records, recount=False, rollups_now=pace.now(waited))
                _log_invalid(site_id, invalid)
                cursor.update(following)
                state = db.session.get(SyncState, state.id)
                state.cursor, state.done = json.dumps(cursor), state.done + len(records) + len(invalid)
                if invalid:
                    state.last_error = invalid[-1][:1000]
                _renew(state)
                db.session.commit()
                if on_page:
                    on_page(state)
                _refresh_statistics(page_number)
                # nothing from this page stays in memory: the identity map is emptied
                state_id = state.id
                db.session.expunge_all()
                state = db.session.get(SyncState, state_id)
                if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                    return state  # still RUNNING: the next job run resumes from the cursor
        orders.finish_bulk_load(site_id, rebuild_rollups=cursor.get("rollups_deferred", True))
        state.status, state.finished_at = SyncStatus.DONE, utcnow()
        # orders changed during the walk moved past its end; reconciliation has them
        state.total = state.done
        db.session.commit()
        return state
    except ExportUnavailable as error:
        # the route went away mid-walk (plugin downgraded, a security plugin): carry on with
        # wc/v3 from the start; what the export stored stays and re-reads are no-ops
        db.session.rollback()
        log.warning("backfill of site %s: export refused (%s); going on with wc/v3", site_id, error)
        _remember_export(site_id, False, str(error))
        state = db.session.get(SyncState, state.id)
        cursor = _cursor(state)
        cursor.update(mode="wc", walk=ModifiedCursor().to_dict())
        cursor.pop("after_id", None)
        state.cursor, state.done = json.dumps(cursor), 0
        db.session.commit()
        return _backfill(site_id, state, budget_seconds, on_page)
    except WooCommerceError as error:
        db.session.rollback()
        state = db.session.get(SyncState, state.id)
        state.last_error = str(error)[:1000]
        # a shop that was down is retried by the next job run; a refusal waits for the shop
        state.status = SyncStatus.RUNNING if error.retryable else SyncStatus.FAILED
        db.session.commit()
        log.warning("backfill of site %s stopped: %s", site_id, error)
        return state


# A page the writer waited for at least this long (seconds) came from the slower side, the shop;
# this many pages in a row that did not keep it waiting say the writer is the slower one (more
# than the pipeline holds, two downloaded and two read pages, which it drains after a pause).
ROLLUPS_NOW_AFTER_WAIT = 0.005
WRITER_BEHIND_AFTER_PAGES = 8


class _RollupPace:
    """Whether each page writes its own dashboard rollups. Pages the writer has to wait for come
    from a shop slower than the writer (a real shop's page takes seconds): their rollups cost
    time the writer would spend idle, and when every page did so the backfill ends without a
    rebuild. Once pages queue up (the writer is the slower side), rollups are left to one
    rebuild at the end, cheaper than a delta per order; the cursor remembers that."""

    def __init__(self, cursor: dict):
        self.cursor, self.ready_in_a_row = cursor, 0

    def now(self, waited: float) -> bool:
        if self.cursor.get("rollups_deferred", True):
            return False
        self.ready_in_a_row = 0 if waited >= ROLLUPS_NOW_AFTER_WAIT else self.ready_in_a_row + 1
        if self.ready_in_a_row >= WRITER_BEHIND_AFTER_PAGES:
            self.cursor["rollups_deferred"] = True
            return False
        return True


def _timed(pages):
    """The pages, each with how long the caller waited for it."""
    iterator = iter(pages)
    while True:
        asked = time.monotonic()
        try:
            page = next(iterator)
        except StopIteration:
            return
        yield (*page, time.monotonic() - asked)


STATISTICS_PAGES = {2, 8, 32, 128, 512, 2048}


def _refresh_statistics(page_number: int) -> None:
    """ANALYZE the read model's tables a few times as a backfill grows them (PostgreSQL).

    A first shop on a fresh database fills empty tables fast; the planner keeps plans made
    when they were empty (sequential scans) and each page gets slower than the last.
    Autovacuum catches up only after a minute; a handful of ANALYZEs spaced out
    exponentially keeps every page as fast as the first, at no cost on big tables.
    """
    if page_number not in STATISTICS_PAGES or not on_postgresql():
        return
    try:
        db.session.execute(text("ANALYZE orders, order_items, customers"))
        db.session.commit()
    except SQLAlchemyError as error:  # e.g. a database user that may not ANALYZE: slower, not wrong
        db.session.rollback()
        log.warning("could not refresh planner statistics: %s", error)


def _normalise_page(raw_orders: list) -> tuple[list, list[str]]:
    """(records, messages): a malformed order is skipped and reported, never the page."""
    records, invalid = [], []
    for raw in raw_orders:
        try:
            records.append(orders.normalise_order(raw))
        except orders.InvalidOrder as error:
            invalid.append(f"order {raw.get('id') if isinstance(raw, dict) else '?'}: {error}")
    return records, invalid


def _normalised_pages(walk):
    """(records, invalid, cursor update) per page of (raw orders, cursor update)."""
    for raw_orders, following in walk:
        records, invalid = _normalise_page(raw_orders)
        yield records, invalid, following


def _log_invalid(site_id: int, invalid: list[str]) -> None:
    for message in invalid:
        log.warning("site %s: skipped malformed order from WooCommerce: %s", site_id, message)


def _store_page(site_id: int, raw_orders: list) -> list[str]:
    """Upsert one page (customers recounted as it goes)."""
    records, invalid = _normalise_page(raw_orders)
    orders.upsert_normalised(site_id, records)
    _log_invalid(site_id, invalid)
    return invalid


class _prefetched:
    """Run an iterator up to `depth` steps ahead in a thread: the next page downloads while this one is written."""

    _END = object()

    def __init__(self, iterator, depth: int = 2, name: str = "sync-prefetch"):
        self._iterator, self._queue, self._stop = iterator, queue.Queue(maxsize=depth), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)

    def _run(self):
        try:
            for item in self._iterator:
                while not self._stop.is_set():
                    try:
                        self._queue.put((item, None), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._queue.put((self._END, None))
        except BaseException as error:  # handed to the consumer, raised there
            self._queue.put((self._END, error))

    def __enter__(self):
        self._thread.start()
        return self

    def __iter__(self):
        while True:
            item, error = self._queue.get()
            if error is not None:
                raise error
            if item is self._END:
                return
            yield item

    def __exit__(self, *exc):
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.1)
            except queue.Empty:
                pass
        return False


# --- reconciliation ---------------------------------------------------------------------------

def _start_reconcile_at(site_id: int, moment: datetime) -> None:
    state = state_for(site_id, SyncKind.RECONCILE)
    if not _cursor(state).get("after"):
        state.cursor = json.dumps({"after": format_wc_time(moment)})


def run_reconcile(site_id: int) -> int:
    """Pull orders modified since the checkpoint (minus the overlap) and upsert them.
    Returns how many orders came back (changed or not). Does nothing before the first backfill."""
    state = claim(site_id, SyncKind.RECONCILE)
    state_id = state.id
    try:
        checkpoint = parse_wc_time(_cursor(state).get("after"))
        if checkpoint is None:
            return 0
        state.status, state.started_at, state.last_error = SyncStatus.RUNNING, utcnow(), None
        db.session.commit()
        overlap = timedelta(seconds=current_app.config["SYNC_RECONCILE_OVERLAP_SECONDS"])
        site = db.session.get(Site, site_id)
        wc = WooCommerce.for_site(site)
        seen, start = 0, ModifiedCursor(after=checkpoint - overlap)
        export = export_for(site)
        db.session.commit()
        if export is not None:
            try:
                # one walk: the export hands out trashed orders too
                for fresh, after, _after_id in export.iter_by_modified(start.after):
                    _store_page(site_id, fresh)
                    seen += len(fresh)
                    state = db.session.get(SyncState, state_id)
                    if after > checkpoint:
                        checkpoint = after
                        state.cursor = json.dumps({"after": format_wc_time(checkpoint)})
                    _renew(state)
                    db.session.commit()
                    db.session.expunge_all()
                export = "done"
            except ExportUnavailable as error:
                db.session.rollback()
                log.warning("reconciliation of site %s: export refused (%s); using wc/v3", site_id, error)
                _remember_export(site_id, False, str(error))
                db.session.commit()
            except WooCommerceError as error:
                return _reconcile_failed(site_id, state_id, error, seen)
        try:
            # "any" leaves the trash out, so trashed orders need their own (small) walk
            for status in (() if export == "done" else (None, "trash")):
                for fresh, following in wc.iter_orders_by_modified(start, status=status):
                    _store_page(site_id, fresh)
                    seen += len(fresh)
                    state = db.session.get(SyncState, state_id)
                    if following.after and following.after > checkpoint:
                        checkpoint = following.after
                        state.cursor = json.dumps({"after": format_wc_time(checkpoint)})
                    _renew(state)
                    db.session.commit()
                    db.session.expunge_all()
        except WooCommerceError as error:
            return _reconcile_failed(site_id, state_id, error, seen)
        state = db.session.get(SyncState, state_id)
        state.status, state.done, state.finished_at = SyncStatus.IDLE, seen, utcnow()
        db.session.commit()
        return seen
    finally:
        _release(state_id)


def _reconcile_failed(site_id: int, state_id: int, error: WooCommerceError, seen: int) -> int:
    db.session.rollback()
    state = db.session.get(SyncState, state_id)
    state.status, state.last_error, state.finished_at = SyncStatus.FAILED, str(error)[:1000], utcnow()
    db.session.commit()
    log.warning("reconciliation of site %s stopped: %s", site_id, error)
    return seen


def connected_sites() -> list[int]:
    return list(db.session.execute(
        select(Site.id).where(Site.token_hash.is_not(None), Site.wc_consumer_key_enc.is_not(None),
                              Site.wc_consumer_secret_enc.is_not(None)).order_by(Site.id)
    ).scalars())


def reconcile_all() -> dict:
    """The 5-minute job: queue a first backfill where none ever ran, reconcile the rest.
    One shop's failure never stops the others."""
    report = {"reconciled": 0, "queued_backfills": 0, "busy": 0, "failed": 0}
    for site_id in connected_sites():
        try:
            backfill = state_for(site_id, SyncKind.BACKFILL)
            if backfill.status == SyncStatus.IDLE and not backfill.cursor:
                request_backfill(db.session.get(Site, site_id))
                db.session.commit()
                report["queued_backfills"] += 1
                continue
            run_reconcile(site_id)
            report["reconciled"] += 1
        except SyncBusy:
            report["busy"] += 1
        except Exception:  # noqa: BLE001 - logged; the next shop still gets its turn
            db.session.rollback()
            log.exception("reconciliation of site %s failed", site_id)
            report["failed"] += 1
    return report


def backfill_queued() -> dict:
    """The backfill job: run queued and interrupted backfills, each within a time budget."""
    report = {"ran": 0, "busy": 0, "failed": 0}
    budget = current_app.config["SYNC_BACKFILL_BUDGET_SECONDS"]
    pending = list(db.session.execute(
        select(SyncState.site_id).where(SyncState.kind == SyncKind.BACKFILL,
                                        SyncState.status.in_([SyncStatus.QUEUED, SyncStatus.RUNNING]))
        .order_by(SyncState.updated_at)
    ).scalars())
    for site_id in pending:
        try:
            run_backfill(site_id, budget_seconds=budget)
            report["ran"] += 1
        except SyncBusy:
            report["busy"] += 1
        except WooCommerceNotConnected:
            report["failed"] += 1
        except Exception:  # noqa: BLE001 - logged; other shops go on
            db.session.rollback()
            log.exception("backfill of site %s failed", site_id)
            report["failed"] += 1
    return report


def prune_seen_events() -> int:
    cutoff = utcnow() - timedelta(days=current_app.config["SEEN_EVENTS_KEEP_DAYS"])
    return db.session.execute(delete(SeenEvent).where(SeenEvent.received_at < cutoff)).rowcount


# --- pushed events --------------------------------------------------------------------------

# an order body without these is partial: the full order is fetched from WooCommerce
FULL_ORDER_FIELDS = ("id", "status", "date_created_gmt", "date_modified_gmt", "billing", "line_items", "total")
# An event with order_shape "export" carries the whole order as the plugin's export route renders
# it (wp-plugin/includes/class-bikri-order-export.php): every one of these keys. It is applied as
# sent, with the export path's own check (`normalise_order`), and never completed from WooCommerce:
# reading orders back through wc/v3 is what took ~2 s per 100 orders and timed out in bursts.
# A key missing is an error of that event (a field left out would store as zero or empty).
EXPORT_ORDER_FIELDS = ("id", "parent_id", "number", "status", "currency", "date_created_gmt", "date_modified_gmt",
                       "date_paid_gmt", "date_completed_gmt", "discount_total", "shipping_total", "total_tax", "total",
                       "customer_id", "payment_method", "payment_method_title", "created_via", "customer_note",
                       "billing", "shipping", "line_items", "refunds", "meta_data")
EXPORT_OBJECTS = ("billing", "shipping")
EXPORT_LISTS = ("line_items", "refunds", "meta_data")


def _export_body_error(body) -> str | None:
    """Why an order sent in the export shape cannot be applied, or None."""
    if not isinstance(body, dict):
        return "order: the export shape needs the whole order as a JSON object."
    missing = [name for name in EXPORT_ORDER_FIELDS if name not in body]
    if missing:
        return f"order: missing {', '.join(missing)} (the export shape carries the whole order)."
    for name in EXPORT_OBJECTS:
        if not isinstance(body[name], dict):
            return f"order.{name}: an object expected"
    for name in EXPORT_LISTS:
        if not isinstance(body[name], list):
            return f"order.{name}: a list expected"
    return None


@dataclass
class InvalidItem:
    """An event that failed validation: reported in its result, never failing the batch."""
    raw: object
    messages: dict


def _error(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def _invalid_result(item: InvalidItem) -> dict:
    key = item.raw.get("idempotency_key") if isinstance(item.raw, dict) else None
    return {"idempotency_key": key if isinstance(key, str) else None, "status": "error",
            "error": _error("invalid_event", _flatten(item.messages))}


def apply_events(site: Site, events: list) -> list[dict]:
    """Apply a batch of pushed events; one result per event, in order."""
    results: list[dict | None] = [None] * len(events)

    def done(index, status, error=None):
        key = events[index].get("idempotency_key") if isinstance(events[index], dict) else None
        results[index] = {"idempotency_key": key, "status": status, **({"error": error} if error else {})}

    candidates = []
    for index, event in enumerate(events):
        if isinstance(event, InvalidItem):
            results[index] = _invalid_result(event)
        else:
            candidates.append(index)

    records, deletions, to_fetch = {}, {}, {}
    for index in candidates:
        event = events[index]
        body = event.get("order")
        if body is not None and isinstance(body, dict) and body.get("id") not in (None, event["order_id"]):
            done(index, "error", _error("invalid_event", f"order.id ({body.get('id')}) differs from order_id ({event['order_id']})."))
        elif event["type"] == "deleted" and (not isinstance(body, dict) or body.get("status") != "trash"):
            # moved to the trash: the order (restorable) is stored as it is; anything else is gone for good
            deletions[index] = (event["order_id"], event["date_modified_gmt"])
        elif event.get("order_shape") == "export":
            if (problem := _export_body_error(body)) is not None:
                done(index, "error", _error("invalid_order", problem))
            else:
                records[index] = body
        elif not body or any(name not in body for name in FULL_ORDER_FIELDS):
            to_fetch[index] = event["order_id"]
        else:
            records[index] = body
    if to_fetch:
        # Before anything is written: no transaction waits open on the shop (on SQLite an open
        # write locks the whole database). Events seen before are not asked about.
        with db.session.no_autoflush:
            seen = _seen_keys(site.id, [events[i]["idempotency_key"] for i in to_fetch])
        to_fetch = {i: order_id for i, order_id in to_fetch.items() if events[i]["idempotency_key"] not in seen}
        if to_fetch:
            _fetch_bodies(site, to_fetch, records, done, deletions)

    # Claim the keys: a key seen before (or earlier in this batch, or by a concurrent request
    # that commits first) is a duplicate. Keys of items that end in error are let go.
    live = [i for i in candidates if results[i] is None]
    claimed = _claim_keys(site.id, [events[i]["idempotency_key"] for i in live])
    fresh = set()
    for index in live:
        key = events[index]["idempotency_key"]
        if key in claimed:
            claimed.discard(key)
            fresh.add(index)
        else:
            done(index, "duplicate")
    records = {i: body for i, body in records.items() if i in fresh}
    deletions = {i: deletion for i, deletion in deletions.items() if i in fresh}

    normalised = {}
    for index, body in records.items():
        try:
            normalised[index] = orders.normalise_order(body)
        except orders.InvalidOrder as error:
            done(index, "error", _error("invalid_order", str(error)))
    _apply(site.id, normalised, deletions, done)
    _release_keys(site.id, [events[i]["idempotency_key"] for i in fresh if results[i]["status"] == "error"])
    return results


def _flatten(messages, prefix="") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}." if not str(k).isdigit() else f"{prefix}[{k}].")
                         for k, v in messages.items())
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: " + " ".join(str(m) for m in messages) if prefix else " ".join(map(str, messages))
    return f"{prefix.rstrip('.')}: {messages}"


def _seen_keys(site_id: int, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(db.session.execute(select(SeenEvent.idempotency_key).where(
        SeenEvent.site_id == site_id, in_list(SeenEvent.idempotency_key, sorted(set(keys))))).scalars())


def _claim_keys(site_id: int, keys: list[str]) -> set[str]:
    unique = sorted(set(keys))
    if not unique:
        return set()
    now = utcnow()
    inserted = insert_rows(SeenEvent.__table__, [{"site_id": site_id, "idempotency_key": k, "received_at": now}
                                                 for k in unique],
                           conflict=("site_id", "idempotency_key"), returning=("idempotency_key",))
    return {row.idempotency_key for row in inserted}


def _release_keys(site_id: int, keys: list[str]) -> None:
    if keys:
        db.session.execute(delete(SeenEvent).where(SeenEvent.site_id == site_id, in_list(SeenEvent.idempotency_key, keys)))


# --- events accepted now, applied right after the answer (Prefer: respond-async) ------------
#
# The plugin's queue runner blocks a PHP worker of the shop while it waits for our answer, and
# applying 50 full orders (items, customers, rollups; sometimes a read from WooCommerce) takes
# tens of milliseconds. So, when asked, the events are validated and stored, answered
# "accepted", and applied by the same web worker once the answer is out: on the order desk
# within a fraction of a second, as before.

# Events that failed for a reason that may pass (WooCommerce did not answer, the database
# refused) are tried again, each time later; after that, reconciliation's pull finds their orders.
_RETRY_CODES = {"order_fetch_failed", "not_stored"}
INBOX_ATTEMPTS = 6
# A row still here this long after it was accepted lost the worker that took it (a restart, a
# crash): the jobs process applies it.
INBOX_ORPHAN_AFTER = timedelta(seconds=20)


def accept_events(site: Site, events: list) -> tuple[list[dict], int | None]:
    """Validate now, apply later: invalid events are answered as errors at once, the valid ones
    stored in one inbox row (committed with the answer) and answered "accepted". Returns the
    results and the row's id (None when nothing was valid)."""
    results, valid = [], []
    for event in events:
        if isinstance(event, InvalidItem):
            results.append(_invalid_result(event))
        else:
            results.append({"idempotency_key": event["idempotency_key"], "status": "accepted"})
            valid.append(event)
    if not valid:
        return results, None
    now = utcnow()
    row = EventInbox(site_id=site.id, events=_inbox_json(valid), received_at=now, not_before=now + INBOX_ORPHAN_AFTER)
    db.session.add(row)
    db.session.flush()
    return results, row.id


def _inbox_json(events: list[dict]) -> str:
    return orjson.dumps([{**event, "date_modified_gmt": event["date_modified_gmt"].isoformat()}
                         for event in events]).decode()


def _inbox_events(stored: str) -> list[dict]:
    return [{**event, "date_modified_gmt": datetime.fromisoformat(event["date_modified_gmt"])}
            for event in orjson.loads(stored)]


def apply_inbox(inbox_id: int | None = None, limit: int = 200) -> int:
    """Apply accepted events: the row `inbox_id` (its worker, right after answering), or else the
    rows whose time has come (jobs process: orphans and retries), oldest first. Each row is
    applied and removed in one transaction: a crash leaves it whole for the next try, and the
    events' keys, claimed in that same transaction, make what a try applied a duplicate to the
    next. Returns how many rows were taken."""
    query = select(EventInbox).order_by(EventInbox.id).limit(1)
    query = query.where(EventInbox.id == inbox_id) if inbox_id is not None else \
        query.where(EventInbox.not_before <= utcnow())
    if on_postgresql():
        query = query.with_for_update(skip_locked=True)  # a row another process is applying is its own
    taken = 0
    while taken < limit:
        row = db.session.execute(query).scalar_one_or_none()
        if row is None:
            break
        row_id, site_id = row.id, row.site_id
        taken += 1
        try:
            _apply_inbox_row(row)
            db.session.commit()
        except Exception:  # noqa: BLE001 - logged; the row is tried again later, other rows go on
            db.session.rollback()
            log.exception("site %s: accepted events (inbox row %s) could not be applied", site_id, row_id)
            _postpone(row_id)
        if inbox_id is not None:
            break
    return taken


def _apply_inbox_row(row: EventInbox) -> None:
    events = _inbox_events(row.events)
    site = db.session.get(Site, row.site_id)
    results = apply_events(site, events)
    failed = [(event, result) for event, result in zip(events, results) if result["status"] == "error"]
    for event, result in failed:
        log.warning("site %s: accepted event %s (order %s) failed: %s", row.site_id, event["idempotency_key"],
                    event["order_id"], result["error"]["message"])
    retry = [event for event, result in failed if result["error"]["code"] in _RETRY_CODES]
    if retry and row.attempts + 1 < INBOX_ATTEMPTS:
        row.events, row.attempts = _inbox_json(retry), row.attempts + 1
        row.not_before = utcnow() + timedelta(seconds=30 * 2 ** row.attempts)
        row.last_error = "; ".join(result["error"]["message"] for _event, result in failed)[:1000]
        failed = [(event, result) for event, result in failed if result["error"]["code"] not in _RETRY_CODES]
    else:
        db.session.delete(row)
    if failed:  # given up on
        # the plugin was told "accepted" and let them go: the shop reads why in the sync status
        # and on the dashboard (reconciliation's pull brings such an order in once WooCommerce
        # serves it whole)
        _remember_unstored(row.site_id, failed)


def _postpone(row_id: int) -> None:
    """A row whose apply raised is tried again in a minute, at most INBOX_ATTEMPTS times in all."""
    db.session.execute(update(EventInbox).where(EventInbox.id == row_id)
                       .values(attempts=EventInbox.attempts + 1, not_before=utcnow() + timedelta(minutes=1)))
    db.session.execute(delete(EventInbox).where(EventInbox.id == row_id, EventInbox.attempts >= INBOX_ATTEMPTS))
    db.session.commit()


def _fetch_bodies(site: Site, to_fetch: dict, records: dict, done, deletions: dict) -> None:
    """Events that came without a (full) order: read those orders from WooCommerce in one request per 100.
    An order WooCommerce no longer has (deleted without the hooks that send a deletion) is
    applied as a deletion as of now."""
    try:
        wc = WooCommerce.for_site(site, timeout=current_app.config["WOOCOMMERCE_EVENT_FETCH_TIMEOUT"], retries=0)
        found = {order["id"]: order for order in wc.get_orders(to_fetch.values())}
        for order_id in set(to_fetch.values()) - set(found):
            # the list leaves the trash out; one by one, WooCommerce answers trashed orders too
            try:
                found[order_id] = wc.get_order(order_id)
            except WooCommerceError as error:
                if not order_missing(error):
                    raise
    except WooCommerceError as error:
        for index in to_fetch:
            done(index, "error", _error("order_fetch_failed",
                                        f"The event has no full order and WooCommerce could not be asked: {error}"))
        return
    gone = orders.missing_since(site.id, set(to_fetch.values()) - set(found))
    for index, order_id in to_fetch.items():
        if order_id in found:
            records[index] = found[order_id]
        else:
            deletions[index] = (order_id, gone[order_id])


def _apply(site_id: int, normalised: dict, deletions: dict, done) -> None:
    """Upsert the batch in one go; should the database refuse it, apply item by item so
    that only the offending events fail."""
    def as_result(outcome):
        return "ignored_older" if outcome == orders.IGNORED_OLDER else "applied"

    try:
        with db.session.begin_nested():
            outcomes = orders.upsert_normalised(site_id, list(normalised.values()))
            deleted = orders.delete_orders(site_id, list(deletions.values()))
        for index, outcome in zip(list(normalised) + list(deletions), outcomes + deleted):
            done(index, as_result(outcome))
        return
    except SQLAlchemyError:
        log.exception("site %s: batch upsert refused; applying events one by one", site_id)
    one_by_one = [(index, orders.upsert_normalised, record, "order") for index, record in normalised.items()]
    one_by_one += [(index, orders.delete_orders, deletion, "deletion") for index, deletion in deletions.items()]
    for index, apply, item, what in one_by_one:
        try:
            with db.session.begin_nested():
                done(index, as_result(apply(site_id, [item])[0]))
        except SQLAlchemyError as error:
            done(index, "error", _error("not_stored", f"The {what} could not be stored: {error.__class__.__name__}."))
