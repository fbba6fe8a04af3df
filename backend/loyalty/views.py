"""The Loyalty page inside wp-admin (embed `loyalty`): the shop's points programme (on/off,
earning rate, point value, minimum to redeem, expiry, the "you earned" SMS), and the points
section of a customer's page (added through the customers page's panel hook)."""
from flask import Blueprint, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from backend.customers.views import register_customer_panel
from backend.embed.pages import EmbedPage, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.extensions import db
from backend.loyalty import ledger, service
from backend.loyalty.models import DEFAULT_EARN_SMS, LoyaltyAccount, LoyaltySettings

blp = Blueprint("loyalty_embed", __name__, url_prefix="/embed/loyalty", template_folder="templates")

FIELDS = ("points_per_100", "point_value", "min_redeem", "expiry_days", "earn_sms_text")
CHECKBOXES = ("enabled", "earn_sms")


def _context(user, errors=None, saved=False, submitted=None):
    return {"settings": service.settings_json(service.settings_of(user.site.id)), "errors": errors or {},
            "saved": saved, "submitted": submitted or {}, "sms_fields": service.SMS_FIELDS,
            "default_sms": DEFAULT_EARN_SMS}


register_page(EmbedPage("loyalty", _l("Loyalty points"), permission="manage_loyalty", template="loyalty/page.html",
                        context=_context))


@blp.post("/settings")
def save_settings():
    user = require_user("manage_loyalty")
    values = {name: request.form.get(name, "") for name in FIELDS}
    values.update({name: request.form.get(name) == "1" for name in CHECKBOXES})
    try:
        service.save_settings(user.site.id, values, updated_by=f"{user.display_name} (#{user.wp_user_id})")
    except ApiError as error:
        db.session.rollback()
        return render_template("loyalty/_settings_form.html", user=user,
                               **_context(user, errors=error.details, submitted=values)), 422
    response = make_response(render_template("loyalty/_settings_form.html", user=user, **_context(user, saved=True)))
    # the page's script (checkout.js) tells wp-admin, which fetches the checkout's copy at once:
    # the points box appears or goes at the checkout without waiting for the 5-minute pull
    response.headers["HX-Trigger"] = "bikri-checkout-changed"
    return response


@register_customer_panel
def customer_points(user, customer) -> str:
    """A customer's points and ledger, once the shop runs the programme or the phone has points."""
    site_id, phone = user.site.id, customer.get("phone")
    if not phone:
        return ""
    settings = db.session.get(LoyaltySettings, site_id)
    has_account = db.session.get(LoyaltyAccount, (site_id, phone)) is not None
    if not has_account and (settings is None or not settings.enabled):
        return ""
    # rendered (and escaped) by its template: the customer's page places it as it is
    return Markup(render_template("loyalty/_customer_points.html", points=ledger.balance_of(site_id, phone),
                                  entries=ledger.entries_of(site_id, phone, 20),
                                  enabled=settings is not None and settings.enabled))
