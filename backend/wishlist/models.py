"""The wishlist (U3): what shoppers wished for on the shop's storefront, their SMS alerts for a
wished product (back in stock, price drop), and each alert sent.

A wish is one row per (shopper, product, variation): added and removed again by the plugin's
forwarded events, the newest event winning (`version`, the plugin's clock), so a repeated or
late event changes nothing. A shopper is a WordPress user (`user:<id>`) or, for a guest who
left a phone for an alert, the phone (`phone:+8801...`).
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow

MONEY = Numeric(12, 2)


class Wish(SiteOwned, db.Model):
    __tablename__ = "wishes"
    __table_args__ = (
        UniqueConstraint("site_id", "shopper", "product_wc_id", "variation_wc_id", name="uq_wishes_site_shopper_product"),
        Index("ix_wishes_site_product", "site_id", "product_wc_id"),
        # the order_stored listener's look-ups: a buyer's wishes by account, phone or email
        Index("ix_wishes_site_user", "site_id", "wp_user_id"),
        Index("ix_wishes_site_phone", "site_id", "phone"),
        Index("ix_wishes_site_email", "site_id", "email"),
    )

    shopper: Mapped[str] = mapped_column(String(40))  # user:<WordPress user id> | phone:+8801XXXXXXXXX
    wp_user_id: Mapped[int | None] = mapped_column(BigInteger)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    product_wc_id: Mapped[int] = mapped_column(BigInteger)
    variation_wc_id: Mapped[int] = mapped_column(BigInteger, default=0)
    wished_at: Mapped[datetime]  # when the shopper added it (the plugin's clock)
    removed_at: Mapped[datetime | None]
    # when the shopper was first seen with an order that has the product (their account, phone or
    # email): set when the wish arrives and kept by the order_stored listener; None: never bought
    bought_at: Mapped[datetime | None]
    # microseconds since the epoch of the newest event applied; an older one is ignored
    version: Mapped[int] = mapped_column(BigInteger)


class WishlistSettings(db.Model):
    """Whether the shop's wishlist alerts go out (they cost the shop's SMS wallet) and in which language."""
    __tablename__ = "wishlist_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    back_in_stock_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    price_drop_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(2), default="bn")
    # at most this many wishlist alerts to one phone a day (a busy restock day sends no flood)
    alerts_per_phone_per_day: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))


class AlertSubscription(SiteOwned, db.Model):
    """A shopper's phone, opted in for SMS about one product or variation."""
    __tablename__ = "wishlist_alert_subscriptions"
    __table_args__ = (
        UniqueConstraint("site_id", "item_wc_id", "phone", name="uq_wishlist_alert_subscriptions_site_item_phone"),
    )

    item_wc_id: Mapped[int] = mapped_column(BigInteger)  # the variation, or the product
    product_wc_id: Mapped[int] = mapped_column(BigInteger)  # the product (its page is the SMS's link)
    phone: Mapped[str] = mapped_column(String(16))
    back_in_stock: Mapped[bool] = mapped_column(Boolean, default=True)
    price_drop: Mapped[bool] = mapped_column(Boolean, default=True)
    # the price the shopper saw, lowered with each price-drop alert: only a lower price is news
    price_seen: Mapped[Decimal | None] = mapped_column(MONEY)
    version: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]


class WishlistAlert(SiteOwned, db.Model):
    """One SMS for one subscription and one change of the item: unique, so a restock or a price
    drop told twice (a repeated push, a reconciliation) never texts a shopper twice."""
    __tablename__ = "wishlist_alerts"
    __table_args__ = (
        UniqueConstraint("subscription_id", "kind", "event_key", name="uq_wishlist_alerts_subscription_kind_event"),
        Index("ix_wishlist_alerts_site_state", "site_id", "state"),
        Index("ix_wishlist_alerts_phone_created", "site_id", "phone", "created_at"),
    )

    subscription_id: Mapped[int] = mapped_column(ForeignKey("wishlist_alert_subscriptions.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # back_in_stock | price_drop
    event_key: Mapped[str] = mapped_column(String(40))  # the item's stock_version that moved it
    item_name: Mapped[str] = mapped_column(String(400))
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    # pending | claimed (a send took it) | queued (handed to the SMS domain's bulk lane) | skipped | failed
    state: Mapped[str] = mapped_column(String(10), default="pending")
    detail: Mapped[str | None] = mapped_column(String(300))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("work_jobs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
