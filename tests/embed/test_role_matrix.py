"""Issue 21 item 3 (T1): the owner's role matrix, stored per shop, enforced on every route and page."""
import pytest
from werkzeug.datastructures import MultiDict

from backend.embed import roles

SESSION = "X-Bikri-Embed-Session"

# A representative route or page per permission: (method, path, form). `refused(response)` says
# the role was turned away; most routes answer 403, two hide what the permission shows.
MONEY_HIDDEN = ("money_hidden", lambda r: r.status_code == 200 and r.json == {"money_hidden": True})
ROUTES = {
    "view_revenue": ("GET", "/embed/dashboard/profit.json", None, MONEY_HIDDEN),
    "view_sms": ("GET", "/embed/sms/balance", None, None),
    "view_license_details": ("GET", "/embed/home/license", None,
                             ("no plan", lambda r: r.status_code == 200 and "<dt>Plan</dt>" not in r.get_data(as_text=True))),
    "manage_costs": ("POST", "/embed/dashboard/costs", {}, None),
    "set_sales_target": ("POST", "/embed/dashboard/target", {}, None),
    "view_couriers": ("GET", "/embed/couriers/consignments", None, None),
    "view_orders": ("GET", "/embed/orders/list", None, None),
    "change_order_status": ("POST", "/embed/orders/status", {}, None),
    "tag_orders": ("POST", "/embed/orders/tagging", {}, None),
    "create_orders": ("POST", "/embed/orders/create", {}, None),
    "manage_order_tags": ("POST", "/embed/orders/tags", {}, None),
    "book_orders": ("POST", "/embed/orders/book", {}, None),
    "check_fraud": ("POST", "/embed/fraud/check", {}, None),
    "recheck_fraud": ("POST", "/embed/fraud/check", {"force": "1", "phone": "01711000000"}, None),
    "send_sms": ("POST", "/embed/sms/send", {}, None),
    "view_abandoned": ("GET", "/embed/abandoned/rows", None, None),
    "manage_abandoned": ("POST", "/embed/abandoned/settings", {}, None),
    "manage_checkout": ("POST", "/embed/checkout/settings", {}, None),
    "manage_blacklist": ("POST", "/embed/checkout/blacklist", {}, None),
    "view_otp_report": ("GET", "/embed/checkout/otp-report/rows", None, None),
    "manage_courier_accounts": ("POST", "/embed/couriers/settings", {}, None),
    "manage_money_settings": ("POST", "/embed/sms/recharge", {}, None),
    "manage_roles": ("POST", "/embed/roles/save", {}, None),
    "export_orders": ("POST", "/embed/orders/export", {}, None),
    "view_dashboard": ("GET", "/embed/dashboard/statuses.json", None, None),
    "view_activity": ("GET", "/embed/activity/rows", None, None),
    "assign_orders": ("POST", "/embed/orders/assign", {}, None),
    "confirm_orders": ("POST", "/embed/orders/confirm", {}, None),
    "manage_order_tasks": ("POST", "/embed/orders/task-settings", {}, None),
    "suggest_features": ("POST", "/embed/ideas/", {}, None),
    "contact_support": ("GET", "/embed/support/messages", None, None),
    "view_customers": ("GET", "/embed/customers/rows", None, None),
    "manage_customers": ("POST", "/embed/customers/segments", {}, None),
    "send_campaigns": ("POST", "/embed/customers/campaigns/preview", {}, None),
    "view_inventory": ("GET", "/embed/inventory/rows", None, None),
    "manage_inventory": ("POST", "/embed/inventory/settings", {}, None),
    "manage_ad_tracking": ("POST", "/embed/ads/settings", {}, None),
    "view_notifications": ("POST", "/embed/notifications/alerts/read", {}, None),
    "manage_notifications": ("POST", "/embed/notifications/settings", {}, None),
    "answer_chats": ("GET", "/embed/livechat/inbox", None, None),
    "manage_live_chat": ("POST", "/embed/livechat/settings", {}, None),
    "manage_loyalty": ("POST", "/embed/loyalty/settings", {}, None),
}


def everything_but(permission=None, role=roles.MANAGER):
    """A matrix where the administrator holds all, and `role` all but `permission`."""
    permissions = {r: list(roles.EDITABLE) if r in (roles.ADMIN, role) else [] for r in roles.ROLES}
    if permission:
        permissions[role].remove(permission)
    return {"permissions": permissions,
            "wordpress_roles": {"administrator": "admin", "shop_manager": "manager", "*": "staff"}}


def put_matrix(shop, matrix):
    return shop.client.put("/api/v1/roles", json=matrix, headers=shop.auth)


def test_every_editable_permission_has_a_route_here():
    assert set(ROUTES) == set(roles.EDITABLE)


@pytest.mark.parametrize("permission", sorted(ROUTES))
def test_the_matrix_refuses_each_action_to_a_role_without_it(shop, client, permission):
    method, path, form, special = ROUTES[permission]
    refused = special[1] if special else (lambda r: r.status_code == 403)
    _page, session = shop.open_page(page="home", role="shop_manager", user_id=2)

    assert put_matrix(shop, everything_but(None)).status_code == 200
    allowed = client.open(path, method=method, data=form, headers={SESSION: session})
    assert not refused(allowed), (permission, allowed.status_code)

    assert put_matrix(shop, everything_but(permission)).status_code == 200
    answer = client.open(path, method=method, data=form, headers={SESSION: session})
    assert refused(answer), (permission, answer.status_code)


PAGE_OF = {"view_orders": "orders", "view_sms": "sms", "manage_checkout": "checkout", "manage_roles": "roles",
           "view_activity": "activity", "view_couriers": "couriers"}


@pytest.mark.parametrize("permission", sorted(PAGE_OF))
def test_pages_follow_the_matrix(shop, permission):
    assert put_matrix(shop, everything_but(permission, role=roles.STAFF)).status_code == 200
    page, _session = shop.open_page(page=PAGE_OF[permission], role="shop_staff", user_id=3)
    assert page.status_code == 403
    assert put_matrix(shop, everything_but(None, role=roles.STAFF)).status_code == 200
    page, _session = shop.open_page(page=PAGE_OF[permission], role="shop_staff", user_id=3)
    assert page.status_code == 200


def test_a_shop_that_never_edits_has_the_fixed_defaults(shop):
    answer = shop.get("/api/v1/roles")
    assert answer.status_code == 200
    for role in roles.ROLES:
        assert set(answer.json["permissions"][role]) == {p for p in roles.EDITABLE if role in roles.PERMISSIONS[p]}
    assert answer.json["wordpress_roles"] == {"administrator": "admin", "shop_manager": "manager", "*": "staff"}


def test_custom_wordpress_roles_map_and_the_highest_wins(shop, client):
    matrix = everything_but(None)
    matrix["wordpress_roles"]["order_caller"] = "manager"
    assert put_matrix(shop, matrix).status_code == 200
    # a custom role alone: manager
    page, _ = shop.open_page(page="roles", role="order_caller", user_id=4)
    assert page.status_code == 200
    # several roles (the plugin sends all): the highest mapped one counts, whichever comes first
    body = {"wp_user_id": 5, "display_name": "Karim", "role": "subscriber", "roles": ["subscriber", "order_caller"],
            "page": "roles"}
    ticket = shop.post("/api/v1/embed/tickets", json=body)
    assert ticket.status_code == 201
    assert "order_caller" in ticket.json["pages_by_role"] and "roles" in ticket.json["pages_by_role"]["order_caller"]
    assert "roles" not in ticket.json["pages_by_role"]["*"]
    page = client.get(ticket.json["url"].removeprefix("http://bikri.test"))
    assert page.status_code == 200 and "Manager" in page.get_data(as_text=True)
    # an unmapped custom role is "every other role": staff, who may not open the matrix
    page, _ = shop.open_page(page="roles", role="someone_else", user_id=6)
    assert page.status_code == 403


def test_the_owner_cannot_remove_their_own_access(shop, client):
    matrix = everything_but("manage_roles", role=roles.ADMIN)
    answer = put_matrix(shop, matrix)
    assert answer.status_code == 409 and "your own access" in answer.json["error"]["message"]
    matrix = everything_but(None)
    matrix["wordpress_roles"]["administrator"] = "staff"
    assert put_matrix(shop, matrix).status_code == 409
    # on the page: the owner unticks their own box; the matrix is unchanged
    _page, session = shop.open_page(page="roles", role="administrator")
    form = [("grant", f"admin:{name}") for name in roles.EDITABLE if name != "manage_roles"]
    answer = client.post("/embed/roles/save", data=MultiDict(form + [("wp_name", "administrator"), ("wp_role", "admin"),
                                                             ("wp_other", "staff")]), headers={SESSION: session})
    assert answer.status_code == 200 and "your own access" in answer.get_data(as_text=True)
    assert "manage_roles" in shop.get("/api/v1/roles").json["permissions"]["admin"]


def test_the_page_saves_a_grid(shop, client):
    _page, session = shop.open_page(page="roles", role="administrator")
    form = [("grant", f"admin:{name}") for name in roles.EDITABLE] + [("grant", "staff:view_orders"),
                                                                       ("grant", "manager:export_orders")]
    form += [("wp_name", "administrator"), ("wp_role", "admin"), ("wp_name", "Packer"), ("wp_role", "manager"),
             ("wp_name", ""), ("wp_role", "staff"), ("wp_other", "staff")]
    answer = client.post("/embed/roles/save", data=MultiDict(form), headers={SESSION: session})
    assert answer.status_code == 200 and "Saved" in answer.get_data(as_text=True)
    saved = shop.get("/api/v1/roles").json
    assert saved["permissions"]["staff"] == ["view_orders"]
    assert saved["permissions"]["manager"] == ["export_orders"]
    assert saved["wordpress_roles"] == {"administrator": "admin", "packer": "manager", "*": "staff"}


@pytest.mark.parametrize("bad", [
    {"permissions": {"boss": []}, "wordpress_roles": {}},
    {"permissions": {"admin": ["fly"], "manager": [], "staff": []}, "wordpress_roles": {}},
    {"permissions": {"admin": list(roles.EDITABLE), "manager": [], "staff": []}, "wordpress_roles": {"Bad Role!": "staff"}},
    {"permissions": {"admin": list(roles.EDITABLE), "manager": [], "staff": []}, "wordpress_roles": {"x": "owner"}},
])
def test_bad_matrices_are_refused(shop, bad):
    answer = put_matrix(shop, bad)
    assert answer.status_code == 422, answer.json
    assert shop.get("/api/v1/roles").json["permissions"]["manager"]  # unchanged defaults


def test_the_page_works_in_bangla(shop):
    page, _ = shop.open_page(page="roles", role="administrator", locale="bn_BD")
    assert page.status_code == 200
    assert 'name="viewport"' in page.get_data(as_text=True)
