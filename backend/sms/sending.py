"""Sending an SMS: debit atomically, ask the gateway, refund on failure, never twice.

Sending commits in steps (backend/commits.py): the debit must be durable before we talk to
the gateway, and the outcome durable after, whatever happens to the request.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Boolean, bindparam, case, cast, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from backend.commits import before_remote_call, keep_progress
from backend.dbutil import on_postgresql
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.sms import SendResult, SmsGatewayError
from backend.licensing.models import Site
from backend.phones import InvalidPhone, msisdn_form, normalise_phone
from backend.sms.config import Quote, current_gateway, quote, sms_settings
from backend.sms.encoding import MAX_SEGMENTS
from backend.sms.models import SmsMessage, Wallet, WalletEntry
from backend.sms.wallet import InsufficientBalance, credit, rate_limited, validation_error
from backend.timeutil import utcnow

PURPOSES = ("manual", "otp", "order_status", "abandoned_cart", "marketing")
STUCK_AFTER = timedelta(minutes=2)


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
                  segments=price.segments, cost=price.cost, gateway_cost=price.gateway_cost, status="sending",
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
    before_remote_call()  # the debit is durable, and no wallet lock is held, while the gateway answers
    message = SmsMessage(id=message_id, **values)
    message.balance_after = left
    return deliver(message)


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


def deliver(message: SmsMessage) -> SmsMessage:
    """Hand the message to the gateway and record the outcome; a failure refunds the debit.
    `message` is a row of the session or a plain SmsMessage."""
    try:
        result = current_gateway().send(msisdn=msisdn_form(message.phone), text=message.content,
                                        message_id=message.gateway_message_id)
    except (SmsGatewayError, ValueError) as error:
        result = SendResult(False, error=str(error))
    outcome = {"gateway": sms_settings().gateway_key, "finished_at": utcnow(), "gateway_reference": None, "error": None}
    if result.ok:
        outcome.update(status="sent", gateway_reference=result.reference)
    else:
        outcome.update(status="failed", error=(result.error or "The gateway refused the message.")[:500])
        if message.cost > 0:
            credit(message.site_id, message.cost, kind="refund", reference=str(message.id), note="SMS not sent: refunded")
        message.balance_after = None  # refunded: the caller reads the balance afresh
    db.session.execute(_finish_statement(), {"message_id": message.id,
                                             **{f"new_{name}": value for name, value in outcome.items()}})
    # the gateway's answer (and any refund) survives whatever follows: an error answer, or the
    # next message of `resume_stuck_messages` asking the gateway
    keep_progress()
    for name, value in outcome.items():
        set_committed_value(message, name, value)
    return message


def _finish_statement():
    """The outcome of a send need not wait for PostgreSQL's disk flush: if a crash loses it, the
    message is left "sending" and `resume_stuck_messages` asks the gateway again with the same
    message id, which it recognises; the debit before the send is committed durably as ever."""
    return _FINISH_MESSAGE_ASYNC if on_postgresql() else _FINISH_MESSAGE


def resume_stuck_messages() -> int:
    """Messages debited but never finished (the process died mid-send): ask the gateway again
    with the same message id; it recognises a repeat, so nothing is sent or charged twice."""
    stuck = db.session.execute(
        select(SmsMessage).where(SmsMessage.status == "sending", SmsMessage.created_at < utcnow() - STUCK_AFTER)
        .order_by(SmsMessage.id).limit(500)
    ).scalars().all()
    for message in stuck:
        deliver(message)
    return len(stuck)
