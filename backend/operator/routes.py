import secrets
from functools import wraps

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from backend.activity import service as activity
from backend.extensions import db, limiter
from backend.licensing import service as licensing
from backend.licensing.models import License, LicenseStatus, Site
from backend.operator import service
from backend.operator.models import Operator
from backend.tasks import QueueUnavailable, service as tasks



def load_operator():
    """Every console request: who is signed in, and a CSRF check on every form post."""
    g.operator = db.session.get(Operator, session["operator_id"]) if session.get("operator_id") else None
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not sent or not secrets.compare_digest(sent, session.get("csrf_token", "")):
            abort(400, description=_("The form has expired. Go back, reload the page and try again."))


# form fields never written to the operator log (secrets, the form's own plumbing)
UNLOGGED_FIELDS = ("csrf_token", "confirm", "password", "next")
SECRET_WORDS = ("password", "secret", "key", "token", "pin")


def log_operator_action(response):
    """T2, the console's own log: every change an operator made (a form post that did not ask
    for confirmation first and did not fail): licenses, credits, prices, gateway changes. What
    was sent is the "after"; secrets (gateway keys, passwords) are written as "•••"."""
    operator = g.get("operator")
    if request.method != "POST" or operator is None or response.status_code >= 400 or g.get("confirmation_asked"):
        return response
    sent = {name: ("•••" if any(word in name.lower() for word in SECRET_WORDS) else value[:200])
            for name, value in request.form.items() if name not in UNLOGGED_FIELDS}
    activity.record_operator(operator.email, request.endpoint or request.path, request.path, None, sent or None,
                             ip=request.remote_addr)
    return response


def console_blueprint(name: str, import_name: str, url_prefix: str, **kwargs) -> Blueprint:
    """A blueprint of the operators' console: other domains add their console pages with it."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix, **kwargs)
    blueprint.before_request(load_operator)
    blueprint.after_request(log_operator_action)
    return blueprint


blp = console_blueprint("operator", __name__, "/operator", template_folder="templates")
PAGE_BLUEPRINTS = [blp]


def confirmation(question: str, button: str, details: list[tuple[str, str]], cancel_url: str):
    """Nothing that suspends, revokes or moves money happens on the first POST: without
    `confirm=yes` the answer is a page that says what will happen, with the same fields and a
    Confirm button (a second POST, no JavaScript needed). None once confirmed."""
    if request.form.get("confirm") == "yes":
        return None
    g.confirmation_asked = True  # nothing changed yet: not an operator log entry
    fields = [(name, value) for name, value in request.form.items(multi=True) if name not in ("csrf_token", "confirm")]
    return render_template("operator/confirm.html", question=question, button=button, details=details,
                           fields=fields, action=request.path, cancel_url=cancel_url)


@blp.app_context_processor
def csrf_token():
    def token():
        if "csrf_token" not in session:
            session["csrf_token"] = secrets.token_urlsafe(32)
        return session["csrf_token"]
    return {"csrf_token": token}


def operator_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.operator is None:
            return redirect(url_for("operator.login", next=request.path))
        return view(*args, **kwargs)
    return wrapper


def _login_limit():
    return current_app.config["OPERATOR_LOGIN_RATE_LIMIT"]


@blp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        operator = service.sign_in(request.form.get("email", ""), request.form.get("password", ""))
        if operator is not None:
            session.clear()
            session["operator_id"] = operator.id
            target = request.args.get("next", "")
            # only our own console paths, never an open redirect
            return redirect(target if target.startswith("/operator/") else url_for("operator.licenses"))
        error = _("Wrong email or password.")
    return render_template("operator/login.html", error=error), (401 if error else 200)


@blp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("operator.login"))


@blp.get("/")
@operator_required
def licenses():
    return render_template("operator/licenses.html", licenses=licensing.list_licenses(), created_key=None)


FIELD_LABELS = {"sites": _l("Sites allowed"), "days": _l("Days")}


def _positive_int(name, default, maximum):
    raw = request.form.get(name, "").strip() or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValueError(_("%(field)s must be a whole number from 1 to %(max)s.", field=FIELD_LABELS.get(name, name), max=maximum))
    return int(raw)


@blp.post("/licenses")
@operator_required
def create_license():
    try:
        email = request.form.get("email", "").strip()
        if "@" not in email or len(email) > 254:
            raise ValueError(_("Enter the shop owner's email address."))
        sites = _positive_int("sites", 1, 1000)
        days = _positive_int("days", 365, 3650)
        plan = request.form.get("plan", "").strip()[:40] or "standard"
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("operator.licenses"))
    license, key = licensing.create_license(email, sites=sites, days=days, plan=plan)
    response = current_app.make_response(render_template(
        "operator/licenses.html", licenses=licensing.list_licenses(), created_key=key, created=license,
    ))
    response.headers["Cache-Control"] = "no-store"  # the key is shown this once
    return response


@blp.post("/licenses/<int:license_id>/<action>")
@operator_required
def change_license(license_id, action):
    license = db.get_or_404(License, license_id)
    if action in ("suspend", "revoke"):
        sites = ", ".join(site.url for site in license.active_sites) or _("none")
        asked = confirmation(
            _("Suspend license …%(hint)s?", hint=license.key_hint) if action == "suspend"
            else _("Revoke license …%(hint)s?", hint=license.key_hint),
            _("Suspend") if action == "suspend" else _("Revoke"),
            [(_("Email"), license.email), (_("Plan"), license.plan), (_("Sites"), sites),
             (_("What happens"), _("Its sites stop working until it is reactivated.") if action == "suspend"
              else _("Its sites stop working. Revoke a license that should not come back (a refund, abuse)."))],
            url_for("operator.licenses"))
        if asked is not None:
            return asked
    if action == "suspend":
        licensing.set_license_status(license, LicenseStatus.SUSPENDED)
    elif action == "activate":
        licensing.set_license_status(license, LicenseStatus.ACTIVE)
    elif action == "revoke":
        licensing.set_license_status(license, LicenseStatus.REVOKED)
    elif action == "extend":
        try:
            licensing.extend_license(license, _positive_int("days", 30, 3650))
        except ValueError as error:
            flash(str(error), "error")
            return redirect(url_for("operator.licenses"))
    else:
        abort(404)
    flash(_("License %(hint)s updated.", hint=license.key_hint), "success")
    return redirect(url_for("operator.licenses"))


# --- the work queue (backend/tasks) --------------------------------------------------------------

LANE_LABELS = {"otp": _l("Checkout codes"), "transactional": _l("Single actions"), "bulk": _l("Bulk work")}


def _waited(seconds):
    """How long the oldest task has waited, as an operator reads it."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return _("%(count)s s", count=int(seconds))
    if seconds < 2 * 3600:
        return _("%(count)s min", count=int(seconds // 60))
    return _("%(count)s h", count=int(seconds // 3600))


@blp.get("/log")
@operator_required
def operator_log():
    """The operators' own log, newest first."""
    return render_template("operator/log.html", actions=activity.operator_actions(limit=300))


@blp.get("/queue")
@operator_required
def work_queue():
    return render_template("operator/queue.html", lane_label=lambda lane: str(LANE_LABELS.get(lane, lane)),
                           waited=_waited, **service.work_queue())


@blp.post("/queue/dead/<int:dead_id>/retry")
@operator_required
def retry_dead_letter(dead_id):
    try:
        dead = tasks.retry_dead_letter(dead_id)
    except QueueUnavailable:
        flash(_("The work queue is not answering; nothing was sent. Try again in a minute."), "error")
        return redirect(url_for("operator.work_queue"))
    except LookupError:  # the task was renamed or removed since it failed
        flash(_("Bikri no longer has this task; it cannot be sent again."), "error")
        return redirect(url_for("operator.work_queue"))
    if dead is None:
        flash(_("This failed task was sent again already."), "error")
    else:
        flash(_("%(task)s sent again.", task=dead.task), "success")
    return redirect(url_for("operator.work_queue"))


@blp.post("/queue/shops/<int:site_id>/retry")
@operator_required
def retry_dead_letters_of_shop(site_id):
    site = db.get_or_404(Site, site_id)
    try:
        job = tasks.retry_dead_letters_of_shop(site.id, started_by=g.operator.email)
    except QueueUnavailable:
        flash(_("The work queue is not answering; nothing was sent. Try again in a minute."), "error")
        return redirect(url_for("operator.work_queue"))
    flash(_("Sending %(count)s failed tasks of %(shop)s again.", count=job.total, shop=site.url), "success")
    return redirect(url_for("operator.work_queue"))
