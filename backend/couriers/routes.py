"""The couriers JSON API (bearer token, scoped to the caller's site): accounts and balance,
settings, consignments, on-demand status checks, the delivery report."""
from flask import Response, current_app, jsonify, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import select

from backend.api import Blueprint, current_site, dhaka_day_range, found_or_404, job_progress_url, paginate
from backend.couriers import balances, booking, key_checks, report, service, status_checks, views
from backend.couriers.models import Consignment
from backend.couriers.schemas import (
    AccountListSchema, AccountSchema, BookingJobSchema, BookingRequestSchema, CourierBalanceSchema, ConnectAccountSchema, ConsignmentDetailSchema, ConsignmentListArgsSchema,
    ConsignmentPageSchema, ReportArgsSchema, ReportSchema, SettingsSchema, SettingsUpdateSchema, StatusCheckRequestSchema,
)
from backend.integrations.couriers import FINAL_STATUSES
from backend.tasks.schemas import JobSchema
from backend.tasks.service import job_view

blp = Blueprint("couriers", __name__, url_prefix="/api/v1/couriers", description="Couriers: accounts, statuses, report")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]


def _account_out(view: dict) -> dict:
    # on the service's public address: the plugin shows it inside wp-admin, not behind our proxy
    logo = url_for("couriers_embed.static", filename=f"logos/{view['logo']}")
    return {**view, "logo_url": current_app.config["PUBLIC_URL"] + logo}


@blp.route("")
class Couriers(MethodView):
    @blp.response(200, AccountListSchema)
    def get(self):
        """The couriers a shop can use, each with its logo and whether the shop connected it."""
        site = current_site()
        return {"items": [_account_out(service.account_view(site, cls)) for cls in service.offered_couriers()]}


@blp.route("/<courier>/account")
class CourierAccountView(MethodView):
    @blp.arguments(ConnectAccountSchema)
    @blp.response(200, AccountSchema)
    @blp.alt_response(202, schema=JobSchema, description="The courier has not answered yet")
    def put(self, data, courier):
        """Connect (or change) the shop's account. A worker checks the keys with the courier
        first, and this waits up to five seconds for it: accepted, 200 with the account; refused,
        422 and nothing is saved; the courier unavailable, 503. Not answered yet: 202 with the
        job to follow (`Location: /api/v1/jobs/<id>`; its one item says `ok` or the error).
        Blank keeps the stored key."""
        site = current_site()
        job = key_checks.check_and_wait(site, courier, data)
        now = key_checks.outcome(job)
        if not now["done"]:
            return jsonify(JobSchema().dump(job_view(job))), 202, {"Location": job_progress_url(job)}
        if "error" in now:
            raise now["error"]
        return _account_out(service.account_view(site, service.offered_courier(courier)))

    @blp.response(204)
    def delete(self, courier):
        """Forget the shop's keys for this courier (its consignments stay for the record)."""
        service.offered_courier(courier)
        service.disconnect_account(current_site(), courier)


@blp.route("/<courier>/balance")
class CourierBalance(MethodView):
    @blp.response(200, CourierBalanceSchema)
    @blp.alt_response(202, schema=CourierBalanceSchema, description="The courier has not answered yet")
    def get(self, courier):
        """The shop's balance with the courier, asked now (C5) by a worker; this waits up to three
        seconds for it. Answered in time: 200 with the balance (`refreshing: false`), or the
        courier's refusal as before (422 refused keys, 503 courier unavailable). Not yet: 202
        with the last known balance and its `checked_at` (null if never asked), `refreshing:
        true`, and `job`, the job to follow (`Location: /api/v1/jobs/<id>`; its one item holds the
        new balance, or the error). Asking again while a refresh is under way joins it."""
        site = current_site()
        job = balances.refresh_and_wait(site, courier)
        now = balances.outcome(job)
        if now["done"] and "error" in now:
            raise now["error"]
        if now["done"]:
            return {"courier": courier, "balance": now["balance"], "currency": "BDT", "checked_at": now["checked_at"],
                    "refreshing": False, "job": job.id}
        account = service.get_account(site, courier)
        body = CourierBalanceSchema().dump({"courier": courier, "balance": account.balance, "currency": "BDT",
                                           "checked_at": account.balance_checked_at, "refreshing": True, "job": job.id})
        return jsonify(body), 202, {"Location": job_progress_url(job)}


@blp.route("/settings")
class CourierSettingsView(MethodView):
    @blp.response(200, SettingsSchema)
    def get(self):
        """Default courier, note and delivery type, COD rules, how often statuses are checked,
        and which WooCommerce status each delivery status should set."""
        return service.settings_view(service.get_settings(current_site()))

    @blp.arguments(SettingsUpdateSchema)
    @blp.response(200, SettingsSchema)
    def put(self, data):
        """Change some settings; fields left out keep their value."""
        return service.settings_view(service.save_settings(current_site(), data))


def _consignment_out(c: Consignment) -> dict:
    out = {name: getattr(c, name) for name in ConsignmentDetailSchema().fields if hasattr(c, name)}
    out["final"] = c.status in FINAL_STATUSES
    return out


@blp.route("/consignments")
class Consignments(MethodView):
    @blp.arguments(ConsignmentListArgsSchema, location="query")
    @blp.response(200, ConsignmentPageSchema)
    def get(self, args):
        """The shop's consignments, newest first; filter by courier, status, or open (not final)."""
        query = select(Consignment).where(Consignment.site_id == current_site().id)
        if args["courier"]:
            query = query.where(Consignment.courier == args["courier"])
        if args["status"]:
            query = query.where(Consignment.status == args["status"])
        if args["open"] is not None:
            final = Consignment.status.in_(FINAL_STATUSES)
            query = query.where(~final if args["open"] else final)
        page = paginate(query.order_by(Consignment.id.desc()), args["page"], args["per_page"])
        page["items"] = [_consignment_out(c) for c in page["items"]]
        return page


@blp.route("/consignments/<courier>/<invoice>")
class ConsignmentDetail(MethodView):
    @blp.response(200, ConsignmentDetailSchema)
    def get(self, courier, invoice):
        """One consignment by courier and order number, with its status history."""
        consignment = found_or_404(service.find_consignment(current_site(), courier, invoice),
                                   _("No consignment with this courier and order number."))
        return {**_consignment_out(consignment), "history": service.status_history(consignment)}


@blp.route("/bookings")
class Bookings(MethodView):
    @blp.arguments(BookingRequestSchema)
    @blp.response(202, BookingJobSchema)
    def post(self, data):
        """Book orders with a courier (C1–C3). Answers at once with the booking job (`Location`:
        `GET /api/v1/jobs/<id>`), which gives its progress and one result per order: booked
        (consignment id), refused (why) or not attempted (why). Never books an order twice.
        No courier chosen or connected: 422/404 before anything is queued."""
        site = current_site()
        job = booking.start_booking(site, data["order_ids"], data["courier"], data["note"], started_by="api")
        location = job_progress_url(job)
        return {"job": job, "location": location}, 202, {"Location": location}


@blp.route("/consignments/status-check")
class StatusCheck(MethodView):
    @blp.arguments(StatusCheckRequestSchema)
    @blp.response(202, JobSchema)
    def post(self, data):
        """Ask the couriers now about these consignments (C6). Answers 202 at once with a
        `status_check` job (`Location: /api/v1/jobs/<id>`); a worker asks the couriers and the
        job gets one item per id or invoice given, `item` being its position in that order (ids
        first) and the rest a status-check result: `{id, invoice, courier, consignment_id,
        status, courier_status, last_checked_at, checked, changed, error, note}`. Unknown ones
        say so; final ones are not asked again. Bad requests are refused (422) before anything
        is queued."""
        job = status_checks.start_status_check(current_site(), data["ids"], data["invoices"])
        return job_view(job), 202, {"Location": job_progress_url(job)}


@blp.route("/report")
class Report(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args):
        """The delivery report (C7) for a range of Dhaka days, by courier."""
        start, end = dhaka_day_range(args["start_date"], args["end_date"])
        return report.delivery_report(current_site().id, start, end, args["courier"])


@blp.route("/report.csv")
class ReportCsv(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, content_type="text/csv")
    def get(self, args):
        """The delivery report as CSV: a row per day and courier, then the totals."""
        start, end = dhaka_day_range(args["start_date"], args["end_date"])
        body = report.report_csv(report.delivery_report(current_site().id, start, end, args["courier"]))
        return Response(body, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="deliveries-{start}-{end}.csv"'})
