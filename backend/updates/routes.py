from flask import Response, current_app, url_for
from flask.views import MethodView
from flask_babel import gettext as _

from backend.api import Blueprint, current_site
from backend.errors import ApiError
from backend.updates import operator_views, service
from backend.updates.schemas import UpdateCheckAnswerSchema, UpdateCheckSchema

blp = Blueprint("updates", __name__, url_prefix="/api/v1/plugin", description="Plugin updates")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [operator_views.blp]


@blp.route("/update-check")
class UpdateCheck(MethodView):
    @blp.arguments(UpdateCheckSchema)
    @blp.response(200, UpdateCheckAnswerSchema)
    def post(self, data):
        """The plugin release this shop should run, with a short-lived download URL of its own
        and the release's signature. Only sites of a usable license get here (bearer auth)."""
        site = current_site()
        release, rollback = service.release_for(site.id, data.get("version"))
        if release is None:
            return {"release": None}
        ticket = service.download_ticket(site.id, release)
        return {"release": {
            "version": release.version,
            "package": current_app.config["PUBLIC_URL"] + url_for("updates.PluginDownload", ticket=ticket),
            "signature": release.signature, "sha256": release.sha256, "size": release.size,
            "changelog": release.changelog, "requires": release.requires_wp, "requires_php": release.requires_php,
            "released_at": release.created_at, "rollback": rollback,
        }}


@blp.route("/download/<ticket>")
class PluginDownload(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/zip")
    def get(self, ticket):
        """The release zip a ticket from the update check names; the ticket is this shop's
        (the bearer token's), lasts ten minutes, and the release must still be live."""
        release = service.release_for_ticket(ticket, current_site().id)
        if release is None:
            raise ApiError(_("This download link is unknown, expired or not yours. Check for updates again."),
                           code="not_found", status=404)
        data = service.package_of(release.id)
        chunk = 64 * 1024
        response = Response((data[i:i + chunk] for i in range(0, len(data), chunk)), mimetype="application/zip")
        response.headers["Content-Length"] = str(len(data))
        response.headers["Content-Disposition"] = f'attachment; filename="bikri-{release.version}.zip"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
