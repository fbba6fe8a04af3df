"""Feature requests in the operators' console: every shop's requests by votes, their status and a reply."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.extensions import db
from backend.ideas import service
from backend.ideas.models import FeatureRequest, IdeaStatus
from backend.operator.routes import console_blueprint, operator_required

blp = console_blueprint("operator_ideas", __name__, "/operator/ideas", template_folder="templates")


@blp.get("/")
@operator_required
def requests():
    status = request.args.get("status", "")
    return render_template("ideas/console.html", rows=service.all_requests(status or None), status=status,
                           statuses=IdeaStatus.ALL)


@blp.post("/<int:request_id>")
@operator_required
def answer(request_id):
    feature = db.get_or_404(FeatureRequest, request_id)
    try:
        service.answer(feature, request.form.get("status", ""), request.form.get("reply", ""))
    except service.IdeaError as error:
        flash(str(error), "error")
        return redirect(url_for("operator_ideas.requests"))
    flash(_("Request #%(id)s saved.", id=feature.id), "success")
    return redirect(url_for("operator_ideas.requests"))
