from marshmallow import Schema, fields, validate

from backend.api import StrictSchema


class LoyaltySettingsSchema(StrictSchema):
    enabled = fields.Boolean(load_default=False)
    points_per_100 = fields.Integer(required=True, validate=validate.Range(0, 10_000),
                                    metadata={"description": "points per full 100 taka of a delivered order's goods"})
    point_value = fields.Decimal(required=True, places=2, as_string=True,
                                 metadata={"description": "taka a point is worth at checkout"})
    min_redeem = fields.Integer(required=True, validate=validate.Range(1, 1_000_000))
    expiry_days = fields.Integer(required=True, validate=validate.Range(0, 3650), metadata={"description": "0: never"})
    earn_sms = fields.Boolean(load_default=False)
    earn_sms_text = fields.String(load_default="", validate=validate.Length(max=480),
                                  metadata={"description": "{points}, {balance}, {value}, {shop} are filled in"})


class LoyaltySettingsAnswerSchema(Schema):
    enabled = fields.Boolean()
    points_per_100 = fields.Integer()
    point_value = fields.Decimal(as_string=True)
    min_redeem = fields.Integer()
    expiry_days = fields.Integer()
    earn_sms = fields.Boolean()
    earn_sms_text = fields.String()


class _ProvenPhone(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))
    # a guest's phone is proven by the checkout code's proof; the plugin vouches for a logged-in
    # customer's own billing phone with account=true
    proof = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=600))
    proof_version = fields.Integer(load_default=2, validate=validate.OneOf([1, 2]))
    account = fields.Boolean(load_default=False)


class BalanceQuerySchema(_ProvenPhone):
    pass


class BalanceAnswerSchema(Schema):
    enabled = fields.Boolean()
    phone = fields.String()
    points = fields.Integer()
    value = fields.Decimal(as_string=True, metadata={"description": "taka the points are worth"})
    point_value = fields.Decimal(as_string=True)
    min_redeem = fields.Integer()
    can_redeem = fields.Boolean()


class HoldSchema(_ProvenPhone):
    points = fields.Integer(required=True, validate=validate.Range(1, 10_000_000))
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    cart_total = fields.Decimal(load_default=None, allow_none=True, places=2, validate=validate.Range(min=0),
                                metadata={"description": "the points may not be worth more than this"})


class AttachSchema(StrictSchema):
    order_id = fields.Integer(required=True, validate=validate.Range(min=1))


class HoldAnswerSchema(Schema):
    hold = fields.String(metadata={"description": "the hold's token: attach it to the order, or release it"})
    phone = fields.String()
    points = fields.Integer()
    value = fields.Decimal(as_string=True)
    status = fields.String(metadata={"description": "held | redeemed | released | cancelled"})
    order_id = fields.Integer(allow_none=True)
    expires_at = fields.DateTime()


class EntrySchema(Schema):
    points = fields.Integer()
    kind = fields.String()
    order_id = fields.Integer(attribute="order_wc_id", allow_none=True)
    uncollected = fields.Integer()
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class LedgerQuerySchema(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))


class LedgerAnswerSchema(Schema):
    phone = fields.String()
    points = fields.Integer()
    entries = fields.List(fields.Nested(EntrySchema))
