"""Bikri roles, derived from the WordPress role of the user who opens a page (T1, first form).

Pages and actions ask `can(role, permission)`; the table below is the one place that says
who may do what, so a new page adds a line here instead of scattering role checks.
"""
ADMIN, MANAGER, STAFF = "admin", "manager", "staff"
ROLES = (ADMIN, MANAGER, STAFF)

WORDPRESS_ROLES = {"administrator": ADMIN, "shop_manager": MANAGER}
# Every other WordPress role is staff; the plugin's copy of the page list uses this key for them.
OTHER_WORDPRESS_ROLES = "*"

PERMISSIONS = {
    "view_pages": {ADMIN, MANAGER, STAFF},
    # plan, expiry, site count: what the shop pays for
    "view_license_details": {ADMIN, MANAGER},
    # the plugin's License page in wp-admin needs manage_options, which only administrators hold
    "open_license_page": {ADMIN},
    # the SMS page: balance, what SMS cost, sending a message
    "view_sms": {ADMIN, MANAGER},
    "send_sms": {ADMIN, MANAGER},
    # the order desk (O1–O7). Staff run the day's orders: they see the desk, change statuses
    # (written to WooCommerce) and put existing tags on orders. Creating orders by hand
    # (money the shop is owed) and the shop's set of tags are for administrators and managers.
    "view_orders": {ADMIN, MANAGER, STAFF},
    "change_order_status": {ADMIN, MANAGER, STAFF},
    "tag_orders": {ADMIN, MANAGER, STAFF},
    "create_orders": {ADMIN, MANAGER},
    "manage_order_tags": {ADMIN, MANAGER},
    # the desk's orders as a file (customers' names, phones and addresses by the thousand):
    # administrators and managers, not staff
    "export_orders": {ADMIN, MANAGER},
    # the dashboard: order counts for everyone; money figures (revenue, discounts, targets) are
    # the owner's business and may be kept from staff
    "view_dashboard": {ADMIN, MANAGER, STAFF},
    "view_revenue": {ADMIN, MANAGER},
    "set_sales_target": {ADMIN, MANAGER},
    "manage_costs": {ADMIN, MANAGER},
    # money settings (SMS recharge, courier keys) and anything an operator decides
    "manage_money_settings": {ADMIN},
    # checkout protection: OTP on/off, its limits and texts (OTP spends SMS money)
    "manage_checkout": {ADMIN},
    # the blacklist: add, remove, import
    "manage_blacklist": {ADMIN, MANAGER},
    # who completed OTP and who did not (shoppers' phone numbers)
    "view_otp_report": {ADMIN, MANAGER},
    # the Couriers page: balances, parcels on the way and their statuses, the delivery report
    "view_couriers": {ADMIN, MANAGER},
    # courier API keys (they can book parcels and move the shop's courier money) and the
    # courier defaults: the shop's administrator only
    "manage_courier_accounts": {ADMIN},
    # booking orders with a courier from the order desk (C1–C3): the day's work, staff included;
    # the courier balance in the booking dialog follows view_couriers
    "book_orders": {ADMIN, MANAGER, STAFF},
    # fraud check of a customer's phone (F1): the risk badge and the check, for whoever handles
    # orders; a forced re-check spends the courier's small daily allowance of look-ups
    "check_fraud": {ADMIN, MANAGER, STAFF},
    "recheck_fraud": {ADMIN, MANAGER},
    # abandoned checkouts: shoppers' phones and carts; their settings spend SMS money and make coupons
    "view_abandoned": {ADMIN, MANAGER},
    "manage_abandoned": {ADMIN, MANAGER},
    # notifications (issue 21): the bell and its delivery alerts for everyone who runs orders; the
    # status-message settings spend SMS money
    "view_notifications": {ADMIN, MANAGER, STAFF},
    "manage_notifications": {ADMIN, MANAGER},
}


def role_for_wordpress(wp_role: str) -> str:
    return WORDPRESS_ROLES.get((wp_role or "").strip().lower(), STAFF)


def can(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, ())
