from flask.views import MethodView
from flask_babel import gettext as _

from backend.adtracking import service, views
from backend.adtracking.schemas import (
    CapiEventSchema, AdSettingsAnswerSchema, AdSettingsSchema, SpendAnswerSchema, SpendImportAnswerSchema, SpendImportSchema,
    SpendListArgs, SpendSchema,
)
from backend.api import Blueprint, current_site, found_or_404
from backend.dashboard import adspend
from backend.errors import ApiError

blp = Blueprint("adtracking", __name__, url_prefix="/api/v1/adtracking",
                description="Ad tracking: Meta Conversions API settings and events, ad spend per campaign")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]


@blp.route("/settings")
class Settings(MethodView):
    @blp.response(200, AdSettingsAnswerSchema)
    def get(self):
        """The shop's Pixel id and Conversions API settings (the token masked)."""
        return service.settings_json(service.settings_of(current_site().id))

    @blp.arguments(AdSettingsSchema)
    @blp.response(200, AdSettingsAnswerSchema)
    def put(self, data):
        """Save the Pixel id, the access token (kept encrypted) and what to send on delivery and return."""
        return service.settings_json(service.save_settings(current_site().id, data))


@blp.route("/events")
class Events(MethodView):
    @blp.response(200, CapiEventSchema(many=True))
    def get(self):
        """The last 50 Conversions API events: pending, sent or failed (with Meta's reason)."""
        return [{"order_wc_id": e.order_wc_id, "kind": e.kind, "event_name": e.event_name, "event_id": e.event_id,
                 "status": e.status, "attempts": e.attempts, "last_error": e.last_error, "value": str(e.value)}
                for e in service.events_of(current_site().id)]


def _bad(error):
    return ApiError(_("Check the highlighted fields."), code="validation_error", status=422,
                    details={"spend": [str(error)]})


@blp.route("/spend")
class Spend(MethodView):
    @blp.arguments(SpendListArgs, location="query")
    @blp.response(200, SpendAnswerSchema(many=True))
    def get(self, args):
        """Ad spend rows overlapping a range."""
        return [dict(adspend.spend_json(r), amount=str(r.amount))
                for r in adspend.list_spend(current_site().id, args["start"], args["end"])]

    @blp.arguments(SpendSchema)
    @blp.response(201, SpendAnswerSchema)
    def post(self, data):
        """Ad spend for one campaign over a range (the same campaign and range again replaces it)."""
        try:
            row = adspend.add_spend(current_site().id, campaign=data["campaign"], network=data["network"],
                                    start=data["start"], end=data["end"], amount=adspend.parse_amount(data["amount"]),
                                    by="API")
        except adspend.BadSpend as error:
            raise _bad(error) from None
        return dict(adspend.spend_json(row), amount=str(row.amount))


@blp.route("/spend/<int:spend_id>")
class SpendRow(MethodView):
    @blp.response(204)
    def delete(self, spend_id):
        adspend.delete_spend(found_or_404(adspend.get_spend(current_site().id, spend_id), _("No such ad spend.")))


@blp.route("/spend/import")
class SpendImport(MethodView):
    @blp.arguments(SpendImportSchema)
    @blp.response(200, SpendImportAnswerSchema)
    def post(self, data):
        """Import Meta Ads Manager's CSV export; bad rows are named by line and skipped."""
        return adspend.import_csv(current_site().id, data["csv"], by="API, CSV")
