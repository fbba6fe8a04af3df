"""The checkout pages inside wp-admin: protection settings (admin), the blacklist (admin and
manager) and the OTP report (admin and manager)."""
import io
from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l

from backend import csvfile
from backend.activity import service as activity
from backend.api import page_number_from_query, paginate
from backend.checkout import blacklist, service
from backend.embed.csv_upload import BadCsv, csv_from_form
from backend.embed.pages import EmbedPage, register_alert, register_page
from backend.embed import settings_form
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.sms import service as sms

blp = Blueprint("checkout_embed", __name__, url_prefix="/embed/checkout", template_folder="templates", static_folder="static")

ROWS_PER_PAGE = 25
MAX_CSV_ROWS = 50_000
CHECKBOXES = ("otp_enabled", "otp_skip_trusted")


def _settings_context(user, settings=None, errors=None, saved=False, submitted=None):
    settings = settings or service.settings_for(user.site)
    return {
        "settings": settings, "errors": errors or {}, "saved": saved, "submitted": submitted or {},
        "summary": sms.balance_summary(user.site),
        "otp_price": service.otp_price(user.site, settings),
        "limits": service.LIMITS,
        "defaults": service.DEFAULT_TEXTS,
        "preview": service.render_text(user.site, settings, "123456"),
        "sms_page_url": user.wp_page_url("bikri-sms"),
        "default_shop_name": service.default_shop_name(user.site),
    }


def _report_context(user):
    return {"states": _state_labels()}


register_page(EmbedPage("checkout", _l("Checkout protection"), permission="manage_checkout", template="checkout/settings.html",
                        context=_settings_context))
register_page(EmbedPage("blacklist", _l("Blacklist"), permission="manage_blacklist", template="checkout/blacklist.html"))
register_page(EmbedPage("otp-report", _l("OTP report"), permission="view_otp_report", template="checkout/otp_report.html",
                        context=_report_context))


@register_alert
def no_balance_alert(user):
    """S8: OTP is on but codes stopped going out for want of balance."""
    if not user.can("view_sms") or service.otp_alert(user.site) is None:
        return None
    return {"message": _("Your SMS balance has run out, so checkout codes are not being sent. Orders still go through, "
                         "marked “OTP skipped: no balance”."),
            "link_text": _("Recharge"), "link_slug": "bikri-sms"}


def _state_labels():
    return {"completed": _("Completed OTP"), "not_completed": _("Did not complete"), "skipped": _("Skipped: no SMS balance")}


# --- settings ------------------------------------------------------------------------------------

def _form_values(form) -> tuple[dict, dict]:
    values, errors = settings_form.read_form(form, checkboxes=CHECKBOXES, switch="otp_enabled", whole_numbers=service.LIMITS,
                                             texts=(*service.TEXT_FIELDS, "shop_name", "blacklist_message"))
    values["otp_language"] = form.get("otp_language", "bn")
    return values, errors


@blp.post("/settings")
def save_settings():
    user = require_user("manage_checkout")
    values, errors = _form_values(request.form)
    return settings_form.save_form(user, values, errors, service=service, switch="otp_enabled",
                                   balance_message=_("Recharge your SMS balance before switching checkout codes on."),
                                   template="checkout/_settings_form.html", context=_settings_context)


# --- blacklist ----------------------------------------------------------------------------------

@blp.get("/blacklist/rows")
def blacklist_rows():
    user = require_user("manage_blacklist")
    kind = request.args.get("kind") or None
    query = blacklist.list_query(user.site.id, kind if kind in blacklist.KINDS else None, request.args.get("q", "")[:100])
    page = paginate(query, page_number_from_query(request.args), ROWS_PER_PAGE)
    return render_template("checkout/_blacklist_rows.html", user=user, page=page)


@blp.post("/blacklist")
def blacklist_add():
    user = require_user("manage_blacklist")
    try:
        added = blacklist.add(user.site, kind=request.form.get("kind") or None, value=request.form.get("value", ""),
                              reason=request.form.get("reason"), added_by=f"{user.display_name} (#{user.wp_user_id})")
    except ApiError as error:
        return render_template("checkout/_blacklist_added.html", error=error.details.get("value", [error.message])[0])
    response = Response(render_template("checkout/_blacklist_added.html", added=added))
    response.headers["HX-Trigger"] = "bikri-checkout-changed"
    return response


@blp.delete("/blacklist/<int:entry_id>")
def blacklist_remove(entry_id):
    user = require_user("manage_blacklist")
    blacklist.remove(user.site, entry_id)
    response = Response("")
    response.headers["HX-Trigger"] = "bikri-checkout-changed"
    return response


@blp.post("/blacklist/import")
def blacklist_import():
    user = require_user("manage_blacklist")
    try:
        text = csv_from_form()
    except BadCsv as error:
        return render_template("checkout/_import_results.html", error=str(error))
    results = blacklist.import_csv(user.site, text, added_by=f"{user.display_name} (#{user.wp_user_id}), CSV")
    counts = {outcome: sum(1 for r in results if r["outcome"] == outcome) for outcome in ("added", "exists", "error")}
    response = Response(render_template("checkout/_import_results.html", results=results, counts=counts))
    if counts["added"]:
        response.headers["HX-Trigger"] = "bikri-checkout-changed"
    return response


# --- OTP report ---------------------------------------------------------------------------------

def _report_filters() -> dict:
    args = request.args
    filters = {"state": args.get("state") if args.get("state") in service.REPORT_STATES else None,
               "ordered": args.get("ordered") if args.get("ordered") in ("yes", "no") else None,
               "phone": (args.get("q") or "")[:20] or None}
    try:
        start = date.fromisoformat(args["start"]) if args.get("start") else None
        end = date.fromisoformat(args["end"]) if args.get("end") else None
    except ValueError:
        raise ApiError(_("Dates look like 2026-03-01."), code="validation_error", status=422)
    if start and end and start > end:
        raise ApiError(_("The start date is after the end date."), code="validation_error", status=422)
    filters["start"], filters["end"] = sms.dhaka_day_bounds(start, end)
    return filters


@blp.get("/otp-report/rows")
def report_rows():
    user = require_user("view_otp_report")
    try:
        query = service.report_query(user.site.id, **_report_filters())
    except ApiError as error:
        return render_template("checkout/_report_rows.html", error=error.message, rows=[], page=None)
    number = page_number_from_query(request.args)
    total = service.report_count(query)
    rows = service.report_rows(query, ROWS_PER_PAGE, (number - 1) * ROWS_PER_PAGE)
    page = {"page": number, "pages": -(-total // ROWS_PER_PAGE), "total": total}
    return render_template("checkout/_report_rows.html", rows=rows, page=page, states=_state_labels())


@blp.get("/otp-report.csv")
def report_csv():
    user = require_user("view_otp_report")
    query = service.report_query(user.site.id, **_report_filters())
    activity.record(user.site.id, "export", "otp-report.csv", None, {"filters": _report_filters()})
    labels = _state_labels()
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 (Bangla) only with a BOM
    writer = csvfile.writer(out)  # every cell formula-safe
    writer.writerow([_("Phone"), _("OTP"), _("Codes asked for"), _("First asked"), _("Last asked"), _("Verified at"), _("Orders")])
    when = lambda dt: format_datetime(dt, "yyyy-MM-dd HH:mm") if dt else ""  # noqa: E731  (Asia/Dhaka)
    for row in service.report_rows(query, MAX_CSV_ROWS):
        writer.writerow([row["phone"], labels[row["state"]], row["requests"], when(row["first_at"]), when(row["last_at"]),
                         when(row["verified_at"]), row["orders"]])
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=otp-report.csv"})
