from marshmallow import ValidationError, fields, validate, validates

from backend.api import StrictSchema
from backend.embed.pages import PAGES


class TicketRequestSchema(StrictSchema):
    wp_user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))
    # every WordPress role of the user (T1): the highest-mapped one decides the Bikri role
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=None,
                        validate=validate.Length(max=20))
    page = fields.String(required=True)
    locale = fields.String(load_default=None, validate=validate.Length(max=16))
    # wp-admin's admin.php; WordPress may live in a subdirectory of the shop's home URL
    admin_url = fields.Url(load_default=None, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=500))


    @validates("page")
    def known_page(self, value, **kwargs):
        # checked at request time: domains register their pages after this module loads
        if value not in PAGES:
            raise ValidationError(f"Unknown page; one of: {', '.join(sorted(PAGES))}.")


class TicketSchema(StrictSchema):
    url = fields.String()
    expires_in = fields.Integer()
    pages_by_role = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "the pages each WordPress role may open (\"*\": every other role), "
                                 "for the plugin's menu; the plugin keeps this copy"})


class RoleMatrixSchema(StrictSchema):
    """A shop's role matrix (T1): per Bikri role (admin, manager, staff) its permissions; per
    WordPress role ("*": every role not named) its Bikri role."""
    permissions = fields.Dict(keys=fields.String(validate=validate.Length(max=16)),
                              values=fields.List(fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=60)),
                              required=True, validate=validate.Length(max=3))
    wordpress_roles = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                                  values=fields.String(validate=validate.Length(max=16)), required=True,
                                  validate=validate.Length(max=50))


class RoleMatrixAnswerSchema(RoleMatrixSchema):
    fixed = fields.List(fields.String(), metadata={"description": "permissions every role keeps"})
    groups = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
