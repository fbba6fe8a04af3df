"""What a shop sent and paid, by Dhaka calendar day."""
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from backend.extensions import db
from backend.licensing.models import Site
from backend.money import to_poisha
from backend.sms.config import rate_for_plan
from backend.sms.models import Recharge, SmsMessage
from backend.sms.wallet import balance_of
from backend.clock import dhaka_date_sql, dhaka_midnight_utc

# --- history -----------------------------------------------------------------------------------

def dhaka_day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Calendar days in Asia/Dhaka, inclusive, as naive UTC bounds [from, to)."""
    return (dhaka_midnight_utc(start) if start else None, dhaka_midnight_utc(end + timedelta(days=1)) if end else None)


REVENUE_METHODS = ("bkash", "nagad", "manual")


def revenue_by_method(start: date, end: date) -> list[tuple[str, int, Decimal]]:
    """Completed recharges of every shop over Dhaka days start..end (inclusive), by how they were
    paid: bKash, Nagad, manual (approved requests and operators' own credits). Each method is
    listed, with 0 when nothing came that way: (method, recharges, amount)."""
    lower, upper = dhaka_day_bounds(start, end)
    found = {method: (count, total) for method, count, total in db.session.execute(
        select(Recharge.method, func.count(Recharge.id), func.sum(Recharge.amount))
        .where(Recharge.status == "completed", Recharge.completed_at >= lower, Recharge.completed_at < upper)
        .group_by(Recharge.method))}
    return [(method, *found.get(method, (0, Decimal("0")))) for method in REVENUE_METHODS]


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
