"""Times are stored in UTC without tzinfo (SQLite keeps none); these helpers keep that one rule."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column

from backend.extensions import db

DHAKA = ZoneInfo("Asia/Dhaka")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


def in_dhaka(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).astimezone(DHAKA)


def dhaka_midnight_utc(day: date) -> datetime:
    """The start of a calendar day in Dhaka, as a naive UTC datetime (18:00 the day before)."""
    return datetime.combine(day, time.min, tzinfo=DHAKA).astimezone(timezone.utc).replace(tzinfo=None)


def dhaka_today() -> date:
    return datetime.now(DHAKA).date()


def dhaka_date_sql(column):
    """SQL for the Dhaka calendar date of a naive-UTC column (Bangladesh keeps UTC+6 all year)."""
    if db.engine.dialect.name == "sqlite":
        return func.date(column, "+6 hours")
    return func.date(column + literal_column("interval '6 hours'"))
