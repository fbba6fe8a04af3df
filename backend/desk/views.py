"""The Orders page inside wp-admin (embed page `orders`) and its htmx fragments."""
import json
import secrets

from flask import Blueprint, Response, abort, g, jsonify, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from backend.abandoned import service as abandoned
from backend.activity import service as activity
from backend.api import page_number_from_query, paginate
from backend.couriers import balances, booking, service as couriers
from backend.desk import export, manual_orders, service
from backend.districts import WC_STATES
from backend.embed import service as embed_service
from backend.embed.pages import EmbedPage, register_nav_badge, register_page, register_page_opened
from backend.embed.routes import _refused, require_user
from backend.errors import ApiError
from backend.extensions import db
from backend.fraud.service import desk_badges
from backend.integrations.couriers import COURIERS
from backend.orders.models import Product
from backend.sms import service as sms
from backend.sync.service import backfill_in_progress
from backend.tasks import service as tasks_service
from backend.clock import dhaka_today
from sqlalchemy import select

blp = Blueprint("desk_embed", __name__, url_prefix="/embed/orders", template_folder="templates", static_folder="static")


def _products(site_id):
    return db.session.execute(select(Product).where(Product.site_id == site_id, Product.status.in_(("publish", "private")))
                              .order_by(Product.name).limit(500)).scalars().all()


def _couriers():
    return couriers.offered_couriers()


@blp.app_template_global()
def courier_name(key):
    cls = COURIERS.get(key)
    return cls.name if cls else key


def _booking_context(user):
    """The booking dialog: the default courier, and its balance for those who may see money (C5)."""
    if not user.can("book_orders"):
        return {"booking": None}
    settings = couriers.get_settings(user.site)
    key = couriers.booking_courier(user.site, settings)
    cls = couriers.COURIERS.get(key) if key else None
    account = couriers.get_account(user.site, key) if key else None
    return {"booking": {"courier": key, "name": cls.name if cls else None, "connected": account is not None,
                        "balance": account.balance if account is not None and user.can("view_couriers") else None,
                        "note": settings.default_note or ""}}


def _tabs(user, counts=None):
    """The status tabs and their counts; Incomplete only for those who may see abandoned checkouts;
    "My orders" (T3) after All, its number the orders assigned to this user that are still open."""
    show_incomplete = user.can("view_abandoned")
    counts = service.tab_counts(user.site.id, counts, incomplete=show_incomplete)
    tabs = [{"key": key, "label": label, "count": counts[key], "status": ",".join(statuses)}
            for key, label, statuses in service.TABS if key in counts]
    tabs.insert(1, {"key": "mine", "label": _("My orders"), "count": service.my_open_count(user.site.id, user.wp_user_id),
                    "status": ""})
    return tabs


def _page_context(user):
    counts = service.status_counts(user.site.id)
    return {**_booking_context(user), **_task_context(user), "tags": service.list_tags(user.site.id),
            "statuses": service.settable_statuses(counts), "tabs": _tabs(user, counts),
            "products": _products(user.site.id) if user.can("create_orders") else [],
            "districts": sorted(WC_STATES.items(), key=lambda kv: kv[1]), "payment_methods": service.PAYMENT_METHODS,
            "couriers": _couriers(),
            "latest_id": service.newest_since(user.site.id, 0)["latest_id"]}


@blp.app_template_global()
def order_status_label(status):
    """WooCommerce's core statuses in the shop's language; a custom status ("shipped") as it is."""
    return service.status_label(status)


register_page(EmbedPage("orders", _l("Orders"), permission="view_orders", template="desk/page.html", context=_page_context))


def _importing(site_id):
    """The shop's backfill while it runs ({"done", "total"}), else None."""
    state = backfill_in_progress(site_id)
    return {"done": state.done, "total": state.total} if state is not None else None


@blp.get("/list")
def order_list():
    user = require_user("view_orders")
    try:
        filters = service.parse_filters(request.args)
        if request.args.get("mine"):
            filters.assignee = user.wp_user_id  # the "My orders" tab
        page = service.list_orders(user.site.id, filters)
    except ApiError as error:
        return render_template("desk/_rows.html", error=error, page=None, user=user, append=False)
    booking = _booking_context(user)["booking"]
    name = booking["name"] if booking and booking["connected"] else None
    badges = desk_badges(user.site.id, page["orders"]) if user.can("check_fraud") else {}
    append = bool(request.args.get("cursor"))
    # while the first import runs, an empty desk says so instead of "No orders match."
    importing = None if append else _importing(user.site.id)
    # one grouped count gives both the tabs' numbers (redrawn with the first page, so a status
    # change moves the counts at once) and the custom statuses each row's menu offers
    counts = service.status_counts(user.site.id)
    body = render_template("desk/_rows.html", page=page, user=user, append=append, importing=importing,
                           args=request.args, booking_name=name, fraud_badges=badges,
                           statuses=service.settable_statuses(counts))
    return body, 200, _counts_header(user, counts)


def _counts_header(user, counts=None):
    """The tabs' numbers ride on the answer as an htmx event (desk.js writes them into the
    tabs): rows are table content, where an out-of-band <nav> would not survive parsing."""
    return {"HX-Trigger-After-Swap": json.dumps({"desk-counts": {t["key"]: t["count"] for t in _tabs(user, counts)}})}


@blp.get("/import")
def import_progress():
    """The "Importing orders" row, asked every few seconds while the import runs. When it is
    done the row goes and the list is drawn again (HX-Trigger)."""
    user = require_user("view_orders")
    importing = _importing(user.site.id)
    if importing is None:
        return "", 200, {"HX-Trigger": "orders-changed"}
    return render_template("desk/_import_row.html", importing=importing)


@blp.get("/since")
def since():
    """The new-order poll (O7), every few seconds while the desk is open."""
    user = require_user("view_orders")
    try:
        after = int(request.args.get("after", "0"))
    except ValueError:
        after = 0
    return jsonify(service.newest_since(user.site.id, after))


@blp.post("/status")
def status():
    """A status change (a row's menu, or the bulk bar): the workers write it to WooCommerce; the
    answer is its results if they come within a few seconds (one order usually does), else a
    progress bar ("120 of 500 changed in WooCommerce") that the results replace."""
    user = require_user("change_order_status")
    try:
        job = service.start_status_change(user.site, service.ids_from(request.form.getlist("order")),
                                          request.form.get("status", ""), by=user.display_name)
    except ApiError as error:
        return render_template("desk/_status_results.html", error=error)
    return start_and_answer(job, user)


@blp.post("/quote")
def quote():
    user = require_user("create_orders")
    result, errors = service.quote_form(user.site.id, request.form)
    return render_template("desk/_quote.html", quote=result, errors=errors)


@blp.post("/create")
def create():
    """Create a manual order: a worker sends it to WooCommerce; the form waits a few seconds for
    the answer, else says the order is being created and asks again (`create/progress`) each second."""
    user = require_user("create_orders")
    try:
        job = manual_orders.create_and_wait(user.site, request.form, created_by=_who(user),
                                            checkout=request.form.get("checkout"))
    except ApiError as error:
        # 200 so htmx swaps the form back in with each error next to its field
        return render_template("desk/_manual_form.html", error=error, form=request.form, **_page_context(user), user=user)
    return _manual_answer(user, job)


@blp.post("/create/progress")
def create_progress():
    """The pending form's poll; it sends the form's fields again so a refusal shows them as typed."""
    user = require_user("create_orders")
    return _manual_answer(user, manual_orders.job_of(user.site, request.args.get("job", "")))


def _manual_answer(user, job):
    now = manual_orders.outcome(job)
    if not now["done"]:
        return render_template("desk/_manual_form.html", creating=job, form=request.form, **_page_context(user), user=user)
    if "error" in now:
        return render_template("desk/_manual_form.html", error=now["error"], form=request.form, **_page_context(user),
                               user=user)
    response = render_template("desk/_manual_form.html", created=now["result"], form={}, **_page_context(user), user=user)
    return response, 200, {"HX-Trigger": "orders-changed"}


def _who(user):
    return f"{user.display_name} (#{user.wp_user_id})"


@blp.get("/tags")
def tags():
    user = require_user("view_orders")
    return render_template("desk/_tags.html", tags=service.list_tags(user.site.id), user=user)


@blp.post("/tags")
def tag_create():
    user = require_user("manage_order_tags")
    error = None
    try:
        service.create_tag(user.site.id, request.form.get("name"), request.form.get("colour"))
    except ApiError as failed:
        error = failed
    return _tags_answer(user, error)


@blp.post("/tags/<int:tag_id>")
def tag_edit(tag_id):
    user = require_user("manage_order_tags")
    error = None
    try:
        service.edit_tag(user.site.id, tag_id, request.form.get("name"), request.form.get("colour"))
    except ApiError as failed:
        if failed.status == 404:
            raise
        error = failed
    return _tags_answer(user, error)


@blp.post("/tags/<int:tag_id>/delete")
def tag_delete(tag_id):
    user = require_user("manage_order_tags")
    service.delete_tag(user.site.id, tag_id)
    return _tags_answer(user, None)


def _tags_answer(user, error):
    tags = service.list_tags(user.site.id)
    body = render_template("desk/_tags.html", tags=tags, user=user, error=error)
    if error is None:
        # the tag filter and the bulk bar's tag menu are redrawn with the answer (out of band),
        # so a new tag can be used at once, without reloading the page
        body += render_template("desk/_tag_menus.html", tags=tags, user=user, oob=True)
        return body, 200, {"HX-Trigger": "orders-changed"}
    db.session.rollback()
    return body, 200


@blp.post("/tagging")
def tagging():
    user = require_user("tag_orders")
    try:
        changed = service.tag_orders(user.site.id, request.form.get("tag"), service.ids_from(request.form.getlist("order")),
                                     add=request.form.get("action", "add") != "remove")
    except ApiError as error:
        return render_template("desk/_status_results.html", error=error)
    message = _("Tag added to %(n)d orders.", n=changed) if request.form.get("action", "add") != "remove" \
        else _("Tag removed from %(n)d orders.", n=changed)
    return render_template("desk/_status_results.html", message=message), 200, {"HX-Trigger": "orders-changed"}


@blp.post("/book")
def book():
    """Book the selected orders (or the one in `order`) with the default courier (C1, C2)."""
    user = require_user("book_orders")
    ids = service.ids_from(request.form.getlist("order"))
    if not ids:
        return render_template("desk/_booking_results.html", results=[])
    try:
        job = booking.start_booking(user.site, ids, request.form.get("courier") or None,
                                    request.form.get("note") or None, started_by=_who(user))
    except ApiError as error:
        return render_template("desk/_booking_results.html", error=error)
    # one order's result usually comes within the wait; a bulk shows "120 of 500 booked", then the results
    return start_and_answer(job, user)


def _booking_results(job, user):
    """A finished booking job's items, read by desk/_booking_results.html as the results were before."""
    if job["status"] == "failed" and not job["items"]:
        return {"error": ApiError(job["error"] or _("The booking stopped before any order was booked."))}
    return {"results": job["items"]}


@blp.get("/booking-balance")
def booking_balance():
    """The courier balance, asked now, for the booking dialog (C5). A worker asks the courier;
    this waits a few seconds, else shows the last known balance as being refreshed and asks
    again (`?job=`) each second until the answer replaces it."""
    user = require_user("view_couriers")
    settings = couriers.get_settings(user.site)
    courier = couriers.booking_courier(user.site, settings) or ""
    try:
        job = balances.polled_or_refreshed(user.site, courier, request.args.get("job"), user.display_name)
    except ApiError as error:
        db.session.rollback()
        return render_template("desk/_booking_balance.html", error=error)
    now = balances.outcome(job)
    if not now["done"]:
        account = couriers.get_account(user.site, courier)
        return render_template("desk/_booking_balance.html", refreshing=job,
                               balance=account.balance if account is not None else None)
    if "error" in now:
        return render_template("desk/_booking_balance.html", error=now["error"])
    return render_template("desk/_booking_balance.html", balance=now["balance"])


EXPORT_FILTERS = ("status", "tag", "start", "end", "courier", "q")


@blp.post("/export")
def export_start():
    """Export CSV, step 1, with the session header: check the desk's filters, then send the
    frame to a one-time download URL (HX-Redirect). The file downloads; the desk stays."""
    user = require_user("export_orders")
    try:
        export.filters_from(request.form)
    except ApiError as error:
        return render_template("desk/_status_results.html", error=error)
    ticket = embed_service.issue_download_ticket(user, export.PURPOSE)
    filters = {name: values for name in EXPORT_FILTERS if (values := [v for v in request.form.getlist(name) if v])}
    return "", 200, {"HX-Redirect": url_for("desk_embed.export_download", ticket=ticket, **filters)}


@blp.get("/export.csv")
def export_download():
    """Step 2, a plain navigation (no header): the ticket says who asked; the file streams."""
    try:
        user = embed_service.redeem_download_ticket(request.args.get("ticket"), export.PURPOSE)
    except embed_service.TicketRefused as refused:
        return _refused(refused.site, 410)
    g.embed_user = user
    g.frame_ancestors = user.site.origin
    if not user.can("export_orders"):
        abort(403, description="Your role in this shop cannot do this. Ask the shop's administrator.")
    filters = export.filters_from(request.args)
    activity.record(user.site.id, "export", "orders.csv", None, {"filters": {k: request.args.getlist(k) for k in EXPORT_FILTERS
                                                                             if request.args.get(k)}})
    body = stream_with_context(export.csv_chunks(export.rows(user.site.id, filters)))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="orders-{dhaka_today().isoformat()}.csv"',
        "Cache-Control": "no-store"})


# --- the Incomplete tab: abandoned checkouts as work ----------------------------------------------

INCOMPLETE_PER_PAGE = 25


def _incomplete_row(user, row, sent=None, error=None):
    return render_template("desk/_incomplete_row.html", row=row, cart=abandoned.cart_of(row), user=user,
                           actions=abandoned.actions_of(user.site.id, [row.id]).get(row.id, []),
                           texts=_sms_texts(user, row), sms_key=secrets.token_urlsafe(12), sent=sent, error=error)


def _sms_texts(user, row):
    """The SMS this user may send to the shopper, each with its price."""
    if not user.can("send_sms"):
        return {}
    return {n: {"text": text, "cost": sms.quote(user.site, text).cost} for n, text in abandoned.desk_texts(user.site, row).items()}


@blp.get("/incomplete")
def incomplete():
    user = require_user("view_abandoned")
    page = paginate(abandoned.incomplete_query(user.site.id), page_number_from_query(request.args), INCOMPLETE_PER_PAGE)
    rows = page["items"]
    actions = abandoned.actions_of(user.site.id, [r.id for r in rows])
    items = [{"row": r, "cart": abandoned.cart_of(r), "actions": actions.get(r.id, []),
              "texts": _sms_texts(user, r)} for r in rows]
    return render_template("desk/_incomplete.html", page=page, items=items, user=user,
                           sms_key=secrets.token_urlsafe(12)), 200, _counts_header(user)


@blp.post("/incomplete/<int:checkout_id>/called")
def incomplete_called(checkout_id):
    user = require_user("view_abandoned")
    row = abandoned.checkout_of(user.site.id, checkout_id)
    abandoned.record_called(row, _who(user))
    return _incomplete_row(user, row)


@blp.post("/incomplete/<int:checkout_id>/lost")
def incomplete_lost(checkout_id):
    user = require_user("view_abandoned")
    row = abandoned.checkout_of(user.site.id, checkout_id)
    try:
        abandoned.mark_lost_by(row, _who(user))
    except ApiError as error:
        return _incomplete_row(user, row, error=error)
    return _incomplete_row(user, row), 200, {"HX-Trigger": "orders-changed"}


@blp.post("/incomplete/<int:checkout_id>/sms")
def incomplete_sms(checkout_id):
    user = require_user("send_sms")
    require_user("view_abandoned")
    row = abandoned.checkout_of(user.site.id, checkout_id)
    try:
        message = abandoned.send_desk_sms(user.site, row, request.form.get("template"), request.form.get("key", ""),
                                          _who(user))
    except sms.InsufficientBalance:
        db.session.rollback()
        return _incomplete_row(user, abandoned.checkout_of(user.site.id, checkout_id),
                               error=ApiError(_("Not enough SMS balance. Recharge to send."), code="insufficient_balance"))
    except ApiError as error:
        db.session.rollback()
        return _incomplete_row(user, abandoned.checkout_of(user.site.id, checkout_id), error=error)
    message = sms.wait_for_outcome(message, sms.SCREEN_WAIT_SECONDS)  # a worker sends it; a moment for its outcome
    row = abandoned.checkout_of(user.site.id, checkout_id)
    if message.status == "failed":
        return _incomplete_row(user, row, error=ApiError(_("The SMS was not sent (refunded): %(reason)s",
                                                           reason=message.error or "—")))
    return _incomplete_row(user, row, sent=message)


@blp.get("/incomplete/<int:checkout_id>/order-form")
def incomplete_order_form(checkout_id):
    """The New-order form filled in from the checkout, for the dialog."""
    user = require_user("create_orders")
    require_user("view_abandoned")
    row = abandoned.checkout_of(user.site.id, checkout_id)
    return render_template("desk/_manual_form.html", form=abandoned.order_form(row), **_page_context(user), user=user)


# --- work running in the workers: a progress bar, then each item's result (issue 19) -------------

# What each kind of job shows when it is done: its results template and how to read the job's
# items into that template's context. A desk action that starts a job adds its kind here.
JOB_RESULTS: dict[str, tuple[str, callable]] = {}
# How long a desk action waits for its job before it shows a progress bar instead: a single
# order's booking usually answers in this time, so staff see the result as before.
JOB_WAIT_SECONDS = 3.0
JOB_RESULTS["booking"] = ("desk/_booking_results.html", _booking_results)
PROGRESS_WORDS = {
    "booking": _l("%(done)d of %(total)d booked"),
    "status_change": _l("%(done)d of %(total)d changed in WooCommerce"),
    "status_check": _l("%(done)d of %(total)d checked with the courier"),
}
JOB_RESULTS["status_change"] = ("desk/_status_results.html",
                                lambda view, user: {"results": service.results_of_job(view)})


def job_answer(job, user):
    """A job's fragment: its results when it is done, or a progress bar that asks again."""
    if job.status in ("done", "failed") and job.kind in JOB_RESULTS:
        template, context = JOB_RESULTS[job.kind]
        view = tasks_service.job_view(job)
        return render_template(template, job=view, **context(view, user)), 200, {"HX-Trigger": "orders-changed"}
    words = PROGRESS_WORDS.get(job.kind, _l("%(done)d of %(total)d done"))
    return render_template("tasks/_job_progress.html", job=job, words=words,
                           poll_url=url_for("desk_embed.job_progress", job_id=job.id))


def start_and_answer(job, user):
    """What a desk action answers after starting `job`: the outcome if it came within a few
    seconds, else the progress bar (the commit first, so the workers see the job)."""
    return job_answer(tasks_service.wait_for_job(job, JOB_WAIT_SECONDS), user)


@blp.get("/jobs/<int:job_id>")
def job_progress(job_id):
    user = require_user("view_orders")
    job = tasks_service.job_for_site(user.site.id, job_id)
    if job is None:
        abort(404)
    return job_answer(job, user)


# --- order tasks (T3): assign orders to staff, confirm them by phone ------------------------------

def _see_staff(user):
    """Every page opened: the desk remembers the people it can assign orders to."""
    service.see_staff(user.site.id, user.wp_user_id, user.display_name, user.role)


register_page_opened(_see_staff)
register_nav_badge("orders", lambda user: service.my_open_count(user.site.id, user.wp_user_id))


def _task_context(user):
    return {"staff": service.list_staff(user.site.id) if user.can("assign_orders") else [],
            "task_settings": service.task_settings(user.site.id) if user.can("manage_order_tasks") else None}


@blp.app_template_global()
def call_outcome_label(outcome):
    return service.outcome_label(outcome)


@blp.app_template_global()
def call_outcome_choices():
    return service.OUTCOMES


@blp.post("/assign")
def assign():
    """Assign the selected orders to a person (or to nobody), with an optional due time."""
    user = require_user("assign_orders")
    assignee = request.form.get("assignee", "")
    if assignee == "":
        return render_template("desk/_status_results.html",
                               error=ApiError(_("Choose who the orders go to."), code="validation_error"))
    try:
        results = service.assign_orders(user.site.id, request.form.getlist("order"),
                                        None if assignee == "none" else assignee, request.form.get("due_at"),
                                        by=_who(user))
    except ApiError as error:
        return render_template("desk/_status_results.html", error=error)
    names = service.staff_names(user.site.id)
    body = render_template("desk/_assign_results.html", results=results, names=names)
    return body, 200, {"HX-Trigger": "orders-changed"}


@blp.post("/confirm")
def confirm():
    """A call to the customer and its outcome, from the order's row; answers the row's task cell
    (with, for "cancelled", the offer to set the order cancelled in WooCommerce)."""
    user = require_user("confirm_orders")
    wc_id = request.form.get("order", "")
    try:
        [result] = service.confirm_orders(user.site.id, [wc_id], request.form.get("outcome"),
                                          request.form.get("note"), by_wp_user_id=user.wp_user_id, by_name=_who(user))
    except ApiError as error:
        db.session.rollback()
        return _task_cell(user, wc_id, error=error)
    return _task_cell(user, wc_id, result=result)


def _task_cell(user, wc_id, result=None, error=None):
    try:
        order = service.orders_by_wc_id(user.site.id, [int(wc_id)]).get(int(wc_id))
    except ValueError:
        order = None
    if order is None:
        abort(404, description=_("Order #%(order)s is not in Bikri.", order=wc_id))
    task = service.tasks_of_orders(user.site.id, [order.id]).get(order.id)
    o = {"id": order.id, "wc_id": order.wc_id, "number": order.number, "status": order.status, "task": task}
    offer_cancel = (result is not None and result["outcome"] == "cancelled" and user.can("change_order_status")
                    and order.status != "cancelled")
    return render_template("desk/_task_cell.html", o=o, user=user,
                           error=error, saved=result, offer_cancel=offer_cancel)


@blp.post("/task-settings")
def task_settings():
    user = require_user("manage_order_tasks")
    settings = service.save_task_settings(user.site.id, request.form.get("require_phone_confirmation") == "1",
                                          by=_who(user))
    return render_template("desk/_task_settings.html", task_settings=settings, user=user, saved=True)
