"""H2 in real WordPress and Chromium: the owner switches the chat box on in the Live chat page
(wp-admin pulls the plugin's copy at once), a shopper on the storefront writes, the message shows
in the inbox within seconds, the staff's answer reaches the shopper's box. The storefront
(http://127.0.0.1) and the service (http://localhost) are different sites: the box's requests are
cross-origin, as for real shops. The shared WordPress is left without a license."""
import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, licensed_admin

PHONE = {"width": 360, "height": 800}


def test_a_shopper_chats_with_the_shop(service, wordpress, browser):
    admin = licensed_admin(service, wordpress, browser, "chat@e2e.test", viewport=PHONE)
    staff = admin.context
    shopper = None
    try:
        admin.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-livechat")
        frame = admin.frame_locator("iframe.bikri-frame")
        frame.locator("#chat-enabled").check()
        frame.locator("#chat-greeting").fill("Ask us about any saree")
        frame.locator("#chat-settings button[type=submit]").click()
        expect(frame.locator("#chat-settings .notice-success")).to_be_visible()
        # the frame told wp-admin; WordPress pulled its copy of the settings at once
        expect(admin.locator("html")).to_have_attribute("data-bikri-synced", "ok")
        expect(frame.locator("#chat-empty")).to_be_visible()

        shopper = browser.new_context(viewport=PHONE)
        store = shopper.new_page()
        service_calls = []
        store.on("request", lambda r: service_calls.append(r.url) if r.url.startswith(service["url"]) else None)
        store.goto(f"{wordpress['url']}/")
        launcher = store.locator("#bikri-live-chat .bikri-chat-launcher")
        expect(launcher).to_be_visible()
        assert store.locator('script[src*="live-chat.js"]').evaluate("s => s.defer") is True
        assert service_calls == [], "the page view asked the service"
        launcher.click()
        box = store.locator("#bikri-live-chat .bikri-chat-panel")
        expect(box.locator(".bikri-chat-greeting")).to_have_text("Ask us about any saree")
        expect(box.locator(".bikri-chat-away")).to_be_hidden()  # the inbox is open in wp-admin
        box.locator("input[type=text]").fill("Nasrin")
        box.locator("textarea").fill("Is the red Jamdani <b>in stock</b>?")
        sent = time.monotonic()
        box.locator("button[type=submit]").click()
        expect(box.locator(".bikri-chat-you .bikri-chat-text")).to_have_text("Is the red Jamdani <b>in stock</b>?")

        # in the inbox within a few seconds (it asks every 1.5 s), unread
        row = frame.locator(".chat-list li.chat-unread")
        expect(row).to_contain_text("Nasrin", timeout=10000)
        to_staff = time.monotonic() - sent
        row.locator("a").click()
        expect(frame.locator("#chat-messages")).to_contain_text("Is the red Jamdani <b>in stock</b>?")
        expect(frame.locator(".chat-inbox")).to_be_hidden()  # on a phone the conversation takes the screen
        frame.locator("#chat-reply-text").fill("Yes, in M and L")
        answered = time.monotonic()
        frame.locator(".chat-reply button[type=submit]").click()
        expect(box.locator(".bikri-chat-shop .bikri-chat-text")).to_have_text("Yes, in M and L", timeout=10000)
        to_shopper = time.monotonic() - answered
        # the shopper writes again: the open conversation picks it up (its own poller), unread nowhere
        box.locator("textarea").fill("I'll take M")
        box.locator("button[type=submit]").click()
        expect(frame.locator("#chat-messages li").last).to_contain_text("I'll take M", timeout=10000)
        width = frame.locator("body").evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert width[0] <= width[1] + 1, width
        admin.screenshot(path=str(ARTIFACTS / "livechat-inbox-360.png"), full_page=True)
        store.screenshot(path=str(ARTIFACTS / "livechat-box-360.png"))
        print(f"\nshopper -> inbox {to_staff:.1f} s, staff -> shopper {to_shopper:.1f} s (target: within 2 s of polling, "
              "plus the browsers' rendering on a loaded machine)")

        frame.locator("[data-chat-back]").click()  # back to the list on a phone
        expect(frame.locator(".chat-inbox")).to_be_visible()
        expect(frame.locator(".chat-list li.chat-unread")).to_have_count(0)

        # the shopper's next page carries on with the same conversation
        store.goto(f"{wordpress['url']}/?p=1")
        expect(store.locator("#bikri-live-chat .bikri-chat-panel .bikri-chat-shop")).to_have_text(re.compile("Yes, in M and L"))
    finally:
        if shopper is not None:
            shopper.close()
        admin.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-license")
        if admin.locator("#bikri-deactivate").count():
            admin.locator("#bikri-deactivate").click()
            admin.wait_for_load_state()
        staff.close()
