"""The order desk in real wp-admin (issue 5): Bikri → Orders in the iframe, filter by status and
search by phone, a bulk status change WooCommerce refuses for one order, a manual order refused
by Bikri's validation and then created, that order booked with Steadfast (sandbox) in one click
with its consignment id written to the WooCommerce order and shown on the desk (issue 6), and the
desk at 360 px and 1280 px.

STAND-IN, read this first: the test WordPress has NO WooCommerce. The service calls WooCommerce's
REST API at the shop's own URL (the URL the plugin activated with), so this test's WordPress
gets a must-use plugin (woocommerce_rest_stand_in.php) that forwards /wp-json/wc/v3/* to the
sandbox WooCommerce store (backend/sandbox/woocommerce.py) running in this process, with the
original Host header so the service's OAuth 1.0a signatures verify there, and returns its answer
unchanged. It also supplies WooCommerce's REST-key table and functions, so the plugin creates its
key at activation by its real code, and tells the sandbox every key that table holds. What is
real: WordPress, the plugin, its activation and key hand-over, the service on PostgreSQL under
gunicorn, the backfill, the desk, and Chromium. What is not: WooCommerce itself (the sandbox
copies its REST behaviour: auth, paging headers, batch with per-item errors).

Why not activate the site at the sandbox's URL instead: the service uses the site's URL for
the iframe's frame-ancestors and for links back into wp-admin, so the desk would then be
refused inside the real wp-admin; the shop's own URL must stay the site URL.
"""
import json
from decimal import Decimal

from playwright.sync_api import expect

from backend.phones import InvalidPhone, normalise_phone
from tests.e2e.conftest import ARTIFACTS, activate, sign_in, site_id_of

ORDERS = 60
SEED = 7  # the sandbox store (conftest.shop)
REFUSAL = ("bikri_test_courier_picked_up", "The courier has already picked this order up.")


def listed(frame) -> list[int]:
    return [int(v) for v in frame.locator("#order-rows tr.order-row").evaluate_all(
        "rows => rows.map(r => r.dataset.wcId)")]


def settled(frame):
    """htmx has no request in flight (a filter change can queue a second list request)."""
    expect(frame.locator(".htmx-request")).to_have_count(0)


def phone_of(store, order_id):
    try:
        return normalise_phone(store.order(order_id)["billing"]["phone"])
    except InvalidPhone:
        return None


def test_order_desk_in_wp_admin(service, shop_wordpress, shop, browser):
    store, wp = shop["store"], shop_wordpress["url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # --- activation with a CLI-made key: the plugin creates its REST key and hands it over
    sign_in(page, shop_wordpress)
    key = service["cli"]("licenses", "create", "--email", "desk@e2e.test", "--plan", "desk-plan").strip().splitlines()[-1]
    activate(page, shop_wordpress, key)
    expect(page.locator("body")).to_contain_text("desk-plan")
    site_id = site_id_of(service, wp)

    # --- backfill: the service reads the shop through wp-json/wc/v3 (the stand-in), with the plugin's key
    out = service["cli"]("sync", "backfill", str(site_id))
    assert "backfill done" in out, out
    assert [k for k in store.keys if k.startswith("ck_")], "the key the plugin created reached the store"
    live = [i for i in range(1, ORDERS + 1) if store.order(i)["status"] not in ("checkout-draft", "trash")]

    # --- Bikri → Orders, in the iframe
    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-orders")
    frame_element = page.locator("iframe.bikri-frame")
    assert frame_element.get_attribute("src").startswith(service["url"] + "/embed/orders?ticket=")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#order-rows tr.order-row").first).to_be_visible()
    expect(frame.locator("#desk-new")).to_be_hidden()  # no new-order banner (not even an empty pill) yet
    newest = sorted(live, key=lambda i: (store.created[i - 1], i), reverse=True)
    assert listed(frame) == newest[:50], "newest first, one page of 50"

    # --- filter by status
    processing = [i for i in newest if store.order(i)["status"] == "processing"]
    assert len(processing) >= 3, "the seed gives enough processing orders"
    frame.locator("#f-status").select_option("processing")
    expect(frame.locator("#order-rows tr.order-row")).to_have_count(len(processing))
    assert listed(frame) == processing

    # --- search by phone, typed differently from how the shopper typed it
    frame.locator("#f-status").select_option("")
    by_phone = {}
    for i in newest:
        if phone_of(store, i):
            by_phone.setdefault(phone_of(store, i), []).append(i)
    phone, wanted = max(by_phone.items(), key=lambda kv: len(kv[1]))
    typed = f"{phone[3:8]}-{phone[8:]}"  # 01XXX-XXXXXX
    frame.locator("#f-q").fill(typed)
    frame.locator("#f-q").press("Enter")
    expect(frame.locator("#order-rows tr.order-row")).to_have_count(len(wanted))
    assert listed(frame) == wanted
    frame.locator("#f-q").fill("")
    frame.locator("#f-status").select_option("processing")
    expect(frame.locator("#order-rows tr.order-row")).to_have_count(len(processing))
    settled(frame)

    # --- bulk status change; the shop refuses one of them (as a courier plugin hooked into WooCommerce would)
    chosen, refused = processing[:3], processing[1]
    store.refuse_status[refused] = REFUSAL
    before = store.requests
    for wc_id in chosen:
        frame.locator(f"#order-rows tr.order-row[data-wc-id='{wc_id}'] input[name=order]").check()
    # a new order arriving redraws the list (the poll fires orders-changed): the ticks survive it
    frame.locator("body").evaluate("b => htmx.trigger(b, 'orders-changed')")
    settled(frame)
    for wc_id in chosen:
        expect(frame.locator(f"#order-rows tr.order-row[data-wc-id='{wc_id}'] input[name=order]")).to_be_checked()
    frame.locator("#bulk-status").select_option("completed")
    frame.locator("#bulk-apply").click()
    results = frame.locator("#status-results")
    expect(results).to_contain_text("2 of 3 orders changed")
    expect(results.locator(f"li[data-wc-id='{refused}']")).to_contain_text(REFUSAL[1])
    # one batch call for the three orders, then a note on each of the two changed ("... from Bikri by ...")
    assert store.requests == before + 1 + 2, "one batch call for the three orders, one note per changed order"
    assert [store.order(i)["status"] for i in chosen] == ["completed", "processing", "completed"]
    # the list redraws: under "Processing" only the refused one of the three is left, its status unchanged
    expect(frame.locator("#order-rows tr.order-row")).to_have_count(len(processing) - 2)
    expect(frame.locator(f"#order-rows tr.order-row[data-wc-id='{refused}'] select.row-status")).to_have_value("processing")

    # --- a manual order, in the New-order dialog opened from the top of the desk: a validation
    # error first, nothing sent to WooCommerce
    total_before = store.total_orders()
    frame.locator("#new-order-open").click()
    expect(frame.locator("#new-order-dialog")).to_be_visible()
    form = frame.locator("#manual-order")
    form.locator("#m-name").fill("Nusrat Jahan")
    form.locator("#m-phone").fill("01712-34")
    form.locator("#m-address").fill("House 12, Road 4, Dhanmondi")
    form.locator("#m-district").select_option("BD-13")
    form.locator("select[name=product]").first.select_option("101")  # Jamdani Saree, ৳4,500
    form.locator("input[name=quantity]").first.fill("2")
    frame.locator("[data-add-row=discount-row-template]").click()
    form.locator("input[name=discount_value]").first.fill("10")
    form.locator("#m-shipping").fill("60")
    expect(frame.locator("#quote-total")).to_have_text("৳8,160.00")  # 9,000 − 10% + 60
    form.locator("button[type=submit]").click()
    phone_error = frame.locator("#m-phone + .field-error[data-field=phone]")
    expect(phone_error).to_be_visible()
    expect(frame.locator("#manual-order [role=alert]")).to_contain_text("not created")
    assert store.total_orders() == total_before, "nothing was created in WooCommerce"
    # what was typed is kept, the discount row too
    expect(frame.locator("#m-name")).to_have_value("Nusrat Jahan")
    expect(frame.locator("#manual-order input[name=discount_value]")).to_have_value("10")

    # --- fixed: created in WooCommerce with exactly the total shown
    frame.locator("#m-phone").fill("01712-345678")
    expect(frame.locator("#quote-total")).to_have_text("৳8,160.00")
    frame.locator("#manual-order button[type=submit]").click()
    created = frame.locator("#manual-created")
    expect(created).to_contain_text("Total ৳8,160.00")
    assert store.total_orders() == total_before + 1
    order = store.order(total_before + 1)
    assert Decimal(order["total"]) == Decimal("8160.00")
    assert order["billing"]["phone"] == "01712345678"
    assert order["status"] == "processing"
    expect(created).to_contain_text(f"#{order['number']}")
    expect(created.locator(".error-text")).to_have_count(0)  # the totals agree
    # the form is empty again and the new order is in the list
    expect(frame.locator("#m-name")).to_have_value("")
    expect(frame.locator(f"#order-rows tr.order-row[data-wc-id='{order['id']}']")).to_have_count(1)

    # --- C1/C2: connect Steadfast (the sandbox) on the Couriers page, then book the new order in one click
    from backend.sandbox.steadfast import API_KEY, SECRET_KEY

    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-couriers")
    couriers = page.frame_locator("iframe.bikri-frame")
    card = couriers.locator("#courier-steadfast")
    card.locator("input[name=api_key]").fill(API_KEY)
    card.locator("input[name=secret_key]").fill(SECRET_KEY)
    card.locator("button[type=submit]").first.click()
    expect(couriers.locator("#courier-steadfast")).to_have_attribute("data-connected", "1")
    couriers.locator("#default-courier").select_option("steadfast")
    couriers.locator("#courier-settings button[type=submit]").click()
    expect(couriers.locator("#default-courier")).to_have_value("steadfast")

    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-orders")
    frame = page.frame_locator("iframe.bikri-frame")
    row = frame.locator(f"#order-rows tr.order-row[data-wc-id='{order['id']}']")
    row.locator("button.book-one").click()
    booked = frame.locator(f"#status-results li.booking-booked[data-wc-id='{order['id']}']")
    expect(booked).to_be_visible()
    courier_data = json.loads({m["key"]: m["value"] for m in store.order(order["id"])["meta_data"]}["_courier_data"])
    assert courier_data["courier"] == "steadfast" and courier_data["consignment_id"], courier_data
    expect(booked).to_contain_text(str(courier_data["consignment_id"]))
    # the desk shows the consignment on the order, and a second click cannot book it again
    page.reload()
    frame = page.frame_locator("iframe.bikri-frame")
    row = frame.locator(f"#order-rows tr.order-row[data-wc-id='{order['id']}']")
    expect(row.locator(".consignment-id")).to_have_text(str(courier_data["consignment_id"]))
    expect(row.locator("button.book-one")).to_have_count(0)

    # --- the desk on a phone and on a desktop
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((360, 740), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{wp}/wp-admin/admin.php?page=bikri-orders")
        frame = page.frame_locator("iframe.bikri-frame")
        expect(frame.locator("#order-rows tr.order-row").first).to_be_visible()
        box = page.locator("iframe.bikri-frame").bounding_box()
        assert box["width"] >= width * 0.85, f"the frame is {box['width']}px wide in a {width}px window"
        body = frame.locator("body")
        if width == 360:
            wide = body.evaluate("""b => [...b.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right
                > document.documentElement.clientWidth + 1).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 10)""")
            scroll_width = body.evaluate("b => document.documentElement.scrollWidth")
            assert scroll_width <= box["width"] + 1, f"the desk scrolls sideways at 360px ({scroll_width}px): {wide}"
        page.screenshot(path=str(ARTIFACTS / f"orders-{width}.png"), full_page=True)
        # the frame scrolls inside itself: one more shot with the list, and one with the new-order form
        frame.locator("#desk-bulk").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(ARTIFACTS / f"orders-{width}-list.png"))
        frame.locator("#new-order-open").click()
        expect(frame.locator("#new-order-dialog")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"orders-{width}-new-order.png"))
    context.close()
