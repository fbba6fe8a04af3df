"""The rules of SMS money: price by segments, debit atomically, refund on failure, never twice.

The balance lives in `wallets` so a debit is one conditional UPDATE (`balance >= cost`),
which is atomic on SQLite and PostgreSQL alike; every change of it writes a ledger row in
the same transaction, so the balance always equals the ledger's sum.

Unlike other operations, sending commits in steps (backend/commits.py): the debit must be
durable before we talk to the gateway, and the outcome durable after, whatever happens to the request.
"""
import functools
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import Boolean, bindparam, case, cast, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from backend.commits import before_remote_call, keep_progress
from backend.dbutil import on_postgresql
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.payments import COMPLETED, PaymentError, get_payment_gateway
from backend.integrations.sms import SendResult, SmsGatewayError, get_sms_gateway
from backend.licensing.models import Site
from backend.money import taka, to_poisha, whole_poisha
from backend.phones import InvalidPhone, msisdn_form, normalise_phone
from backend.security import decrypt_secret, encrypt_secret
from backend.sms.encoding import MAX_SEGMENTS, measure
from backend.sms.models import Recharge, SmsMessage, SmsRate, SmsSettings, Wallet, WalletEntry
from backend.timeutil import dhaka_date_sql, dhaka_midnight_utc, utcnow

log = logging.getLogger(__name__)

PURPOSES = ("manual", "otp", "order_status", "abandoned_cart", "marketing")
DEFAULT_PLAN = "*"
STUCK_AFTER = timedelta(minutes=2)
# The most any one recharge can be, whatever an operator sets as the largest (default 50,000):
# a bound for the API's schema, so an amount like 1e30 is refused before anything computes with it.
MAX_RECHARGE = Decimal("10000000")
MAX_SHOP_TEXT_SEGMENTS = 2  # a shop's own texts (OTP, reminders): each send costs at most this many SMS


class InsufficientBalance(ApiError):
    status = 402
    code = "insufficient_balance"
    message = "Not enough SMS balance. Recharge to send."


def validation_error(field: str, message: str) -> ApiError:
    return ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422, details={field: [message]})


def rate_limited(message: str, retry_after: int) -> ApiError:
    retry_after = max(1, int(retry_after))
    return ApiError(message, code="rate_limited", status=429, details={"retry_after": retry_after},
                    headers={"Retry-After": str(retry_after)})


# --- settings and prices ------------------------------------------------------------------

_SETTINGS = select(SmsSettings).order_by(SmsSettings.id).limit(1)
_RATES = select(SmsRate).where(SmsRate.plan.in_(bindparam("plans", expanding=True)))


def sms_settings() -> SmsSettings:
    """The one settings row, read once per request or job run."""
    if "sms_settings" not in g:
        g.sms_settings = db.session.execute(_SETTINGS).scalars().first()
    return g.sms_settings


def rate_for_plan(plan: str) -> SmsRate:
    rates = {r.plan: r for r in db.session.execute(_RATES, {"plans": [plan, DEFAULT_PLAN]}).scalars()}
    return rates.get(plan) or rates[DEFAULT_PLAN]


def set_rate(plan: str, *, gsm_rate, unicode_rate, gsm_cost, unicode_cost) -> SmsRate:
    rate = db.session.execute(select(SmsRate).where(SmsRate.plan == plan)).scalar_one_or_none()
    if rate is None:
        rate = SmsRate(plan=plan)
        db.session.add(rate)
    for name, value in (("gsm_rate", gsm_rate), ("unicode_rate", unicode_rate), ("gsm_cost", gsm_cost), ("unicode_cost", unicode_cost)):
        value = taka(value)
        if value < 0 or value > 100:
            raise ValueError(f"{name} must be between 0 and 100 taka")
        setattr(rate, name, value)
    db.session.flush()
    return rate


def configure_gateway(key: str, settings: dict) -> None:
    """Store the gateway choice; secrets are encrypted, and the adapter validates the fields."""
    get_sms_gateway(key, settings)
    config = sms_settings()
    config.gateway_key = key
    config.gateway_settings_enc = encrypt_secret(json.dumps(settings))
    db.session.flush()


def gateway_settings() -> tuple[str | None, dict]:
    config = sms_settings()
    if not config.gateway_key:
        return None, {}
    return config.gateway_key, json.loads(decrypt_secret(config.gateway_settings_enc) or "{}")


def current_gateway():
    config = sms_settings()
    if not config.gateway_key:
        raise SmsGatewayError("No SMS gateway is configured. An operator sets one in the console.")
    return _gateway(config.gateway_key, config.gateway_settings_enc, current_app.config.get("SMS_GATEWAY_TIMEOUT", 10))


@functools.lru_cache(maxsize=8)
def _gateway(key: str, settings_enc: str | None, timeout: float):
    """One adapter per gateway configuration and process: decrypting the settings on every send
    cost more than a tenth of a send. A changed configuration is a new key, so it takes effect
    on the next send."""
    return get_sms_gateway(key, json.loads(decrypt_secret(settings_enc) or "{}"), timeout=timeout)


# --- quotes and the wallet ------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    characters: int
    encoding: str
    segments: int
    cost: Decimal
    gateway_cost: Decimal


def quote(site: Site, content: str) -> Quote:
    size = measure(content)
    rate = rate_for_plan(site.license.plan)
    unicode = size.is_unicode
    cost = (rate.unicode_rate if unicode else rate.gsm_rate) * size.segments
    gateway_cost = (rate.unicode_cost if unicode else rate.gsm_cost) * size.segments
    return Quote(len(content), size.encoding, size.segments, cost, gateway_cost)


def balance_of(site_id: int) -> Decimal:
    value = db.session.execute(select(Wallet.balance).where(Wallet.site_id == site_id)).scalar_one_or_none()
    return value if value is not None else Decimal("0.0000")


def ledger_sum(site_id: int) -> Decimal:
    # summed in Python from exact integers-as-Decimal; fine for audits and tests
    return sum(db.session.execute(select(WalletEntry.amount).where(WalletEntry.site_id == site_id)).scalars(), Decimal("0"))


def _ensure_wallet(site_id: int) -> None:
    if db.session.execute(select(Wallet.site_id).where(Wallet.site_id == site_id)).first():
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Wallet).values(site_id=site_id, balance=Decimal("0")))
    except IntegrityError:
        pass  # another request made it first


def credit(site_id: int, amount: Decimal, *, kind: str, reference: str, note: str | None = None,
           created_by: str | None = None) -> bool:
    """Add money once per (kind, reference). Returns False when that reference was credited before."""
    if amount <= 0:
        raise ValueError("a credit must be positive")
    _ensure_wallet(site_id)
    try:
        with db.session.begin_nested():
            db.session.add(WalletEntry(site_id=site_id, amount=amount, kind=kind, reference=reference,
                                       note=note, created_by=created_by))
            db.session.flush()
    except IntegrityError:
        return False
    db.session.execute(update(Wallet).where(Wallet.site_id == site_id).values(balance=Wallet.balance + amount))
    return True


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


def require_sms_balance(site: Site) -> None:
    """S8: an SMS option (OTP, order-status SMS, reminders) cannot be switched on with no balance."""
    if balance_of(site.id) <= 0:
        raise ApiError("Recharge your SMS balance before switching this SMS option on.",
                       code="sms_balance_required", status=409)


def range_errors(values: dict, limits: dict, *, optional=()) -> dict:
    """Field -> ["Between low and high."] for the whole numbers of a settings form; an `optional`
    one may be None (not set)."""
    errors = {}
    for name, (low, high) in limits.items():
        if name not in values or (name in optional and values[name] is None):
            continue
        value = values[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors[name] = [_("Between %(low)s and %(high)s.", low=low, high=high)]
    return errors


def check_shop_text(template: str, *, placeholders: set, hint: str, sample, also=None) -> str:
    """A shop's own SMS text: only known {placeholders}, then the feature's own rule `also(text)`,
    then at most 2 SMS once `sample(text)` fills them. Returns it trimmed; ValueError says what to fix."""
    template = (template or "").strip()
    unknown = set(re.findall(r"\{(\w*)\}", template)) - placeholders
    if unknown:
        raise ValueError(_("Unknown placeholder %(name)s; use %(hint)s.", name="{" + sorted(unknown)[0] + "}", hint=hint))
    if also is not None:
        also(template)
    size = measure(sample(template))
    if size.segments > MAX_SHOP_TEXT_SEGMENTS:
        raise ValueError(_("The text needs %(n)s SMS; keep it within %(most)s (shorter is cheaper).", n=size.segments, most=MAX_SHOP_TEXT_SEGMENTS))
    return template


def apply_sms_option_settings(site: Site, settings, values: dict, errors: dict, *, switch: str,
                              text_fields, by: str) -> None:
    """Apply a shop's settings form for a feature that sends SMS (checkout codes, reminders):
    422 naming every bad field; switching `switch` on needs an SMS balance (S8); a blank text is
    stored as None (the default text)."""
    if errors:
        raise ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422, details=errors)
    if values.get(switch) and not getattr(settings, switch):
        require_sms_balance(site)
    for name, value in values.items():
        setattr(settings, name, ((value or "").strip() or None) if name in text_fields else value)
    settings.updated_by = by[:120]
    db.session.flush()


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


# --- history -----------------------------------------------------------------------------------

def dhaka_day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Calendar days in Asia/Dhaka, inclusive, as naive UTC bounds [from, to)."""
    return (dhaka_midnight_utc(start) if start else None, dhaka_midnight_utc(end + timedelta(days=1)) if end else None)


def balance_summary(site: Site) -> dict:
    rate = rate_for_plan(site.license.plan)
    balance = balance_of(site.id)
    return {
        "balance": balance,
        "currency": "BDT",
        "rates": {"gsm": rate.gsm_rate, "unicode": rate.unicode_rate},
        # one-part English SMS; Bangla and long texts cost more per message
        "sms_left_estimate": int(balance // rate.gsm_rate) if rate.gsm_rate > 0 else 0,
    }


def message_conditions(site_id: int, start: date | None, end: date | None) -> list:
    """WHERE clauses for a shop's messages within Dhaka calendar days (both ends optional)."""
    lower, upper = dhaka_day_bounds(start, end)
    conditions = [SmsMessage.site_id == site_id]
    if lower:
        conditions.append(SmsMessage.created_at >= lower)
    if upper:
        conditions.append(SmsMessage.created_at < upper)
    return conditions


def usage_totals(conditions: list) -> dict:
    """What the shop paid for among these messages (failed ones were refunded)."""
    count, segments, cost = db.session.execute(
        select(func.count(SmsMessage.id), func.coalesce(func.sum(SmsMessage.segments), 0), func.sum(SmsMessage.cost))
        .where(*conditions, SmsMessage.status != "failed")
    ).one()
    return {"messages": count, "segments": segments, "cost": cost or Decimal("0")}


def usage_by_day(site_id: int, start: date, end: date) -> dict:
    """Cost and count of SMS paid for, per Dhaka day and purpose, every day of the range present."""
    lower, upper = dhaka_day_bounds(start, end)
    day = dhaka_date_sql(SmsMessage.created_at).label("day")
    rows = db.session.execute(
        select(day, SmsMessage.purpose, func.count(SmsMessage.id), func.sum(SmsMessage.segments), func.sum(SmsMessage.cost))
        .where(SmsMessage.site_id == site_id, SmsMessage.created_at >= lower, SmsMessage.created_at < upper,
               SmsMessage.status != "failed")
        .group_by(day, SmsMessage.purpose)
    ).all()
    days = [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    by_purpose = {}
    for row_day, purpose, count, segments, cost in rows:
        series = by_purpose.setdefault(purpose, {"count": [0] * len(days), "segments": [0] * len(days), "cost": [0.0] * len(days)})
        i = index[str(row_day)]
        series["count"][i] += count
        series["segments"][i] += int(segments or 0)
        # chart values only; totals below stay exact strings
        series["cost"][i] = float(cost or 0)
    total_cost = sum((cost or Decimal(0) for *_rest, cost in rows), Decimal(0))
    return {
        "days": days,
        "purposes": by_purpose,
        "totals": {"messages": sum(r[2] for r in rows), "segments": sum(int(r[3] or 0) for r in rows), "cost": f"{to_poisha(total_cost):f}"},
    }


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
    """Open a bKash payment for a recharge; the shop pays at `recharge.payment_url`."""
    amount = check_recharge_amount(amount)
    gateway = _payment_gateway()
    recharge = Recharge(site_id=site.id, amount=amount, method="bkash", status="pending")
    db.session.add(recharge)
    # On record before bKash is asked, whatever it answers.
    before_remote_call()
    try:
        created = gateway.create_payment(amount=amount, invoice=f"BIKRI-{recharge.id}",
                                         callback_url=payment_callback_url(), payer_reference=f"site-{site.id}")
    except PaymentError as error:
        recharge.status, recharge.note = "failed", f"bKash did not open the payment: {error.message}"[:255]
        keep_progress()  # the API answers 503, whose request rolls back: the failure stays on record
        raise RechargeUnavailable(f"bKash did not open the payment: {error.message}") from error
    recharge.payment_id = created.payment_id
    recharge.payment_url = created.redirect_url  # not stored: it is only good for this payer, now
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
