"""The owner's role matrix page (T1): per Bikri role a checkbox per permission, and which
WordPress role maps to which Bikri role. A grid of three checkbox columns fits a phone."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l

from backend.embed import matrix as role_matrix, roles
from backend.embed.guard import require_user
from backend.embed.pages import EmbedPage, register_page
from backend.errors import ApiError
from backend.extensions import db

blp = Blueprint("roles_embed", __name__, url_prefix="/embed/roles", template_folder="templates")

GROUP_TITLES = {
    "money": _l("See money"), "status": _l("Orders and their status"), "couriers": _l("Book couriers"),
    "sms": _l("Send SMS"), "campaigns": _l("Run campaigns"), "settings": _l("Change settings"),
    "inventory": _l("Stock"), "export": _l("Export"), "other": _l("Other pages"),
}
PERMISSION_LABELS = {
    "view_revenue": _l("See revenue, discounts and targets"),
    "view_sms": _l("See the SMS balance and prices"),
    "view_license_details": _l("See the plan and its expiry"),
    "manage_costs": _l("Enter costs"),
    "set_sales_target": _l("Set the sales target"),
    "view_couriers": _l("See courier balances and parcels"),
    "view_orders": _l("See the order desk"),
    "change_order_status": _l("Change an order's status"),
    "tag_orders": _l("Tag orders"),
    "create_orders": _l("Create orders by hand"),
    "manage_order_tags": _l("Manage the shop's tags"),
    "assign_orders": _l("Assign orders to staff"),
    "confirm_orders": _l("Record phone confirmations"),
    "manage_order_tasks": _l("Require phone confirmation before booking"),
    "book_orders": _l("Book parcels with a courier"),
    "check_fraud": _l("Check a phone's delivery history"),
    "recheck_fraud": _l("Force a fresh fraud check"),
    "send_sms": _l("Send SMS to customers"),
    "view_notifications": _l("See delivery alerts"),
    "manage_notifications": _l("Status messages to customers"),
    "view_abandoned": _l("See abandoned checkouts"),
    "manage_abandoned": _l("Run abandoned-cart reminder campaigns"),
    "view_customers": _l("See customers and segments"),
    "manage_customers": _l("Tag customers and save segments"),
    "send_campaigns": _l("Send SMS campaigns"),
    "manage_loyalty": _l("Loyalty points settings"),
    "view_inventory": _l("See stock and aging"),
    "manage_inventory": _l("Change stock and prices, low-stock settings"),
    "manage_checkout": _l("Checkout protection settings"),
    "manage_blacklist": _l("Change the blacklist"),
    "view_otp_report": _l("See the OTP report"),
    "manage_courier_accounts": _l("Courier accounts and defaults"),
    "manage_money_settings": _l("Money settings (recharges)"),
    "manage_roles": _l("Change the roles"),
    "manage_ad_tracking": _l("Ad tracking and ad spend"),
    "export_orders": _l("Export orders and the activity log"),
    "view_dashboard": _l("See the dashboard"),
    "view_activity": _l("See the activity log"),
    "suggest_features": _l("Ask Bikri for features"),
    "answer_chats": _l("Answer shoppers in the live chat"),
    "manage_live_chat": _l("Live chat box on the shop"),
    "contact_support": _l("Chat with Bikri support"),
}
assert set(PERMISSION_LABELS) == set(roles.EDITABLE)
ROLE_SLOTS = 4  # empty rows for WordPress roles the shop adds


def _context(user, matrix=None, errors=None, saved=False):
    matrix = matrix or role_matrix.matrix_for(user.site.id)
    return {"matrix": matrix, "groups": [(GROUP_TITLES[key], names) for key, names in roles.GROUPS],
            "permission_labels": PERMISSION_LABELS, "bikri_roles": roles.ROLES, "errors": errors or {}, "saved": saved,
            "mapping": sorted((name, role) for name, role in matrix.wordpress.items() if name != roles.OTHER_WORDPRESS_ROLES),
            "other_role": matrix.wordpress.get(roles.OTHER_WORDPRESS_ROLES, roles.STAFF), "slots": ROLE_SLOTS}


register_page(EmbedPage("roles", _l("Roles"), permission="manage_roles", template="embed/roles.html", context=_context))


def _read_form(form) -> dict:
    permissions = {role: [] for role in roles.ROLES}
    for value in form.getlist("grant"):
        role, _sep, name = value.partition(":")
        permissions.setdefault(role, []).append(name)
    mapping = {}
    for name, role in zip(form.getlist("wp_name"), form.getlist("wp_role")):
        if name.strip():
            mapping[name.strip().lower()] = role
    mapping[roles.OTHER_WORDPRESS_ROLES] = form.get("wp_other", roles.STAFF)
    return {"permissions": permissions, "wordpress_roles": mapping}


@blp.post("/save")
def save():
    user = require_user("manage_roles")
    data = _read_form(request.form)
    try:
        matrix = role_matrix.save(user.site.id, data, editor_role=user.role, by=f"{user.display_name} (#{user.wp_user_id})")
    except ApiError as error:
        db.session.rollback()
        errors = error.details or {"matrix": [error.message]}
        return render_template("embed/_roles_form.html", user=user, **_context(user, errors=errors)), 200
    return render_template("embed/_roles_form.html", user=user, **_context(user, matrix, saved=True))
