"""Recharges: a shop's manual requests an operator decides, an operator's own credit, and
online payments (K3) with bKash or Nagad, credited once however often the gateway is asked."""
import logging
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from backend.commits import remote_step
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.integrations.payments import (
    CANCELLED, COMPLETED, FAILED, PAYMENT_GATEWAYS, PENDING, UNKNOWN, PaymentError, PaymentResult, get_payment_gateway,
)
from backend.licensing.models import Site
from backend.money import to_poisha, whole_poisha
from backend.sms.config import configured_payment_gateway, sms_settings
from backend.sms.models import Recharge
from backend.sms.wallet import credit, rate_limited, validation_error
from backend.tasks import enqueue, require_queue
from backend.tasks.service import wait_for_worker
from backend.tasks.queue import announce_after_commit
from backend.clock import utcnow

log = logging.getLogger(__name__)

# The most any one recharge can be, whatever an operator sets as the largest (default 50,000):
# a bound for the API's schema, so an amount like 1e30 is refused before anything computes with it.
MAX_RECHARGE = Decimal("10000000")


# --- recharges ---------------------------------------------------------------------------------

def check_recharge_amount(amount: Decimal) -> Decimal:
    config = sms_settings()
    # the range first, and with finite amounts only: quantizing 1e30 or Infinity raises
    if not amount.is_finite() or not config.min_recharge <= amount <= min(config.max_recharge, MAX_RECHARGE):
        raise validation_error("amount", _("Recharge between %(low)s and %(high)s taka.", low=f"{config.min_recharge.normalize():f}",
                                           high=f"{min(config.max_recharge, MAX_RECHARGE).normalize():f}"))
    if not whole_poisha(amount):
        raise validation_error("amount", _("Use at most two decimal places."))
    return amount


# A shop's manual recharge requests: a few may wait at once, and a shop cannot flood the
# operators' list (each one is checked by hand against a bank statement or a bKash account).
MANUAL_WAITING_LIMIT = 3
MANUAL_DAILY_LIMIT = 10
MANUAL_REFERENCE_MAX = 80
REJECT_REASON_MAX = 255


def request_manual_recharge(site: Site, amount: Decimal, reference: str | None) -> Recharge:
    """The shop paid another way (a bank transfer, bKash send money): a pending recharge an operator
    approves once they have seen the money arrive. The shop's payment reference is required (it is
    what the operator looks for) and may be sent once; an operator's own credit carries none."""
    amount = check_recharge_amount(amount)
    reference = " ".join((reference or "").split())
    if not reference:
        raise validation_error("reference", _("Enter the payment's reference: the bank transfer's or bKash transaction ID."))
    if len(reference) > MANUAL_REFERENCE_MAX:
        raise validation_error("reference", _("At most %(n)s characters.", n=MANUAL_REFERENCE_MAX))
    mine = (Recharge.site_id == site.id, Recharge.method == "manual", Recharge.transaction_id.is_not(None))
    if db.session.execute(select(Recharge.id).where(*mine, Recharge.transaction_id == reference,
                                                    Recharge.status.in_(("pending", "completed")))).first():
        raise validation_error("reference", _("A request with this reference was sent already."))
    waiting = db.session.execute(select(func.count(Recharge.id)).where(*mine, Recharge.status == "pending")).scalar()
    if waiting >= MANUAL_WAITING_LIMIT:
        raise rate_limited(_("%(n)s requests are waiting for Bikri already; wait until they are checked.", n=waiting), 3600)
    today = db.session.execute(select(func.count(Recharge.id)).where(
        *mine, Recharge.created_at >= utcnow() - timedelta(days=1))).scalar()
    if today >= MANUAL_DAILY_LIMIT:
        raise rate_limited(_("At most %(n)s requests a day; try again tomorrow.", n=MANUAL_DAILY_LIMIT), 3600)
    recharge = Recharge(site_id=site.id, amount=amount, method="manual", status="pending", transaction_id=reference)
    db.session.add(recharge)
    db.session.flush()
    return recharge


class AlreadyDecided(ValueError):
    """Another operator (or a second click) decided this request first."""


def _decide_manual(recharge: Recharge, **values) -> None:
    """pending -> decided in one conditional UPDATE: of two operators (or a double click), only one
    decides; the other's UPDATE finds no pending row (PostgreSQL re-reads it after the first commits)."""
    decided = db.session.execute(
        update(Recharge).where(Recharge.id == recharge.id, Recharge.method == "manual", Recharge.status == "pending")
        .values(**values)
    ).rowcount
    if decided != 1:
        raise AlreadyDecided("only a pending manual recharge can be approved or rejected")
    db.session.refresh(recharge)


def approve_manual_recharge(recharge: Recharge, operator: str) -> Recharge:
    """Credit the request's amount, exactly once (the conditional UPDATE, and the ledger's unique reference)."""
    _decide_manual(recharge, status="completed", completed_at=utcnow(), created_by=operator)
    credit(recharge.site_id, recharge.amount, kind="recharge", reference=f"recharge-{recharge.id}",
           note="approved by an operator", created_by=operator)
    db.session.flush()
    return recharge


def reject_manual_recharge(recharge: Recharge, operator: str, reason: str | None) -> Recharge:
    """Nothing is credited; the shop sees the reason on its SMS page."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("a rejection needs a reason the shop can act on")
    _decide_manual(recharge, status="rejected", note=reason[:REJECT_REASON_MAX], created_by=operator)
    return recharge


def operator_credit(site: Site, amount: Decimal, *, operator: str, note: str | None = None) -> Recharge:
    """An operator adds money by hand (cash, bank transfer): a completed recharge plus its credit."""
    if amount <= 0:
        raise ValueError("the amount must be positive")
    recharge = Recharge(site_id=site.id, amount=to_poisha(amount), method="manual", status="completed",
                        note=note, created_by=operator, completed_at=utcnow())
    db.session.add(recharge)
    db.session.flush()
    credit(site.id, recharge.amount, kind="operator_credit", reference=f"recharge-{recharge.id}",
           note=note, created_by=operator)
    return recharge


# --- online recharges: bKash and Nagad (K3) ------------------------------------------------------

ONLINE_METHODS = ("bkash", "nagad")


class RechargeUnavailable(ApiError):
    status = 503
    code = "recharge_unavailable"
    message = "Online recharge is not available right now. Try again later or ask Bikri support."


def _payment_gateway(method: str):
    """bKash from the environment (BIKRI_BKASH_*), Nagad from the console; 503 when off."""
    name = PAYMENT_GATEWAYS[method].name
    try:
        if method == "bkash":
            config = current_app.config["BKASH"]
            gateway = get_payment_gateway("bkash", config) if config.get("base_url") else None
        else:
            gateway = configured_payment_gateway(method)
    except PaymentError as error:  # the adapter's words name the setting, never a key
        log.warning("%s is switched on but its settings are refused: %s", name, error.message)
        gateway = None
    if gateway is None:
        raise RechargeUnavailable(_("Recharge with %(gateway)s is not set up on this Bikri service. Ask Bikri support to credit your wallet.",
                                    gateway=name))
    return gateway


def online_methods() -> list[str]:
    """The online ways to pay that are switched on, for the SMS page's buttons."""
    available = []
    for method in ONLINE_METHODS:
        try:
            _payment_gateway(method)
        except RechargeUnavailable:
            continue
        available.append(method)
    return available


def payment_callback_url(method: str = "bkash") -> str:
    return f"{current_app.config['PUBLIC_URL']}/payments/{method}/callback"


def order_reference(recharge: Recharge) -> str:
    """What the gateway knows the recharge by: bKash's invoice number, Nagad's order id (letters
    and digits only). The gateway's answer must name the same one before anything is credited."""
    return f"BIKRI{recharge.id}" if recharge.method == "nagad" else f"BIKRI-{recharge.id}"


OPEN_PAYMENT_TASKS = {"bkash": "sms.open_bkash_payment", "nagad": "sms.open_nagad_payment"}
# Each start asks bKash or Nagad to open a payment: a shop (or a stolen token) cannot make Bikri
# open payments by the thousand.
ONLINE_HOURLY_LIMIT = 20


def start_recharge(site: Site, amount: Decimal, method: str = "bkash") -> Recharge:
    """Start an online recharge: the row now ("creating"), the payment opened at bKash or Nagad by a
    worker (`open_payment`, issue 19: no web request waits on them). The page waits a moment and
    asks for the payment address; the API answers with the recharge and `GET /api/sms/recharges/<id>`
    shows `payment_url` once it is there. Refused before anything is written: a bad amount (422),
    that way to pay not set up (503), more than ONLINE_HOURLY_LIMIT started in the last hour (429),
    the work queue down (503)."""
    amount = check_recharge_amount(amount)
    _payment_gateway(method)
    started = db.session.execute(select(func.count(Recharge.id)).where(
        Recharge.site_id == site.id, Recharge.method.in_(ONLINE_METHODS), Recharge.created_at >= utcnow() - timedelta(hours=1))
    ).scalar()
    if started >= ONLINE_HOURLY_LIMIT:
        raise rate_limited(_("At most %(n)s online recharges an hour; pay one already started or try again later.",
                             n=ONLINE_HOURLY_LIMIT), 600)
    require_queue()
    recharge = Recharge(site_id=site.id, amount=amount, method=method, status="creating")
    db.session.add(recharge)
    db.session.flush()
    enqueue(OPEN_PAYMENT_TASKS[method], site_id=site.id, recharge_id=recharge.id)
    return recharge


def open_payment(site_id: int, recharge_id: int) -> None:
    """The task: ask the gateway to open the payment. Once opened (or failed) the recharge is no
    longer "creating" and a redelivered task does nothing; a task killed after the gateway answered
    but before its commit opens a second payment for the same order, and the first is never paid
    (nobody was sent to its page)."""
    recharge = db.session.get(Recharge, recharge_id)
    if recharge is None or recharge.site_id != site_id or recharge.status != "creating":
        return
    name = PAYMENT_GATEWAYS[recharge.method].name
    try:
        gateway = _payment_gateway(recharge.method)
        created = gateway.create_payment(
            amount=recharge.amount, invoice=order_reference(recharge), callback_url=payment_callback_url(recharge.method),
            payer_reference=f"site-{site_id}")
    except (PaymentError, RechargeUnavailable) as error:
        recharge.status, recharge.note = "failed", f"{name} did not open the payment: {error.message}"[:255]
    else:
        recharge.payment_id, recharge.payment_url, recharge.status = created.payment_id, created.redirect_url, "pending"
    announce_after_commit(opened_subject(recharge.id))


def payment_gave_up(site_id: int, recharge_id: int, error: str = "") -> None:
    recharge = db.session.get(Recharge, recharge_id)
    if recharge is not None and recharge.status == "creating":
        name = PAYMENT_GATEWAYS[recharge.method].name
        recharge.status, recharge.note = "failed", f"{name} did not open the payment: no answer"
        announce_after_commit(opened_subject(recharge.id))


def opened_subject(recharge_id: int) -> str:
    return f"recharge-opened:{recharge_id}"


def wait_until_opened(recharge: Recharge, seconds: float) -> Recharge:
    """Wait up to `seconds` for the worker to open the payment; the recharge as it stands then."""
    if recharge.status == "creating":
        wait_for_worker(opened_subject(recharge.id), seconds)
        db.session.refresh(recharge)
    return recharge


def recharge_of(site: Site, recharge_id: int) -> Recharge:
    recharge = db.session.execute(select(Recharge).where(Recharge.id == recharge_id, Recharge.site_id == site.id)
                                  ).scalar_one_or_none()
    if recharge is None:
        raise NotFound(_("This shop has no such recharge."), code="recharge_not_found")
    return recharge


# A recharge the gateway may still report paid: waiting for its payer, or expired but watched.
OPEN_STATES = ("pending", "expired")


def _move(recharge: Recharge, **values) -> bool:
    """An open recharge to its outcome in one conditional UPDATE: of two callbacks or workers
    settling the same payment at once, one moves it (PostgreSQL re-reads the row once the first
    commits; SQLite lets one writer in at a time) and only that one credits."""
    moved = db.session.execute(
        update(Recharge).where(Recharge.id == recharge.id, Recharge.status.in_(OPEN_STATES)).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(recharge)
    return moved


def settle(recharge: Recharge, result: PaymentResult) -> None:
    """Act on the gateway's own answer: credit once when it reports the payment completed for
    this recharge's amount and order; a completed payment for another sum or order is "held":
    nothing is credited and the console lists it for an operator, who checks it by hand; failed or
    cancelled closes it; anything else leaves it open."""
    name = PAYMENT_GATEWAYS[recharge.method].name
    if result.status == COMPLETED:
        if result.amount is None or result.amount != recharge.amount:
            log.error("amount mismatch on recharge %s: %s paid, %s asked", recharge.id, result.amount, recharge.amount)
            _move(recharge, status="held",
                  note=f"{name} reports {result.amount} paid for a {recharge.amount} recharge; held for an operator.")
        elif result.invoice is not None and result.invoice != order_reference(recharge):
            log.error("order mismatch on recharge %s: %s reported", recharge.id, result.invoice)
            _move(recharge, status="held",
                  note=f"{name} reports the payment for order {result.invoice}, not {order_reference(recharge)}; held for an operator."[:255])
        elif _move(recharge, status="completed", transaction_id=result.transaction_id, completed_at=utcnow()):
            credit(recharge.site_id, recharge.amount, kind="recharge", reference=f"recharge-{recharge.id}",
                   note=f"{name} {result.transaction_id}")
    elif result.status in (FAILED, CANCELLED):
        _move(recharge, status=result.status, note=result.message or None)


def close_held_recharge(recharge: Recharge, operator: str, reason: str) -> Recharge:
    """An operator checked a held payment (and credited by hand what was owed, if anything): it
    leaves the console's list, its reason kept on the recharge. Nothing is credited here."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("closing a held payment needs a reason")
    closed = db.session.execute(
        update(Recharge).where(Recharge.id == recharge.id, Recharge.status == "held")
        .values(status="failed", note=f"Checked by {operator}: {reason}"[:REJECT_REASON_MAX], created_by=operator)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        raise AlreadyDecided("only a held recharge can be closed")
    db.session.refresh(recharge)
    return recharge


# --- the payer back from bKash or Nagad: the callback only queues the question; a worker asks -------

# A callback reloaded, replayed or forged queues the gateway's question at most this often per recharge.
VERIFY_EVERY = timedelta(seconds=10)
# What a worker runs to learn how an online payment ended (`verify_payment`).
VERIFY_TASKS = {"bkash": "sms.verify_bkash_payment", "nagad": "sms.verify_nagad_payment"}


def online_recharge(method: str, payment_id: str) -> Recharge | None:
    """The recharge bKash or Nagad knows by `payment_id` (bKash's paymentID, Nagad's payment_ref_id)."""
    return db.session.execute(select(Recharge).where(Recharge.payment_id == payment_id,
                                                     Recharge.method == method)).scalar_one_or_none()


def payment_returned(method: str, payment_id: str, reported: str = "") -> Recharge | None:
    """bKash or Nagad sent the payer back (or someone typed, reloaded or replayed the address). The
    address is not signed, so nothing in it is believed and nobody is asked here: an open recharge
    gets the gateway's question queued for a worker (`verify_payment`), once per VERIFY_EVERY
    however many callbacks arrive at once (one conditional UPDATE: of concurrent callbacks one
    queues; PostgreSQL re-reads the row once the first commits, SQLite lets one writer in at a
    time); the page then shows its progress. A finished recharge queues nothing. `reported`, the
    status the address carries (checked by the route), is logged, never acted on."""
    recharge = online_recharge(method, payment_id)
    if recharge is None or recharge.status not in OPEN_STATES:
        return recharge
    log.info("%s sent the payer back for recharge %s (status %r)", PAYMENT_GATEWAYS[method].name, recharge.id, reported)
    now = utcnow()
    queued = db.session.execute(
        update(Recharge).where(Recharge.id == recharge.id, Recharge.status.in_(OPEN_STATES),
                               or_(Recharge.verify_queued_at.is_(None), Recharge.verify_queued_at < now - VERIFY_EVERY))
        .values(verify_queued_at=now).execution_options(synchronize_session=False)
    ).rowcount == 1
    if queued:
        enqueue(VERIFY_TASKS[method], site_id=recharge.site_id, recharge_id=recharge.id)
    db.session.refresh(recharge)
    return recharge


def _ask_gateway(gateway, recharge: Recharge) -> PaymentResult:
    """How the payment ended, in the gateway's own words. Nagad: its verify. bKash: execute, which
    is what turns a payment the payer authorised into money (and is refused for one not authorised,
    cancelled, failed or executed before: the adapter then reads bKash's own record). Execute
    without an answer (a timeout, a 5xx): bKash's status query says whether it went through; a
    payment still open then raises the execute's error, so the worker tries again later."""
    if recharge.method != "bkash":
        return gateway.query_payment(recharge.payment_id)
    try:
        return gateway.execute_payment(recharge.payment_id)
    except PaymentError as error:
        log.info("bKash execute gave no answer for %s (%s); querying", recharge.payment_id, error.code)
        result = gateway.query_payment(recharge.payment_id)
        if error.retryable and result.status in (PENDING, UNKNOWN):
            raise error
        return result


def verify_payment(site_id: int, recharge_id: int, method: str, *, retry: bool = True) -> None:
    """The task: ask bKash (execute) or Nagad (verify) how the payment ended and settle it, crediting
    once. The gateway not answering (a timeout, a 5xx) raises so the worker tries again with backoff
    (`retry`), after saying so on the recharge, which the payer's page shows; nothing is credited
    meanwhile and the recharge stays open (the reconcile job asks again)."""
    recharge = db.session.get(Recharge, recharge_id)
    if recharge is None or recharge.site_id != site_id or recharge.method != method or recharge.status not in OPEN_STATES:
        return
    name = PAYMENT_GATEWAYS[method].name
    try:
        gateway = _payment_gateway(method)
    except RechargeUnavailable:  # switched off since the payment was opened: the reconcile job asks once it is back
        recharge.note = f"{name} is switched off on this Bikri service; the payment is checked once it is on again."
        return
    failed = None
    with remote_step():  # the gateway's answer, or why it gave none, is kept (a retry raised below must not undo it)
        try:
            result = _ask_gateway(gateway, recharge)
        except PaymentError as error:
            log.warning("%s verify failed for recharge %s: %s", name, recharge.id, error.message)
            recharge.note = (f"{name} is not answering ({error.message}); Bikri keeps asking." if error.retryable
                             else f"{name} refused to say how the payment ended: {error.message}")[:255]
            failed = error
        else:
            recharge.note = None
            settle(recharge, result)
    if failed is not None and failed.retryable and retry:
        raise failed


def verify_gave_up(site_id: int, recharge_id: int, error: str = "") -> None:
    """The gateway stayed silent through every retry: the recharge stays open (the reconcile job
    asks again every few minutes) and its page says why it waits."""
    recharge = db.session.get(Recharge, recharge_id)
    if recharge is not None and recharge.status in OPEN_STATES:
        name = PAYMENT_GATEWAYS[recharge.method].name
        recharge.note = f"{name} is not answering; Bikri asks again every 5 minutes. Do not pay a second time."


LATE_PAYMENT_WATCH = timedelta(days=1)


def payment_window() -> timedelta:
    """How long an online payment may take before its recharge is "expired" (BKASH_PAYMENT_WINDOW_MINUTES)."""
    return timedelta(minutes=current_app.config["BKASH_PAYMENT_WINDOW_MINUTES"])


def reconcile_pending_recharges(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Recharges whose payer paid but whose callback never came back (closed tab, lost network),
    or whose verification Nagad did not answer; then attempts still unpaid after the payment
    window become "expired". An expired attempt is not forgotten: a late callback still asks the
    gateway and credits a payment made."""
    now = utcnow()
    # Expired attempts are asked for a day more: a payer who pays on the gateway's page late and
    # never comes back to us is still credited.
    pending = db.session.execute(
        select(Recharge.id, Recharge.site_id, Recharge.method, Recharge.payment_id).where(
            Recharge.method.in_(ONLINE_METHODS), Recharge.payment_id.is_not(None), Recharge.created_at < now - older_than,
            or_(Recharge.status == "pending",
                (Recharge.status == "expired") & (Recharge.created_at > now - payment_window() - LATE_PAYMENT_WATCH)))
        .order_by(Recharge.id).limit(200)
    ).all()
    for recharge_id, site_id, method, _payment_id in pending:
        # each answer is kept (by its remote step) before the next payment is asked about
        verify_payment(site_id, recharge_id, method, retry=False)
    # Only online attempts expire; a manual request waits for an operator however long it takes.
    expired = db.session.execute(
        update(Recharge).where(Recharge.status == "pending", Recharge.method.in_(ONLINE_METHODS),
                               Recharge.created_at < now - payment_window())
        .values(status="expired").execution_options(synchronize_session=False)
    ).rowcount
    return len(pending) + expired
