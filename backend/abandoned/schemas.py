from marshmallow import Schema, fields, validate

from backend.api import StrictSchema


class CartItemSchema(StrictSchema):
    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    name = fields.String(required=True, validate=validate.Length(max=400))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    total = fields.String(required=True, validate=validate.Length(max=20), metadata={"description": "line total, e.g. \"1250.00\""})


class CaptureSchema(StrictSchema):
    # the plugin's per-session key: repeated captures of one checkout update one row
    capture_key = fields.String(required=True, validate=validate.Length(max=64))
    phone = fields.String(required=True, validate=validate.Length(max=40))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    district = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    items = fields.List(fields.Nested(CartItemSchema), load_default=list, validate=validate.Length(max=50))
    total = fields.String(load_default="0", validate=validate.Length(max=20))
    currency = fields.String(load_default="BDT", validate=validate.Length(max=8))


class CaptureAnswerSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "open | abandoned | reminded | recovered | lost | ordered"})
