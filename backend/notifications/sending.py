"""What the workers do with claimed notifications (notifications/tasks.py): the dispatch takes a
shop's due rows and hands them on — SMS to the SMS domain (one by one, or as batches when there
are many), emails to their own task, which writes the order meta the plugin's WC_Email classes
listen for. Every step is idempotent: a row moves pending → claimed → queued/sent/skipped/failed
by conditional UPDATEs, and a repeated task finds it moved on."""
from decimal import Decimal

from sqlalchemy import select, update

from backend.couriers.models import Consignment
from backend.database import in_list
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce, WooCommerceError, order_missing
from backend.licensing.models import Site
from backend.notifications import opt_outs, service
from backend.notifications.models import NotificationSend, NotificationSettings, OptOut
from backend.orders.models import Order
from backend.sms import service as sms
from backend.sms.batches import start_batch
from backend.tasks import QueueUnavailable, enqueue
from backend.clock import utcnow

_SEND = NotificationSend.__table__


def _finish(send_id: int, state: str, detail: str | None = None, **extra) -> None:
    db.session.execute(update(NotificationSend).where(NotificationSend.id == send_id)
                       .values(state=state, detail=(detail or None) and detail[:300], done_at=utcnow(), **extra))


def dispatch(site_id: int) -> int:
    """Hand on the shop's due rows (claimed by one conditional UPDATE, so two dispatches never
    take the same row). Returns how many rows it took."""
    now = utcnow()
    taken = db.session.execute(
        update(NotificationSend)
        .where(NotificationSend.site_id == site_id, NotificationSend.state == "pending", NotificationSend.due_at <= now)
        .values(state="claimed").returning(NotificationSend.id, NotificationSend.channel)
        .execution_options(synchronize_session=False)).all()
    if not taken:
        return 0
    texts = [send_id for send_id, channel in taken if channel in ("sms", "owner")]
    for send_id, channel in taken:
        if channel == "email":
            enqueue("notifications.email", site_id=site_id, send_id=send_id)
    if len(texts) <= service.SINGLE_SENDS:
        for send_id in texts:
            enqueue("notifications.sms", site_id=site_id, send_id=send_id)
    else:
        _send_as_batches(site_id, sorted(texts))
    return len(taken)


class Texts:
    """Everything a shop's texts need, read once for many rows."""

    def __init__(self, site: Site, rows: list[NotificationSend]):
        self.site = site
        self.settings = db.session.get(NotificationSettings, site.id) or NotificationSettings(
            site_id=site.id, language="bn", opt_out_link=False)
        self.rules = service.rules_of(site.id)
        self.shop = service.shop_name(site)
        wc_ids = list({row.order_wc_id for row in rows})
        self.orders = {row.wc_id: row for row in db.session.execute(
            select(Order.wc_id, Order.number, Order.billing_name, Order.total, Order.phone)
            .where(Order.site_id == site.id, in_list(Order.wc_id, wc_ids))).all()} if wc_ids else {}
        self.parcels = {}
        if wc_ids:
            for parcel in db.session.execute(
                    select(Consignment.order_wc_id, Consignment.courier, Consignment.consignment_id, Consignment.tracking_code)
                    .where(Consignment.site_id == site.id, in_list(Consignment.order_wc_id, wc_ids))
                    .order_by(Consignment.id)).all():
                self.parcels[parcel.order_wc_id] = parcel  # the latest booking wins
        phones = list({row.phone for row in rows if row.phone})
        self.opted_out = set(db.session.execute(select(OptOut.phone).where(
            OptOut.site_id == site.id, in_list(OptOut.phone, phones))).scalars()) if phones else set()

    def skip_reason(self, row: NotificationSend) -> str | None:
        if not row.phone:
            return "no mobile number on the order"
        if row.channel == "sms" and row.phone in self.opted_out:
            return "opted out"
        return None

    def content(self, row: NotificationSend) -> str:
        order = self.orders.get(row.order_wc_id)
        parcel = self.parcels.get(row.order_wc_id)
        courier = row.courier or (parcel.courier if parcel else None)
        consignment = row.consignment or (parcel.consignment_id if parcel else None)
        code = (parcel.tracking_code if parcel else None) or consignment
        values = {"order": f"#{(order.number if order else None) or row.order_wc_id}",
                  "total": _amount(order.total) if order else "", "courier": (courier or "").title(),
                  "consignment": consignment or "", "shop": self.shop,
                  "tracking_link": service.TRACKING_URLS[courier].format(code=code) if courier in service.TRACKING_URLS and code else ""}
        if row.channel == "owner":
            return service.render(service.OWNER_TEXTS[row.status.removeprefix("alert_")], values)
        language = self.settings.language
        first = ((order.billing_name if order else None) or "").split(" ")[0][:20]
        values["name"] = first or ("Dear customer" if language == "en" else "প্রিয় গ্রাহক")
        values["status"] = row.status.replace("_", " ").replace("-", " ")
        rule = self.rules.get(row.status)
        template = (getattr(rule, f"text_{language}") if rule else None) or service.default_text(row.status, language)
        text = service.render(template, values)
        if self.settings.opt_out_link:
            text += service.opt_out_suffix(language, opt_outs.opt_out_token(self.site.id, row.phone))
        return text


def _amount(value) -> str:
    value = Decimal(value or 0)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _rows(site_id: int, ids: list[int]) -> list[NotificationSend]:
    return db.session.execute(select(NotificationSend).where(NotificationSend.site_id == site_id,
                                                             in_list(NotificationSend.id, ids))).scalars().all()


def _send_as_batches(site_id: int, ids: list[int]) -> None:
    """Many SMS at once (a bulk status change): SMS batches of a thousand, each one debit and one
    job in the bulk lane, so a shop's big day never delays other shops' single messages."""
    site = db.session.get(Site, site_id)
    for start in range(0, len(ids), service.BATCH):
        rows = _rows(site_id, ids[start:start + service.BATCH])
        texts = Texts(site, rows)
        going = []
        for row in rows:
            reason = texts.skip_reason(row)
            if reason:
                _finish(row.id, "skipped", reason)
            else:
                going.append((row, texts.content(row)))
        if not going:
            continue
        try:
            result = start_batch(site, [{"phone": row.phone, "content": content} for row, content in going],
                                 purpose="order_status", started_by="notifications")
        except QueueUnavailable:
            raise  # the task is retried; nothing was written
        except ApiError as error:  # the balance is short, every number refused: nothing was debited
            for row, _content in going:
                _finish(row.id, "failed", error.message)
            continue
        db.session.execute(update(NotificationSend).where(in_list(NotificationSend.id, [row.id for row, _c in going]))
                           .values(state="queued", job_id=result["job"].id, done_at=utcnow())
                           .execution_options(synchronize_session=False))


def send_one(site_id: int, send_id: int) -> str:
    """One SMS through the SMS domain's send path (debited and queued; a worker delivers it)."""
    row = db.session.execute(select(NotificationSend).where(NotificationSend.id == send_id,
                                                            NotificationSend.site_id == site_id)).scalar_one_or_none()
    if row is None or row.state != "claimed" or row.channel == "email":
        return "not claimed"
    site = db.session.get(Site, site_id)
    texts = Texts(site, [row])
    reason = texts.skip_reason(row)
    if reason:
        _finish(send_id, "skipped", reason)
        return "skipped"
    phone, content = row.phone, texts.content(row)
    try:
        message = sms.send_sms(site, phone=phone, content=content, purpose="order_status",
                               idempotency_key=f"bikri-notify-{send_id}")
    except QueueUnavailable:
        raise
    except ApiError as error:  # the balance is short, the rate limit: send_sms rolled back what it began
        _finish(send_id, "failed", error.message)
        return "failed"
    _finish(send_id, "queued", message_id=message.id)
    return "queued"


def email_value(row: NotificationSend) -> str:
    """`<event>|<token>`: the token is the row's, the same on every retry, so the plugin can tell
    a repeated write from a new email."""
    return f"{row.status}|bikri-{row.site_id}-{row.id}"


def write_email_event(site_id: int, send_id: int) -> str:
    """Ask the shop's WordPress to send the email: `PUT /wp-json/wc/v3/orders/<id>` with
    `_bikri_email_event` meta; the plugin's WC_Email class sends it and deletes the meta."""
    row = db.session.execute(select(NotificationSend).where(NotificationSend.id == send_id,
                                                            NotificationSend.site_id == site_id)).scalar_one_or_none()
    if row is None or row.state != "claimed" or row.channel != "email":
        return "not claimed"
    site = db.session.get(Site, site_id)
    order_wc_id, value = row.order_wc_id, email_value(row)
    api = WooCommerce.for_site(site, retries=1)
    try:
        api.set_order_meta(order_wc_id, {service.EMAIL_META: value})
    except WooCommerceError as error:
        if order_missing(error) or not error.retryable:
            _finish(send_id, "failed", str(error))
            return "failed"
        raise  # retried with backoff; gave_up marks it failed
    _finish(send_id, "sent")
    return "sent"


def gave_up(send_id: int, error: str) -> None:
    db.session.execute(update(NotificationSend).where(NotificationSend.id == send_id,
                                                      NotificationSend.state == "claimed")
                       .values(state="failed", detail=(error or "gave up")[:300], done_at=utcnow()))
