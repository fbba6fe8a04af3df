"""Checkout codes and proofs: who is trusted, sending a code within the limits, checking it.

A code is 6 digits, valid a few minutes, stored only as an HMAC under the service's secret
key. Limits (a cooldown per phone, sends per phone and per IP an hour, wrong attempts per
code) are counted in `otp_codes` after locking the phone's and the IP's `otp_throttles`
rows, so concurrent requests cannot slip past them. A successful answer is committed by the
request; a refusal that wrote what must stay (a wrong attempt counted) says so with
`keeps_writes=True`, and the request commits it although the answer is an error.

A verified phone gets a proof: a short-lived token the plugin checks at order time without
another call to us. It is signed with a key derived from the site's export key (see
`_proof_key`), which the database does not hold, so a copy of the database cannot forge one;
reactivating the site (a new token, so a new key) invalidates old proofs.
"""
import functools
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.checkout import blacklist
from backend.checkout.models import CheckoutOrder, CheckoutSettings, OtpCode, OtpThrottle
from backend.checkout.settings import CODE_DIGITS, HOUR, PROOF_SECONDS, render_text, settings_for
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.phones import BANGLA_DIGITS, InvalidPhone, normalise_phone
from backend.security import b64url, b64url_decode, constant_time_equal, export_key, keyed_hash
from backend.sms import service as sms
from backend.clock import utcnow

# WooCommerce statuses that mean the parcel reached the shopper
DELIVERED_STATUSES = ("completed",)


def refusal(status: int, code: str, message: str, retry_after: int | None = None, *, keeps_writes=False,
            **details) -> ApiError:
    """An error that says when to try again: `details.retry_after` always, and the
    Retry-After header on 429s. `keeps_writes`: what the try wrote (an attempt counted, a code
    expired) stays, although the answer is an error (the request commits it)."""
    headers = {}
    if retry_after is not None:
        retry_after = max(1, int(retry_after + 0.999)) if status == 429 else max(0, int(retry_after + 0.999))
        details["retry_after"] = retry_after
        if status == 429:
            headers["Retry-After"] = str(retry_after)
    return ApiError(message, code=code, status=status, details=details, headers=headers, keeps_writes=keeps_writes)


def _invalid(field_name: str, message: str) -> ApiError:
    return sms.validation_error(field_name, message)


# --- proofs ---------------------------------------------------------------------------------------

def _unix(moment: datetime) -> int:
    """Seconds since 1970 of a naive UTC datetime (the plugin compares with PHP's time())."""
    return int((moment - datetime(1970, 1, 1)).total_seconds())


# Proof versions. v1 is keyed with the site's token hash, which sits in the `sites` table: anyone
# holding a copy of the database could sign v1 proofs for every shop and skip its checkout code.
# v2 is keyed with the site's export key (backend.security.export_key), an HMAC of the token hash
# under BIKRI_SECRET_KEY, which never sits in the database; the plugin gets it with the activation
# answer and every config pull (GET /api/v1/checkout/config).
#
# Why the export key and not a second key: both would live in the same two places (the plugin's
# options, the service's secret key), so a second key would separate nothing an attacker could
# take apart, and would be one more value to hand over, rotate and delete. The context string
# keeps the two uses apart: the proof key is an HMAC of its own context under the export key, so
# no signature made for the order export can count as a proof, nor the other way round.
#
# The upgrade without an outage: the service issues v2 only when the plugin says, in the request
# (proof_version=2), that it holds the export key; a plugin of before this change, or one that
# has not pulled its key yet (at most 5 minutes after the update), sends nothing and gets v1, as
# before. The plugin accepts v1 only while it holds no key: once it holds one it refuses v1, so
# a proof forged from a leaked database (it can only be v1) no longer opens its checkout.
PROOF_CONTEXTS = {1: b"bikri-otp-proof-v1", 2: b"bikri-otp-proof-v2"}
PROOF_VERSIONS = tuple(PROOF_CONTEXTS)


def _proof_key(site: Site, version: int) -> bytes:
    if version == 2:
        secret = export_key(site.token_hash)
    elif version == 1:
        secret = site.token_hash  # what the plugin derives from sha256(token): kept for plugins without the key
    else:
        raise ValueError(f"unknown proof version {version!r}")
    return hmac.new(secret.encode("ascii"), PROOF_CONTEXTS[version], hashlib.sha256).digest()


def make_proof(site: Site, phone: str, session_id: str, mode: str, version: int = 1) -> tuple[str, datetime]:
    """`<payload>.<signature>`, both base64url; the payload is JSON:
    {"v": version, "p": phone, "sid": session, "m": mode, "exp": unix seconds, "n": nonce},
    signed with the key of that version (see PROOF_CONTEXTS)."""
    expires = utcnow().replace(microsecond=0) + timedelta(seconds=PROOF_SECONDS)
    payload = {"v": version, "p": phone, "sid": session_id, "m": mode,
               "exp": _unix(expires), "n": secrets.token_urlsafe(9)}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    signature = b64url(hmac.new(_proof_key(site, version), body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{signature}", expires


def read_proof(site: Site, token: str, version: int = 2) -> dict | None:
    """The payload of a proof signed for this site with the key of `version` and not expired
    (what the plugin checks: version 2 once it holds the export key, 1 until then)."""
    body, _, signature = (token or "").partition(".")
    expected = b64url(hmac.new(_proof_key(site, version), body.encode("ascii"), hashlib.sha256).digest())
    if not body or not constant_time_equal(expected, signature):
        return None
    payload = json.loads(b64url_decode(body))
    if payload.get("v") != version or payload.get("exp", 0) <= _unix(utcnow()):
        return None
    return payload


# --- who is trusted ----------------------------------------------------------------------------

def _delivered_checkout_orders(site_id: int, phone: str) -> int:
    return db.session.execute(
        select(func.count(CheckoutOrder.id)).where(CheckoutOrder.site_id == site_id, CheckoutOrder.phone == phone,
                                                   CheckoutOrder.status.in_(DELIVERED_STATUSES))
    ).scalar_one()


# THE HOOK for "delivered orders": functions (site_id, phone) -> count, summed. This branch
# counts the orders the plugin reported from its checkout and later saw completed; the
# orders read model adds its own function here when it lands, so orders placed before
# Bikri (or outside the checkout) count too.
DELIVERED_ORDER_SOURCES: list[Callable[[int, str], int]] = [_delivered_checkout_orders]


def delivered_order_count(site_id: int, phone: str) -> int:
    return sum(source(site_id, phone) for source in DELIVERED_ORDER_SOURCES)


def is_trusted(site: Site, phone: str) -> bool:
    """Verified here before, and has at least one delivered order."""
    verified = db.session.execute(
        select(OtpCode.id).where(OtpCode.site_id == site.id, OtpCode.phone == phone, OtpCode.status == "verified").limit(1)
    ).first()
    return verified is not None and delivered_order_count(site.id, phone) > 0


# --- sending ---------------------------------------------------------------------------------

@dataclass
class OtpAnswer:
    status: str  # sent | verified | trusted | skipped
    phone: str
    expires_in: int | None = None
    resend_after: int | None = None
    proof: str | None = None
    proof_expires_at: datetime | None = None
    reason: str | None = None


def ip_key(raw: str) -> tuple[str, str]:
    """(address, the key limits count by): an IPv6 shopper owns a whole /64, so it counts as one."""
    try:
        address = ipaddress.ip_address((raw or "").strip())
    except ValueError as error:
        raise _invalid("ip", "The shopper's IP address (IPv4 or IPv6) is required.") from error
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 6:
        return str(address), str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address), str(address)


def _phone(raw) -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhone as error:
        raise _invalid("phone", str(error)) from error


def _upsert(table):
    """INSERT … ON CONFLICT for the database in use (both have it; SQLAlchemy spells it per dialect)."""
    return (postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(table)


@functools.cache
def _lock_statement(dialect: str, rows: int):
    """Built once per database and number of keys (every checkout code takes the lock)."""
    statement = _upsert(OtpThrottle.__table__).values(
        [{"site_id": bindparam("site"), "key": bindparam(f"key{i}"), "touched_at": bindparam("now")} for i in range(rows)])
    return statement.on_conflict_do_update(index_elements=["site_id", "key"], set_={"touched_at": statement.excluded.touched_at})


def _lock(site_id: int, keys: list[str]) -> None:
    """Lock the throttle rows of these keys for this transaction, making them on first use, in
    one statement. Sorted, so two requests that need the same rows take them in one order and
    never deadlock. (On SQLite the first write takes the database's write lock.)"""
    db.session.execute(_lock_statement(db.engine.dialect.name, len(keys)),
                       {"site": site_id, "now": utcnow(), **{f"key{i}": key for i, key in enumerate(sorted(keys))}})


def _window(site_id: int, column, value: str, now: datetime):
    """(requests in the last hour, the oldest of them, the newest one that sent or skipped a code)."""
    return db.session.execute(
        select(func.count(OtpCode.id), func.min(OtpCode.created_at),
               func.max(case((OtpCode.status != "failed", OtpCode.created_at), else_=None)))
        .where(OtpCode.site_id == site_id, column == value, OtpCode.created_at > now - HOUR)
    ).one()


def _phone_wait(settings: CheckoutSettings, phone: str, now: datetime) -> float:
    """Seconds before this phone may get a new code (0: now)."""
    count, oldest, newest = _window(settings.site_id, OtpCode.phone, phone, now)
    waits = [0.0]
    if newest is not None:
        waits.append((newest + timedelta(seconds=settings.cooldown_seconds) - now).total_seconds())
    if count >= settings.sends_per_phone_per_hour:
        waits.append((oldest + HOUR - now).total_seconds())
    return max(waits)


_is_phone, _is_ip = OtpCode.phone == bindparam("phone"), OtpCode.ip_key == bindparam("ip_key")
# One look at the last hour of this phone's and this address's requests (built once: every code asks).
_LIMITS = (
    select(func.coalesce(func.sum(case((_is_phone, 1), else_=0)), 0),
           func.min(case((_is_phone, OtpCode.created_at), else_=None)),
           func.max(case((_is_phone & (OtpCode.status != "failed"), OtpCode.created_at), else_=None)),
           func.coalesce(func.sum(case((_is_ip, 1), else_=0)), 0),
           func.min(case((_is_ip, OtpCode.created_at), else_=None)))
    .where(OtpCode.site_id == bindparam("site"), OtpCode.created_at > bindparam("since"), _is_phone | _is_ip)
)


def _check_limits(settings: CheckoutSettings, phone: str, ip_limit_key: str, now: datetime) -> None:
    """The cooldown and the hourly caps."""
    phone_count, phone_oldest, phone_newest, ip_count, ip_oldest = db.session.execute(
        _LIMITS, {"site": settings.site_id, "phone": phone, "ip_key": ip_limit_key, "since": now - HOUR}).one()
    cooldown = timedelta(seconds=settings.cooldown_seconds)
    if phone_newest is not None and now - phone_newest < cooldown:
        wait = (phone_newest + cooldown - now).total_seconds()
        raise refusal(429, "otp_cooldown", f"A code was just sent to this number. Ask again in {int(wait + 0.999)} seconds.", wait)
    if phone_count >= settings.sends_per_phone_per_hour:
        wait = (phone_oldest + HOUR - now).total_seconds()
        raise refusal(429, "otp_phone_limit", f"At most {settings.sends_per_phone_per_hour} codes an hour go to one number. "
                      f"Try again in {int(wait // 60) + 1} minutes.", wait)
    if ip_count >= settings.sends_per_ip_per_hour:
        wait = (ip_oldest + HOUR - now).total_seconds()
        raise refusal(429, "otp_ip_limit", f"Too many codes were asked for from this connection. "
                      f"Try again in {int(wait // 60) + 1} minutes.", wait)


def _check_session(session_id) -> str:
    if not isinstance(session_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", session_id):
        raise _invalid("session_id", "16 to 64 letters, digits, _ or -: the plugin's checkout session.")
    return session_id


_codes = OtpCode.__table__
# A request for a code, and its end when the SMS did not leave (Core, built once: every code asks).
_INSERT_CODE = _codes.insert().returning(_codes.c.id)
_FAIL_CODE = (update(_codes).where(_codes.c.id == bindparam("code_id"))
              .values(status="failed", code_hash=None, error=bindparam("error")))
_CODE_NOT_SENT = _FAIL_CODE.where(_codes.c.site_id == bindparam("site"), _codes.c.status == "pending")


def code_not_sent(site_id: int, code_id: int, error: str) -> None:
    """The worker could not deliver this code's SMS (refused, or its retries ran out): the code
    is dead, and the cooldown does not count a code that never left, so the shopper may ask
    again at once (checkout/listeners.py)."""
    db.session.execute(_CODE_NOT_SENT, {"code_id": code_id, "site": site_id, "error": (error or "not sent")[:300]})


def send_code(site: Site, *, phone, session_id, ip, proof_version: int = 1) -> OtpAnswer:
    """Send a code to `phone` for this checkout session, within every limit; or, for a trusted
    customer or an empty wallet, answer with a proof straight away (no SMS). `proof_version`: 2
    when the plugin holds its export key (see PROOF_CONTEXTS)."""
    settings = settings_for(site)
    phone = _phone(phone)
    session_id = _check_session(session_id)
    address, limit_key = ip_key(ip)
    if not settings.otp_enabled:
        raise refusal(409, "otp_disabled", "Checkout codes are switched off for this shop.")
    blocked = blacklist.find(site, phone=phone, ip=address)
    if blocked is not None:
        # no SMS money is spent on a number or a connection the shop has blocked
        raise ApiError(blacklist.message(settings), code="blacklisted", status=403, details={"kind": blocked.kind})

    # the SMS is sent by a worker: with the broker down, refuse (503) before anything is written
    sms.require_queue()
    now = utcnow()
    _lock(site.id, [f"phone:{phone}", f"ip:{limit_key}"])
    _check_limits(settings, phone, limit_key, now)
    trusted = settings.otp_skip_trusted and is_trusted(site, phone)
    row = dict(site_id=site.id, phone=phone, session_id=session_id, ip=address, ip_key=limit_key, created_at=now,
               status="trusted" if trusted else "pending", salt=None, code_hash=None, expires_at=None)

    if trusted:
        db.session.execute(_INSERT_CODE, row)
        proof, expires = make_proof(site, phone, session_id, "trusted", proof_version)
        return OtpAnswer("trusted", phone, proof=proof, proof_expires_at=expires, reason="trusted_customer")

    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    row["salt"] = secrets.token_hex(16)
    row["code_hash"] = _code_hash(site.id, row["salt"], phone, session_id, code)
    row["expires_at"] = now + timedelta(seconds=settings.code_ttl_seconds)
    code_id = db.session.execute(_INSERT_CODE, row).scalar_one()
    try:
        # the code and its debit commit with the request, and the SMS goes to the otp lane's
        # workers then: nobody waits on the limits' locks while it travels; a failure reaches
        # the code later (checkout/listeners.py)
        message = sms.send_sms(site, phone=phone, content=render_text(site, settings, code), purpose="otp",
                               idempotency_key=f"otp-{code_id}")
    except sms.InsufficientBalance:
        # S8: an empty wallet must not cost the shop its checkout. The order goes through,
        # flagged "OTP skipped: no balance", and the shop is alerted until it recharges.
        # (send_sms rolled the code back with the debit: the request is recorded afresh.)
        db.session.add(OtpCode(site_id=site.id, phone=phone, session_id=session_id, ip=address, ip_key=limit_key,
                               created_at=now, status="skipped", error="no SMS balance"))
        settings = settings_for(site)
        settings.no_balance_since = settings.no_balance_since or now
        proof, expires = make_proof(site, phone, session_id, "skipped_no_balance", proof_version)
        return OtpAnswer("skipped", phone, proof=proof, proof_expires_at=expires, reason="no_balance")
    except ApiError as error:
        db.session.execute(_FAIL_CODE, {"code_id": code_id, "error": error.message[:300]})
        error.keeps_writes = True  # the request counted by the hourly caps stays, though the answer is an error
        raise
    if message.status == "failed":  # a replayed send that had failed
        db.session.execute(_FAIL_CODE, {"code_id": code_id, "error": (message.error or "not sent")[:300]})
        # the code's end is recorded although the answer is a 503; the cooldown does not count
        # a code that never left, so the shopper may ask again soon
        raise refusal(503, "otp_send_failed", "The code could not be sent. Try again in a few seconds.", 5,
                      keeps_writes=True)
    if settings.no_balance_since is not None:
        settings.no_balance_since = None
    # An older code of this session is dead from now on: verify reads only the newest.
    return OtpAnswer("sent", phone, expires_in=settings.code_ttl_seconds, resend_after=settings.cooldown_seconds)


def _code_hash(site_id: int, salt: str, phone: str, session_id: str, code: str) -> str:
    return keyed_hash("otp-code", f"{salt}:{site_id}:{phone}:{session_id}:{code}")


def _clean_code(raw) -> str:
    code = re.sub(r"\s", "", str(raw or "")).translate(BANGLA_DIGITS)
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise _invalid("code", f"The code has {CODE_DIGITS} digits.")
    return code


# The statements of a verify, built once (building them cost about a tenth of a verify's CPU).
# The attempt is table-level Core: the ORM's bulk-update layer added more work than the UPDATE.
_LATEST_CODE = (
    select(OtpCode)
    .where(OtpCode.site_id == bindparam("site"), OtpCode.phone == bindparam("phone"),
           OtpCode.session_id == bindparam("session"), OtpCode.status.in_(("pending", "verified", "locked", "expired")))
    .order_by(OtpCode.id.desc()).limit(1)
)
_TAKE_ATTEMPT = (
    update(_codes)
    .where(_codes.c.id == bindparam("code_id"), _codes.c.status == "pending", _codes.c.attempts < bindparam("max_attempts"))
    .values(attempts=_codes.c.attempts + 1).returning(_codes.c.attempts)
)
_SPEND_CODE = _TAKE_ATTEMPT.values(status="verified", verified_at=bindparam("now"), code_hash=None)


def verify_code(site: Site, *, phone, session_id, code, proof_version: int = 1) -> OtpAnswer:
    """Check a code for this phone and session. A code works once, within its minutes, and
    dies after too many wrong tries; each refusal says when a new code may be asked for.
    `proof_version` as for send_code."""
    settings = settings_for(site)
    phone = _phone(phone)
    session_id = _check_session(session_id)
    code = _clean_code(code)
    now = utcnow()
    row = db.session.execute(_LATEST_CODE, {"site": site.id, "phone": phone, "session": session_id}).scalar_one_or_none()

    def wait():
        return _phone_wait(settings, phone, now)

    if row is None:
        raise refusal(404, "otp_no_code", "No code was sent to this number in this checkout. Ask for a code first.", wait())
    if row.status == "verified":
        raise refusal(409, "otp_code_used", "This code was already used. Ask for a new code.", wait())
    if row.status == "locked":
        raise refusal(429, "otp_attempts_exceeded", "Too many wrong codes. Ask for a new code.", wait())
    if row.status == "expired" or row.expires_at <= now:
        db.session.execute(update(OtpCode).where(OtpCode.id == row.id, OtpCode.status == "pending")
                           .values(status="expired").execution_options(synchronize_session=False))
        raise refusal(410, "otp_code_expired", "This code has expired. Ask for a new code.", wait(), keeps_writes=True)

    # One conditional UPDATE per try takes an attempt (parallel guesses cannot exceed the limit)
    # and, for the right code, spends it at once (a replay, even a concurrent one, finds it used).
    right = constant_time_equal(_code_hash(site.id, row.salt, row.phone, row.session_id, code), row.code_hash or "")
    attempts = db.session.execute(_SPEND_CODE if right else _TAKE_ATTEMPT,
                                  {"code_id": row.id, "max_attempts": settings.max_attempts, "now": now}).scalar_one_or_none()
    if attempts is None:
        # lost the race to another try: the code was used, or its attempts ran out
        db.session.execute(update(OtpCode).where(OtpCode.id == row.id, OtpCode.status == "pending")
                           .values(status="locked").execution_options(synchronize_session=False))
        db.session.refresh(row)
        if row.status == "verified":
            raise refusal(409, "otp_code_used", "This code was already used. Ask for a new code.", wait(),
                          keeps_writes=True)
        raise refusal(429, "otp_attempts_exceeded", "Too many wrong codes. Ask for a new code.", wait(),
                      keeps_writes=True)
    if not right:
        left = settings.max_attempts - attempts
        if left <= 0:
            db.session.execute(update(OtpCode).where(OtpCode.id == row.id, OtpCode.status == "pending")
                               .values(status="locked", code_hash=None).execution_options(synchronize_session=False))
        # the wrong attempt stays counted although the answer is an error
        if left <= 0:
            raise refusal(429, "otp_attempts_exceeded", "Too many wrong codes. Ask for a new code.", wait(),
                          keeps_writes=True)
        raise refusal(422, "otp_code_wrong", f"That code is not right. {left} tries left.", 0, attempts_left=left,
                      keeps_writes=True)
    proof, expires = make_proof(site, phone, session_id, "verified", proof_version)
    return OtpAnswer("verified", phone, proof=proof, proof_expires_at=expires)


# --- housekeeping ----------------------------------------------------------------------------------

def expire_old_codes() -> int:
    """Codes past their time are marked expired and lose their hash (nothing to guess at);
    throttle rows idle for a day go. Rows themselves stay for the report."""
    now = utcnow()
    expired = db.session.execute(
        update(OtpCode).where(OtpCode.status == "pending", OtpCode.expires_at < now)
        .values(status="expired", code_hash=None).execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(update(OtpCode).where(OtpCode.status.in_(("expired", "locked")), OtpCode.code_hash.is_not(None),
                                             OtpCode.created_at < now - timedelta(hours=1))
                       .values(code_hash=None).execution_options(synchronize_session=False))
    db.session.execute(delete(OtpThrottle).where(OtpThrottle.touched_at < now - timedelta(days=1))
                       .execution_options(synchronize_session=False))
    return expired
