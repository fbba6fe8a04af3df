"""Input of the dashboard's cost endpoints (D12)."""
from decimal import Decimal

from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from backend.api import StrictSchema
from backend.dashboard.models import COST_CATEGORIES
from backend.money import whole_poisha

MAX_COST = Decimal("100000000")  # 10 crore taka: above is a typo, not a cost


def _whole_poisha(value: Decimal) -> None:
    # runs beside the range check, on 1e30 too: whole_poisha never raises where quantize() would
    if not whole_poisha(value):
        raise ValidationError(_("At most two decimal places (poisha)."))


class CostSchema(StrictSchema):
    day = fields.Date(required=True)
    category = fields.String(required=True, validate=validate.OneOf(COST_CATEGORIES))
    amount = fields.Decimal(required=True, places=None, allow_nan=False, as_string=False, validate=[
        validate.Range(min=Decimal("0.01"), max=MAX_COST, error=_l("Enter an amount in taka between 0.01 and 100000000.")),
        _whole_poisha,
    ])
    note = fields.String(load_default="", validate=validate.Length(max=500))
