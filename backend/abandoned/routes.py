from flask.views import MethodView

from backend.abandoned import public_views, views
from backend.abandoned.schemas import CaptureAnswerSchema, CaptureSchema
from backend.abandoned import service
from backend.api import Blueprint, current_site

blp = Blueprint("abandoned", __name__, url_prefix="/api/v1/abandoned", description="Abandoned checkouts: capture")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp, public_views.blp]


@blp.route("/capture")
class Capture(MethodView):
    @blp.arguments(CaptureSchema)
    @blp.response(200, CaptureAnswerSchema)
    def post(self, data):
        """What the shopper typed at checkout so far, with the cart the plugin read from WooCommerce.
        One row per `capture_key`; repeating it updates the row. 409 `abandoned_capture_off` when
        the shop has capture switched off; 422 names the field (phone, capture_key, items, total)."""
        return service.capture(current_site(), data)
