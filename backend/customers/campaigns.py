"""SMS campaigns (U1 → bulk SMS): one text to a segment, a saved segment, filters, or an uploaded
CSV of phones.

- Created: the audience is resolved into `campaign_recipients` in the database (INSERT ...
  SELECT; a CSV's phones in chunks), unique by (campaign, phone) and without the shop's
  opted-out phones. Nothing is charged yet.
- Started (at once, or by the `start_due_campaigns` job at its time): the whole cost
  (recipients × the text's price) is debited at once, and a job over the recipients is
  started in the bulk lane (backend/tasks: each shop has a capped share of the bulk workers,
  so a 100,000-recipient campaign never delays another shop's checkout codes).
- Sent by the workers (`deliver_chunk`), a chunk of recipients per task: their SMS rows are
  created together (purpose "campaign": the SMS cost page shows them), claimed, then each is
  asked of the gateway with its own message id (the gateway deduplicates). A failure or a phone
  that opted out meanwhile is refunded on its own ledger row.
- Paused: the tasks stop at the next recipient; resumed: the unfinished recipients are queued
  again. A recipient is claimed once (queued → sending with its message), so a resumed or
  redelivered task never sends one recipient twice.
"""
import csv
import io
import json
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, literal, select, update

from backend.customers import segments
from backend.customers.models import Campaign, CampaignRecipient, SmsOptOut
from backend.database import in_list, upsert_insert
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.phones import InvalidPhone, normalise_phone
from backend.sms.config import quote
from backend.sms.encoding import MAX_SEGMENTS
from backend.sms.models import SmsMessage, WalletEntry
from backend.sms.sending import deliver
from backend.sms.wallet import InsufficientBalance, balance_of, credit, take_at_once, validation_error
from backend.tasks import enqueue
from backend.tasks import service as jobs
from backend.tasks.models import WorkJob
from backend.clock import utcnow

TASK = "customers.send_campaign"
RECIPIENTS_PER_TASK = 100
INSERT_CHUNK = 5000
MAX_CSV_ROWS = 200_000
SAMPLE = 10
LIVE = ("queueing", "sending")


def opt_out_line() -> str:
    return _("Reply STOP to stop offers")


def text_of(content: str, with_opt_out: bool) -> str:
    content = (content or "").strip()
    return f"{content}\n{opt_out_line()}" if with_opt_out and content else content


# --- the audience ------------------------------------------------------------------------------

def parse_csv(text: str) -> dict:
    """Phones from an uploaded CSV: the column named phone/mobile (or the first), one per line.
    Bad rows are reported by line number (1 = the file's first line), repeats merged."""
    reader = csv.reader(io.StringIO(text))
    phones, bad, duplicates, column = {}, [], 0, 0
    for line, row in enumerate(reader, start=1):
        if line > MAX_CSV_ROWS:
            bad.append({"line": line, "value": "", "error": _("Too many rows: at most %(n)d.", n=MAX_CSV_ROWS)})
            break
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if line == 1:
            names = [cell.lower() for cell in cells]
            header = next((i for i, name in enumerate(names) if name in ("phone", "mobile", "number", "ফোন", "মোবাইল")), None)
            if header is not None:
                column = header
                continue
        value = cells[column] if column < len(cells) else ""
        try:
            phone = normalise_phone(value)
        except InvalidPhone as error:
            bad.append({"line": line, "value": value[:40], "error": str(error)})
            continue
        if phone in phones:
            duplicates += 1
        else:
            phones[phone] = line
    return {"phones": list(phones), "bad_rows": bad, "duplicates": duplicates}


def audience_filters(site_id: int, audience: dict) -> dict:
    if "segment" in audience:
        return {"segment": audience["segment"]}
    if "saved" in audience:
        saved = segments.saved_segment(site_id, audience["saved"])
        if saved is None:
            raise validation_error("audience", _("That saved segment does not exist."))
        return segments.filters_of(saved)
    return audience.get("filters") or {}


def _not_opted_out(site_id: int, phone_column):
    return ~exists().where(SmsOptOut.site_id == site_id, SmsOptOut.phone == phone_column)


def _opted_out_count(site_id: int, phones: list[str]) -> int:
    found = 0
    for begin in range(0, len(phones), INSERT_CHUNK):
        found += db.session.execute(select(func.count()).select_from(SmsOptOut).where(
            SmsOptOut.site_id == site_id, in_list(SmsOptOut.phone, phones[begin:begin + INSERT_CHUNK]))).scalar_one()
    return found


def _price(site: Site, text: str):
    if not text:
        raise validation_error("content", _("Write the message; it is empty."))
    price = quote(site, text)
    if price.segments > MAX_SEGMENTS:
        raise validation_error("content", _("The message needs %(n)s SMS; at most %(most)s are allowed. Shorten it.",
                                            n=price.segments, most=MAX_SEGMENTS))
    return price


def preview(site: Site, *, content: str, audience: dict, with_opt_out: bool = True, phones: list | None = None) -> dict:
    """What a campaign would send: recipients (opted-out phones left out), a sample, SMS per
    message, the exact total and the balance it comes from. Writes nothing."""
    text = text_of(content, with_opt_out)
    price = _price(site, text)
    if phones is not None:
        opted_out = _opted_out_count(site.id, phones)
        count, sample = len(phones) - opted_out, phones[:SAMPLE]
    else:
        filters = audience_filters(site.id, audience)
        query = segments.phones_query(site.id, filters)
        everyone = segments.count(site.id, filters)
        audience_rows = query.where(_not_opted_out(site.id, query.selected_columns[0])).subquery()
        count = db.session.execute(select(func.count()).select_from(audience_rows)).scalar_one()
        opted_out = everyone - count
        sample = db.session.execute(select(audience_rows.c.phone).limit(SAMPLE)).scalars().all()
    total = price.cost * count
    balance = balance_of(site.id)
    return {"recipients": count, "opted_out": opted_out, "sample": list(sample), "text": text,
            "segments": price.segments, "encoding": price.encoding, "unit_cost": price.cost, "total_cost": total,
            "balance": balance, "enough": balance >= total}


# --- creating and starting -----------------------------------------------------------------------

def create(site: Site, *, name: str, content: str, audience: dict, with_opt_out: bool = True, phones: list | None = None,
           scheduled_at=None, created_by: str | None = None) -> Campaign:
    text = text_of(content, with_opt_out)
    price = _price(site, text)
    now = utcnow()
    campaign = Campaign(site_id=site.id, name=name.strip()[:120] or _("Campaign"), content=text,
                        opt_out_line=with_opt_out, audience=json.dumps(
                            {"csv": len(phones)} if phones is not None else audience),
                        status="scheduled" if scheduled_at and scheduled_at > now else "queueing",
                        scheduled_at=scheduled_at, segments=price.segments, encoding=price.encoding,
                        unit_cost=price.cost, unit_gateway_cost=price.gateway_cost, created_by=created_by, created_at=now)
    db.session.add(campaign)
    db.session.flush()
    r = CampaignRecipient.__table__
    if phones is not None:
        for begin in range(0, len(phones), INSERT_CHUNK):
            chunk = phones[begin:begin + INSERT_CHUNK]
            opted = set(db.session.execute(select(SmsOptOut.phone).where(
                SmsOptOut.site_id == site.id, in_list(SmsOptOut.phone, chunk))).scalars())
            rows = [{"campaign_id": campaign.id, "site_id": site.id, "phone": p, "status": "queued"}
                    for p in chunk if p not in opted]
            if rows:
                db.session.execute(upsert_insert(CampaignRecipient).values(rows)
                                   .on_conflict_do_nothing(index_elements=["campaign_id", "phone"]))
    else:
        query = segments.phones_query(site.id, audience_filters(site.id, audience))
        phone = query.selected_columns[0]
        db.session.execute(insert(r).from_select(
            ["campaign_id", "site_id", "phone", "status"],
            query.with_only_columns(literal(campaign.id), literal(site.id), phone, literal("queued"))
            .where(_not_opted_out(site.id, phone))))
    campaign.recipients = db.session.execute(select(func.count()).select_from(r)
                                             .where(r.c.campaign_id == campaign.id)).scalar_one()
    if campaign.recipients == 0:
        raise validation_error("audience", _("Nobody to send to: the audience is empty or every phone opted out."))
    if campaign.status == "queueing":
        start(site, campaign)
    return campaign


def start(site: Site, campaign: Campaign) -> Campaign:
    """Debit the whole campaign at once and queue its recipients in the bulk lane."""
    jobs.require_queue()
    total = campaign.unit_cost * campaign.recipients
    take_at_once(site.id, total, lambda **amounts: _(
        "This campaign costs %(cost)s taka and the balance is %(balance)s taka. Recharge to send.", **amounts))
    now = utcnow()
    if total > 0:
        db.session.add(WalletEntry(site_id=site.id, amount=-total, kind="sms", reference=f"campaign-{campaign.id}",
                                   note=_("SMS campaign: %(n)d messages", n=campaign.recipients), created_at=now))
    ids = db.session.execute(select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign.id)
                             .order_by(CampaignRecipient.id)).scalars().all()
    campaign.total_cost, campaign.status, campaign.started_at = total, "sending", now
    db.session.flush()  # the tasks read the campaign (inline mode runs them right here)
    job = jobs.start_job(site.id, "sms_campaign", ids, TASK, per_task=RECIPIENTS_PER_TASK,
                         params={"campaign_id": campaign.id, "locale": jobs.asker_locale()})
    campaign.job_id = job.id
    return campaign


def start_due_campaigns() -> int:
    """The job (every minute): start the scheduled campaigns whose time came. One short of
    balance fails with the reason (the shop sees it on the campaign) and nothing is charged."""
    due = db.session.execute(select(Campaign).where(Campaign.status == "scheduled", Campaign.scheduled_at <= utcnow())
                             .order_by(Campaign.scheduled_at, Campaign.id).limit(50)).scalars().all()
    for campaign in due:
        site = db.session.get(Site, campaign.site_id)
        try:  # start() refuses before it writes anything (the debit is its first write), so no savepoint
            start(site, campaign)
        except InsufficientBalance as error:  # (a broker down raises on: the next run tries again)
            campaign.status, campaign.error, campaign.finished_at = "failed", str(error.message)[:500], utcnow()
    return len(due)


# --- pausing ----------------------------------------------------------------------------------

def campaign_for(site_id: int, campaign_id: int) -> Campaign | None:
    return db.session.execute(select(Campaign).where(Campaign.id == campaign_id, Campaign.site_id == site_id)
                              ).scalar_one_or_none()


def pause(campaign: Campaign) -> Campaign:
    if campaign.status not in ("sending", "scheduled"):
        raise ApiError(_("Only a campaign that is sending or scheduled can be paused."), code="conflict", status=409)
    campaign.status = "paused"
    return campaign


def resume(site: Site, campaign: Campaign) -> Campaign:
    """Queue again what is not finished; a scheduled campaign paused before it started starts now."""
    if campaign.status != "paused":
        raise ApiError(_("Only a paused campaign can be resumed."), code="conflict", status=409)
    if campaign.job_id is None:
        campaign.status = "queueing"
        return start(site, campaign)
    jobs.require_queue()
    campaign.status = "sending"
    db.session.execute(update(WorkJob).where(WorkJob.id == campaign.job_id, WorkJob.status == "paused")
                       .values(status="running"))
    db.session.flush()
    pending = db.session.execute(select(CampaignRecipient.id).where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status.in_(("queued", "sending")))
        .order_by(CampaignRecipient.id)).scalars().all()
    job = jobs.job_for_site(site.id, campaign.job_id)
    for begin in range(0, len(pending), RECIPIENTS_PER_TASK):
        enqueue(job.task, site_id=site.id, job_id=job.id,
                items=[str(i) for i in pending[begin:begin + RECIPIENTS_PER_TASK]])
    if not pending:
        _finish(campaign)
    return campaign


def cancel(campaign: Campaign) -> Campaign:
    """A scheduled campaign that has not started is dropped (nothing was charged)."""
    if campaign.status != "scheduled" and not (campaign.status == "paused" and campaign.job_id is None):
        raise ApiError(_("Only a campaign that has not started can be cancelled."), code="conflict", status=409)
    campaign.status, campaign.finished_at = "cancelled", utcnow()
    return campaign


# --- the workers --------------------------------------------------------------------------------

def _status(campaign_id: int) -> str:
    return db.session.execute(select(Campaign.status).where(Campaign.id == campaign_id)).scalar_one()


def deliver_chunk(site_id: int, job_id: int, items: list[str]) -> None:
    job = jobs.job_for_site(site_id, job_id)
    campaign = campaign_for(site_id, jobs.params_of(job)["campaign_id"]) if job is not None else None
    if campaign is None:
        return
    if campaign.status != "sending":
        _job_paused(job_id, campaign.status)
        return  # paused (resume queues what is left) or finished
    done = jobs.recorded_items(job_id)
    ids = [int(i) for i in items if i not in done]
    if not ids:
        return
    recipients = db.session.execute(select(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id, in_list(CampaignRecipient.id, ids))
        .order_by(CampaignRecipient.id)).scalars().all()
    # the chunk's messages are written together and the recipients claimed with them, in one commit
    fresh = [r for r in recipients if r.status == "queued"]
    if fresh:
        opted = set(db.session.execute(select(SmsOptOut.phone).where(
            SmsOptOut.site_id == site_id, in_list(SmsOptOut.phone, [r.phone for r in fresh]))).scalars())
        now = utcnow()
        sendable = [r for r in fresh if r.phone not in opted]
        message_ids = db.session.execute(insert(SmsMessage).returning(SmsMessage.id, sort_by_parameter_order=True), [
            {"site_id": site_id, "phone": r.phone, "content": campaign.content, "purpose": "campaign",
             "encoding": campaign.encoding, "segments": campaign.segments, "cost": campaign.unit_cost,
             "gateway_cost": campaign.unit_gateway_cost, "status": "sending", "job_id": job_id, "created_at": now}
            for r in sendable]).scalars().all() if sendable else []
        for recipient, message_id in zip(sendable, message_ids):
            recipient.status, recipient.message_id = "sending", message_id
        for recipient in fresh:
            if recipient.phone in opted:
                recipient.status = "opted_out"
                if campaign.unit_cost > 0:
                    credit(site_id, campaign.unit_cost, kind="refund", reference=f"campaign-{campaign.id}-{recipient.id}",
                           note=_("Campaign SMS not sent (opted out): refunded"))
                jobs.record_item(job_id, recipient.id, "opted_out")
    # `deliver`'s remote_step keeps what is written before the gateway is asked (the messages
    # above claimed, "sending", and charged; the previous recipient's outcome) and the answer at
    # once after; the last recipient's outcome is kept by the task's end (a run that fails
    # before records it again from its message's status)
    for recipient in recipients:
        if recipient.status != "sending" or str(recipient.id) in done:
            continue
        status = _status(campaign.id)  # (the row read above is not refreshed by the commits in between)
        if status != "sending":
            _job_paused(job_id, status)
            return  # paused between two recipients: the rest waits for resume
        message = db.session.get(SmsMessage, recipient.message_id)
        if message.status == "sending":
            message = deliver(message)
        recipient.status = message.status if message.status in ("sent", "failed") else recipient.status
        jobs.record_item(job_id, recipient.id, message.status, message.error or "")
    if db.session.execute(select(WorkJob.status).where(WorkJob.id == job_id)).scalar_one() == "done":
        _finish(campaign)


def _job_paused(job_id: int, status: str) -> None:
    """A paused campaign's job says so, so the stalled-job sweeper (backend/tasks) does not
    queue its recipients again and again while it waits; resume sets it running."""
    if status == "paused":
        db.session.execute(update(WorkJob).where(WorkJob.id == job_id, WorkJob.status.in_(("queued", "running")))
                           .values(status="paused"))


def _finish(campaign: Campaign) -> None:
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id, Campaign.status == "sending")
                       .values(status="done", finished_at=utcnow()))


# --- the report ----------------------------------------------------------------------------------

def report(campaign: Campaign) -> dict:
    counts = dict(db.session.execute(select(CampaignRecipient.status, func.count())
                                     .where(CampaignRecipient.campaign_id == campaign.id)
                                     .group_by(CampaignRecipient.status)).all())
    refunded = campaign.unit_cost * (counts.get("failed", 0) + counts.get("opted_out", 0)) if campaign.job_id else Decimal("0")
    return {"id": campaign.id, "name": campaign.name, "status": campaign.status, "content": campaign.content,
            "scheduled_at": campaign.scheduled_at, "started_at": campaign.started_at,
            "finished_at": campaign.finished_at, "recipients": campaign.recipients, "segments": campaign.segments,
            "unit_cost": campaign.unit_cost, "charged": campaign.total_cost, "refunded": refunded,
            "cost": campaign.total_cost - refunded, "error": campaign.error,
            "sent": counts.get("sent", 0), "failed": counts.get("failed", 0), "opted_out": counts.get("opted_out", 0),
            "waiting": counts.get("queued", 0) + counts.get("sending", 0)}


def campaigns_of(site_id: int, limit: int = 50) -> list[Campaign]:
    return list(db.session.execute(select(Campaign).where(Campaign.site_id == site_id)
                                   .order_by(Campaign.id.desc()).limit(limit)).scalars())


# --- opt-outs -----------------------------------------------------------------------------------

def opt_out(site_id: int, phone: str) -> None:
    db.session.execute(upsert_insert(SmsOptOut).values(site_id=site_id, phone=phone, created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["site_id", "phone"]))


def opt_in(site_id: int, phone: str) -> bool:
    return bool(db.session.execute(delete(SmsOptOut).where(SmsOptOut.site_id == site_id, SmsOptOut.phone == phone)).rowcount)
