"""The Customers and Campaigns pages inside wp-admin (phone-friendly, in Bangla): the list with
filters and segments, a customer's page (opened from every order row on the desk), and SMS
campaigns with their preview, cost, pause and report."""
from datetime import datetime, timezone
from typing import Callable

from flask import Blueprint, abort, g, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError

from backend.customers import campaigns, segments, service
from backend.customers.schemas import FiltersSchema
from backend.customers.stats import SEGMENTS
from backend.embed.pages import EmbedPage, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.extensions import db
from backend.sms.wallet import balance_of
from backend.clock import DHAKA, utcnow

blp = Blueprint("customers_embed", __name__, url_prefix="/embed/customers", template_folder="templates")

SEGMENT_LABELS = {"champions": _l("Champions"), "loyal": _l("Loyal"), "promising": _l("Promising"), "new": _l("New"),
                  "at_risk": _l("At risk"), "lost": _l("Lost")}
CAMPAIGN_STATUSES = {"scheduled": _l("Scheduled"), "queueing": _l("Queueing"), "sending": _l("Sending"),
                     "paused": _l("Paused"), "done": _l("Done"), "failed": _l("Failed"), "cancelled": _l("Cancelled")}


# Sections other domains add at the end of a customer's page (loyalty points): functions
# (user, customer page) -> HTML or "". They register here; customers never imports them.
CUSTOMER_PANELS: list[Callable] = []


def register_customer_panel(panel: Callable) -> Callable:
    CUSTOMER_PANELS.append(panel)
    return panel


@blp.app_template_global()
def customer_panels(user, customer) -> list:
    return [html for panel in CUSTOMER_PANELS if (html := panel(user, customer))]


@blp.app_template_global()
def customer_segment_label(segment):
    return str(SEGMENT_LABELS.get(segment, "—" if segment is None else segment))


def _customers_context(user):
    return {"segment_counts": segments.segment_counts(user.site.id), "saved": segments.saved_segments(user.site.id),
            "segment_names": SEGMENTS}


def _campaigns_context(user):
    return {"campaigns": [campaigns.report(c) for c in campaigns.campaigns_of(user.site.id)],
            "segment_counts": segments.segment_counts(user.site.id), "saved": segments.saved_segments(user.site.id),
            "balance": balance_of(user.site.id), "statuses": CAMPAIGN_STATUSES, "opt_out_line": campaigns.opt_out_line()}


register_page(EmbedPage("customers", _l("Customers"), permission="view_customers", template="customers/page.html",
                        context=_customers_context))
register_page(EmbedPage("campaigns", _l("Campaigns"), permission="send_campaigns", template="customers/campaigns.html",
                        context=_campaigns_context))


def _filters(args):
    """The filter form's fields, validated as the API's; empty fields are left out."""
    raw = {k: v for k, v in args.items() if k in segments.FILTERS and v not in (None, "")}
    try:
        filters = FiltersSchema().load(raw)
    except ValidationError as error:
        raise ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422,
                       details=error.messages) from None
    saved_id = args.get("saved")
    if saved_id and saved_id.isdigit():
        saved = segments.saved_segment(g.embed_user.site.id, int(saved_id))
        if saved is not None:
            filters = {**segments.filters_of(saved), **filters}
    return filters


def _sort(args):
    sort = args.get("sort") or "last_order"
    if sort not in segments.SORTS:
        raise ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422,
                       details={"sort": [_("Sort by latest order, spend or orders.")]})
    return sort


@blp.get("/rows")
def rows():
    user = require_user("view_customers")
    try:
        filters = _filters(request.args)
        page = segments.list_customers(user.site.id, filters, sort=_sort(request.args),
                                       cursor=request.args.get("cursor") or None)
    except ApiError as error:
        return render_template("customers/_rows.html", error=error, customers=[], more=None, user=user)
    tags = service.tags_of(user.site.id, [row.customer_id for row in page["customers"]])
    return render_template("customers/_rows.html", user=user, customers=[
        service.customer_view(row, tags[row.customer_id]) for row in page["customers"]], more=page["next"],
        args={k: v for k, v in request.args.items() if k != "cursor"})


def _customer_or_404(user, customer_id: int):
    row = service.customer_of(user.site.id, customer_id)
    if row is None:
        abort(404)
    return row


@blp.get("/c/<int:customer_id>")
def customer(customer_id):
    user = require_user("view_customers")
    row = _customer_or_404(user, customer_id)
    return render_template("customers/_customer.html", user=user, c=service.customer_page(row))


@blp.post("/c/<int:customer_id>/tags")
def tags(customer_id):
    user = require_user("manage_customers")
    row = _customer_or_404(user, customer_id)
    service.set_tags(user.site.id, customer_id, request.form.get("tags", "").split(","))
    return render_template("customers/_customer.html", user=user, c=service.customer_page(row), saved=True)


@blp.post("/segments")
def save_segment():
    user = require_user("manage_customers")
    name = (request.form.get("name") or "").strip()[:80]
    try:
        filters = _filters(request.form)
        if not name:
            raise ApiError(_("Give the segment a name."), code="validation_error", status=422)
        service.save_segment(user.site.id, name, filters)
    except ApiError as error:
        db.session.rollback()
        return render_template("customers/_saved.html", user=user, saved=segments.saved_segments(user.site.id), error=error)
    return render_template("customers/_saved.html", user=user, saved=segments.saved_segments(user.site.id))


# --- campaigns -----------------------------------------------------------------------------

def _campaign_form(site):
    form = request.form
    source = form.get("source", "segment")
    phones, report, audience = None, {"bad_rows": [], "duplicates": 0}, {}
    if source == "csv":
        upload = request.files.get("csv")
        text = upload.read(4_000_001).decode("utf-8-sig", errors="replace") if upload else ""
        parsed = campaigns.parse_csv(text)
        if not parsed["phones"]:
            raise ApiError(_("No phone in the file can be used."), code="validation_error", status=422,
                           details={"csv": [f"{row['line']}: {row['error']}" for row in parsed["bad_rows"][:20]]})
        phones, report = parsed["phones"], {"bad_rows": parsed["bad_rows"], "duplicates": parsed["duplicates"]}
    elif source == "saved" and form.get("saved", "").isdigit():
        audience = {"saved": int(form["saved"])}
    elif form.get("segment") in SEGMENTS:
        audience = {"segment": form["segment"]}
    else:
        raise ApiError(_("Choose who gets the message."), code="validation_error", status=422)
    content = (form.get("content") or "")[:2000]
    return audience, phones, report, content, form.get("opt_out_line") == "1"


@blp.post("/campaigns/preview")
def campaign_preview():
    user = require_user("send_campaigns")
    try:
        audience, phones, report, content, opt_out = _campaign_form(user.site)
        preview = campaigns.preview(user.site, content=content, audience=audience, with_opt_out=opt_out, phones=phones)
    except ApiError as error:
        return render_template("customers/_preview.html", error=error)
    return render_template("customers/_preview.html", preview=preview, report=report)


@blp.post("/campaigns")
def campaign_create():
    user = require_user("send_campaigns")
    try:
        audience, phones, report, content, opt_out = _campaign_form(user.site)
        send_at = None
        if request.form.get("send_at"):
            local = datetime.fromisoformat(request.form["send_at"]).replace(tzinfo=DHAKA)
            send_at = local.astimezone(timezone.utc).replace(tzinfo=None)
            if send_at <= utcnow():
                send_at = None
        campaign = campaigns.create(user.site, name=request.form.get("name") or _("Campaign"), content=content,
                                    audience=audience, with_opt_out=opt_out, phones=phones, scheduled_at=send_at,
                                    created_by=f"{user.display_name} (#{user.wp_user_id})")
        db.session.flush()
    except (ApiError, ValueError) as error:
        db.session.rollback()
        return render_template("customers/_preview.html", error=error)
    return render_template("customers/_campaigns.html", user=user, statuses=CAMPAIGN_STATUSES, created=campaign.id,
                           report=report, campaigns=[campaigns.report(c) for c in campaigns.campaigns_of(user.site.id)])


@blp.get("/campaigns/list")
def campaign_list():
    user = require_user("send_campaigns")
    return render_template("customers/_campaigns.html", user=user, statuses=CAMPAIGN_STATUSES,
                           campaigns=[campaigns.report(c) for c in campaigns.campaigns_of(user.site.id)])


@blp.post("/campaigns/<int:campaign_id>/<action>")
def campaign_action(campaign_id, action):
    user = require_user("send_campaigns")
    campaign = campaigns.campaign_for(user.site.id, campaign_id)
    if campaign is None or action not in ("pause", "resume", "cancel"):
        abort(404)
    error = None
    try:
        if action == "pause":
            campaigns.pause(campaign)
        elif action == "resume":
            campaigns.resume(user.site, campaign)
        else:
            campaigns.cancel(campaign)
    except ApiError as failed:
        db.session.rollback()
        error = failed
    return render_template("customers/_campaigns.html", user=user, statuses=CAMPAIGN_STATUSES, error=error,
                           campaigns=[campaigns.report(c) for c in campaigns.campaigns_of(user.site.id)])
