from marshmallow import fields, validate

from backend.api import StrictSchema

IDS = fields.List(fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=500))


class OrderStatusChangeSchema(StrictSchema):
    orders = IDS
    status = fields.String(required=True, validate=validate.Length(min=1, max=40))


class ItemSchema(StrictSchema):
    product_id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(required=True, strict=True)


class DiscountSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["percent", "fixed"]))
    value = fields.Decimal(required=True, as_string=True)


class ManualOrderSchema(StrictSchema):
    name = fields.String(required=True)
    phone = fields.String(required=True)
    address = fields.String(required=True)
    district = fields.String(required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(max=50))
    shipping = fields.Decimal(load_default=None, as_string=True)
    payment_method = fields.String(required=True)
    note = fields.String(load_default="")
    discounts = fields.List(fields.Nested(DiscountSchema), load_default=list, validate=validate.Length(max=10))


class TagSchema(StrictSchema):
    name = fields.String(required=True)
    colour = fields.String(load_default=None)


class TagEditSchema(StrictSchema):
    name = fields.String(load_default=None)
    colour = fields.String(load_default=None)


class TaggingSchema(StrictSchema):
    orders = IDS
    action = fields.String(load_default="add", validate=validate.OneOf(["add", "remove"]))


class AssignSchema(StrictSchema):
    orders = IDS
    # a WordPress user id the shop has seen open Bikri; null unassigns
    assignee = fields.Integer(required=True, strict=True, allow_none=True)
    # ISO 8601; without an offset it is Dhaka time
    due_at = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class ConfirmSchema(StrictSchema):
    orders = IDS
    outcome = fields.String(required=True, validate=validate.OneOf(["confirmed", "no_answer", "wrong_number", "cancelled"]))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    # who called (a WordPress user id the shop has seen); without it the call is recorded as the API's
    by = fields.Integer(load_default=None, allow_none=True, strict=True)
    # with outcome "cancelled": also set the orders cancelled in WooCommerce (a status-change job)
    cancel_in_woocommerce = fields.Boolean(load_default=False)
