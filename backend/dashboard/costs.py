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

from sqlalchemy import case, func, select

from backend.activity import service as activity
from backend.couriers.report import group_of
from backend.dashboard import adspend
from backend.dashboard.models import COST_CATEGORIES, Cost, DayParcels
from backend.dashboard.marketing import roas
from backend.dashboard.periods import Period, is_in_period, money_sum, rows_in_both, split_rows
from backend.dashboard.service import ZERO, sales_totals, status_days
from backend.extensions import db
from backend.clock import utcnow

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

# where the profit widget's ad spend came from (AD_SOURCES[(campaign days?, entered days?)])
AD_SOURCES = {(True, False): "campaigns", (False, True): "entered", (True, True): "both", (False, False): "none"}


def profit(site_id: int, period: Period) -> dict:
    """Sales (as D1) minus costs, by category, for the range and the previous period, and the
    return on ad spend: sales ÷ ad spend and delivered sales ÷ ad spend.

    Ad spend is counted once. The campaigns' spend (D11: entered per campaign or imported from
    Meta's export) is the shop's record of what the ads cost; ad costs entered by hand in the
    "ads" category count only on days no campaign spent on — on the other days they would be
    the same money twice. The answer says which source it used and what it left out."""
    current, previous = split_rows(status_days(site_id, period), period)
    in_period = (Cost.day >= period.start).label("in_period")
    ads_day = case((Cost.category == "ads", Cost.day)).label("ads_day")  # ad costs by day, the rest by category
    spent, entered_ads = {}, []
    for now, category, day, amount in db.session.execute(
            select(in_period, Cost.category, ads_day, func.sum(Cost.amount))
            .where(rows_in_both(Cost, site_id, period)).group_by(in_period, Cost.category, ads_day)).all():
        if day is None:
            spent[(bool(now), category)] = amount
        else:
            entered_ads.append((day, amount))
    campaigns = adspend.spend_and_days(site_id, [(period.start, period.end), (period.previous.start, period.previous.end)])
    out = {"categories": list(COST_CATEGORIES)}
    for name, now, rows, (campaign_spend, campaign_days) in (("current", True, current, campaigns[0]),
                                                            ("previous", False, previous, campaigns[1])):
        entered = left_out = ZERO
        for day, amount in entered_ads:
            if (day >= period.start) != now:
                continue
            if day.toordinal() in campaign_days:
                left_out += amount
            else:
                entered += amount
        costs = {category: spent.get((now, category)) or ZERO for category in COST_CATEGORIES}
        costs["ads"] = campaign_spend + entered
        totals = sales_totals(rows)
        delivered = sum((row.delivered_revenue for row in rows), ZERO)
        total = sum(costs.values(), ZERO)
        out[name] = {"revenue": totals["revenue"], "delivered_revenue": delivered, "costs": costs, "total_costs": total,
                     "profit": totals["revenue"] - total,
                     "ad_spend": {"source": AD_SOURCES[(bool(campaign_spend), bool(entered))],
                                  "campaigns": campaign_spend, "entered": entered, "entered_left_out": left_out},
                     "roas": roas(totals["revenue"], costs["ads"]), "delivered_roas": roas(delivered, costs["ads"])}
    return out


# --- cash ------------------------------------------------------------------------------------

def cash(site_id: int, period: Period) -> dict:
    """Cash on delivery of the parcels booked in the range (and the previous period), from the
    daily parcel rollup: a year is a few thousand rows, whatever the number of parcels."""
    in_period = is_in_period(DayParcels, period)
    rows = db.session.execute(
        select(in_period, DayParcels.status, func.sum(DayParcels.parcels), money_sum(DayParcels.cod),
               money_sum(DayParcels.collected), func.sum(DayParcels.collected_known))
        .where(rows_in_both(DayParcels, site_id, period))
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
