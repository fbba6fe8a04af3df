from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db


class WorkJob(SiteOwned, db.Model):
    """Work a shop started that runs in the workers: a bulk booking, a bulk status change. The
    shop's page shows its progress ("120 of 500 booked") and then a result per item."""

    __tablename__ = "work_jobs"
    __table_args__ = (Index("ix_work_jobs_site_id_id", "site_id", "id"),)

    kind: Mapped[str] = mapped_column(String(40))
    # the task that works its items, and how many each run takes: enough to send the items
    # again when the job stalls (its messages never reached the broker, or were lost)
    task: Mapped[str] = mapped_column(String(80))
    per_task: Mapped[int] = mapped_column(default=25)
    # queued → running → done (every item has its result) or failed (the job gave up; its items say how far)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # what the job was asked (JSON): its tasks read it, so a retried task needs nothing else
    params: Mapped[str] = mapped_column(Text, default="{}")
    started_by: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class WorkJobItem(db.Model):
    """One item's result; unique per job and item, so a task run twice records it once."""

    __tablename__ = "work_job_items"
    __table_args__ = (UniqueConstraint("job_id", "item", name="uq_work_job_items_job_id_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("work_jobs.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text, default="")
    # the domain's own fields for this item (JSON), e.g. a booking's consignment id
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime]


class DeadTask(db.Model):
    """A task whose retries were used up: the operator console lists it with a retry button."""

    __tablename__ = "dead_tasks"
    __table_args__ = (Index("ix_dead_tasks_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    task: Mapped[str] = mapped_column(String(80))
    lane: Mapped[str] = mapped_column(String(20))
    arguments: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    retried_at: Mapped[datetime | None]
