from flask import url_for
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import select

from backend.api import Blueprint, PageArgsSchema, current_site, found_or_404, paginate
from backend.sms import batches, operator_views, service, views
from backend.sms.encoding import MAX_SEGMENTS
from backend.sms.models import Recharge, SmsMessage
from backend.sms.schemas import (
    BalanceSchema, BatchRequestSchema, BatchSchema, RechargeRequestSchema, RechargeSchema, QuoteRequestSchema,
    QuoteSchema, RechargePageSchema, SendHeadersSchema, SendSmsSchema, SentSmsSchema, SmsStatusSchema,
    UseHistoryArgsSchema, UseHistorySchema,
)

blp = Blueprint("sms", __name__, url_prefix="/api/sms", description="SMS: send, wallet, history")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp, views.payments_blp, operator_views.blp]


@blp.route("/send")
class SendSms(MethodView):
    @blp.arguments(SendSmsSchema)
    @blp.arguments(SendHeadersSchema, location="headers")
    @blp.response(202, SentSmsSchema)
    @blp.alt_response(201, schema=SentSmsSchema, description="The gateway's outcome (sent, or failed and refunded) "
                      "came within `Prefer: wait=N`, or this Idempotency-Key's message is finished")
    def post(self, data, headers):
        """Send one SMS from the shop's wallet: debited and queued at once (202), sent by a worker;
        `GET /api/sms/messages/<id>` follows it. `Prefer: wait=N` (N <= 10) waits up to N seconds
        for the outcome (201). Repeat a request with the same Idempotency-Key safely."""
        site = current_site()
        message = service.send_sms(site, idempotency_key=headers.get("idempotency_key"), **data)
        balance_after = getattr(message, "balance_after", None)
        answer_headers = {"Location": url_for("sms.SmsStatus", message_id=message.id)}
        if headers["wait"]:
            message = service.wait_for_outcome(message, headers["wait"])
            answer_headers["Preference-Applied"] = f"wait={headers['wait']}"
        finished = message.status in service.FINISHED
        return {
            "id": message.id, "status": message.status, "phone": message.phone, "segments": message.segments,
            "encoding": message.encoding, "cost": message.cost,
            # the balance right after this message's debit (a replay, or a refund, reads it afresh)
            "balance": balance_after if balance_after is not None and message.status != "failed"
            else service.balance_of(site.id),
            "error": message.error,
        }, 201 if finished else 202, answer_headers


@blp.route("/messages/<int:message_id>")
class SmsStatus(MethodView):
    @blp.response(200, SmsStatusSchema)
    def get(self, message_id):
        """One message's status: queued -> sending -> sent, or failed (refunded, with the reason)."""
        message = found_or_404(service.message_of(current_site().id, message_id), _("This shop has no such message."),
                               "message_not_found")
        return {**{name: getattr(message, name) for name in (
            "id", "status", "phone", "purpose", "segments", "encoding", "cost", "error", "created_at", "finished_at")},
            "refunded": service.was_refunded(message)}


@blp.route("/quote")
class QuoteSms(MethodView):
    @blp.arguments(QuoteRequestSchema)
    @blp.response(200, QuoteSchema)
    def post(self, data):
        """What a text would cost, before sending it."""
        price = service.quote(current_site(), data["content"])
        return {"characters": price.characters, "segments": price.segments, "encoding": price.encoding,
                "cost": price.cost, "max_segments": MAX_SEGMENTS}


@blp.route("/balance")
class Balance(MethodView):
    @blp.response(200, BalanceSchema)
    def get(self):
        """The wallet's balance, the prices per segment, and about how many SMS it still pays for."""
        return service.balance_summary(current_site())


@blp.route("/recharge")
class StartRecharge(MethodView):
    @blp.arguments(RechargeRequestSchema)
    @blp.response(201, RechargeSchema)
    @blp.alt_response(202, schema=RechargeSchema, description="bKash or Nagad: the payment is being opened")
    def post(self, data):
        """Start a recharge. bkash or nagad: answers 202 at once with the recharge, status `creating`,
        and `Location: /api/sms/recharges/<id>`; a worker asks bKash or Nagad to open the payment, and
        that address then shows the `payment_url` to pay at (status `pending`), or status `failed`
        with `error`; 503 `recharge_unavailable` when that way to pay is not switched on. manual (paid by bank transfer or bKash send money, `reference` required, at most 3
        waiting and 10 a day): 201, waiting for an operator."""
        if data["method"] == "manual":
            return service.request_manual_recharge(current_site(), data["amount"], data["reference"])
        recharge = service.start_recharge(current_site(), data["amount"], data["method"])
        return recharge, 202, {"Location": url_for("sms.RechargeView", recharge_id=recharge.id)}


@blp.route("/recharges/<int:recharge_id>")
class RechargeView(MethodView):
    @blp.response(200, RechargeSchema)
    def get(self, recharge_id):
        """One of the shop's recharges: an online one shows `payment_url` once bKash or Nagad opened the payment."""
        return service.recharge_of(current_site(), recharge_id)


@blp.route("/recharge-history")
class RechargeHistory(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, RechargePageSchema)
    def get(self, args):
        """The shop's recharges, newest first."""
        query = select(Recharge).where(Recharge.site_id == current_site().id).order_by(Recharge.id.desc())
        return paginate(query, args["page"], args["per_page"])


@blp.route("/use-history")
class UseHistory(MethodView):
    @blp.arguments(UseHistoryArgsSchema, location="query")
    @blp.response(200, UseHistorySchema)
    def get(self, args):
        """Messages sent, newest first, with totals; dates are calendar days in Asia/Dhaka, inclusive."""
        conditions = service.message_conditions(current_site().id, args["start_date"], args["end_date"])
        page = paginate(select(SmsMessage).where(*conditions).order_by(SmsMessage.id.desc()), args["page"], args["per_page"])
        page["totals"] = service.usage_totals(conditions)
        return page


@blp.route("/batches")
class SendBatch(MethodView):
    @blp.arguments(BatchRequestSchema)
    @blp.response(202, BatchSchema)
    def post(self, data):
        """Send up to 1,000 SMS at once: their whole cost is debited now and they go out in the
        background, each shop at a fair share of the senders. Rows that cannot be sent are listed
        by position (the rest go out); a repeated number with the same text is sent once. Follow
        the job at `GET /api/v1/jobs/<id>`."""
        answer = batches.start_batch(current_site(), data["messages"], purpose=data["purpose"])
        return answer, 202, {"Location": f"/api/v1/jobs/{answer['job'].id}"}
