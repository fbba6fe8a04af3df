from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.api import MoneyString, StrictSchema, UtcDateTime
from backend.customers.segments import SORTS
from backend.customers.stats import SEGMENTS

MAX_CSV_CHARS = 4_000_000


class FiltersSchema(StrictSchema):
    segment = fields.String(validate=validate.OneOf(SEGMENTS))
    spend_min = fields.Decimal(validate=validate.Range(min=0, max=10**9), as_string=True)
    spend_max = fields.Decimal(validate=validate.Range(min=0, max=10**9), as_string=True)
    orders_min = fields.Integer(validate=validate.Range(min=0, max=10**6))
    orders_max = fields.Integer(validate=validate.Range(min=0, max=10**6))
    ordered_within_days = fields.Integer(validate=validate.Range(min=1, max=3650))
    not_ordered_for_days = fields.Integer(validate=validate.Range(min=1, max=3650))
    district = fields.String(validate=validate.Length(min=1, max=100))
    product_id = fields.Integer(validate=validate.Range(min=1, max=2**62))
    delivered_ratio_min = fields.Integer(validate=validate.Range(min=0, max=100))
    tag = fields.String(validate=validate.Length(min=1, max=40))
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9]{3,14}$"))


class ListArgsSchema(FiltersSchema):
    """The filters as query arguments, plus the keyset page."""
    class Meta:
        unknown = "exclude"

    saved = fields.Integer(validate=validate.Range(min=1))
    sort = fields.String(load_default="last_order", validate=validate.OneOf(SORTS),
                         metadata={"description": "latest order, spend or orders first; ties by id"})
    cursor = fields.String(validate=validate.Length(max=80))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class CustomerSchema(Schema):
    id = fields.Integer()
    phone = fields.String()
    name = fields.String(allow_none=True)
    wc_customer_id = fields.Integer(allow_none=True)
    orders = fields.Integer()
    delivered = fields.Integer()
    returned = fields.Integer()
    cancelled = fields.Integer()
    spend = MoneyString()
    average_order_value = MoneyString(allow_none=True)
    delivered_percent = fields.Integer(allow_none=True)
    first_order_at = UtcDateTime(allow_none=True)
    last_order_at = UtcDateTime(allow_none=True)
    district = fields.String(allow_none=True)
    segment = fields.String(allow_none=True)
    tags = fields.List(fields.String())


class CustomerPageSchema(Schema):
    customers = fields.List(fields.Nested(CustomerSchema))
    next = fields.String(allow_none=True, metadata={"description": "the cursor of the next page"})


class CustomerDetailSchema(CustomerSchema):
    recent_orders = fields.List(fields.Dict())
    fraud_checks = fields.List(fields.Dict())
    sms = fields.List(fields.Dict())


class TagsSchema(StrictSchema):
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                       validate=validate.Length(max=20))


class SavedSegmentRequestSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    filters = fields.Nested(FiltersSchema, required=True)


class SavedSegmentSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    filters = fields.Dict()
    customers = fields.Integer()


class SegmentsSchema(Schema):
    rfm = fields.Dict(keys=fields.String(), values=fields.Integer())
    saved = fields.List(fields.Nested(SavedSegmentSchema))


class AudienceSchema(StrictSchema):
    segment = fields.String(validate=validate.OneOf(SEGMENTS))
    saved = fields.Integer(validate=validate.Range(min=1))
    filters = fields.Nested(FiltersSchema)
    csv = fields.String(validate=validate.Length(min=1, max=MAX_CSV_CHARS),
                        metadata={"description": "the uploaded file's text: one phone a line (or a phone column)"})

    @validates_schema
    def one_source(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("Give exactly one of segment, saved, filters or csv.", "_schema")


class PreviewRequestSchema(StrictSchema):
    content = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    audience = fields.Nested(AudienceSchema, required=True)
    opt_out_line = fields.Boolean(load_default=True)


class CampaignRequestSchema(PreviewRequestSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    send_at = fields.AwareDateTime(load_default=None, metadata={"description": "later: scheduled; absent: now"})


class PreviewSchema(Schema):
    recipients = fields.Integer()
    opted_out = fields.Integer()
    sample = fields.List(fields.String())
    text = fields.String()
    segments = fields.Integer()
    encoding = fields.String()
    unit_cost = MoneyString()
    total_cost = MoneyString()
    balance = MoneyString()
    enough = fields.Boolean()
    bad_rows = fields.List(fields.Dict(), metadata={"description": "a CSV's refused rows: line, value, error"})
    duplicates = fields.Integer()


class CampaignSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String()
    content = fields.String()
    scheduled_at = UtcDateTime(allow_none=True)
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    recipients = fields.Integer()
    segments = fields.Integer()
    unit_cost = MoneyString()
    charged = MoneyString()
    refunded = MoneyString()
    cost = MoneyString()
    sent = fields.Integer()
    failed = fields.Integer()
    opted_out = fields.Integer()
    waiting = fields.Integer()
    error = fields.String(allow_none=True)
    bad_rows = fields.List(fields.Dict())
    duplicates = fields.Integer()


class CampaignListSchema(Schema):
    campaigns = fields.List(fields.Nested(CampaignSchema))


class OptOutSchema(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))
