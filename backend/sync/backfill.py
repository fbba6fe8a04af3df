"""Backfill: the whole order history, read once into the read model.

The walk goes by `date_modified_gmt` (keyset, see the adapter), or by id through the plugin's
order export when it offers one, up to the moment it started, committing the cursor with every
page: a crash resumes from the last committed page and the upsert makes the re-read page a
no-op. Pages are fetched one ahead in a thread while the current one is written, and the
session is emptied after every page, so memory stays flat however big the store. The walk
sets reconciliation's first checkpoint to its start, so the two cover everything between them.
"""
import json
import logging
import queue
import threading
import time

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from backend import commits
from backend.database import on_postgresql
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.woocommerce import (
    ModifiedCursor,
    WooCommerce,
    WooCommerceError,
    WooCommerceNotConnected,
    format_wc_time,
    parse_wc_time,
)
from backend.integrations.woocommerce_export import ExportUnavailable, OrderExport
from backend.licensing.models import Site
from backend.orders import service as orders
from backend.orders.wire import InvalidOrder, normalise_order
from backend.sync.models import SyncKind, SyncState, SyncStatus
from backend.sync.state import (
    SyncBusy,
    cursor_of,
    export_for,
    leased,
    remember_export,
    renew,
    start_reconcile_at,
    state_for,
)
from backend.clock import utcnow

log = logging.getLogger(__name__)


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
        unfinished = state.status not in (SyncStatus.IDLE, SyncStatus.DONE) and cursor_of(state)
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
    with leased(site_id, SyncKind.BACKFILL) as state:  # commits the run's outcome as it lets the lease go
        return _backfill(site_id, state, budget_seconds, on_page)


def _backfill(site_id: int, state: SyncState, budget_seconds: float | None, on_page) -> SyncState:
    """Walk from the cursor until the end or the budget; a refused export goes on through wc/v3,
    a shop that failed leaves the walk where it stood."""
    site = db.session.get(Site, site_id)
    state_id = state.id
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    try:
        wc = WooCommerce.for_site(site)
        cursor = cursor_of(state)
        if "until" not in cursor:
            cursor = _start_walk(site, wc, state, cursor)
        state.status, state.last_error, state.cursor = SyncStatus.RUNNING, None, json.dumps(cursor)
        commits.before_remote_call()  # the pages are asked for from here on
        # Three stages, each in its own thread: download, read the JSON into rows, write. A
        # slow shop's next page is asked for as soon as the last one arrived (reading the rows in
        # the download thread delayed every request by that work), and the rows are read while
        # the database writes.
        with _ReadAhead(_order_pages(site, wc, cursor), name="sync-fetch") as downloaded, \
                _ReadAhead(_normalised_pages(downloaded), name="sync-normalise") as pages:
            if not cursor["products_done"]:  # while the first order pages download
                _store_products(site, state, cursor)
            state, walked_to_the_end = _write_pages(site_id, state, cursor, pages, deadline, on_page)
        if not walked_to_the_end:
            return state  # still RUNNING: the next job run resumes from the cursor
        return _finish_walk(site_id, state, cursor)
    except ExportUnavailable as error:
        return _backfill(site_id, _go_on_through_wc(site_id, state_id, error), budget_seconds, on_page)
    except WooCommerceError as error:
        return _walk_stopped(site_id, state_id, error)


def _start_walk(site: Site, wc: WooCommerce, state: SyncState, previous: dict) -> dict:
    """A walk from the start, up to now: through the plugin's order export when it offers one,
    else wc/v3. Counts what there is to read and sets reconciliation's first checkpoint."""
    site_id = site.id  # read before the probe's commits expire `site`
    until = utcnow().replace(microsecond=0)
    export = export_for(site)
    # an unfinished walk this one replaces may have left orders whose rollups only a
    # rebuild at the end gives them (`request_backfill` says so); see `_RollupPace`
    cursor = {"until": format_wc_time(until), "products_done": False,
              "rollups_deferred": previous.get("rollups_deferred", False)}
    if export is not None:
        # by id: every page is a primary-key range on the shop's side; orders changed
        # during the walk are reconciliation's (its checkpoint is this start)
        cursor.update(mode="export", after_id=0)
        state.total = export.count()
    else:
        cursor.update(mode="wc", walk=ModifiedCursor().to_dict())
        state.total = wc.count_orders(modified_before=until)
    state.done, state.started_at, state.finished_at = 0, utcnow(), None
    start_reconcile_at(site_id, until)
    return cursor


def _order_pages(site: Site, wc: WooCommerce, cursor: dict):
    """(raw orders, cursor update) per page, from where the cursor stands."""
    if cursor.get("mode") == "export":
        # trashed orders are left to reconciliation, as wc/v3's "any" leaves them out: the
        # read model is the same whichever path fed it
        return (([o for o in fresh if o.get("status") != "trash"], {"after_id": after_id})
                for fresh, after_id in OrderExport.for_site(site).iter_by_id(int(cursor["after_id"])))
    until = parse_wc_time(cursor["until"])
    return ((fresh, {"walk": following.to_dict()}) for fresh, following
            in wc.iter_orders_by_modified(ModifiedCursor.from_dict(cursor["walk"]), until=until))


def _store_products(site: Site, state: SyncState, cursor: dict) -> None:
    """The shop's products, a committed page at a time, then marked done in the cursor."""
    site_id = site.id  # read once: every commit below expires `site`
    for products in commits.one_at_a_time(WooCommerce.for_site(site).iter_products()):
        orders.upsert_products(site_id, products)
    # kept with the first order page (its commit); a run that stops before it reads the
    # products again, and storing a product twice changes nothing
    cursor["products_done"] = True
    state.cursor = json.dumps(cursor)


def _write_pages(site_id: int, state: SyncState, cursor: dict, pages, deadline: float | None,
                 on_page) -> tuple[SyncState, bool]:
    """Write the pages as they come, each committed with the cursor after it. Returns the state
    and whether the walk reached its end (False: out of time, the cursor says where it stopped)."""
    pace = _RollupPace(cursor)
    for page_number, (records, invalid, following, waited) in enumerate(_timed(pages), start=1):
        state = _write_page(site_id, state.id, cursor, records, invalid, following, rollups_now=pace.now(waited),
                            page_number=page_number)
        if on_page:
            on_page(state)
        # nothing from this page stays in memory: the identity map is emptied
        state_id = state.id
        db.session.expunge_all()
        state = db.session.get(SyncState, state_id)
        if deadline is not None and time.monotonic() > deadline:
            return state, False
    return state, True


def _write_page(site_id: int, state_id: int, cursor: dict, records: list, invalid: list[str], following: dict,
                *, rollups_now: bool, page_number: int) -> SyncState:
    """Upsert one page and move the cursor and the progress past it, in one commit (a page that
    grows the tables a lot refreshes the planner's statistics in it, `_refresh_statistics`)."""
    orders.upsert_normalised(site_id, records, recount=False, rollups_now=rollups_now)
    _log_invalid(site_id, invalid)
    cursor.update(following)
    state = db.session.get(SyncState, state_id)
    state.cursor, state.done = json.dumps(cursor), state.done + len(records) + len(invalid)
    if invalid:
        state.last_error = invalid[-1][:1000]
    renew(state)
    _refresh_statistics(page_number)
    commits.keep_progress()  # the page with its cursor: a crash resumes after it (and `on_page` sees it)
    return state


def _finish_walk(site_id: int, state: SyncState, cursor: dict) -> SyncState:
    """The walk reached its end: counts, rollups left to the end, DONE."""
    orders.finish_bulk_load(site_id, rebuild_rollups=cursor.get("rollups_deferred", True))
    state.status, state.finished_at = SyncStatus.DONE, utcnow()
    # orders changed during the walk moved past its end; reconciliation has them
    state.total = state.done
    return state


def _go_on_through_wc(site_id: int, state_id: int, error: ExportUnavailable) -> SyncState:
    """The export route went away mid-walk (plugin downgraded, a security plugin): the walk
    starts over through wc/v3; what the export stored stays and re-reads are no-ops."""
    db.session.rollback()
    log.warning("backfill of site %s: export refused (%s); going on with wc/v3", site_id, error)
    remember_export(site_id, False, str(error))
    state = db.session.get(SyncState, state_id)
    cursor = cursor_of(state)
    cursor.update(mode="wc", walk=ModifiedCursor().to_dict())
    cursor.pop("after_id", None)
    state.cursor, state.done = json.dumps(cursor), 0
    return state  # kept by `_backfill`'s commit before the first wc/v3 page is asked for


def _walk_stopped(site_id: int, state_id: int, error: WooCommerceError) -> SyncState:
    """The shop failed: the walk stays where its cursor is. A shop that was down is retried by
    the next job run; a refusal waits for the shop."""
    db.session.rollback()
    state = db.session.get(SyncState, state_id)
    state.last_error = str(error)[:1000]
    state.status = SyncStatus.RUNNING if error.retryable else SyncStatus.FAILED
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
    exponentially keeps every page as fast as the first, at no cost on big tables. It runs in
    the page's transaction (which counts the page's own rows) and is committed with it, in a
    savepoint: a refused ANALYZE takes nothing of the page with it.
    """
    if page_number not in STATISTICS_PAGES or not on_postgresql():
        return
    try:
        with db.session.begin_nested():
            db.session.execute(text("ANALYZE orders, order_items, customers"))
    except SQLAlchemyError as error:  # e.g. a database user that may not ANALYZE: slower, not wrong
        log.warning("could not refresh planner statistics: %s", error)


def _normalise_page(raw_orders: list) -> tuple[list, list[str]]:
    """(records, messages): a malformed order is skipped and reported, never the page."""
    records, invalid = [], []
    for raw in raw_orders:
        try:
            records.append(normalise_order(raw))
        except InvalidOrder as error:
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


def store_page(site_id: int, raw_orders: list) -> list[str]:
    """Upsert one page (customers recounted as it goes)."""
    records, invalid = _normalise_page(raw_orders)
    orders.upsert_normalised(site_id, records)
    _log_invalid(site_id, invalid)
    return invalid


class _ReadAhead:
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


def sites_with_backfill_due() -> list[int]:
    """Shops whose backfill is queued or was interrupted (the scheduler's per-shop list)."""
    return list(db.session.execute(
        select(SyncState.site_id).where(SyncState.kind == SyncKind.BACKFILL,
                                        SyncState.status.in_([SyncStatus.QUEUED, SyncStatus.RUNNING]))
        .order_by(SyncState.updated_at)
    ).scalars())


def backfill_site(site_id: int) -> str:
    """One shop's turn of the backfill job, within SYNC_BACKFILL_BUDGET_SECONDS: "ran", "busy"
    or "failed" ("nothing" when it is done already: a task the broker delivered again after its
    worker died). A shop's failure is logged and kept in its state row, never raised to the job."""
    if state_for(site_id, SyncKind.BACKFILL).status not in (SyncStatus.QUEUED, SyncStatus.RUNNING):
        return "nothing"
    try:
        run_backfill(site_id, budget_seconds=current_app.config["SYNC_BACKFILL_BUDGET_SECONDS"])
        return "ran"
    except SyncBusy:
        return "busy"
    except WooCommerceNotConnected:
        return "failed"
    except Exception:  # noqa: BLE001 - logged; other shops go on
        db.session.rollback()
        log.exception("backfill of site %s failed", site_id)
        return "failed"


def backfill_queued() -> dict:
    """The backfill job in one process (the CLI, tests): every shop with a backfill due, in turn.
    The scheduler runs `backfill_site` per shop in the workers instead."""
    report = {"ran": 0, "busy": 0, "failed": 0}
    for site_id in sites_with_backfill_due():
        outcome = backfill_site(site_id)
        if outcome in report:
            report[outcome] += 1
    return report
