from marshmallow import Schema, fields, validate

from backend.api import MoneyString, PageSchema, StrictSchema, UtcDateTime
from backend.sms.schemas import SmsSizeSchema

TEXT = validate.Length(max=480)


class RuleSchema(StrictSchema):
    sms = fields.Boolean()
    email = fields.Boolean()
    text_bn = fields.String(allow_none=True, validate=TEXT)
    text_en = fields.String(allow_none=True, validate=TEXT)


class SettingsInSchema(StrictSchema):
    """A partial update: only the fields sent change."""
    language = fields.String(validate=validate.OneOf(("bn", "en")))
    quiet_enabled = fields.Boolean()
    quiet_start = fields.String(validate=validate.Length(max=5), metadata={"description": "HH:MM, Dhaka time"})
    quiet_end = fields.String(validate=validate.Length(max=5), metadata={"description": "HH:MM, Dhaka time; may be before the start (crosses midnight)"})
    opt_out_link = fields.Boolean()
    owner_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    owner_sms = fields.Boolean()
    stuck_days = fields.Integer(strict=True)
    statuses = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)), values=fields.Nested(RuleSchema),
                           validate=validate.Length(max=60))


class RuleOutSchema(Schema):
    status = fields.String()
    builtin = fields.Boolean()
    email_available = fields.Boolean()
    urgent = fields.Boolean()
    sms = fields.Boolean()
    email = fields.Boolean()
    text_bn = fields.String(allow_none=True)
    text_en = fields.String(allow_none=True)
    default_bn = fields.String()
    default_en = fields.String()


class SettingsOutSchema(Schema):
    language = fields.String()
    quiet_enabled = fields.Boolean()
    quiet_start = fields.String()
    quiet_end = fields.String()
    opt_out_link = fields.Boolean()
    owner_phone = fields.String(allow_none=True)
    owner_sms = fields.Boolean()
    stuck_days = fields.Integer()
    balance = MoneyString()
    statuses = fields.List(fields.Nested(RuleOutSchema))


class PreviewInSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.Length(min=1, max=40))
    language = fields.String(load_default="bn", validate=validate.OneOf(("bn", "en")))
    text = fields.String(load_default=None, allow_none=True, validate=TEXT)


class PreviewOutSchema(SmsSizeSchema):
    content = fields.String()


class AlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    order_wc_id = fields.Integer(allow_none=True)
    courier = fields.String(allow_none=True)
    consignment = fields.String(allow_none=True)
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)


class AlertPageSchema(PageSchema):
    items = fields.List(fields.Nested(AlertSchema))
    unread = fields.Integer()


class InboundSchema(Schema):
    """The gateway's MO callback: loose on purpose (gateways add their own fields)."""
    class Meta:
        unknown = "exclude"
    msisdn = fields.String(load_default=None, validate=validate.Length(max=40))
    text = fields.String(load_default=None, validate=validate.Length(max=1000))
    sms = fields.String(load_default=None, validate=validate.Length(max=1000))
