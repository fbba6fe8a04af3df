"""Batch stock and price changes (I2): rows from the grid or a CSV (SKU, stock, price[, sale
price]), checked into a preview, applied by a job through WooCommerce's products/batch and
variations' batch endpoints (100 items a call), a result per row, the last batch undone.

A row remembers the item's date_modified_gmt (and stock) the editor saw. When the stored copy,
kept in step by the plugin's pushes and reconciliation, has changed since, the row is refused
with that reason instead of overwriting what someone else did. Checking against the stored
copy, not a fresh read, keeps a batch at one WooCommerce call per hundred rows; a change made in
WooCommerce in the seconds before its push arrives is the window left open."""
import csv
import io
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from backend import commits
from backend.database import in_list
from backend.errors import ApiError
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce
from backend.inventory import product_sync
from backend.inventory.models import StockBatch, StockBatchRow, StockItem
from backend.licensing.models import Site
from backend.tasks.models import WorkJob
from backend.tasks.service import asker_locale, in_language_of, record_item, recorded_items, start_job, unrecorded

MAX_ROWS = 10_000
MAX_CSV_BYTES = 2_000_000
WC_TIME = "%Y-%m-%dT%H:%M:%S"


def _modified(item: StockItem) -> str | None:
    return item.date_modified_gmt.strftime(WC_TIME) if item.date_modified_gmt else None


def _number(raw, name: str, *, money: bool):
    """(value, error): blank is "no change"; "-" or "none" for a sale price removes it."""
    text = "" if raw is None else str(raw).strip().replace(",", "")
    if text == "":
        return None, None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, _("%(name)s: %(value)s is not a number.", name=name, value=str(raw)[:40])
    if not value.is_finite() or value < 0 or value >= Decimal("1e9"):
        return None, _("%(name)s: %(value)s is out of range.", name=name, value=str(raw)[:40])
    if money:
        if value != value.quantize(Decimal("0.01")):
            return None, _("%(name)s: at most two decimal places.", name=name)
        return value.quantize(Decimal("0.01")), None
    if value != value.to_integral_value():
        return None, _("%(name)s: a whole number expected.", name=name)
    return int(value), None


def parse_csv(data: bytes) -> list[dict]:
    """A CSV's rows as batch rows (sku, stock, price, sale_price); the header names the columns."""
    if len(data) > MAX_CSV_BYTES:
        raise ApiError(_("The file is too large (at most 2 MB)."), code="too_large", status=413)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(_("The file is not UTF-8 text (save it as CSV UTF-8)."), code="invalid_csv", status=422) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower().replace(" ", "_") for h in next(reader, [])]
    aliases = {"sku": "sku", "stock": "stock", "stock_quantity": "stock", "qty": "stock", "quantity": "stock",
               "price": "price", "regular_price": "price", "sale_price": "sale_price", "sale": "sale_price"}
    columns = [aliases.get(h) for h in header]
    if "sku" not in columns:
        raise ApiError(_("The first line must name the columns: SKU, stock, price."), code="invalid_csv", status=422)
    rows = []
    for line in reader:
        if not any(cell.strip() for cell in line):
            continue
        row = {name: (line[i] if i < len(line) else "") for i, name in enumerate(columns) if name}
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ApiError(_("At most %(n)s rows in one batch.", n=MAX_ROWS), code="too_many_rows", status=413)
    return rows


def preview(site_id: int, rows: list[dict]) -> list[dict]:
    """Each row checked: the item it names (by product_id or SKU), what changes, or its error.
    Nothing is written."""
    if len(rows) > MAX_ROWS:
        raise ApiError(_("At most %(n)s rows in one batch.", n=MAX_ROWS), code="too_many_rows", status=413)
    skus = {str(r.get("sku") or "").strip() for r in rows if not r.get("product_id")} - {""}
    ids = {int(r["product_id"]) for r in rows if r.get("product_id")}
    by_sku, by_id = {}, {}
    for chunk in _chunks(sorted(skus), 500):
        for item in db.session.execute(select(StockItem).where(StockItem.site_id == site_id, in_list(StockItem.sku, chunk),
                                                               StockItem.deleted_at.is_(None))).scalars():
            by_sku.setdefault(item.sku, []).append(item)
    for chunk in _chunks(sorted(ids), 500):
        for item in db.session.execute(select(StockItem).where(StockItem.site_id == site_id, in_list(StockItem.wc_id, chunk),
                                                               StockItem.deleted_at.is_(None))).scalars():
            by_id[item.wc_id] = item
    out, seen = [], set()
    for number, row in enumerate(rows, start=1):
        sku = str(row.get("sku") or "").strip()
        result = {"row": number, "sku": sku or None, "product_id": None, "errors": []}
        if row.get("product_id"):
            item = by_id.get(int(row["product_id"]))
        else:
            found = by_sku.get(sku, [])
            item = found[0] if len(found) == 1 else None
            if len(found) > 1:
                result["errors"].append(_("SKU %(sku)s names more than one product.", sku=sku))
        if item is None and not result["errors"]:
            result["errors"].append(_("No product with SKU %(sku)s.", sku=sku) if sku else _("No SKU."))
        stock, error_s = _number(row.get("stock"), _("stock"), money=False)
        price, error_p = _number(row.get("price"), _("price"), money=True)
        raw_sale = row.get("sale_price")
        remove_sale = str(raw_sale or "").strip().lower() in ("-", "none", "0")
        sale, error_sale = (None, None) if remove_sale else _number(raw_sale, _("sale price"), money=True)
        result["errors"] += [e for e in (error_s, error_p, error_sale) if e]
        if item is not None:
            result.update(product_id=item.wc_id, parent_id=item.parent_wc_id or None, name=item.name, sku=item.sku,
                          old_stock=item.stock_quantity, old_price=item.regular_price, old_sale_price=item.sale_price,
                          loaded_modified=row.get("loaded_modified") or _modified(item))
            if item.wc_id in seen:
                result["errors"].append(_("This product is in the batch twice."))
            seen.add(item.wc_id)
            if item.type == "variable" and stock is not None:
                result["errors"].append(_("A variable product's stock is its variations'; change those."))
            if sale is not None and (price if price is not None else item.regular_price or Decimal(0)) <= sale:
                result["errors"].append(_("The sale price must be below the price."))
        result.update(new_stock=stock, new_price=price, new_sale_price=sale, remove_sale=remove_sale)
        if not result["errors"] and stock is None and price is None and sale is None and not remove_sale:
            result["errors"].append(_("Nothing to change."))
        result["ok"] = not result["errors"]
        out.append(result)
    return out


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def start_batch(site_id: int, rows: list[dict], *, source: str, user: str | None, undo_of: int | None = None):
    """The previewed rows that are fine, stored and sent to WooCommerce by a job; (batch, job, preview)."""
    checked = preview(site_id, rows)
    good = [row for row in checked if row["ok"]]
    if not good:
        raise ApiError(_("No row can be applied; see each row's error."),
                       details={"rows": [{"row": r["row"], "errors": r["errors"]} for r in checked]}, code="nothing_to_apply", status=422)
    batch = StockBatch(site_id=site_id, source=source, created_by=user, undo_of=undo_of)
    db.session.add(batch)
    db.session.flush()
    stored = []
    for row in good:
        stored.append(StockBatchRow(
            batch_id=batch.id, site_id=site_id, wc_id=row["product_id"], parent_wc_id=row["parent_id"] or 0,
            sku=row["sku"], loaded_modified=row["loaded_modified"], old_stock=row["old_stock"],
            old_regular_price=row["old_price"], old_sale_price=row["old_sale_price"], new_stock=row["new_stock"],
            new_regular_price=row["new_price"], new_sale_price=row["new_sale_price"],
            set_sale_price=row["new_sale_price"] is not None or row["remove_sale"]))
    db.session.add_all(stored)
    db.session.flush()
    # rows of one parent together, so a task's hundred rows make as few calls as can be
    order = sorted(stored, key=lambda r: (r.parent_wc_id, r.id))
    job = start_job(site_id, "inventory_batch", [r.id for r in order], "inventory.apply_batch",
                    params={"batch_id": batch.id, "locale": asker_locale()}, started_by=user, per_task=100)
    batch.job_id = job.id
    return batch, job, checked


def apply_rows(site_id: int, job_id: int, items: list[str]) -> None:
    """A task's rows: refused when the item changed since loaded, the rest sent 100 a call per
    parent, every row's outcome recorded."""
    job = db.session.get(WorkJob, job_id)
    site = db.session.get(Site, site_id)
    if job is None or site is None:
        return
    done = recorded_items(job_id)
    rows = db.session.execute(select(StockBatchRow).where(
        StockBatchRow.site_id == site_id, in_list(StockBatchRow.id, [int(i) for i in items if i not in done]))
        .order_by(StockBatchRow.parent_wc_id, StockBatchRow.id)).scalars().all()
    if not rows:
        return
    stored = {item.wc_id: item for item in db.session.execute(select(StockItem).where(
        StockItem.site_id == site_id, in_list(StockItem.wc_id, [r.wc_id for r in rows]))).scalars()}
    sendable = {}
    with in_language_of(job):
        for row in rows:
            item = stored.get(row.wc_id)
            reason = None
            if item is None or item.deleted_at is not None:
                reason = _("The product is no longer in WooCommerce.")
            elif row.loaded_modified and _modified(item) != row.loaded_modified:
                reason = _("Changed in WooCommerce since it was loaded (at %(when)s); load it again.",
                           when=_modified(item))
            elif row.new_stock is not None and item.stock_quantity != row.old_stock:
                reason = _("Its stock changed since it was loaded (now %(n)s); load it again.", n=item.stock_quantity)
            if reason:
                _finish(job_id, row, "refused", reason)
            else:
                sendable.setdefault(row.parent_wc_id, []).append(row)
    if not sendable:
        return
    api = WooCommerce.for_site(site)
    answers = {}
    commits.before_remote_call()  # nothing written stays open while the shop answers
    for parent, group in sendable.items():
        payload = [_payload(row, stored[row.wc_id]) for row in group]
        results = api.batch_update_products(payload, parent_id=parent or None)
        answers[parent] = list(zip(group, results))
    written = []
    with in_language_of(job):
        for parent, pairs in answers.items():
            parent_body = {"id": parent, "name": stored[pairs[0][0].wc_id].name.split(" — ")[0], "categories": []}
            for row, result in pairs:
                if isinstance(result, dict) and result.get("error"):
                    error = result["error"]
                    _finish(job_id, row, "failed", f"WooCommerce: {error.get('code')}: {error.get('message')}")
                    continue
                try:
                    normal = product_sync.normalise_item(result, parent_body if parent else None)
                except product_sync.InvalidProduct as error:
                    _finish(job_id, row, "failed", str(error))
                    continue
                if parent:  # keep the stored name, categories and image: the answer has not the parent's
                    item = stored[row.wc_id]
                    normal.update(name=item.name, categories=item.categories, image_url=normal["image_url"] or item.image_url)
                written.append(normal)
                _finish(job_id, row, "done", "")
    product_sync.upsert_items(site_id, written)


def _payload(row: StockBatchRow, item: StockItem) -> dict:
    change = {"id": row.wc_id}
    if row.new_stock is not None:
        change["stock_quantity"] = row.new_stock
        if not item.manage_stock:
            change["manage_stock"] = True
    if row.new_regular_price is not None:
        change["regular_price"] = f"{row.new_regular_price:.2f}"
    if row.set_sale_price:
        change["sale_price"] = "" if row.new_sale_price is None else f"{row.new_sale_price:.2f}"
    return change


def _finish(job_id: int, row: StockBatchRow, outcome: str, message: str) -> None:
    row.outcome, row.message = outcome, message or None
    record_item(job_id, row.id, outcome, message, {"product_id": row.wc_id, "sku": row.sku, "ok": outcome == "done"})


def batch_gave_up(site_id: int, job_id: int, items: list[str], error: str = "") -> None:
    """Retries used up (WooCommerce did not answer): the rows without a result are failed, so the
    job finishes and says which rows to try again."""
    job = db.session.get(WorkJob, job_id)
    if job is None:
        return
    with in_language_of(job):
        message = _("WooCommerce did not answer; try again.")
        rows = db.session.execute(select(StockBatchRow).where(
            in_list(StockBatchRow.id, [int(i) for i in unrecorded(job_id, items)]))).scalars().all()
        for row in rows:
            _finish(job_id, row, "failed", message)


def last_batch(site_id: int) -> StockBatch | None:
    return db.session.execute(select(StockBatch).where(StockBatch.site_id == site_id, StockBatch.undone.is_(False),
                                                       StockBatch.undo_of.is_(None))
                              .order_by(StockBatch.id.desc()).limit(1)).scalar_one_or_none()


def undo_last(site_id: int, user: str | None):
    """A batch that puts the last batch's applied rows back as they were; a row changed since
    that batch set it is refused like any other conflict."""
    batch = last_batch(site_id)
    if batch is None:
        raise ApiError(_("There is no batch to undo."), code="not_found", status=404)
    job = db.session.get(WorkJob, batch.job_id) if batch.job_id else None
    if job is not None and job.status not in ("done", "failed"):
        raise ApiError(_("The batch is still being applied; undo it when it has finished."), code="batch_running", status=409)
    done_rows = db.session.execute(select(StockBatchRow).where(StockBatchRow.batch_id == batch.id,
                                                               StockBatchRow.outcome == "done")).scalars().all()
    if not done_rows:
        raise ApiError(_("No row of the last batch was applied."), code="nothing_to_undo", status=422)
    stored = {item.wc_id: item for item in db.session.execute(select(StockItem).where(
        StockItem.site_id == site_id, in_list(StockItem.wc_id, [r.wc_id for r in done_rows]))).scalars()}
    rows = []
    for row in done_rows:
        item = stored.get(row.wc_id)
        back = {"product_id": row.wc_id, "loaded_modified": _modified(item) if item else None}
        if row.new_stock is not None:
            back["stock"] = row.old_stock
        if row.new_regular_price is not None:
            back["price"] = row.old_regular_price
        if row.set_sale_price:
            back["sale_price"] = row.old_sale_price if row.old_sale_price is not None else "-"
        # the undo is refused for an item changed after the batch set it: its stock must be what the batch left
        if item is not None and row.new_stock is not None and item.stock_quantity != row.new_stock:
            back["loaded_modified"] = "changed-after-batch"
        rows.append(back)
    batch.undone = True
    return start_batch(site_id, rows, source="undo", user=user, undo_of=batch.id)


def batch_rows(batch_id: int, site_id: int) -> list[StockBatchRow]:
    return list(db.session.execute(select(StockBatchRow).where(StockBatchRow.batch_id == batch_id,
                                                               StockBatchRow.site_id == site_id)
                                   .order_by(StockBatchRow.id)).scalars())
