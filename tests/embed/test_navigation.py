"""Issue 20 items 4 and 5: Bikri's own navigation on every embed page (wp-admin hides its menu
on a phone) lists only the pages the user's role may open, and the ticket answer tells the
plugin which pages each WordPress role may open so its wp-admin menu shows only those."""
import re

import pytest

from backend.embed import roles
from backend.embed.pages import PAGES

ADMIN_URL = "https://shop-a.example.com/wp-admin/admin.php"


def nav_links(html: str) -> list[tuple[str, str, bool]]:
    """(page name, href, current) of each link in the navigation strip."""
    nav = re.search(r'<nav class="bikri-nav".*?</nav>', html, re.S)
    assert nav, "no navigation on the page"
    return [(name, href, " aria-current=\"page\"" in attrs)
            for href, name, attrs in re.findall(r'<a href="([^"]+)" target="_top" data-page="([^"]+)"([^>]*)>', nav.group(0))]


def allowed(role: str) -> set[str]:
    return {name for name, page in PAGES.items() if roles.can(role, page.permission)}


def test_ticket_answer_lists_each_wordpress_roles_pages(shop):
    answer = shop.post("/api/v1/embed/tickets", json={"wp_user_id": 3, "display_name": "Rafi", "role": "editor",
                                                      "page": "home"})
    assert answer.status_code == 201
    table = answer.json["pages_by_role"]
    assert set(table) == {"administrator", "shop_manager", "*"}
    # from the permission table, whoever asks: the plugin keeps one copy for every role
    assert set(table["administrator"]) == allowed(roles.ADMIN) == set(PAGES)
    assert set(table["shop_manager"]) == allowed(roles.MANAGER)
    assert set(table["*"]) == allowed(roles.STAFF)
    # staff run the day's orders; money, settings and shoppers' phones are not theirs
    assert {"home", "orders", "dashboard"} <= set(table["*"])
    assert not {"sms", "couriers", "checkout", "blacklist", "otp-report", "abandoned"} & set(table["*"])
    assert "checkout" not in table["shop_manager"] and "sms" in table["shop_manager"]
    # home first, in the plugin's menu order
    assert table["administrator"][:3] == ["home", "dashboard", "orders"]


@pytest.mark.parametrize("wp_role,role", [("administrator", roles.ADMIN), ("shop_manager", roles.MANAGER),
                                          ("shop_staff", roles.STAFF)])
def test_every_page_shows_only_the_pages_the_role_may_open(shop, wp_role, role):
    for name in sorted(allowed(role)):
        page, _session = shop.open_page(page=name, role=wp_role)
        assert page.status_code == 200, name
        links = nav_links(page.get_data(as_text=True))
        names = [link[0] for link in links]
        expected = allowed(role) | ({"license"} if role == roles.ADMIN else set())
        assert set(names) == expected, name
        # through wp-admin, which fetches a fresh ticket, under bikri-<name> ("bikri" for home)
        for link_name, href, _current in links:
            slug = "bikri" if link_name == "home" else f"bikri-{link_name}"
            assert href == f"{ADMIN_URL}?page={slug}"
        assert [link[0] for link in links if link[2]] == [name]


def test_a_page_the_role_cannot_open_still_offers_the_way_back(shop):
    page, _session = shop.open_page(page="sms", role="shop_staff")
    assert page.status_code == 403
    links = nav_links(page.get_data(as_text=True))
    assert {link[0] for link in links} == allowed(roles.STAFF)
    assert not any(current for _name, _href, current in links)


def test_license_link_only_for_those_who_can_open_the_license_page(shop):
    # the plugin's License page needs manage_options: administrators only
    for wp_role, shown in (("administrator", True), ("shop_manager", False), ("shop_staff", False)):
        html = shop.open_page(role=wp_role)[0].get_data(as_text=True)
        assert ("page=bikri-license" in html) is shown, wp_role


def test_navigation_in_bangla(shop):
    html = shop.open_page(page="orders", role="administrator", locale="bn_BD")[0].get_data(as_text=True)
    assert 'class="bikri-nav" id="bikri-nav" aria-label="বিক্রির পেজসমূহ"' in html
    assert 'data-page="license">লাইসেন্স</a>' in html
    assert 'content="Swipe sideways to see more columns"' not in html
