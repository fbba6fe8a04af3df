"""What people read: the shopper's page (reasons and opt-out), the shop's list and chart, the alert
and the plugin's part of the checkout settings.
"""
import json
import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.abandoned.models import AbandonedCheckout, AbandonedOptOut, AbandonedSettings
from backend.abandoned.settings import REASONS, capture_enabled, clean_text, invalid, reminder_price
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms import service as sms
from backend.clock import utcnow


def by_token(token: str) -> AbandonedCheckout | None:
    if not token or len(token) > 32:
        return None
    return db.session.execute(select(AbandonedCheckout).where(AbandonedCheckout.reason_token == token)).scalar_one_or_none()


def record_reason(row: AbandonedCheckout, reason: str, text: str | None) -> None:
    if reason not in REASONS:
        raise invalid("reason", f"One of: {', '.join(REASONS)}.")
    row.reason = reason
    row.reason_text = clean_text(text, 300) if reason == "other" else None
    row.reason_at = utcnow()
    db.session.flush()


def opt_out(row: AbandonedCheckout) -> None:
    """"Stop messages": this checkout and every later one of this phone get no reminder."""
    row.opted_out = True
    try:
        with db.session.begin_nested():
            db.session.add(AbandonedOptOut(site_id=row.site_id, phone=row.phone))
    except IntegrityError:
        pass  # said so before
    db.session.flush()


# --- the list and the chart ---------------------------------------------------------------------

LISTED = ("abandoned", "reminded", "recovered", "lost")  # what the list shows unless asked


def list_query(site_id: int, *, status: str | None = None, start: datetime | None = None, end: datetime | None = None,
               phone: str | None = None):
    conditions = [AbandonedCheckout.site_id == site_id]
    conditions.append(AbandonedCheckout.status == status if status else AbandonedCheckout.status.in_(LISTED))
    if start is not None:
        conditions.append(AbandonedCheckout.created_at >= start)
    if end is not None:
        conditions.append(AbandonedCheckout.created_at < end)
    if phone:
        digits = re.sub(r"\D", "", phone.translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789"))).removeprefix("88")
        if digits:
            conditions.append(AbandonedCheckout.phone.contains(digits.lstrip("0") or digits, autoescape=True))
    return select(AbandonedCheckout).where(*conditions).order_by(AbandonedCheckout.created_at.desc(), AbandonedCheckout.id.desc())


def cart_of(row: AbandonedCheckout) -> list[dict]:
    try:
        return json.loads(row.cart or "[]")
    except ValueError:
        return []


def summary(site_id: int, start: datetime | None = None, end: datetime | None = None) -> dict:
    """Counts and values per status, and the reasons given, for the page's figures and chart."""
    conditions = [AbandonedCheckout.site_id == site_id, AbandonedCheckout.status.in_(LISTED)]
    if start is not None:
        conditions.append(AbandonedCheckout.created_at >= start)
    if end is not None:
        conditions.append(AbandonedCheckout.created_at < end)
    by_status = {status: {"count": count, "value": value or Decimal("0")} for status, count, value in db.session.execute(
        select(AbandonedCheckout.status, func.count(AbandonedCheckout.id), func.sum(AbandonedCheckout.value))
        .where(*conditions).group_by(AbandonedCheckout.status))}
    reasons = dict(db.session.execute(
        select(AbandonedCheckout.reason, func.count(AbandonedCheckout.id))
        .where(*conditions, AbandonedCheckout.reason.is_not(None)).group_by(AbandonedCheckout.reason)).all())
    others = db.session.execute(
        select(AbandonedCheckout.reason_text).where(*conditions, AbandonedCheckout.reason == "other",
                                                    AbandonedCheckout.reason_text.is_not(None))
        .order_by(AbandonedCheckout.reason_at.desc()).limit(10)).scalars().all()
    return {"by_status": by_status, "reasons": {reason: reasons.get(reason, 0) for reason in REASONS}, "other_texts": others}


def reminders_alert(site: Site) -> dict | None:
    """S8: reminders are on but the wallet cannot pay for one."""
    settings = db.session.get(AbandonedSettings, site.id)
    if settings is None or not settings.reminders_enabled:
        return None
    if sms.balance_of(site.id) >= reminder_price(site, settings):
        return None
    return {"balance": sms.balance_of(site.id)}


def plugin_config(site: Site) -> dict:
    """What the plugin's checkout copy holds for capture."""
    return {"capture": capture_enabled(site)}
