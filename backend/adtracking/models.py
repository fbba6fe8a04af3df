"""The shop's ad tracking settings and the Conversions API events it sent (one row per order
and event: the row is the idempotency key, so a redelivered task never sends twice)."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.money import Money
from backend.clock import utcnow

# what the shop sends Meta when a parcel is delivered
DELIVERED_EVENTS = ("none", "custom", "purchase")
DEFAULT_DELIVERED_NAME = "Delivered"
GRAPH_VERSION = "v21.0"

# event kinds (our names); the event name Meta sees is on the row
PURCHASE, DELIVERED, RETURNED = "purchase", "delivered", "returned"
KINDS = (PURCHASE, DELIVERED, RETURNED)

PENDING, SENT, FAILED = "pending", "sent", "failed"


class AdSettings(db.Model):
    """One row per shop. The access token is a secret: stored encrypted (backend.security)."""

    __tablename__ = "ad_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    pixel_id: Mapped[str] = mapped_column(String(20), default="")
    capi_token_enc: Mapped[str | None] = mapped_column(Text)
    capi_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_event: Mapped[str] = mapped_column(String(10), default="none")  # one of DELIVERED_EVENTS
    delivered_event_name: Mapped[str] = mapped_column(String(40), default=DEFAULT_DELIVERED_NAME)
    refund_on_return: Mapped[bool] = mapped_column(Boolean, default=False)
    test_event_code: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CapiEvent(SiteOwned, db.Model):
    """A server-side event for an order: written (pending) in the transaction that saw the
    order or parcel change, sent by a worker, marked sent in the worker's commit."""

    __tablename__ = "ad_capi_events"
    __table_args__ = (UniqueConstraint("site_id", "order_wc_id", "kind", name="uq_ad_capi_events_order_kind"),
                      Index("ix_ad_capi_events_status", "status", "created_at"))

    order_wc_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(12))
    event_name: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(80))
    event_time: Mapped[int] = mapped_column(BigInteger)  # unix seconds
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    fbtrace_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
