"""The shop's Couriers page inside wp-admin (C4, C5, C6, C7, C8): connect a courier account
(checked before saving, keys never shown back), balance, default options, a status check of
parcels on the way, and the delivery report with its chart and CSV."""

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from backend.activity import service as activity
from backend.couriers import balances, key_checks, report, service, status_checks
from backend.couriers.labels import field_label, status_label
from backend.couriers.models import Consignment
from backend.api import dhaka_day_range_from_query
from backend.embed.pages import EmbedPage, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError, answers_errors_in_json
from backend.extensions import db
from backend.integrations.couriers import FINAL_STATUSES, STATUSES
from backend.labels import label
from backend.tasks import service as tasks_service
from backend.clock import dhaka_today

blp = Blueprint("couriers_embed", __name__, url_prefix="/embed/couriers", template_folder="templates",
                static_folder="static")

OPEN_ROWS = 50
WC_STATUSES = ("", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")


def _wc_status_labels() -> dict:
    return {"": _("Leave as it is"), **{status: label("order_status", status) for status in WC_STATUSES if status}}


@blp.context_processor
def _helpers():
    return {"status_label": status_label, "courier_field_label": field_label}


def _page_context(user):
    site = user.site
    return {
        "accounts": [service.account_view(site, cls) for cls in service.offered_couriers()],
        "settings": service.settings_view(service.get_settings(site)),
        "statuses": STATUSES,
        "status_label": status_label,
        "courier_field_label": field_label,
        "wc_statuses": WC_STATUSES,
        "wc_status_labels": _wc_status_labels(),
        "couriers": service.offered_couriers(),
        "today": dhaka_today(),
    }


register_page(EmbedPage("couriers", _l("Couriers"), permission="view_couriers", template="couriers/page.html",
                        context=_page_context))


def _account_card(user, key: str, **extra):
    cls = service.offered_courier(key)
    return render_template("couriers/_account.html", user=user, account=service.account_view(user.site, cls), **extra)


# --- accounts --------------------------------------------------------------------------------------

@blp.post("/accounts/<courier>")
def save_account(courier):
    """Check and save: a worker asks the courier with the new keys; the card waits a few seconds
    for the answer, else says the courier is being asked and asks again (`keys?job=`) each second."""
    user = require_user("manage_courier_accounts")
    try:
        job = key_checks.check_and_wait(user.site, courier, {"api_key": request.form.get("api_key", ""),
                                                             "secret_key": request.form.get("secret_key", "")},
                                        started_by=user.display_name)
    except ApiError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        return _account_card(user, courier, error=error)
    return _key_check_card(user, courier, job)


@blp.get("/accounts/<courier>/keys")
def key_check(courier):
    user = require_user("manage_courier_accounts")
    service.offered_courier(courier)
    return _key_check_card(user, courier, key_checks.job_of(user.site, request.args.get("job", "")))


def _key_check_card(user, courier, job):
    now = key_checks.outcome(job)
    if not now["done"]:
        return _account_card(user, courier, checking=job)
    if "error" in now:
        return _account_card(user, courier, error=now["error"])
    return _account_card(user, courier, saved=True)


@blp.post("/accounts/<courier>/disconnect")
def disconnect(courier):
    user = require_user("manage_courier_accounts")
    service.offered_courier(courier)
    service.disconnect_account(user.site, courier)
    return _account_card(user, courier, disconnected=True)


@blp.get("/accounts/<courier>/balance")
def balance(courier):
    """Refresh balance: a worker asks the courier; the card waits a few seconds for the answer,
    else shows the last known balance as being refreshed and asks again (`?job=`) each second."""
    user = require_user("view_couriers")
    try:
        job = balances.polled_or_refreshed(user.site, courier, request.args.get("job"), user.display_name)
    except ApiError as error:
        if error.status == 404 and error.code in ("unknown_courier", "job_not_found"):
            raise
        return _account_card(user, courier, error=error)
    now = balances.outcome(job)
    if not now["done"]:
        return _account_card(user, courier, refreshing=job)
    return _account_card(user, courier, error=now.get("error"))


# --- settings -----------------------------------------------------------------------------------------

def _settings_from_form(form) -> dict:
    data = {
        "default_courier": form.get("default_courier") or None,
        "default_note": form.get("default_note", ""),
        "delivery_type": form.get("delivery_type", "home"),
        "prepaid_cod_zero": form.get("prepaid_cod_zero") == "1",
        "wc_status_map": {status: form.get(f"wc_status_{status}", "") for status in STATUSES},
    }
    for name in ("cod_round_to", "poll_minutes"):
        value = form.get(name, "").strip()
        data[name] = int(value) if value.isdigit() else -1
    return data


@blp.post("/settings")
def save_settings():
    user = require_user("manage_courier_accounts")
    try:
        settings = service.save_settings(user.site, _settings_from_form(request.form))
    except ApiError as error:
        db.session.rollback()
        return render_template("couriers/_settings_result.html", error=error)
    return render_template("couriers/_settings_result.html", settings=service.settings_view(settings))


# --- parcels on the way, and checking them now ----------------------------------------------------------

@blp.get("/consignments")
def consignments():
    user = require_user("view_couriers")
    rows = db.session.execute(
        select(Consignment).where(Consignment.site_id == user.site.id, Consignment.status.not_in(FINAL_STATUSES))
        .order_by(Consignment.booked_at.desc()).limit(OPEN_ROWS)).scalars().all()
    return render_template("couriers/_consignments.html", rows=rows)


# How long the check waits for the worker before it shows a progress bar instead: a few parcels
# usually answer in this time, so staff see the results as before.
CHECK_WAIT_SECONDS = 3.0


@blp.post("/consignments/check")
def check():
    """Check the ticked parcels now: a worker asks the couriers; the results if they come within a
    few seconds, else a progress bar that asks again until they replace it."""
    user = require_user("view_couriers")
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit()][:100]
    if not ids:
        return render_template("couriers/_check_result.html", items=[], error=_("Tick the parcels to check first."))
    job = status_checks.start_status_check(user.site, ids, [], started_by=user.display_name)
    return _check_answer(tasks_service.wait_for_job(job, CHECK_WAIT_SECONDS))


@blp.get("/consignments/check/<int:job_id>")
def check_progress(job_id):
    user = require_user("view_couriers")
    job = tasks_service.job_for_site(user.site.id, job_id)
    if job is None or job.kind != status_checks.KIND:
        abort(404)
    return _check_answer(job)


def _check_answer(job):
    if job.status not in ("done", "failed"):
        return render_template("tasks/_job_progress.html", job=job,
                               words=_l("%(done)d of %(total)d checked with the courier"),
                               poll_url=url_for("couriers_embed.check_progress", job_id=job.id))
    items = status_checks.results_of_job(tasks_service.job_view(job))
    # the table of parcels listens for this and reloads with the new statuses
    return render_template("couriers/_check_result.html", items=items), 200, {"HX-Trigger": "checked"}


# --- the delivery report --------------------------------------------------------------------------------

def _delivery_report(user) -> dict:
    """The report for the range and courier the query asks (ApiError when they are not valid)."""
    start, end = dhaka_day_range_from_query(request.args)
    return report.delivery_report(user.site.id, start, end, service.report_courier(request.args.get("courier")))


@blp.get("/report")
def report_table():
    user = require_user("view_couriers")
    try:
        data = _delivery_report(user)
    except ApiError as error:
        return render_template("couriers/_report.html", error=error)
    return render_template("couriers/_report.html", report=data, names={c.key: c.name for c in service.offered_couriers()})


@blp.get("/report.json")
@answers_errors_in_json
def report_json():
    user = require_user("view_couriers")
    data = _delivery_report(user)
    return jsonify({"days": data["days"], "series": data["series"], "booked": data["totals"]["booked"]})


@blp.get("/report.csv")
def report_csv():
    user = require_user("view_couriers")
    start, end = dhaka_day_range_from_query(request.args)
    courier = service.report_courier(request.args.get("courier"))
    activity.record(user.site.id, "export", "deliveries.csv", None, {"from": start, "to": end, "courier": courier})
    body = report.report_csv(report.delivery_report(user.site.id, start, end, courier))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="deliveries-{start}-{end}.csv"'})
