from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from backend.help.models import LANGUAGES

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error=_l("Use small English letters, digits and dashes, e.g. courier-booking."))
PAGE_KEY = validate.Regexp(r"^[a-z0-9-]+$", error=_l("Choose a page."))


class ArticleFormSchema(Schema):
    """The console's article form (the CSRF token and the submit button are not the article's)."""

    class Meta:
        unknown = EXCLUDE

    slug = fields.String(required=True, validate=[validate.Length(min=2, max=80), SLUG])
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES, error=_l("Choose Bangla or English.")))
    title = fields.String(required=True, validate=validate.Length(min=3, max=160))
    body = fields.String(load_default="", validate=validate.Length(max=50_000))
    page_key = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=40), PAGE_KEY])

    @pre_load
    def strip(self, data, **kwargs):
        data = {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
        if not data.get("page_key"):
            data["page_key"] = None
        return data


class SearchArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=200))
