"""Bikri roles, derived from the WordPress roles of the user who opens a page (T1).

Pages and actions ask `user.can(permission)`; the tables below are the defaults every shop
starts with (a shop that never edits its role matrix keeps exactly these). The owner may change,
per shop, which Bikri role holds which permission and which WordPress role maps to which Bikri
role (backend/embed/models.py RoleMatrix, embed.service.matrix_for); `Matrix` is that choice.
"""
from dataclasses import dataclass, field

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
    # customers (U1): the list and a customer's page for everyone who runs orders; tags and saved
    # segments, and SMS campaigns (money), for administrators and managers
    "view_customers": {ADMIN, MANAGER, STAFF},
    "manage_customers": {ADMIN, MANAGER},
    "send_campaigns": {ADMIN, MANAGER},
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
    # ad tracking: the Meta Pixel id and Conversions API token (sends events in the shop's name)
    "manage_ad_tracking": {ADMIN},
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
    # order tasks (T3): managers hand out the day's orders (assign, reassign, unassign, due times)
    # and set "book only orders confirmed by phone"; whoever handles orders records the calls
    "assign_orders": {ADMIN, MANAGER},
    "confirm_orders": {ADMIN, MANAGER, STAFF},
    "manage_order_tasks": {ADMIN, MANAGER},
    # abandoned checkouts: shoppers' phones and carts; their settings spend SMS money and make coupons
    "view_abandoned": {ADMIN, MANAGER},
    "manage_abandoned": {ADMIN, MANAGER},
    # feature requests (H1): asking Bikri for a feature and voting on planned ones
    "suggest_features": {ADMIN, MANAGER},
    # the support chat with Bikri's operators (H2): whoever uses Bikri may need help with it
    "contact_support": {ADMIN, MANAGER, STAFF},
    # T1: who may change this role matrix (the owner; never taken from the owner's own role)
    "manage_roles": {ADMIN},
    # T2: the activity log (who did what); its CSV also needs export_orders
    "view_activity": {ADMIN, MANAGER},
    # inventory (issue 23): stock and aging for whoever packs orders; stock/price batches and
    # the low-stock settings (an SMS to the owner costs money) for administrators and managers
    "view_inventory": {ADMIN, MANAGER, STAFF},
    "manage_inventory": {ADMIN, MANAGER},
    # notifications (issue 21): the bell and its delivery alerts for everyone who runs orders; the
    # status-message settings spend SMS money
    "view_notifications": {ADMIN, MANAGER, STAFF},
    "manage_notifications": {ADMIN, MANAGER},
    # live chat with shoppers (H2): whoever serves customers answers; putting the chat box on the
    # storefront (and its greeting) is the owner's choice
    "answer_chats": {ADMIN, MANAGER, STAFF},
    "manage_live_chat": {ADMIN},
    # loyalty points (U2): the programme's rate, a point's worth in taka and its SMS are money
    # the shop gives away; the owner decides (a customer's points show on the customer's page)
    "manage_loyalty": {ADMIN},
}

# Permissions every role keeps whatever the matrix says: opening Bikri at all, and the
# plugin's License page (WordPress decides that one: manage_options).
FIXED = ("view_pages", "open_license_page")

# The owner's matrix shows the permissions under the headings shops think in (issue 21, T1).
GROUPS = (
    ("money", ("view_revenue", "view_sms", "view_license_details", "manage_costs", "set_sales_target", "view_couriers")),
    ("status", ("view_orders", "change_order_status", "tag_orders", "create_orders", "manage_order_tags",
                "assign_orders", "confirm_orders", "manage_order_tasks")),
    ("couriers", ("book_orders", "check_fraud", "recheck_fraud")),
    ("sms", ("send_sms", "view_notifications", "manage_notifications")),
    ("campaigns", ("view_abandoned", "manage_abandoned", "view_customers", "manage_customers", "send_campaigns",
                   "manage_loyalty")),
    ("settings", ("manage_checkout", "manage_blacklist", "view_otp_report", "manage_courier_accounts",
                  "manage_money_settings", "manage_roles", "manage_ad_tracking", "manage_live_chat")),
    ("inventory", ("view_inventory", "manage_inventory")),
    ("export", ("export_orders",)),
    ("other", ("view_dashboard", "view_activity", "suggest_features", "answer_chats", "contact_support")),
)
EDITABLE = tuple(name for _group, names in GROUPS for name in names)
assert set(EDITABLE) | set(FIXED) == set(PERMISSIONS) and len(EDITABLE) == len(set(EDITABLE))

RANK = {ADMIN: 3, MANAGER: 2, STAFF: 1}


@dataclass(frozen=True)
class Matrix:
    """One shop's roles: permission -> the Bikri roles holding it; WordPress role -> Bikri role
    ("*": every WordPress role not named)."""
    grants: dict = field(default_factory=lambda: {name: frozenset(roles) for name, roles in PERMISSIONS.items()})
    wordpress: dict = field(default_factory=lambda: {**WORDPRESS_ROLES, OTHER_WORDPRESS_ROLES: STAFF})

    def can(self, role: str, permission: str) -> bool:
        if permission in FIXED:
            return role in PERMISSIONS[permission]
        return role in self.grants.get(permission, ())

    def role_for(self, wp_roles) -> str:
        """The highest Bikri role any of the user's WordPress roles maps to; a role not named
        takes the "*" mapping."""
        found = [self.wordpress.get(name, self.wordpress.get(OTHER_WORDPRESS_ROLES, STAFF))
                 for name in ((r or "").strip().lower() for r in wp_roles) if name]
        found = found or [self.wordpress.get(OTHER_WORDPRESS_ROLES, STAFF)]
        return max(found, key=RANK.__getitem__)

    def permissions_of(self, role: str) -> list[str]:
        return [name for name in PERMISSIONS if self.can(role, name)]


DEFAULT = Matrix()


def role_for_wordpress(wp_role: str, matrix: Matrix = DEFAULT) -> str:
    return matrix.role_for([wp_role])


def can(role: str, permission: str, matrix: Matrix = DEFAULT) -> bool:
    """The default matrix unless a shop's is given (EmbedUser.can passes the shop's)."""
    return matrix.can(role, permission)
