"""The wishlist's JSON edge: the plugin's forwarded events (strict), the report and the settings."""
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from backend.api import StrictSchema
from backend.phones import InvalidPhone, normalise_phone

MAX_EVENTS = 100
EVENT_TYPES = ("added", "removed", "subscribed", "unsubscribed")
ID = validate.Range(min=1, max=2**53)


class WishlistEventSchema(StrictSchema):
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES), metadata={
        "description": "added / removed: a heart pressed on the storefront; subscribed / unsubscribed: a "
                       "shopper's phone opted in or out of SMS about the product (back in stock, price drop)"})
    product_id = fields.Integer(required=True, strict=True, validate=ID)
    variation_id = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=2**53))
    user_id = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=2**53),
                             metadata={"description": "the shopper's WordPress user; 0 for a guest"})
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30),
                          metadata={"description": "a Bangladeshi mobile; required to subscribe, and for a guest's wish"})
    back_in_stock = fields.Boolean(load_default=True)
    price_drop = fields.Boolean(load_default=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**62), metadata={
        "description": "microseconds since the epoch when the shopper acted (the plugin's clock); an event "
                       "older than what is stored for the same wish or subscription is ignored"})

    @validates_schema
    def _who(self, data, **_kwargs):
        if data.get("phone"):
            try:
                normalise_phone(data["phone"])
            except InvalidPhone as error:
                raise ValidationError({"phone": [str(error)]}) from None
        if data.get("type") in ("subscribed", "unsubscribed") and not data.get("phone"):
            raise ValidationError({"phone": ["A mobile number is needed for SMS alerts."]})
        if data.get("type") in ("added", "removed") and not data.get("user_id") and not data.get("phone"):
            raise ValidationError({"user_id": ["A signed-in shopper's id, or a guest's phone, is needed."]})

    @post_load
    def _normalise(self, data, **_kwargs):
        if data.get("phone"):
            data["phone"] = normalise_phone(data["phone"])
        if data.get("email"):
            data["email"] = data["email"].strip().lower()
        return data


class WishlistEventsSchema(StrictSchema):
    events = fields.List(fields.Nested(WishlistEventSchema), required=True, validate=validate.Length(min=1, max=MAX_EVENTS))


class WishlistEventResultSchema(Schema):
    idempotency_key = fields.String()
    status = fields.String(metadata={"description": "applied | ignored_older"})


class WishlistEventResultsSchema(Schema):
    results = fields.List(fields.Nested(WishlistEventResultSchema))


class WishedProductSchema(Schema):
    product_id = fields.Integer()
    name = fields.String()
    sku = fields.String(allow_none=True)
    price = fields.Decimal(as_string=True, allow_none=True)
    stock_status = fields.String(allow_none=True)
    shoppers = fields.Integer(metadata={"description": "shoppers who wish for it now"})


class WishlistReportSchema(Schema):
    wishes = fields.Integer()
    shoppers = fields.Integer()
    subscriptions = fields.Integer()
    alerts_sent = fields.Integer()
    most_wished = fields.List(fields.Nested(WishedProductSchema))
    wished_not_bought = fields.List(fields.Nested(WishedProductSchema), metadata={
        "description": "wished by shoppers who never ordered the product (matched by account, phone or email)"})


class WishlistSettingsSchema(StrictSchema):
    back_in_stock_sms = fields.Boolean()
    price_drop_sms = fields.Boolean()
    language = fields.String(validate=validate.OneOf(("bn", "en")))
    alerts_per_phone_per_day = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))
