"""The fraud check on the order desk: a risk badge per order (from the customer's stored risk) and,
on a click, the check itself in a panel under the badge — each source's numbers, the checks made
before, and a re-check."""
from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.extensions import db
from backend.fraud import checks, service
from backend.tasks.service import job_for_site

blp = Blueprint("fraud_embed", __name__, url_prefix="/embed/fraud", template_folder="templates", static_folder="static")

HISTORY_ROWS = 10
RISK_LABELS = {None: _l("Not checked"), "new": _l("New customer"), "low": _l("Low risk"), "medium": _l("Medium risk"),
               "high": _l("High risk")}


@blp.app_template_global()
def fraud_risk_label(risk):
    return str(RISK_LABELS.get(risk, risk))


@blp.post("/check")
def check():
    """Open the check of a phone (the recent one if young enough) or, with force=1, re-check it.
    The couriers are asked by a worker: the panel waits a few seconds for them, else says it is
    asking and polls (`GET /check/<job>`) until the check replaces it."""
    force = request.form.get("force") == "1"
    user = require_user("recheck_fraud" if force else "check_fraud")
    phone = request.form.get("phone", "")
    check, cached, error, job = None, False, None, None
    try:
        check, cached, job = checks.check_or_start(user.site, phone, user=f"{user.display_name} (#{user.wp_user_id})",
                                                    force=force)
    except ApiError as failed:
        db.session.rollback()
        error = failed
        if failed.status != 422:  # too many re-checks: the latest result is still worth showing
            check = service.latest_check(user.site.id, service.read_phone(phone))
    if check is None and job is not None:
        return _asking(user, job)
    return _panel(user, phone, check, cached, error)


@blp.get("/check/<int:job_id>")
def check_progress(job_id):
    """The panel's poll while a worker asks the couriers."""
    user = require_user("check_fraud")
    job = job_for_site(user.site.id, job_id)
    if job is None or job.kind != checks.KIND:
        abort(404)
    phone = checks.pending_phone(job)
    try:
        check = checks.check_of(job)
    except ApiError as failed:
        return _panel(user, phone, service.latest_check(user.site.id, phone), False, failed)
    if check is None:
        return _asking(user, job)
    return _panel(user, phone, check, False, None)


def _asking(user, job):
    phone = checks.pending_phone(job)
    latest = service.latest_check(user.site.id, phone)
    badge = service.check_view(latest) if latest is not None else {"phone": phone, "risk": None}
    return render_template("fraud/_slot.html", user=user, badge=badge, open=True, asking=job)


def _panel(user, phone, check, cached, error):
    if check is None:
        return render_template("fraud/_slot.html", user=user, error=error, badge={"phone": phone, "risk": None}, open=True)
    history = db.session.execute(service.history_query(user.site.id, check.phone).limit(HISTORY_ROWS)).scalars().all()
    view = service.check_view(check, cached)
    return render_template("fraud/_slot.html", user=user, error=error, badge=view, check=view, history=history, open=True)
