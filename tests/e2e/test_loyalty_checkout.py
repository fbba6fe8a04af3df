"""Loyalty points (U2) in a real browser: the owner turns the programme on in Bikri's Loyalty page
(at 360 px and 1280 px), a customer has points from a delivered order, and at the WordPress
checkout stand-in (WooCommerce's hooks, the real plugin; see wp-plugin/tests/stand-ins/
checkout-page.php) the guest proves the phone with the checkout code, sees the balance, spends
points as a discount in the order review, and places the order; the order carries the hold, the
plugin's queued job ties it to the order, and when the order reaches the service the hold is a
redemption. The license is deactivated at the end.
"""
import json

import requests
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, deactivate, licensed_admin
from tests.e2e.test_abandoned_checkout import no_sideways_scroll
from tests.e2e.test_otp_checkout import fill_checkout, last_code, texts_to

PHONE = "+8801711234567"


def shop_python(service, code: str) -> str:
    """Run in the service with `site` the shop this test activated (the newest site)."""
    return service["python"]("from sqlalchemy import select\nfrom backend.licensing.models import Site\n"
                             "site = db.session.execute(select(Site).order_by(Site.id.desc()).limit(1)).scalar_one()\n"
                             + code).strip()


def store_order(service, wc_id: int, status: str, total: str) -> None:
    order = {"id": wc_id, "status": status, "date_created_gmt": "2026-12-01T06:00:00",
             "date_modified_gmt": "2026-12-01T06:00:00", "total": total, "shipping_total": "60.00",
             "billing": {"first_name": "Rahim", "phone": "01711234567"},
             "line_items": [{"id": wc_id * 10, "name": "Saree", "product_id": 101, "quantity": 1, "price": total,
                             "subtotal": total, "total": total}]}
    shop_python(service, "import json\nfrom backend.orders.service import upsert_orders\n"
                         f"upsert_orders(site.id, [json.loads({json.dumps(order)!r})])\n"
                         "db.session.commit()")


def points_of(service) -> str:
    return shop_python(service, "from backend.loyalty.ledger import balance_of, ledger_sum\n"
                                f"print(balance_of(site.id, {PHONE!r}), ledger_sum(site.id, {PHONE!r}))")


def test_points_redeemed_at_the_checkout(service, wordpress, sandboxes, browser):
    wp = wordpress["url"]
    admin = licensed_admin(service, wordpress, browser, "loyalty@e2e.test", viewport={"width": 1280, "height": 900})
    admin_context = admin.context
    service["cli"]("sms", "credit", wp, "10")

    # Checkout codes on: a guest proves the phone with one before spending points.
    admin.goto(f"{wp}/wp-admin/admin.php?page=bikri-checkout")
    frame = admin.frame_locator("iframe.bikri-frame")
    frame.locator("#otp-enabled").check()
    frame.locator("#checkout-settings button[type=submit]").click()
    expect(frame.locator("#checkout-settings")).to_contain_text("Saved.")

    # The Loyalty page: 10 points per 100 ৳, a point worth 1 ৳, at least 50 at once.
    admin.goto(f"{wp}/wp-admin/admin.php?page=bikri-loyalty")
    frame = admin.frame_locator("iframe.bikri-frame")
    frame.locator("input[name=enabled]").check()
    frame.locator("#loyalty-rate").fill("10")
    frame.locator("#loyalty-value").fill("1")
    frame.locator("#loyalty-min").fill("50")
    frame.locator("#loyalty-settings button[type=submit]").click()
    expect(frame.locator("#loyalty-settings")).to_contain_text("Saved.")
    # the frame told wp-admin, which pulled the checkout copy (points on) at once
    expect(admin.locator("html[data-bikri-synced=ok]")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (360, 1280):
        admin.set_viewport_size({"width": width, "height": 900})
        no_sideways_scroll(frame, f"the Loyalty page at {width}px")
        admin.screenshot(path=str(ARTIFACTS / f"loyalty-settings-{width}.png"), full_page=True)

    # The customer's earlier order was delivered: 1,260 ৳ less 60 shipping, 12 hundreds, 120 points.
    store_order(service, 501, "completed", "1260.00")
    assert points_of(service) == "120 120"

    # The guest at the checkout: the box asks for the code first.
    shopper = browser.new_context(viewport={"width": 360, "height": 1000}).new_page()
    shopper.goto(f"{wp}/checkout-stand-in/")
    box = shopper.locator("#bikri-loyalty")
    expect(box).to_be_visible()
    fill_checkout(shopper, "01711-234567")
    box.locator(".bikri-loyalty__show").click()
    expect(box.locator(".bikri-loyalty__status")).to_contain_text("Confirm your mobile number")
    known = len(texts_to(sandboxes, "8801711234567"))
    shopper.locator(".bikri-otp__send").click()
    shopper.fill("#bikri-otp-code", last_code(sandboxes, "8801711234567", known))
    shopper.locator("#bikri-otp-code").press("Enter")
    expect(shopper.locator(".bikri-otp__status")).to_contain_text("Mobile number confirmed")

    box.locator(".bikri-loyalty__show").click()
    expect(box.locator(".bikri-loyalty__status")).to_contain_text("You have 120 points, worth 120.00")
    shopper.fill("#bikri-loyalty-points", "500")
    box.locator(".bikri-loyalty__use").click()
    expect(box.locator(".bikri-loyalty__status")).to_contain_text("Not enough points: you have 120.")
    shopper.fill("#bikri-loyalty-points", "100")
    box.locator(".bikri-loyalty__use").click()
    expect(box.locator(".bikri-loyalty__status")).to_contain_text("100 points applied: 100.00 ৳ off.")
    # the order review redraws with the discount (update_checkout), as WooCommerce's does
    expect(shopper.locator("#order_review tr.fee")).to_contain_text("-100.00")
    expect(shopper.locator("#order_review .order-total-amount")).to_have_text("4460.00")
    assert points_of(service) == "20 20"  # set aside at once: no second checkout can spend them
    for width in (360, 1280):
        shopper.set_viewport_size({"width": width, "height": 1000})
        shopper.screenshot(path=str(ARTIFACTS / f"loyalty-checkout-{width}.png"), full_page=True)

    shopper.locator("#place_order").click()
    received = shopper.locator("#order-received")
    expect(received).to_contain_text("Paid with 100 loyalty points (100.00 ৳).")
    hold = received.get_attribute("data-loyalty-hold")
    order_id = int(received.get_attribute("data-order-id"))
    assert hold

    # The plugin's queued job ties the hold to the order (WP-cron), then the order reaches the service.
    requests.get(f"{wp}/wp-cron.php", timeout=30)
    store_order(service, order_id, "processing", "4460.00")
    status = shop_python(service, "from backend.loyalty.models import LoyaltyHold\n"
                                  f"h = db.session.execute(select(LoyaltyHold).where(LoyaltyHold.token == {hold!r})).scalar_one()\n"
                                  "print(h.status, h.order_wc_id, h.points)")
    assert status == f"redeemed {order_id} 100"
    assert points_of(service) == "20 20"

    # The customer's page shows the points and the ledger.
    admin.set_viewport_size({"width": 1280, "height": 900})
    customer_id = shop_python(service, "from backend.customers.models import CustomerStats\n"
                                       "print(db.session.execute(select(CustomerStats.customer_id).where("
                                       f"CustomerStats.site_id == site.id, CustomerStats.phone == {PHONE!r})).scalar_one())")
    admin.goto(f"{wp}/wp-admin/admin.php?page=bikri-customers")
    frame = admin.frame_locator("iframe.bikri-frame")
    frame.locator(f"[hx-get$='/c/{customer_id}'], a[href$='/c/{customer_id}']").first.click()
    expect(frame.locator("#loyalty-points")).to_contain_text("Spent at checkout")
    expect(frame.locator("#loyalty-points strong")).to_have_text("20")

    deactivate(admin, wordpress)
    shopper.context.close()
    admin_context.close()
