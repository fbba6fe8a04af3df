"""Loyalty points (U2): the shop's settings, one points account per customer (site and phone, as
customers key them), its append-only ledger, and the holds the checkout takes before an order
exists.

The account row holds the balance so every change locks one row (see ledger.py); each ledger
entry carries a key unique per account, so the same thing never moves points twice."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.money import Money
from backend.clock import utcnow

# what moved the points: an order delivered (earn), its return or refund (reverse), the same
# order delivered again after a reversal (restore), points spent at checkout (redeem), a hold or
# redemption given back (release), points past their expiry (expire)
EARN, REVERSE, RESTORE, REDEEM, RELEASE, EXPIRE = "earn", "reverse", "restore", "redeem", "release", "expire"
ENTRY_KINDS = (EARN, REVERSE, RESTORE, REDEEM, RELEASE, EXPIRE)
ORDER_KINDS = (EARN, REVERSE, RESTORE)  # an order's own position
LOTS = (EARN, RESTORE)  # what expires

# a hold: taken at checkout (held), its order stored (redeemed), given back (released: unused
# until it expired, or removed by the shopper; cancelled: its order was cancelled)
HELD, REDEEMED, RELEASED, CANCELLED = "held", "redeemed", "released", "cancelled"

DEFAULT_EARN_SMS = "You earned {points} points at {shop}. Your balance: {balance} points."


class LoyaltySettings(db.Model):
    """One row per shop, made on first use: the programme is off until the shop turns it on."""

    __tablename__ = "loyalty_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    points_per_100: Mapped[int] = mapped_column(default=1)  # per 100 taka of a delivered order
    point_value: Mapped[Decimal] = mapped_column(Money, default=Decimal("1"))  # taka a point is worth at checkout
    min_redeem: Mapped[int] = mapped_column(default=100)
    expiry_days: Mapped[int] = mapped_column(default=365)  # 0: points never expire
    earn_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    earn_sms_text: Mapped[str] = mapped_column(Text, default=DEFAULT_EARN_SMS)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))


class LoyaltyAccount(db.Model):
    """A customer's points: the balance always equals the sum of the account's entries."""

    __tablename__ = "loyalty_accounts"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    balance: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltyEntry(SiteOwned, db.Model):
    """Append-only: one row per movement of points."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        UniqueConstraint("site_id", "phone", "key", name="uq_loyalty_entries_account_key"),
        Index("ix_loyalty_entries_site_order", "site_id", "order_wc_id"),
        Index("ix_loyalty_entries_lots_expiry", "expires_at"),
        Index("ix_loyalty_entries_sms_due", "sms_due"),
    )

    phone: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]  # + to the customer, - from
    kind: Mapped[str] = mapped_column(String(10))  # one of ENTRY_KINDS
    key: Mapped[str] = mapped_column(String(80))
    order_wc_id: Mapped[int | None]
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_holds.id"))
    # an earn: the order's amount the points were counted on (a later partial refund takes back its share)
    order_amount: Mapped[Decimal | None] = mapped_column(Money)
    # a reversal: the points it should have taken back but the customer had already spent
    uncollected: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None]  # earn / restore: when these points lapse
    sms_due: Mapped[bool] = mapped_column(Boolean, default=False)  # earn: the "you earned" SMS waits for a worker
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltyHold(SiteOwned, db.Model):
    """Points set aside at checkout: debited at once (a redeem entry), kept when the order is
    stored, given back (a release entry) when unused or when the order is cancelled."""

    __tablename__ = "loyalty_holds"
    __table_args__ = (
        UniqueConstraint("site_id", "idempotency_key", name="uq_loyalty_holds_site_idempotency_key"),
        Index("ix_loyalty_holds_site_order", "site_id", "order_wc_id"),
        Index("ix_loyalty_holds_status_expires_at", "status", "expires_at"),
    )

    phone: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(40), unique=True)  # what the plugin holds, not the row id
    points: Mapped[int]
    value: Mapped[Decimal] = mapped_column(Money)  # the discount in taka
    status: Mapped[str] = mapped_column(String(10), default=HELD)
    order_wc_id: Mapped[int | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
