from flask.views import MethodView
from flask_babel import gettext as _

from backend.api import Blueprint, current_site, found_or_404
from backend.tasks import service
from backend.tasks.schemas import JobSchema

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Work running for the shop: progress and results")

API_BLUEPRINTS = [blp]


@blp.route("/<int:job_id>")
class JobProgress(MethodView):
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """A job the shop started (a bulk booking, a bulk status change): its progress and a result per item."""
        job = found_or_404(service.job_for_site(current_site().id, job_id), _("This shop has no such job."), "job_not_found")
        return service.job_view(job)
