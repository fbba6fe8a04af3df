"""A shop's notification settings, its rule per status, what was sent (one row per order, status
and channel, ever), phones that opted out, and the shop's in-app alerts."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow


class NotificationSettings(db.Model):
    """One row per shop, made on first use with these defaults."""

    __tablename__ = "notification_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), default="bn")  # which template the customer gets
    quiet_enabled: Mapped[bool] = mapped_column(default=False)
    quiet_start: Mapped[str] = mapped_column(String(5), default="22:00")  # Dhaka time, HH:MM
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    opt_out_link: Mapped[bool] = mapped_column(default=False)  # append the /o/<token> link
    owner_phone: Mapped[str | None] = mapped_column(String(16))
    owner_sms: Mapped[bool] = mapped_column(default=False)  # shop alerts also by SMS to the owner
    stuck_days: Mapped[int] = mapped_column(default=5)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))


class StatusRule(SiteOwned, db.Model):
    """What a status sends: SMS and/or email, and the shop's own texts (None: the default)."""

    __tablename__ = "notification_rules"
    __table_args__ = (UniqueConstraint("site_id", "status", name="uq_notification_rules_site_status"),)

    status: Mapped[str] = mapped_column(String(40))
    sms: Mapped[bool] = mapped_column(default=False)
    email: Mapped[bool] = mapped_column(default=False)
    text_bn: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)


class NotificationSend(SiteOwned, db.Model):
    """One notification of one order for one status on one channel, claimed (inserted) before
    anything is queued: the unique key makes a flapping status send nothing twice. `state`:
    pending (waits for `due_at`), queued (handed to the SMS domain or the email task), sent,
    skipped (opted out, no phone), failed (the reason in `detail`)."""

    __tablename__ = "notification_sends"
    __table_args__ = (
        UniqueConstraint("site_id", "order_wc_id", "status", "channel", name="uq_notification_sends_key"),
        Index("ix_notification_sends_state_due_at", "state", "due_at"),
    )

    order_wc_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # sms | email | owner
    state: Mapped[str] = mapped_column(String(10), default="pending")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    phone: Mapped[str | None] = mapped_column(String(16))
    courier: Mapped[str | None] = mapped_column(String(30))
    consignment: Mapped[str | None] = mapped_column(String(40))
    message_id: Mapped[int | None]  # the SMS domain's message (single sends)
    job_id: Mapped[int | None]  # the SMS domain's batch job (many at once)
    detail: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class OptOut(SiteOwned, db.Model):
    """A phone that asked this shop for no more status messages (the link, or a STOP reply)."""

    __tablename__ = "notification_opt_outs"
    __table_args__ = (UniqueConstraint("site_id", "phone", name="uq_notification_opt_outs_site_phone"),)

    phone: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(10))  # link | stop
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(SiteOwned, db.Model):
    """An in-app alert to the shop (N2): a parcel returned, partly delivered, on hold, stuck.
    One per parcel and kind."""

    __tablename__ = "notification_alerts"
    __table_args__ = (
        UniqueConstraint("site_id", "consignment_pk", "kind", name="uq_notification_alerts_parcel_kind"),
        Index("ix_notification_alerts_site_id_read_at", "site_id", "read_at"),
    )

    kind: Mapped[str] = mapped_column(String(20))  # returned | partial | hold | stuck
    consignment_pk: Mapped[int] = mapped_column(BigInteger)
    order_wc_id: Mapped[int | None] = mapped_column(BigInteger)
    courier: Mapped[str | None] = mapped_column(String(30))
    consignment: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
