from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db

# a big id on PostgreSQL (5,000,000 rows a shop is in the bench); SQLite's rowid is 64-bit already
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class Activity(db.Model):
    """One write in a shop. `actor_kind`: user (an embed page's WordPress user), api (the
    plugin's key), bikri (a job or task; `actor` then names the job's starter when a person
    started it). `before`/`after`: JSON of what changed, or null."""
    __tablename__ = "activity"
    __table_args__ = (
        # the list: newest first, a date range (keyset on at, id)
        Index("ix_activity_site_at", "site_id", "at", "id"),
        Index("ix_activity_site_kind_at", "site_id", "kind", "at"),
        Index("ix_activity_site_actor_at", "site_id", "actor", "at"),
        Index("ix_activity_site_order", "site_id", "order_wc_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    # no foreign key: its check would lock the shop's sites row (FOR KEY SHARE) on every entry,
    # making every write of a shop queue on one row; entries are only ever made for a known site
    site_id: Mapped[int]
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(120))
    actor_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(32))
    order_wc_id: Mapped[int | None] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str | None] = mapped_column(String(45))


class ActivitySettings(db.Model):
    """How long a shop keeps its log (the prune job deletes older rows)."""
    __tablename__ = "activity_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    retention_days: Mapped[int] = mapped_column(default=365)


class OperatorAction(db.Model):
    """The operators' console's own log: licenses, credits, prices, gateway changes."""
    __tablename__ = "operator_actions"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    operator: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
