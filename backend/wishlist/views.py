"""The Wishlist page inside wp-admin: what shoppers wish for, what they wished and never bought,
and the back-in-stock / price-drop SMS (switched on by whoever may send campaigns: they cost
the SMS wallet)."""
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from backend.embed.pages import EmbedPage, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.sms.wallet import balance_of
from backend.wishlist import service

blp = Blueprint("wishlist_embed", __name__, url_prefix="/embed/wishlist", template_folder="templates")

MANAGE = "send_campaigns"


def _context(user, **extra):
    return {"report": service.report(user.site.id), "settings": service.settings_for(user.site.id),
            "alerts": service.recent_alerts(user.site.id), "balance": balance_of(user.site.id),
            "can_manage": user.can(MANAGE), "sms_page_url": user.wp_page_url("bikri-sms"), "errors": {}, **extra}


register_page(EmbedPage("wishlist", _l("Wishlist"), permission="view_customers", template="wishlist/page.html",
                        context=_context))


@blp.post("/settings")
def save_settings():
    user = require_user(MANAGE)
    form = request.form
    try:
        per_day = int(form.get("alerts_per_phone_per_day", ""))
    except ValueError:
        per_day = 0
    values = {"back_in_stock_sms": form.get("back_in_stock_sms") == "1", "price_drop_sms": form.get("price_drop_sms") == "1",
              "language": form.get("language") if form.get("language") in service.LANGUAGES else "bn",
              "alerts_per_phone_per_day": per_day}
    try:
        service.update_settings(user.site, values, by=f"{user.display_name} (#{user.wp_user_id})")
    except ApiError as error:
        return render_template("wishlist/_settings.html", **_context(user, error=error.message, errors=error.details or {}),
                               user=user), 422
    return render_template("wishlist/_settings.html", **_context(user, saved=True), user=user)
