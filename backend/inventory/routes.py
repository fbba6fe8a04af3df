"""Inventory's JSON API (bearer token, scoped to the caller's site): the plugin's stock pushes,
the stock list, low stock, aging, settings and batches."""
from flask.views import MethodView

from backend.api import Blueprint, current_site, job_progress_url
from backend.inventory import aging, batches, product_sync, service, views
from backend.inventory.schemas import (AgingArgsSchema, AgingSchema, StockBatchRequestSchema, StockBatchStartedSchema, StockItemArgsSchema,
                                       StockItemPageSchema, StockItemSchema, LowStockSchema, StockPreviewSchema, InventorySettingsSchema,
                                       InventorySettingsUpdateSchema, StockEventResultsSchema, StockEventsSchema,
                                       ThresholdSchema)

blp = Blueprint("inventory", __name__, url_prefix="/api/v1/inventory", description="Products, stock and batches")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]


def _view(item):
    return service.item_view(item, service.settings_for(current_site().id).default_threshold)


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(StockEventsSchema)
    @blp.response(200, StockEventResultsSchema)
    def post(self, data):
        """Product and stock hooks the plugin forwards (woocommerce_product_set_stock,
        woocommerce_variation_set_stock, product saves, deletions). Stock figures older than the
        stored version are ignored (`ignored_older`); a product not stored yet, or saved, is read
        from WooCommerce by a worker (`fetching`, `queued`)."""
        return {"results": product_sync.apply_events(current_site().id, data["events"])}


@blp.route("/sync")
class Sync(MethodView):
    @blp.response(202, InventorySettingsSchema)
    def post(self):
        """Read the whole catalogue again from WooCommerce (a worker does it)."""
        site = current_site()
        settings = service.settings_for(site.id)
        service.enqueue("inventory.backfill", site_id=site.id)
        return settings


@blp.route("/items")
class Items(MethodView):
    @blp.arguments(StockItemArgsSchema, location="query")
    @blp.response(200, StockItemPageSchema)
    def get(self, args):
        """Products and variations with their stock, by name; `show` low or out of stock only."""
        page = service.stock_page(current_site().id, args["page"], args["per_page"], q=args["q"], show=args["show"])
        page["items"] = [_view(item) for item in page["items"]]
        return page


@blp.route("/items/<int:product_id>/threshold")
class Threshold(MethodView):
    @blp.arguments(ThresholdSchema)
    @blp.response(200, StockItemSchema)
    def put(self, data, product_id):
        """The item's own low-stock threshold (null: the shop's default)."""
        return _view(service.set_threshold(current_site().id, product_id, data["threshold"]))


@blp.route("/low-stock")
class LowStock(MethodView):
    @blp.response(200, LowStockSchema)
    def get(self):
        """At or below the threshold, or running out within the shop's days of cover at the last 30 days' pace."""
        rows = service.low_stock(current_site().id)
        return {"items": [{**row, "item": _view(row["item"])} for row in rows]}


@blp.route("/aging")
class Aging(MethodView):
    @blp.arguments(AgingArgsSchema, location="query")
    @blp.response(200, AgingSchema)
    def get(self, args):
        """Stock on hand by days since its last sale, the value tied up per bucket, and a page of
        the items on hand, slowest first."""
        report = aging.aging(current_site().id, page=args["page"], per_page=args["per_page"])
        report["slow_movers"] = [{**row, "item": _view(row["item"])} for row in report["slow_movers"]]
        return report


@blp.route("/settings")
class Settings(MethodView):
    @blp.response(200, InventorySettingsSchema)
    def get(self):
        return service.settings_for(current_site().id)

    @blp.arguments(InventorySettingsUpdateSchema)
    @blp.response(200, InventorySettingsSchema)
    def put(self, data):
        """The default threshold, the days of cover that warn, the owner's mobile for low-stock SMS
        and address for low-stock emails."""
        if data.get("alert_phone"):
            data["alert_phone"] = service.read_phone(data["alert_phone"])
        return service.update_settings(current_site().id, data)


@blp.route("/batches/preview")
class Preview(MethodView):
    @blp.arguments(StockBatchRequestSchema)
    @blp.response(200, StockPreviewSchema)
    def post(self, data):
        """Each row checked against the stored catalogue (SKU known, numbers valid); nothing is written."""
        return {"rows": batches.preview(current_site().id, data["rows"])}


@blp.route("/batches")
class Batches(MethodView):
    @blp.arguments(StockBatchRequestSchema)
    @blp.response(202, StockBatchStartedSchema)
    def post(self, data):
        """Apply the rows that pass the preview: a job sends them to WooCommerce, 100 a call
        (`Location: /api/v1/jobs/<id>`, a result per row)."""
        batch, job, rows = batches.start_batch(current_site().id, data["rows"], source="api", user="api")
        return {"batch_id": batch.id, "job_id": job.id, "rows": rows}, 202, {"Location": job_progress_url(job)}


@blp.route("/batches/undo")
class Undo(MethodView):
    @blp.response(202, StockBatchStartedSchema)
    def post(self):
        """Put the last batch's applied rows back as they were (a new batch)."""
        batch, job, rows = batches.undo_last(current_site().id, "api")
        return {"batch_id": batch.id, "job_id": job.id, "rows": rows}, 202, {"Location": job_progress_url(job)}
