"""The rules of ad tracking (K2): the shop's Pixel / Conversions API settings, which order and
parcel changes become server-side events, and sending them.

Deduplication with the browser: the plugin's Pixel sends Purchase with event_id
`bikri-<WooCommerce order id>` (Bikri_Ad_Tags::purchase_event_id); the server sends the same
id for the same order, so Meta counts the purchase once. The delivered and returned events are
other events and carry their own ids.

Idempotency: one `CapiEvent` row per (site, order, kind), inserted ON CONFLICT DO NOTHING; a
worker sends a row only while it is pending and marks it sent in its own commit, so a
redelivered task, a reloaded thank-you page or a resynced order never sends twice.

Hashing (Meta's customer information parameters): the phone as digits with the country code
and no + (8801XXXXXXXXX), the email trimmed and lower-cased, each SHA-256 in hex.
"""
import hashlib
from datetime import timedelta, timezone
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from backend.adtracking.models import (
    DEFAULT_DELIVERED_NAME, DELIVERED, DELIVERED_EVENTS, FAILED, GRAPH_VERSION, PENDING, PURCHASE, RETURNED, SENT,
    AdSettings, CapiEvent,
)
from backend.couriers.models import Consignment
from backend.database import upsert_insert
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations import meta_graph
from backend.licensing.models import Site
from backend.orders.models import Order, OrderItem
from backend.phones import InvalidPhone, msisdn_form, normalise_phone
from backend.security import decrypt_secret, encrypt_secret, mask_secret
from backend.tasks import enqueue
from backend.clock import utcnow


PIXEL_ID_DIGITS = (10, 20)
NOT_A_SALE = {"failed", "cancelled", "checkout-draft", "trash", "draft"}
# Meta takes website events up to 7 days old
MAX_EVENT_AGE = timedelta(days=7)
DELIVERED_STATUSES = {"delivered", "partial_delivered"}
RETURNED_STATUSES = {"cancelled"}
RETURN_EVENT_NAME = "Refund"


# --- settings -------------------------------------------------------------------------------

def settings_of(site_id: int) -> AdSettings:
    settings = db.session.get(AdSettings, site_id)
    return settings if settings is not None else AdSettings(site_id=site_id, pixel_id="", capi_enabled=False,
                                                            delivered_event="none",
                                                            delivered_event_name=DEFAULT_DELIVERED_NAME,
                                                            refund_on_return=False, test_event_code="")


def settings_json(settings: AdSettings) -> dict:
    token = decrypt_secret(settings.capi_token_enc) if settings.capi_token_enc else None
    return {"pixel_id": settings.pixel_id or "", "capi_enabled": bool(settings.capi_enabled),
            "access_token_set": bool(token), "access_token": mask_secret(token) if token else "",
            "delivered_event": settings.delivered_event or "none",
            "delivered_event_name": settings.delivered_event_name or DEFAULT_DELIVERED_NAME,
            "refund_on_return": bool(settings.refund_on_return), "test_event_code": settings.test_event_code or ""}


class BadSettings(ApiError):
    def __init__(self, details: dict):
        super().__init__(_("Check the highlighted fields."), code="validation_error", status=422, details=details)


def valid_pixel_id(value: str) -> bool:
    return value.isdigit() and PIXEL_ID_DIGITS[0] <= len(value) <= PIXEL_ID_DIGITS[1]


def save_settings(site_id: int, values: dict) -> AdSettings:
    """`values`: any of pixel_id, access_token (empty: keep the stored one; "-": forget it),
    capi_enabled, delivered_event, delivered_event_name, refund_on_return, test_event_code."""
    errors = {}
    pixel_id = str(values.get("pixel_id", "") or "").strip()
    if pixel_id and not valid_pixel_id(pixel_id):
        errors["pixel_id"] = [_("A Meta Pixel (dataset) id is 10 to 20 digits, like 1234567890123456.")]
    delivered = values.get("delivered_event") or "none"
    if delivered not in DELIVERED_EVENTS:
        errors["delivered_event"] = [_("Choose what to send when a parcel is delivered.")]
    name = str(values.get("delivered_event_name") or DEFAULT_DELIVERED_NAME).strip()
    if not name.replace("_", "").replace(" ", "").isalnum() or len(name) > 40:
        errors["delivered_event_name"] = [_("An event name has letters, digits, spaces or _ (at most 40).")]
    token = str(values.get("access_token") or "").strip()
    if token and token != "-" and (len(token) < 20 or len(token) > 400 or any(c.isspace() for c in token)):
        errors["access_token"] = [_("Paste the access token from Events Manager (Settings, Conversions API).")]
    test_code = str(values.get("test_event_code") or "").strip()
    if test_code and (len(test_code) > 40 or not test_code.isalnum()):
        errors["test_event_code"] = [_("A test event code has letters and digits, like TEST12345.")]
    settings = db.session.get(AdSettings, site_id)
    has_token = bool(token and token != "-") or bool(settings is not None and settings.capi_token_enc and token != "-")
    enabled = bool(values.get("capi_enabled"))
    if enabled and not (pixel_id and has_token):
        errors.setdefault("capi_enabled", [_("The Conversions API needs the Pixel id and an access token.")])
    if errors:
        raise BadSettings(errors)
    if settings is None:
        settings = AdSettings(site_id=site_id)
        db.session.add(settings)
    settings.pixel_id, settings.capi_enabled = pixel_id, enabled
    settings.delivered_event, settings.delivered_event_name = delivered, name or DEFAULT_DELIVERED_NAME
    settings.refund_on_return, settings.test_event_code = bool(values.get("refund_on_return")), test_code
    if token == "-":
        settings.capi_token_enc = None
    elif token:
        settings.capi_token_enc = encrypt_secret(token)
    db.session.flush()
    return settings


# --- what becomes an event ---------------------------------------------------------------------

def purchase_event_id(order_wc_id: int) -> str:
    """The Pixel's Purchase event_id for this order; the plugin prints the same."""
    return f"bikri-{int(order_wc_id)}"


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def meta_phone(raw) -> str | None:
    """8801XXXXXXXXX (country code, no +), or None when not a Bangladeshi mobile number."""
    try:
        return msisdn_form(normalise_phone(raw))
    except InvalidPhone:
        return None


def meta_email(raw) -> str | None:
    email = (raw or "").strip().lower()
    return email if "@" in email else None


def _enabled_settings(site_id: int) -> AdSettings | None:
    settings = db.session.get(AdSettings, site_id)
    if settings is None or not settings.capi_enabled or not settings.pixel_id or not settings.capi_token_enc:
        return None
    return settings


def _record(site_id: int, order_wc_id: int, kind: str, name: str, event_id: str, event_time: int, value) -> int | None:
    """The new row's id, or None when the order already has this event."""
    # ON CONFLICT DO NOTHING (not a savepoint): the row is the idempotency key per order and kind
    inserted = db.session.execute(
        upsert_insert(CapiEvent.__table__)
        .values(site_id=site_id, order_wc_id=order_wc_id, kind=kind, event_name=name, event_id=event_id,
                event_time=event_time, value=value or Decimal("0"), status=PENDING, attempts=0, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["site_id", "order_wc_id", "kind"])
        .returning(CapiEvent.__table__.c.id)).first()
    return inserted[0] if inserted is not None else None


def _queue_new(site_id: int, event_pks: list[int]) -> None:
    # Pending rows go to the workers after this transaction commits (enqueue's outbox). In the
    # unit tests' inline mode enqueue would commit here, inside the writer's transaction that
    # sent the signal; there the sweeper (queue_pending) sends them instead.
    if current_app.config["BROKER_URL"].startswith("inline"):
        return
    for event_pk in event_pks:
        enqueue("adtracking.send_event", site_id=site_id, event_pk=event_pk)


def record_orders(site_id: int, changes, bulk_load: bool) -> int:
    """Purchase for each new order (not a backfill's history, not older than Meta takes)."""
    if bulk_load or not any(change.is_new and change.new is not None for change in changes):
        return 0  # only a new order is a Purchase: an update's batch reads no settings
    settings = _enabled_settings(site_id)
    if settings is None:
        return 0
    now = utcnow()
    new_pks = []
    for change in changes:
        if not change.is_new or change.new is None:
            continue
        order = change.new[0]
        if order["excluded_from_sales"] or order["status"] in NOT_A_SALE or order["deleted_at"] is not None:
            continue
        created = order["date_created_gmt"]
        if created is None or now - created.replace(tzinfo=None) > MAX_EVENT_AGE:
            continue
        event_pk = _record(site_id, order["wc_id"], PURCHASE, "Purchase", purchase_event_id(order["wc_id"]),
                           _epoch(created), order["total"])
        if event_pk is not None:
            new_pks.append(event_pk)
    if new_pks:
        _queue_new(site_id, new_pks)
    return len(new_pks)


def _epoch(moment) -> int:
    """Unix seconds of a stored time (naive UTC, or aware)."""
    return int((moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp())


def record_parcels(changes) -> int:
    """The shop's delivered event when a parcel is delivered, a refund signal when it returns."""
    new_pks: dict[int, list[int]] = {}
    for old, new in changes:
        if new is None:
            continue
        before = old["status"] if old is not None else None
        status = new["status"]
        if status == before:
            continue
        kind = DELIVERED if status in DELIVERED_STATUSES else RETURNED if status in RETURNED_STATUSES else None
        if kind is None:
            continue
        settings = _enabled_settings(new["site_id"])
        if settings is None:
            continue
        if kind == DELIVERED and settings.delivered_event == "none":
            continue
        if kind == RETURNED and not settings.refund_on_return:
            continue
        order_wc_id = db.session.execute(select(Consignment.order_wc_id).where(
            Consignment.id == new["id"], Consignment.site_id == new["site_id"])).scalar_one_or_none()
        if order_wc_id is None:
            continue
        order = db.session.execute(select(Order.total).where(Order.site_id == new["site_id"],
                                                             Order.wc_id == order_wc_id)).scalar_one_or_none()
        if kind == DELIVERED:
            name = "Purchase" if settings.delivered_event == "purchase" else settings.delivered_event_name
        else:
            name = RETURN_EVENT_NAME
        value = new.get("collected_amount") if kind == DELIVERED and new.get("collected_amount") else order
        event_pk = _record(new["site_id"], order_wc_id, kind, name, f"{purchase_event_id(order_wc_id)}-{kind}",
                           _epoch(utcnow()), value)
        if event_pk is not None:
            new_pks.setdefault(new["site_id"], []).append(event_pk)
    for site_id, pks in new_pks.items():
        _queue_new(site_id, pks)
    return sum(len(pks) for pks in new_pks.values())


# --- sending -----------------------------------------------------------------------------------

def event_payload(event: CapiEvent, order: Order | None, items, site_url: str) -> dict:
    """One event as Meta's Conversions API takes it."""
    user_data = {"country": [hash_value("bd")]}
    if order is not None:
        phone = meta_phone(order.phone or order.billing_phone)
        if phone:
            user_data["ph"] = [hash_value(phone)]
        email = meta_email(order.billing_email)
        if email:
            user_data["em"] = [hash_value(email)]
        if order.customer_id:
            user_data["external_id"] = [hash_value(f"{order.site_id}-{order.customer_id}")]
    custom = {"currency": (order.currency if order is not None and order.currency else "BDT"),
              "value": float(Decimal(event.value or 0).quantize(Decimal("0.01"))),
              "order_id": str(order.number or order.wc_id) if order is not None else str(event.order_wc_id)}
    contents = [{"id": str(item.product_id), "quantity": int(item.quantity)} for item in items if item.product_id]
    if contents:
        custom["contents"], custom["content_type"] = contents, "product"
    return {"event_name": event.event_name, "event_time": int(event.event_time), "event_id": event.event_id,
            "action_source": "website", "event_source_url": site_url, "user_data": user_data, "custom_data": custom}


def send_event(site_id: int, event_pk: int) -> str:
    """Send one pending event (a worker). Sent or refused rows are left alone: no resend."""
    event = db.session.execute(select(CapiEvent).where(CapiEvent.id == event_pk, CapiEvent.site_id == site_id)
                               ).scalar_one_or_none()
    if event is None or event.status != PENDING:
        return "skipped"
    settings = db.session.get(AdSettings, site_id)
    if settings is None or not settings.capi_token_enc or not settings.pixel_id:
        _finish(event, FAILED, error="no pixel id or access token")
        return FAILED
    order = db.session.execute(select(Order).where(Order.site_id == site_id, Order.wc_id == event.order_wc_id)
                               ).scalar_one_or_none()
    items = db.session.execute(select(OrderItem).where(OrderItem.order_id == order.id)).scalars().all() if order else []
    site = db.session.get(Site, site_id)
    payload = event_payload(event, order, items, site.url if site else "")
    token, pixel_id, test_code = decrypt_secret(settings.capi_token_enc), settings.pixel_id, settings.test_event_code
    try:
        answer = meta_graph.send_events(base_url=current_app.config.get("META_GRAPH_URL", meta_graph.DEFAULT_BASE_URL),
                                        version=GRAPH_VERSION, pixel_id=pixel_id, access_token=token,
                                        events=[payload], test_event_code=test_code)
    except meta_graph.MetaGraphRefused as refused:
        _finish(event, FAILED, error=f"{refused.code}: {refused}"[:500], trace=refused.fbtrace_id)
        return FAILED
    _finish(event, SENT, trace=str(answer.get("fbtrace_id") or "")[:80])
    return SENT


def _finish(event: CapiEvent, status: str, error: str | None = None, trace: str | None = None) -> None:
    db.session.execute(update(CapiEvent).where(CapiEvent.id == event.id, CapiEvent.status == PENDING).values(
        status=status, attempts=CapiEvent.attempts + 1, last_error=error, fbtrace_id=trace,
        sent_at=utcnow() if status == SENT else None))
    db.session.flush()


def give_up(site_id: int, event_pk: int, error: str) -> None:
    """The retries ran out (Meta down for long): the row says so; a later sweep does not resend."""
    db.session.execute(update(CapiEvent).where(CapiEvent.id == event_pk, CapiEvent.site_id == site_id,
                                               CapiEvent.status == PENDING)
                       .values(status=FAILED, last_error=str(error)[:500]))


def queue_pending(site_id: int | None = None, older_than_seconds: int = 120) -> int:
    """The sweeper (a job, and the unit tests' way to send): pending rows whose message was
    lost (broker down at commit) or that were written in inline mode go to the workers."""
    query = select(CapiEvent.id, CapiEvent.site_id).where(CapiEvent.status == PENDING)
    if site_id is not None:
        query = query.where(CapiEvent.site_id == site_id)
    if older_than_seconds:
        query = query.where(CapiEvent.created_at <= utcnow() - timedelta(seconds=older_than_seconds))
    rows = db.session.execute(query.order_by(CapiEvent.id).limit(1000)).all()
    for row_id, row_site in rows:
        enqueue("adtracking.send_event", site_id=row_site, event_pk=row_id)
    return len(rows)


def events_of(site_id: int, limit: int = 50) -> list[CapiEvent]:
    return db.session.execute(select(CapiEvent).where(CapiEvent.site_id == site_id)
                              .order_by(CapiEvent.id.desc()).limit(limit)).scalars().all()
