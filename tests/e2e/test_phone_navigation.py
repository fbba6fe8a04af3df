"""Bikri on a phone, in real wp-admin (issue 20 items 4 and 5): at 360 px wp-admin hides its own
menu, so each Bikri page carries its own navigation; a table wider than the phone keeps its
first column in place and says it scrolls; and a staff member's wp-admin menu lists only the
Bikri pages their role may open (the plugin's copy of the table the service sends with tickets).

The order reaches the service as the plugin's order events carry it (as in test_dashboard_page):
WooCommerce is not installed here, and the dashboard only needs the order to be in the service.
"""
import re
from datetime import timedelta

import requests
from playwright.sync_api import expect

from backend.clock import dhaka_today
from tests.e2e.conftest import (
    ADD_STAFF_PHP, ARTIFACTS, LATIN_IN_BANGLA, assert_bangla, licensed_admin, say, set_language, sign_in, wp_eval,
)
from tests.e2e.test_dashboard_page import order

STAFF = ("nadia", "staff-pass-456")
PHONE = {"width": 360, "height": 800}



def frame_of(page):
    return page.frame_locator("iframe.bikri-frame")


def nav(page):
    return frame_of(page).locator("#bikri-nav")


def bikri_menu(page) -> list[str]:
    """The page= slugs of wp-admin's Bikri submenu (in the DOM even while a phone hides it)."""
    hrefs = page.locator("#adminmenu #toplevel_page_bikri .wp-submenu a").evaluate_all("links => links.map(a => a.href)")
    return [re.search(r"page=([\w-]+)", href).group(1) for href in hrefs]


def bikri_menu_labels(page) -> list[str]:
    return page.locator("#adminmenu #toplevel_page_bikri .wp-submenu a").evaluate_all(
        "links => links.map(a => a.textContent.trim())")


def scroll_hint_and_sticky_column(frame, lang):
    """The recent orders do not fit 360 px: a written hint above, and the first column stays put."""
    recent = frame.locator("#w-recent .table-scroll")
    expect(recent.locator("td").first).to_contain_text("#1")
    sizes = recent.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert sizes[0] > sizes[1], sizes
    expect(frame.locator("#w-recent .scroll-hint")).to_be_visible()
    expect(frame.locator("#w-recent .scroll-hint")).to_contain_text(say(lang, "Swipe sideways to see more columns"))
    first, second = recent.locator("tbody td").nth(0), recent.locator("tbody td").nth(1)
    before = (first.bounding_box()["x"], second.bounding_box()["x"])
    # as far as it goes, up to 80 px (how much wider the table is depends on the fonts and the language)
    shift = min(80, sizes[0] - sizes[1])
    recent.evaluate(f"box => {{ box.scrollLeft = {shift}; }}")
    expect(recent).to_have_js_property("scrollLeft", shift)
    after = (first.bounding_box()["x"], second.bounding_box()["x"])
    assert after[0] == before[0], (before, after)
    assert after[1] < before[1], (before, after)


def test_navigation_tables_and_staff_menu_on_a_phone(service, wordpress, browser, tmp_path):
    page = licensed_admin(service, wordpress, browser, "phone@e2e.test", viewport=PHONE, plan="phone-plan")
    context = page.context
    token = wp_eval(wordpress, ADD_STAFF_PHP, tmp_path, {"STAFF_USER": STAFF[0], "STAFF_PASS": STAFF[1]})
    event = order(1, dhaka_today() - timedelta(days=1), 11, "processing", "1250.00")
    event["idempotency_key"] = "phone-nav-1"
    event["order"]["billing"]["first_name"] = "Mohammad Abdur Rahman Chowdhury"
    answer = requests.post(f"{service['url']}/api/v1/events", json={"events": [event]},
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert [r["status"] for r in answer.json()["results"]] == ["applied"], answer.text

    # Home at 360 px: wp-admin's menu is hidden, Bikri's own navigation is there
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri")
    expect(page.locator("#adminmenu")).to_be_hidden()
    expect(nav(page).locator('a[aria-current="page"]')).to_have_attribute("data-page", "home")
    links = nav(page).locator("a")
    assert links.evaluate_all("links => links.map(a => a.dataset.page)") == [
        "home", "dashboard", "orders", "sms", "checkout", "blacklist", "otp-report", "couriers", "abandoned", "notifications",
        "livechat", "customers", "campaigns", "loyalty", "wishlist", "inventory", "ads", "activity", "roles", "help", "support", "license"]
    # a finger-sized target
    box = nav(page).locator('a[data-page="dashboard"]').bounding_box()
    assert box["height"] >= 44, box
    page.screenshot(path=str(ARTIFACTS / "phone-nav-home-360.png"))

    # to the Dashboard through the strip: the top window goes to wp-admin, which opens it with a fresh ticket
    nav(page).locator('a[data-page="dashboard"]').click()
    page.wait_for_url(re.compile(r"page=bikri-dashboard"))
    expect(nav(page).locator('a[aria-current="page"]')).to_have_attribute("data-page", "dashboard")
    frame = frame_of(page)
    scroll_hint_and_sticky_column(frame, "en")
    page.screenshot(path=str(ARTIFACTS / "phone-nav-dashboard-360.png"))

    # and on to a page further along the strip (scrolled into reach by the click)
    nav(page).locator('a[data-page="blacklist"]').click()
    page.wait_for_url(re.compile(r"page=bikri-blacklist"))
    expect(nav(page).locator('a[aria-current="page"]')).to_have_attribute("data-page", "blacklist")
    expect(frame_of(page).locator("#blacklist-add")).to_be_visible()
    width = frame_of(page).locator("body").evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert width[0] <= width[1] + 1, width
    # the administrator's wp-admin menu holds every page (from the service's table, kept by the plugin)
    assert bikri_menu(page) == ["bikri", "bikri-dashboard", "bikri-orders", "bikri-sms", "bikri-checkout",
                                "bikri-blacklist", "bikri-otp-report", "bikri-couriers", "bikri-abandoned", "bikri-notifications", "bikri-livechat", "bikri-customers",
                                "bikri-campaigns", "bikri-loyalty", "bikri-wishlist", "bikri-inventory", "bikri-ads", "bikri-activity", "bikri-roles",
                                "bikri-help", "bikri-support", "bikri-license"]

    # on a wide screen, where wp-admin's own menu shows, the strip stays a compact line
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.locator("#adminmenu")).to_be_visible()
    strip = nav(page).bounding_box()
    assert strip["height"] <= 42, strip
    expect(nav(page).locator('a[aria-current="page"]')).to_have_attribute("data-page", "blacklist")
    page.screenshot(path=str(ARTIFACTS / "phone-nav-blacklist-1280.png"))
    context.close()

    # staff, whose wp-admin speaks Bangla: wp-admin's menu and Bikri's strip list only what
    # their role opens, in Bangla, and the strip takes them from page to page at 360 and 1280 px
    set_language(wordpress, STAFF[0], "bn", tmp_path)
    staff = browser.new_context(viewport=PHONE)
    page = staff.new_page()
    sign_in(page, {**wordpress, "user": STAFF[0], "password": STAFF[1]})
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri")
    assert bikri_menu(page) == ["bikri", "bikri-dashboard", "bikri-orders", "bikri-notifications", "bikri-livechat", "bikri-customers",
                                "bikri-wishlist", "bikri-inventory", "bikri-help", "bikri-support"]
    assert nav(page).locator("a").evaluate_all("links => links.map(a => a.dataset.page)") == [
        "home", "dashboard", "orders", "notifications", "livechat", "customers", "wishlist", "inventory", "help", "support"]
    for label in bikri_menu_labels(page):  # the plugin's own catalog (wp-plugin/languages)
        assert re.search(r"[\u0980-\u09FF]", label) and not set(re.findall(r"[A-Za-z]{2,}", label)) - LATIN_IN_BANGLA, label
    # bar the greeting's name and the shop's address (http://...), which are the shop's own
    assert_bangla(frame_of(page).locator("body"), allowed=(STAFF[0], "http"))
    page.screenshot(path=str(ARTIFACTS / "phone-nav-staff-360-bn.png"))
    nav(page).locator('a[data-page="dashboard"]').click()
    page.wait_for_url(re.compile(r"page=bikri-dashboard"))
    expect(nav(page).locator('a[aria-current="page"]')).to_have_attribute("data-page", "dashboard")
    # this one order fits 360 px for the staff; the hint the page writes when a table does not is Bangla
    expect(frame_of(page).locator("#w-recent .table-scroll td").first).to_contain_text("#1")
    expect(frame_of(page).locator('meta[name="bikri-scroll-hint"]')).to_have_attribute(
        "content", say("bn", "Swipe sideways to see more columns"))
    # the recent orders' customer names are the shop's; everything around them speaks Bangla
    assert_bangla(frame_of(page).locator("body"))
    page.screenshot(path=str(ARTIFACTS / "phone-nav-dashboard-360-bn.png"))
    nav(page).locator('a[data-page="orders"]').click()
    page.wait_for_url(re.compile(r"page=bikri-orders"))
    expect(nav(page).locator('a[aria-current="page"]')).to_have_attribute("data-page", "orders")
    # Bangla's taller letters still leave the strip one compact line on a wide screen
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(nav(page).locator('a[aria-current="page"]')).to_have_attribute("data-page", "orders")
    assert nav(page).bounding_box()["height"] <= 42, nav(page).bounding_box()
    assert_bangla(nav(page))
    page.screenshot(path=str(ARTIFACTS / "phone-nav-staff-orders-1280-bn.png"))
    # a page the role cannot open is not there at all: wp-admin refuses it before asking the service
    refused = page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-sms")
    assert refused.status == 403
    expect(page.locator("iframe.bikri-frame")).to_have_count(0)
    staff.close()
