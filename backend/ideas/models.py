"""Feature requests (H1): what shops ask Bikri for, their votes, and the operators' answer."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow


class IdeaStatus:
    NEW = "new"  # only the shop that asked sees it, until an operator plans it
    PLANNED = "planned"  # every shop sees it and may vote
    DONE = "done"  # every shop sees it
    DECLINED = "declined"  # only the shop that asked sees it, with the reply

    ALL = (NEW, PLANNED, DONE, DECLINED)
    PUBLIC = (PLANNED, DONE)


class FeatureRequest(SiteOwned, db.Model):
    __tablename__ = "feature_requests"
    __table_args__ = (Index("ix_feature_requests_site_id", "site_id"), Index("ix_feature_requests_status", "status"))

    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    asked_by: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(16), default=IdeaStatus.NEW)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    votes: Mapped[int] = mapped_column(default=1)  # the asking shop's vote included
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FeatureVote(SiteOwned, db.Model):
    __tablename__ = "feature_votes"
    __table_args__ = (UniqueConstraint("request_id", "site_id", name="uq_feature_votes_request_site"),)

    request_id: Mapped[int] = mapped_column(ForeignKey("feature_requests.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
