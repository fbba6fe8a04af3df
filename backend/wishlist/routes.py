"""The wishlist's JSON API (bearer token, scoped to the caller's site): the plugin's forwarded
wishlist events, the report, the alert settings."""
from flask.views import MethodView

from backend.api import Blueprint, current_site
from backend.wishlist import service, views
from backend.wishlist.schemas import (WishlistEventResultsSchema, WishlistEventsSchema, WishlistReportSchema,
                                      WishlistSettingsSchema)

blp = Blueprint("wishlist", __name__, url_prefix="/api/v1/wishlist", description="Wishlists and their SMS alerts")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(WishlistEventsSchema)
    @blp.response(200, WishlistEventResultsSchema)
    def post(self, data):
        """Hearts pressed on the storefront and alert opt-ins, forwarded by the plugin after its
        response. Idempotent: an event older than what is stored (or sent again) is `ignored_older`."""
        return {"results": service.apply_events(current_site().id, data["events"])}


@blp.route("/report")
class Report(MethodView):
    @blp.response(200, WishlistReportSchema)
    def get(self):
        """Most-wished products, and products wished but never bought by those who wished them."""
        return service.report(current_site().id)


@blp.route("/settings")
class Settings(MethodView):
    @blp.response(200, WishlistSettingsSchema)
    def get(self):
        return service.settings_for(current_site().id)

    @blp.arguments(WishlistSettingsSchema)
    @blp.response(200, WishlistSettingsSchema)
    def put(self, data):
        """Switch the back-in-stock and price-drop SMS on or off (they are paid from the SMS wallet)."""
        return service.update_settings(current_site(), data, by="api")
