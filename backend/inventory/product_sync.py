"""Products and variations kept in step with WooCommerce (issue 23): read from wc/v3, stored
newest-wins by `stock_version`, the plugin's stock hooks, backfill and reconciliation."""
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update

from backend import commits
from backend.database import in_list, upsert_insert
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce, WooCommerceError, parse_wc_time
from backend.inventory.models import StockItem
from backend.inventory import sales, service
from backend.inventory.signals import ItemChange, items_changed
from backend.licensing.models import Site
from backend.tasks.queue import enqueue
from backend.clock import utcnow


# where cost-of-goods plugins keep a product's cost (SkyVerge, Algoritmika, WooCommerce's own
# COGS, "purchase price" plugins): the first one present is the cost price
COST_META_KEYS = ("_wc_cog_cost", "_alg_wc_cog_cost", "_wc_cogs_cost", "_cogs_total_value", "_purchase_price")
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
        sales.fill_last_sold(site_id, new)
    # items stored for the first time: their 30 days' sales from the units sold per day
    start = sales.sales_window_start()
    db.session.execute(update(StockItem).where(
        StockItem.site_id == site_id, in_list(StockItem.wc_id, written), StockItem.sold_since.is_(None))
        .values(units_sold_30=sales.units_sold_since(start), sold_since=start).execution_options(synchronize_session=False))
    service.check_crossings(site_id, written)
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
    service.check_crossings(site_id, written)
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
    products = [pid for pid, parent in ids if not parent]
    rows = []
    for product in api.get_products(products) if products else []:
        rows += _rows_of(api, product)
    found = {row["wc_id"] for row in rows}
    parents = {parent for _pid, parent in ids if parent}
    for parent_id in sorted(parents):
        try:
            parent = api.request("GET", f"products/{parent_id}")[0]
        except WooCommerceError as error:
            if error.status in (400, 404):
                continue
            raise
        rows += _rows_of(api, parent)
    # written once WooCommerce answered everything: nothing written waits open on it
    for pid in products:
        if pid not in found:  # gone from WooCommerce (deleted for good)
            db.session.execute(update(StockItem).where(StockItem.site_id == site_id, StockItem.wc_id == pid)
                               .values(deleted_at=utcnow()))
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
    settings = service.settings_for(site_id)
    started = utcnow()
    api = WooCommerce.for_site(site)
    count = _store_pages(site_id, (_rows_of_page(api, products) for products in api.iter_products()))
    settings = service.settings_for(site_id)
    settings.backfilled_at = started
    settings.reconciled_until = started
    return count


def reconcile(site_id: int) -> int:
    """What a push missed: products modified since the last run (WooCommerce's modified_after),
    with their variations."""
    settings = service.settings_for(site_id)
    if settings.backfilled_at is None:
        return backfill(site_id)
    since, started = settings.reconciled_until, utcnow()
    site = db.session.get(Site, site_id)
    api = WooCommerce.for_site(site)
    count = _store_pages(site_id, _modified_pages(site_id, api, since - timedelta(minutes=1)))
    service.settings_for(site_id).reconciled_until = started
    return count


def _store_pages(site_id: int, pages) -> int:
    """Store each page of item rows, kept before the next page is asked for (its rows are read
    from WooCommerce as the page is taken, after the previous page's commit). Returns how many
    items were stored."""
    count = 0
    for rows in commits.one_at_a_time(pages):
        count += len(upsert_items(site_id, rows))
    return count


def _rows_of_page(api: WooCommerce, products: list) -> list[dict]:
    rows = []
    for product in products:
        rows += _rows_of(api, product)
    return rows


def _modified_pages(site_id: int, api: WooCommerce, since):
    """Rows of the products modified since `since`, a page at a time, then of the variations
    modified since. A variation saved alone leaves its product's date_modified as it was
    (WooCommerce saves only the variation), so products?modified_after never lists it: every
    other variable product stored is asked for its variations modified since (one call each, an
    empty page mostly)."""
    read = set()
    for products in api.iter_products(modified_after=since):
        read.update(product.get("id") for product in products)
        yield _rows_of_page(api, products)
    parents = db.session.execute(select(StockItem).where(
        StockItem.site_id == site_id, StockItem.type == "variable", StockItem.deleted_at.is_(None))
        .order_by(StockItem.wc_id)).scalars().all()
    parents = [_as_parent(item) for item in parents if item.wc_id not in read]
    yield []  # an empty page: the read above ends at its commit, before the variations are asked for
    for parent in parents:
        for variations in api.iter_variations(parent["id"], modified_after=since):
            yield [normalise_item(variation, parent) for variation in variations]


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
