"""The fraud-check JSON API (bearer token, scoped to the caller's site)."""
from flask import jsonify
from flask.views import MethodView

from backend.api import Blueprint, current_site, job_progress_url, paginate
from backend.fraud import checks, service, views
from backend.fraud.schemas import CheckRequestSchema, CheckSchema, HistoryArgsSchema, HistoryPageSchema
from backend.tasks.schemas import JobSchema
from backend.tasks.service import job_view

blp = Blueprint("fraud", __name__, url_prefix="/api/v1/fraud", description="Fraud check of a customer's phone")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]


@blp.route("/check")
class Check(MethodView):
    @blp.arguments(CheckRequestSchema)
    @blp.response(200, CheckSchema)
    @blp.alt_response(202, schema=JobSchema, description="The couriers are still being asked")
    def post(self, data):
        """Check a phone: its history at the connected couriers, in this shop, and across Bikri
        (counts only). A check younger than the cache time is shown again (`cached`); `force`
        asks afresh (limited per hour). A courier that fails is reported in its entry.

        The couriers are asked by a worker; this waits up to three seconds for them. Answered in
        time (or no courier to ask): 200 with the check. Not yet: 202 with the `fraud_check` job
        (`Location: /api/v1/jobs/<id>`); once done its one item is the check, as the 200 answer
        has it (plus `check_id`). A second ask for the number while one runs joins it."""
        check, cached, job = checks.check_or_start(current_site(), data["phone"], user=data["checked_by"],
                                                   force=data["force"])
        if check is None:
            return jsonify(JobSchema().dump(job_view(job))), 202, {"Location": job_progress_url(job)}
        return service.check_view(check, cached)


@blp.route("/history")
class History(MethodView):
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, HistoryPageSchema)
    def get(self, args):
        """The shop's fraud checks, newest first: who checked, when, the result; of one phone with `phone`."""
        phone = service.read_phone(args["phone"]) if args["phone"] is not None else None
        page = paginate(service.history_query(current_site().id, phone), args["page"], args["per_page"])
        page["items"] = [service.check_view(check) for check in page["items"]]
        return page
