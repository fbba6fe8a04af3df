"""The rules of notifications (issue 21, N1 and N2).

N1, status messages: a shop sets, per status, SMS on/off, email on/off and a Bangla and an
English text. When an order's status changes (`order_stored`) or a parcel's does
(`parcel_changed`), the listeners claim one row per (shop, order, status, channel) in
`notification_sends` — an INSERT .. ON CONFLICT DO NOTHING inside the writer's transaction —
and hand the shop's dispatch to the workers after the commit. A status that flaps back and
forth finds its row there already: nothing is sent twice, ever.

The dispatch (a task) takes the due rows: one SMS goes through the SMS domain's `send_sms`
(transactional lane, purpose "order_status"); many at once (a bulk status change) go as SMS
batches (`start_batch`, the bulk lane, one debit per thousand). An email is a task that writes
`_bikri_email_event` order meta through the WooCommerce REST API; the plugin sends the matching
WC_Email and deletes the meta.

Quiet hours (Dhaka time, optional, may cross midnight, e.g. 22:00–08:00): an SMS that falls
inside them waits until the window ends (its row's `due_at`; the dispatch is queued with that
delay, and the minute sweep `dispatch_due` picks up anything due). Urgent messages — out for
delivery: the rider is on the way and the customer must answer the phone — go at once. Emails
are not held (nothing rings), and neither are the owner's alerts to the shop.

Opt-out: a phone that opened the shop's opt-out link (`/o/<token>`) or answered STOP gets no
status SMS from that shop (the row is marked skipped).

N2, delivery alerts: a parcel returned, partly delivered, on hold, or stuck (no status change
for the shop's N days) makes an in-app alert (the bell on every Bikri page) and, when the shop
wants it, an SMS to the owner's phone. Out for delivery and delivered to the customer are
status messages like the others (their rules).
"""
import re
from functools import lru_cache
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, text

from backend.checkout import service as checkout
from backend.couriers.models import Consignment
from backend.database import in_list, on_postgresql, row_for_site, upsert_insert
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.couriers import FINAL_STATUSES
from backend.licensing.models import Site
from backend.notifications.models import Alert, NotificationSend, NotificationSettings, StatusRule
from backend.orders.models import Order
from backend.phones import InvalidPhone, normalise_phone
from backend.sms import service as sms
from backend.tasks import enqueue
from backend.clock import DHAKA, utcnow

STATUSES = ("processing", "confirmed", "shipped", "out_for_delivery", "delivered", "returned", "cancelled")
# the plugin's WC_Email classes (one per event); WooCommerce sends its own mail for the others
EMAIL_EVENTS = ("shipped", "out_for_delivery", "returned")
URGENT = frozenset({"out_for_delivery"})
PLACEHOLDERS = {"name", "order", "total", "courier", "consignment", "tracking_link", "shop"}
PLACEHOLDER_HINT = "{name}, {order}, {total}, {courier}, {consignment}, {tracking_link}, {shop}"
LANGUAGES = ("bn", "en")
ALERT_KINDS = ("returned", "partial", "hold", "stuck")
# WooCommerce statuses that are not news to a customer
NOT_NOTIFIED = frozenset({"pending", "on-hold", "failed", "refunded", "checkout-draft", "trash", "draft", "auto-draft"})
ALIASES = {"completed": "delivered", "out-for-delivery": "out_for_delivery", "ofd": "out_for_delivery"}
# a change to an order last modified longer ago is history (a backfill, a reconciliation catching up):
# customers are not texted about it
FRESH = timedelta(days=2)
SINGLE_SENDS = 20  # up to this many due SMS of a shop go one by one (transactional lane); more go as batches
BATCH = 1000
LIMITS = {"stuck_days": (1, 60)}
TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
EMAIL_META = "_bikri_email_event"
# a courier's own words that mean the rider has the parcel today
OUT_FOR_DELIVERY_WORDS = frozenset({"delivery in progress", "assigned for delivery", "out for delivery",
                                    "on the way to delivery", "ready for delivery"})
TRACKING_URLS = {  # public tracking pages, by courier
    "steadfast": "https://steadfast.com.bd/t/{code}",
    "pathao": "https://merchant.pathao.com/tracking?consignment_id={code}",
    "redx": "https://redx.com.bd/track-parcel/?trackingId={code}",
}

DEFAULT_TEXTS = {
    "processing": {"en": "{name}, we got your order {order} ({total} Tk). {shop}",
                   "bn": "{name}, আপনার অর্ডার {order} ({total} টাকা) পেয়েছি। {shop}"},
    "confirmed": {"en": "{name}, your order {order} is confirmed. {shop}",
                  "bn": "{name}, আপনার অর্ডার {order} নিশ্চিত হয়েছে। {shop}"},
    "shipped": {"en": "{name}, order {order} is on its way with {courier} ({consignment}). Track: {tracking_link} {shop}",
                "bn": "{name}, অর্ডার {order} {courier}-এ পাঠানো হয়েছে ({consignment})। ট্র্যাক: {tracking_link} {shop}"},
    "out_for_delivery": {"en": "{name}, order {order} is out for delivery today. Keep {total} Tk ready. {shop}",
                         "bn": "{name}, অর্ডার {order} আজ ডেলিভারি হবে। {total} টাকা রেডি রাখুন। {shop}"},
    "delivered": {"en": "{name}, order {order} was delivered. Thank you! {shop}",
                  "bn": "{name}, অর্ডার {order} ডেলিভারি হয়েছে। ধন্যবাদ! {shop}"},
    "returned": {"en": "{name}, order {order} came back to us. Call us to get it again. {shop}",
                 "bn": "{name}, অর্ডার {order} ফেরত এসেছে। আবার পেতে আমাদের কল করুন। {shop}"},
    "cancelled": {"en": "{name}, order {order} was cancelled. {shop}",
                  "bn": "{name}, অর্ডার {order} বাতিল হয়েছে। {shop}"},
}
DEFAULT_CUSTOM = {"en": "{name}, order {order} is now: {status}. {shop}", "bn": "{name}, অর্ডার {order}: {status}। {shop}"}
OWNER_TEXTS = {
    "returned": "Bikri: order {order} returned ({courier} {consignment}).",
    "partial": "Bikri: order {order} partly delivered ({courier} {consignment}).",
    "hold": "Bikri: order {order} on hold at {courier} ({consignment}).",
    "stuck": "Bikri: order {order} stuck at {courier} ({consignment}) for days.",
}
SAMPLE = {"name": "Rahima", "order": "#1024", "total": "1,250", "courier": "Steadfast", "consignment": "12345678",
          "tracking_link": "https://steadfast.com.bd/t/SFR12345678", "shop": "Shop"}


@lru_cache(maxsize=512)
def status_key(slug: str | None) -> str | None:
    """The rule an order status follows: a built-in one, the shop's own slug, or None (not news)."""
    if not slug:
        return None
    slug = slug.strip().lower().removeprefix("wc-")
    slug = ALIASES.get(slug, slug)
    if slug in NOT_NOTIFIED:
        return None
    return slug.replace("-", "_") if slug.replace("-", "_") in STATUSES else slug[:40]


def invalid(errors: dict) -> ApiError:
    return ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422, details=errors)


# --- settings ------------------------------------------------------------------------------------

def settings_for(site: Site) -> NotificationSettings:
    return row_for_site(NotificationSettings, site.id)


def rules_of(site_id: int) -> dict[str, StatusRule]:
    return {rule.status: rule for rule in db.session.execute(
        select(StatusRule).where(StatusRule.site_id == site_id)).scalars()}


def custom_statuses(site_id: int) -> list[str]:
    """The shop's own WooCommerce statuses, as seen in its orders (and any it has a rule for)."""
    seen = db.session.execute(select(Order.status).distinct().where(Order.site_id == site_id).limit(200)).scalars().all()
    seen += [rule.status for rule in rules_of(site_id).values()]
    return sorted({key for key in map(status_key, seen) if key and key not in STATUSES})[:30]


def all_statuses(site_id: int) -> list[str]:
    return list(STATUSES) + custom_statuses(site_id)


def default_text(status: str, language: str) -> str:
    if status in DEFAULT_TEXTS:
        return DEFAULT_TEXTS[status][language]
    return DEFAULT_CUSTOM[language].replace("{status}", status.replace("_", " ").replace("-", " "))


def describe(site: Site) -> dict:
    settings = settings_for(site)
    rules = rules_of(site.id)
    statuses = []
    for status in all_statuses(site.id):
        rule = rules.get(status)
        statuses.append({"status": status, "builtin": status in STATUSES, "email_available": status in EMAIL_EVENTS,
                         "urgent": status in URGENT, "sms": bool(rule and rule.sms), "email": bool(rule and rule.email),
                         "text_bn": rule.text_bn if rule else None, "text_en": rule.text_en if rule else None,
                         "default_bn": default_text(status, "bn"), "default_en": default_text(status, "en")})
    return {"language": settings.language, "quiet_enabled": settings.quiet_enabled, "quiet_start": settings.quiet_start,
            "quiet_end": settings.quiet_end, "opt_out_link": settings.opt_out_link, "owner_phone": settings.owner_phone,
            "owner_sms": settings.owner_sms, "stuck_days": settings.stuck_days, "statuses": statuses,
            "balance": sms.balance_of(site.id)}


def check_template(site: Site, text: str, opt_out_link: bool = False) -> str:
    """Only known placeholders, and at most 2 SMS once filled with a sample (with the opt-out
    link when the shop adds it)."""
    def sample(template):
        filled = render(template, {**SAMPLE, "shop": shop_name(site)})
        return filled + opt_out_suffix("bn", "x" * 22) if opt_out_link else filled

    return sms.check_shop_text(text, placeholders=PLACEHOLDERS, hint=PLACEHOLDER_HINT, sample=sample)


GENERAL = ("language", "quiet_enabled", "quiet_start", "quiet_end", "opt_out_link", "owner_phone", "owner_sms", "stuck_days")
RULE_FIELDS = ("sms", "email", "text_bn", "text_en")


def settings_errors(site: Site, values: dict) -> dict:
    """Field -> [messages] (a status's field as `statuses.<status>.<field>`); texts cleaned in place."""
    errors = sms.range_errors(values, LIMITS)
    if "language" in values and values["language"] not in LANGUAGES:
        errors["language"] = [_("bn or en.")]
    for name in ("quiet_start", "quiet_end"):
        if name in values and not TIME.match(str(values[name] or "")):
            errors[name] = [_("A time like 22:00 (Dhaka time).")]
    if values.get("owner_phone"):
        try:
            values["owner_phone"] = normalise_phone(values["owner_phone"])
        except InvalidPhone as error:
            errors["owner_phone"] = [str(error)]
    elif "owner_phone" in values:
        values["owner_phone"] = None
    settings = settings_for(site)
    if values.get("owner_sms") and not values.get("owner_phone", settings.owner_phone):
        errors["owner_sms"] = [_("Enter the owner's mobile number first.")]
    known = set(all_statuses(site.id))
    opt_out_link = values.get("opt_out_link", settings.opt_out_link)
    for status, rule in (values.get("statuses") or {}).items():
        where = f"statuses.{status}"
        if status not in known:
            errors[where] = [_("Not a status of this shop: %(status)s.", status=status)]
            continue
        if rule.get("email") and status not in EMAIL_EVENTS:
            errors[f"{where}.email"] = [_("Bikri's emails are for shipped, out for delivery and returned; "
                                          "WooCommerce sends its own for the other statuses.")]
        for name in ("text_bn", "text_en"):
            if rule.get(name):
                try:
                    rule[name] = check_template(site, rule[name], opt_out_link)
                except ValueError as error:
                    errors[f"{where}.{name}"] = [str(error)]
    return errors


def update_settings(site: Site, values: dict, by: str) -> dict:
    """Apply the settings (a partial update). 422 names every bad field; switching an SMS on
    (a status's SMS, the owner's alerts) needs an SMS balance (S8: 409 sms_balance_required)."""
    errors = settings_errors(site, values)
    if errors:
        raise invalid(errors)
    settings = settings_for(site)
    rules = rules_of(site.id)
    switching_on = bool(values.get("owner_sms") and not settings.owner_sms) or any(
        rule.get("sms") and not (rules.get(status) and rules[status].sms)
        for status, rule in (values.get("statuses") or {}).items())
    if switching_on:
        sms.require_sms_balance(site)
    for name in GENERAL:
        if name in values:
            setattr(settings, name, values[name])
    settings.updated_at, settings.updated_by = utcnow(), by
    db.session().info.pop(_RULES_KEY, None)  # the claims of this transaction read the new rules
    for status, changes in (values.get("statuses") or {}).items():
        rule = rules.get(status)
        if rule is None:
            rule = StatusRule(site_id=site.id, status=status)
            db.session.add(rule)
        for name in RULE_FIELDS:
            if name in changes:
                value = changes[name]
                setattr(rule, name, ((value or "").strip() or None) if name.startswith("text") else bool(value))
    db.session.flush()
    return describe(site)


# --- texts ------------------------------------------------------------------------------------------

def shop_name(site: Site) -> str:
    return checkout.shop_name(site, checkout.settings_for(site))


def render(template: str, values: dict) -> str:
    text = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0)) or ""), template)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def opt_out_suffix(language: str, token: str) -> str:
    link = f"{current_app.config['PUBLIC_URL']}/o/{token}"
    return (" বন্ধ করতে: " if language == "bn" else " Stop: ") + link


def preview(site: Site, status: str, text: str | None, language: str) -> dict:
    """The text as a customer would get it (a sample order), with its price (the SMS page's counter)."""
    settings = settings_for(site)
    template = (text or "").strip() or default_text(status if status else "processing", language)
    template = check_template(site, template, settings.opt_out_link)  # ValueError says what to fix
    content = render(template, {**SAMPLE, "shop": shop_name(site)})
    if settings.opt_out_link:
        content += opt_out_suffix(language, "x" * 22)
    return {"content": content, "price": sms.quote(site, content)}


# --- quiet hours ------------------------------------------------------------------------------------------

def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(settings: NotificationSettings | None, now: datetime) -> datetime | None:
    """The end of the quiet window (naive UTC) when `now` (naive UTC) is inside it, else None.
    The window is Dhaka time and may cross midnight (22:00–08:00)."""
    if settings is None or not settings.quiet_enabled:
        return None
    start, end = _clock(settings.quiet_start), _clock(settings.quiet_end)
    if start == end:
        return None
    local = now.replace(tzinfo=timezone.utc).astimezone(DHAKA)
    moment = local.time().replace(tzinfo=None)
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(timezone.utc).replace(tzinfo=None)


# --- claiming (inside the writer's transaction: no remote call, no commit) -------------------------------

def _inline_nested() -> bool:
    """In the unit tests' inline mode `enqueue` commits at once; inside a savepoint that would
    end the writer's transaction under it, so the minute sweep (`dispatch_due`) queues it instead."""
    return current_app.config["BROKER_URL"].startswith("inline") and db.session().in_nested_transaction()


def _schedule(site_id: int, due: list[datetime]) -> None:
    if not due or _inline_nested():
        return
    now = utcnow()
    soon = [moment for moment in due if moment <= now + timedelta(seconds=1)]
    later = [moment for moment in due if moment > now + timedelta(seconds=1)]
    if soon:
        enqueue("notifications.dispatch", site_id=site_id)
    if later:  # quiet hours: at the end of the window (the minute sweep is the safety net)
        enqueue("notifications.dispatch", site_id=site_id, delay_seconds=(max(later) - now).total_seconds() + 1)


_RULES_KEY = "notification_rules"


def _rules_switched_on(site_id: int) -> dict[str, tuple[bool, bool]]:
    """{status: (sms, email)} of the shop's rules with a channel on, read once per transaction:
    a courier poll applies its parcels one by one and each change claims, so reading the rules
    for every parcel cost a query (and ORM rows) each time. `update_settings` forgets them."""
    session = db.session()
    session.connection()  # in the writer's transaction, whose end forgets what was read in it
    transaction = session.get_transaction()
    kept = session.info.get(_RULES_KEY)
    if kept is None or kept[0] is not transaction:
        kept = session.info[_RULES_KEY] = (transaction, {})
    rules = kept[1].get(site_id)
    if rules is None:
        rules = kept[1][site_id] = {status: (bool(rule.sms), bool(rule.email))
                                    for status, rule in rules_of(site_id).items() if rule.sms or rule.email}
    return rules


def claim(site_id: int, candidates: list[dict]) -> int:
    """Claim one row per (order, status, channel) for `candidates` ({order_wc_id, status, phone,
    courier?, consignment?}) whose status has a rule switched on; queue the shop's dispatch after
    the commit. Returns how many rows were new."""
    rules = _rules_switched_on(site_id)
    if not rules:
        return 0
    settings = db.session.get(NotificationSettings, site_id)
    now = utcnow()
    quiet_end = quiet_until(settings, now)
    rows = []
    for item in candidates:
        rule = rules.get(item["status"])
        if rule is None:
            continue
        by_sms, by_email = rule
        base = {"site_id": site_id, "order_wc_id": item["order_wc_id"], "status": item["status"], "state": "pending",
                "phone": item.get("phone"), "courier": item.get("courier"), "consignment": item.get("consignment"),
                "created_at": now}
        if by_sms:
            held = quiet_end if quiet_end and item["status"] not in URGENT else None
            rows.append({**base, "channel": "sms", "due_at": held or now})
        if by_email and item["status"] in EMAIL_EVENTS:
            rows.append({**base, "channel": "email", "due_at": now})
    return _insert_claims(site_id, rows)


def _insert_claims(site_id: int, rows: list[dict]) -> int:
    if not rows:
        return 0
    due = []
    if on_postgresql():
        # one statement over arrays, whatever the count: its text never changes, so the driver and
        # the server prepare and plan it once (a VALUES list of a thousand rows was parsed afresh
        # each time: most of what a bulk status change's claims cost)
        for start in range(0, len(rows), 5000):
            chunk = rows[start:start + 5000]
            due += db.session.execute(_CLAIM_ARRAYS, {name: [row[name] for row in chunk] for name in _CLAIM_COLUMNS}).scalars().all()
    else:
        statement = (upsert_insert(NotificationSend)
                     .on_conflict_do_nothing(index_elements=["site_id", "order_wc_id", "status", "channel"])
                     .returning(NotificationSend.due_at))
        for start in range(0, len(rows), 2000):
            # executemany with RETURNING (SQLAlchemy's "insertmanyvalues"); a row already claimed returns nothing
            due += db.session.execute(statement, rows[start:start + 2000]).scalars().all()
    _schedule(site_id, due)
    return len(due)


_CLAIM_COLUMNS = ("site_id", "order_wc_id", "status", "channel", "state", "due_at", "phone", "courier", "consignment",
                  "created_at")
_CLAIM_ARRAYS = text(
    "INSERT INTO notification_sends (site_id, order_wc_id, status, channel, state, due_at, phone, courier, consignment, created_at) "
    "SELECT * FROM unnest(CAST(:site_id AS integer[]), CAST(:order_wc_id AS bigint[]), CAST(:status AS varchar[]), "
    "CAST(:channel AS varchar[]), CAST(:state AS varchar[]), CAST(:due_at AS timestamp[]), CAST(:phone AS varchar[]), "
    "CAST(:courier AS varchar[]), CAST(:consignment AS varchar[]), CAST(:created_at AS timestamp[])) "
    "ON CONFLICT (site_id, order_wc_id, status, channel) DO NOTHING RETURNING due_at")


def record_order_changes(site_id: int, changes) -> int:
    """`order_stored`: an order's status became news (a new status rule applies)."""
    stale = utcnow() - FRESH
    candidates = []
    for change in changes:
        if change.new is None:
            continue
        key = status_key(change.new_status)
        if key is None or (change.old is not None and status_key(change.old_status) == key):
            continue
        modified = change.new[0].get("date_modified_gmt")
        if modified is not None and modified < stale:
            continue
        candidates.append({"order_wc_id": change.wc_id, "status": key, "phone": change.phone})
    if not candidates:
        return 0
    return claim(site_id, candidates)


def _parcel_event(old_status: str | None, new_status: str, courier_word: str | None) -> tuple[str | None, str | None]:
    """(customer status, shop alert kind) a parcel's change means."""
    word = re.sub(r"[-_ ]+", " ", (courier_word or "").lower()).strip()
    if word in OUT_FOR_DELIVERY_WORDS and new_status not in FINAL_STATUSES:
        return "out_for_delivery", None
    if new_status == "pending" and old_status in (None, "in_review"):
        return "shipped", None
    if new_status in ("delivered", "delivered_approval_pending"):
        return "delivered", None
    if new_status in ("returned", "cancelled", "cancelled_approval_pending"):
        return "returned", "returned"
    if new_status in ("partial_delivered", "partial_delivered_approval_pending"):
        return None, "partial"
    if new_status == "hold":
        return None, "hold"
    return None, None


def _may_notify(old, new) -> bool:
    """Whether a parcel's change can claim a message or raise an alert, decided without reading
    the parcel: most shops switch no rule on, and most changes (in review → pending → on hold
    and back) raise no alert, yet each cost a poll's answer two reads. An alert follows from the
    statuses (the courier's word can only take one away: "out for delivery" is a message, not an
    alert); a message needs a rule switched on (`claim` claims nothing without one)."""
    if _parcel_event(old["status"] if old else None, new["status"], None)[1] is not None:
        return True
    return bool(_rules_switched_on(new["site_id"]))


def record_parcel_changes(changes) -> None:
    """`parcel_changed`: courier statuses become status messages (shipped, out for delivery,
    delivered, returned) and shop alerts (returned, partial delivery, on hold)."""
    moved = [(old, new) for old, new in changes if new is not None and (old is None or old["status"] != new["status"])
             and _may_notify(old, new)]
    if not moved:
        return
    parcels = {row.id: row for row in db.session.execute(
        select(Consignment.id, Consignment.order_wc_id, Consignment.courier, Consignment.consignment_id,
               Consignment.courier_status, Consignment.tracking_code)
        .where(in_list(Consignment.id, [new["id"] for _old, new in moved]))).all()}
    by_site: dict[int, list] = {}
    for old, new in moved:
        parcel = parcels.get(new["id"])
        if parcel is None or parcel.order_wc_id is None:
            continue
        customer, alert = _parcel_event(old["status"] if old else None, new["status"], parcel.courier_status)
        by_site.setdefault(new["site_id"], []).append((parcel, customer, alert))
    for site_id, events in by_site.items():
        phones = dict(db.session.execute(select(Order.wc_id, Order.phone).where(
            Order.site_id == site_id, in_list(Order.wc_id, [p.order_wc_id for p, _c, _a in events]))).all())
        claim(site_id, [{"order_wc_id": parcel.order_wc_id, "status": customer, "phone": phones.get(parcel.order_wc_id),
                         "courier": parcel.courier, "consignment": parcel.consignment_id}
                        for parcel, customer, _alert in events if customer])
        for parcel, _customer, alert in events:
            if alert:
                raise_alert(site_id, alert, parcel)


def raise_alert(site_id: int, kind: str, parcel) -> bool:
    """An in-app alert (once per parcel and kind), and the owner's SMS when the shop wants it."""
    created = db.session.execute(
        upsert_insert(Alert).values(site_id=site_id, kind=kind, consignment_pk=parcel.id, order_wc_id=parcel.order_wc_id,
                                    courier=parcel.courier, consignment=parcel.consignment_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["site_id", "consignment_pk", "kind"]).returning(Alert.id)
    ).scalar_one_or_none()
    if created is None:
        return False
    settings = db.session.get(NotificationSettings, site_id)
    if settings is not None and settings.owner_sms and settings.owner_phone:
        _insert_claims(site_id, [{"site_id": site_id, "order_wc_id": parcel.order_wc_id or 0, "status": f"alert_{kind}",
                                  "channel": "owner", "state": "pending", "due_at": utcnow(), "phone": settings.owner_phone,
                                  "courier": parcel.courier, "consignment": parcel.consignment_id, "created_at": utcnow()}])
    return True


# A row a dispatch took ("claimed") and handed to its own task is done within seconds; one
# still claimed after this lost its task (the hand-over to the broker failed): queued again.
CLAIMED_TOO_LONG = timedelta(minutes=10)
TASK_OF_CHANNEL = {"sms": "notifications.sms", "owner": "notifications.sms", "email": "notifications.email"}


def dispatch_due(now: datetime | None = None) -> int:
    """The minute sweep: queue the dispatch of every shop with rows due (quiet hours ended, a
    hand-over to the broker that failed, a claim made inside a savepoint), and hand on again the
    single sends whose task was lost (they are idempotent: a row moves on only from "claimed",
    an SMS carries its Idempotency-Key, an email its token)."""
    now = now or utcnow()
    sites = db.session.execute(select(NotificationSend.site_id).distinct().where(
        NotificationSend.state == "pending", NotificationSend.due_at <= now)).scalars().all()
    for site_id in sites:
        enqueue("notifications.dispatch", site_id=site_id)
    lost = db.session.execute(
        select(NotificationSend.id, NotificationSend.site_id, NotificationSend.channel)
        .where(NotificationSend.state == "claimed", NotificationSend.due_at < now - CLAIMED_TOO_LONG)
        .order_by(NotificationSend.id).limit(500)).all()
    for send_id, site_id, channel in lost:
        enqueue(TASK_OF_CHANNEL[channel], site_id=site_id, send_id=send_id)
    return len(sites)
