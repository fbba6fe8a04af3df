"""The Notifications page inside wp-admin: per status SMS/email and texts with a live preview
(characters, SMS, cost: the SMS page's counter), quiet hours, opt-out, the owner's alerts, and
the list of delivery alerts behind the bell every Bikri page shows."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l

from backend.embed.pages import EmbedPage, register_header_item, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.extensions import db
from backend.notifications import alerts, service
from backend.sms import service as sms

blp = Blueprint("notifications_embed", __name__, url_prefix="/embed/notifications", template_folder="templates")

ALERT_ROWS = 30


def status_labels() -> dict:
    return {"processing": _("Processing (order received)"), "confirmed": _("Confirmed"), "shipped": _("Shipped"),
            "out_for_delivery": _("Out for delivery"), "delivered": _("Delivered"), "returned": _("Returned"),
            "cancelled": _("Cancelled")}


def alert_labels() -> dict:
    return {"returned": _("Returned"), "partial": _("Partly delivered"), "hold": _("On hold at the courier"),
            "stuck": _("Stuck: no news from the courier")}


def _context(user, errors=None, saved=False, submitted=None):
    return {"described": service.describe(user.site), "labels": status_labels(), "alert_labels": alert_labels(),
            "errors": errors or {}, "saved": saved, "submitted": submitted,
            "can_manage": user.can("manage_notifications"), "summary": sms.balance_summary(user.site),
            "alerts": db.session.execute(alerts.alerts_query(user.site.id).limit(ALERT_ROWS)).scalars().all(),
            "unread": alerts.unread_count(user.site.id), "sms_page_url": user.wp_page_url("bikri-sms")}


register_page(EmbedPage("notifications", _l("Notifications"), permission="view_notifications",
                        template="notifications/page.html", context=_context))


@register_header_item
def bell(user):
    """The bell with the shop's unread delivery alerts, on every Bikri page."""
    if not user.can("view_notifications"):
        return None
    count = alerts.unread_count(user.site.id)
    return {"label": _("Delivery alerts: %(n)s unread", n=count), "count": count, "link_slug": "bikri-notifications"}


def _form_values(form) -> dict:
    values = {name: form.get(name, "") for name in ("language", "quiet_start", "quiet_end", "owner_phone")}
    for name in ("quiet_enabled", "opt_out_link", "owner_sms"):
        values[name] = form.get(name) == "1"
    try:
        values["stuck_days"] = int(form.get("stuck_days", ""))
    except ValueError:
        values["stuck_days"] = None
    statuses = {}
    for status in form.getlist("status"):
        statuses[status] = {"sms": form.get(f"sms.{status}") == "1", "email": form.get(f"email.{status}") == "1",
                            "text_bn": form.get(f"text_bn.{status}", ""), "text_en": form.get(f"text_en.{status}", "")}
    values["statuses"] = statuses
    return values


@blp.post("/settings")
def save_settings():
    user = require_user("manage_notifications")
    values = _form_values(request.form)
    try:
        service.update_settings(user.site, values, by=f"{user.display_name} (#{user.wp_user_id})")
    except ApiError as error:
        db.session.rollback()
        errors = error.details if error.code == "validation_error" else {
            "sms": [_("Recharge your SMS balance before switching status SMS on.") if error.code == "sms_balance_required"
                    else error.message]}
        return render_template("notifications/_settings_form.html", user=user,
                               **_context(user, errors=errors, submitted=values))
    return render_template("notifications/_settings_form.html", user=user, **_context(user, saved=True))


@blp.post("/preview")
def preview():
    """The live preview under a text box: the text with a sample order, and its price."""
    user = require_user("view_notifications")
    status, language = request.form.get("status", "processing"), request.form.get("language", "bn")
    text = request.form.get(f"text_{language}.{status}", request.form.get("text", ""))
    try:
        found = service.preview(user.site, status, text, language if language in service.LANGUAGES else "bn")
    except ValueError as error:
        return render_template("notifications/_preview.html", error=str(error))
    return render_template("notifications/_preview.html", content=found["content"], price=found["price"])


@blp.post("/alerts/read")
def read_alerts():
    user = require_user("view_notifications")
    alerts.mark_read(user.site.id)
    return render_template("notifications/_alerts.html", **_context(user))
