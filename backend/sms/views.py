"""The shop's SMS page inside wp-admin: balance, recharge, a test send with a live price,
histories, and what SMS cost by day and purpose (S4–S8)."""
import re
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from backend.api import dhaka_day_range_from_query
from backend.embed.pages import EmbedPage, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError, answers_errors_in_json
from backend.extensions import db, limiter
from backend.sms import service
from backend.sms.models import Recharge, SmsMessage
from backend.clock import dhaka_today

blp = Blueprint("sms_embed", __name__, url_prefix="/embed/sms", template_folder="templates", static_folder="static")

HISTORY_ROWS = 20
MAX_RANGE_DAYS = 366


def _page_context(user):
    return {"summary": service.balance_summary(user.site), "today": dhaka_today(), "online_methods": service.online_methods()}


register_page(EmbedPage("sms", _l("SMS"), permission="view_sms", template="sms/page.html", context=_page_context))


def _range():
    """The chosen range (Dhaka days, inclusive), 30 days by default."""
    return dhaka_day_range_from_query(request.args, max_days=MAX_RANGE_DAYS)


@blp.get("/balance")
def balance():
    user = require_user("view_sms")
    return render_template("sms/_balance.html", user=user, summary=service.balance_summary(user.site),
                           online_methods=service.online_methods())


@blp.post("/quote")
def quote():
    user = require_user("send_sms")
    content = request.form.get("content", "")
    return render_template("sms/_quote.html", price=service.quote(user.site, content), content=content)


@blp.post("/send")
def send():
    user = require_user("send_sms")
    try:
        message = service.send_sms(user.site, phone=request.form.get("phone", ""), content=request.form.get("content", ""),
                                   purpose="manual", idempotency_key=request.form.get("idempotency_key") or None)
    except ApiError as error:
        return render_template("sms/_send_result.html", error=error), 200
    message = service.wait_for_outcome(message, service.SCREEN_WAIT_SECONDS)  # a worker sends it
    return render_template("sms/_send_result.html", message=message, balance=service.balance_of(user.site.id))


@blp.get("/recharges")
def recharges():
    user = require_user("view_sms")
    rows = db.session.execute(select(Recharge).where(Recharge.site_id == user.site.id)
                              .order_by(Recharge.id.desc()).limit(HISTORY_ROWS)).scalars().all()
    return render_template("sms/_recharges.html", rows=rows)


@blp.get("/messages")
def messages():
    user = require_user("view_sms")
    try:
        start, end = _range()
    except ApiError as error:
        return render_template("sms/_messages.html", error=error, rows=[], totals=None)
    conditions = service.message_conditions(user.site.id, start, end)
    rows = db.session.execute(select(SmsMessage).where(*conditions).order_by(SmsMessage.id.desc()).limit(HISTORY_ROWS)).scalars().all()
    return render_template("sms/_messages.html", rows=rows, totals=service.usage_totals(conditions))


@blp.get("/usage.json")
@answers_errors_in_json
def usage():
    """Cost and count by Dhaka day and by purpose, for the charts (S7)."""
    user = require_user("view_sms")
    start, end = _range()
    return jsonify(service.usage_by_day(user.site.id, start, end))


@blp.post("/recharge")
def recharge():
    user = require_user("manage_money_settings")
    try:
        amount = Decimal(request.form.get("amount", "").strip() or "x")
        if not amount.is_finite():  # "NaN", "Infinity" parse as decimals (and broke the amount check: a 500)
            raise InvalidOperation
    except InvalidOperation:
        return render_template("sms/_recharge_result.html", error=_("Enter an amount in taka, like 500.")), 200
    method = request.form.get("method", "bkash")
    if method not in service.ONLINE_METHODS:
        return render_template("sms/_recharge_result.html", error=_("Choose bKash or Nagad.")), 200
    try:
        started = service.start_recharge(user.site, amount, method)
    except ApiError as error:
        return render_template("sms/_recharge_result.html", error=error.details.get("amount", [error.message])[0]), 200
    # a worker opens the payment at bKash or Nagad: wait a moment for its address, else say so and ask again
    return _recharge_answer(service.wait_until_opened(started, RECHARGE_WAIT_SECONDS))


# How long starting a recharge waits for bKash or Nagad to open the payment before the page asks again.
RECHARGE_WAIT_SECONDS = 3.0


@blp.get("/recharge/<int:recharge_id>")
def recharge_progress(recharge_id):
    """Asked each second while bKash or Nagad opens the payment, until the Pay button replaces it."""
    user = require_user("manage_money_settings")
    try:
        recharge = service.recharge_of(user.site, recharge_id)
    except ApiError:
        abort(404)
    return _recharge_answer(recharge)


def _recharge_answer(recharge):
    if recharge.status == "failed":
        return render_template("sms/_recharge_result.html", error=recharge.note or _("The payment could not be opened.")), 200
    return render_template("sms/_recharge_result.html", recharge=recharge)


@blp.post("/manual-recharge")
def manual_recharge():
    """The shop paid another way (a bank transfer, bKash send money) and asks Bikri to credit it:
    an operator checks the payment and approves or rejects the request (the console's SMS page)."""
    user = require_user("manage_money_settings")
    try:
        amount = Decimal(request.form.get("amount", "").strip() or "x")
        if not amount.is_finite():  # "NaN", "Infinity" parse as decimals
            raise InvalidOperation
    except InvalidOperation:
        return render_template("sms/_manual_result.html", errors={"amount": [_("Enter an amount in taka, like 500.")]})
    try:
        requested = service.request_manual_recharge(user.site, amount, request.form.get("reference"))
    except ApiError as error:
        return render_template("sms/_manual_result.html", errors=error.details if error.code == "validation_error" else None,
                               error=error.message)
    response = current_app.make_response(render_template("sms/_manual_result.html", requested=requested))
    response.headers["HX-Trigger"] = "recharged"  # the recharges list reloads
    return response


payments_blp = Blueprint("payments", __name__, url_prefix="/payments", template_folder="templates")


def _callback_limit():
    return current_app.config["PAYMENT_CALLBACK_RATE_LIMIT"]


# The query argument each gateway names its payment by on the way back: bKash's paymentID, Nagad's payment_ref_id.
PAYMENT_ARGS = {"bkash": "paymentID", "nagad": "payment_ref_id"}
# What bKash puts in `status` when it sends the payer back; never believed, only checked.
BKASH_CALLBACK_STATUSES = ("success", "failure", "cancel")
PAYMENT_REFERENCE = re.compile(r"^[A-Za-z0-9_.+/=-]{1,80}$")  # bKash: letters and digits; Nagad: base64


@payments_blp.get("/bkash/callback")
@limiter.limit(_callback_limit)
def bkash_callback():
    """Where bKash sends the shop owner's browser after paying, failing or cancelling
    (`?paymentID=…&status=success|failure|cancel`). The address is not signed, so it only queues
    bKash's execute (a worker asks; the page shows its progress). Without `status`: "check again"."""
    status = request.args.get("status", "")
    if status and status not in BKASH_CALLBACK_STATUSES:
        return render_template("sms/payment_done.html", recharge=None), 400
    return _payment_returned("bkash", status)


@payments_blp.get("/nagad/callback")
@limiter.limit(_callback_limit)
def nagad_callback():
    """Where Nagad sends the shop owner's browser after paying (or cancelling). The address is not
    signed, so it only queues a question to Nagad (a worker asks; the page shows its progress)."""
    return _payment_returned("nagad", (request.args.get("status") or "")[:20])


def _payment_returned(method, reported):
    reference = request.args.get(PAYMENT_ARGS[method]) or ""
    recharge = service.payment_returned(method, reference, reported) if PAYMENT_REFERENCE.match(reference) else None
    if recharge is None:
        return render_template("sms/payment_done.html", recharge=None), 404
    return _payment_page(recharge)


@payments_blp.get("/<any(bkash, nagad):method>/progress")
@limiter.limit(_callback_limit)
def payment_progress(method):
    """Asked every few seconds by the callback page while the gateway's answer is awaited; reads only."""
    reference = request.args.get(PAYMENT_ARGS[method]) or ""
    recharge = service.online_recharge(method, reference) if PAYMENT_REFERENCE.match(reference) else None
    if recharge is None:
        abort(404)
    return _payment_page(recharge, "sms/_payment_outcome.html")


def _payment_page(recharge, template="sms/payment_done.html"):
    argument = {PAYMENT_ARGS[recharge.method]: recharge.payment_id}
    return render_template(template, recharge=recharge,
                           balance=service.balance_of(recharge.site_id) if recharge.status == "completed" else None,
                           progress_url=url_for("payments.payment_progress", method=recharge.method, **argument),
                           check_url=url_for(f"payments.{recharge.method}_callback", **argument))
