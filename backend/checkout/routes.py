from flask.views import MethodView

from backend.api import Blueprint, current_site, paginate
from backend.checkout import blacklist, service, views
from backend.checkout.schemas import (
    BlacklistAddSchema, BlacklistArgsSchema, BlacklistEntrySchema, BlacklistPageSchema, CheckoutOrderSchema,
    ConfigArgsSchema, ConfigSchema, OrderReportSchema, OtpAnswerSchema, OtpSendSchema, OtpVerifySchema,
)
from backend.licensing.service import describe_site

otp_blp = Blueprint("otp", __name__, url_prefix="/api/v1/otp", description="Checkout OTP: send and verify codes")
checkout_blp = Blueprint("checkout", __name__, url_prefix="/api/v1/checkout", description="Checkout protection: the plugin's copy, order reports")
blacklist_blp = Blueprint("blacklist", __name__, url_prefix="/api/v1/blacklist", description="Blacklist: phones, emails, IPs")

API_BLUEPRINTS = [otp_blp, checkout_blp, blacklist_blp]
PAGE_BLUEPRINTS = [views.blp]


def _answer(answer: service.OtpAnswer) -> dict:
    return {"status": answer.status, "phone": answer.phone, "expires_in": answer.expires_in,
            "resend_after": answer.resend_after, "proof": answer.proof, "proof_expires_at": answer.proof_expires_at,
            "reason": answer.reason}


@otp_blp.route("/send")
class SendOtp(MethodView):
    @otp_blp.arguments(OtpSendSchema)
    @otp_blp.response(200, OtpAnswerSchema)
    def post(self, data):
        """Send a checkout code to a Bangladeshi mobile number, paid from the SMS wallet.

        Refusals: 422 (phone, session_id, ip), 403 `blacklisted`, 409 `otp_disabled`, 429
        `otp_cooldown` / `otp_phone_limit` / `otp_ip_limit` / `rate_limited` with Retry-After,
        503 `otp_send_failed`. A trusted customer (`trusted`) or an empty wallet (`skipped`,
        reason `no_balance`) gets a proof at once and no SMS."""
        return _answer(service.send_code(current_site(), **data))


@otp_blp.route("/verify")
class VerifyOtp(MethodView):
    @otp_blp.arguments(OtpVerifySchema)
    @otp_blp.response(200, OtpAnswerSchema)
    def post(self, data):
        """Check a code; the answer carries the signed proof the plugin checks at order time.

        Refusals (each with `details.retry_after`: seconds before a new code may be asked for):
        422 `otp_code_wrong` (with `attempts_left`), 404 `otp_no_code`, 409 `otp_code_used`,
        410 `otp_code_expired`, 429 `otp_attempts_exceeded`."""
        return _answer(service.verify_code(current_site(), **data))


@checkout_blp.route("/config")
class PluginConfig(MethodView):
    @checkout_blp.arguments(ConfigArgsSchema, location="query")
    @checkout_blp.response(200, ConfigSchema)
    def get(self, args):
        """What the plugin keeps a copy of: OTP on/off and the blacklist (left out when `since` is current)."""
        site = current_site()
        describe_site(site, args["site_name"], args["locale"])
        return service.plugin_config(site, args["since"])


@checkout_blp.route("/orders")
class OrderReports(MethodView):
    @checkout_blp.arguments(OrderReportSchema)
    @checkout_blp.response(200, CheckoutOrderSchema)
    def post(self, data):
        """An order placed through the checkout, or its new status (the OTP report's "ordered",
        and "delivered" for trusted customers). Repeating it is harmless."""
        return service.record_order(current_site(), **data)


@blacklist_blp.route("")
class Blacklist(MethodView):
    @blacklist_blp.arguments(BlacklistArgsSchema, location="query")
    @blacklist_blp.response(200, BlacklistPageSchema)
    def get(self, args):
        """The shop's blacklist, newest first; filter by `kind`, search with `q`."""
        query = blacklist.list_query(current_site().id, args["kind"], args["q"])
        return paginate(query, args["page"], args["per_page"])

    @blacklist_blp.arguments(BlacklistAddSchema)
    @blacklist_blp.response(201, BlacklistEntrySchema)
    def post(self, data):
        """Block a phone, email or IP (or network) at checkout. 201 when added, 200 when it was there already."""
        added = blacklist.add(current_site(), **data)
        return added.entry, (201 if added.created else 200)


@blacklist_blp.route("/<int:entry_id>")
class BlacklistItem(MethodView):
    @blacklist_blp.response(204)
    def delete(self, entry_id):
        """Unblock."""
        blacklist.remove(current_site(), entry_id)
