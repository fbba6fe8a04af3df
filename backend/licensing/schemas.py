from marshmallow import ValidationError, fields, validate, validates

from backend.api import StrictSchema, UtcDateTime
from backend.licensing.service import normalise_site_url


class ActivateSiteSchema(StrictSchema):
    license_key = fields.String(required=True, validate=validate.Length(min=10, max=64))
    site_url = fields.String(required=True, validate=validate.Length(max=500))
    wc_consumer_key = fields.String(load_default=None, validate=validate.Length(max=200))
    wc_consumer_secret = fields.String(load_default=None, validate=validate.Length(max=200))
    # the site's current token when it is already activated: proves it is the same shop, so a
    # new license key moves the site (with its orders, wallet and settings) instead of copying it
    site_token = fields.String(load_default=None, validate=validate.Length(max=200))
    site_name = fields.String(load_default=None, validate=validate.Length(max=1000),
                              metadata={"description": "the WordPress site title (the shop's name in its SMS)"})
    locale = fields.String(load_default=None, validate=validate.Length(max=16),
                           metadata={"description": "the WordPress locale, like bn_BD"})

    @validates("site_url")
    def check_site_url(self, value, **kwargs):
        try:
            normalise_site_url(value)
        except ValueError as error:
            raise ValidationError(f"site_url {error}.") from error


class LicenseBriefSchema(StrictSchema):
    status = fields.String()
    plan = fields.String()
    expires_at = UtcDateTime(allow_none=True)


class ActivatedSiteSchema(StrictSchema):
    site_id = fields.Integer()
    token = fields.String()
    export_key = fields.String(metadata={"description": "the key the plugin's order export checks signatures with"})
    license = fields.Nested(LicenseBriefSchema)


class LicenseSchema(LicenseBriefSchema):
    """The calling site's license: what activation answers (status, plan, expiry), with the
    site's URL and the license's seats, used and allowed."""
    site_url = fields.String()
    sites_used = fields.Integer()
    sites_allowed = fields.Integer()
