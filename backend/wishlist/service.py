"""The wishlist's rules (U3): the plugin's forwarded wishlist events, the shop's reports (most
wished, wished but never bought) and the alerts a wished product's change sends.

Events are idempotent by version: each carries the plugin's clock in microseconds, and a row is
only written by an event newer than the one it holds, so a batch sent twice, or out of order,
leaves the same rows (`applied` the first time, `ignored_older` after).

"Wished but never bought" reads `wishes.bought_at`, kept as the read model changes: set when a
wish arrives for a product its shopper already ordered, and by the `order_stored` listener when
an order of the shopper (account, phone or email) has a wished product.

Alerts: inventory announces `items_changed` (a restock, a price move); the listener writes one
`wishlist_alerts` row per subscription and change (unique, so a change told twice texts nobody
twice) and queues the shop's send. The send (a task in the bulk lane) skips phones that opted out
(offers refused, or STOP replied) and phones over the day's cap, and hands the rest to the SMS
domain as one batch: debited from the shop's wallet at once, delivered by the bulk lane's workers.
"""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import and_, case, exists, func, literal, or_, select, update

from backend.customers.models import SmsOptOut
from backend.dashboard.rollups import NOT_SALES
from backend.database import in_list, upsert_insert
from backend.errors import ApiError
from backend.extensions import db
from backend.inventory.models import StockItem
from backend.licensing.models import Site
from backend.notifications.models import OptOut
from backend.notifications.service import shop_name
from backend.orders.models import Order, OrderItem
from backend.sms.batches import start_batch
from backend.sms.config import apply_sms_option_settings, range_errors, require_sms_balance
from backend.tasks import QueueUnavailable, enqueue
from backend.clock import utcnow
from backend.wishlist.models import AlertSubscription, Wish, WishlistAlert, WishlistSettings

SEND_TASK = "wishlist.send_alerts"
# an order in these states bought nothing (the dashboard's non-sales, and what never was an order)
NOT_BOUGHT = NOT_SALES | {"trash", "checkout-draft", "deleted"}
LANGUAGES = ("bn", "en")
REPORT_ROWS = 20
ALERTS_PER_SEND = 1000  # one SMS batch (backend/sms/batches.MAX_BATCH)
SWITCHES = ("back_in_stock_sms", "price_drop_sms")
PER_DAY_LIMITS = (1, 10)
SKIP_REASONS = ("cancelled", "switched_off", "opted_out", "daily_limit")


def _moment(version: int) -> datetime:
    return datetime.fromtimestamp(version / 1_000_000, tz=timezone.utc).replace(tzinfo=None)


def shopper_of(event: dict) -> str:
    """user:<id> for a signed-in shopper, phone:<number> for a guest who left a phone."""
    return f"user:{event['user_id']}" if event.get("user_id") else f"phone:{event['phone']}"


# --- the plugin's events -------------------------------------------------------------------------

def apply_events(site_id: int, events: list[dict]) -> list[dict]:
    """One result per event: `applied`, or `ignored_older` when the row holds a newer event."""
    results = []
    for event in events:
        if event["type"] in ("added", "removed"):
            written = _apply_wish(site_id, event)
        else:
            written = _apply_subscription(site_id, event)
        results.append({"idempotency_key": event["idempotency_key"], "status": "applied" if written else "ignored_older"})
    return results


def _apply_wish(site_id: int, event: dict) -> bool:
    when = _moment(event["version"])
    added = event["type"] == "added"
    statement = upsert_insert(Wish).values(
        site_id=site_id, shopper=shopper_of(event), wp_user_id=event.get("user_id") or None,
        email=event.get("email"), phone=event.get("phone"), product_wc_id=event["product_id"],
        variation_wc_id=event.get("variation_id") or 0, wished_at=when, removed_at=None if added else when,
        version=event["version"])
    excluded = statement.excluded
    values = {"removed_at": excluded.removed_at, "version": excluded.version,
              "email": func.coalesce(excluded.email, Wish.email), "phone": func.coalesce(excluded.phone, Wish.phone)}
    if added:  # wished again after a removal: from now; still wished: since the first time
        values["wished_at"] = case((Wish.removed_at.is_(None), Wish.wished_at), else_=excluded.wished_at)
    statement = statement.on_conflict_do_update(
        index_elements=[Wish.site_id, Wish.shopper, Wish.product_wc_id, Wish.variation_wc_id],
        set_=values, where=Wish.version < excluded.version).returning(Wish.id)
    written = db.session.execute(statement).scalar_one_or_none()
    if written is not None and added:  # bought before it was wished: not a wish to win back
        db.session.execute(update(Wish).where(Wish.id == written, Wish.bought_at.is_(None), BOUGHT)
                           .values(bought_at=utcnow()).execution_options(synchronize_session=False))
    return written is not None


def _apply_subscription(site_id: int, event: dict) -> bool:
    item_id = event.get("variation_id") or event["product_id"]
    subscribed = event["type"] == "subscribed"
    price = db.session.execute(select(StockItem.price).where(StockItem.site_id == site_id, StockItem.wc_id == item_id)
                               ).scalar_one_or_none()
    statement = upsert_insert(AlertSubscription).values(
        site_id=site_id, item_wc_id=item_id, product_wc_id=event["product_id"], phone=event["phone"],
        back_in_stock=event.get("back_in_stock", True), price_drop=event.get("price_drop", True), price_seen=price,
        version=event["version"], created_at=utcnow(), cancelled_at=None if subscribed else utcnow())
    excluded = statement.excluded
    values = {"cancelled_at": excluded.cancelled_at, "version": excluded.version}
    if subscribed:
        values.update(back_in_stock=excluded.back_in_stock, price_drop=excluded.price_drop, price_seen=excluded.price_seen)
    statement = statement.on_conflict_do_update(
        index_elements=[AlertSubscription.site_id, AlertSubscription.item_wc_id, AlertSubscription.phone],
        set_=values, where=AlertSubscription.version < excluded.version).returning(AlertSubscription.id)
    return db.session.execute(statement).first() is not None


# --- settings ----------------------------------------------------------------------------------------

def settings_for(site_id: int) -> WishlistSettings:
    settings = db.session.get(WishlistSettings, site_id)
    if settings is None:
        settings = WishlistSettings(site_id=site_id, back_in_stock_sms=False, price_drop_sms=False, language="bn",
                                    alerts_per_phone_per_day=2)
    return settings


def update_settings(site: Site, values: dict, by: str) -> WishlistSettings:
    """Alerts cost the SMS wallet: switching one on needs a balance (S8); a bad field is a 422 naming it."""
    settings = db.session.get(WishlistSettings, site.id)
    if settings is None:
        settings = settings_for(site.id)
        db.session.add(settings)
    errors = range_errors(values, {"alerts_per_phone_per_day": PER_DAY_LIMITS})
    if any(values.get(switch) and not getattr(settings, switch) for switch in SWITCHES):
        require_sms_balance(site)
    settings.updated_at = utcnow()
    apply_sms_option_settings(site, settings, values, errors, switch=SWITCHES[0], text_fields=(), by=by)
    return settings


def plugin_config(site_id: int) -> dict:
    """What the plugin's checkout copy holds: whether product pages offer the SMS alerts."""
    settings = settings_for(site_id)
    return {"alerts": bool(settings.back_in_stock_sms or settings.price_drop_sms)}


# --- reports -------------------------------------------------------------------------------------------

def _named(site_id: int, rows) -> list[dict]:
    """Report rows {product_id, shoppers} with the product's name, price and stock from inventory."""
    rows = list(rows)
    items = {item.wc_id: item for item in db.session.execute(select(StockItem).where(
        StockItem.site_id == site_id, in_list(StockItem.wc_id, [row.product_wc_id for row in rows])))
        .scalars()} if rows else {}
    out = []
    for row in rows:
        item = items.get(row.product_wc_id)
        out.append({"product_id": row.product_wc_id, "shoppers": row.shoppers,
                    "name": item.name if item else f"#{row.product_wc_id}", "sku": item.sku if item else None,
                    "price": item.price if item else None, "stock_status": item.stock_status if item else None})
    return out


# a wish not removed since
ACTIVE = Wish.removed_at.is_(None)


def most_wished(site_id: int, limit: int = REPORT_ROWS) -> list[dict]:
    shoppers = func.count(func.distinct(Wish.shopper)).label("shoppers")
    return _named(site_id, db.session.execute(
        select(Wish.product_wc_id, shoppers).where(Wish.site_id == site_id, ACTIVE)
        .group_by(Wish.product_wc_id).order_by(shoppers.desc(), Wish.product_wc_id).limit(limit)))


def _bought_by(shopper_matches):
    """An order of the wish's shopper that has the wished product; `shopper_matches` is one
    equality (a NULL on the wish matches nothing)."""
    return exists().where(
        OrderItem.order_id == Order.id, OrderItem.site_id == Wish.site_id, OrderItem.product_id == Wish.product_wc_id,
        Order.deleted_at.is_(None), Order.excluded_from_sales.is_(False), Order.status.not_in(NOT_BOUGHT), shopper_matches)


# An order of the shopper with the product, by account, phone or email (a NULL matches nothing).
BOUGHT = or_(_bought_by(Order.wc_customer_id == Wish.wp_user_id), _bought_by(Order.phone == Wish.phone),
             _bought_by(func.lower(Order.billing_email) == Wish.email))


def wished_not_bought(site_id: int, limit: int = REPORT_ROWS) -> list[dict]:
    """Products wished by shoppers who never ordered them: who to win back, what to restock or
    discount. `bought_at` is kept as orders arrive (record_orders), so this reads wishes only."""
    shoppers = func.count(func.distinct(Wish.shopper)).label("shoppers")
    return _named(site_id, db.session.execute(
        select(Wish.product_wc_id, shoppers).where(Wish.site_id == site_id, ACTIVE, Wish.bought_at.is_(None))
        .group_by(Wish.product_wc_id).order_by(shoppers.desc(), Wish.product_wc_id).limit(limit)))


def totals(site_id: int) -> dict:
    wishes, shoppers = db.session.execute(
        select(func.count(), func.count(func.distinct(Wish.shopper))).where(Wish.site_id == site_id, ACTIVE)).one()
    subscriptions = db.session.execute(select(func.count()).select_from(AlertSubscription).where(
        AlertSubscription.site_id == site_id, AlertSubscription.cancelled_at.is_(None))).scalar_one()
    sent = db.session.execute(select(func.count()).select_from(WishlistAlert).where(
        WishlistAlert.site_id == site_id, WishlistAlert.state == "queued")).scalar_one()
    return {"wishes": wishes, "shoppers": shoppers, "subscriptions": subscriptions, "alerts_sent": sent}


def report(site_id: int) -> dict:
    return {**totals(site_id), "most_wished": most_wished(site_id), "wished_not_bought": wished_not_bought(site_id)}


def _buyer_keys(user_id, phone, email) -> list[tuple]:
    return [key for key in (("user", user_id), ("phone", phone), ("email", email)) if key[1]]


def record_orders(site_id: int, changes) -> int:
    """`order_stored`: the stored orders' shoppers bought these products; their wishes for them
    are bought (by account, phone or email). Returns how many wishes it marked."""
    bought = {}
    for change in changes:
        order = change.new[0] if change.new is not None else None
        if order is None or order.get("excluded_from_sales") or order.get("deleted_at") or order["status"] in NOT_BOUGHT:
            continue
        products = {item["product_id"] for item in change.items if item.get("product_id")}
        if products:
            bought[change.wc_id] = products
    if not bought or db.session.execute(select(Wish.id).where(
            Wish.site_id == site_id, Wish.bought_at.is_(None)).limit(1)).first() is None:
        return 0  # most shops, most batches: nothing to look up
    owned = {}
    for order in db.session.execute(select(Order.wc_id, Order.wc_customer_id, Order.phone, func.lower(Order.billing_email))
                                    .where(Order.site_id == site_id, in_list(Order.wc_id, sorted(bought)))).all():
        for key in _buyer_keys(order[1], order[2], order[3]):
            owned.setdefault(key, set()).update(bought[order[0]])
    who = [in_list(column, sorted({value for kind, value in owned if kind == name}))
           for name, column in (("user", Wish.wp_user_id), ("phone", Wish.phone), ("email", Wish.email))
           if any(kind == name for kind, _value in owned)]
    if not who:
        return 0
    wishes = db.session.execute(select(Wish.id, Wish.wp_user_id, Wish.phone, Wish.email, Wish.product_wc_id).where(
        Wish.site_id == site_id, Wish.bought_at.is_(None),
        in_list(Wish.product_wc_id, sorted(set().union(*bought.values()))), or_(*who))).all()
    ids = [wish.id for wish in wishes
           if any(wish.product_wc_id in owned.get(key, ()) for key in _buyer_keys(wish.wp_user_id, wish.phone, wish.email))]
    if ids:
        db.session.execute(update(Wish).where(in_list(Wish.id, ids)).values(bought_at=utcnow())
                           .execution_options(synchronize_session=False))
    return len(ids)


# --- alerts: claimed inside inventory's write (no remote call, no commit) ------------------------------

def _inline_nested() -> bool:
    """In the unit tests' inline mode `enqueue` commits at once; inside a savepoint that would end
    the writer's transaction under it: the rows wait for the next change's send instead."""
    return current_app.config["BROKER_URL"].startswith("inline") and db.session().in_nested_transaction()


def record_item_changes(site_id: int, changes) -> int:
    """`items_changed`: a restock or a price drop of a subscribed item becomes one pending alert per
    subscription and change, written by INSERT ... SELECT over the item's subscriptions (thousands
    of shoppers on one restock are one statement). Returns how many alerts were new."""
    settings = settings_for(site_id)
    restocked = {c.wc_id: c for c in changes if c.back_in_stock} if settings.back_in_stock_sms else {}
    cheaper = {c.wc_id: c for c in changes if c.price_dropped} if settings.price_drop_sms else {}
    if not restocked and not cheaper:
        return 0
    subscribed = set(db.session.execute(select(AlertSubscription.item_wc_id).distinct().where(
        AlertSubscription.site_id == site_id, AlertSubscription.cancelled_at.is_(None),
        in_list(AlertSubscription.item_wc_id, sorted(set(restocked) | set(cheaper))))).scalars())
    new = 0
    for wc_id in sorted(subscribed & set(restocked)):
        new += _insert_alerts(site_id, "back_in_stock", restocked[wc_id], AlertSubscription.back_in_stock.is_(True))
    for wc_id in sorted(subscribed & set(cheaper)):
        change = cheaper[wc_id]
        news = and_(AlertSubscription.price_drop.is_(True),
                    or_(AlertSubscription.price_seen.is_(None), AlertSubscription.price_seen > change.new_price))
        new += _insert_alerts(site_id, "price_drop", change, news)
        # the next alert needs a lower price still
        db.session.execute(update(AlertSubscription).where(_subscribed_to(site_id, wc_id), news)
                           .values(price_seen=change.new_price).execution_options(synchronize_session=False))
    if new and not _inline_nested():
        enqueue(SEND_TASK, site_id=site_id)
    return new


def _subscribed_to(site_id: int, wc_id: int):
    return and_(AlertSubscription.site_id == site_id, AlertSubscription.item_wc_id == wc_id,
                AlertSubscription.cancelled_at.is_(None))


def _insert_alerts(site_id: int, kind: str, change, condition) -> int:
    columns = ("site_id", "subscription_id", "phone", "kind", "event_key", "item_name", "price", "state", "created_at")
    rows = select(AlertSubscription.site_id, AlertSubscription.id, AlertSubscription.phone, literal(kind),
                  literal(str(change.version)), literal((change.name or "")[:400]),
                  literal(change.new_price, WishlistAlert.price.type), literal("pending"),
                  literal(utcnow(), WishlistAlert.created_at.type)).where(_subscribed_to(site_id, change.wc_id), condition)
    statement = upsert_insert(WishlistAlert).from_select(columns, rows).on_conflict_do_nothing(
        index_elements=["subscription_id", "kind", "event_key"])
    return db.session.execute(statement).rowcount


# --- alerts: the bulk lane's send -------------------------------------------------------------------

def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def alert_text(kind: str, *, shop: str, product: str, price: Decimal | None, link: str, language: str) -> str:
    """The SMS, in the shop's language (Bangla by default)."""
    with force_locale(language):
        if kind == "back_in_stock":
            text = _("%(shop)s: %(product)s is back in stock. %(link)s", shop=shop, product=product, link=link)
        else:
            text = _("%(shop)s: %(product)s now costs %(price)s taka. %(link)s", shop=shop, product=product,
                     price=_amount(price), link=link)
        return f"{text}\n{_('Reply STOP to stop offers')}"


def product_link(site: Site, product_wc_id: int) -> str:
    return f"{site.url.rstrip('/')}/?post_type=product&p={product_wc_id}"


def _finish(ids: list[int], state: str, detail: str | None = None, **extra) -> None:
    if ids:
        db.session.execute(update(WishlistAlert).where(in_list(WishlistAlert.id, ids))
                           .values(state=state, detail=detail and detail[:300], done_at=utcnow(), **extra)
                           .execution_options(synchronize_session=False))


def send_alerts(site_id: int) -> int:
    """The task: the shop's pending alerts, claimed by one conditional UPDATE (two runs never take
    the same row), sent as one SMS batch. Returns how many were handed to the SMS domain."""
    claimed = db.session.execute(
        update(WishlistAlert).where(WishlistAlert.site_id == site_id, WishlistAlert.state == "pending")
        .values(state="claimed").returning(WishlistAlert.id).execution_options(synchronize_session=False)
    ).scalars().all()
    if not claimed:
        return 0
    site = db.session.get(Site, site_id)
    settings = settings_for(site_id)
    handed = 0
    for start in range(0, len(claimed), ALERTS_PER_SEND):
        handed += _send_chunk(site, settings, sorted(claimed[start:start + ALERTS_PER_SEND]))
    return handed


def _send_chunk(site: Site, settings: WishlistSettings, ids: list[int]) -> int:
    alerts = db.session.execute(select(WishlistAlert, AlertSubscription).join(
        AlertSubscription, AlertSubscription.id == WishlistAlert.subscription_id)
        .where(in_list(WishlistAlert.id, ids)).order_by(WishlistAlert.id)).all()
    phones = sorted({alert.phone for alert, _s in alerts})
    # offers refused on the Customers pages, or STOP replied to the shop's SMS (notifications records those)
    opted_out = set(db.session.execute(select(SmsOptOut.phone).where(
        SmsOptOut.site_id == site.id, in_list(SmsOptOut.phone, phones))).scalars())
    opted_out |= set(db.session.execute(select(OptOut.phone).where(
        OptOut.site_id == site.id, in_list(OptOut.phone, phones))).scalars())
    since = utcnow() - timedelta(days=1)
    sent_today = dict(db.session.execute(select(WishlistAlert.phone, func.count()).where(
        WishlistAlert.site_id == site.id, WishlistAlert.state == "queued", WishlistAlert.done_at >= since,
        in_list(WishlistAlert.phone, phones)).group_by(WishlistAlert.phone)).all())
    going, skipped = [], {reason: [] for reason in SKIP_REASONS}
    for alert, subscription in alerts:
        if subscription.cancelled_at is not None:
            skipped["cancelled"].append(alert.id)
        elif not (settings.back_in_stock_sms if alert.kind == "back_in_stock" else settings.price_drop_sms):
            skipped["switched_off"].append(alert.id)
        elif alert.phone in opted_out:
            skipped["opted_out"].append(alert.id)
        elif sent_today.get(alert.phone, 0) >= settings.alerts_per_phone_per_day:
            skipped["daily_limit"].append(alert.id)
        else:
            sent_today[alert.phone] = sent_today.get(alert.phone, 0) + 1
            going.append((alert, subscription))
    for reason, skipped_ids in skipped.items():
        _finish(skipped_ids, "skipped", reason)
    if not going:
        return 0
    shop = shop_name(site)
    rows = [{"phone": alert.phone, "content": alert_text(
        alert.kind, shop=shop, product=alert.item_name, price=alert.price,
        link=product_link(site, subscription.product_wc_id), language=settings.language)} for alert, subscription in going]
    try:
        result = start_batch(site, rows, purpose="wishlist", started_by="wishlist")
    except QueueUnavailable:
        raise  # the task is retried; its claim rolls back with it
    except ApiError as error:  # the balance is short: nothing was debited
        _finish([alert.id for alert, _s in going], "failed", error.message)
        return 0
    _finish([alert.id for alert, _s in going], "queued", job_id=result["job"].id)
    return len(going)


def recent_alerts(site_id: int, limit: int = 20) -> list[WishlistAlert]:
    return list(db.session.execute(select(WishlistAlert).where(WishlistAlert.site_id == site_id)
                                   .order_by(WishlistAlert.id.desc()).limit(limit)).scalars())
