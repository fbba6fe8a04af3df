"""The job: checkouts idle past the shop's delay become abandoned, due reminders go out (SMS,
optional one-time coupon), chased ones are lost at last. Reminder n of checkout c is the SMS
with idempotency key "abandoned-<c>-<n>", so a job that dies mid-way and runs again never sends
or charges twice.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from backend.abandoned.capture import close_checkout, order_since
from backend.abandoned.models import AbandonedCheckout, AbandonedOptOut, AbandonedSettings
from backend.abandoned.settings import CHASED, DEFAULT_TEXTS_NO_COUPON, N_, render_text, text_template
from backend.commits import remote_step
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce, WooCommerceError, format_wc_time
from backend.licensing.models import Site
from backend.security import keyed_hash
from backend.sms import service as sms
from backend.sms.models import SmsMessage
from backend.clock import utcnow


BATCH = 200


def _sites_with(column, site_id: int | None = None) -> list[AbandonedSettings]:
    query = select(AbandonedSettings).where(column.is_(True))
    if site_id is not None:
        query = query.where(AbandonedSettings.site_id == site_id)
    return db.session.execute(query).scalars().all()


def mark_abandoned(now: datetime | None = None, site_id: int | None = None) -> int:
    """Open checkouts idle past their shop's delay: abandoned, unless the phone ordered meanwhile
    (an order the sync stored before the capture's last update, say)."""
    now = now or utcnow()
    count = 0
    for settings in _sites_with(AbandonedSettings.capture_enabled, site_id):
        due = db.session.execute(
            select(AbandonedCheckout).where(
                AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.status == "open",
                AbandonedCheckout.updated_at <= now - timedelta(minutes=settings.abandon_after_minutes))
            .order_by(AbandonedCheckout.id).limit(BATCH)
        ).scalars().all()
        for row in due:
            order = order_since(row.site_id, row.phone, row.created_at)
            if order is not None:
                close_checkout(row, order, now)
            else:
                row.status, row.abandoned_at = "abandoned", now
                count += 1
    return count


def mark_lost(now: datetime | None = None, site_id: int | None = None) -> int:
    now = now or utcnow()
    count = 0
    query = select(AbandonedSettings)
    if site_id is not None:
        query = query.where(AbandonedSettings.site_id == site_id)
    for settings in db.session.execute(query).scalars().all():
        count += db.session.execute(
            update(AbandonedCheckout).where(
                AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.status.in_(CHASED),
                AbandonedCheckout.abandoned_at <= now - timedelta(days=settings.lost_after_days))
            .values(status="lost", closed_at=now).execution_options(synchronize_session=False)
        ).rowcount
    return count


def coupon_code(site: Site, row: AbandonedCheckout) -> str:
    """The checkout's own code: the same on every try, so a retried creation finds it made."""
    return "BK-" + keyed_hash("abandoned-coupon", f"{site.id}:{row.id}")[:8].upper()


def create_coupon(site: Site, settings: AbandonedSettings, row: AbandonedCheckout, now: datetime) -> str:
    """A one-time percent coupon in the shop's WooCommerce, through its REST API."""
    code = coupon_code(site, row)
    body = {"code": code, "discount_type": "percent", "amount": str(settings.coupon_percent),
            "individual_use": True, "usage_limit": 1, "usage_limit_per_user": 1,
            "date_expires_gmt": format_wc_time(now + timedelta(days=settings.coupon_days)),
            "description": f"Bikri: abandoned checkout #{row.id}"}
    if row.email:
        body["email_restrictions"] = [row.email]
    try:
        WooCommerce.for_site(site, retries=1).request("POST", "coupons", data=body)
    except WooCommerceError as error:
        if error.code != "woocommerce_rest_coupon_code_already_exists":
            raise
    return code


@dataclass
class ReminderRun:
    sent: int = 0
    skipped: int = 0


def _due_reminders(settings: AbandonedSettings, now: datetime):
    # Checkouts cost nothing to start, reminders cost the shop SMS money: a phone gets one
    # reminder series a day, however many checkouts (real or forged) carry it.
    reminded_today = select(AbandonedCheckout.phone).where(
        AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.reminded_at > now - timedelta(days=1))
    due = [and_(AbandonedCheckout.reminders_sent == 0,
                AbandonedCheckout.abandoned_at <= now - timedelta(minutes=settings.reminder1_minutes),
                AbandonedCheckout.phone.not_in(reminded_today))]
    if settings.reminder2_minutes:
        due.append(and_(AbandonedCheckout.reminders_sent == 1,
                        AbandonedCheckout.reminded_at <= now - timedelta(minutes=settings.reminder2_minutes)))
    opted_out = select(AbandonedOptOut.phone).where(AbandonedOptOut.site_id == settings.site_id)
    return db.session.execute(
        select(AbandonedCheckout).where(
            AbandonedCheckout.site_id == settings.site_id, AbandonedCheckout.status.in_(CHASED),
            AbandonedCheckout.opted_out.is_(False), AbandonedCheckout.phone.not_in(opted_out), or_(*due))
        .order_by(AbandonedCheckout.id).limit(BATCH)
    ).scalars().all()


def send_reminders(now: datetime | None = None, site_id: int | None = None) -> ReminderRun:
    now = now or utcnow()
    run = ReminderRun()
    for settings in _sites_with(AbandonedSettings.reminders_enabled, site_id):
        site = db.session.get(Site, settings.site_id)
        if site is None or not site.is_active:
            continue  # a site that left Bikri gets no SMS on its money
        allowance = current_app.config["ABANDONED_REMINDERS_PER_DAY"] - reminders_sent_today(site.id, now)
        first_reminded = set()  # phones started on a series in this run (the query saw none yet)
        for row in _due_reminders(settings, now):
            if row.reminders_sent == 0 and row.phone in first_reminded:
                continue
            first_reminded.add(row.phone)
            if allowance <= 0:
                row.reminder_note = N_("Not sent yet: the shop's reminders for today are used up.")
                run.skipped += 1
                continue
            allowance -= 1
            if _remind(site, settings, row, now):
                run.sent += 1
            else:
                run.skipped += 1
    return run


def reminders_sent_today(site_id: int, now: datetime) -> int:
    """Reminder SMS the shop paid for in the last 24 hours (refunded ones do not count)."""
    return db.session.execute(
        select(func.count(SmsMessage.id)).where(
            SmsMessage.site_id == site_id, SmsMessage.purpose == "abandoned_cart",
            SmsMessage.created_at > now - timedelta(days=1), SmsMessage.status != "failed")
    ).scalar_one()


def _remind(site: Site, settings: AbandonedSettings, row: AbandonedCheckout, now: datetime) -> bool:
    """Send reminder n of this checkout once; False (with the reason noted on the row) when it could not go."""
    number = row.reminders_sent + 1
    # Nothing earlier in the run (marks, notes, the last reminder) waits open on WooCommerce, nor
    # is lost to the rollbacks below; and the coupon survives a refused send's rollback: never
    # made twice.
    with remote_step():
        if settings.coupon_enabled and row.coupon_code is None:
            try:
                row.coupon_code = create_coupon(site, settings, row, now)
            except WooCommerceError as error:
                row.reminder_note = f"The coupon could not be made: {error.message}"[:300]
                return False
    template = text_template(settings, number)
    if "{coupon}" in template and not row.coupon_code:
        template = DEFAULT_TEXTS_NO_COUPON[settings.sms_language]
    content = render_text(site, settings, template, name=row.name, token=row.reason_token, coupon=row.coupon_code)
    try:
        message = sms.send_sms(site, phone=row.phone, content=content, purpose="abandoned_cart",
                               idempotency_key=f"abandoned-{row.id}-{number}")
    except sms.InsufficientBalance:
        # S8: the job goes on; the list says why this shopper got nothing (send_sms rolled back)
        row = db.session.get(AbandonedCheckout, row.id)
        row.reminder_note = N_("Not sent: no SMS balance.")
        return False
    except ApiError as error:  # rate limited, or a text the wallet refused
        db.session.rollback()
        row = db.session.get(AbandonedCheckout, row.id)
        row.reminder_note = f"Not sent: {error.message}"[:300]
        return False
    row = db.session.get(AbandonedCheckout, row.id)
    row.reminders_sent, row.reminded_at = number, now
    if message.status == "failed":
        # the key is spent on a refunded message; this reminder is not tried again
        row.reminder_note = f"Reminder {number} failed: {message.error or 'not sent'}"[:300]
        return False
    if row.status in CHASED:
        row.status = "reminded"
    row.reminder_note = None
    return True


def sites_with_checkouts_to_follow() -> list[int]:
    """Shops with a checkout still open or being chased: the only ones the job can move (the
    scheduler's per-shop list)."""
    return list(db.session.execute(
        select(AbandonedCheckout.site_id).where(AbandonedCheckout.status.in_(["open", *CHASED]))
        .distinct().order_by(AbandonedCheckout.site_id)).scalars())


def run_for_site(site_id: int) -> dict:
    """One shop's turn of the job: mark abandoned, send due reminders, mark lost."""
    return run_job(site_id=site_id)


def run_job(site_id: int | None = None) -> dict:
    """The job: mark abandoned, send due reminders, mark lost (one shop's, or every shop's)."""
    abandoned = mark_abandoned(site_id=site_id)
    reminders = send_reminders(site_id=site_id)
    lost = mark_lost(site_id=site_id)
    return {"abandoned": abandoned, "sent": reminders.sent, "skipped": reminders.skipped, "lost": lost}
