"""The operators' console for plugin releases (P8): upload a signed release, set its rollout,
roll back to the previous one."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.extensions import db
from backend.operator.routes import confirmation, load_operator, operator_required
from backend.updates import service
from backend.updates.models import PluginRelease, ReleaseStatus

blp = Blueprint("operator_releases", __name__, url_prefix="/operator/releases", template_folder="templates")


@blp.before_request
def allow_release_zips():
    """The service refuses bodies over 1 MB; a release zip may be bigger. Raised here, before
    the console's CSRF check reads the form, and only for the upload."""
    if request.endpoint == "operator_releases.upload":
        request.max_content_length = current_app.config["PLUGIN_MAX_PACKAGE_BYTES"] + 64 * 1024


blp.before_request(load_operator)


def _page(status=200):
    releases = service.list_releases()
    return render_template("updates/releases.html", releases=releases, public_key=service.public_key(),
                           live=ReleaseStatus.LIVE), status


@blp.get("/")
@operator_required
def releases():
    return _page()


@blp.post("/")
@operator_required
def upload():
    upload_file = request.files.get("package")
    try:
        release = service.upload_release(
            upload_file.read() if upload_file else b"", request.form.get("changelog", ""),
            version=request.form.get("version", ""), rollout_percent=request.form.get("rollout", "0"),
            uploaded_by=g.operator.email,
        )
    except service.ReleaseError as error:
        flash(str(error), "error")
        return redirect(url_for("operator_releases.releases"))
    flash(_("Version %(version)s uploaded and signed; it reaches %(percent)s%% of the shops.",
            version=release.version, percent=release.rollout_percent), "success")
    return redirect(url_for("operator_releases.releases"))


@blp.post("/<int:release_id>/rollout")
@operator_required
def rollout(release_id):
    release = db.get_or_404(PluginRelease, release_id)
    try:
        service.set_rollout(release, request.form.get("percent", ""))
    except service.ReleaseError as error:
        flash(str(error), "error")
        return redirect(url_for("operator_releases.releases"))
    flash(_("Version %(version)s now reaches %(percent)s%% of the shops.", version=release.version,
            percent=release.rollout_percent), "success")
    return redirect(url_for("operator_releases.releases"))


@blp.post("/rollback")
@operator_required
def rollback():
    live = [release for release in service.list_releases() if release.status == ReleaseStatus.LIVE]
    if live:
        previous = live[1].version if len(live) > 1 else _("none: shops keep what they run")
        asked = confirmation(
            _("Roll back version %(version)s?", version=live[0].version), _("Roll back"),
            [(_("Withdrawn"), live[0].version), (_("Offered instead"), previous),
             (_("What happens"), _("No shop is offered the withdrawn version any more; shops that installed it are offered the previous one."))],
            url_for("operator_releases.releases"))
        if asked is not None:
            return asked
    try:
        withdrawn, previous = service.rollback()
    except service.ReleaseError as error:
        flash(str(error), "error")
        return redirect(url_for("operator_releases.releases"))
    flash(_("Version %(version)s rolled back.", version=withdrawn.version), "success")
    return redirect(url_for("operator_releases.releases"))
