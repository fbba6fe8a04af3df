"""The wallet and its ledger, SMS messages, recharges, prices and the gateway settings."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.money import Money
from backend.clock import utcnow


class SmsRate(db.Model):
    """Price per segment for a plan ("*" is the default for plans without their own row)."""

    __tablename__ = "sms_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan: Mapped[str] = mapped_column(String(40), unique=True)
    gsm_rate: Mapped[Decimal] = mapped_column(Money)
    unicode_rate: Mapped[Decimal] = mapped_column(Money)
    # what the gateway charges us per segment, for the operators' revenue report
    gsm_cost: Mapped[Decimal] = mapped_column(Money)
    unicode_cost: Mapped[Decimal] = mapped_column(Money)


class SmsSettings(db.Model):
    """One row: the operators' SMS settings."""

    __tablename__ = "sms_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    min_recharge: Mapped[Decimal] = mapped_column(Money)
    max_recharge: Mapped[Decimal] = mapped_column(Money)
    sends_per_minute: Mapped[int]
    otp_per_phone_per_hour: Mapped[int]
    gateway_key: Mapped[str | None] = mapped_column(String(40))
    gateway_settings_enc: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Wallet(db.Model):
    """The balance is kept here so a debit is one conditional UPDATE; it always equals the ledger's sum."""

    __tablename__ = "wallets"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # The shop's sends in the current minute, counted by the same UPDATE that debits a message:
    # the per-minute cap costs no extra query and holds across workers (see service._debit).
    window_start: Mapped[datetime | None]
    window_sends: Mapped[int] = mapped_column(default=0, server_default="0")


class WalletEntry(SiteOwned, db.Model):
    __tablename__ = "wallet_entries"
    __table_args__ = (
        # one entry per thing that moved money: a message is debited once and refunded once
        UniqueConstraint("site_id", "kind", "reference", name="uq_wallet_entries_site_kind_reference"),
        Index("ix_wallet_entries_site_id_created_at", "site_id", "created_at"),
    )

    amount: Mapped[Decimal] = mapped_column(Money)  # + credit, - debit
    kind: Mapped[str] = mapped_column(String(20))  # recharge | operator_credit | refund | sms
    reference: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GatewayDelivery:
    """A text a worker delivers through the SMS gateway (`sending.ask_gateway`): the gateway
    that took it and its reference there, or the error, and the worker's claim and finish times
    (a claim older than the sender's STUCK_AFTER belongs to a worker that died, and the sweeper
    hands the text to another). The gateway deduplicates on `gateway_message_id`, so a retry
    never sends twice; each table has its own prefix, as their ids overlap."""

    GATEWAY_ID_PREFIX = "bikri-"

    gateway: Mapped[str | None] = mapped_column(String(40))
    gateway_reference: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]

    @property
    def gateway_message_id(self) -> str:
        """Ours, unique per text, sent to the gateway so that a retry is recognised."""
        return f"{self.GATEWAY_ID_PREFIX}{self.id}"


class SmsMessage(SiteOwned, GatewayDelivery, db.Model):
    __tablename__ = "sms_messages"
    __table_args__ = (
        UniqueConstraint("site_id", "idempotency_key", name="uq_sms_messages_site_idempotency_key"),
        Index("ix_sms_messages_site_id_created_at", "site_id", "created_at"),
        Index("ix_sms_messages_phone_purpose_created_at", "phone", "purpose", "created_at"),
        Index("ix_sms_messages_status_created_at", "status", "created_at"),
    )

    phone: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(20))
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int]
    cost: Mapped[Decimal] = mapped_column(Money)
    gateway_cost: Mapped[Decimal] = mapped_column(Money)
    # queued (debited, waiting for a worker) -> sending (a worker claimed it) -> sent | failed (refunded)
    status: Mapped[str] = mapped_column(String(12))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # the bulk job sending it (backend/sms/batches.py); None for a message sent on its own
    job_id: Mapped[int | None] = mapped_column(ForeignKey("work_jobs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Recharge(SiteOwned, db.Model):
    __tablename__ = "recharges"
    __table_args__ = (Index("ix_recharges_site_id_created_at", "site_id", "created_at"),)

    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))  # bkash | nagad | manual
    # creating (a worker opens the bKash or Nagad payment) | pending | completed | failed | cancelled | expired
    # | rejected (a manual request) | held (paid, but not the amount or order asked: an operator checks it)
    status: Mapped[str] = mapped_column(String(12))
    payment_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    # where the payer pays (bKash's or Nagad's page): good for this payment only, shown while it is pending
    payment_url: Mapped[str | None] = mapped_column(Text)
    transaction_id: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # when a worker was last sent to ask the gateway about the payment (bKash's or Nagad's callback): a
    # callback reloaded or replayed queues that question at most once per VERIFY_EVERY
    verify_queued_at: Mapped[datetime | None]


class PaymentGatewaySetting(db.Model):
    """An online payment gateway for recharges that operators set in the console (Nagad; bKash
    comes from the environment): switched on or off, and its settings as encrypted JSON, the
    merchant's private key among them."""

    __tablename__ = "payment_gateway_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20), unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    settings_enc: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
