"""Recharges: a shop's manual requests an operator decides, an operator's own credit, and
bKash payments (K3), credited once however often bKash is asked."""
import logging
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from backend.commits import keep_progress
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.integrations.payments import COMPLETED, PaymentError, get_payment_gateway
from backend.licensing.models import Site
from backend.money import to_poisha, whole_poisha
from backend.sms.config import sms_settings
from backend.sms.models import Recharge
from backend.sms.wallet import credit, rate_limited, validation_error
from backend.tasks import enqueue, require_queue
from backend.tasks.service import wait_for_worker
from backend.tasks.queue import announce_after_commit
from backend.timeutil import utcnow

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


# --- bKash recharge (K3) -------------------------------------------------------------------------

class RechargeUnavailable(ApiError):
    status = 503
    code = "recharge_unavailable"
    message = "Online recharge is not available right now. Try again later or ask Bikri support."


def _payment_gateway():
    config = current_app.config["BKASH"]
    if not config.get("base_url"):
        raise RechargeUnavailable("Online recharge is not set up on this Bikri service. Ask Bikri support to credit your wallet.")
    return get_payment_gateway("bkash", config)


def payment_callback_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}/payments/bkash/callback"


def start_recharge(site: Site, amount: Decimal) -> Recharge:
    """Start a bKash recharge: the row now ("creating"), the payment opened at bKash by a worker
    (`open_payment`, issue 19: no web request waits on bKash). The page waits a moment and asks
    for the payment address; the API answers with the recharge and `GET /api/sms/recharges/<id>`
    shows `payment_url` once it is there. Refused before anything is written: a bad amount (422),
    online recharge not set up (503), the work queue down (503)."""
    amount = check_recharge_amount(amount)
    _payment_gateway()
    require_queue()
    recharge = Recharge(site_id=site.id, amount=amount, method="bkash", status="creating")
    db.session.add(recharge)
    db.session.flush()
    enqueue("sms.open_bkash_payment", site_id=site.id, recharge_id=recharge.id)
    return recharge


def open_payment(site_id: int, recharge_id: int) -> None:
    """The task: ask bKash to open the payment. Once opened (or failed) the recharge is no longer
    "creating" and a redelivered task does nothing; a task killed after bKash answered but before
    its commit opens a second payment for the same invoice, and the first is never paid (bKash
    takes no money for a payment never executed)."""
    recharge = db.session.get(Recharge, recharge_id)
    if recharge is None or recharge.site_id != site_id or recharge.status != "creating":
        return
    try:
        created = _payment_gateway().create_payment(
            amount=recharge.amount, invoice=f"BIKRI-{recharge.id}", callback_url=payment_callback_url(),
            payer_reference=f"site-{site_id}")
    except (PaymentError, RechargeUnavailable) as error:
        recharge.status, recharge.note = "failed", f"bKash did not open the payment: {error.message}"[:255]
    else:
        recharge.payment_id, recharge.payment_url, recharge.status = created.payment_id, created.redirect_url, "pending"
    announce_after_commit(opened_subject(recharge.id))


def payment_gave_up(site_id: int, recharge_id: int, error: str = "") -> None:
    recharge = db.session.get(Recharge, recharge_id)
    if recharge is not None and recharge.status == "creating":
        recharge.status, recharge.note = "failed", "bKash did not open the payment: no answer"
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


def complete_recharge(payment_id: str, callback_status: str) -> Recharge | None:
    """bKash sent the shopper back. The callback is unsigned, so we ask bKash what happened;
    the wallet is credited once per recharge however often this runs (unique ledger reference)."""
    recharge = db.session.execute(select(Recharge).where(Recharge.payment_id == payment_id)).scalar_one_or_none()
    # an "expired" attempt is asked too: a payer who paid late is credited, never lost
    if recharge is None or recharge.status == "completed" or recharge.method != "bkash":
        return recharge
    gateway = _payment_gateway()
    try:
        if callback_status == "success":
            result = gateway.execute_payment(payment_id)
        else:
            # "cancel" or "failure" arrives unsigned too: believe bKash, not the URL. A payment
            # bKash still calls open stays pending; the reconcile job settles it.
            result = gateway.query_payment(payment_id)
    except PaymentError as error:
        # a timeout, or "already executed" by a first callback: the status query tells the truth
        log.info("bKash execute gave no answer for %s (%s); querying", payment_id, error.code)
        try:
            result = gateway.query_payment(payment_id)
        except PaymentError as query_error:
            log.warning("bKash query failed for %s: %s", payment_id, query_error.message)
            return recharge  # still pending; the reconcile job asks again
    if result.status == COMPLETED:
        if result.amount is not None and result.amount != recharge.amount:
            recharge.status = "failed"
            recharge.note = f"bKash reports {result.amount} paid for a {recharge.amount} recharge; held for an operator."
            log.error("amount mismatch on recharge %s", recharge.id)
        else:
            credit(recharge.site_id, recharge.amount, kind="recharge", reference=f"recharge-{recharge.id}",
                   note=f"bKash {result.transaction_id}")
            recharge.status = "completed"
            recharge.transaction_id = result.transaction_id
            recharge.completed_at = utcnow()
    elif result.status in ("failed", "cancelled"):
        recharge.status = result.status
        recharge.note = result.message or None
    # bKash's answer acted on (a credit, perhaps) survives, and is not held open while
    # `reconcile_pending_recharges` asks bKash about the next payment
    keep_progress()
    return recharge


LATE_PAYMENT_WATCH = timedelta(days=1)


def payment_window() -> timedelta:
    """How long a bKash payment may take before its recharge is "expired" (BKASH_PAYMENT_WINDOW_MINUTES)."""
    return timedelta(minutes=current_app.config["BKASH_PAYMENT_WINDOW_MINUTES"])


def reconcile_pending_recharges(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Recharges whose payer paid but whose callback never came back (closed tab, lost network);
    then attempts still unpaid after the payment window become "expired". An expired attempt is
    not forgotten: a late callback (complete_recharge) still asks bKash and credits a payment made."""
    now = utcnow()
    # Expired attempts are asked for a day more: a payer who pays on bKash's page late and never
    # comes back to us is still credited (bKash does not take the money of a payment never executed).
    pending = db.session.execute(
        select(Recharge.payment_id).where(
            Recharge.method == "bkash", Recharge.payment_id.is_not(None), Recharge.created_at < now - older_than,
            or_(Recharge.status == "pending",
                (Recharge.status == "expired") & (Recharge.created_at > now - payment_window() - LATE_PAYMENT_WATCH)))
        .order_by(Recharge.id).limit(200)
    ).scalars().all()
    for payment_id in pending:
        complete_recharge(payment_id, "success")
    # Only bKash attempts expire; a manual request waits for an operator however long it takes.
    expired = db.session.execute(
        update(Recharge).where(Recharge.status == "pending", Recharge.method == "bkash",
                               Recharge.created_at < now - payment_window())
        .values(status="expired").execution_options(synchronize_session=False)
    ).rowcount
    return len(pending) + expired
