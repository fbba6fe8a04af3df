"""The Ad tracking page inside wp-admin (embed `ads`): the Meta Pixel id and Conversions API
token (the administrator only: the token can send events in the shop's name), what is sent on
delivery and return, the last events, and ad spend per campaign (typed or imported from Meta
Ads Manager's CSV) for the dashboard's return on ad spend (D11)."""
from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l

from backend.adtracking import service
from backend.dashboard import adspend
from backend.embed.csv_upload import BadCsv, csv_from_form
from backend.embed.pages import EmbedPage, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.clock import dhaka_today

blp = Blueprint("adtracking_embed", __name__, url_prefix="/embed/ads", template_folder="templates")

CHECKBOXES = ("capi_enabled", "refund_on_return")


def _spend_rows(user):
    today = dhaka_today()
    return adspend.list_spend(user.site.id, today - timedelta(days=365), today + timedelta(days=31))


def _context(user, errors=None, saved=False, submitted=None):
    return {"settings": service.settings_json(service.settings_of(user.site.id)), "errors": errors or {},
            "saved": saved, "submitted": submitted or {}, "events": service.events_of(user.site.id, 20),
            "spend": _spend_rows(user), "can_spend": user.can("manage_costs")}


register_page(EmbedPage("ads", _l("Ad tracking"), permission="manage_ad_tracking", template="adtracking/page.html",
                        context=_context))


@blp.post("/settings")
def save_settings():
    user = require_user("manage_ad_tracking")
    values = {name: request.form.get(name, "") for name in ("pixel_id", "access_token", "delivered_event",
                                                             "delivered_event_name", "test_event_code")}
    values.update({name: request.form.get(name) == "1" for name in CHECKBOXES})
    try:
        service.save_settings(user.site.id, values)
    except ApiError as error:
        return render_template("adtracking/_settings_form.html", user=user,
                               **_context(user, errors=error.details, submitted=values)), 422
    return render_template("adtracking/_settings_form.html", user=user, **_context(user, saved=True))


@blp.post("/spend")
def add_spend():
    user = require_user("manage_costs")
    try:
        adspend.add_spend(user.site.id, campaign=request.form.get("campaign", ""),
                          start=adspend.parse_day(request.form.get("start", "")),
                          end=adspend.parse_day(request.form.get("end", "")),
                          amount=adspend.parse_amount(request.form.get("amount", "")),
                          by=f"{user.display_name} (#{user.wp_user_id})")
    except adspend.BadSpend as error:
        return render_template("adtracking/_spend.html", user=user, spend_error=str(error), **_context(user)), 422
    return render_template("adtracking/_spend.html", user=user, **_context(user))


@blp.post("/spend/import")
def import_spend():
    user = require_user("manage_costs")
    try:
        text = csv_from_form(max_bytes=4_000_000)
    except BadCsv as error:
        return render_template("adtracking/_spend.html", user=user, **_context(user), spend_error=str(error)), 422
    result = adspend.import_csv(user.site.id, text, by=f"{user.display_name} (#{user.wp_user_id}), CSV")
    return render_template("adtracking/_spend.html", user=user, imported=result, **_context(user))


@blp.delete("/spend/<int:spend_id>")
def delete_spend(spend_id):
    user = require_user("manage_costs")
    row = adspend.get_spend(user.site.id, spend_id)
    if row is None:
        return render_template("adtracking/_spend.html", user=user, spend_error=_("No such ad spend."),
                               **_context(user)), 404
    adspend.delete_spend(row)
    return render_template("adtracking/_spend.html", user=user, **_context(user))
