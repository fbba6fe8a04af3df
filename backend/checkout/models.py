"""A shop's checkout settings, the OTP codes sent, the locks that make the limits exact,
the blacklist, and the orders the plugin reports from its checkout."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow


class CheckoutSettings(db.Model):
    """One row per shop, made on first use with the defaults below."""

    __tablename__ = "checkout_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    otp_enabled: Mapped[bool] = mapped_column(default=False)
    # F3 option: a phone that verified before and has a delivered order gets no new code
    otp_skip_trusted: Mapped[bool] = mapped_column(default=False)
    cooldown_seconds: Mapped[int] = mapped_column(default=60)
    sends_per_phone_per_hour: Mapped[int] = mapped_column(default=5)
    sends_per_ip_per_hour: Mapped[int] = mapped_column(default=10)
    max_attempts: Mapped[int] = mapped_column(default=5)
    code_ttl_seconds: Mapped[int] = mapped_column(default=300)
    otp_language: Mapped[str] = mapped_column(String(2), default="bn")  # bn | en
    otp_text_en: Mapped[str | None] = mapped_column(Text)  # None: the default text
    otp_text_bn: Mapped[str | None] = mapped_column(Text)
    shop_name: Mapped[str | None] = mapped_column(String(40))
    blacklist_message: Mapped[str | None] = mapped_column(Text)
    # bumped on every change the plugin's copy must follow (settings, blacklist)
    version: Mapped[int] = mapped_column(default=1)
    # set when a code could not be sent for want of balance, cleared by the next paid send
    no_balance_since: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(120))


class OtpCode(SiteOwned, db.Model):
    """One request for a code. `status`:
    pending (sent, not yet verified), verified, locked (too many wrong attempts), expired,
    failed (the SMS was not sent), trusted (no code: a known customer), skipped (no code: no
    SMS balance). Only the newest code of a checkout session can be verified. Its SMS is the
    message with idempotency key "otp-<id>"."""

    __tablename__ = "otp_codes"
    __table_args__ = (
        Index("ix_otp_codes_site_id_phone_created_at", "site_id", "phone", "created_at"),
        Index("ix_otp_codes_site_id_ip_key_created_at", "site_id", "ip_key", "created_at"),
        Index("ix_otp_codes_site_id_created_at", "site_id", "created_at"),
    )

    phone: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    ip_key: Mapped[str] = mapped_column(String(45))  # the address, or its /64 for IPv6
    # HMAC of the code with the service's secret key and a per-row salt; the code itself is never stored
    code_hash: Mapped[str | None] = mapped_column(String(64))
    salt: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]


class OtpThrottle(db.Model):
    """A row per (shop, phone) and (shop, IP): a send locks its rows before counting, so two
    concurrent sends to one number or from one address cannot both slip under a limit."""

    __tablename__ = "otp_throttles"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class BlacklistEntry(SiteOwned, db.Model):
    __tablename__ = "blacklist_entries"
    __table_args__ = (UniqueConstraint("site_id", "kind", "value", name="uq_blacklist_entries_site_kind_value"),)

    kind: Mapped[str] = mapped_column(String(8))  # phone | email | ip
    # normalised: +8801XXXXXXXXX, a lower-case email, an IP address or network (CIDR)
    value: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str | None] = mapped_column(String(255))
    added_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckoutOrder(SiteOwned, db.Model):
    """An order placed through the protected checkout, as the plugin reported it: whether its
    phone was verified, and its later status (a delivered order makes a trusted phone)."""

    __tablename__ = "checkout_orders"
    __table_args__ = (
        UniqueConstraint("site_id", "wc_order_id", name="uq_checkout_orders_site_wc_order_id"),
        Index("ix_checkout_orders_site_id_phone", "site_id", "phone"),
    )

    wc_order_id: Mapped[int] = mapped_column(BigInteger)
    phone: Mapped[str | None] = mapped_column(String(16))  # normalised; None when not a BD mobile
    otp: Mapped[str] = mapped_column(String(24))  # verified | trusted | skipped_no_balance | skipped_unavailable | off
    status: Mapped[str] = mapped_column(String(40))  # WooCommerce's order status, as last reported
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
