"""Ad spend per campaign (D11): entered by hand or imported from Meta Ads Manager's export,
and its share in a widget's date range (spread evenly over the campaign's reporting days).

Meta's export (Ads Manager → Reports → Export table data, CSV) has a header row with
"Campaign name", "Amount spent (BDT)" (the currency in brackets is the ad account's),
"Reporting starts" and "Reporting ends" (YYYY-MM-DD); other columns are ignored. A row the
import cannot read is reported with its line number and skipped; the good rows are kept.
Importing the same campaign and range again replaces its amount (a re-export does not double).
"""
import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from backend.dashboard.models import AdSpend
from backend.extensions import db

MAX_ROWS = 2000
MAX_AMOUNT = Decimal("100000000")
MAX_LISTED = 500
NETWORKS = ("facebook", "google", "tiktok", "other")
AMOUNT_COLUMN = re.compile(r"^amount spent(\s*\(([A-Z]{3})\))?$", re.IGNORECASE)


class BadSpend(ValueError):
    """The message says what is wrong with the entry, in words."""


def parse_amount(raw) -> Decimal:
    try:
        amount = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise BadSpend(_("Enter the amount in taka, like 1500.50.")) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise BadSpend(_("Enter the amount in taka, like 1500.50."))
    return amount.quantize(Decimal("0.01"))


def parse_day(raw) -> date:
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise BadSpend(_("Dates are written like 2026-12-01.")) from None


def check(campaign: str, start: date, end: date, network: str = "facebook") -> tuple[str, str]:
    campaign = (campaign or "").strip()
    if not campaign or len(campaign) > 200:
        raise BadSpend(_("Name the campaign (at most 200 characters)."))
    if end < start:
        raise BadSpend(_("The range ends before it starts."))
    if (end - start).days > 366:
        raise BadSpend(_("A range is at most a year."))
    if network not in NETWORKS:
        raise BadSpend(_("Choose the ad network."))
    return campaign, network


def add_spend(site_id: int, *, campaign: str, start: date, end: date, amount: Decimal, by: str,
              network: str = "facebook", source: str = "manual") -> AdSpend:
    campaign, network = check(campaign, start, end, network)
    row = db.session.execute(select(AdSpend).where(
        AdSpend.site_id == site_id, AdSpend.network == network, AdSpend.campaign == campaign,
        AdSpend.start_day == start, AdSpend.end_day == end)).scalar_one_or_none()
    if row is None:
        row = AdSpend(site_id=site_id, network=network, campaign=campaign, start_day=start, end_day=end)
        db.session.add(row)
    row.amount, row.source, row.created_by = amount, source, by[:100]
    db.session.flush()
    return row


def get_spend(site_id: int, spend_id: int) -> AdSpend | None:
    return db.session.execute(select(AdSpend).where(AdSpend.site_id == site_id, AdSpend.id == spend_id)).scalar_one_or_none()


def delete_spend(row: AdSpend) -> None:
    db.session.delete(row)
    db.session.flush()


def list_spend(site_id: int, start: date, end: date) -> list[AdSpend]:
    return db.session.execute(select(AdSpend).where(AdSpend.site_id == site_id, AdSpend.end_day >= start,
                                                    AdSpend.start_day <= end)
                              .order_by(AdSpend.start_day.desc(), AdSpend.id.desc()).limit(MAX_LISTED)).scalars().all()


def spend_json(row: AdSpend) -> dict:
    return {"id": row.id, "network": row.network, "campaign": row.campaign, "start": row.start_day.isoformat(),
            "end": row.end_day.isoformat(), "amount": row.amount, "source": row.source}


def import_csv(site_id: int, text: str, by: str) -> dict:
    """Meta Ads Manager's export: {"imported": n, "errors": [{"line", "message"}], "currency"}."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return {"imported": 0, "errors": [{"line": 1, "message": _("The file is empty.")}], "currency": None}
    names = [h.strip().lower() for h in header]
    currency = None
    columns = {}
    for index, name in enumerate(names):
        match = AMOUNT_COLUMN.match(name)
        if match:
            columns["amount"], currency = index, (match.group(2) or "").upper() or None
        elif name in ("campaign name", "campaign"):
            columns["campaign"] = index
        elif name in ("reporting starts", "reporting start"):
            columns["start"] = index
        elif name in ("reporting ends", "reporting end"):
            columns["end"] = index
    missing = [label for key, label in (("campaign", "Campaign name"), ("amount", "Amount spent (BDT)"),
                                        ("start", "Reporting starts"), ("end", "Reporting ends")) if key not in columns]
    if missing:
        return {"imported": 0, "currency": currency, "errors": [{"line": 1, "message": _(
            "This is not Meta's ad export: the columns %(names)s are missing.", names=", ".join(missing))}]}
    if currency and currency != "BDT":
        return {"imported": 0, "currency": currency, "errors": [{"line": 1, "message": _(
            "The amounts are in %(currency)s; export the report in BDT (the ad account's currency).", currency=currency)}]}
    imported, errors = 0, []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            errors.append({"line": line, "message": _("At most %(n)s rows at a time; the rest were not read.", n=MAX_ROWS)})
            break
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) <= max(columns.values()):
                raise BadSpend(_("The row has fewer columns than the header."))
            campaign = row[columns["campaign"]]
            amount_raw = row[columns["amount"]].strip()
            amount = parse_amount(amount_raw or "0")
            start, end = parse_day(row[columns["start"]]), parse_day(row[columns["end"]])
            if amount == 0:
                continue  # Meta lists campaigns that did not spend in the range
            add_spend(site_id, campaign=campaign, start=start, end=end, amount=amount, by=by, source="csv")
            imported += 1
        except BadSpend as error:
            errors.append({"line": line, "message": str(error)})
    return {"imported": imported, "errors": errors[:100], "currency": currency or "BDT"}


def _overlapping(site_id: int, start: date, end: date):
    # columns, not entities: a year of weekly campaign rows is hundreds of them
    return db.session.execute(select(AdSpend.campaign, AdSpend.start_day, AdSpend.end_day, AdSpend.amount)
                              .where(AdSpend.site_id == site_id, AdSpend.end_day >= start, AdSpend.start_day <= end)).all()


def _share(row, start: date, end: date) -> Decimal:
    """The row's spend over its days inside [start, end] (it counts evenly per day)."""
    days = (row.end_day - row.start_day).days + 1
    overlap = (min(row.end_day, end) - max(row.start_day, start)).days + 1
    return (row.amount * overlap / days).quantize(Decimal("0.01"))


def spend_in(site_id: int, start: date, end: date) -> dict[str, Decimal]:
    """Campaign name (lower-cased) -> its spend's share in [start, end]."""
    out: dict[str, Decimal] = {}
    for row in _overlapping(site_id, start, end):
        key = row.campaign.strip().lower()
        out[key] = out.get(key, Decimal("0")) + _share(row, start, end)
    return out


def spend_and_days(site_id: int, ranges: list[tuple[date, date]]) -> list[tuple[Decimal, set[int]]]:
    """For each (start, end): the campaigns' spend in it and the days some campaign spent on, as
    date ordinals (the days whose ad costs entered by hand the profit widget leaves out). One
    query for all the ranges."""
    rows = _overlapping(site_id, min(r[0] for r in ranges), max(r[1] for r in ranges))
    out = []
    for start, end in ranges:
        spend, days = Decimal("0.00"), set()
        for row in rows:
            first, last = max(row.start_day, start), min(row.end_day, end)
            if first > last or not row.amount:
                continue
            spend += _share(row, start, end)
            days.update(range(first.toordinal(), last.toordinal() + 1))
        out.append((spend, days))
    return out
