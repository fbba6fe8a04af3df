"""Inventory's JSON edge: strict schemas for what comes in, plain ones for what goes out."""
from marshmallow import Schema, fields, validate

from backend.api import PageArgsSchema, PageSchema, StrictSchema

MAX_EVENTS = 100
EVENT_TYPES = ("stock", "product", "deleted")


class StockEventSchema(StrictSchema):
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES), metadata={
        "description": "stock: woocommerce_product_set_stock / woocommerce_variation_set_stock (the figures "
                       "are applied as sent); product: a product or variation saved (read from WooCommerce "
                       "by a worker); deleted: deleted for good"})
    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**53))
    parent_id = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=2**53),
                               metadata={"description": "a variation's product; 0 for a product"})
    stock_quantity = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=-2**31, max=2**31 - 1))
    stock_status = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    manage_stock = fields.Boolean(load_default=None, allow_none=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**62), metadata={
        "description": "microseconds since the epoch when the hook ran (the plugin's clock); an event older "
                       "than the stored version is ignored, so out-of-order hooks leave the newest value"})


class StockEventsSchema(StrictSchema):
    events = fields.List(fields.Nested(StockEventSchema), required=True, validate=validate.Length(min=1, max=MAX_EVENTS))


class StockEventResultSchema(Schema):
    idempotency_key = fields.String()
    status = fields.String(metadata={"description": "applied | ignored_older | fetching | queued"})


class StockEventResultsSchema(Schema):
    results = fields.List(fields.Nested(StockEventResultSchema))


class StockItemArgsSchema(PageArgsSchema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    show = fields.String(load_default="all", validate=validate.OneOf(("all", "low", "out")))


class StockItemSchema(Schema):
    product_id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    type = fields.String()
    name = fields.String()
    sku = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    price = fields.Decimal(as_string=True, allow_none=True)
    regular_price = fields.Decimal(as_string=True, allow_none=True)
    sale_price = fields.Decimal(as_string=True, allow_none=True)
    cost_price = fields.Decimal(as_string=True, allow_none=True)
    manage_stock = fields.Boolean()
    stock_quantity = fields.Integer(allow_none=True)
    stock_status = fields.String(allow_none=True)
    categories = fields.List(fields.String())
    image_url = fields.String(allow_none=True)
    low_stock_threshold = fields.Integer(allow_none=True)
    threshold = fields.Integer()
    date_modified_gmt = fields.String(allow_none=True)
    last_sold_at = fields.String(allow_none=True)


class StockItemPageSchema(PageSchema):
    items = fields.List(fields.Nested(StockItemSchema))


class ThresholdSchema(StrictSchema):
    threshold = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0, max=1_000_000),
                               metadata={"description": "null: the shop's default"})


class LowStockRowSchema(Schema):
    item = fields.Nested(StockItemSchema)
    threshold = fields.Integer()
    sold_30 = fields.Integer(metadata={"description": "units sold in the last 30 days"})
    days_of_cover = fields.Float(allow_none=True, metadata={"description": "days the stock lasts at that pace"})
    below_threshold = fields.Boolean()


class LowStockSchema(Schema):
    items = fields.List(fields.Nested(LowStockRowSchema))


class AgingBucketSchema(Schema):
    bucket = fields.String(metadata={"description": "0-30 | 31-60 | 61-90 | 90+ days since the last sale"})
    items = fields.Integer()
    units = fields.Integer()
    value = fields.Decimal(as_string=True, metadata={"description": "units × cost price (else price)"})


class AgingRowSchema(Schema):
    item = fields.Nested(StockItemSchema)
    days = fields.Integer(allow_none=True, metadata={"description": "since the last sale; null: never sold"})
    bucket = fields.String()
    value = fields.Decimal(as_string=True)


class AgingArgsSchema(PageArgsSchema):
    """The page of slow movers (the buckets cover every item on hand)."""

    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class AgingSchema(Schema):
    buckets = fields.List(fields.Nested(AgingBucketSchema))
    slow_movers = fields.List(fields.Nested(AgingRowSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "items on hand (the slow movers' rows)"})
    pages = fields.Integer()


class InventorySettingsSchema(Schema):
    default_threshold = fields.Integer()
    cover_days = fields.Integer()
    alert_phone = fields.String(allow_none=True)
    alert_email = fields.String(allow_none=True)
    backfilled_at = fields.DateTime(allow_none=True)


class InventorySettingsUpdateSchema(StrictSchema):
    default_threshold = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))
    cover_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=365))
    alert_phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    alert_email = fields.Email(allow_none=True, validate=validate.Length(max=254),
                               metadata={"description": "the owner's address for low-stock emails; null: none"})


class StockBatchRowSchema(StrictSchema):
    product_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=2**53))
    sku = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    stock = fields.Raw(load_default=None, allow_none=True, metadata={"description": "a whole number; blank: unchanged"})
    price = fields.Raw(load_default=None, allow_none=True, metadata={"description": "the regular price; blank: unchanged"})
    sale_price = fields.Raw(load_default=None, allow_none=True, metadata={"description": "'-': remove the sale price"})
    loaded_modified = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30), metadata={
        "description": "the item's date_modified_gmt when it was loaded: changed since, the row is refused"})


class StockBatchRequestSchema(StrictSchema):
    rows = fields.List(fields.Nested(StockBatchRowSchema), required=True, validate=validate.Length(min=1, max=10_000))


class StockPreviewRowSchema(Schema):
    row = fields.Integer()
    sku = fields.String(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    name = fields.String()
    ok = fields.Boolean()
    errors = fields.List(fields.String())
    old_stock = fields.Integer(allow_none=True)
    new_stock = fields.Integer(allow_none=True)
    old_price = fields.Decimal(as_string=True, allow_none=True)
    new_price = fields.Decimal(as_string=True, allow_none=True)
    old_sale_price = fields.Decimal(as_string=True, allow_none=True)
    new_sale_price = fields.Decimal(as_string=True, allow_none=True)


class StockPreviewSchema(Schema):
    rows = fields.List(fields.Nested(StockPreviewRowSchema))


class StockBatchStartedSchema(Schema):
    batch_id = fields.Integer()
    job_id = fields.Integer()
    rows = fields.List(fields.Nested(StockPreviewRowSchema))
