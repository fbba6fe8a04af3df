from marshmallow import fields, validate

from backend.api import StrictSchema
from backend.embed.pages import PAGES


class TicketRequestSchema(StrictSchema):
    wp_user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))
    page = fields.String(required=True, validate=validate.OneOf(sorted(PAGES)))
    locale = fields.String(load_default=None, validate=validate.Length(max=16))
    # wp-admin's admin.php; WordPress may live in a subdirectory of the shop's home URL
    admin_url = fields.Url(load_default=None, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=500))


class TicketSchema(StrictSchema):
    url = fields.String()
    expires_in = fields.Integer()
