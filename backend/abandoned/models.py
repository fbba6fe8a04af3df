"""Checkouts the plugin captured while the shopper typed, the shop's settings for them, the
phones that asked for no more reminders."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.money import Money
from backend.clock import utcnow


class AbandonedSettings(db.Model):
    """One row per shop, made on first use with these defaults."""

    __tablename__ = "abandoned_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    capture_enabled: Mapped[bool] = mapped_column(default=False)
    abandon_after_minutes: Mapped[int] = mapped_column(default=60)
    reminders_enabled: Mapped[bool] = mapped_column(default=False)
    # minutes after the checkout was marked abandoned
    reminder1_minutes: Mapped[int] = mapped_column(default=60)
    # minutes after the first reminder; None: no second reminder
    reminder2_minutes: Mapped[int | None]
    sms_language: Mapped[str] = mapped_column(String(2), default="bn")  # bn | en
    text1: Mapped[str | None] = mapped_column(Text)  # None: the default text
    text2: Mapped[str | None] = mapped_column(Text)
    coupon_enabled: Mapped[bool] = mapped_column(default=False)
    coupon_percent: Mapped[int] = mapped_column(default=10)
    coupon_days: Mapped[int] = mapped_column(default=3)
    lost_after_days: Mapped[int] = mapped_column(default=7)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(120))


class AbandonedCheckout(SiteOwned, db.Model):
    """One checkout session of one shopper. `status`: open (typing) → abandoned (no order
    within the shop's delay) → reminded (an SMS went) → recovered (the phone ordered) or lost
    (no order after N days). "ordered": the phone ordered before the checkout counted as
    abandoned, so it never was an abandoned cart."""

    __tablename__ = "abandoned_checkouts"
    __table_args__ = (
        UniqueConstraint("site_id", "capture_key", name="uq_abandoned_checkouts_site_capture_key"),
        Index("ix_abandoned_checkouts_site_id_phone", "site_id", "phone"),
        Index("ix_abandoned_checkouts_site_id_created_at", "site_id", "created_at"),
        Index("ix_abandoned_checkouts_status_updated_at", "status", "updated_at"),
        # the desk's Incomplete tab: its count and its list (0810)
        Index("ix_abandoned_checkouts_site_id_status", "site_id", "status", "created_at"),
    )

    capture_key: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(16))  # +8801XXXXXXXXX
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))
    district: Mapped[str | None] = mapped_column(String(100))
    cart: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {product_id, name, quantity, total}
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(8), default="BDT")
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # the last capture
    abandoned_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    # why a due reminder did not go (no SMS balance, the gateway refused, the coupon failed)
    reminder_note: Mapped[str | None] = mapped_column(String(300))
    closed_at: Mapped[datetime | None]  # ordered, recovered or lost
    wc_order_id: Mapped[int | None] = mapped_column(BigInteger)
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    opted_out: Mapped[bool] = mapped_column(default=False)
    # the short link's secret: /r/<token>
    reason_token: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str | None] = mapped_column(String(20))
    reason_text: Mapped[str | None] = mapped_column(String(300))
    reason_at: Mapped[datetime | None]


class AbandonedOptOut(db.Model):
    """A phone that said "stop messages": no reminder goes to it from this shop again."""

    __tablename__ = "abandoned_opt_outs"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AbandonedCheckoutAction(SiteOwned, db.Model):
    """What someone at the shop did with an abandoned checkout from the desk: called, sent an
    SMS, turned it into an order, marked it lost. Kept so the next person sees it was worked."""

    __tablename__ = "abandoned_checkout_actions"
    __table_args__ = (Index("ix_abandoned_checkout_actions_site_id_checkout_id", "site_id", "checkout_id"),)

    checkout_id: Mapped[int] = mapped_column(ForeignKey("abandoned_checkouts.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))  # called | sms | ordered | lost
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[str | None] = mapped_column(String(300))
