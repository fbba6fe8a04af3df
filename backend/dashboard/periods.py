"""The dashboard's periods and the reads every widget shares: a range of Dhaka calendar days
(inclusive) with the period it is compared with, the buckets a chart groups days into, and the
WHERE clauses that read a rollup's rows for a period and its comparison in one query."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, text, type_coerce

from backend.database import on_postgresql
from backend.extensions import db
from backend.money import Money

# what a period is compared with: the days just before it, or the same dates a year earlier
COMPARISONS = ("previous", "year")


def year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    compare: str = "previous"  # COMPARISONS

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> "Period":
        if self.compare == "year":
            return Period(year_earlier(self.start), year_earlier(self.end))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def serial_reads() -> None:
    """No parallel workers for the rest of this transaction (PostgreSQL). A widget reads a few
    thousand rollup rows, yet the planner sent a year's top products to two workers whose
    start-up on a busy 2-core server took 25-45 ms of a 30-50 ms query (EXPLAIN ANALYZE at
    1,000,000 orders); the same query alone runs in under 10 ms."""
    if on_postgresql():
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def money_sum(column):
    # SUM of whole ten-thousandths, read back through Money: exact on SQLite and PostgreSQL
    return type_coerce(func.coalesce(func.sum(column), 0), Money)


def rows_between(model, site_id, start, end):
    return and_(model.site_id == site_id, model.day >= start, model.day <= end)


def rows_in_both(model, site_id, period):
    """The period and its comparison period. Rows are read from the comparison's start to the
    period's end and told apart by `day >= period.start` (`split_rows`, `is_in_period`), so the days
    between the two, when they do not meet (a year earlier), are left out here."""
    previous = period.previous
    where = rows_between(model, site_id, previous.start, period.end)
    if previous.end + timedelta(days=1) < period.start:
        where = and_(where, or_(model.day <= previous.end, model.day >= period.start))
    return where


def is_in_period(model, period):
    # grouped by its label, so PostgreSQL sees one expression (two bound copies would differ)
    return (model.day >= period.start).label("in_period")


def bucket_of(day: date, group: str) -> date:
    if group == "month":
        return day.replace(day=1)
    if group == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday (ISO)
    return day


def auto_group(period: Period) -> str:
    return "day" if period.days <= 62 else "week" if period.days <= 190 else "month"


def chart_buckets(period: Period, group: str) -> list[date]:
    seen, day = [], period.start
    while day <= period.end:
        bucket = bucket_of(day, group)
        if not seen or seen[-1] != bucket:
            seen.append(bucket)
        day += timedelta(days=1)
    return seen


def split_rows(rows, period: Period):
    """Rows with a .day → (rows in period, rows in the previous period)."""
    current, previous = [], []
    for row in rows:
        (current if row.day >= period.start else previous).append(row)
    return current, previous


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))
