"""Loyalty points (U2) in a real browser: the owner turns the programme on in Bikri's Loyalty page
(at 360 px and 1280 px), a customer has points from a delivered order, and at the WordPress
checkout stand-in (WooCommerce's hooks, the real plugin; see wp-plugin/tests/stand-ins/
checkout-page.php) the guest proves the phone with the checkout code, sees the balance, spends
points as a discount in the order review, and places the order; the order carries the hold, the
plugin's queued job ties it to the order, and when the order reaches the service the hold is a
redemption. The license is deactivated at the end.

The same at the Checkout block (test_points_redeemed_at_the_block_checkout): a page holding the
block, drawn by the stand-in's block script with WordPress's own React, SlotFill and PluginArea
and WooCommerce Blocks' extension points stood in (the integration registry, wcSettings,
ExperimentalOrderMeta, extensionCartUpdate and the Store API's cart/extensions route); the box is
the plugin's real block script.
"""
import json

import requests
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, activate, deactivate, new_license, sign_in
from tests.e2e.test_abandoned_checkout import no_sideways_scroll
from tests.e2e.test_otp_checkout import block_checkout_page, confirm_with_the_texted_code, fill_checkout

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


def hold_once_the_order_arrives(service, wp, hold: str, order_id: int, total: str) -> str:
    """The plugin's queued job ties the hold to the order (WP-cron), then the order reaches the
    service: the hold's "status order points" there."""
    requests.get(f"{wp}/wp-cron.php", timeout=30)
    store_order(service, order_id, "processing", total)
    return shop_python(service, "from backend.loyalty.models import LoyaltyHold\n"
                                f"h = db.session.execute(select(LoyaltyHold).where(LoyaltyHold.token == {hold!r})).scalar_one()\n"
                                "print(h.status, h.order_wc_id, h.points)")


def shop_offering_points(service, wordpress, admin, email: str):
    """Activates a license, turns checkout codes on and the programme on (10 points per 100 ৳,
    a point worth 1 ৳, at least 50 at once); leaves `admin` on the Loyalty page."""
    wp = wordpress["url"]
    sign_in(admin, wordpress)
    activate(admin, wordpress, new_license(service, email))
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
    return frame


def test_points_redeemed_at_the_checkout(service, wordpress, sandboxes, browser):
    wp = wordpress["url"]
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    frame = shop_offering_points(service, wordpress, admin, "loyalty@e2e.test")
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
    confirm_with_the_texted_code(shopper, sandboxes, "8801711234567")

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

    status = hold_once_the_order_arrives(service, wp, hold, order_id, "4460.00")
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


def test_points_redeemed_at_the_block_checkout(service, wordpress, sandboxes, browser, tmp_path):
    wp = wordpress["url"]
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    try:
        shop_offering_points(service, wordpress, admin, "loyalty-block@e2e.test")
        # The site keeps its customers across licenses: what the other test left, and 140 more.
        before = int(points_of(service).split()[0])
        store_order(service, 601, "completed", "1460.00")  # 1,400 ৳ less shipping: 140 points
        start = before + 140
        assert points_of(service) == f"{start} {start}"

        # A guest on a page holding the Checkout block: the box sits in the order summary.
        shopper = browser.new_context(viewport={"width": 360, "height": 1000}).new_page()
        shopper.goto(block_checkout_page(wordpress, tmp_path))
        box = shopper.locator(".wc-block-components-sidebar #bikri-loyalty-block")
        expect(box).to_be_visible()
        expect(shopper.locator(".wc-block-components-totals-footer-item")).to_contain_text("4560.00")
        box.locator(".bikri-loyalty__show").click()
        expect(box.locator(".bikri-loyalty__status")).to_contain_text("Confirm your mobile number")

        shopper.fill("#billing-phone", "01711-234567")
        confirm_with_the_texted_code(shopper, sandboxes, "8801711234567")

        box.locator(".bikri-loyalty__show").click()
        expect(box.locator(".bikri-loyalty__status")).to_contain_text(f"You have {start} points, worth {start}.00")
        expect(box.locator("#bikri-loyalty-points")).to_have_value(str(start))
        shopper.fill("#bikri-loyalty-points", "500")
        box.locator(".bikri-loyalty__use").click()
        expect(box.locator(".bikri-loyalty__status.is-error")).to_contain_text(f"Not enough points: you have {start}.")
        shopper.fill("#bikri-loyalty-points", "100")
        box.locator(".bikri-loyalty__use").click()
        expect(box.locator(".bikri-loyalty__status")).to_contain_text("100 points applied: 100.00 ৳ off.")
        # the block redraws its totals from the cart the Store API answered
        fee = shopper.locator(".wc-block-components-totals-fees")
        expect(fee).to_contain_text("Loyalty points")
        expect(fee).to_contain_text("-100.00")
        expect(shopper.locator(".wc-block-components-totals-footer-item")).to_contain_text("4460.00")
        assert points_of(service) == f"{start - 100} {start - 100}"  # set aside at once
        for width in (360, 1280):
            shopper.set_viewport_size({"width": width, "height": 1000})
            shopper.screenshot(path=str(ARTIFACTS / f"loyalty-checkout-block-{width}.png"), full_page=True)

        # Reloaded, the box still shows the points applied (the cart's data, from the session).
        shopper.reload()
        expect(box.locator(".bikri-loyalty__status")).to_contain_text("100 points applied: 100.00 ৳ off.")
        box.locator(".bikri-loyalty__remove").click()
        expect(box.locator(".bikri-loyalty__status")).to_contain_text("Points removed.")
        expect(fee).to_have_count(0)
        expect(shopper.locator(".wc-block-components-totals-footer-item")).to_contain_text("4560.00")
        assert points_of(service) == f"{start} {start}"  # given back at once

        box.locator(".bikri-loyalty__show").click()
        shopper.fill("#billing-phone", "01711-234567")  # the stand-in block keeps no field over a reload
        shopper.fill("#bikri-loyalty-points", "60")
        box.locator(".bikri-loyalty__use").click()
        expect(fee).to_contain_text("-60.00")
        shopper.locator(".wc-block-components-checkout-place-order-button").click()
        received = shopper.locator(".wc-block-order-received")
        expect(received).to_have_attribute("data-otp", "verified")
        hold = received.get_attribute("data-loyalty-hold")
        order_id = int(received.get_attribute("data-order-id"))
        assert hold

        status = hold_once_the_order_arrives(service, wp, hold, order_id, "4500.00")
        assert status == f"redeemed {order_id} 60"
        assert points_of(service) == f"{start - 60} {start - 60}"
        shopper.context.close()
    finally:
        deactivate(admin, wordpress)
        admin_context.close()
