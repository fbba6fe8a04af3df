"""Sending an SMS: debit atomically and queue it in the request; a worker asks the gateway and
records the outcome; a failure refunds the debit; never sent or charged twice.

The request (`send_sms`) inserts the message ("queued") and debits its cost in one
transaction; the message is handed to the broker when that transaction commits (the outbox,
backend/tasks/queue.py). A worker (`deliver_message`, the task in sms/tasks.py) claims it
("sending", committed before the gateway is asked), asks the gateway with our message id,
which the gateway deduplicates on, and records "sent" or "failed" (refunded). The sweeper
(`resume_stuck_messages`) hands on what a dead worker or a failed hand-over left behind.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask import current_app
from sqlalchemy import Boolean, bindparam, case, cast, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.activity import service as activity
from backend.commits import remote_step
from backend.database import on_postgresql
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.sms import SendResult, SmsGatewayBusy, SmsGatewayError
from backend.licensing.models import Site
from backend.phones import InvalidPhone, msisdn_form, normalise_phone
from backend.sms.config import Quote, current_gateway, quote, sms_settings
from backend.sms.encoding import MAX_SEGMENTS
from backend.sms.models import SmsMessage, Wallet, WalletEntry
from backend.sms.signals import message_failed
from backend.sms.wallet import InsufficientBalance, credit, rate_limited, validation_error
from backend.tasks import RetryLater, coordination, enqueue, require_queue
from backend.tasks.queue import announce_after_commit
from backend.tasks.service import wait_for_worker
from backend.clock import utcnow

PURPOSES = ("manual", "otp", "order_status", "abandoned_cart", "marketing", "campaign", "stock_alert", "wishlist",
            "loyalty")
FINISHED = ("sent", "failed")
# A claim older than this belongs to a worker that died mid-send (an attempt lasts at most the
# gateway's timeout and a turn at its rate limit: seconds): the sweeper hands the message on,
# and the next worker asks the gateway again with the same message id.
STUCK_AFTER = timedelta(minutes=2)
# Queued this long since it was written or last tried: its hand-over to the broker failed, or
# the broker lost it. A retry after a gateway error comes back sooner (sms/tasks.py's backoff
# is at most 30 s), so the sweeper does not double it.
QUEUED_TOO_LONG = timedelta(minutes=1)
# Someone at a screen (the SMS page's test send, the desk's SMS to a shopper) waits this long
# for the gateway's outcome before being told the message is on its way.
SCREEN_WAIT_SECONDS = 3.0


# The statements of a send, built once: constructing SQLAlchemy statements afresh cost more
# CPU than running them (bench/sms_send.py). Table-level Core, so no ORM layer in between.
_messages, _wallets = SmsMessage.__table__, Wallet.__table__
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)
_INSERT_DEBIT = insert(WalletEntry.__table__).values(site_id=bindparam("entry_site"), amount=bindparam("entry_amount"),
                                                      kind="sms", reference=bindparam("entry_reference"))
_in_window = _wallets.c.window_start == bindparam("window")
_DEBIT_WALLET = (
    update(_wallets)
    .where(_wallets.c.site_id == bindparam("wallet_site"), _wallets.c.balance >= bindparam("amount"),
           or_(_wallets.c.window_start.is_(None), ~_in_window, _wallets.c.window_sends < bindparam("per_minute")))
    # SET expressions read the row as it was, on SQLite and PostgreSQL alike
    .values(balance=_wallets.c.balance - bindparam("amount"),
            window_sends=case((_in_window, _wallets.c.window_sends + 1), else_=1), window_start=bindparam("window"))
    .returning(_wallets.c.balance)
)
# PostgreSQL: the message, its ledger row and the wallet's debit in one statement (one round
# trip, not three), the inserts as data-modifying CTEs, which run whatever the UPDATE decides:
# a refused debit is rolled back by the caller, as on SQLite.
_MESSAGE_FIELDS = ("site_id", "phone", "content", "purpose", "encoding", "segments", "cost", "gateway_cost", "status",
                   "idempotency_key", "created_at")
_new_message = insert(_messages).values({name: bindparam(f"m_{name}", type_=_messages.c[name].type)
                                         for name in _MESSAGE_FIELDS}).returning(_messages.c.id).cte("new_message")
_entries = WalletEntry.__table__
_debit_entry = insert(_entries).from_select(
    ["site_id", "amount", "kind", "reference", "created_at"],
    select(bindparam("m_site_id", type_=_entries.c.site_id.type), bindparam("entry_amount", type_=_entries.c.amount.type),
           literal("sms"), cast(_new_message.c.id, _entries.c.reference.type),
           bindparam("m_created_at", type_=_entries.c.created_at.type))
    .select_from(_new_message).where(bindparam("has_cost", type_=Boolean)),  # a free message moves no money
).cte("debit_entry")
_SEND_AND_DEBIT = _DEBIT_WALLET.add_cte(_new_message, _debit_entry).returning(
    select(_new_message.c.id).scalar_subquery().label("message_id"))
_FINISH_MESSAGE = update(_messages).where(_messages.c.id == bindparam("message_id")).values(
    status=bindparam("new_status"), gateway=bindparam("new_gateway"), finished_at=bindparam("new_finished_at"),
    gateway_reference=bindparam("new_gateway_reference"), error=bindparam("new_error"))
# PostgreSQL: the same UPDATE turns synchronous_commit off for its transaction (SET LOCAL, as a
# function in its condition), one round trip instead of two; see `_finish_statement`.
_FINISH_MESSAGE_ASYNC = _FINISH_MESSAGE.where(
    select(func.set_config("synchronous_commit", "off", True)).scalar_subquery().is_not(None))


def _debit(site_id: int, amount: Decimal, reference: str, *, per_minute: int) -> Decimal | None:
    """Take money only if it is there and the shop is within its sends for this minute: one
    conditional UPDATE decides both, whatever runs concurrently. Returns the balance left, or
    None when refused (see `_refusal` for why); the caller commits at once, or rolls back.

    The ledger row is written first and the wallet row last, so the wallet's row lock, which
    every send of the shop waits for, is held only from this UPDATE to the commit."""
    if amount:
        db.session.execute(_INSERT_DEBIT, {"entry_site": site_id, "entry_amount": -amount, "entry_reference": reference})
    return db.session.execute(_DEBIT_WALLET, {"wallet_site": site_id, "amount": amount, "per_minute": per_minute,
                                              "window": _minute(utcnow())}).scalar_one_or_none()


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _refusal(site: Site, price: "Quote", per_minute: int) -> ApiError:
    """Why `_debit` refused: the minute's sends were used up, or the balance is short."""
    now = utcnow()
    wallet = db.session.execute(select(Wallet).where(Wallet.site_id == site.id)).scalar_one_or_none()
    if wallet is not None and wallet.window_start == _minute(now) and wallet.window_sends >= per_minute:
        return rate_limited(f"This shop may send {per_minute} SMS a minute. Try again shortly.",
                            (wallet.window_start + timedelta(minutes=1) - now).total_seconds())
    balance = wallet.balance if wallet is not None else Decimal("0")
    return InsufficientBalance(
        f"This SMS costs {price.cost.normalize():f} taka and the balance is {balance.normalize():f} taka. Recharge to send.",
        details={"cost": str(price.cost), "balance": str(balance)},
    )


# --- sending ---------------------------------------------------------------------------------

_OTP_SENT_LAST_HOUR = (  # built once: every checkout code asks
    select(func.count(SmsMessage.id), func.min(SmsMessage.created_at))
    .where(SmsMessage.phone == bindparam("phone"), SmsMessage.purpose == "otp", SmsMessage.created_at > bindparam("since"))
)


def _check_otp_limit(phone: str) -> None:
    """Codes to one number are capped per hour (SMS pumping costs shops real money)."""
    config = sms_settings()
    now = utcnow()
    sent = db.session.execute(_OTP_SENT_LAST_HOUR, {"phone": phone, "since": now - timedelta(hours=1)}).one()
    if sent[0] >= config.otp_per_phone_per_hour:
        raise rate_limited(f"At most {config.otp_per_phone_per_hour} codes an hour go to one number. Try again later.",
                           (sent[1] + timedelta(hours=1) - now).total_seconds())


def _existing(site: Site, idempotency_key: str, phone: str, content: str) -> SmsMessage | None:
    message = db.session.execute(
        select(SmsMessage).where(SmsMessage.site_id == site.id, SmsMessage.idempotency_key == idempotency_key)
    ).scalar_one_or_none()
    if message is not None and (message.phone != phone or message.content != content):
        raise ApiError("This Idempotency-Key was used for another message. Use a new key for a new message.",
                       code="idempotency_key_reused", status=422)
    return message


def _sent_before(site: Site, idempotency_key: str | None, phone: str, content: str) -> SmsMessage | None:
    return _existing(site, idempotency_key, phone, content) if idempotency_key else None


def send_sms(site: Site, *, phone: str, content: str, purpose: str = "manual",
             idempotency_key: str | None = None) -> SmsMessage:
    try:
        phone = normalise_phone(phone)
    except InvalidPhone as error:
        raise validation_error("phone", str(error)) from error
    if not content or not content.strip():
        raise validation_error("content", _("Write the message; it is empty."))
    if purpose not in PURPOSES:
        raise validation_error("purpose", _("One of: %(choices)s.", choices=", ".join(PURPOSES)))
    price = quote(site, content)
    if price.segments > MAX_SEGMENTS:
        raise validation_error("content", _("The message needs %(n)s SMS; at most %(most)s are allowed. Shorten it.", n=price.segments, most=MAX_SEGMENTS))
    # a worker sends it: with the broker down, refuse (503) before anything is debited
    require_queue()
    # A repeated Idempotency-Key is found by the unique index when the message is inserted (the
    # IntegrityError below), not by a lookup first: most keys are new (every checkout code's is),
    # and a lookup cost each of them a round trip.
    if purpose == "otp":
        try:
            _check_otp_limit(phone)
        except ApiError:
            existing = _sent_before(site, idempotency_key, phone, content)
            if existing is None:
                raise
            return existing  # a retry of a code that was sent: its answer again, not a refusal

    per_minute = sms_settings().sends_per_minute
    values = dict(site_id=site.id, phone=phone, content=content, purpose=purpose, encoding=price.encoding,
                  segments=price.segments, cost=price.cost, gateway_cost=price.gateway_cost, status="queued",
                  idempotency_key=idempotency_key or None, created_at=utcnow())
    try:
        # Core statements, not the unit of work: this is the busiest path in Bikri. The message
        # stays a plain object outside the session, so nothing is reloaded after the commits.
        message_id, left = _record_and_debit(values, per_minute)
    except IntegrityError:
        # this Idempotency-Key was used before (or arrives twice at once): that message is the answer
        db.session.rollback()
        existing = _sent_before(site, idempotency_key, phone, content)
        if existing is None:
            raise
        return existing
    if left is None:
        db.session.rollback()
        raise _refusal(site, price, per_minute)
    message = SmsMessage(id=message_id, **values)
    message.balance_after = left
    if purpose != "otp":  # a shopper's checkout code is not a staff member's write (the OTP report shows them)
        activity.record(site.id, "sms", phone, None, {"message": message_id, "purpose": purpose,
                                                      "segments": price.segments, "cost": price.cost})
    # handed to the broker once the caller commits (the debit with it); a worker sends it
    enqueue(delivery_task(purpose), site_id=site.id, message_id=message_id)
    return message


def delivery_task(purpose: str) -> str:
    """Checkout codes have a lane of their own: a shopper waits at the checkout for them."""
    return "sms.deliver_otp" if purpose == "otp" else "sms.deliver"


def _record_and_debit(values: dict, per_minute: int) -> tuple[int | None, Decimal | None]:
    """Insert the message and debit its cost: (message id, balance left), the balance None when
    the debit was refused (the caller rolls back)."""
    site_id, cost = values["site_id"], values["cost"]
    if on_postgresql():
        row = db.session.execute(_SEND_AND_DEBIT, {
            **{f"m_{name}": value for name, value in values.items()}, "entry_amount": -cost, "has_cost": bool(cost),
            "wallet_site": site_id, "amount": cost, "per_minute": per_minute, "window": _minute(values["created_at"])},
        ).one_or_none()
        return (row.message_id, row.balance) if row is not None else (None, None)
    message_id = db.session.execute(_INSERT_MESSAGE, values).scalar_one()
    return message_id, _debit(site_id, cost, reference=str(message_id), per_minute=per_minute)


# --- the worker's side ---------------------------------------------------------------------------

_CLAIM = (
    update(_messages)
    .where(_messages.c.id == bindparam("claim_id"), _messages.c.site_id == bindparam("claim_site"),
           or_(_messages.c.status == "queued",
               # a claim this old is a dead worker's: the gateway dedups on our id, so asking again is safe
               (_messages.c.status == "sending")
               & (func.coalesce(_messages.c.claimed_at, _messages.c.created_at) < bindparam("stale_before"))))
    .values(status="sending", claimed_at=bindparam("claim_now"))
    .returning(_messages.c.phone, _messages.c.content, _messages.c.cost, _messages.c.purpose, _messages.c.idempotency_key)
)
# after a gateway error worth retrying: the message waits for its retry, the reason on it
_RELEASE = (update(_messages).where(_messages.c.id == bindparam("release_id"), _messages.c.status == "sending")
            .values(status="queued", error=bindparam("release_error")))
_GIVE_UP = (update(_messages).where(_messages.c.id == bindparam("give_up_id"), _messages.c.site_id == bindparam("give_up_site"),
                                    _messages.c.status == "queued")
            .values(status="failed", finished_at=bindparam("give_up_now"),
                    error=func.coalesce(_messages.c.error, bindparam("give_up_error")))
            .returning(_messages.c.cost, _messages.c.purpose, _messages.c.idempotency_key, _messages.c.error))


def deliver_message(message_id: int, site_id: int) -> str:
    """The worker's task (sms/tasks.py): ask the gateway for one message, once. Idempotent: a
    repeated delivery finds the message sent, failed or freshly claimed and does nothing; a
    claim left by a dead worker is taken over and the gateway, asked again with the same id,
    recognises the repeat. Returns the message's status as this run leaves it."""
    # the operator's rate limit holds across every worker; a long wait comes back later (RetryLater)
    coordination.take_turn("sms-gateway", current_app.config["SMS_GATEWAY_RATE"])
    # The gateway's settings are read before the claim: the claim's commit then ends this
    # session's transaction, and no connection of the pool is held while the gateway answers
    # (it was, and 15 connections made 30 sends a second at 500 ms each: bench/sms_send.py).
    try:
        gateway, gateway_key, unusable = current_gateway(), sms_settings().gateway_key, None
    except (SmsGatewayError, ValueError) as error:  # none configured, or incomplete: fails, refunded
        gateway, gateway_key, unusable = None, None, str(error)
    now = utcnow()
    row = db.session.execute(_CLAIM, {"claim_id": message_id, "claim_site": site_id, "claim_now": now,
                                      "stale_before": now - STUCK_AFTER}).one_or_none()
    if row is None:
        db.session.rollback()
        return "not claimed"  # finished already, or another worker holds a fresh claim
    message = SmsMessage(id=message_id, site_id=site_id, phone=row.phone, content=row.content, cost=row.cost,
                         purpose=row.purpose, idempotency_key=row.idempotency_key)
    return _send_claimed(message, gateway, gateway_key, unusable, retried=True)


def deliver(message: SmsMessage) -> SmsMessage:
    """Ask the gateway for a message the caller already claimed ("sending") and record the
    outcome at once, a gateway error included (failed, refunded): for callers that have no
    retry of their own per message (bulk batches, backend/sms/batches.py on main). `message` is
    a row of the session; its outcome fields are set on it."""
    try:
        gateway, gateway_key, unusable = current_gateway(), sms_settings().gateway_key, None
    except (SmsGatewayError, ValueError) as error:
        gateway, gateway_key, unusable = None, sms_settings().gateway_key, str(error)
    _send_claimed(message, gateway, gateway_key, unusable, retried=False)
    return message_of(message.site_id, message.id)


def _send_claimed(message: SmsMessage, gateway, gateway_key: str | None, unusable: str | None, *,
                  retried: bool) -> str:
    """Ask the gateway for a claimed message and record its answer (no gateway: `unusable` is
    the failure). The claim is committed before the gateway is asked ("sending" is visible and
    durable, and no connection is held while it answers), and the outcome is kept at once. A
    gateway error is the task's to retry when `retried` (the claim let go and kept, then
    raised), else the message's outcome (failed, refunded). Returns the status it leaves."""
    return ask_gateway(gateway, unusable, message.phone, message.content, message.gateway_message_id,
                       record=lambda result: _record_outcome(message, result, gateway_key),
                       # with backoff (sms/tasks.py); gave_up refunds
                       let_go=(lambda error: _release(message.id, error)) if retried else None)


def ask_gateway(gateway, unusable: str | None, phone: str, text: str, message_id: str, *, record, let_go=None) -> str:
    """Ask the gateway to send one claimed text and keep what happened, in one remote step: the
    claim is committed before the gateway is asked, `record(result)` (returning the status it
    leaves) after it answered. No gateway: `unusable` is the failure; a number the gateway cannot
    take is a refusal. A gateway error (a timeout, a 5xx, nonsense, "slow down") is recorded as
    a failure, or, with `let_go`, handed to it (the claim let go, and kept) and raised for the
    task to retry, "slow down" as RetryLater after the gateway's pause. Shops' messages and the
    operators' offline alert (support/alerts.py) both go through here."""
    failed = None
    with remote_step():
        try:
            result = SendResult(False, error=unusable) if gateway is None else gateway.send(
                msisdn=msisdn_form(phone), text=text, message_id=message_id)
        except SmsGatewayError as error:
            if let_go is None:
                result = SendResult(False, error=str(error))
            else:
                let_go(str(error))
                failed = error
        except ValueError as error:  # not a number the gateway can take
            result = SendResult(False, error=str(error))
        if failed is None:
            outcome = record(result)
    if isinstance(failed, SmsGatewayBusy):
        raise RetryLater(failed.retry_after, str(failed)) from failed
    if failed is not None:
        raise failed
    return outcome


def _release(message_id: int, error: str) -> None:
    db.session.execute(_RELEASE, {"release_id": message_id, "release_error": error[:500]})


def _record_outcome(message: SmsMessage, result: SendResult, gateway_key: str | None) -> str:
    """Record the gateway's answer; a refusal refunds. Committed by the task run."""
    outcome = {"gateway": gateway_key, "finished_at": utcnow(), "gateway_reference": None, "error": None}
    if result.ok:
        outcome.update(status="sent", gateway_reference=result.reference)
    else:
        outcome.update(status="failed", error=(result.error or "The gateway refused the message.")[:500])
        if message.cost > 0:
            credit(message.site_id, message.cost, kind="refund", reference=str(message.id), note="SMS not sent: refunded")
        message_failed.send(message.site_id, message_id=message.id, purpose=message.purpose,
                            idempotency_key=message.idempotency_key, error=outcome["error"])
    db.session.execute(_finish_statement(), {"message_id": message.id,
                                             **{f"new_{name}": value for name, value in outcome.items()}})
    announce_after_commit(outcome_subject(message.id))
    return outcome["status"]


def give_up_message(message_id: int, site_id: int, error: str) -> None:
    """The retries are used up (sms/tasks.py's gave_up): the message failed, its cost comes
    back. Only a message waiting for a retry ("queued"): one left "sending" may have reached
    the gateway, and the sweeper asks the gateway about it again instead."""
    row = db.session.execute(_GIVE_UP, {"give_up_id": message_id, "give_up_site": site_id, "give_up_now": utcnow(),
                                        "give_up_error": (error or "not sent")[:500]}).one_or_none()
    if row is None:
        return
    if row.cost > 0:
        credit(site_id, row.cost, kind="refund", reference=str(message_id), note="SMS not sent: refunded")
    message_failed.send(site_id, message_id=message_id, purpose=row.purpose, idempotency_key=row.idempotency_key,
                        error=row.error)
    announce_after_commit(outcome_subject(message_id))


def outcome_subject(message_id: int) -> str:
    return f"sms:{message_id}"


def _finish_statement():
    """The outcome of a send need not wait for PostgreSQL's disk flush: if a crash loses it, the
    message is left "sending" and `resume_stuck_messages` asks the gateway again with the same
    message id, which it recognises; the debit before the send is committed durably as ever."""
    return _FINISH_MESSAGE_ASYNC if on_postgresql() else _FINISH_MESSAGE


# --- the request's side: waiting, reading ------------------------------------------------------

def wait_for_outcome(message: SmsMessage, seconds: float) -> SmsMessage:
    """`Prefer: wait=N`: the message as it stands after up to `seconds` for a worker's outcome.
    What the request wrote is committed first (`wait_for_worker`): the worker reads it, and no
    lock is held while the gateway answers."""
    if message.status not in FINISHED:
        wait_for_worker(outcome_subject(message.id), seconds)
    return message_of(message.site_id, message.id)


def message_of(site_id: int, message_id: int) -> SmsMessage | None:
    """One of the shop's messages, as stored now (another shop's id is None)."""
    return db.session.execute(select(SmsMessage).where(SmsMessage.id == message_id, SmsMessage.site_id == site_id)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def was_refunded(message: SmsMessage) -> bool:
    return message.status == "failed" and message.cost > 0


# --- the sweeper (a scheduled job) --------------------------------------------------------------

# A bulk batch's messages (those with a job: sms/batches.py) are resumed by their job
# (tasks.service.resume_stalled_jobs), in the bulk lane; queued for minutes is normal for them.
_SENT_ON_THEIR_OWN = [SmsMessage.job_id.is_(None)]


def resume_stuck_messages() -> int:
    """Hand on to the workers what was left behind: messages a worker claimed and died with
    (asked again with the same message id, which the gateway recognises, so nothing is sent or
    charged twice), and messages queued too long (the hand-over to the broker failed). The
    gateway is never asked here."""
    now = utcnow()
    last_touched = func.coalesce(SmsMessage.claimed_at, SmsMessage.created_at)
    stuck = db.session.execute(
        select(SmsMessage.id, SmsMessage.site_id, SmsMessage.purpose)
        .where(or_((SmsMessage.status == "sending") & (last_touched < now - STUCK_AFTER),
                   (SmsMessage.status == "queued") & (last_touched < now - QUEUED_TOO_LONG)), *_SENT_ON_THEIR_OWN)
        .order_by(SmsMessage.id).limit(500)
    ).all()
    for message_id, site_id, purpose in stuck:
        enqueue(delivery_task(purpose), site_id=site_id, message_id=message_id)
    return len(stuck)
