"""Inventory's rules (issue 23): products and variations kept in step with WooCommerce, low
stock (I1), the aging report (I3). Batches of stock and price changes are in batches.py.

Every stored item carries `stock_version`: microseconds since the epoch of the version its stock
figures come from (the product's date_modified_gmt for a product read from WooCommerce, the
plugin's own clock for a stock hook). A write with an older version than the stored one is
ignored, so stock hooks that arrive out of order leave the newest value."""
import json
import logging
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import and_, bindparam, func, or_, select, text, update

from backend import commits
from backend.dbutil import in_list, on_postgresql, upsert_insert
from backend.errors import ApiError
from backend.extensions import db
from backend.desk.status_changes import shop_language
from backend.integrations.mail import Email, MailRefused, mailer_from_url
from backend.integrations.woocommerce import WooCommerce, WooCommerceError, parse_wc_time
from backend.inventory.models import InventorySettings, ItemSalesDay, LowStockCrossing, StockAgingDelta, StockItem
from backend.inventory.signals import ItemChange, items_changed
from backend.licensing.models import Site
from backend.orders.models import Order, OrderItem
from backend.phones import InvalidPhone, normalise_phone
from backend.sms import service as sms
from backend.tasks.queue import enqueue
from backend.timeutil import dhaka_date_sql, dhaka_today, in_dhaka, utcnow

log = logging.getLogger(__name__)

# where cost-of-goods plugins keep a product's cost (SkyVerge, Algoritmika, WooCommerce's own
# COGS, "purchase price" plugins): the first one present is the cost price
COST_META_KEYS = ("_wc_cog_cost", "_alg_wc_cog_cost", "_wc_cogs_cost", "_cogs_total_value", "_purchase_price")
SALES_WINDOW_DAYS = 30
AGING_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))
NEVER_SOLD = date(1, 1, 1)  # the aging totals' day for stock never sold
# orders that are not sales, as the dashboard counts them: their lines take back what they sold
NOT_SOLD = frozenset({"pending", "failed", "cancelled", "refunded", "returned"})
STOCK_FIELDS = ("stock_quantity", "stock_status", "manage_stock")
ITEM_FIELDS = ("parent_wc_id", "type", "name", "sku", "status", "price", "regular_price", "sale_price", "cost_price",
               "manage_stock", "stock_quantity", "stock_status", "categories", "image_url", "date_modified_gmt",
               "stock_version", "synced_at", "deleted_at")


class InvalidProduct(ValueError):
    pass


def version_of(moment: datetime | None) -> int:
    """A naive-UTC time as microseconds since the epoch (0 for none)."""
    if moment is None:
        return 0
    return int(moment.replace(tzinfo=timezone.utc).timestamp() * 1_000_000)


def _money(value, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidProduct(f"{name}: not an amount: {value!r}") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise InvalidProduct(f"{name}: not an amount: {value!r}")
    return amount.quantize(Decimal("0.01"))


def _int(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise InvalidProduct(f"{name}: a whole number expected, got {value!r}")
    try:
        number = int(Decimal(str(value)))
    except (InvalidOperation, ValueError, OverflowError):
        raise InvalidProduct(f"{name}: a whole number expected, got {value!r}") from None
    if abs(number) >= 2**31:
        raise InvalidProduct(f"{name}: out of range: {value!r}")
    return number


def _text(value, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _cost(body: dict) -> Decimal | None:
    cogs = body.get("cost_of_goods_sold")  # WooCommerce 9.5+'s own cost of goods
    if isinstance(cogs, dict) and cogs.get("total_value") not in (None, ""):
        try:
            return _money(cogs["total_value"], "cost_of_goods_sold.total_value")
        except InvalidProduct:
            pass
    meta = {m.get("key"): m.get("value") for m in body.get("meta_data") or [] if isinstance(m, dict)}
    for key in COST_META_KEYS:
        if meta.get(key) not in (None, ""):
            try:
                return _money(meta[key], key)
            except InvalidProduct:
                continue
    return None


def normalise_item(body: dict, parent: dict | None = None) -> dict:
    """A wc/v3 product (or, with `parent`, one of its variations) as a stock_items row."""
    if not isinstance(body, dict):
        raise InvalidProduct("product: an object expected")
    wc_id = _int(body.get("id"), "id")
    if not wc_id or wc_id < 1:
        raise InvalidProduct("id: missing")
    modified = parse_wc_time(body.get("date_modified_gmt") or body.get("date_created_gmt"))
    if parent is not None:
        options = " / ".join(str(a.get("option")) for a in body.get("attributes") or [] if isinstance(a, dict))
        name = body.get("name") or (f"{parent.get('name')} — {options}" if options else parent.get("name"))
        categories = parent.get("categories") or []
        image = body.get("image") if isinstance(body.get("image"), dict) else None
        image_url = (image or {}).get("src") or _first_image(parent)
        manage = body.get("manage_stock")
        item_type = "variation"
    else:
        name, categories, image_url = body.get("name"), body.get("categories") or [], _first_image(body)
        manage = body.get("manage_stock")
        item_type = _text(body.get("type"), 40) or "simple"
    return {
        "wc_id": wc_id, "parent_wc_id": int(parent["id"]) if parent is not None else 0, "type": item_type,
        "name": _text(name, 400) or f"#{wc_id}", "sku": _text(body.get("sku"), 100),
        "status": _text(body.get("status"), 40), "price": _money(body.get("price"), "price"),
        "regular_price": _money(body.get("regular_price"), "regular_price"),
        "sale_price": _money(body.get("sale_price"), "sale_price"), "cost_price": _cost(body),
        # a variation's "parent": its parent product manages the stock
        "manage_stock": manage is True, "stock_quantity": _int(body.get("stock_quantity"), "stock_quantity"),
        "stock_status": _text(body.get("stock_status"), 40),
        "categories": json.dumps([c.get("name") for c in categories if isinstance(c, dict)], ensure_ascii=False),
        "image_url": _text(image_url, 2000), "date_modified_gmt": modified, "stock_version": version_of(modified),
        "deleted_at": None,
    }


def _first_image(body: dict) -> str | None:
    images = body.get("images") or []
    return images[0].get("src") if images and isinstance(images[0], dict) else None


# --- storing ----------------------------------------------------------------------------

def upsert_items(site_id: int, rows: list[dict]) -> list[int]:
    """Store normalised items; a stored version newer than the row's is kept. Returns the
    wc ids written (then checked for low stock)."""
    if not rows:
        return []
    now = utcnow()
    unique = {}
    for row in rows:
        if row["wc_id"] not in unique or unique[row["wc_id"]]["stock_version"] <= row["stock_version"]:
            unique[row["wc_id"]] = {**row, "site_id": site_id, "synced_at": now}
    before = _stored_versions(site_id, list(unique))
    statement = upsert_insert(StockItem).values([unique[k] for k in sorted(unique)])
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[StockItem.site_id, StockItem.wc_id],
        set_={name: excluded[name] for name in ITEM_FIELDS},
        where=StockItem.stock_version <= excluded.stock_version,
    ).returning(StockItem.wc_id)
    written = [row[0] for row in db.session.execute(statement)]
    _announce(site_id, before, {wc_id: unique[wc_id] for wc_id in written})
    new = db.session.execute(select(StockItem.id).where(StockItem.site_id == site_id, in_list(StockItem.wc_id, written),
                                                        StockItem.last_sold_at.is_(None))).scalars().all()
    if new:
        _fill_last_sold(site_id, new)
    # items stored for the first time: their 30 days' sales from the units sold per day
    start = sales_window_start()
    db.session.execute(update(StockItem).where(
        StockItem.site_id == site_id, in_list(StockItem.wc_id, written), StockItem.sold_since.is_(None))
        .values(units_sold_30=_units_sold_since(start), sold_since=start).execution_options(synchronize_session=False))
    check_crossings(site_id, written)
    return written


def _stored_versions(site_id: int, wc_ids: list[int]) -> dict:
    """What the items' changes are told against: {wc id: row (parent, name, stock status, price)}."""
    if not wc_ids:
        return {}
    return {row.wc_id: row for row in db.session.execute(
        select(StockItem.wc_id, StockItem.parent_wc_id, StockItem.name, StockItem.stock_status, StockItem.price)
        .where(StockItem.site_id == site_id, in_list(StockItem.wc_id, wc_ids)))}


def _announce(site_id: int, before: dict, written: dict) -> None:
    """items_changed for the written items whose stock status or price moved (see signals.py)."""
    changes = []
    for wc_id, new in written.items():
        old = before.get(wc_id)
        if old is None:
            continue
        status = new.get("stock_status", old.stock_status)
        price = new.get("price", old.price)
        if status != old.stock_status or price != old.price:
            changes.append(ItemChange(wc_id, old.parent_wc_id, new.get("name") or old.name, old.stock_status, status,
                                      old.price, price, new["stock_version"]))
    if changes:
        items_changed.send(site_id, changes=changes)


def apply_stock_events(site_id: int, events: list[dict]) -> list[dict]:
    """Stock hooks pushed by the plugin: {product_id, stock_quantity, stock_status,
    manage_stock, version}. Older than what is stored: ignored. An item not stored yet is
    read from WooCommerce (a task). One result per event."""
    results, written, unknown, applied = [], [], [], {}
    known = _stored_versions(site_id, [e["product_id"] for e in events])
    for event in events:
        wc_id = event["product_id"]
        if wc_id not in known:
            unknown.append((wc_id, event.get("parent_id") or 0))
            results.append({"status": "fetching"})
            continue
        values = {"stock_version": event["version"], "synced_at": utcnow()}
        for name in STOCK_FIELDS:
            if name in event and event[name] is not None:
                values[name] = event[name]
        changed = db.session.execute(
            update(StockItem).where(StockItem.site_id == site_id, StockItem.wc_id == wc_id,
                                    StockItem.stock_version < event["version"]).values(**values)).rowcount
        results.append({"status": "applied" if changed else "ignored_older"})
        if changed:
            written.append(wc_id)
            applied[wc_id] = values  # several events for one item: told once, the stored one against the newest
    _announce(site_id, known, applied)
    if unknown:
        request_fetch(site_id, unknown)
    check_crossings(site_id, written)
    return results


def request_fetch(site_id: int, ids: list[tuple[int, int]]) -> None:
    """Read these (product id, parent id or 0) from WooCommerce on a worker."""
    enqueue("inventory.fetch_items", site_id=site_id, ids=[[int(a), int(b)] for a, b in ids])


def fetch_items(site_id: int, ids: list) -> int:
    """Read products and variations by id and store them (the worker's side of request_fetch)."""
    site = db.session.get(Site, site_id)
    if site is None:
        return 0
    api = WooCommerce.for_site(site)
    commits.before_remote_call()
    products = [pid for pid, parent in ids if not parent]
    rows = []
    for product in api.get_products(products) if products else []:
        rows += _rows_of(api, product)
    found = {row["wc_id"] for row in rows}
    for pid in products:
        if pid not in found:  # gone from WooCommerce (deleted for good)
            db.session.execute(update(StockItem).where(StockItem.site_id == site_id, StockItem.wc_id == pid)
                               .values(deleted_at=utcnow()))
    parents = {parent for _pid, parent in ids if parent}
    for parent_id in sorted(parents):
        try:
            parent = api.request("GET", f"products/{parent_id}")[0]
        except WooCommerceError as error:
            if error.status in (400, 404):
                continue
            raise
        rows += _rows_of(api, parent)
    return len(upsert_items(site_id, rows))


def _rows_of(api: WooCommerce, product: dict) -> list[dict]:
    """A product's row, and its variations' rows when it has any (one or more calls)."""
    rows = [normalise_item(product)]
    if product.get("type") == "variable" and product.get("variations"):
        for page in api.iter_variations(product["id"]):
            rows += [normalise_item(variation, product) for variation in page]
    return rows


def backfill(site_id: int) -> int:
    """Every product and variation of the shop, a committed page at a time."""
    site = db.session.get(Site, site_id)
    settings = settings_for(site_id)
    started = utcnow()
    api = WooCommerce.for_site(site)
    count = 0
    commits.before_remote_call()
    for products in api.iter_products():
        rows = []
        for product in products:
            rows += _rows_of(api, product)
        count += len(upsert_items(site_id, rows))
        commits.keep_progress()
    settings = settings_for(site_id)
    settings.backfilled_at = started
    settings.reconciled_until = started
    return count


def reconcile(site_id: int) -> int:
    """What a push missed: products modified since the last run (WooCommerce's modified_after),
    with their variations."""
    settings = settings_for(site_id)
    if settings.backfilled_at is None:
        return backfill(site_id)
    since, started = settings.reconciled_until, utcnow()
    site = db.session.get(Site, site_id)
    api = WooCommerce.for_site(site)
    count = 0
    commits.before_remote_call()
    since -= timedelta(minutes=1)
    read = set()
    for products in api.iter_products(modified_after=since):
        rows = []
        for product in products:
            rows += _rows_of(api, product)
            read.add(product.get("id"))
        count += len(upsert_items(site_id, rows))
        commits.keep_progress()
    # A variation saved alone leaves its product's date_modified as it was (WooCommerce saves only
    # the variation), so products?modified_after never lists it: every other variable product
    # stored is asked for its variations modified since (one call each, an empty page mostly).
    parents = db.session.execute(select(StockItem).where(
        StockItem.site_id == site_id, StockItem.type == "variable", StockItem.deleted_at.is_(None))
        .order_by(StockItem.wc_id)).scalars().all()
    parents = [_as_parent(item) for item in parents if item.wc_id not in read]
    commits.before_remote_call()
    for parent in parents:
        for variations in api.iter_variations(parent["id"], modified_after=since):
            count += len(upsert_items(site_id, [normalise_item(variation, parent) for variation in variations]))
            commits.keep_progress()
    settings_for(site_id).reconciled_until = started
    return count


def _as_parent(item: StockItem) -> dict:
    """A stored variable product in the shape normalise_item reads a variation's parent in."""
    return {"id": item.wc_id, "name": item.name, "images": [{"src": item.image_url}] if item.image_url else [],
            "categories": [{"name": name} for name in json.loads(item.categories or "[]")]}


def reconcile_all() -> int:
    """The job: every connected shop whose catalogue was read once, or never (first backfill)."""
    sites = db.session.execute(select(Site.id).where(Site.wc_consumer_key_enc.is_not(None))).scalars().all()
    for site_id in sites:
        enqueue("inventory.reconcile_shop", site_id=site_id)
    return len(sites)


# --- last sale ------------------------------------------------------------------------

def _fill_last_sold(site_id: int, item_ids: list[int]) -> None:
    """Items stored for the first time: their last sale from the orders already stored (one
    grouped query per kind and 500 items)."""
    items = db.session.execute(select(StockItem.wc_id, StockItem.parent_wc_id).where(in_list(StockItem.id, item_ids))).all()
    sales = []
    for column, wanted in ((OrderItem.product_id, [i.wc_id for i in items if not i.parent_wc_id]),
                           (OrderItem.variation_id, [i.wc_id for i in items if i.parent_wc_id])):
        for start in range(0, len(wanted), 500):
            sales += db.session.execute(
                select(column, func.max(Order.date_created_gmt)).select_from(OrderItem)
                .join(Order, Order.id == OrderItem.order_id)
                .where(OrderItem.site_id == site_id, in_list(column, wanted[start:start + 500]),
                       Order.deleted_at.is_(None), Order.excluded_from_sales.is_(False))
                .group_by(column)).all()
    record_sales(site_id, [(wc_id, last) for wc_id, last in sales])


def follow_orders(site_id: int, changes) -> None:
    """Orders stored (the order_stored listener): their items' last sale moves forward, and the
    units sold per item and day move by what each order counted before and counts now (a
    cancellation, refund, return or deletion takes its units back)."""
    sales, units = [], {}
    for change in changes:
        if change.new is not None and not change.new[0].get("excluded_from_sales"):
            created = change.new[0].get("date_created_gmt")
            sales += [(wc_id, created) for item in change.new[1] for wc_id in _item_ids(item)]
        for version, sign in ((change.old, -1), (change.new, 1)):
            if version is None or not counts_as_sold(version[0]):
                continue
            day = in_dhaka(version[0]["date_created_gmt"]).date()
            for item in version[1]:
                for wc_id in _item_ids(item):
                    units[(wc_id, day)] = units.get((wc_id, day), 0) + sign * int(item.get("quantity") or 0)
    record_sales(site_id, sales)
    move_units_sold(site_id, units)


def _item_ids(item) -> set[int]:
    """An order line sells its product and, for a variable product, its variation."""
    return {wc_id for wc_id in (item.get("product_id"), item.get("variation_id")) if wc_id}


def counts_as_sold(order) -> bool:
    return (order.get("date_created_gmt") is not None and not order.get("excluded_from_sales")
            and order.get("deleted_at") is None and order.get("status") not in NOT_SOLD)


def move_units_sold(site_id: int, units: dict[tuple[int, date], int]) -> None:
    """Add {(wc id, day): units} to the units sold per day, in key order (concurrent writers
    take the rows' locks in the same order)."""
    rows = [{"site_id": site_id, "wc_id": wc_id, "day": day, "quantity": quantity}
            for (wc_id, day), quantity in sorted(units.items()) if quantity]
    if not rows:
        return
    statement = upsert_insert(ItemSalesDay).values(rows)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[ItemSalesDay.site_id, ItemSalesDay.wc_id, ItemSalesDay.day],
        set_={"quantity": ItemSalesDay.quantity + statement.excluded.quantity}))
    # and the items' 30 days' sums, for the days their sum holds (the days before leave it at the roll)
    start = sales_window_start()
    recent = [{"site": site_id, "item": row["wc_id"], "day": row["day"], "units": row["quantity"]}
              for row in rows if row["day"] >= start]
    if recent:
        items = StockItem.__table__
        db.session.execute(items.update().where(
            items.c.site_id == bindparam("site"), items.c.wc_id == bindparam("item"), items.c.sold_since <= bindparam("day"))
            .values(units_sold_30=items.c.units_sold_30 + bindparam("units")), recent)


def sales_window_start() -> date:
    """The first (Dhaka) day of the last 30, today included."""
    return dhaka_today() - timedelta(days=SALES_WINDOW_DAYS - 1)


def _units_sold_since(start: date):
    return func.coalesce(select(func.sum(ItemSalesDay.quantity)).where(
        ItemSalesDay.site_id == StockItem.site_id, ItemSalesDay.wc_id == StockItem.wc_id, ItemSalesDay.day >= start)
        .scalar_subquery(), 0)


def roll_sales_window(site_id: int) -> int:
    """The shop's items whose 30 days began before today's 30: summed again from the units sold
    per day (at most 30 rows each). Their rows are locked first, so an order stored meanwhile
    either committed before the sum is read or adds its units after it."""
    start = sales_window_start()
    stale = and_(StockItem.site_id == site_id, or_(StockItem.sold_since.is_(None), StockItem.sold_since < start))
    if not db.session.execute(select(StockItem.id).where(stale).with_for_update()).first():
        return 0
    return db.session.execute(update(StockItem).where(stale).values(
        units_sold_30=_units_sold_since(start), sold_since=start).execution_options(synchronize_session=False)).rowcount


def roll_sales_windows() -> int:
    """The job (hourly): every shop's 30 days moved to today's, a shop a commit."""
    rolled = 0
    for site_id in db.session.execute(select(InventorySettings.site_id).order_by(InventorySettings.site_id)).scalars().all():
        rolled += roll_sales_window(site_id)
        commits.keep_progress()
    return rolled


def record_sales(site_id: int, sales: list[tuple[int, datetime]]) -> None:
    """(product or variation id, order time) pairs move those items' last sale forward."""
    sold = {}
    for wc_id, created in sales:
        if wc_id and created and (wc_id not in sold or sold[wc_id] < created):
            sold[wc_id] = created
    by_time = {}
    for wc_id, created in sold.items():
        by_time.setdefault(created, []).append(wc_id)
    for created, wc_ids in by_time.items():
        db.session.execute(update(StockItem).where(
            StockItem.site_id == site_id, in_list(StockItem.wc_id, wc_ids),
            or_(StockItem.last_sold_at.is_(None), StockItem.last_sold_at < created)).values(last_sold_at=created))


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


# --- aging (I3) ---------------------------------------------------------------------------

def _on_hand(site_id: int):
    # a variable product's own stock line is its variations' (when they manage it themselves)
    return and_(StockItem.site_id == site_id, StockItem.deleted_at.is_(None), StockItem.stock_quantity > 0,
                StockItem.type != "variable")


def bucket_of(days: int | None) -> str:
    """The aging bucket of stock last sold `days` days ago (None: never sold)."""
    for name, _low, high in AGING_BUCKETS:
        if days is not None and (high is None or days <= high):
            return name
    return AGING_BUCKETS[-1][0]


def days_since_sale(last_sold_at: datetime | None, today: date) -> int | None:
    """Whole (Dhaka) days since the last sale: 0 for today."""
    return None if last_sold_at is None else (today - in_dhaka(last_sold_at).date()).days


def aging_days(site_id: int) -> list[tuple[date | None, int, int, int]]:
    """(day of the last sale or None, items, units, value in poisha) of the stock on hand. On
    PostgreSQL the sums of the rows the stock_items triggers appended (migration 1030): one row
    per day with a last sale, where summing the items read every item on hand (~136 ms at 50,000
    in bench/inventory.py). Elsewhere (SQLite: development and tests) the grouped sum itself."""
    if on_postgresql():
        rows = db.session.execute(
            select(StockAgingDelta.sold_day, func.sum(StockAgingDelta.items), func.sum(StockAgingDelta.units),
                   func.sum(StockAgingDelta.value_poisha)).where(StockAgingDelta.site_id == site_id)
            .group_by(StockAgingDelta.sold_day).having(func.sum(StockAgingDelta.items) != 0)).all()
    else:
        day = dhaka_date_sql(StockItem.last_sold_at)
        unit_poisha = func.round(func.coalesce(StockItem.cost_price, StockItem.price, 0) * 100)
        rows = db.session.execute(
            select(day, func.count(), func.sum(StockItem.stock_quantity), func.sum(StockItem.stock_quantity * unit_poisha))
            .where(_on_hand(site_id)).group_by(day)).all()
    return [(None if sold_day in (None, NEVER_SOLD) else _as_date(sold_day), int(items), int(units or 0), int(value or 0))
            for sold_day, items, units, value in rows]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def fold_aging_totals() -> int:
    """The job: fold each shop's appended aging rows into one row per day, so the report reads
    a few rows. Rows appended while this runs are kept for the next run."""
    if not on_postgresql():
        return 0
    return int(db.session.execute(text("""
        WITH gone AS (DELETE FROM stock_aging_deltas RETURNING site_id, sold_day, items, units, value_poisha),
             kept AS (INSERT INTO stock_aging_deltas (site_id, sold_day, items, units, value_poisha)
                      SELECT site_id, sold_day, sum(items), sum(units), sum(value_poisha) FROM gone
                      GROUP BY site_id, sold_day HAVING sum(items) <> 0 OR sum(units) <> 0 OR sum(value_poisha) <> 0
                      RETURNING 1)
        SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)""")).scalar_one())


def aging(site_id: int, *, page: int = 1, per_page: int = 50) -> dict:
    """Stock on hand by days since its last sale (never sold: 90+), the value tied up in each
    bucket (cost price, else the price), and a page of the slowest movers, slowest first."""
    today = dhaka_today()
    totals = {name: {"bucket": name, "items": 0, "units": 0, "value": 0} for name, *_r in AGING_BUCKETS}
    days = aging_days(site_id)
    for sold_day, items, units, value in days:
        bucket = totals[bucket_of(None if sold_day is None else (today - sold_day).days)]
        bucket["items"] += items
        bucket["units"] += units
        bucket["value"] += value
    for bucket in totals.values():
        bucket["value"] = (Decimal(bucket["value"]) / 100).quantize(Decimal("0.01"))
    on_hand = sum(bucket["items"] for bucket in totals.values())
    never_sold = sum(items for day, items, _units, _value in days if day is None)
    page_items = slow_movers(site_id, per_page, (page - 1) * per_page, never_sold=never_sold)
    return {"buckets": list(totals.values()), "page": page, "per_page": per_page, "total": on_hand,
            "pages": -(-on_hand // per_page), "slow_movers": [aging_row(item, today) for item in page_items]}


def slow_movers(site_id: int, limit: int, offset: int = 0, *, never_sold: int | None = None) -> list[StockItem]:
    """Never sold first, then by last sale, oldest first (two index walks: NULLs sort apart). The
    page's ids are found inside ix_stock_items_on_hand (PostgreSQL), however deep the page, then
    only those rows are read; `never_sold`, the items on hand never sold, spares counting them."""
    if never_sold is None:
        never_sold = db.session.execute(select(func.count()).where(
            _on_hand(site_id), StockItem.last_sold_at.is_(None))).scalar_one()
    ids = []
    if offset < never_sold:
        ids = db.session.execute(select(StockItem.id).where(_on_hand(site_id), StockItem.last_sold_at.is_(None))
                                 .order_by(StockItem.id).offset(offset).limit(limit)).scalars().all()
    if len(ids) < limit:
        ids += db.session.execute(select(StockItem.id).where(_on_hand(site_id), StockItem.last_sold_at.is_not(None))
                                  .order_by(StockItem.last_sold_at, StockItem.id).offset(max(0, offset - never_sold))
                                  .limit(limit - len(ids))).scalars().all()
    found = {item.id: item for item in db.session.execute(select(StockItem).where(in_list(StockItem.id, ids))).scalars()} if ids else {}
    return [found[i] for i in ids if i in found]


def aging_row(item: StockItem, today: date) -> dict:
    days = days_since_sale(item.last_sold_at, today)
    unit = item.cost_price if item.cost_price is not None else (item.price or Decimal("0"))
    return {"item": item, "days": days, "bucket": bucket_of(days), "value": (unit * item.stock_quantity).quantize(Decimal("0.01"))}


def iter_aging_rows(site_id: int, chunk: int = 1000):
    """Every item on hand, slowest first, for the CSV export (read in chunks)."""
    today, offset = dhaka_today(), 0
    never_sold = sum(items for day, items, _units, _value in aging_days(site_id) if day is None)
    while True:
        items = slow_movers(site_id, chunk, offset, never_sold=never_sold)
        for item in items:
            yield aging_row(item, today)
        if len(items) < chunk:
            return
        offset += chunk


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


def apply_events(site_id: int, events: list[dict]) -> list[dict]:
    """The plugin's pushes, one result per event: stock figures applied as sent (newer wins),
    saved products read from WooCommerce by a worker, deletions marked."""
    results = [None] * len(events)
    stock = [(i, e) for i, e in enumerate(events) if e["type"] == "stock"]
    for (index, _event), result in zip(stock, apply_stock_events(site_id, [e for _i, e in stock])):
        results[index] = result
    to_fetch = []
    for index, event in enumerate(events):
        if event["type"] == "product":
            to_fetch.append((event["product_id"], event.get("parent_id") or 0))
            results[index] = {"status": "queued"}
        elif event["type"] == "deleted":
            gone = db.session.execute(update(StockItem).where(
                StockItem.site_id == site_id, StockItem.wc_id == event["product_id"],
                StockItem.stock_version < event["version"]).values(deleted_at=utcnow(), stock_version=event["version"])).rowcount
            results[index] = {"status": "applied" if gone else "ignored_older"}
    if to_fetch:
        request_fetch(site_id, sorted(set(to_fetch)))
    return [{"idempotency_key": event["idempotency_key"], **result} for event, result in zip(events, results)]


def read_phone(raw: str) -> str:
    """The owner's mobile for alerts, normalised, or a 422 naming the field."""
    try:
        return normalise_phone(raw)
    except InvalidPhone as error:
        raise ApiError(str(error), code="validation_error", status=422,
                       details={"alert_phone": [str(error)]}) from None
