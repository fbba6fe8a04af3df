"""State of the order sync per site: the backfill's cursor and progress, the reconciliation
checkpoint, and the idempotency keys of pushed events already applied."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow


class SyncKind:
    BACKFILL = "backfill"
    RECONCILE = "reconcile"
    EXPORT = "export"  # not a walk: whether the shop's plugin offers the order export, and when that was checked
    EVENTS = "events"  # not a walk: accepted events that could not be applied (done: how many, last_error: the latest)


class SyncStatus:
    IDLE = "idle"          # nothing asked for yet (reconcile: waiting for its next run)
    QUEUED = "queued"      # asked for; the jobs process will start it
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"      # stopped on an error the shop must fix (bad key ...); retried when asked again


class SyncState(SiteOwned, db.Model):
    __tablename__ = "sync_state"
    __table_args__ = (Index("ix_sync_state_site_id_kind", "site_id", "kind", unique=True),)

    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=SyncStatus.IDLE)
    # JSON: backfill {"until", "after", "seen", "page"}; reconcile {"after", "seen", "page"}
    cursor: Mapped[str | None] = mapped_column(Text)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    # a per-site lease, so a CLI run and the jobs process never walk the same site at once
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(120))


class SeenEvent(db.Model):
    """An event's idempotency key, once applied: the same key again is answered "duplicate"."""

    __tablename__ = "seen_events"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class EventInbox(db.Model):
    """Order events accepted for later (the plugin asked `Prefer: respond-async`), one row per
    request, until applied. Written before the answer, so an accepted event outlives a crash;
    the worker that answered applies it right after, the jobs process whatever that left."""

    __tablename__ = "event_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # JSON: the events as validated ({"idempotency_key", "type", "order_id", "date_modified_gmt", "order"})
    events: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(String(1000))
