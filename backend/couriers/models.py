"""Courier accounts per site, the shop's courier settings, consignments and their status history."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.money import Money
from backend.clock import utcnow


class CourierAccount(SiteOwned, db.Model):
    """A shop's account at one courier. The credentials are one encrypted JSON object."""

    __tablename__ = "courier_accounts"
    __table_args__ = (UniqueConstraint("site_id", "courier", name="uq_courier_accounts_site_courier"),)

    courier: Mapped[str] = mapped_column(String(30))
    credentials_enc: Mapped[str] = mapped_column(Text)
    balance: Mapped[Decimal | None] = mapped_column(Money)
    balance_checked_at: Mapped[datetime | None]
    # Why polling for this account stopped (keys refused since they were saved), if it did.
    problem: Mapped[str | None] = mapped_column(String(300))
    # The rate limiter's state, shared by every process that calls this courier for this shop:
    # the earliest moment (µs since the epoch) the next request may leave. See polling.Pacer.
    next_request_us: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CourierKeyCheck(db.Model):
    """Keys a shop typed, waiting for a worker to check them with the courier (the web request
    does not wait on the courier). Encrypted like saved keys; deleted once checked, accepted or not."""

    __tablename__ = "courier_key_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    courier: Mapped[str] = mapped_column(String(30))
    credentials_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourierSettings(db.Model):
    """One row per site, made when the shop first saves; until then the defaults below apply."""

    __tablename__ = "courier_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    default_courier: Mapped[str | None] = mapped_column(String(30))
    default_note: Mapped[str | None] = mapped_column(String(250))
    delivery_type: Mapped[str] = mapped_column(String(10), default="home")
    # COD rules: orders paid online go out with nothing to collect; amounts may be rounded up
    # to 1, 5 or 10 taka, as riders carry little change (0: exactly the order total).
    prepaid_cod_zero: Mapped[bool] = mapped_column(default=True)
    cod_round_to: Mapped[int] = mapped_column(default=0)
    poll_minutes: Mapped[int] = mapped_column(default=60)
    # Bikri status → WooCommerce status slug, as JSON; written back to WooCommerce later.
    wc_status_map: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Consignment(SiteOwned, db.Model):
    """A parcel booked with a courier for one order. The invoice (the order number) is the
    courier-side key: one consignment per (site, courier, invoice), whoever books it."""

    __tablename__ = "consignments"
    __table_args__ = (
        UniqueConstraint("site_id", "courier", "invoice", name="uq_consignments_site_courier_invoice"),
        Index("ix_consignments_next_check_at", "next_check_at"),
        Index("ix_consignments_site_id_booked_at", "site_id", "booked_at"),
        Index("ix_consignments_site_id_order_wc_id", "site_id", "order_wc_id"),
    )

    order_wc_id: Mapped[int | None]
    invoice: Mapped[str] = mapped_column(String(64))
    courier: Mapped[str] = mapped_column(String(30))
    consignment_id: Mapped[str] = mapped_column(String(40))
    tracking_code: Mapped[str | None] = mapped_column(String(40))
    cod_amount: Mapped[Decimal] = mapped_column(Money)
    # what the courier says it collected: the COD for a delivery; for a partial delivery only
    # once the courier reports the amount (until then unknown, not zero)
    collected_amount: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(40))
    courier_status: Mapped[str | None] = mapped_column(String(60))
    # the moment the answer that set `status` was asked for: an answer asked for earlier
    # (a slow request overtaken by a newer one) is older news and never overwrites it
    status_observed_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[datetime | None]
    # the Bikri status whose mapped WooCommerce status was last written to the order (write-back)
    wc_status_written: Mapped[str | None] = mapped_column(String(40))
    next_check_at: Mapped[datetime | None]  # None once final: never polled again
    check_failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsignmentStatusChange(SiteOwned, db.Model):
    """Status history: one row each time a consignment's status changed, and where we learnt it."""

    __tablename__ = "consignment_status_changes"
    __table_args__ = (Index("ix_consignment_status_changes_consignment_pk_id", "consignment_pk", "id"),)

    consignment_pk: Mapped[int] = mapped_column(ForeignKey("consignments.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(40))
    courier_status: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(20))  # booking | poll | check | webhook
    observed_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BookingAttempt(SiteOwned, db.Model):
    """The booking lock: one row per (site, invoice), taken before anything is sent to a courier,
    so a double click or two staff at once cannot both send. `state`:
    - sending: claimed, the courier may have been called; a claim older than BOOKING_CLAIM_SECONDS
      is taken as a crashed attempt and re-claimed, and the invoice looked up before creating;
    - failed: the courier may or may not hold the parcel (timeout, 5xx): looked up before creating;
    - booked: done (consignment_id is None when the courier had the parcel but never told us its id).
    A parcel the courier definitely refused leaves no row."""

    __tablename__ = "booking_attempts"
    __table_args__ = (UniqueConstraint("site_id", "invoice", name="uq_booking_attempts_site_invoice"),)

    invoice: Mapped[str] = mapped_column(String(64))
    order_wc_id: Mapped[int] = mapped_column(BigInteger)
    courier: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(10))
    consignment_id: Mapped[str | None] = mapped_column(String(40))
    tracking_code: Mapped[str | None] = mapped_column(String(40))
    # the WooCommerce order has `_courier_data` and the note (repaired by the next booking call if not)
    wc_written: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # the booking job (work_jobs.id) whose task holds the claim: that job's task, delivered again
    # after its worker was killed, takes its own claim back at once (and looks the invoice up)
    job_id: Mapped[int | None]
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    booked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
