"""Checkout protection in a real browser, against real WordPress (plugin from dist/bikri.zip), the
service under gunicorn and the sandbox SMS gateway.

WooCommerce cannot be installed here, so the shopper's checkout is a stand-in page that renders
a checkout form and fires WooCommerce's own checkout hooks, and the block checkout is a
stand-in of the Store API's checkout route with WooCommerce's request and RouteException
(wp-plugin/tests/stand-ins/checkout-page.php). Everything Bikri does there is the real plugin.

The admin switches OTP on (only once the wallet has money: S8), the shopper meets the code
widget, Enter is pressed in every field (F4), the server refuses the order without a code
(also with JavaScript off), a code arrives through the wallet, the order goes through on
both checkouts, a blacklisted number sees the shop's Bangla message, and the order shows in
the OTP report.
"""
import hashlib
import hmac
import json
import re
import time

import psycopg
import requests
from playwright.sync_api import expect

from backend.security import b64url, b64url_decode
from tests.e2e.conftest import ARTIFACTS, licensed_admin, wp_eval

FIELDS = ["#billing_first_name", "#billing_last_name", "#billing_phone", "#billing_email", "#billing_address_1",
          "#billing_city", "#billing_postcode", "#billing_state", "#order_comments", "#terms"]
BLOCKED_MESSAGE = "দুঃখিত, এই নম্বর থেকে অনলাইনে অর্ডার নেওয়া যাচ্ছে না। দোকানে ফোন করুন।"
STORE_API = """async ([phone]) => {
  const response = await fetch('/?rest_route=/wc/store/v1/checkout', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({billing_address: {phone: phone, email: 'shopper@example.com'}, payment_method: 'cod'})});
  return {status: response.status, body: await response.json()};
}"""


def forged_proofs(service, phone, session):
    """Version 1 proofs, made from nothing but the service's database: one per stored token hash."""
    with psycopg.connect(service["database_url"]) as conn:
        hashes = [row[0] for row in conn.execute("SELECT token_hash FROM sites WHERE token_hash IS NOT NULL")]
    assert hashes
    body = b64url(json.dumps({"v": 1, "p": phone, "sid": session, "m": "verified", "exp": int(time.time()) + 600,
                              "n": "leaked-database"}).encode())
    return [body + "." + b64url(hmac.new(hmac.new(token_hash.encode(), b"bikri-otp-proof-v1", hashlib.sha256).digest(),
                                         body.encode(), hashlib.sha256).digest())
            for token_hash in hashes]


def texts_to(sandboxes, msisdn) -> list[str]:
    """What the session's sandbox gateway got for `msisdn`, oldest first (other tests' too)."""
    return [m["sms"] for m in list(sandboxes["sms"].sent.values()) if m["msisdn"] == msisdn]


def last_code(sandboxes, msisdn, known: int, seconds=15.0):
    """The code in the first text to `msisdn` after the `known` ones: a worker sends it (the otp
    lane), so it arrives a moment after the service answered, and the gateway is shared by the
    session's tests (an older code for the same number must not be taken for it)."""
    deadline = time.monotonic() + seconds
    while True:
        texts = texts_to(sandboxes, msisdn)
        if len(texts) > known or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(texts) > known, f"no new code reached the gateway for {msisdn} within {seconds:.0f}s"
    return re.search(r"\d{6}", texts[known]).group(0)


def confirm_with_the_texted_code(page, sandboxes, msisdn):
    """The checkout's code box: send a code, type the one the gateway got for `msisdn`, and see
    the number confirmed."""
    known = len(texts_to(sandboxes, msisdn))
    page.locator(".bikri-otp__send").click()
    page.fill("#bikri-otp-code", last_code(sandboxes, msisdn, known))
    page.locator("#bikri-otp-code").press("Enter")
    expect(page.locator(".bikri-otp__status")).to_contain_text("Mobile number confirmed")


def fill_checkout(page, phone):
    page.fill("#billing_first_name", "Rahim")
    page.fill("#billing_last_name", "Uddin")
    page.fill("#billing_phone", phone)
    page.fill("#billing_email", "rahim@example.com")
    page.fill("#billing_address_1", "House 12, Road 5")
    page.fill("#billing_city", "Dhaka")
    page.fill("#billing_postcode", "1207")


def press_enter_everywhere(page, selectors):
    for selector in selectors:
        page.locator(selector).focus()
        page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # a submission would have started by now


CHECKOUT_BLOCK = ('<!-- wp:woocommerce/checkout {"showPhoneField":true,"requirePhoneField":false} -->'
                  '<div class="wp-block-woocommerce-checkout alignwide wc-block-checkout is-loading"></div>'
                  '<!-- /wp:woocommerce/checkout -->')


def block_checkout_page(wordpress, tmp_path) -> str:
    """A page of its own holding the Checkout block, the shop's phone left optional: not
    WooCommerce's checkout page, so is_checkout() is false there. Its URL."""
    return wp_eval(wordpress, f"""
$id = wp_insert_post(array('post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Order now',
    'post_content' => {CHECKOUT_BLOCK!r}));
echo get_permalink($id);
""", tmp_path)


def test_otp_checkout_end_to_end(service, wordpress, sandboxes, browser, tmp_path):
    wp = wordpress["url"]
    admin = licensed_admin(service, wordpress, browser, "checkout@e2e.test", viewport={"width": 1280, "height": 900})
    admin_context = admin.context

    # S8: without SMS balance the switch is disabled, beside the balance and a Recharge link.
    admin.goto(f"{wp}/wp-admin/admin.php?page=bikri-checkout")
    frame = admin.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#otp-enabled")).to_be_disabled()
    expect(frame.locator("#otp-needs-balance")).to_be_visible()
    expect(frame.locator("#otp-switch a[href*='page=bikri-sms']")).to_have_count(1)
    service["cli"]("sms", "credit", wp, "10")
    admin.reload()
    frame = admin.frame_locator("iframe.bikri-frame")
    frame.locator("#otp-enabled").check()
    frame.locator("#blacklist-message").fill(BLOCKED_MESSAGE)
    frame.locator("#checkout-settings button[type=submit]").click()
    expect(frame.locator("#checkout-settings")).to_contain_text("Saved.")
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "checkout-settings-1280.png"), full_page=True)
    # the frame told wp-admin, which pulled the new settings at once (not at the next 5-minute pull)
    expect(admin.locator("html[data-bikri-synced=ok]")).to_have_count(1)

    # The shopper's checkout, with the code widget under the phone field.
    shopper_context = browser.new_context(viewport={"width": 1280, "height": 1000})
    shop = shopper_context.new_page()
    submissions = []
    shop.on("request", lambda r: submissions.append(r.url) if r.method == "POST" and "checkout-stand-in" in r.url else None)
    shop.goto(f"{wp}/checkout-stand-in/")
    expect(shop.locator("#billing_phone_field + #bikri-otp")).to_be_visible()
    fill_checkout(shop, "01711-234567")

    # F4: Enter in any field never submits the form.
    press_enter_everywhere(shop, FIELDS)
    assert submissions == [] and shop.url == f"{wp}/checkout-stand-in/"

    # Pressing "Place order" without a code: the server refuses.
    shop.locator("#place_order").click()
    expect(shop.locator(".woocommerce-error li[data-code=bikri_otp_required]")).to_contain_text("Confirm your mobile number")
    submissions.clear()

    # Send a code: it goes through the shop's wallet to the sandbox gateway.
    known = len(texts_to(sandboxes, "8801711234567"))
    shop.locator(".bikri-otp__send").click()
    expect(shop.locator(".bikri-otp__status")).to_contain_text("We sent a 6-digit code to 01711234567")
    expect(shop.locator(".bikri-otp__send")).to_be_disabled()  # the cooldown counts down
    expect(shop.locator(".bikri-otp__send")).to_contain_text("New code in")
    code = last_code(sandboxes, "8801711234567", known)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    shop.fill("#bikri-otp-code", wrong)
    shop.locator("#bikri-otp-code").press("Enter")  # Enter in the code box confirms it, never submits
    expect(shop.locator(".bikri-otp__status")).to_contain_text("4 tries left")
    shop.fill("#bikri-otp-code", code)
    shop.locator("#bikri-otp-code").press("Enter")
    expect(shop.locator(".bikri-otp__status")).to_contain_text("Mobile number confirmed")
    press_enter_everywhere(shop, FIELDS)
    assert submissions == [], "Enter submitted the checkout"
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (360, 1280):
        shop.set_viewport_size({"width": width, "height": 1000})
        shop.screenshot(path=str(ARTIFACTS / f"checkout-otp-{width}.png"), full_page=True)

    # Back on the page later, the number confirmed in this session needs no new code.
    sent_so_far = len(sandboxes["sms"].sent)
    shop.goto(f"{wp}/checkout-stand-in/")
    shop.fill("#billing_phone", "+880 1711-234567")
    expect(shop.locator(".bikri-otp__status")).to_contain_text("Mobile number confirmed")
    fill_checkout(shop, "01711-234567")
    assert len(sandboxes["sms"].sent) == sent_so_far

    # The block checkout (Store API) in the same browser session: the verified phone counts, another does not.
    verified = shop.evaluate(STORE_API, ["01711234567"])
    assert verified["status"] == 200 and verified["body"]["bikri_otp"] == "verified", verified
    other = shop.evaluate(STORE_API, ["01911234567"])
    assert other["status"] == 400 and other["body"]["code"] == "bikri_otp_required", other

    # The plugin got its export key with the activation, so its proof is version 2, signed with
    # that key; a proof made from what the service's database holds (version 1, keyed from the
    # site's token hash) does not open the checkout.
    cookies = {c["name"]: c["value"] for c in shopper_context.cookies()}
    assert json.loads(b64url_decode(cookies["bikri_otp_proof"].split(".")[0]))["v"] == 2
    forged_page = browser.new_context().new_page()
    forged_page.goto(f"{wp}/checkout-stand-in/")
    for proof in forged_proofs(service, "+8801711234567", "f" * 32):
        forged_page.context.add_cookies([{"name": "bikri_checkout_session", "value": "f" * 32, "url": wp},
                                         {"name": "bikri_otp_proof", "value": proof, "url": wp}])
        forged = forged_page.evaluate(STORE_API, ["01711234567"])
        assert forged["status"] == 400 and forged["body"]["code"] == "bikri_otp_required", forged
    forged_page.context.close()

    # The classic checkout places the order, marked verified.
    shop.locator("#place_order").click()
    expect(shop.locator("#order-received")).to_have_attribute("data-otp", "verified")
    expect(shop.locator("#order-notes")).to_contain_text("Phone verified with an SMS code.")

    # The Checkout block on a page of its own: the code box is there, the phone is no longer
    # "optional", and once the code is confirmed the earlier refusal's red banner goes away.
    block_url = block_checkout_page(wordpress, tmp_path)
    block = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    block.goto(block_url)
    expect(block.locator(".wp-block-woocommerce-checkout")).to_have_attribute("data-require-phone-field", "true")
    expect(block.locator("label[for=billing-phone]")).to_have_text("Phone")
    expect(block.locator("#bikri-otp")).to_be_visible()
    block.fill("#billing-phone", "01911-234567")
    block.locator(".wc-block-components-checkout-place-order-button").click()
    banner = block.locator(".wc-block-components-notice-banner.is-error")
    expect(banner).to_have_attribute("data-id", "bikri_otp_required")
    expect(banner).to_contain_text("Confirm your mobile number")
    known = len(texts_to(sandboxes, "8801911234567"))
    block.locator(".bikri-otp__send").click()
    expect(block.locator(".bikri-otp__status")).to_contain_text("We sent a 6-digit code to 01911234567")
    block.fill("#bikri-otp-code", last_code(sandboxes, "8801911234567", known))
    block.locator("#bikri-otp-code").press("Enter")
    expect(block.locator(".bikri-otp__status")).to_contain_text("Mobile number confirmed")
    expect(banner).to_have_count(0)
    block.screenshot(path=str(ARTIFACTS / "checkout-block-confirmed-1280.png"), full_page=True)
    block.locator(".wc-block-components-checkout-place-order-button").click()
    expect(block.locator(".wc-block-order-received")).to_have_attribute("data-otp", "verified")
    block.context.close()

    # With JavaScript off there is no widget, Enter submits, and the server still refuses.
    no_js = browser.new_context(java_script_enabled=False).new_page()
    no_js.goto(f"{wp}/checkout-stand-in/")
    fill_checkout(no_js, "01711-234567")
    no_js.locator("#billing_city").press("Enter")
    expect(no_js.locator(".woocommerce-error li[data-code=bikri_otp_required]")).to_be_visible()
    no_js.context.close()

    # The AJAX endpoints refuse a forged nonce (and never show the token).
    forged = requests.post(f"{wp}/wp-admin/admin-ajax.php", data={"action": "bikri_otp_send", "nonce": "forged", "phone": "01711234567"})
    assert forged.status_code == 403 and forged.json()["data"]["code"] == "bikri_bad_nonce"

    # Blacklist: added in wp-admin, pulled at once, and the shopper meets the shop's own message.
    admin.goto(f"{wp}/wp-admin/admin.php?page=bikri-blacklist")
    frame = admin.frame_locator("iframe.bikri-frame")
    frame.locator("#bl-value").fill("01811-111111")
    frame.locator("#bl-reason").fill("ভুয়া অর্ডার")
    frame.locator("#blacklist-add button[type=submit]").click()
    expect(frame.locator("#blacklist-add-result")).to_contain_text("Blocked: +8801811111111")
    expect(frame.locator("#blacklist-table")).to_contain_text("ভুয়া অর্ডার")
    expect(admin.locator("html[data-bikri-synced=ok]")).to_have_count(1)
    blocked = browser.new_context().new_page()
    blocked.goto(f"{wp}/checkout-stand-in/")
    fill_checkout(blocked, "01811111111")
    blocked.locator(".bikri-otp__send").click()
    expect(blocked.locator(".bikri-otp__status")).to_contain_text(BLOCKED_MESSAGE)  # no SMS spent on it
    blocked.locator("#place_order").click()
    expect(blocked.locator(".woocommerce-error li[data-code=bikri_blocked]")).to_have_text(BLOCKED_MESSAGE)
    blocked.screenshot(path=str(ARTIFACTS / "checkout-blocked.png"), full_page=True)
    blocked.context.close()
    assert not [m for m in sandboxes["sms"].sent.values() if m["msisdn"] == "8801811111111"]

    # The order reached the service (queued, sent by WP-cron), and the OTP report shows it.
    # (without ?doing_wp_cron: WordPress only honours that value when it set the lock itself)
    requests.get(f"{wp}/wp-cron.php", timeout=30)
    admin.goto(f"{wp}/wp-admin/admin.php?page=bikri-otp-report")
    frame = admin.frame_locator("iframe.bikri-frame")
    row = frame.locator("tr[data-phone='+8801711234567']")
    expect(row).to_have_attribute("data-state", "completed")
    expect(row).to_have_attribute("data-orders", "1")
    with admin.expect_download() as download:
        frame.locator("#report-csv").click()
    csv_text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "+8801711234567,Completed OTP,1," in csv_text
    admin.screenshot(path=str(ARTIFACTS / "otp-report-1280.png"), full_page=True)
    shopper_context.close()
    admin_context.close()
