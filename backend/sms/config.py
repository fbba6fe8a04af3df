"""SMS settings, prices and the gateway; the rules a shop's SMS option (checkout codes,
reminders) must keep."""
import functools
import json
import re
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from backend.activity import service as activity
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.payments import PaymentError, get_payment_gateway
from backend.integrations.sms import SmsGatewayError, get_sms_gateway
from backend.licensing.models import Site
from backend.money import taka
from backend.security import decrypt_secret, encrypt_secret
from backend.sms.encoding import measure
from backend.sms.models import PaymentGatewaySetting, SmsRate, SmsSettings
from backend.sms.wallet import balance_of

DEFAULT_PLAN = "*"
MAX_SHOP_TEXT_SEGMENTS = 2  # a shop's own texts (OTP, reminders): each send costs at most this many SMS


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


# --- online payment gateways set in the console (Nagad) --------------------------------------

def payment_gateway_settings(key: str) -> tuple[bool, dict]:
    """Whether the gateway is switched on, and its settings (decrypted)."""
    row = db.session.execute(select(PaymentGatewaySetting).where(PaymentGatewaySetting.key == key)).scalar_one_or_none()
    if row is None:
        return False, {}
    return row.enabled, json.loads(decrypt_secret(row.settings_enc) or "{}")


def configure_payment_gateway(key: str, settings: dict, *, enabled: bool, by: str) -> None:
    """Store a payment gateway's settings, encrypted. Switching it on needs settings its adapter
    accepts (keys that parse, a merchant id, an http(s) address); ValueError says what is wrong.
    Nothing asks the gateway itself: no request waits on Nagad."""
    if enabled:
        try:
            get_payment_gateway(key, settings)
        except PaymentError as error:
            raise ValueError(error.message) from None
    row = db.session.execute(select(PaymentGatewaySetting).where(PaymentGatewaySetting.key == key)).scalar_one_or_none()
    if row is None:
        row = PaymentGatewaySetting(key=key)
        db.session.add(row)
    row.enabled, row.settings_enc, row.updated_by = enabled, encrypt_secret(json.dumps(settings)), by[:254]
    db.session.flush()


def configured_payment_gateway(key: str):
    """The adapter of a switched-on gateway, or None (off, or never set)."""
    row = db.session.execute(select(PaymentGatewaySetting).where(PaymentGatewaySetting.key == key)).scalar_one_or_none()
    if row is None or not row.enabled:
        return None
    return _payment_gateway(key, row.settings_enc)


@functools.lru_cache(maxsize=8)
def _payment_gateway(key: str, settings_enc: str | None):
    """One adapter per stored configuration and process: decrypting and parsing the RSA keys on
    every call is work a recharge need not redo; changed settings are a new cache key."""
    return get_payment_gateway(key, json.loads(decrypt_secret(settings_enc) or "{}"))


@dataclass(frozen=True)
class Quote:
    characters: int
    encoding: str
    segments: int
    cost: Decimal
    gateway_cost: Decimal


def quote(site: Site, content: str, rate: SmsRate | None = None) -> Quote:
    """The price of `content`; `rate` (the site's plan's, `rate_for_plan`) when the caller prices
    many texts at once (a batch of status messages, each its own text: one lookup, not thousands)."""
    size = measure(content)
    rate = rate or rate_for_plan(site.license.plan)
    unicode = size.is_unicode
    cost = (rate.unicode_rate if unicode else rate.gsm_rate) * size.segments
    gateway_cost = (rate.unicode_cost if unicode else rate.gsm_cost) * size.segments
    return Quote(len(content), size.encoding, size.segments, cost, gateway_cost)


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
    before = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, ((value or "").strip() or None) if name in text_fields else value)
    settings.updated_by = by[:120]
    db.session.flush()
    after = {name: getattr(settings, name) for name in values}
    changed = [name for name in values if before[name] != after[name]]
    if changed:
        activity.record(site.id, "settings", settings.__tablename__, {n: before[n] for n in changed}, {n: after[n] for n in changed})
