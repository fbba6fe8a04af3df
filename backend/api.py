"""Wiring shared by every JSON route: bearer authentication, strict schemas, the site of the caller."""
from datetime import date, timedelta
from decimal import Decimal

import flask_smorest
import orjson
from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import func, select
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.licensing.service import authenticate_site, touch_site
from backend.clock import dhaka_today, iso

API_PREFIX = "/api/"
PUBLIC_PREFIXES = ("/api/docs",)


class _Parser(FlaskParser):
    """webargs' parser reading JSON bodies with orjson (the json module took a tenth of an order
    event batch's time). orjson's decode error is a json.JSONDecodeError: still a 400 "Invalid JSON body"."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return orjson.loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    """Every JSON API blueprint: flask-smorest's, with the parser above."""

    ARGUMENTS_PARSER = _Parser()


class StrictSchema(Schema):
    """Our own API refuses fields it does not know, so a typo is an error, not silence."""

    class Meta:
        unknown = RAISE


class UtcDateTime(fields.DateTime):
    """Stored times are naive UTC; say so on the wire ("2026-11-25T10:00:00Z")."""

    def _serialize(self, value, attr, obj, **kwargs):
        return iso(value)


class MoneyString(fields.Field):
    """Money as a decimal string: two places, or four when a rate needs them ("0.3525")."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        two = value.quantize(Decimal("0.01"))
        return f"{two:f}" if two == value else f"{value.quantize(Decimal('0.0001')):f}"


class PageArgsSchema(Schema):
    """?page=1&per_page=20 (at most 100). Unknown query args are ignored, as browsers add some."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


def page_number_from_query(args) -> int:
    """`?page=3` as the pages' pagers send it; 1 when it is missing or not a number."""
    try:
        return max(1, int(args.get("page", "1")))
    except ValueError:
        return 1


def found_or_404(row, message: str, code: str = "not_found"):
    """The row a route looked up in the caller's shop, or a 404 saying the shop has no such thing."""
    if row is None:
        raise NotFound(message, code=code)
    return row


def job_progress_url(job) -> str:
    """Where the caller follows work a worker does (`GET /api/v1/jobs/<id>`): the `Location` of a 202."""
    return url_for("jobs.JobProgress", job_id=job.id)


def paginate(query, page: int, per_page: int) -> dict:
    """One page of a select() plus its counts, in the shape every list answer uses."""
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": -(-total // per_page)}


def dhaka_day_range(start, end, *, default_days: int = 30, max_days: int = 366):
    """A range of calendar days in Asia/Dhaka, inclusive, for reports and histories: by default
    the last `default_days` up to today. A reversed or overlong range is an ApiError (422)."""
    end = end or dhaka_today()
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise ApiError(_("The start date is after the end date."), code="validation_error", status=422)
    if (end - start).days >= max_days:
        raise ApiError(_("Choose at most a year."), code="validation_error", status=422)
    return start, end


def dhaka_day_range_from_query(args, **kw):
    """The same from `?start=2026-03-01&end=2026-03-31`, as the pages' date inputs send them."""
    try:
        start = date.fromisoformat(args["start"]) if args.get("start") else None
        end = date.fromisoformat(args["end"]) if args.get("end") else None
    except ValueError:
        raise ApiError(_("Dates look like 2026-03-01."), code="validation_error", status=422) from None
    return dhaka_day_range(start, end, **kw)


def public(view):
    """Mark a view (function or MethodView) as callable without a bearer token."""
    view.bikri_public = True
    return view


def _is_public(view) -> bool:
    return getattr(view, "bikri_public", False) or getattr(getattr(view, "view_class", None), "bikri_public", False)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def current_site():
    """The site that owns this request; every query for shop data is scoped by it."""
    return g.site


def authenticate_api_request():
    if not request.path.startswith(API_PREFIX) or request.path.startswith(PUBLIC_PREFIXES):
        return
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None or _is_public(view):
        return
    g.site = authenticate_site(bearer_token())
    touch_site(g.site, current_app.config["LAST_SEEN_RESOLUTION_SECONDS"])
