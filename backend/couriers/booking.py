"""Booking orders with a courier (C1–C3): one order, one click with the default courier, or many.

Every order comes back with one result:
- booked: the courier holds the parcel (consignment id and tracking code, when the courier told us);
- refused: the courier (or the link to it) said no; the message says which order and what to fix;
- not_attempted: nothing was sent (already booked, not a bookable status, a bad phone, address or amount).

Never double-booked. Before anything is sent, the order's invoice (its WooCommerce order
number, the courier-side key) is claimed by a `booking_attempts` row, unique on (site, invoice),
committed at once: a double click or a second member of staff finds the claim and sends nothing.
An attempt whose outcome is unknown (a timeout, a dropped answer, a 5xx, DuplicateInvoice, a
claim left behind by a crash between the courier's answer and our write) is looked up with
`status_by_invoice` before anything is created again.

Booking runs in the workers (issue 19): `start_booking` checks the courier in the request and
starts a job (one task per ORDERS_PER_TASK orders: one Steadfast call and one WooCommerce batch
call each); `book_job_items` is the task's body. A claim remembers its job, so a task delivered
again after its worker was killed takes its own claims back (looking each invoice up first) and
skips the orders whose result is already recorded.

This module commits: the claim must be visible to other workers before the courier is called,
and each booked order is recorded as soon as the courier answered.
"""
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from backend.couriers.booking_writeback import write_to_woocommerce
from backend.couriers.models import BookingAttempt, Consignment
from backend.couriers.paced import PacedCourier
from backend.couriers.parcels import FIELD_WORDS, invoice_of, order_label, parcel_for
from backend.couriers.signals import booking_asked
from backend.couriers.service import (
    DoubleBooking, booking_courier, courier_for, get_account, get_settings, offered_courier, register_consignment,
)
from backend.errors import ApiError, NotFound
from backend.commits import claim, keep_progress, one_at_a_time
from backend.extensions import db
from backend.integrations.couriers import ConsignmentNotFound, CourierError
from backend.integrations.couriers.base import (
    CourierAuthFailed, CourierValidationError, DuplicateInvoice, ParcelRequest, TrackedStatus,
)
from backend.licensing.models import Site
from backend.orders.models import Order
from backend.orders.service import order_gone_message
from backend.tasks import RetryLater
from backend.tasks.models import WorkJob
from backend.tasks.service import params_of, record_item, recorded_items, start_job
from backend.clock import utcnow


BOOKABLE_STATUSES = ("processing", "on-hold", "pending")
MAX_ORDERS = 500
DEFAULT_CLAIM_SECONDS = 120
# One task books this many orders: one Steadfast bulk call and one WooCommerce batch call
# (WooCommerce takes at most 100 updates a call), so 500 orders are 5 tasks and 5 batch calls.
ORDERS_PER_TASK = 100
# a single order goes in the transactional lane: staff wait for its result in the desk, and it
# must not queue behind another shop's 500-order bulk booking; more go in the bulk lane
BOOK_ONE, BOOK_MANY = "couriers.book_one", "couriers.book_many"

BOOKED, REFUSED, NOT_ATTEMPTED = "booked", "refused", "not_attempted"


@dataclass
class BookingResult:
    order_id: int
    number: str | None
    outcome: str
    message: str
    courier: str | None = None
    consignment_id: str | None = None
    tracking_code: str | None = None
    cod_amount: Decimal | None = None
    field_errors: dict = field(default_factory=dict)
    # writing _courier_data and the note to WooCommerce: None (not tried), True, or the problem
    woocommerce: object = None

    def to_dict(self) -> dict:
        return {"order_id": self.order_id, "number": self.number, "outcome": self.outcome, "message": self.message,
                "courier": self.courier, "consignment_id": self.consignment_id, "tracking_code": self.tracking_code,
                "cod_amount": str(self.cod_amount) if self.cod_amount is not None else None,
                "field_errors": self.field_errors,
                "woocommerce_updated": self.woocommerce is True,
                "woocommerce_problem": self.woocommerce if isinstance(self.woocommerce, str) else None}


def claim_seconds() -> float:
    return float(current_app.config.get("BOOKING_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS))


# --- the job: started in the request, run by the workers ---------------------------------------------

def orders_per_task() -> int:
    return int(current_app.config.get("BOOKING_ORDERS_PER_TASK") or ORDERS_PER_TASK)


def start_booking(site, order_wc_ids, courier_key: str | None = None, note: str | None = None,
                  started_by: str | None = None) -> WorkJob:
    """Start booking these orders (C1–C3) and answer at once with the job: its tasks book them in
    the workers. What the request can refuse (no courier chosen, the courier not connected, the
    queue down) is refused here, before anything is queued."""
    cls, _account, _settings = resolve_courier(site, courier_key)
    ids = list(dict.fromkeys(int(i) for i in order_wc_ids))[:MAX_ORDERS]
    task = BOOK_ONE if len(ids) == 1 else BOOK_MANY
    return start_job(site.id, "booking", ids, task, params={"courier": cls.key, "note": note},
                     started_by=started_by, per_task=orders_per_task())


def book_job_items(site_id: int, job_id: int, items: list) -> None:
    """The booking task: book this job's orders that have no result yet (a task delivered again
    after its worker was killed skips what it recorded; its claims keep the rest from being
    booked twice) and record one result per order."""
    job = db.session.get(WorkJob, job_id)
    if job is None or job.site_id != site_id:
        return
    done = recorded_items(job_id)
    todo = [int(item) for item in items if str(item) not in done]
    if not todo:
        return
    params = params_of(job)
    site = db.session.get(Site, site_id)
    try:
        results = book_orders(site, todo, params.get("courier"), params.get("note"), job_id=job_id)
    except ApiError as error:  # the account was disconnected since the request: nothing was sent
        results = [BookingResult(wc_id, None, NOT_ATTEMPTED, error.message) for wc_id in todo]
    for result in results:
        record_item(job_id, result.order_id, result.outcome, result.message, result.to_dict())


def booking_gave_up(site_id: int, job_id: int, items: list, error: str) -> None:
    """The task failed every retry: its orders without a result get one, so the job ends, and
    its claims are let go as `failed` (the next booking of those orders looks them up first)."""
    # what it claimed may have reached the courier: the next booking looks the invoice up first
    db.session.execute(update(BookingAttempt).where(BookingAttempt.site_id == site_id, BookingAttempt.job_id == job_id,
                                                    BookingAttempt.state == "sending")
                       .values(state="failed", last_error=error[:300]).execution_options(synchronize_session=False))
    done = recorded_items(job_id)
    for item in items:
        if str(item) not in done:
            record_item(job_id, item, REFUSED, _(
                "Order #%(order)s: Bikri could not finish booking it (%(reason)s). Book it again in a few minutes: "
                "Bikri checks with the courier first, so it is never booked twice.", order=item, reason=error[:200]),
                {"order_id": int(item), "outcome": REFUSED})


# --- the lock -------------------------------------------------------------------------------------

def _claim(site, order: Order, courier_key: str, job_id: int | None = None) -> tuple[str, BookingAttempt | None]:
    """Take the order's booking lock. Returns ("new" | "again", row) when ours — "again" means an
    earlier attempt may have reached the courier, so look the invoice up first — or
    ("busy" | "booked", row) when not. A claim the same job made (its task ran before, in a
    worker that was killed) is ours again at once, whatever its age."""
    state, row, wrote = _take_lock(site, order, courier_key, job_id)
    if wrote:
        claim()  # the lock is seen by every other worker before this one asks the courier
    if state == "again":
        db.session.refresh(row)
    return state, row


def _take_lock(site, order: Order, courier_key: str, job_id: int | None) -> tuple[str, BookingAttempt, bool]:
    """`_claim`'s state and row, and whether it wrote (not committed yet)."""
    invoice = invoice_of(order)
    now = utcnow()
    try:
        with db.session.begin_nested():
            row = BookingAttempt(site_id=site.id, invoice=invoice, order_wc_id=order.wc_id, courier=courier_key,
                                 state="sending", wc_written=False, claimed_at=now, created_at=now, job_id=job_id)
            db.session.add(row)
            db.session.flush()
        return "new", row, True
    except IntegrityError:
        pass
    row = db.session.execute(select(BookingAttempt).where(BookingAttempt.site_id == site.id,
                                                          BookingAttempt.invoice == invoice)).scalar_one()
    if row.state == "booked":
        return "booked", row, False
    stale = now - timedelta(seconds=claim_seconds())
    ours = job_id is not None and row.job_id == job_id
    if row.state == "sending" and row.claimed_at > stale and not ours:
        return "busy", row, False
    # a failed attempt, or a claim left by a crashed one: take it over, if nobody else just did
    taken = db.session.execute(
        update(BookingAttempt).where(BookingAttempt.id == row.id, BookingAttempt.state == row.state,
                                     BookingAttempt.claimed_at == row.claimed_at)
        .values(state="sending", claimed_at=now, courier=courier_key, job_id=job_id)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    return ("again" if taken else "busy"), row, True


def _release(row: BookingAttempt, *, uncertain: bool, error: str) -> None:
    """The attempt did not book: forget it when the courier surely has nothing, else keep it
    as `failed`, so the next attempt looks the invoice up first."""
    if uncertain:
        db.session.execute(update(BookingAttempt).where(BookingAttempt.id == row.id)
                           .values(state="failed", last_error=error[:300]).execution_options(synchronize_session=False))
    else:
        db.session.execute(delete(BookingAttempt).where(BookingAttempt.id == row.id)
                           .execution_options(synchronize_session=False))


# --- booking ------------------------------------------------------------------------------------

def _lookup(courier, invoice: str) -> TrackedStatus | None:
    """Whether the courier already holds a parcel for this invoice (raises CourierError when it cannot say)."""
    try:
        return courier.status_by_invoice(invoice)
    except ConsignmentNotFound:
        return None


def resolve_courier(site, courier_key: str | None):
    settings = get_settings(site)
    key = courier_key or booking_courier(site, settings)
    if not key:
        raise ApiError(_("Choose a default courier in the courier settings, or pick a courier to book with."),
                       code="no_default_courier", status=422)
    cls = offered_courier(key)
    account = get_account(site, key)
    if account is None:
        raise NotFound(_("Connect your %(courier)s account first (Couriers page).", courier=cls.name),
                       code="courier_not_connected")
    return cls, account, settings


class _Claimed(NamedTuple):
    """An order whose booking lock is ours; `again` when an earlier attempt may have reached the courier."""
    order: Order
    parcel: ParcelRequest
    row: BookingAttempt
    again: bool


def book_orders(site, order_wc_ids, courier_key: str | None = None, note: str | None = None,
                job_id: int | None = None) -> list[BookingResult]:
    """Book the given WooCommerce orders (by id) with a courier; one result per order, in the order
    given. `job_id`: the booking job this runs for (its claims are its own, see `_claim`)."""
    cls, account, settings = resolve_courier(site, courier_key)
    courier = PacedCourier(courier_for(account), account)
    ids = list(dict.fromkeys(int(i) for i in order_wc_ids))[:MAX_ORDERS]
    orders, booked_before = _orders_and_consignments(site, ids)
    results: dict[int, BookingResult] = {}
    claimed: list[_Claimed] = []
    repairs: list[tuple[Order, BookingAttempt]] = []  # booked before, not yet written to WooCommerce

    held = held_back(site, [o for o in orders.values() if o.deleted_at is None])
    for wc_id in ids:
        order = orders.get(wc_id)
        result = _why_not_bookable(site, wc_id, order, booked_before.get(wc_id), repairs, job_id, held)
        if result is None:
            result = _claim_to_send(site, order, settings, note, courier, cls, repairs, job_id)
        if isinstance(result, _Claimed):
            claimed.append(result)
        else:
            results[wc_id] = result

    # an order at a time, each answer written and kept before the courier is asked again: a
    # booked order is never lost to a later failure, so never booked twice; a claim let go is
    # free for the next attempt
    for wc_id, result in one_at_a_time(_courier_answers(site, courier, cls, claimed)):
        results[wc_id] = result

    # WooCommerce: _courier_data and a note, for every order booked now (or booked before and not yet written)
    written = [(orders[wc_id], r) for wc_id, r in results.items() if r.outcome == BOOKED]
    for order, row in repairs:
        written.append((order, results[order.wc_id]))
    write_to_woocommerce(site, [(order, result, invoice_of(order)) for order, result in written])
    return [results[wc_id] for wc_id in ids]


def _orders_and_consignments(site, ids: list[int]) -> tuple[dict[int, Order], dict[int, Consignment]]:
    """The orders asked for, and the consignments they already have, by WooCommerce id."""
    if not ids:
        return {}, {}
    orders = {o.wc_id: o for o in db.session.execute(
        select(Order).where(Order.site_id == site.id, Order.wc_id.in_(ids))).scalars()}
    booked_before = {c.order_wc_id: c for c in db.session.execute(
        select(Consignment).where(Consignment.site_id == site.id, Consignment.order_wc_id.in_(ids))).scalars()}
    return orders, booked_before


def held_back(site, orders: list[Order]) -> dict[int, str]:
    """wc_id → why the shop's own rules hold the order back (`booking_asked`'s receivers)."""
    held: dict[int, str] = {}
    if orders:
        for _receiver, reasons in booking_asked.send(site, orders=orders):
            for wc_id, reason in (reasons or {}).items():
                held.setdefault(wc_id, reason)
    return held


def _why_not_bookable(site, wc_id: int, order: Order | None, existing: Consignment | None,
                      repairs: list, job_id: int | None = None, held: dict | None = None) -> BookingResult | None:
    """The result of an order that cannot be booked at all (gone, not here yet, booked before, not
    in a bookable status, held back by the shop's rules: `held`); None when it can. A booking WooCommerce has not heard of goes to `repairs`.
    Booked before by this same job (its worker was killed before the result was recorded): booked."""
    if order is not None and order.deleted_at is not None:
        return BookingResult(wc_id, order.number, NOT_ATTEMPTED, order_gone_message())
    if order is None:
        return BookingResult(wc_id, None, NOT_ATTEMPTED, _(
            "Order #%(order)s is not in Bikri (yet): wait a minute for it to arrive from WooCommerce.", order=wc_id))
    label = order_label(order)
    if existing is not None:
        attempt = db.session.execute(select(BookingAttempt).where(
            BookingAttempt.site_id == site.id, BookingAttempt.invoice == invoice_of(order))).scalar_one_or_none()
        if attempt is not None and job_id is not None and attempt.job_id == job_id:
            cls = offered_courier(existing.courier)
            if attempt.state != "booked":
                # this job's earlier run registered the consignment and was killed before its claim
                # was marked (SQLite, before _record_booked kept both in one commit): the courier
                # holds the parcel, and its id is known
                _mark_booked(site, order, attempt, cls, existing.consignment_id, existing.tracking_code)
            return _booked_result(order, cls, existing.consignment_id, existing.tracking_code, existing.cod_amount)
        if attempt is not None and attempt.state == "booked" and not attempt.wc_written:
            repairs.append((order, attempt))
        return BookingResult(wc_id, order.number, NOT_ATTEMPTED, _(
            "Order %(order)s is already booked with %(courier)s (consignment %(id)s).", order=label,
            courier=existing.courier, id=existing.consignment_id), courier=existing.courier,
            consignment_id=existing.consignment_id, tracking_code=existing.tracking_code)
    if order.status not in BOOKABLE_STATUSES:
        return BookingResult(wc_id, order.number, NOT_ATTEMPTED, _(
            "Order %(order)s is “%(status)s”; only processing, on-hold or pending orders are booked.",
            order=label, status=order.status))
    if held and wc_id in held:
        return BookingResult(wc_id, order.number, NOT_ATTEMPTED, held[wc_id])
    return None


def _claim_to_send(site, order: Order, settings, note: str | None, courier, cls,
                   repairs: list, job_id: int | None = None) -> _Claimed | BookingResult:
    """The order's parcel and its booking lock, ready to send; or its result when the parcel is
    incomplete or the lock is another's (booking now, or booked already)."""
    label = order_label(order)
    parcel, errors = parcel_for(order, settings, note, courier)
    if parcel is None:
        return BookingResult(order.wc_id, order.number, NOT_ATTEMPTED,
                             " ".join(m for ms in errors.values() for m in ms), field_errors=errors)
    state, row = _claim(site, order, cls.key, job_id)
    if state == "booked" and job_id is not None and row.job_id == job_id:
        # this job's earlier run found it at the courier (a look-up, no consignment id) and was killed
        return _booked_result(order, cls, row.consignment_id, row.tracking_code, parcel.cod_amount)
    if state == "booked":
        if not row.wc_written:
            repairs.append((order, row))
        return BookingResult(order.wc_id, order.number, NOT_ATTEMPTED, _(
            "Order %(order)s is already booked with %(courier)s.", order=label, courier=row.courier),
            courier=row.courier, consignment_id=row.consignment_id, tracking_code=row.tracking_code)
    if state == "busy":
        return BookingResult(order.wc_id, order.number, NOT_ATTEMPTED, _(
            "Order %(order)s is being booked right now (another click or another person); "
            "refresh in a minute to see the result.", order=label))
    return _Claimed(order, parcel, row, state == "again")


def _courier_answers(site, courier, cls, claimed: list[_Claimed]):
    """(wc_id, result) of each claimed order, its answer written (not kept: the caller commits
    between two). An earlier attempt may have reached the courier: its invoice is looked up
    first, and the order gets its result (booked, or refused when the courier could not say);
    the orders the courier does not hold yet are then created, in one request."""
    to_create = []
    for order, parcel, row, again in claimed:
        if not again:
            to_create.append((order, parcel, row))
            continue
        try:
            found = _lookup(courier, parcel.invoice)
        except CourierError as error:
            _release(row, uncertain=True, error=error.message)
            yield order.wc_id, _refused_unknown(order, cls, error)
            continue
        if found is None:
            to_create.append((order, parcel, row))
        else:
            yield order.wc_id, _record_found(site, order, parcel, row, cls, found)
    for order, parcel, row, booked, error in _create(courier, to_create):
        yield order.wc_id, _booked_or_refused(site, courier, cls, order, parcel, row, booked, error)


def _create(courier, to_create: list[tuple]) -> list[tuple]:
    """Send the parcels: one request for one, the courier's bulk request for more.
    (order, parcel, row, booked or None, error or None) for each. The courier said "slow down"
    (429, `RetryLater`): it created nothing, so the claims go before the task comes back (it
    then creates at once instead of looking each invoice up, which would spend the turns again)."""
    try:
        if len(to_create) == 1:
            order, parcel, row = to_create[0]
            try:
                return [(order, parcel, row, courier.create_consignment(parcel), None)]
            except CourierError as error:
                return [(order, parcel, row, None, error)]
        if to_create:
            items = courier.create_many([parcel for _o, parcel, _r in to_create])
            return [(o, p, r, item.parcel, item.error) for (o, p, r), item in zip(to_create, items)]
        return []
    except RetryLater as later:
        for _order, _parcel, row in to_create:
            _release(row, uncertain=False, error=str(later))
        keep_progress()  # the claims let go are kept: the task's rollback (it comes back later) must not undo them
        raise


def _booked_or_refused(site, courier, cls, order: Order, parcel: ParcelRequest, row: BookingAttempt,
                       booked, error: CourierError | None) -> BookingResult:
    """Record the courier's answer. An error that may hide a parcel created all the same (a
    timeout, a dropped answer, "already taken", a bulk item refused without reason) is looked up
    before the lock is let go."""
    if booked is not None:
        return _record_booked(site, order, parcel, row, cls, booked)
    uncertain = error.retryable or isinstance(error, DuplicateInvoice) or error.code == "refused"
    if uncertain:
        try:
            found = _lookup(courier, parcel.invoice)
        except CourierError as lookup_error:
            _release(row, uncertain=True, error=lookup_error.message)
            return _refused_unknown(order, cls, error)
        if found is not None:
            return _record_found(site, order, parcel, row, cls, found)
    _release(row, uncertain=error.retryable, error=error.message)
    return _refused(order, cls, error)


def _refused(order, cls, error: CourierError) -> BookingResult:
    label = order_label(order)
    if isinstance(error, CourierAuthFailed):
        message = _("Order %(order)s was not booked: %(reason)s", order=label, reason=error.message)
    elif isinstance(error, CourierValidationError) and error.field_errors:
        details = "; ".join(f"{FIELD_WORDS.get(k, k)}: {' '.join(v)}" for k, v in error.field_errors.items())
        message = _("%(courier)s refused order %(order)s: %(details)s. Fix it in the order, then book again.",
                    courier=cls.name, order=label, details=details)
    elif error.retryable:
        message = _("Order %(order)s was not booked: %(reason)s Nothing was created; book it again.",
                    order=label, reason=error.message)
    else:
        message = _("%(courier)s refused order %(order)s: %(reason)s", courier=cls.name, order=label,
                    reason=error.message)
    return BookingResult(order.wc_id, order.number, REFUSED, message, courier=cls.key, field_errors=error.field_errors)


def _refused_unknown(order, cls, error: CourierError) -> BookingResult:
    return BookingResult(order.wc_id, order.number, REFUSED, _(
        "We could not check with %(courier)s whether order %(order)s was booked (%(reason)s). Book it again in a few "
        "minutes: Bikri checks first, so it is never booked twice.", courier=cls.name, order=order_label(order),
        reason=error.message), courier=cls.key)


def _write_booked(order, row, cls, consignment_id, tracking_code) -> None:
    """The attempt booked and the order's courier set, in the open transaction (not kept yet)."""
    db.session.execute(update(BookingAttempt).where(BookingAttempt.id == row.id).values(
        state="booked", consignment_id=consignment_id, tracking_code=tracking_code, booked_at=utcnow(),
        last_error=None).execution_options(synchronize_session=False))
    db.session.execute(update(Order).where(Order.id == order.id).values(courier=cls.key)
                       .execution_options(synchronize_session=False))
    order.courier = cls.key


def _mark_booked(site, order, row, cls, consignment_id, tracking_code) -> None:
    """Kept by the booking's next step (the claims', or its walk through the courier's answers)."""
    _write_booked(order, row, cls, consignment_id, tracking_code)


def _record_booked(site, order, parcel, row, cls, booked) -> BookingResult:
    # The attempt is marked booked BEFORE the consignment is registered, so that one commit keeps
    # both or neither. register_consignment inserts in a savepoint, and on SQLite (pysqlite opens
    # a transaction only before INSERT/UPDATE/DELETE) a savepoint opened with no transaction open
    # is the transaction: its release commits. Registered first, the consignment was kept alone
    # at once, and a worker killed before the next commit left an order "already booked" whose
    # attempt was still `sending`: its job's next run reported it not_attempted. The UPDATE
    # below opens the transaction, so the savepoint nests in it.
    _write_booked(order, row, cls, booked.consignment_id, booked.tracking_code)
    try:
        register_consignment(site, parcel.invoice, cls.key, booked.consignment_id, booked.tracking_code,
                             parcel.cod_amount, order.wc_id, status=booked.status)
        result = _booked_result(order, cls, booked.consignment_id, booked.tracking_code, parcel.cod_amount)
    except DoubleBooking as error:
        db.session.rollback()
        _write_booked(order, row, cls, booked.consignment_id, booked.tracking_code)
        result = BookingResult(order.wc_id, order.number, REFUSED, error.message, courier=cls.key,
                               consignment_id=booked.consignment_id)
    return result  # kept, the attempt and the consignment in one commit, by `book_orders`' walk


def _booked_result(order, cls, consignment_id, tracking_code, cod_amount) -> BookingResult:
    if consignment_id is None:  # found at the courier by a look-up, which gives no id
        return _found_result(order, cls, tracking_code, cod_amount)
    return BookingResult(order.wc_id, order.number, BOOKED, _(
        "Order %(order)s is booked with %(courier)s: consignment %(id)s.", order=order_label(order), courier=cls.name,
        id=consignment_id), courier=cls.key, consignment_id=consignment_id,
        tracking_code=tracking_code, cod_amount=cod_amount)


def _record_found(site, order, parcel, row, cls, found: TrackedStatus) -> BookingResult:
    """The courier already holds this invoice (an earlier attempt got through without our hearing).
    Steadfast's look-up by invoice gives the status, not the consignment id: the order is marked
    booked and nothing is created again; the id is in the courier's portal."""
    _mark_booked(site, order, row, cls, row.consignment_id, row.tracking_code)
    return _found_result(order, cls, row.tracking_code, parcel.cod_amount, row.consignment_id)


def _found_result(order, cls, tracking_code, cod_amount, consignment_id=None) -> BookingResult:
    return BookingResult(order.wc_id, order.number, BOOKED, _(
        "Order %(order)s was already with %(courier)s (an earlier attempt got through); it was not booked again. "
        "Its consignment id is in your %(courier)s portal.", order=order_label(order), courier=cls.name),
        courier=cls.key, consignment_id=consignment_id, tracking_code=tracking_code, cod_amount=cod_amount)
