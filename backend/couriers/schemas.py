from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from backend.api import MoneyString, PageArgsSchema, PageSchema, StrictSchema, UtcDateTime
from backend.integrations.couriers import COURIERS, STATUSES
from backend.tasks.schemas import JobStartedSchema

MAX_CHECK = 100


class AccountSchema(Schema):
    courier = fields.String()
    name = fields.String()
    logo_url = fields.String()
    connected = fields.Boolean()
    # the last four characters only; a key is never sent back in full
    credentials = fields.Dict(keys=fields.String(), values=fields.String())
    balance = MoneyString(allow_none=True)
    balance_checked_at = UtcDateTime(allow_none=True)
    problem = fields.String(allow_none=True)


class AccountListSchema(Schema):
    items = fields.List(fields.Nested(AccountSchema))


class ConnectAccountSchema(StrictSchema):
    # Blank keeps the stored value (so one key can change without retyping the other).
    api_key = fields.String(load_default="", validate=validate.Length(max=200))
    secret_key = fields.String(load_default="", validate=validate.Length(max=200))


class CourierBalanceSchema(Schema):
    courier = fields.String()
    balance = MoneyString(allow_none=True)
    currency = fields.String()
    checked_at = UtcDateTime(allow_none=True)
    refreshing = fields.Boolean(metadata={"description": "true: the courier has not answered yet; this is the last known balance"})
    job = fields.Integer(metadata={"description": "the refresh's job: GET /api/v1/jobs/<job>"})


class SettingsSchema(Schema):
    default_courier = fields.String(allow_none=True)
    default_note = fields.String()
    delivery_type = fields.String()
    prepaid_cod_zero = fields.Boolean()
    cod_round_to = fields.Integer()
    poll_minutes = fields.Integer()
    wc_status_map = fields.Dict(keys=fields.String(), values=fields.String())


class SettingsUpdateSchema(StrictSchema):
    default_courier = fields.String(allow_none=True, validate=validate.Length(max=30))
    default_note = fields.String(allow_none=True, validate=validate.Length(max=250))
    delivery_type = fields.String(validate=validate.OneOf(["home", "hub"]))
    prepaid_cod_zero = fields.Boolean()
    cod_round_to = fields.Integer(validate=validate.OneOf([0, 1, 5, 10]))
    poll_minutes = fields.Integer(validate=validate.Range(min=15, max=1440))
    wc_status_map = fields.Dict(keys=fields.String(validate=validate.OneOf(STATUSES)),
                                values=fields.String(validate=validate.Length(max=43)))


class ParcelStatusChangeSchema(Schema):
    status = fields.String()
    courier_status = fields.String(allow_none=True)
    source = fields.String()
    observed_at = UtcDateTime()


class ConsignmentSchema(Schema):
    id = fields.Integer()
    order_wc_id = fields.Integer(allow_none=True)
    invoice = fields.String()
    courier = fields.String()
    consignment_id = fields.String()
    tracking_code = fields.String(allow_none=True)
    cod_amount = MoneyString()
    collected_amount = MoneyString(allow_none=True)
    status = fields.String()
    courier_status = fields.String(allow_none=True)
    final = fields.Boolean()
    booked_at = UtcDateTime()
    status_changed_at = UtcDateTime(allow_none=True)
    last_checked_at = UtcDateTime(allow_none=True)
    next_check_at = UtcDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class ConsignmentDetailSchema(ConsignmentSchema):
    history = fields.List(fields.Nested(ParcelStatusChangeSchema))


class ConsignmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(ConsignmentSchema))


class ConsignmentListArgsSchema(PageArgsSchema):
    courier = fields.String(load_default=None, validate=validate.Length(max=30))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    open = fields.Boolean(load_default=None)


class StatusCheckRequestSchema(StrictSchema):
    """Bikri consignment ids, or invoices (order numbers), at most 100 together."""

    ids = fields.List(fields.Integer(strict=True), load_default=list)
    invoices = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)

    @validates_schema
    def some_but_not_too_many(self, data, **kwargs):
        count = len(data.get("ids", [])) + len(data.get("invoices", []))
        if count == 0:
            raise ValidationError("Give ids or invoices of the consignments to check.", field_name="ids")
        if count > MAX_CHECK:
            raise ValidationError(f"At most {MAX_CHECK} consignments at once.", field_name="ids")


class StatusCheckItemSchema(Schema):
    id = fields.Integer(allow_none=True)
    invoice = fields.String()
    courier = fields.String(allow_none=True)
    consignment_id = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    courier_status = fields.String(allow_none=True)
    last_checked_at = UtcDateTime(allow_none=True)
    checked = fields.Boolean()
    changed = fields.Boolean()
    error = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class StatusCheckSchema(Schema):
    items = fields.List(fields.Nested(StatusCheckItemSchema))


class ReportArgsSchema(Schema):
    """Dhaka calendar days, inclusive; the last 30 days when not given."""

    courier = fields.String(load_default=None, validate=validate.Length(max=30))
    start_date = fields.Date(load_default=None)

    @validates("courier")
    def check_courier(self, value, **kwargs):
        # a known courier or nothing: the filter is written into the report and its CSV
        if value and value not in COURIERS:
            raise ValidationError(_("Bikri does not know this courier. Choose one from the list."))
    end_date = fields.Date(load_default=None)


class ReportTotalsSchema(Schema):
    booked = fields.Integer()
    delivered = fields.Integer()
    partial_delivered = fields.Integer()
    returned_cancelled = fields.Integer()
    in_transit = fields.Integer()
    awaiting_approval = fields.Integer()
    delivery_ratio = fields.Float(allow_none=True)
    cod_expected = MoneyString()
    cod_collected = MoneyString()
    partial_amount_unknown = fields.Integer()


class ReportSchema(Schema):
    start_date = fields.Date()
    end_date = fields.Date()
    courier = fields.String(allow_none=True)
    totals = fields.Nested(ReportTotalsSchema)
    by_courier = fields.Dict(keys=fields.String(), values=fields.Nested(ReportTotalsSchema))
    days = fields.List(fields.String())
    series = fields.Dict(keys=fields.String(), values=fields.List(fields.Integer()))


class BookingRequestSchema(StrictSchema):
    """WooCommerce order ids to book; the courier is the shop's default when not given."""

    order_ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1)), required=True,
                            validate=validate.Length(min=1, max=500))
    courier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=250))


class BookingJobStartedSchema(JobStartedSchema):
    """The booking's job, just queued."""


class BookingJobSchema(Schema):
    """The booking started: its job. `GET location` gives its progress and one result per order:
    `item` (the order id), `outcome` (booked, refused, not_attempted), `message`, and `order_id`,
    `number`, `courier`, `consignment_id`, `tracking_code`, `cod_amount`, `field_errors`,
    `woocommerce_updated`, `woocommerce_problem`."""

    job = fields.Nested(BookingJobStartedSchema)
    location = fields.String()
