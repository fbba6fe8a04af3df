"""The Abandoned checkouts page inside wp-admin: the list, the reasons chart, the settings."""
from types import SimpleNamespace

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l

from backend.abandoned import service
from backend.api import dhaka_day_range_from_query, page_number_from_query, paginate
from backend.embed.pages import EmbedPage, register_alert, register_page
from backend.embed import settings_form
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.sms import service as sms

blp = Blueprint("abandoned_embed", __name__, url_prefix="/embed/abandoned", template_folder="templates",
                static_folder="static")

ROWS_PER_PAGE = 25
CHECKBOXES = ("capture_enabled", "reminders_enabled", "coupon_enabled")


def status_labels():
    return {"open": _("Still at checkout"), "abandoned": _("Abandoned"), "reminded": _("Reminded"),
            "recovered": _("Recovered"), "lost": _("Lost"), "ordered": _("Ordered at once")}


def reason_labels():
    return {"too_expensive": _("Too expensive"), "delivery_charge": _("The delivery charge"),
            "just_looking": _("I was just looking"), "other": _("Something else")}


def _settings_context(user, settings=None, errors=None, saved=False, submitted=None):
    settings = settings or service.settings_for(user.site)
    return {
        "settings": settings, "errors": errors or {}, "saved": saved, "submitted": submitted or {},
        "can_manage": user.can("manage_abandoned"),
        "summary": sms.balance_summary(user.site),
        "reminder_price": service.reminder_price(user.site, settings),
        "limits": service.LIMITS,
        "defaults": {"text1": service.text_template(_defaults_of(settings), 1),
                     "text2": service.text_template(_defaults_of(settings), 2)},
        "sms_page_url": user.wp_page_url("bikri-sms"),
    }


def _defaults_of(settings):
    """The settings with the shop's own texts left out: what an empty text box stands for."""
    return SimpleNamespace(text1=None, text2=None, coupon_enabled=settings.coupon_enabled, sms_language=settings.sms_language)


def _page_context(user):
    return {"statuses": status_labels(), **_settings_context(user)}


register_page(EmbedPage("abandoned", _l("Abandoned checkouts"), permission="view_abandoned",
                        template="abandoned/page.html", context=_page_context))


@register_alert
def no_balance_alert(user):
    """S8: reminders are on but the wallet cannot pay for one."""
    if not user.can("view_abandoned") or service.reminders_alert(user.site) is None:
        return None
    return {"message": _("Your SMS balance has run out, so abandoned cart reminders are not being sent."),
            "link_text": _("Recharge"), "link_slug": "bikri-sms"}


def _filters() -> dict:
    args = request.args
    status = args.get("status") if args.get("status") in service.STATUSES else None
    start, end = dhaka_day_range_from_query(args, default_days=30)
    lower, upper = sms.dhaka_day_bounds(start, end)
    return {"status": status, "start": lower, "end": upper, "phone": (args.get("q") or "")[:20] or None}


@blp.get("/rows")
def rows():
    user = require_user("view_abandoned")
    try:
        filters = _filters()
    except ApiError as error:
        return render_template("abandoned/_rows.html", error=error.message, page=None)
    page = paginate(service.list_query(user.site.id, **filters), page_number_from_query(request.args), ROWS_PER_PAGE)
    page["items"] = [{"row": row, "cart": service.cart_of(row)} for row in page["items"]]
    totals = service.summary(user.site.id, filters["start"], filters["end"])
    return render_template("abandoned/_rows.html", page=page, statuses=status_labels(), totals=totals)


@blp.get("/reasons.json")
def reasons():
    """The reasons chart's data for the chosen range: a count per reason, and the latest "other" answers."""
    user = require_user("view_abandoned")
    filters = _filters()
    totals = service.summary(user.site.id, filters["start"], filters["end"])
    labels = reason_labels()
    return jsonify({"labels": [labels[r] for r in service.REASONS], "keys": list(service.REASONS),
                    "counts": [totals["reasons"][r] for r in service.REASONS], "other_texts": totals["other_texts"]})


def _form_values(form) -> tuple[dict, dict]:
    values, errors = settings_form.read_form(form, checkboxes=CHECKBOXES, switch="reminders_enabled",
                                             whole_numbers=service.LIMITS, texts=service.TEXT_FIELDS,
                                             blank_is_none=("reminder2_minutes",))
    if form.get("second_reminder") != "1":
        values["reminder2_minutes"] = None
        errors.pop("reminder2_minutes", None)
    values["sms_language"] = form.get("sms_language", "bn")
    return values, errors


@blp.post("/settings")
def save_settings():
    user = require_user("manage_abandoned")
    values, errors = _form_values(request.form)
    return settings_form.save_form(user, values, errors, service=service, switch="reminders_enabled",
                                   balance_message=_("Recharge your SMS balance before switching reminders on."),
                                   template="abandoned/_settings_form.html", context=_settings_context)
