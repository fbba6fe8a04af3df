"""D12 cost and cash management: the shop's costs, profit (sales − costs) and cash on delivery.

Profit uses the sales widget's definition of sales (D1: orders that count as sales, total −
refunds, on the Dhaka day the order was placed) and the costs entered for the same days.

Cash follows the parcels booked in the range (Dhaka day of booking, as the delivery report C7):
the COD they were booked to collect, what couriers say they collected on delivery, what is
still on the way, and what returned or cancelled parcels will never bring. Bikri does not
read courier payouts (no courier API it uses reports them), so collected cash is shown as
"delivered, awaiting payout" and the widget says so instead of claiming money was received.
"""
from decimal import Decimal

from sqlalchemy import func, select

from backend.activity import service as activity
from backend.couriers.report import group_of
from backend.dashboard.models import COST_CATEGORIES, Cost, DayParcels
from backend.dashboard.service import ZERO, Period, _in_both, _in_period, _money_sum, _split, _status_days, _totals
from backend.extensions import db
from backend.timeutil import utcnow

MAX_LISTED = 500  # costs listed for a range; a shop enters a few a day


# --- costs -----------------------------------------------------------------------------------

def list_costs(site_id: int, period: Period) -> list[Cost]:
    return db.session.execute(
        select(Cost).where(Cost.site_id == site_id, Cost.day >= period.start, Cost.day <= period.end)
        .order_by(Cost.day.desc(), Cost.id.desc()).limit(MAX_LISTED)).scalars().all()


def get_cost(site_id: int, cost_id: int) -> Cost | None:
    return db.session.execute(select(Cost).where(Cost.site_id == site_id, Cost.id == cost_id)).scalar_one_or_none()


def save_cost(site_id: int, values: dict, by: str, cost: Cost | None = None) -> Cost:
    before = None if cost is None else _logged(cost)
    if cost is None:
        cost = Cost(site_id=site_id, created_by=by[:100])
        db.session.add(cost)
    cost.day, cost.category, cost.amount = values["day"], values["category"], values["amount"]
    cost.note = (values.get("note") or "").strip()[:500]
    cost.updated_at = utcnow()
    db.session.flush()
    activity.record(site_id, "cost", f"{cost.category} {cost.day.isoformat()}", before, _logged(cost))
    return cost


def delete_cost(cost: Cost) -> None:
    activity.record(cost.site_id, "cost", f"{cost.category} {cost.day.isoformat()}", _logged(cost), None)
    db.session.delete(cost)
    db.session.flush()


def _logged(cost: Cost) -> dict:
    return {"id": cost.id, "day": cost.day, "category": cost.category, "amount": f"{Decimal(cost.amount):.2f}",
            "note": cost.note}


def cost_json(cost: Cost) -> dict:
    return {"id": cost.id, "day": cost.day.isoformat(), "category": cost.category, "amount": cost.amount,
            "note": cost.note, "created_by": cost.created_by}


# --- profit ----------------------------------------------------------------------------------

def profit(site_id: int, period: Period) -> dict:
    """Sales (as D1) minus costs, by category, for the range and the previous period."""
    current, previous = _split(_status_days(site_id, period), period)
    in_period = (Cost.day >= period.start).label("in_period")
    spent = {(bool(now), category): amount for now, category, amount in db.session.execute(
        select(in_period, Cost.category, func.sum(Cost.amount))
        .where(_in_both(Cost, site_id, period))
        .group_by(in_period, Cost.category)).all()}
    out = {"categories": list(COST_CATEGORIES)}
    for name, now, rows in (("current", True, current), ("previous", False, previous)):
        costs = {category: spent.get((now, category)) or ZERO for category in COST_CATEGORIES}
        revenue = _totals(rows)["revenue"]
        total = sum(costs.values(), ZERO)
        out[name] = {"revenue": revenue, "costs": costs, "total_costs": total, "profit": revenue - total}
    return out


# --- cash ------------------------------------------------------------------------------------

def cash(site_id: int, period: Period) -> dict:
    """Cash on delivery of the parcels booked in the range (and the previous period), from the
    daily parcel rollup: a year is a few thousand rows, whatever the number of parcels."""
    in_period = _in_period(DayParcels, period)
    rows = db.session.execute(
        select(in_period, DayParcels.status, func.sum(DayParcels.parcels), _money_sum(DayParcels.cod),
               _money_sum(DayParcels.collected), func.sum(DayParcels.collected_known))
        .where(_in_both(DayParcels, site_id, period))
        .group_by(in_period, DayParcels.status)).all()
    out = {"payouts_known": False}
    for name in ("current", "previous"):
        out[name] = {"parcels": 0, "delivered": 0, "in_transit": 0, "returned_cancelled": 0, "partial_amount_unknown": 0,
                     "cod_booked": ZERO, "cod_expected": ZERO, "cod_collected": ZERO, "cod_pending": ZERO,
                     "cod_lost": ZERO}
    for now, status, count, cod, collected, known in rows:
        totals, group = out["current" if now else "previous"], group_of(status)
        totals["parcels"] += count
        totals["cod_booked"] += cod
        if group == "returned_cancelled":
            totals["returned_cancelled"] += count
            totals["cod_lost"] += cod
            continue
        totals["cod_expected"] += cod
        if group == "in_transit":
            totals["in_transit"] += count
            totals["cod_pending"] += cod
        else:  # delivered or partly delivered: the courier holds the cash until its payout
            totals["delivered"] += count
            totals["cod_collected"] += collected
            if group == "partial_delivered":
                totals["partial_amount_unknown"] += count - known
    return out
