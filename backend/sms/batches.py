"""Bulk SMS (S2 for many numbers at once): one request takes up to MAX_BATCH messages, debits
their whole cost at once and answers with a job; the messages go out through the bulk lane,
where each shop has a capped share of the workers, so one shop's thousands of messages never
delay another shop's checkout codes or single messages.

Each row is checked on its own: a bad number or an empty text is reported by its position and
the rest go out; the same number with the same text twice is sent once."""
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from backend.activity import service as activity
from backend.extensions import db
from backend.licensing.models import Site
from backend.phones import InvalidPhone, normalise_phone
from backend.sms.config import quote, rate_for_plan
from backend.sms.encoding import MAX_SEGMENTS
from backend.sms.models import SmsMessage, WalletEntry
from backend.sms.sending import deliver
from backend.sms.wallet import take_at_once, validation_error
from backend.tasks import service as jobs
from backend.clock import utcnow

MAX_BATCH = 1000
MESSAGES_PER_TASK = 20


def _checked_rows(site: Site, rows: list[dict]):
    """(accepted (phone, content, quote), rejected [{index, errors}], duplicates)."""
    accepted, rejected, seen, duplicates, prices = [], [], set(), 0, {}
    rate = rate_for_plan(site.license.plan)  # once: every row's text may differ (status messages)
    for index, row in enumerate(rows):
        errors = {}
        try:
            phone = normalise_phone(row.get("phone") or "")
        except InvalidPhone as error:
            errors["phone"] = [str(error)]
        content = (row.get("content") or "").strip()
        if not content:
            errors["content"] = [_("Write the message; it is empty.")]
        else:
            if content not in prices:
                prices[content] = quote(site, content, rate)
            if prices[content].segments > MAX_SEGMENTS:
                errors["content"] = [_("The message needs %(n)s SMS; at most %(most)s are allowed. Shorten it.",
                                       n=prices[content].segments, most=MAX_SEGMENTS)]
        if errors:
            rejected.append({"index": index, "errors": errors})
        elif (phone, content) in seen:
            duplicates += 1
        else:
            seen.add((phone, content))
            accepted.append((phone, content, prices[content]))
    return accepted, rejected, duplicates


def start_batch(site: Site, rows: list[dict], *, purpose: str = "marketing", started_by: str | None = None) -> dict:
    """Check every row, debit the accepted rows' cost at once, store them queued and start the
    job that sends them. Refused as a whole only when nothing can be sent or the balance is short."""
    jobs.require_queue()
    accepted, rejected, duplicates = _checked_rows(site, rows)
    if not accepted:
        raise _all_rejected(rejected)
    total = sum((price.cost for _phone, _content, price in accepted), Decimal("0"))
    left = take_at_once(site.id, total, lambda **amounts: _(
        "These %(n)d SMS cost %(cost)s taka and the balance is %(balance)s taka. Recharge to send.",
        n=len(accepted), **amounts))
    now = utcnow()
    ids = db.session.execute(insert(SmsMessage).returning(SmsMessage.id, sort_by_parameter_order=True), [
        {"site_id": site.id, "phone": phone, "content": content, "purpose": purpose, "encoding": price.encoding,
         "segments": price.segments, "cost": price.cost, "gateway_cost": price.gateway_cost, "status": "queued",
         "created_at": now} for phone, content, price in accepted]).scalars().all()
    job = jobs.start_job(site.id, "sms_batch", ids, "sms.deliver_batch", per_task=MESSAGES_PER_TASK,
                         started_by=started_by)
    # the batch's job sends these; the single-message sweeper leaves them to it
    db.session.execute(update(SmsMessage).where(SmsMessage.id.in_(ids)).values(job_id=job.id))
    # one ledger row for the batch's debit; each message that fails is refunded on its own row
    db.session.add(WalletEntry(site_id=site.id, amount=-total, kind="sms", reference=f"batch-{job.id}",
                               note=_("Bulk SMS: %(n)d messages", n=len(ids)), created_at=now))
    activity.record(site.id, "sms_batch", f"{len(ids)} SMS", None,
                    {"job": job.id, "purpose": purpose, "messages": len(ids), "cost": total})
    return {"job": job, "accepted": len(ids), "rejected": rejected, "duplicates": duplicates, "cost": total,
            "balance": left}


def _all_rejected(rejected):
    error = validation_error("messages", _("No message in this batch can be sent; each row's problem is listed."))
    error.details = {"messages": {str(row["index"]): row["errors"] for row in rejected}}
    return error


def deliver_batch(site_id: int, job_id: int, items: list[str]) -> None:
    """Send a chunk of a batch, each message once: a message is claimed (queued → sending) before
    the gateway is asked, and one left "sending" by a killed worker is asked again with the same
    message id, which the gateway recognises."""
    done = jobs.recorded_items(job_id)
    # each message's claim is kept before the gateway is asked, and its outcome at once after
    # (`deliver`'s remote_step); its job item is kept by the next message's step, the last by the
    # task's end: a run that fails in between records it again from the message's status
    for item in items:
        if item in done:
            continue
        # claimed: `deliver` commits it before the gateway is asked
        db.session.execute(update(SmsMessage).where(SmsMessage.id == int(item), SmsMessage.status == "queued")
                           .values(status="sending"))
        message = db.session.execute(select(SmsMessage).where(SmsMessage.id == int(item),
                                                              SmsMessage.site_id == site_id)).scalar_one()
        if message.status == "sending":
            deliver(message)
        jobs.record_item(job_id, item, message.status, message.error or "")
