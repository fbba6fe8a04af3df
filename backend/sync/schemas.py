from datetime import timezone

from marshmallow import ValidationError, fields, utils, validate

from backend.api import StrictSchema
from backend.sync.events import InvalidItem

EVENT_TYPES = ("created", "updated", "status_changed", "deleted")
ORDER_SHAPES = ("export",)
MAX_EVENTS = 100


class GmtDateTime(fields.DateTime):
    """ISO 8601; without an offset the time is GMT (as WooCommerce's *_gmt fields). Loaded as naive UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        return parsed.replace(microsecond=0)


class TolerantList(fields.List):
    """A list whose items are validated one by one: a bad item becomes an InvalidItem
    (answered as that item's error) instead of failing the whole request."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not utils.is_collection(value):
            raise self.make_error("invalid")
        loaded = []
        for item in value:
            try:
                loaded.append(self.inner.deserialize(item, **kwargs))
            except ValidationError as error:
                loaded.append(InvalidItem(item, error.messages if isinstance(error.messages, dict) else {"_item": error.messages}))
        return loaded


class EventSchema(StrictSchema):
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                    metadata={"description": "Unique per event; a key seen before is answered 'duplicate'."})
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    order_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**53))
    date_modified_gmt = GmtDateTime(required=True, metadata={"description": "The order's date_modified_gmt (deletions: when it was deleted)."})
    order = fields.Dict(load_default=None, allow_none=True,
                        metadata={"description": "The order as wc/v3 renders it; optional for 'deleted'. "
                                                 "Missing or partial: the service reads it from WooCommerce."})
    order_shape = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ORDER_SHAPES), metadata={
        "description": "'export': `order` is the whole order in the plugin's export shape (as "
                       "bikri/v1/orders/export answers it). It is applied as sent, never read from "
                       "WooCommerce; a malformed or incomplete one is answered with its error."})


class EventsSchema(StrictSchema):
    events = TolerantList(fields.Nested(EventSchema), required=True, validate=validate.Length(min=1, max=MAX_EVENTS))


class ItemErrorSchema(StrictSchema):
    code = fields.String()
    message = fields.String()


class EventResultSchema(StrictSchema):
    idempotency_key = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "applied | ignored_older | duplicate | error; "
                                                    "accepted (Prefer: respond-async: stored, applied right after)"})
    error = fields.Nested(ItemErrorSchema)


class EventResultsSchema(StrictSchema):
    results = fields.List(fields.Nested(EventResultSchema))


class BackfillRequestSchema(StrictSchema):
    restart = fields.Boolean(load_default=False, metadata={"description": "Start over instead of resuming."})


class BackfillStatusSchema(StrictSchema):
    status = fields.String(metadata={"description": "idle | queued | running | done | failed"})
    done = fields.Integer()
    total = fields.Integer(allow_none=True)
    progress = fields.String(metadata={"description": "e.g. '12,300 of 100,000 orders'"})
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)


class ReconcileStatusSchema(StrictSchema):
    status = fields.String()
    checkpoint = fields.String(allow_none=True)
    last_run_at = fields.String(allow_none=True)
    last_changes = fields.Integer()
    last_error = fields.String(allow_none=True)


class UnstoredOrderSchema(StrictSchema):
    order_id = fields.Integer()
    reason = fields.String(metadata={"description": "e.g. 'Order #1001: …'"})
    at = fields.String()


class EventsStatusSchema(StrictSchema):
    waiting = fields.Integer(metadata={"description": "batches accepted and not yet applied (or waiting for a retry)"})
    failed = fields.Integer(metadata={"description": "accepted events that could not be applied, ever"})
    last_error = fields.String(allow_none=True, metadata={"description": "e.g. 'Order #1001: …', the latest such failure"})
    last_error_at = fields.String(allow_none=True)
    unstored = fields.Nested(UnstoredOrderSchema, allow_none=True, metadata={
        "description": "the newest order change given up on this week that no later write has stored (null: none)"})


class SyncStatusSchema(StrictSchema):
    connected = fields.Boolean()
    orders_stored = fields.Integer()
    backfill = fields.Nested(BackfillStatusSchema)
    reconcile = fields.Nested(ReconcileStatusSchema)
    events = fields.Nested(EventsStatusSchema)
