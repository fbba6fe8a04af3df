from marshmallow import Schema, fields, validate

from backend.adtracking.models import DELIVERED_EVENTS
from backend.api import StrictSchema


class AdSettingsSchema(StrictSchema):
    pixel_id = fields.String(load_default="", validate=validate.Length(max=20),
                             metadata={"description": "Meta Pixel (dataset) id, 10-20 digits; empty: none"})
    access_token = fields.String(load_default="", validate=validate.Length(max=400),
                                 metadata={"description": "Conversions API access token; empty keeps the stored one, \"-\" forgets it"})
    capi_enabled = fields.Boolean(load_default=False)
    delivered_event = fields.String(load_default="none", validate=validate.OneOf(DELIVERED_EVENTS),
                                    metadata={"description": "on delivery: none, custom (delivered_event_name) or purchase"})
    delivered_event_name = fields.String(load_default="Delivered", validate=validate.Length(min=1, max=40))
    refund_on_return = fields.Boolean(load_default=False)
    test_event_code = fields.String(load_default="", validate=validate.Length(max=40))


class AdSettingsAnswerSchema(Schema):
    pixel_id = fields.String()
    capi_enabled = fields.Boolean()
    access_token_set = fields.Boolean()
    access_token = fields.String(metadata={"description": "masked"})
    delivered_event = fields.String()
    delivered_event_name = fields.String()
    refund_on_return = fields.Boolean()
    test_event_code = fields.String()


class CapiEventSchema(Schema):
    order_wc_id = fields.Integer()
    kind = fields.String()
    event_name = fields.String()
    event_id = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    value = fields.String()


class SpendSchema(StrictSchema):
    campaign = fields.String(required=True, validate=validate.Length(min=1, max=200))
    network = fields.String(load_default="facebook", validate=validate.OneOf(("facebook", "google", "tiktok", "other")))
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    amount = fields.String(required=True, validate=validate.Length(max=20), metadata={"description": "taka, e.g. \"1500.50\""})


class SpendAnswerSchema(Schema):
    id = fields.Integer()
    network = fields.String()
    campaign = fields.String()
    start = fields.String()
    end = fields.String()
    amount = fields.String()
    source = fields.String()


class SpendListArgs(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class SpendImportSchema(StrictSchema):
    csv = fields.String(required=True, validate=validate.Length(min=1, max=2_000_000),
                        metadata={"description": "Meta Ads Manager's CSV export, as text"})


class SpendImportAnswerSchema(Schema):
    imported = fields.Integer()
    currency = fields.String(allow_none=True)
    errors = fields.List(fields.Dict())
