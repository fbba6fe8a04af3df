"""The delivery report (C7): what became of the parcels booked in a range of days, by courier.

A parcel counts on the Dhaka day it was booked. Groups:
- delivered, partially delivered, returned/cancelled: the final outcomes;
- in transit: everything not final yet, including `*_approval_pending` (also counted apart as
  "awaiting approval", since the courier has not confirmed those);
- delivery ratio: (delivered + partial) / parcels that reached a final outcome — parcels
  still moving do not count for or against it.
COD expected is what was booked to collect; COD collected is what couriers confirmed
(a delivery collects its COD; a partial delivery only once its amount is reported).
"""
import io
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from backend import csvfile
from backend.couriers.models import Consignment
from backend.extensions import db
from backend.integrations.couriers.base import (
    APPROVAL_PENDING_STATUSES, CANCELLED, DELIVERED, PARTIAL_DELIVERED, RETURNED,
)
from backend.clock import dhaka_date_sql, dhaka_midnight_utc

GROUPS = ("delivered", "partial_delivered", "returned_cancelled", "in_transit")


def group_of(status: str) -> str:
    if status == DELIVERED:
        return "delivered"
    if status == PARTIAL_DELIVERED:
        return "partial_delivered"
    if status in (CANCELLED, RETURNED):
        return "returned_cancelled"
    return "in_transit"


def _empty() -> dict:
    return {"booked": 0, "delivered": 0, "partial_delivered": 0, "returned_cancelled": 0, "in_transit": 0,
            "awaiting_approval": 0, "delivery_ratio": None, "cod_expected": Decimal("0"), "cod_collected": Decimal("0"),
            "partial_amount_unknown": 0}


def _add(totals: dict, status: str, count: int, cod: Decimal, collected: Decimal, known: int) -> None:
    totals["booked"] += count
    totals[group_of(status)] += count
    if status in APPROVAL_PENDING_STATUSES:
        totals["awaiting_approval"] += count
    totals["cod_expected"] += cod
    totals["cod_collected"] += collected
    if status == PARTIAL_DELIVERED:
        totals["partial_amount_unknown"] += count - known


def _finish(totals: dict) -> dict:
    good = totals["delivered"] + totals["partial_delivered"]
    ended = good + totals["returned_cancelled"]
    totals["delivery_ratio"] = round(good / ended, 4) if ended else None
    return totals


def delivery_report(site_id: int, start: date, end: date, courier: str | None = None) -> dict:
    lower, upper = dhaka_midnight_utc(start), dhaka_midnight_utc(end + timedelta(days=1))
    day = dhaka_date_sql(Consignment.booked_at).label("day")
    conditions = [Consignment.site_id == site_id, Consignment.booked_at >= lower, Consignment.booked_at < upper]
    if courier:
        conditions.append(Consignment.courier == courier)
    rows = db.session.execute(
        select(day, Consignment.courier, Consignment.status, func.count(Consignment.id), func.sum(Consignment.cod_amount),
               func.sum(Consignment.collected_amount), func.count(Consignment.collected_amount))
        .where(*conditions).group_by(day, Consignment.courier, Consignment.status)
    ).all()
    days = [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    series = {name: [0] * len(days) for name in ("booked", *GROUPS)}
    totals, by_courier, by_day_courier = _empty(), {}, {}
    for row_day, row_courier, status, count, cod, collected, known in rows:
        cod, collected = cod or Decimal("0"), collected or Decimal("0")
        _add(totals, status, count, cod, collected, known)
        _add(by_courier.setdefault(row_courier, _empty()), status, count, cod, collected, known)
        _add(by_day_courier.setdefault((str(row_day), row_courier), _empty()), status, count, cod, collected, known)
        i = index[str(row_day)]
        series["booked"][i] += count
        series[group_of(status)][i] += count
    return {
        "start_date": start, "end_date": end, "courier": courier,
        "totals": _finish(totals),
        "by_courier": {key: _finish(value) for key, value in sorted(by_courier.items())},
        "by_day_courier": {key: _finish(value) for key, value in sorted(by_day_courier.items())},
        "days": days, "series": series,
    }


def report_csv(report: dict) -> str:
    """One row per day and courier, then a total row: opens in Excel or Google Sheets."""
    out = io.StringIO()
    writer = csvfile.writer(out)  # the courier filter and names are text: formula-safe cells
    writer.writerow([_("Date"), _("Courier"), _("Booked"), _("Delivered"), _("Partly delivered"), _("Returned or cancelled"),
                     _("In transit"), _("Awaiting approval"), _("Delivery ratio"), _("COD expected (৳)"),
                     _("COD collected (৳)")])

    def line(first, second, t):
        ratio = "" if t["delivery_ratio"] is None else f"{t['delivery_ratio']:.4f}"
        writer.writerow([first, second, t["booked"], t["delivered"], t["partial_delivered"], t["returned_cancelled"],
                         t["in_transit"], t["awaiting_approval"], ratio, f"{t['cod_expected'].quantize(Decimal('0.01')):f}",
                         f"{t['cod_collected'].quantize(Decimal('0.01')):f}"])

    for (day, courier), totals in report["by_day_courier"].items():
        line(day, courier, totals)
    line(_("Total"), report["courier"] or _("All couriers"), report["totals"])
    return out.getvalue()
