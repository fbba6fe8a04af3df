import re
from datetime import datetime, timezone

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
    (answered as that item's error) instead of failing the whole request. `fast(item)` may
    load an item that passes every check of the inner schema, as it would load it, without the
    schema's machinery (None: the schema loads it, and names what is wrong)."""

    def __init__(self, *args, fast=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fast = fast

    def _deserialize(self, value, attr, data, **kwargs):
        if not utils.is_collection(value):
            raise self.make_error("invalid")
        loaded = []
        for item in value:
            quick = self.fast(item) if self.fast is not None else None
            if quick is not None:
                loaded.append(quick)
                continue
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


EVENT_FIELDS = frozenset(("idempotency_key", "type", "order_id", "date_modified_gmt", "order", "order_shape"))
PLAIN_GMT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def plain_event(item) -> dict | None:
    """An event as `EventSchema` loads it, for the plain shape the plugin sends (every field of
    the type the schema wants, in range; the time as YYYY-MM-DDTHH:MM:SS, GMT); None for
    anything else, which the schema then loads or refuses. A batch of 50 events was mostly
    marshmallow's own work per field. tests/sync/test_event_schema.py holds the two equal."""
    if type(item) is not dict or not item.keys() <= EVENT_FIELDS:
        return None
    key, kind, order_id, modified = (item.get("idempotency_key"), item.get("type"), item.get("order_id"),
                                     item.get("date_modified_gmt"))
    order, shape = item.get("order"), item.get("order_shape")
    if not (type(key) is str and 1 <= len(key) <= 200 and type(kind) is str and kind in EVENT_TYPES
            and type(order_id) is int and 1 <= order_id <= 2**53 and type(modified) is str
            and PLAIN_GMT.fullmatch(modified) and (order is None or type(order) is dict)
            and (shape is None or (type(shape) is str and shape in ORDER_SHAPES))):
        return None
    try:
        moment = datetime.fromisoformat(modified)
    except ValueError:
        return None  # e.g. 30 February: the schema names it
    return {"idempotency_key": key, "type": kind, "order_id": order_id, "date_modified_gmt": moment,
            "order": dict(order) if order is not None else None, "order_shape": shape}


class EventsSchema(StrictSchema):
    events = TolerantList(fields.Nested(EventSchema), fast=plain_event, required=True,
                          validate=validate.Length(min=1, max=MAX_EVENTS))


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
