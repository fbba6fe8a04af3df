"""The Activity page (T2): who did what in the shop, newest first; filters by person, date,
kind and order; a CSV of what the filters show; how long the log is kept (the owner)."""
from datetime import date, datetime

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from backend.activity import service
from backend.embed import service as embed_service
from backend.embed.guard import require_user
from backend.embed.pages import EmbedPage, register_page
from backend.clock import dhaka_today

blp = Blueprint("activity_embed", __name__, url_prefix="/embed/activity", template_folder="templates")

PER_PAGE = 50
CSV_PURPOSE = "activity-export"  # the download ticket's purpose
KIND_LABELS = {
    "order_status": _l("Order status"), "booking": _l("Courier booking"), "sms": _l("SMS"), "sms_batch": _l("Bulk SMS"),
    "settings": _l("Settings"), "cost": _l("Cost"), "blacklist": _l("Blacklist"), "export": _l("Export"),
    "login": _l("Opened a page"), "roles": _l("Roles"),
}
assert set(KIND_LABELS) == set(service.KINDS)


def _context(user):
    return {"kinds": KIND_LABELS, "actors": service.actors(user.site.id), "retention": service.retention_days(user.site.id),
            "retention_range": service.RETENTION_RANGE}


register_page(EmbedPage("activity", _l("Activity"), permission="view_activity", template="activity/page.html", context=_context))


def _day(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(args) -> service.Filters:
    order = (args.get("order") or "").strip().lstrip("#")
    return service.Filters(actor=(args.get("actor") or "").strip()[:120] or None,
                           kind=args.get("kind") if args.get("kind") in service.KINDS else None,
                           order=int(order) if order.isdigit() and len(order) < 19 else None,
                           day_from=_day(args.get("from")), day_to=_day(args.get("to")))


def _cursor(args):
    at, _sep, entry_id = (args.get("before") or "").partition("_")
    try:
        return datetime.fromisoformat(at), int(entry_id)
    except ValueError:
        return None


@blp.get("/rows")
def rows():
    user = require_user("view_activity")
    entries = service.list_entries(user.site.id, _filters(request.args), limit=PER_PAGE + 1, before=_cursor(request.args))
    more = len(entries) > PER_PAGE
    entries = entries[:PER_PAGE]
    next_args = None
    if more:
        last = entries[-1]
        next_args = {**{k: v for k, v in request.args.items() if k != "before"}, "before": f"{last.at.isoformat()}_{last.id}"}
    return render_template("activity/_rows.html", user=user, entries=entries, kinds=KIND_LABELS,
                           next_url=url_for("activity_embed.rows", **next_args) if next_args else None,
                           first=_cursor(request.args) is None)


@blp.post("/export")
def export_start():
    """CSV, step 1 (with the session header): a one-time download URL for the filters shown."""
    user = require_user("view_activity")
    if not user.can("export_orders"):
        abort(403, description=_("Your role in this shop cannot do this. Ask the shop's administrator."))
    ticket = embed_service.issue_download_ticket(user, CSV_PURPOSE)
    filters = {k: v for k in ("actor", "kind", "order", "from", "to") if (v := request.form.get(k))}
    return "", 200, {"HX-Redirect": url_for("activity_embed.export_download", ticket=ticket, **filters)}


@blp.get("/export.csv")
def export_download():
    try:
        user = embed_service.redeem_download_ticket(request.args.get("ticket"), CSV_PURPOSE)
    except embed_service.TicketRefused as refused:
        g.frame_ancestors = refused.site.origin if refused.site is not None else None
        return render_template("embed/expired.html", site=refused.site), 410
    g.embed_user = user
    g.frame_ancestors = user.site.origin
    if not (user.can("view_activity") and user.can("export_orders")):
        abort(403, description=_("Your role in this shop cannot do this. Ask the shop's administrator."))
    filters = _filters(request.args)
    service.record(user.site.id, "export", "activity.csv", None,
                   {k: v for k, v in vars(filters).items() if v is not None})
    return Response("\ufeff" + service.csv_text(user.site.id, filters), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="activity-{dhaka_today().isoformat()}.csv"', "Cache-Control": "no-store"})


@blp.post("/retention")
def retention():
    user = require_user("manage_roles")
    raw = (request.form.get("retention_days") or "").strip()
    low, high = service.RETENTION_RANGE
    try:
        days = service.set_retention(user.site.id, int(raw))
    except ValueError:
        return render_template("activity/_retention.html", retention=raw, retention_range=service.RETENTION_RANGE,
                               error=_("Enter a number of days from %(low)s to %(high)s.", low=low, high=high))
    return render_template("activity/_retention.html", retention=days, retention_range=service.RETENTION_RANGE, saved=True)
