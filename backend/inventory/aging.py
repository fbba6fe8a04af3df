"""The aging report (I3): stock on hand by days since its last sale, the value tied up in each
bucket, slow movers first. On PostgreSQL the bucket totals are kept (triggers add deltas,
`fold_aging_totals` folds them); on SQLite they are summed from the items."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, select, text

from backend.database import in_list, on_postgresql
from backend.extensions import db
from backend.inventory.models import StockAgingDelta, StockItem
from backend.clock import dhaka_date_sql, dhaka_today, in_dhaka


AGING_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))
NEVER_SOLD = date(1, 1, 1)  


# --- aging (I3) ---------------------------------------------------------------------------

def _on_hand(site_id: int):
    # a variable product's own stock line is its variations' (when they manage it themselves)
    return and_(StockItem.site_id == site_id, StockItem.deleted_at.is_(None), StockItem.stock_quantity > 0,
                StockItem.type != "variable")


def bucket_of(days: int | None) -> str:
    """The aging bucket of stock last sold `days` days ago (None: never sold)."""
    for name, _low, high in AGING_BUCKETS:
        if days is not None and (high is None or days <= high):
            return name
    return AGING_BUCKETS[-1][0]


def days_since_sale(last_sold_at: datetime | None, today: date) -> int | None:
    """Whole (Dhaka) days since the last sale: 0 for today."""
    return None if last_sold_at is None else (today - in_dhaka(last_sold_at).date()).days


def aging_days(site_id: int) -> list[tuple[date | None, int, int, int]]:
    """(day of the last sale or None, items, units, value in poisha) of the stock on hand. On
    PostgreSQL the sums of the rows the stock_items triggers appended (migration 1030): one row
    per day with a last sale, where summing the items read every item on hand (~136 ms at 50,000
    in bench/inventory.py). Elsewhere (SQLite: development and tests) the grouped sum itself."""
    if on_postgresql():
        rows = db.session.execute(
            select(StockAgingDelta.sold_day, func.sum(StockAgingDelta.items), func.sum(StockAgingDelta.units),
                   func.sum(StockAgingDelta.value_poisha)).where(StockAgingDelta.site_id == site_id)
            .group_by(StockAgingDelta.sold_day).having(func.sum(StockAgingDelta.items) != 0)).all()
    else:
        day = dhaka_date_sql(StockItem.last_sold_at)
        unit_poisha = func.round(func.coalesce(StockItem.cost_price, StockItem.price, 0) * 100)
        rows = db.session.execute(
            select(day, func.count(), func.sum(StockItem.stock_quantity), func.sum(StockItem.stock_quantity * unit_poisha))
            .where(_on_hand(site_id)).group_by(day)).all()
    return [(None if sold_day in (None, NEVER_SOLD) else _as_date(sold_day), int(items), int(units or 0), int(value or 0))
            for sold_day, items, units, value in rows]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def fold_aging_totals() -> int:
    """The job: fold each shop's appended aging rows into one row per day, so the report reads
    a few rows. Rows appended while this runs are kept for the next run."""
    if not on_postgresql():
        return 0
    return int(db.session.execute(text("""
        WITH gone AS (DELETE FROM stock_aging_deltas RETURNING site_id, sold_day, items, units, value_poisha),
             kept AS (INSERT INTO stock_aging_deltas (site_id, sold_day, items, units, value_poisha)
                      SELECT site_id, sold_day, sum(items), sum(units), sum(value_poisha) FROM gone
                      GROUP BY site_id, sold_day HAVING sum(items) <> 0 OR sum(units) <> 0 OR sum(value_poisha) <> 0
                      RETURNING 1)
        SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)""")).scalar_one())


def aging(site_id: int, *, page: int = 1, per_page: int = 50) -> dict:
    """Stock on hand by days since its last sale (never sold: 90+), the value tied up in each
    bucket (cost price, else the price), and a page of the slowest movers, slowest first."""
    today = dhaka_today()
    totals = {name: {"bucket": name, "items": 0, "units": 0, "value": 0} for name, *_r in AGING_BUCKETS}
    days = aging_days(site_id)
    for sold_day, items, units, value in days:
        bucket = totals[bucket_of(None if sold_day is None else (today - sold_day).days)]
        bucket["items"] += items
        bucket["units"] += units
        bucket["value"] += value
    for bucket in totals.values():
        bucket["value"] = (Decimal(bucket["value"]) / 100).quantize(Decimal("0.01"))
    on_hand = sum(bucket["items"] for bucket in totals.values())
    never_sold = sum(items for day, items, _units, _value in days if day is None)
    page_items = slow_movers(site_id, per_page, (page - 1) * per_page, never_sold=never_sold)
    return {"buckets": list(totals.values()), "page": page, "per_page": per_page, "total": on_hand,
            "pages": -(-on_hand // per_page), "slow_movers": [aging_row(item, today) for item in page_items]}


def slow_movers(site_id: int, limit: int, offset: int = 0, *, never_sold: int | None = None) -> list[StockItem]:
    """Never sold first, then by last sale, oldest first (two index walks: NULLs sort apart). The
    page's ids are found inside ix_stock_items_on_hand (PostgreSQL), however deep the page, then
    only those rows are read; `never_sold`, the items on hand never sold, spares counting them."""
    if never_sold is None:
        never_sold = db.session.execute(select(func.count()).where(
            _on_hand(site_id), StockItem.last_sold_at.is_(None))).scalar_one()
    ids = []
    if offset < never_sold:
        ids = db.session.execute(select(StockItem.id).where(_on_hand(site_id), StockItem.last_sold_at.is_(None))
                                 .order_by(StockItem.id).offset(offset).limit(limit)).scalars().all()
    if len(ids) < limit:
        ids += db.session.execute(select(StockItem.id).where(_on_hand(site_id), StockItem.last_sold_at.is_not(None))
                                  .order_by(StockItem.last_sold_at, StockItem.id).offset(max(0, offset - never_sold))
                                  .limit(limit - len(ids))).scalars().all()
    found = {item.id: item for item in db.session.execute(select(StockItem).where(in_list(StockItem.id, ids))).scalars()} if ids else {}
    return [found[i] for i in ids if i in found]


def aging_row(item: StockItem, today: date) -> dict:
    days = days_since_sale(item.last_sold_at, today)
    unit = item.cost_price if item.cost_price is not None else (item.price or Decimal("0"))
    return {"item": item, "days": days, "bucket": bucket_of(days), "value": (unit * item.stock_quantity).quantize(Decimal("0.01"))}


def iter_aging_rows(site_id: int, chunk: int = 1000):
    """Every item on hand, slowest first, for the CSV export (read in chunks)."""
    today, offset = dhaka_today(), 0
    never_sold = sum(items for day, items, _units, _value in aging_days(site_id) if day is None)
    while True:
        items = slow_movers(site_id, chunk, offset, never_sold=never_sold)
        for item in items:
            yield aging_row(item, today)
        if len(items) < chunk:
            return
        offset += chunk
