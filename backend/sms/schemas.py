import re

from marshmallow import Schema, fields, post_load, validate, validates_schema, ValidationError

from backend.api import MoneyString, PageArgsSchema, PageSchema, StrictSchema, UtcDateTime
from backend.sms.service import MAX_RECHARGE, ONLINE_METHODS, PURPOSES
from backend.tasks.schemas import JobStartedSchema


class SendSmsSchema(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(max=40))
    # a generous cap on characters; the real limit (10 SMS) is checked on segments
    content = fields.String(required=True, validate=validate.Length(max=2000))
    # campaigns' messages are written by backend/customers, never sent one by one
    purpose = fields.String(load_default="manual", validate=validate.OneOf([p for p in PURPOSES if p != "campaign"]))


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(data_key="Idempotency-Key", load_default=None, validate=validate.Length(min=1, max=100))


MAX_WAIT_SECONDS = 10


class SendHeadersSchema(IdempotencyHeaderSchema):
    # RFC 7240: `Prefer: wait=N` asks to hold the answer up to N seconds (at most 10 here) for
    # the gateway's outcome; a preference not understood is ignored, as the RFC says
    prefer = fields.String(data_key="Prefer", load_default=None)

    @post_load
    def wait_seconds(self, data, **kwargs):
        found = re.search(r"(?:^|[,;\s])wait\s*=\s*\"?(\d{1,6})\"?", data.pop("prefer") or "", re.I)
        data["wait"] = min(int(found.group(1)), MAX_WAIT_SECONDS) if found else None
        return data


class SmsFields(Schema):
    """One SMS as every answer about it shows it: where it goes, its size and price, how it went."""
    id = fields.Integer()
    # queued -> sending -> sent, or failed (refunded; `error` says why)
    status = fields.String()
    phone = fields.String()
    segments = fields.Integer()
    encoding = fields.String()
    cost = MoneyString()
    error = fields.String(allow_none=True)


class SentSmsSchema(SmsFields):
    balance = MoneyString()


class SmsStatusSchema(SmsFields):
    purpose = fields.String()
    refunded = fields.Boolean()
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


class QuoteRequestSchema(StrictSchema):
    content = fields.String(required=True, validate=validate.Length(max=2000))


class SmsSizeSchema(Schema):
    """What a text costs as an SMS: its length, the parts it is sent in, their encoding, the price."""
    characters = fields.Integer()
    segments = fields.Integer()
    encoding = fields.String()
    cost = MoneyString()


class QuoteSchema(SmsSizeSchema):
    max_segments = fields.Integer()


class RatesSchema(Schema):
    gsm = MoneyString()
    unicode = MoneyString()


class BalanceSchema(Schema):
    balance = MoneyString()
    currency = fields.String()
    rates = fields.Nested(RatesSchema)
    sms_left_estimate = fields.Integer()


class RechargeRequestSchema(StrictSchema):
    amount = fields.Decimal(required=True, places=None, allow_nan=False, validate=validate.Range(
        min=0, min_inclusive=False, max=MAX_RECHARGE, error=f"A recharge is more than 0 and at most {MAX_RECHARGE:f} taka."))
    # bkash or nagad: pay now online; manual: paid another way, an operator approves it
    method = fields.String(load_default="bkash", validate=validate.OneOf([*ONLINE_METHODS, "manual"]))
    reference = fields.String(load_default=None, validate=validate.Length(max=80))


class RechargeSchema(Schema):
    id = fields.Integer()
    amount = MoneyString()
    method = fields.String()
    status = fields.String(metadata={"description": "creating (bKash or Nagad is being asked to open the payment), pending, "
                                                    "completed, failed, cancelled, expired, rejected or held "
                                                    "(paid, but not the amount or order asked: Bikri checks it)"})
    reference = fields.String(attribute="transaction_id", allow_none=True)
    payment_url = fields.Method("_payment_url", allow_none=True,
                                metadata={"description": "where to pay on bKash's or Nagad's page, while the recharge is pending"})
    error = fields.Method("_error", allow_none=True, metadata={"description": "why an online recharge failed"})
    created_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)

    def _payment_url(self, recharge):
        return recharge.payment_url if recharge.method in ONLINE_METHODS and recharge.status == "pending" else None

    def _error(self, recharge):
        return recharge.note if recharge.method in ONLINE_METHODS and recharge.status in ("failed", "held") else None


class RechargePageSchema(PageSchema):
    items = fields.List(fields.Nested(RechargeSchema))


class UseHistoryArgsSchema(PageArgsSchema):
    start_date = fields.Date(load_default=None)
    end_date = fields.Date(load_default=None)

    @validates_schema
    def start_before_end(self, data, **kwargs):
        if data.get("start_date") and data.get("end_date") and data["start_date"] > data["end_date"]:
            raise ValidationError("start_date is after end_date.", field_name="start_date")


class MessageSchema(SmsFields):
    content = fields.String()
    purpose = fields.String()
    created_at = UtcDateTime()


class UseTotalsSchema(Schema):
    messages = fields.Integer()
    segments = fields.Integer()
    cost = MoneyString()


class UseHistorySchema(PageSchema):
    items = fields.List(fields.Nested(MessageSchema))
    totals = fields.Nested(UseTotalsSchema)


class BatchRowSchema(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(max=40))
    content = fields.String(required=True, validate=validate.Length(max=2000))


class BatchRequestSchema(StrictSchema):
    messages = fields.List(fields.Nested(BatchRowSchema), required=True, validate=validate.Length(min=1, max=1000))
    purpose = fields.String(load_default="marketing", validate=validate.OneOf([p for p in PURPOSES if p not in ("otp", "campaign")]))


class BatchJobSchema(JobStartedSchema):
    """The batch's job, just queued."""


class BatchSchema(Schema):
    job = fields.Nested(BatchJobSchema)
    accepted = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.List(fields.Dict(), metadata={"description": "each refused row: its index and its errors"})
    cost = MoneyString()
    balance = MoneyString()
