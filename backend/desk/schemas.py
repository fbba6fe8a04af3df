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
