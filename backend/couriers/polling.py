"""Asking couriers where parcels are (P3, C6): the scheduled poll and the on-demand check.

Both go through `StatusRun`, which
- paces requests per courier account with a `Pacer` whose state lives in the account's row,
  so the jobs process and every web worker share one limit for the same shop account;
- keeps enough requests in flight to use that limit when the courier answers slowly (the
  HTTP calls run in a thread pool; the database is only touched from the calling thread);
- honours 429 (waits Retry-After, for every process, then asks again), backs off on 5xx and
  timeouts per parcel, and stops asking an account that keeps failing or refuses its keys;
- applies every answer through `service.apply_status`, which ignores repeated and older
  answers and never moves a final status back.

Steadfast has no bulk status call, so one request per parcel is the floor; the run never
asks twice for a parcel unless the courier told us to retry (429).
"""
import heapq
import logging
import math
import queue
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, select, update

from backend.couriers import service
from backend.couriers.models import Consignment, CourierAccount, CourierSettings
from backend.commits import claim, keep_progress
from backend.extensions import db
from backend.integrations.couriers import (
    COURIERS, FINAL_STATUSES, ConsignmentNotFound, CourierAuthFailed, CourierError, CourierRateLimited, TrackedStatus,
)
from backend.licensing.models import Site
from backend.clock import utcnow

log = logging.getLogger(__name__)

MAX_RATE_RETRIES = 3
# We aim a little below the courier's limit: requests reach it with some jitter, and a limiter
# that sees a few arrive close together would refuse one. Refusals cost a request and a wait.
RATE_MARGIN = 0.95
# After this many failures in a row (5xx, timeouts) an account is left alone for the rest of
# the run: the courier is down, and its parcels are still due next time.
FAILURES_BEFORE_PAUSE = 5
MAX_WORKERS = 64
COMMIT_EVERY = 100  # answers applied in one transaction while more keep arriving
RECENT_CHECK = timedelta(seconds=60)
DEFERRED = object()  # a worker's answer for a request it did not send


def _now_us() -> int:
    return int(time.time() * 1_000_000)


class Pacer:
    """Hands out send times for one courier account, at most `rate` a second, shared by every
    process through `courier_accounts.next_request_us` (a GCRA: the column is the earliest time
    the next request may leave; reserving n slots moves it n intervals on, in one UPDATE).

    Slots are reserved a quarter-second's worth at a time, so the database sees a few writes a
    second, not one per request."""

    def __init__(self, account_id: int, rate: float, lookahead: float = 0.25):
        self.account_id = account_id
        self.base_interval_us = self.interval_us = max(1, int(1_000_000 / rate))
        self.lookahead = lookahead
        self.slots: deque[float] = deque()
        # bumped by every hold(): slots handed out before it are void (they would bunch up)
        self.generation = 0

    @property
    def chunk(self) -> int:
        return max(1, int(self.lookahead * 1_000_000 / self.interval_us))

    @property
    def late_tolerance(self) -> float:
        """How late (seconds) a request may still leave: a pause (GC, a slow commit) must not
        release a bunch of overdue requests at once, which a strict limiter would refuse."""
        return max(0.05, 2 * self.interval_us / 1_000_000)

    def next_slot(self) -> float:
        """Epoch seconds at which the next request may leave."""
        if not self.slots:
            self._reserve(self.chunk)
        return self.slots.popleft()

    def _reserve(self, n: int) -> None:
        column = CourierAccount.next_request_us
        now = _now_us()
        end = self._move_next_request(case((column > now, column), else_=now) + n * self.interval_us)
        start = end - n * self.interval_us
        self.slots.extend((start + i * self.interval_us) / 1_000_000 for i in range(n))

    def _move_next_request(self, value) -> int:
        """Set the account's next send time; committed at once: every process sending for this
        account (not only this run) sees the reservation, or waits out the courier's 429."""
        end = db.session.execute(
            update(CourierAccount).where(CourierAccount.id == self.account_id).values(next_request_us=value)
            .returning(CourierAccount.next_request_us).execution_options(synchronize_session=False)
        ).scalar_one()
        claim()
        return end

    def hold(self, seconds: float) -> None:
        """The courier said 429: nobody sends for this account for `seconds`, and this run
        goes on at half its pace — the courier's real limit is below what we were told."""
        column = CourierAccount.next_request_us
        until = _now_us() + int(seconds * 1_000_000)
        self._move_next_request(case((column > until, column), else_=until))
        self.slots.clear()
        self.generation += 1
        self.interval_us = min(self.interval_us * 2, 10_000_000)

    def recover(self) -> None:
        """An answer that was not a 429: creep back towards the configured pace (1 % a time),
        so one refusal (a blip at the courier) does not slow the whole run down."""
        if self.interval_us > self.base_interval_us:
            self.interval_us = max(self.base_interval_us, int(self.interval_us * 0.99))


@dataclass
class Due:
    """One parcel to ask about, with what a worker thread needs (no ORM objects cross threads)."""

    pk: int
    site_id: int
    account_id: int
    courier: str
    consignment_id: str
    invoice: str
    failures: int
    poll_minutes: int
    attempts: int = 0
    generation: int = 0  # the pacer generation it was sent in


@dataclass
class Outcome:
    pk: int
    checked: bool
    status: str | None = None
    changed: bool = False
    error: str | None = None


@dataclass
class RunStats:
    asked: int = 0
    changed: int = 0
    failed: int = 0
    rate_limited: int = 0
    not_reached: int = 0
    deferred: int = 0  # requests not sent (late, or their pace was void) and queued again
    accounts: int = 0
    seconds: float = 0.0
    outcomes: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "outcomes"}


class StatusRun:
    """One pass over some parcels. The calling thread keeps a timetable (a heap of each
    account's next send time), hands a request to the thread pool when its time comes, and
    applies answers as they arrive; worker threads only do HTTP. No thread sleeps holding a
    request, so a thousand shops' accounts share the pool without starving each other."""

    def __init__(self, items: list[Due], *, deadline: float, source: str):
        self.deadline = deadline  # epoch seconds: no request is sent after it
        self.source = source
        self.queues: dict[int, deque[Due]] = {}
        for item in items:
            self.queues.setdefault(item.account_id, deque()).append(item)
        self.couriers, self.pacers, self.caps = {}, {}, {}
        self.stats = RunStats(accounts=len(self.queues))
        self.stopped: set[int] = set()
        self.stop_reason: dict[int, str] = {}
        accounts = db.session.execute(select(CourierAccount).where(CourierAccount.id.in_(list(self.queues)))).scalars()
        for account in accounts:
            rate = service.courier_rate(account.courier)
            try:
                self.couriers[account.id] = service.courier_for(account)
            except CourierError as error:  # keys missing from the stored row
                self._give_up_account(account.id, error.message)
                continue
            self.pacers[account.id] = Pacer(account.id, rate * RATE_MARGIN)
            # At most two seconds' worth of requests unanswered: a courier that slows down
            # gets fewer requests, not a pile of them.
            self.caps[account.id] = min(MAX_WORKERS, max(2, math.ceil(rate * 2)))
        self.stopped |= set(self.queues) - set(self.couriers)
        self.in_flight: Counter = Counter()
        self.failures_in_row: Counter = Counter()
        self.results: queue.Queue = queue.Queue()
        self.timetable: list[tuple[float, int, int]] = []  # (send at, generation, account)
        self.armed: set[int] = set()  # accounts with an entry in the timetable
        self.unsaved = 0

    # -- worker side: HTTP only ----------------------------------------------------------------
    def _ask(self, courier, item: Due, slot: float, generation: int) -> None:
        pacer = self.pacers[item.account_id]
        if (item.account_id in self.stopped or pacer.generation != generation
                or time.time() - slot > pacer.late_tolerance):
            # The account was stopped, or the courier said 429, since this request was handed
            # over, or it waited too long for a free thread to keep the pace: do not send it;
            # the calling thread queues it again (or leaves it due).
            self.results.put((item, None, DEFERRED))
            return
        item.generation = generation
        asked_at = utcnow()
        try:
            answer = courier.status_by_consignment_id(item.consignment_id)
        except CourierError as error:
            answer = error
        except Exception as error:  # a bug must not hang the run: report it as a failure
            log.exception("status check for consignment %s crashed", item.pk)
            answer = CourierError(repr(error))
        self.results.put((item, asked_at, answer))

    # -- calling thread: the timetable and the database ------------------------------------------
    def run(self) -> RunStats:
        started = time.monotonic()
        for account_id in self.queues:
            self._arm(account_id)
        with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="courier-poll") as pool:
            while True:
                self._send_due(pool)
                if not self.timetable and not sum(self.in_flight.values()):
                    break  # nothing to send and nothing to wait for
                wait = max(0.0, self.timetable[0][0] - time.time()) if self.timetable else None
                try:
                    answer = self.results.get_nowait()
                except queue.Empty:
                    if self.unsaved:
                        # nothing to apply now: commit rather than hold the answers' writes
                        # (their row locks; on SQLite the whole database) while the couriers answer
                        self._commit()
                    try:
                        answer = self.results.get(timeout=wait)
                    except queue.Empty:
                        continue
                self._handle(*answer)
                if self.unsaved >= COMMIT_EVERY:
                    self._commit()
        self._commit()
        for account_id, remaining in self.queues.items():
            reason = self.stop_reason.get(account_id) or _("Not asked this time (the courier's rate limit); "
                                                             "the next check includes it.")
            for item in remaining:
                self._outcome(item, checked=False, error=reason)
                self.stats.not_reached += 1
        self.stats.seconds = time.monotonic() - started
        return self.stats

    def _arm(self, account_id: int) -> None:
        """Put the account's next send time in the timetable, if it has work and time left."""
        if account_id in self.armed or account_id in self.stopped or not self.queues.get(account_id):
            return
        pacer = self.pacers[account_id]
        slot = pacer.next_slot()
        if slot > self.deadline:
            self.stopped.add(account_id)
            return
        heapq.heappush(self.timetable, (slot, pacer.generation, account_id))
        self.armed.add(account_id)

    def _send_due(self, pool) -> None:
        while self.timetable and self.timetable[0][0] <= time.time():
            slot, generation, account_id = heapq.heappop(self.timetable)
            self.armed.discard(account_id)
            pacer = self.pacers[account_id]
            waiting = self.queues[account_id]
            if account_id in self.stopped or not waiting:
                continue
            if generation == pacer.generation and self.in_flight[account_id] < self.caps[account_id]:
                item = waiting.popleft()
                self.in_flight[account_id] += 1
                pool.submit(self._ask, self.couriers[account_id], item, slot, generation)
            # a slot from before a 429, or one the account is too busy to use, simply lapses
            self._arm(account_id)

    def _handle(self, item: Due, asked_at, answer) -> None:
        self.in_flight[item.account_id] -= 1
        if answer is DEFERRED:
            self.stats.deferred += 1
            self.queues[item.account_id].appendleft(item)
            self._arm(item.account_id)
            return
        self.unsaved += 1
        if not isinstance(answer, CourierRateLimited):
            self.pacers[item.account_id].recover()
        if isinstance(answer, TrackedStatus):
            self.failures_in_row[item.account_id] = 0
            self.stats.asked += 1
            changed = service.apply_status(item.pk, item.site_id, answer, asked_at, source=self.source,
                                           poll_minutes=item.poll_minutes, defer_rollup=True)
            self.stats.changed += changed
            self._outcome(item, checked=True, status=answer.status, changed=changed)
            return
        error: CourierError = answer
        if isinstance(error, CourierRateLimited):
            self.stats.rate_limited += 1
            pacer = self.pacers[item.account_id]
            if item.generation == pacer.generation:
                # the first 429 of this pace; others sent at the same pace add nothing new
                pacer.hold(error.retry_after or 60)
            item.attempts += 1
            if item.attempts < MAX_RATE_RETRIES:
                self.queues[item.account_id].appendleft(item)  # asked again once the wait is over
                self._arm(item.account_id)
                return
            service.record_check_failure(item.pk, item.failures, error.message,
                                         retry_after=timedelta(seconds=error.retry_after or 60))
            self._outcome(item, checked=False, error=error.message)
            return
        self.stats.failed += 1
        if isinstance(error, CourierAuthFailed):
            # Every parcel of this account would fail the same way: stop, and say so on the account.
            self._give_up_account(item.account_id, error.message)
            self.queues[item.account_id].appendleft(item)
            return
        service.record_check_failure(item.pk, item.failures, error.message)
        self._outcome(item, checked=False, error=error.message)
        if not isinstance(error, ConsignmentNotFound):
            self.failures_in_row[item.account_id] += 1
            if self.failures_in_row[item.account_id] >= FAILURES_BEFORE_PAUSE:
                log.warning("courier account %s: %s failures in a row; left alone until the next run",
                            item.account_id, FAILURES_BEFORE_PAUSE)
                self.stopped.add(item.account_id)
                self.stop_reason[item.account_id] = _("The courier is not answering; it is asked again later.")

    def _give_up_account(self, account_id: int, message: str) -> None:
        service.mark_account_problem(account_id, message)
        self.stopped.add(account_id)
        self.stop_reason[account_id] = message

    def _outcome(self, item: Due, **kw) -> None:
        self.stats.outcomes[item.pk] = Outcome(item.pk, **kw)

    def _commit(self) -> None:
        keep_progress()
        self.unsaved = 0


# --- what to ask about --------------------------------------------------------------------------------

def _due_query():
    """Open parcels with an account that can be asked, and each shop's poll interval."""
    poll = case((CourierSettings.poll_minutes.is_(None), service.DEFAULT_POLL_MINUTES), else_=CourierSettings.poll_minutes)
    return (
        select(Consignment.id, Consignment.site_id, CourierAccount.id, Consignment.courier, Consignment.consignment_id,
               Consignment.invoice, Consignment.check_failures, poll)
        .join(CourierAccount, (CourierAccount.site_id == Consignment.site_id) & (CourierAccount.courier == Consignment.courier))
        .join(Site, Site.id == Consignment.site_id)
        .outerjoin(CourierSettings, CourierSettings.site_id == Consignment.site_id)
        .where(Consignment.status.not_in(FINAL_STATUSES), CourierAccount.problem.is_(None),
               Site.token_hash.is_not(None), Consignment.courier.in_([k for k, cls in COURIERS.items() if cls.enabled]))
    )


def sites_with_parcels_due() -> list[int]:
    """Shops with an open parcel whose next check is due (the scheduler's per-shop list)."""
    due = _due_query().where(Consignment.next_check_at <= utcnow())
    return list(db.session.execute(
        due.with_only_columns(Consignment.site_id).distinct().order_by(Consignment.site_id)).scalars())


def poll_due_consignments(*, budget_seconds: float | None = None, limit: int = 50_000,
                          site_id: int | None = None) -> dict:
    """The poll (P3): every open parcel whose next check is due, oldest first; one shop's with
    `site_id` (the scheduler's per-shop run), every shop's at once otherwise (the CLI, the demo)."""
    budget = budget_seconds if budget_seconds is not None else current_app.config["COURIER_POLL_SECONDS"]
    query = _due_query().where(Consignment.next_check_at <= utcnow())
    if site_id is not None:
        query = query.where(Consignment.site_id == site_id)
    rows = db.session.execute(query.order_by(Consignment.next_check_at, Consignment.id).limit(limit)).all()
    # the run's writes come in short transactions: the first slot's reservation commits before any courier is asked
    items = [Due(*row) for row in rows]
    stats = StatusRun(items, deadline=time.time() + budget, source="poll").run()
    log.info("courier poll%s: %s", f" of site {site_id}" if site_id is not None else "", stats.summary())
    return stats.summary()


def poll_site(site_id: int) -> dict:
    """One shop's turn of the scheduled poll."""
    return poll_due_consignments(site_id=site_id)


def check_consignments(site: Site, consignments: list[Consignment], *, budget_seconds: float = 20.0) -> list[dict]:
    """The on-demand check (C6): ask now about these parcels of one shop; one result each.

    Parcels already final, or checked in the last minute, are answered from what we know —
    a double click or two staff asking at once costs the shop's courier limit nothing."""
    now = utcnow()
    results: dict[int, dict] = {}
    to_ask: list[int] = []
    for c in consignments:
        if c.status in FINAL_STATUSES:
            results[c.id] = {"checked": False, "note": _("Final status; the courier is not asked again.")}
        elif c.last_checked_at and now - c.last_checked_at < RECENT_CHECK:
            results[c.id] = {"checked": False, "note": _("Checked less than a minute ago.")}
        else:
            to_ask.append(c.id)
    if to_ask:
        rows = db.session.execute(_due_query().where(Consignment.id.in_(to_ask), Consignment.site_id == site.id)).all()
        stats = StatusRun([Due(*row) for row in rows], deadline=time.time() + budget_seconds, source="check").run()
        for pk in to_ask:
            outcome = stats.outcomes.get(pk)
            if outcome is None:
                results[pk] = {"checked": False, "error": _("Connect the courier account (or fix its keys) to check this parcel.")}
            else:
                results[pk] = {"checked": outcome.checked, "changed": outcome.changed, "error": outcome.error}
    answer = []
    for c in consignments:
        db.session.refresh(c)  # the run wrote with plain UPDATEs; read what it left
        answer.append({"id": c.id, "invoice": c.invoice, "courier": c.courier, "consignment_id": c.consignment_id,
                       "status": c.status, "courier_status": c.courier_status, "last_checked_at": c.last_checked_at,
                       "checked": False, "changed": False, "error": None, "note": None, **results[c.id]})
    return answer
