"""Every fraud check a shop ran: the fraud history of a phone (who, when, what each source said)."""
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow


class FraudCheck(SiteOwned, db.Model):
    __tablename__ = "fraud_checks"
    __table_args__ = (
        # the cache (latest check of a phone) and the phone's history, newest first
        Index("ix_fraud_checks_site_id_phone_checked_at", "site_id", "phone", "checked_at"),
        # forced re-checks of a shop in the last hour (they spend courier allowance)
        Index("ix_fraud_checks_site_id_checked_at", "site_id", "checked_at"),
    )

    phone: Mapped[str] = mapped_column(String(16))  # +8801XXXXXXXXX
    checked_by: Mapped[str] = mapped_column(String(200))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    forced: Mapped[bool] = mapped_column(default=False)
    # what each source said, as JSON: {"couriers": [...], "shop": {...}, "network": {...}}
    sources: Mapped[str] = mapped_column(Text)
    # the verdict, from the largest history (the sources overlap, so they are not added up)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    success_percent: Mapped[int | None] = mapped_column(Integer)  # None: no history anywhere
    risk: Mapped[str] = mapped_column(String(10))  # new | low | medium | high
