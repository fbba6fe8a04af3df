"""Shoppers who want no more status SMS from a shop: a signed link in the SMS (no login, no
lookup table: the token carries the shop and the phone under the service's key) and STOP
replies through the gateway. Campaigns and reminders honour the same list."""
import base64
import hashlib
import hmac

from flask import current_app
from sqlalchemy import select

from backend.database import upsert_insert
from backend.extensions import db
from backend.notifications.models import NotificationSend, OptOut
from backend.phones import InvalidPhone, normalise_phone
from backend.clock import utcnow


def _signature(payload: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"bikri-opt-out:" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()  # 72 bits: unguessable, short enough for an SMS


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def opt_out_token(site_id: int, phone: str) -> str:
    """`<site>.<phone>.<signature>`, base 36: about 30 characters."""
    payload = f"{_b36(site_id)}.{_b36(int(phone.lstrip('+')))}"
    return f"{payload}.{_signature(payload)}"


def read_opt_out_token(token: str) -> tuple[int, str] | None:
    try:
        site_part, phone_part, signature = token.split(".")
        payload = f"{site_part}.{phone_part}"
        if not hmac.compare_digest(signature, _signature(payload)):
            return None
        return int(site_part, 36), "+" + str(int(phone_part, 36))
    except (ValueError, AttributeError):
        return None


def opt_out(site_id: int, phone: str, source: str) -> bool:
    """Record that `phone` wants no more status SMS from the shop. True when newly recorded."""
    inserted = db.session.execute(
        upsert_insert(OptOut).values(site_id=site_id, phone=phone, source=source, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["site_id", "phone"]).returning(OptOut.id)).scalar_one_or_none()
    return inserted is not None


def is_opted_out(site_id: int, phone: str) -> bool:
    return db.session.execute(select(OptOut.id).where(OptOut.site_id == site_id, OptOut.phone == phone)).first() is not None


STOP_WORDS = frozenset({"stop", "stop all", "unsubscribe", "বন্ধ", "স্টপ"})


def inbound_reply(phone_raw: str, text: str, site_id: int | None = None) -> list[int]:
    """A reply to one of our SMS (the gateway's MO callback). STOP opts the phone out of the
    shop whose message it answers (`site_id` when the gateway tells us), else of every shop
    whose status messages reached it. Returns the shops it was recorded for."""
    if (text or "").strip().lower().rstrip(".!") not in STOP_WORDS:
        return []
    try:
        phone = normalise_phone(phone_raw)
    except InvalidPhone:
        return []
    if site_id is not None:
        sites = [site_id]
    else:
        sites = db.session.execute(select(NotificationSend.site_id).distinct().where(
            NotificationSend.phone == phone, NotificationSend.channel == "sms")).scalars().all()
    for site in sites:
        opt_out(site, phone, "stop")
    return list(sites)
