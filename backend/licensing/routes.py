from flask import current_app
from flask.views import MethodView

from backend.api import Blueprint, current_site, public
from backend.extensions import limiter
from backend.licensing import service
from backend.licensing.schemas import ActivatedSiteSchema, ActivateSiteSchema, LicenseSchema
from backend.security import export_key

blp = Blueprint("licensing", __name__, url_prefix="/api/v1", description="Licenses and sites")

API_BLUEPRINTS = [blp]


def _activation_limit():
    return current_app.config["ACTIVATION_RATE_LIMIT"]


@blp.route("/sites/activate")
@public
class ActivateSite(MethodView):
    decorators = [limiter.limit(_activation_limit)]

    @blp.arguments(ActivateSiteSchema)
    @blp.response(201, ActivatedSiteSchema)
    def post(self, data):
        """Activate a license on a site; answers the site's bearer token (shown once) and the key
        the service signs its order export requests with."""
        name, locale = data.pop("site_name"), data.pop("locale")
        site, token = service.activate_site(**data)
        service.describe_site(site, name, locale)
        license = site.license
        return {
            "site_id": site.id,
            "token": token,
            # the key the service signs its requests to the plugin's order export with
            "export_key": export_key(site.token_hash),
            "license": {"status": license.effective_status(), "plan": license.plan, "expires_at": license.expires_at},
        }


@blp.route("/license")
class CurrentLicense(MethodView):
    @blp.response(200, LicenseSchema)
    def get(self):
        """The license of the calling site."""
        return service.license_summary(current_site())


@blp.route("/sites/deactivate")
class DeactivateSite(MethodView):
    @blp.response(204)
    def post(self):
        """Deactivate the calling site; its token stops working."""
        service.deactivate_site(current_site())
