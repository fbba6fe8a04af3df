"""The fraud check (F1) on the order desk in real wp-admin: every order row has a risk badge;
clicking it opens the check under it (Steadfast's history of the number, this shop's, all Bikri
shops'), which sets the badge; Re-check asks again; the panel fits a 360 px phone.

Steadfast is the sandbox (connected on the Couriers page with its keys), told each number's
history. The orders reach the service as the plugin's order events carry them (POST
/api/v1/events with the site's token): the desk lists the service's copy of the orders, and
WooCommerce is not installed here.
"""
from datetime import datetime, timedelta, timezone

import requests
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, connect_steadfast, deactivate, licensed_admin, sign_in, wp_eval

RETURNER, DOUBTFUL = "01711-000111", "01811-000222"
# WooCommerce's staff hold edit_shop_orders (WooCommerce is not installed here): a role with it
STAFF_USER = """
add_role( 'shop_staff', 'Shop staff', array( 'read' => true, 'edit_shop_orders' => true ) );
if ( ! username_exists( 'fraud-staff' ) ) {
	wp_insert_user( array( 'user_login' => 'fraud-staff', 'user_pass' => 'staff-pass-123', 'role' => 'shop_staff' ) );
}
"""


def event(wc_id, phone, status, days_ago):
    moment = (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S")
    return {"idempotency_key": f"fraud-{wc_id}", "type": "created", "order_id": wc_id, "date_modified_gmt": moment,
            "order": {"id": wc_id, "number": str(wc_id), "status": status, "date_created_gmt": moment,
                      "date_modified_gmt": moment, "total": "1500.00",
                      "billing": {"first_name": f"Customer {wc_id}", "phone": phone},
                      "line_items": [{"id": wc_id, "product_id": 7, "name": "Jamdani Saree", "quantity": 1,
                                      "price": "1500.00", "subtotal": "1500.00", "total": "1500.00"}]}}


def desk(page, wordpress):
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-orders")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#order-rows tr.order-row").first).to_be_visible()
    return frame


def slot(frame, wc_id):
    return frame.locator(f"#order-rows tr.order-row[data-wc-id='{wc_id}'] .fraud-slot")


def test_fraud_badge_on_the_order_desk(service, wordpress, sandboxes, browser, tmp_path):
    steadfast = sandboxes["steadfast"]
    steadfast.set_history("01711000111", total=11, delivered=7, cancelled=3)  # one parcel still on the way
    steadfast.set_history("01811000222", total=8, delivered=2, cancelled=6)
    page = licensed_admin(service, wordpress, browser, "fraud@e2e.test", viewport={"width": 1280, "height": 900})
    context = page.context
    token = wp_eval(wordpress, "echo get_option( 'bikri_token' );", tmp_path)
    assert token
    connect_steadfast(page, wordpress)

    # 1: an earlier order of the returner's, delivered; 2: their new one; 3: a doubtful number's.
    events = [event(1, RETURNER, "completed", 20), event(2, RETURNER, "processing", 0), event(3, DOUBTFUL, "processing", 0)]
    answer = requests.post(f"{service['url']}/api/v1/events", json={"events": events},
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert [r["status"] for r in answer.json()["results"]] == ["applied"] * 3, answer.text

    # Never checked: a grey badge on every row, and nothing was asked of Steadfast while the list drew.
    frame = desk(page, wordpress)
    for wc_id in (1, 2, 3):
        expect(slot(frame, wc_id).locator(".fraud-badge")).to_have_text("Not checked")
    assert sum(sum(a.fraud_checks.values()) for a in steadfast.accounts.values()) == 0

    # A click opens the check: Steadfast 7 delivered, 3 returned; this shop and Bikri 1 delivered.
    slot(frame, 2).locator("button.fraud-open").click()
    panel = slot(frame, 2).locator(".fraud-panel")
    expect(panel).to_be_visible()
    courier = panel.locator("tr.fraud-courier")
    expect(courier).to_contain_text("Steadfast")
    expect(courier.locator("td")).to_have_text(["7", "3", "70%"])
    expect(panel.locator("tr.fraud-shop td")).to_have_text(["1", "0", "100%"])
    expect(panel.locator("tr.fraud-network td")).to_have_text(["1", "0", "100%"])
    expect(panel).to_contain_text("Orders in this shop: 2; cancelled before delivery: 0.")
    # the verdict follows the largest history: Steadfast's ten parcels, not the shop's one
    expect(slot(frame, 2).locator("button.fraud-open .fraud-badge")).to_have_text("Medium risk · 70%")
    expect(panel.locator(".fraud-history li")).to_have_count(1)

    # Re-check: Steadfast now knows more parcels of the number.
    steadfast.set_history("01711000111", total=12, delivered=11, cancelled=1)
    panel.locator("button.fraud-recheck").click()
    panel = slot(frame, 2).locator(".fraud-panel")
    expect(panel.locator("tr.fraud-courier td")).to_have_text(["11", "1", "91%"])
    expect(slot(frame, 2).locator("button.fraud-open .fraud-badge")).to_have_text("Low risk · 91%")
    expect(slot(frame, 2).locator("button.fraud-open .fraud-badge")).to_have_class("badge fraud-badge fraud-low")
    expect(panel.locator(".fraud-history li")).to_have_count(2)

    # The risk is the customer's: both of the returner's orders show it after a reload; the doubtful one is high.
    frame = desk(page, wordpress)
    for wc_id in (1, 2):
        expect(slot(frame, wc_id).locator(".fraud-badge")).to_have_text("Low risk · 91%")
    slot(frame, 3).locator("button.fraud-open").click()
    expect(slot(frame, 3).locator("tr.fraud-courier td")).to_have_text(["2", "6", "25%"])
    expect(slot(frame, 3).locator("button.fraud-open .fraud-badge")).to_have_text("High risk · 25%")

    # Steadfast's daily allowance runs out: a re-check says so and still counts what Steadfast said
    # before, so the number stays high risk (it once turned into a "new customer" here).
    steadfast.fraud_limit = 0
    slot(frame, 3).locator("button.fraud-recheck").click()
    expect(slot(frame, 3).locator(".fraud-source-error")).to_contain_text("daily allowance")
    expect(slot(frame, 3).locator(".fraud-earlier")).to_contain_text("2 delivered and 6 returned")
    expect(slot(frame, 3).locator("button.fraud-open .fraud-badge")).to_have_text("High risk · 25%")
    steadfast.fraud_limit = 20
    ARTIFACTS.mkdir(exist_ok=True)
    slot(frame, 3).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "fraud-panel-1280.png"))

    # On a phone: the recent check is shown again (no new look-up) and the panel fits the width.
    looked_up = sum(sum(a.fraud_checks.values()) for a in steadfast.accounts.values())
    page.set_viewport_size({"width": 360, "height": 740})
    frame = desk(page, wordpress)
    slot(frame, 2).locator("button.fraud-open").click()
    panel = slot(frame, 2).locator(".fraud-panel")
    expect(panel).to_contain_text("A recent check, shown again.")
    assert sum(sum(a.fraud_checks.values()) for a in steadfast.accounts.values()) == looked_up
    box = panel.bounding_box()
    frame_box = page.locator("iframe.bikri-frame").bounding_box()
    assert box["x"] >= frame_box["x"] - 1 and box["x"] + box["width"] <= frame_box["x"] + frame_box["width"] + 1, (box, frame_box)
    wide = panel.evaluate("p => p.scrollWidth - p.clientWidth")
    assert wide <= 0, f"the panel's table is {wide}px wider than the panel"
    width = frame.locator("body").evaluate("b => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1] + 1, f"the desk scrolls sideways at 360px: {width}"
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "fraud-panel-360.png"))

    # Staff may open a check but not spend the courier's allowance on a re-check.
    wp_eval(wordpress, STAFF_USER, tmp_path)
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(staff, {**wordpress, "user": "fraud-staff", "password": "staff-pass-123"})
    frame = desk(staff, wordpress)
    slot(frame, 3).locator("button.fraud-open").click()
    expect(slot(frame, 3).locator(".fraud-panel tr.fraud-courier")).to_contain_text("Steadfast")
    expect(slot(frame, 3).locator("button.fraud-recheck")).to_have_count(0)
    staff.context.close()

    deactivate(page, wordpress)
    context.close()
