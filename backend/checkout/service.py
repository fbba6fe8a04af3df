"""The rules of checkout OTP: settings, limits, codes, proofs, the order pings and the report.

A code is 6 digits, valid a few minutes, stored only as an HMAC under the service's secret
key. Limits (a cooldown per phone, sends per phone and per IP an hour, wrong attempts per
code) are counted in `otp_codes` after locking the phone's and the IP's `otp_throttles`
rows, so concurrent requests cannot slip past them. A successful answer is committed by the
request; a refusal keeps what it wrote through `keep_progress()` (backend/commits.py): a wrong
attempt must stay counted although the answer is an error (the request hook rolls back on errors).

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

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from backend.checkout.models import CheckoutOrder, CheckoutSettings, OtpCode, OtpThrottle
from backend.checkout.signals import plugin_config_asked
from backend.commits import keep_progress
from backend.dbutil import row_for_site
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.phones import BANGLA_DIGITS, InvalidPhone, normalise_phone
from backend.security import b64url, b64url_decode, constant_time_equal, export_key, keyed_hash
from backend.sms import service as sms
from backend.timeutil import utcnow

PROOF_SECONDS = 30 * 60
CODE_DIGITS = 6
HOUR = timedelta(hours=1)

# name -> (low, high): what a shop may set; the defaults are the model's
LIMITS = {
    "cooldown_seconds": (30, 600),
    "sends_per_phone_per_hour": (1, 10),
    "sends_per_ip_per_hour": (1, 100),
    "max_attempts": (1, 5),
    "code_ttl_seconds": (60, 900),
}
TEXT_FIELDS = ("otp_text_en", "otp_text_bn")
PLACEHOLDERS = {"code", "shop", "minutes"}

DEFAULT_TEXTS = {
    "en": "{code} is your {shop} verification code. It expires in {minutes} minutes.",
    "bn": "{shop} যাচাই কোড {code}। {minutes} মিনিট পর্যন্ত বৈধ।",
}

# How an order's phone was checked, as the plugin reports it and the report shows it.
ORDER_OTP_STATES = ("verified", "trusted", "skipped_no_balance", "skipped_unavailable", "off")
# Not (yet) an order: the block checkout's draft
NOT_ORDERS = ("checkout-draft",)
# WooCommerce statuses that mean the parcel reached the shopper
DELIVERED_STATUSES = ("completed",)


def refusal(status: int, code: str, message: str, retry_after: int | None = None, **details) -> ApiError:
    """An error that says when to try again: `details.retry_after` always, and the
    Retry-After header on 429s."""
    headers = {}
    if retry_after is not None:
        retry_after = max(1, int(retry_after + 0.999)) if status == 429 else max(0, int(retry_after + 0.999))
        details["retry_after"] = retry_after
        if status == 429:
            headers["Retry-After"] = str(retry_after)
    return ApiError(message, code=code, status=status, details=details, headers=headers)


def _invalid(field_name: str, message: str) -> ApiError:
    return sms.validation_error(field_name, message)


# --- settings ---------------------------------------------------------------------------------

def settings_for(site: Site) -> CheckoutSettings:
    return row_for_site(CheckoutSettings, site.id)


def bump_version(site_id: int) -> None:
    """The plugin's copy (settings, blacklist) is out of date: its next pull gets it all."""
    db.session.execute(update(CheckoutSettings).where(CheckoutSettings.site_id == site_id)
                       .values(version=CheckoutSettings.version + 1).execution_options(synchronize_session=False))
    db.session.expire_all()


def default_shop_name(site: Site) -> str:
    """The WordPress site title the plugin reported; the host only while it is not known."""
    if site.name:
        return site.name[:40].rstrip()
    host = site.origin.split("://", 1)[-1].split(":")[0]
    return host.removeprefix("www.")[:40]


def shop_name(site: Site, settings: CheckoutSettings) -> str:
    return settings.shop_name or default_shop_name(site)


def text_template(settings: CheckoutSettings, language: str | None = None) -> str:
    language = language or settings.otp_language
    custom = settings.otp_text_bn if language == "bn" else settings.otp_text_en
    return custom or DEFAULT_TEXTS[language]


def render_text(site: Site, settings: CheckoutSettings, code: str, template: str | None = None) -> str:
    template = template or text_template(settings)
    values = {"code": code, "shop": shop_name(site, settings), "minutes": str(max(1, settings.code_ttl_seconds // 60))}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def check_template(site: Site, settings: CheckoutSettings, template: str) -> str:
    """A shop's own SMS text: it must carry {code}, only known placeholders, and fit 2 SMS."""
    if "{code}" not in (template or ""):
        raise ValueError(_("The text must contain {code}, where the code goes."))
    return sms.check_shop_text(template, placeholders=PLACEHOLDERS, hint="{code}, {shop} and {minutes}",
                               sample=lambda text: render_text(site, settings, "0" * CODE_DIGITS, text))


def settings_errors(site: Site, values: dict) -> dict:
    """Field -> [messages] for a settings form; empty when it may be saved. Texts are cleaned in place."""
    settings = settings_for(site)
    errors = sms.range_errors(values, LIMITS)
    if values.get("otp_language", settings.otp_language) not in DEFAULT_TEXTS:
        errors["otp_language"] = ["bn or en."]
    for name in TEXT_FIELDS:
        if values.get(name):
            try:
                values[name] = check_template(site, settings, values[name])
            except ValueError as error:
                errors[name] = [str(error)]
    if values.get("shop_name") is not None and len(values["shop_name"].strip()) > 40:
        errors["shop_name"] = [_("At most %(n)s characters.", n=40)]
    if values.get("blacklist_message") is not None and len(values["blacklist_message"].strip()) > 300:
        errors["blacklist_message"] = [_("At most %(n)s characters.", n=300)]
    return errors


def update_settings(site: Site, values: dict, by: str) -> CheckoutSettings:
    """Apply the settings form. Switching OTP on needs an SMS balance (S8)."""
    settings = settings_for(site)
    sms.apply_sms_option_settings(site, settings, values, settings_errors(site, values), switch="otp_enabled",
                                  text_fields=(*TEXT_FIELDS, "shop_name", "blacklist_message"), by=by)
    bump_version(site.id)
    return settings_for(site)


def otp_price(site: Site, settings: CheckoutSettings):
    return sms.quote(site, render_text(site, settings, "0" * CODE_DIGITS)).cost


def balance_ok(site: Site, settings: CheckoutSettings) -> bool:
    """Whether the wallet pays for one more code."""
    return sms.balance_of(site.id) >= otp_price(site, settings)


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


def send_code(site: Site, *, phone, session_id, ip, proof_version: int = 1) -> OtpAnswer:
    """Send a code to `phone` for this checkout session, within every limit; or, for a trusted
    customer or an empty wallet, answer with a proof straight away (no SMS). `proof_version`: 2
    when the plugin holds its export key (see PROOF_CONTEXTS)."""
    # not at the top: blacklist builds on this module (settings_for, bump_version)
    from backend.checkout import blacklist

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
        # send_sms commits (the code with its debit) before it calls the gateway, which also
        # releases the limits' locks: nobody waits on them while the SMS travels
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
        keep_progress()
        raise
    if message.status == "failed":
        db.session.execute(_FAIL_CODE, {"code_id": code_id, "error": (message.error or "not sent")[:300]})
        keep_progress()
        # the cooldown does not count a code that never left, so the shopper may ask again soon
        raise refusal(503, "otp_send_failed", "The code could not be sent. Try again in a few seconds.", 5)
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
        keep_progress()
        raise refusal(410, "otp_code_expired", "This code has expired. Ask for a new code.", wait())

    # One conditional UPDATE per try takes an attempt (parallel guesses cannot exceed the limit)
    # and, for the right code, spends it at once (a replay, even a concurrent one, finds it used).
    right = constant_time_equal(_code_hash(site.id, row.salt, row.phone, row.session_id, code), row.code_hash or "")
    attempts = db.session.execute(_SPEND_CODE if right else _TAKE_ATTEMPT,
                                  {"code_id": row.id, "max_attempts": settings.max_attempts, "now": now}).scalar_one_or_none()
    if attempts is None:
        # lost the race to another try: the code was used, or its attempts ran out
        db.session.execute(update(OtpCode).where(OtpCode.id == row.id, OtpCode.status == "pending")
                           .values(status="locked").execution_options(synchronize_session=False))
        keep_progress()
        db.session.refresh(row)
        if row.status == "verified":
            raise refusal(409, "otp_code_used", "This code was already used. Ask for a new code.", wait())
        raise refusal(429, "otp_attempts_exceeded", "Too many wrong codes. Ask for a new code.", wait())
    if not right:
        left = settings.max_attempts - attempts
        if left <= 0:
            db.session.execute(update(OtpCode).where(OtpCode.id == row.id, OtpCode.status == "pending")
                               .values(status="locked", code_hash=None).execution_options(synchronize_session=False))
        keep_progress()  # the wrong attempt stays counted: the answer below is an error
        if left <= 0:
            raise refusal(429, "otp_attempts_exceeded", "Too many wrong codes. Ask for a new code.", wait())
        raise refusal(422, "otp_code_wrong", f"That code is not right. {left} tries left.", 0, attempts_left=left)
    proof, expires = make_proof(site, phone, session_id, "verified", proof_version)
    return OtpAnswer("verified", phone, proof=proof, proof_expires_at=expires)


# --- orders reported by the plugin ---------------------------------------------------------------

def record_order(site: Site, *, wc_order_id: int, phone, otp: str | None, status: str) -> CheckoutOrder:
    """The plugin says an order was placed through the protected checkout (or changed status).
    One row per order; a later report updates it."""
    try:
        normalised = normalise_phone(phone) if phone else None
    except InvalidPhone:
        normalised = None
    order = db.session.execute(select(CheckoutOrder).where(CheckoutOrder.site_id == site.id,
                                                           CheckoutOrder.wc_order_id == wc_order_id)).scalar_one_or_none()
    if order is None:
        try:
            with db.session.begin_nested():
                order = CheckoutOrder(site_id=site.id, wc_order_id=wc_order_id, phone=normalised, otp=otp or "off",
                                      status=status)
                db.session.add(order)
                db.session.flush()
            return order
        except IntegrityError:
            order = db.session.execute(select(CheckoutOrder).where(CheckoutOrder.site_id == site.id,
                                                                   CheckoutOrder.wc_order_id == wc_order_id)).scalar_one()
    order.status = status
    if otp:
        order.otp = otp
    if normalised:
        order.phone = normalised
    db.session.flush()
    return order


# --- what the plugin keeps a copy of ------------------------------------------------------------

def plugin_config(site: Site, since: int | None) -> dict:
    """Settings the plugin needs at checkout; the blacklist only when `since` is not current."""
    # not at the top: blacklist builds on this module (settings_for, bump_version)
    from backend.checkout import blacklist

    settings = settings_for(site)
    config = {
        "version": settings.version,
        "otp": {
            "enabled": settings.otp_enabled,
            "balance_ok": balance_ok(site, settings) if settings.otp_enabled else True,
            "no_balance_since": settings.no_balance_since,
            "code_digits": CODE_DIGITS,
            "cooldown_seconds": settings.cooldown_seconds,
            "code_ttl_seconds": settings.code_ttl_seconds,
            "proof_seconds": PROOF_SECONDS,
        },
        "blacklist": None,
        # Sent on every pull: how a shop active before export keys existed gets its key, and
        # how every shop gets the new one after the service's secret key changed. It also keys
        # the checkout proofs (version 2, see PROOF_CONTEXTS).
        "export_key": export_key(site.token_hash),
    }
    for _receiver, parts in plugin_config_asked.send(site):  # abandoned checkouts' settings
        config.update(parts)
    if since != settings.version:
        config["blacklist"] = {"message": settings.blacklist_message, **blacklist.values_by_kind(site)}
    return config


def otp_alert(site: Site) -> dict | None:
    """The shop must know when codes stopped going out for want of balance (S8)."""
    settings = db.session.get(CheckoutSettings, site.id)
    if settings is None or not settings.otp_enabled:
        return None
    if settings.no_balance_since is None and balance_ok(site, settings):
        return None
    return {"since": settings.no_balance_since, "balance": sms.balance_of(site.id)}


# --- the OTP report (F5) ---------------------------------------------------------------------------

REPORT_STATES = ("completed", "not_completed", "skipped")


def report_query(site_id: int, *, state: str | None = None, ordered: str | None = None, start: datetime | None = None,
                 end: datetime | None = None, phone: str | None = None):
    """One row per phone: requests, first and last request, whether it completed OTP (verified
    or trusted), skipped it (no balance), and its orders placed since its first request."""
    completed = func.max(case((OtpCode.status.in_(("verified", "trusted")), 1), else_=0))
    skipped = func.max(case((OtpCode.status == "skipped", 1), else_=0))
    conditions = [OtpCode.site_id == site_id]
    if start is not None:
        conditions.append(OtpCode.created_at >= start)
    if end is not None:
        conditions.append(OtpCode.created_at < end)
    if phone:
        digits = re.sub(r"\D", "", phone.translate(BANGLA_DIGITS)).removeprefix("88")
        if digits:
            conditions.append(OtpCode.phone.contains(digits.lstrip("0") or digits, autoescape=True))
    per_phone = (
        select(OtpCode.phone.label("phone"), func.count(OtpCode.id).label("requests"),
               func.min(OtpCode.created_at).label("first_at"), func.max(OtpCode.created_at).label("last_at"),
               func.max(OtpCode.verified_at).label("verified_at"), completed.label("completed"), skipped.label("skipped"))
        .where(*conditions).group_by(OtpCode.phone).subquery()
    )
    orders = (
        select(func.count(CheckoutOrder.id))
        .where(CheckoutOrder.site_id == site_id, CheckoutOrder.phone == per_phone.c.phone,
               CheckoutOrder.created_at >= per_phone.c.first_at,
               # a block checkout's draft is not an order until the shopper finishes paying or confirms
               CheckoutOrder.status.not_in(NOT_ORDERS))
        .scalar_subquery()
    )
    query = select(per_phone, orders.label("orders"))
    if state == "completed":
        query = query.where(per_phone.c.completed == 1)
    elif state == "skipped":
        query = query.where(per_phone.c.completed == 0, per_phone.c.skipped == 1)
    elif state == "not_completed":
        query = query.where(per_phone.c.completed == 0, per_phone.c.skipped == 0)
    if ordered == "yes":
        query = query.where(orders > 0)
    elif ordered == "no":
        query = query.where(orders == 0)
    return query.order_by(per_phone.c.last_at.desc(), per_phone.c.phone)


def report_rows(query, limit: int | None = None, offset: int = 0) -> list[dict]:
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = []
    for row in db.session.execute(query).mappings():
        state = "completed" if row["completed"] else "skipped" if row["skipped"] else "not_completed"
        rows.append({**row, "state": state})
    return rows


def report_count(query) -> int:
    return db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


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

