from marshmallow import Schema, fields, validate

from backend.api import PageArgsSchema, PageSchema, StrictSchema, UtcDateTime
from backend.fraud.service import RISKS


class CheckRequestSchema(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(max=40))
    # a fresh check, not the recent one (spends the couriers' daily allowance; rate-limited)
    force = fields.Boolean(load_default=False)
    # who asked, for the fraud history (the plugin sends the WordPress user)
    checked_by = fields.String(load_default="API", validate=validate.Length(min=1, max=200))


class CourierSourceSchema(Schema):
    courier = fields.String()
    name = fields.String()
    ok = fields.Boolean()
    total = fields.Integer()
    delivered = fields.Integer()
    cancelled = fields.Integer()
    success_percent = fields.Integer(allow_none=True)
    # when not ok: why (search_limit: the courier's daily allowance is used up; unavailable ...)
    error = fields.String()
    message = fields.String()
    # when not ok: what it said at an earlier check of the number (counted in the verdict), if it answered then
    earlier = fields.Nested(lambda: EarlierCourierSchema())


class EarlierCourierSchema(Schema):
    delivered = fields.Integer()
    cancelled = fields.Integer()
    success_percent = fields.Integer(allow_none=True)
    checked_at = fields.String(metadata={"description": "when the courier gave these numbers (ISO 8601, UTC)"})


class ShopSourceSchema(Schema):
    orders = fields.Integer()
    delivered = fields.Integer()
    returned = fields.Integer()
    cancelled = fields.Integer()
    success_percent = fields.Integer(allow_none=True)


class NetworkSourceSchema(Schema):
    """Every Bikri shop's orders for the number: counts only, nothing that names a shop or an order."""
    delivered = fields.Integer()
    returned = fields.Integer()
    success_percent = fields.Integer(allow_none=True)


class CheckSchema(Schema):
    id = fields.Integer()
    phone = fields.String()
    checked_by = fields.String()
    checked_at = UtcDateTime()
    forced = fields.Boolean()
    cached = fields.Boolean(metadata={"description": "a recent check shown again, not a new one"})
    risk = fields.String(metadata={"enum": list(RISKS)})
    success_percent = fields.Integer(allow_none=True)
    delivered = fields.Integer()
    returned = fields.Integer()
    couriers = fields.List(fields.Nested(CourierSourceSchema))
    shop = fields.Nested(ShopSourceSchema)
    network = fields.Nested(NetworkSourceSchema)


class HistoryArgsSchema(PageArgsSchema):
    phone = fields.String(load_default=None, validate=validate.Length(max=40))


class HistoryPageSchema(PageSchema):
    items = fields.List(fields.Nested(CheckSchema))
