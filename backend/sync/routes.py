from flask import request
from flask.views import MethodView

from backend.api import Blueprint, current_site
from backend.sync import service
from backend.sync.tasks import apply_accepted_events
from backend.tasks import enqueue
from backend.sync.schemas import BackfillRequestSchema, EventResultsSchema, EventsSchema, SyncStatusSchema

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Order sync with WooCommerce")

API_BLUEPRINTS = [blp]


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventsSchema)
    @blp.response(200, EventResultsSchema)
    @blp.alt_response(202, schema=EventResultsSchema, description=(
        "With `Prefer: respond-async`: the valid events are stored and answered 'accepted', and "
        "applied by a worker right after the answer; invalid ones are answered with their error at once."))
    def post(self, data):
        """Order events from the plugin (≤ 100 per call); one result per event, in order.
        An event that fails never fails the others. Without `Prefer: respond-async`, events
        that carry their order are applied now; one whose order must first be read from
        WooCommerce is answered 'accepted' and applied by a worker."""
        site = current_site()
        asynchronous = "respond-async" in request.headers.get("Prefer", "").lower()
        if asynchronous:
            results, inbox_id = service.accept_events(site, data["events"])
        else:
            results, inbox_id = service.apply_or_accept(site, data["events"])
        if inbox_id is not None:
            # a worker applies the row once this answer's commit stored it (backend/sync/tasks.py)
            enqueue(apply_accepted_events, site_id=site.id, inbox_id=inbox_id)
        if asynchronous:
            return {"results": results}, 202, {"Preference-Applied": "respond-async"}
        return {"results": results}


@blp.route("/sync/status")
class Status(MethodView):
    @blp.response(200, SyncStatusSchema)
    def get(self):
        """Backfill progress ("12,300 of 100,000 orders") and the reconciliation checkpoint."""
        return service.status_of(current_site())


@blp.route("/sync/backfill")
class Backfill(MethodView):
    @blp.arguments(BackfillRequestSchema)
    @blp.response(202, SyncStatusSchema)
    def post(self, data):
        """Queue the full-history backfill (the jobs process runs it); resumes one that stopped."""
        service.request_backfill(current_site(), restart=data["restart"])
        return service.status_of(current_site())
