"""Inventory's rules (issue 23): products and variations kept in step with WooCommerce, low
stock (I1), the aging report (I3). Batches of stock and price changes are in batches.py.

Every stored item carries `stock_version`: microseconds since the epoch of the version its stock
figures come from (the product's date_modified_gmt for a product read from WooCommerce, the
plugin's own clock for a stock hook). A write with an older version than the stored one is
ignored, so stock hooks that arrive out of order leave the newest value."""
import json
import logging

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import and_, func, or_, select, update

from backend import commits
from backend.database import in_list
from backend.errors import ApiError
from backend.extensions import db
from backend.desk.status_changes import shop_language
from backend.integrations.mail import Email, MailRefused, mailer_from_url
from backend.inventory.models import InventorySettings, LowStockCrossing, StockItem
from backend.inventory.sales import SALES_WINDOW_DAYS
from backend.licensing.models import Site
from backend.phones import InvalidPhone, normalise_phone
from backend.sms import service as sms
from backend.tasks.queue import enqueue
from backend.clock import utcnow

log = logging.getLogger(__name__)


# --- settings and low stock (I1) ------------------------------------------------------

def settings_for(site_id: int) -> InventorySettings:
    settings = db.session.get(InventorySettings, site_id)
    if settings is None:
        settings = InventorySettings(site_id=site_id, default_threshold=5, cover_days=7)
        db.session.add(settings)
        db.session.flush()
    return settings


def update_settings(site_id: int, data: dict) -> InventorySettings:
    settings = settings_for(site_id)
    before = settings.default_threshold
    for name in ("default_threshold", "cover_days", "alert_phone", "alert_email"):
        if name in data:
            setattr(settings, name, data[name])
    db.session.flush()
    # a new default moves only the items that follow it and sit at or below the higher of the two
    # (or have a crossing open): those are opened or closed quietly, no alert for what was low already
    highest = max(before, settings.default_threshold)
    moved = db.session.execute(select(StockItem.wc_id).where(
        StockItem.site_id == site_id, StockItem.low_stock_threshold.is_(None), StockItem.manage_stock.is_(True),
        StockItem.stock_quantity <= highest)).scalars().all()
    still_open = db.session.execute(select(StockItem.wc_id).join(LowStockCrossing, LowStockCrossing.item_id == StockItem.id)
                                    .where(LowStockCrossing.site_id == site_id, LowStockCrossing.reset_at.is_(None))).scalars().all()
    for start in range(0, len(moved) + len(still_open), 1000):
        check_crossings(site_id, sorted(set(moved) | set(still_open))[start:start + 1000], alert=False)
    return settings


def set_threshold(site_id: int, wc_id: int, threshold: int | None) -> StockItem:
    item = item_of(site_id, wc_id)
    item.low_stock_threshold = threshold
    db.session.flush()
    check_crossings(site_id, [wc_id])
    return item


def item_of(site_id: int, wc_id: int) -> StockItem:
    item = db.session.execute(select(StockItem).where(StockItem.site_id == site_id, StockItem.wc_id == wc_id,
                                                      StockItem.deleted_at.is_(None))).scalar_one_or_none()
    if item is None:
        raise ApiError(_("No such product."), code="not_found", status=404)
    return item


def _threshold_expr(default: int):
    return func.coalesce(StockItem.low_stock_threshold, default)


def check_crossings(site_id: int, wc_ids: list[int], *, alert: bool = True) -> list[LowStockCrossing]:
    """Open a crossing (and send its one alert) for each item that fell to or below its
    threshold without an open one; close the open ones of items above it again."""
    if not wc_ids:
        return []
    settings = settings_for(site_id)
    items = db.session.execute(select(StockItem).where(
        StockItem.site_id == site_id, in_list(StockItem.wc_id, list(wc_ids)))).scalars().all()
    if not items:
        return []
    open_rows = {row.item_id: row for row in db.session.execute(select(LowStockCrossing).where(
        LowStockCrossing.site_id == site_id, in_list(LowStockCrossing.item_id, [i.id for i in items]),
        LowStockCrossing.reset_at.is_(None))).scalars()}
    opened, now = [], utcnow()
    for item in items:
        threshold = item.low_stock_threshold if item.low_stock_threshold is not None else settings.default_threshold
        tracked = item.manage_stock and item.stock_quantity is not None and item.deleted_at is None
        low = tracked and item.stock_quantity <= threshold
        if low and item.id not in open_rows:
            crossing = LowStockCrossing(site_id=site_id, item_id=item.id, quantity=item.stock_quantity,
                                        threshold=threshold, crossed_at=now, alert="none")
            db.session.add(crossing)
            opened.append((crossing, item))
        elif not low and item.id in open_rows:
            open_rows[item.id].reset_at = now
    if opened:
        db.session.flush()
        if alert and settings.alert_phone:
            _send_alerts(site_id, settings.alert_phone, opened)
        if alert and settings.alert_email:
            for crossing, _item in opened:
                crossing.email_alert = "queued"
            # sent by a worker after the commit: a web request never waits on a mail server
            enqueue("inventory.email_low_stock", site_id=site_id, crossing_ids=[crossing.id for crossing, _item in opened])
    return [crossing for crossing, _item in opened]


def _send_alerts(site_id: int, phone: str, opened: list) -> None:
    """One SMS per crossing (several crossings at once: one SMS naming them), through the SMS
    domain's send path (debited and queued; a worker delivers it)."""
    site = db.session.get(Site, site_id)
    names = ", ".join(f"{item.sku or item.name} ({item.stock_quantity})" for _c, item in opened[:5])
    more = len(opened) - 5
    text = _("Low stock: %(names)s", names=names) + (_(" and %(n)s more", n=more) if more > 0 else "")
    try:
        sms.send_sms(site, phone=phone, content=text[:300], purpose="stock_alert",
                     idempotency_key=f"low-stock-{opened[0][0].id}")
        outcome = "sms"
    except ApiError as error:
        log.info("low-stock SMS of site %s not sent: %s", site_id, error.message)
        outcome = "failed"
    for crossing, _item in opened:
        crossing.alert = outcome


def email_low_stock(site_id: int, crossing_ids: list[int]) -> str | None:
    """The worker's side of an email alert: one email to the owner naming these crossings, in
    the shop's language, once (a crossing already sent is skipped). A refusal for good marks them
    failed; a mail server that cannot be reached raises, and the task is tried again."""
    rows = db.session.execute(
        select(LowStockCrossing, StockItem).join(StockItem, StockItem.id == LowStockCrossing.item_id)
        .where(LowStockCrossing.site_id == site_id, in_list(LowStockCrossing.id, crossing_ids),
               LowStockCrossing.email_alert.in_(("queued", "sending"))).order_by(LowStockCrossing.id)).all()
    if not rows:
        return None
    address = settings_for(site_id).alert_email
    mailer = mailer_from_url(current_app.config["SMTP_URL"], timeout=current_app.config["SMTP_TIMEOUT"])
    if mailer is None or not address:
        log.warning("low-stock email of site %s not sent: %s", site_id, "no mail server (BIKRI_SMTP_URL)" if address else "no address")
        return _mark_emails(rows, "failed")
    with force_locale(shop_language(db.session.get(Site, site_id))):
        email = low_stock_email(address, rows)
    first = rows[0][0].id
    _mark_emails(rows, "sending")
    commits.before_remote_call()
    try:
        mailer.send(email, message_id=f"low-stock-{site_id}-{first}")
        outcome = "sent"
    except MailRefused as error:
        log.info("low-stock email of site %s refused: %s", site_id, error)
        outcome = "failed"
    return _mark_emails(rows, outcome)


def _mark_emails(rows, outcome: str) -> str:
    for crossing, _item in rows:
        crossing.email_alert = outcome
    return outcome


def email_gave_up(site_id: int, crossing_ids: list[int], error: str = "") -> None:
    """Retries used up (the mail server never answered): the crossings' email is failed."""
    db.session.execute(update(LowStockCrossing).where(
        LowStockCrossing.site_id == site_id, in_list(LowStockCrossing.id, crossing_ids),
        LowStockCrossing.email_alert.in_(("queued", "sending"))).values(email_alert="failed"))


def low_stock_email(address: str, rows) -> Email:
    """The owner's email about items that ran low (in the current locale)."""
    lines = [_("%(name)s (SKU %(sku)s): %(quantity)s left, warning at %(threshold)s.", name=item.name,
               sku=item.sku or "—", quantity=crossing.quantity, threshold=crossing.threshold)
             for crossing, item in rows]
    subject = (_("Low stock: %(name)s", name=rows[0][1].name) if len(rows) == 1
               else _("Low stock: %(n)s products", n=len(rows)))
    text = "\n".join([_("These products fell to their low-stock warning:"), "", *lines, "",
                      _("Restock them, or change the warning on Bikri's Inventory page.")])
    return Email(to=address, subject=subject, text=text)


def days_of_cover(quantity: int | None, sold_30: int) -> float | None:
    """Days the stock lasts at the last 30 days' pace; None when nothing sold (or not tracked)."""
    if quantity is None or sold_30 <= 0:
        return None
    return max(quantity, 0) / (sold_30 / SALES_WINDOW_DAYS)


def low_stock(site_id: int, limit: int = 200) -> list[dict]:
    """Items at or below their threshold, and items whose days of cover are below the shop's
    warning, soonest out first. Days of cover come from each item's stored 30 days' sales, never
    from the orders (on PostgreSQL two partial indexes: ix_stock_items_managed_stock, _selling)."""
    settings = settings_for(site_id)
    live = and_(StockItem.site_id == site_id, StockItem.deleted_at.is_(None), StockItem.manage_stock.is_(True),
                StockItem.stock_quantity.is_not(None))
    low = db.session.execute(select(StockItem).where(
        live, StockItem.stock_quantity <= _threshold_expr(settings.default_threshold))
        .order_by(StockItem.stock_quantity, StockItem.id).limit(limit)).scalars().all()
    # stock / (units / 30) < cover days, without a division; the ids from the index alone, then the rows
    running_out = db.session.execute(select(StockItem.id).where(
        live, StockItem.units_sold_30 > 0,
        StockItem.stock_quantity * SALES_WINDOW_DAYS < settings.cover_days * StockItem.units_sold_30)
        .order_by(StockItem.stock_quantity * 1.0 / StockItem.units_sold_30, StockItem.id).limit(limit)).scalars().all()
    if running_out:
        running_out = db.session.execute(select(StockItem).where(in_list(StockItem.id, running_out))).scalars().all()
    rows = []
    for item in {item.id: item for item in [*low, *running_out]}.values():
        threshold = item.low_stock_threshold if item.low_stock_threshold is not None else settings.default_threshold
        cover = days_of_cover(item.stock_quantity, item.units_sold_30)
        rows.append({"item": item, "threshold": threshold, "sold_30": item.units_sold_30,
                     "days_of_cover": None if cover is None else round(cover, 1),
                     "below_threshold": item.stock_quantity <= threshold})
    rows.sort(key=lambda r: (r["days_of_cover"] if r["days_of_cover"] is not None else 1e9, r["item"].stock_quantity))
    return rows[:limit]


# --- the stock list ---------------------------------------------------------------------

def stock_query(site_id: int, *, q: str | None = None, show: str = "all"):
    settings = settings_for(site_id)
    query = select(StockItem).where(StockItem.site_id == site_id, StockItem.deleted_at.is_(None))
    if q:
        # lower(...) LIKE: what the trigram indexes answer on PostgreSQL (migration 0930)
        like = f"%{q.replace('%', '').replace('_', '').lower()}%"
        query = query.where(or_(func.lower(StockItem.sku).like(like), func.lower(StockItem.name).like(like)))
    if show == "low":
        query = query.where(StockItem.manage_stock.is_(True),
                            StockItem.stock_quantity <= _threshold_expr(settings.default_threshold))
    elif show == "out":
        query = query.where(StockItem.stock_status == "outofstock")
    return query.order_by(StockItem.name, StockItem.id)


def stock_page(site_id: int, page: int, per_page: int, *, q: str | None = None, show: str = "all") -> dict:
    """One page of the stock list, in the shape `api.paginate` gives. The page's ids are found
    first (inside the index on PostgreSQL, however deep the page), then only those rows are read."""
    query = stock_query(site_id, q=q, show=show)
    ids_query = query.with_only_columns(StockItem.id)
    total = db.session.execute(select(func.count()).select_from(ids_query.order_by(None).subquery())).scalar_one()
    ids = db.session.execute(ids_query.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    found = {item.id: item for item in db.session.execute(select(StockItem).where(in_list(StockItem.id, ids))).scalars()} if ids else {}
    return {"items": [found[i] for i in ids if i in found], "page": page, "per_page": per_page, "total": total,
            "pages": -(-total // per_page)}


def item_view(item: StockItem, threshold_default: int) -> dict:
    return {
        "product_id": item.wc_id, "parent_id": item.parent_wc_id or None, "type": item.type, "name": item.name,
        "sku": item.sku, "status": item.status, "price": item.price, "regular_price": item.regular_price,
        "sale_price": item.sale_price, "cost_price": item.cost_price, "manage_stock": item.manage_stock,
        "stock_quantity": item.stock_quantity, "stock_status": item.stock_status,
        "categories": json.loads(item.categories or "[]"), "image_url": item.image_url,
        "low_stock_threshold": item.low_stock_threshold,
        "threshold": item.low_stock_threshold if item.low_stock_threshold is not None else threshold_default,
        "date_modified_gmt": item.date_modified_gmt.strftime("%Y-%m-%dT%H:%M:%S") if item.date_modified_gmt else None,
        "last_sold_at": item.last_sold_at.strftime("%Y-%m-%dT%H:%M:%S") if item.last_sold_at else None,
    }


def read_phone(raw: str) -> str:
    """The owner's mobile for alerts, normalised, or a 422 naming the field."""
    try:
        return normalise_phone(raw)
    except InvalidPhone as error:
        raise ApiError(str(error), code="validation_error", status=422,
                       details={"alert_phone": [str(error)]}) from None
