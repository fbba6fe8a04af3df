"""The activity log's rules: record (an insert in the caller's transaction, nothing else), the
list with its filters, the CSV, retention, and the operators' log."""
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select

from backend import csvfile
from backend.activity import context
from backend.activity.models import Activity, ActivitySettings, OperatorAction
from backend.commits import keep_progress
from backend.extensions import db
from backend.clock import dhaka_midnight_utc, utcnow

# what the log records (the Activity page names each)
KINDS = ("order_status", "booking", "sms", "sms_batch", "settings", "cost", "blacklist", "export", "login", "roles")
DEFAULT_RETENTION_DAYS = 365
RETENTION_RANGE = (7, 3650)
MAX_CSV_ROWS = 100_000
PRUNE_BATCH = 10_000
# Core inserts: no ORM unit of work for a row nobody reads back in the same request
_ACTIVITY = Activity.__table__.insert()
_OPERATOR = OperatorAction.__table__.insert()


def _json(value):
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"), sort_keys=True)


def _row(site_id, kind, subject, before, after, order, now, who) -> dict:
    return {"site_id": site_id, "at": now, "kind": kind, "subject": (subject or "")[:200], "order_wc_id": order,
            "before": _json(before), "after": _json(after), **who}


def record(site_id: int, kind: str, subject: str = "", before=None, after=None, *, order: int | None = None) -> None:
    """One row, inserted now in the caller's transaction (it commits or rolls back with the
    write it describes). Who, where and the IP come from the request or the task (context.py)."""
    # one dict, not a list of one: a plain execute, not the executemany path
    db.session.execute(_ACTIVITY, _row(site_id, kind, subject, before, after, order, utcnow(), context.who()))


def record_many(site_id: int, entries: list[tuple]) -> None:
    """Many rows in one statement: (kind, subject, before, after, order) each."""
    if not entries:
        return
    if len(entries) == 1:
        record(site_id, *entries[0][:4], order=entries[0][4])
        return
    now, who = utcnow(), context.who()
    db.session.execute(_ACTIVITY, [_row(site_id, kind, subject, before, after, order, now, who)
                                          for kind, subject, before, after, order in entries])


# --- reading -------------------------------------------------------------------------------------

@dataclass
class Filters:
    actor: str | None = None
    kind: str | None = None
    order: int | None = None
    day_from: date | None = None
    day_to: date | None = None


def _query(site_id: int, filters: Filters):
    query = select(Activity).where(Activity.site_id == site_id)
    if filters.actor:
        query = query.where(Activity.actor == filters.actor)
    if filters.kind:
        query = query.where(Activity.kind == filters.kind)
    if filters.order is not None:
        query = query.where(Activity.order_wc_id == filters.order)
    if filters.day_from:
        query = query.where(Activity.at >= dhaka_midnight_utc(filters.day_from))
    if filters.day_to:
        query = query.where(Activity.at < dhaka_midnight_utc(filters.day_to + timedelta(days=1)))
    return query


def list_entries(site_id: int, filters: Filters, *, limit: int = 50, before: tuple | None = None) -> list[Activity]:
    """Newest first; `before` = (at, id) of the last row shown (keyset: no OFFSET at 5,000,000 rows)."""
    query = _query(site_id, filters)
    if before is not None:
        at, entry_id = before
        # `at <= X` bounds the index range; the OR only breaks ties within one instant
        query = query.where(Activity.at <= at, (Activity.at < at) | (Activity.id < entry_id))
    return list(db.session.execute(query.order_by(Activity.at.desc(), Activity.id.desc()).limit(limit)).scalars())


def actors(site_id: int, recent: int = 5000) -> list[str]:
    """The people (and Bikri) in the shop's latest entries, for the filter: a bounded read of
    the newest rows (a DISTINCT over the whole log would read millions of index entries)."""
    latest = (select(Activity.actor).where(Activity.site_id == site_id)
              .order_by(Activity.at.desc(), Activity.id.desc()).limit(recent).subquery())
    return sorted(db.session.execute(select(latest.c.actor).distinct()).scalars())


CSV_HEADER = ("time_utc", "who", "who_kind", "kind", "order", "subject", "before", "after", "source", "ip")


def csv_text(site_id: int, filters: Filters) -> str:
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(CSV_HEADER)
    query = _query(site_id, filters).order_by(Activity.at.desc(), Activity.id.desc()).limit(MAX_CSV_ROWS)
    for entry in db.session.execute(query.execution_options(yield_per=1000)).scalars():
        writer.writerow((entry.at.isoformat(timespec="seconds"), entry.actor, entry.actor_kind, entry.kind,
                         entry.order_wc_id, entry.subject, entry.before, entry.after, entry.source, entry.ip))
    return out.getvalue()


# --- retention -----------------------------------------------------------------------------------

def retention_days(site_id: int) -> int:
    settings = db.session.get(ActivitySettings, site_id)
    return settings.retention_days if settings is not None else DEFAULT_RETENTION_DAYS


def set_retention(site_id: int, days: int) -> int:
    low, high = RETENTION_RANGE
    if not low <= days <= high:
        raise ValueError(days)
    settings = db.session.get(ActivitySettings, site_id)
    before = settings.retention_days if settings is not None else DEFAULT_RETENTION_DAYS
    if settings is None:
        settings = ActivitySettings(site_id=site_id)
        db.session.add(settings)
    settings.retention_days = days
    db.session.flush()
    if before != days:
        record(site_id, "settings", "activity log", {"retention_days": before}, {"retention_days": days})
    return days


def prune_site(site_id: int, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=retention_days(site_id))
    return db.session.execute(delete(Activity).where(Activity.site_id == site_id, Activity.at < cutoff)).rowcount


def prune_all(now: datetime | None = None) -> int:
    """The scheduled prune: every shop's entries older than its retention (default a year), in
    batches of PRUNE_BATCH rows, each batch kept (a shop's first prune may delete millions: no
    transaction holds them all; on SQLite no write lock is held that long)."""
    now = now or utcnow()
    custom = dict(db.session.execute(select(ActivitySettings.site_id, ActivitySettings.retention_days)).all())
    deleted = 0
    for site_id, days in custom.items():
        deleted += _delete_in_batches(Activity.site_id == site_id, Activity.at < now - timedelta(days=days))
    others = [Activity.at < now - timedelta(days=DEFAULT_RETENTION_DAYS)]
    if custom:
        others.append(Activity.site_id.not_in(list(custom)))
    return deleted + _delete_in_batches(*others)


def _delete_in_batches(*conditions) -> int:
    deleted = 0
    while True:
        batch = select(Activity.id).where(*conditions).limit(PRUNE_BATCH).scalar_subquery()
        gone = db.session.execute(delete(Activity).where(Activity.id.in_(batch))
                                  .execution_options(synchronize_session=False)).rowcount
        deleted += gone
        if gone < PRUNE_BATCH:
            return deleted
        keep_progress()


# --- the operators' log --------------------------------------------------------------------------

def record_operator(operator: str, kind: str, subject: str = "", before=None, after=None, ip: str | None = None) -> None:
    db.session.execute(_OPERATOR, [{"at": utcnow(), "operator": (operator or "")[:120], "kind": kind[:40],
                                                 "subject": (subject or "")[:200], "before": _json(before),
                                                 "after": _json(after), "ip": ip}])


def operator_actions(limit: int = 200, kind: str | None = None) -> list[OperatorAction]:
    query = select(OperatorAction)
    if kind:
        query = query.where(OperatorAction.kind == kind)
    return list(db.session.execute(query.order_by(OperatorAction.at.desc(), OperatorAction.id.desc()).limit(limit)).scalars())
