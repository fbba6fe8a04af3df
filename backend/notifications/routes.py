import hmac

from flask import current_app, request
from flask.views import MethodView

from backend.api import Blueprint, PageArgsSchema, current_site, paginate, public
from backend.errors import ApiError
from backend.notifications import alerts, opt_outs, public_views, service, views
from backend.notifications.schemas import (
    AlertPageSchema, PreviewInSchema, PreviewOutSchema, SettingsInSchema, SettingsOutSchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="Notifications: status messages (SMS, email) and delivery alerts")
inbound_blp = Blueprint("sms_inbound", __name__, url_prefix="/api/sms/inbound",
                        description="Replies to Bikri's SMS from the gateway (MO callback)")

API_BLUEPRINTS = [blp, inbound_blp]
PAGE_BLUEPRINTS = [views.blp, public_views.blp]


@blp.route("/settings")
class Settings(MethodView):
    @blp.response(200, SettingsOutSchema)
    def get(self):
        """Every status's rule (the built-in ones and the shop's own WooCommerce statuses seen in
        its orders) with its default texts, quiet hours, the opt-out link, the owner's alerts."""
        return service.describe(current_site())

    @blp.arguments(SettingsInSchema)
    @blp.response(200, SettingsOutSchema)
    def put(self, data):
        """A partial update. 422 `validation_error` with `details` per field (a status's field as
        `statuses.<status>.<field>`: unknown placeholders, a text over 2 SMS, email on a status
        without a Bikri email); 409 `sms_balance_required` when an SMS is switched on with no balance (S8)."""
        return service.update_settings(current_site(), data, by="api")


@blp.route("/preview")
class Preview(MethodView):
    @blp.arguments(PreviewInSchema)
    @blp.response(200, PreviewOutSchema)
    def post(self, data):
        """A text filled with a sample order, with its characters, SMS segments and cost."""
        site = current_site()
        try:
            found = service.preview(site, data["status"], data["text"], data["language"])
        except ValueError as error:
            raise service.invalid({"text": [str(error)]}) from error
        price = found["price"]
        return {"content": found["content"], "characters": price.characters, "encoding": price.encoding,
                "segments": price.segments, "cost": price.cost}


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, AlertPageSchema)
    def get(self, args):
        """The shop's delivery alerts, newest first, and how many are unread."""
        site = current_site()
        page = paginate(alerts.alerts_query(site.id), args["page"], args["per_page"])
        page["unread"] = alerts.unread_count(site.id)
        return page


@blp.route("/alerts/read")
class AlertsRead(MethodView):
    @blp.response(200, AlertPageSchema)
    def post(self):
        """Mark every alert read (the bell's count goes to 0)."""
        site = current_site()
        alerts.mark_read(site.id)
        page = paginate(alerts.alerts_query(site.id), 1, 20)
        page["unread"] = 0
        return page


@inbound_blp.route("")
@public
class Inbound(MethodView):
    def post(self):
        """The SMS gateway's MO callback (a customer's reply). Our reference documents no inbound
        format for SSL Wireless, so Bikri defines it: `POST /api/sms/inbound?gateway=<key>` with the
        gateway's shared secret (`X-Bikri-Inbound-Secret` header or `secret` query argument, set per
        gateway in SMS_INBOUND_SECRETS), JSON or form fields `msisdn` and `text` (or `sms`), and
        optionally `site` (the shop whose message it answers). "STOP" opts the phone out of that
        shop's status SMS, or of every shop that sent it one."""
        gateway = request.args.get("gateway", "ssl_wireless")
        secret = (current_app.config.get("SMS_INBOUND_SECRETS") or {}).get(gateway)
        given = request.headers.get("X-Bikri-Inbound-Secret") or request.args.get("secret") or ""
        if not secret or not hmac.compare_digest(str(secret), given):
            raise ApiError("Unknown gateway or wrong secret.", code="unauthorized", status=401)
        body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        if not isinstance(body, dict):
            raise ApiError("Send msisdn and text.", code="validation_error", status=422)
        phone, text = body.get("msisdn"), body.get("text") or body.get("sms")
        if not isinstance(phone, str) or not isinstance(text, str):
            raise ApiError("Send msisdn and text.", code="validation_error", status=422,
                           details={"msisdn": ["required"], "text": ["required"]})
        site = body.get("site")
        site_id = int(site) if isinstance(site, (int, str)) and str(site).isdigit() else None
        shops = opt_outs.inbound_reply(phone, text, site_id=site_id)
        return {"status": "ok", "opted_out": len(shops)}
