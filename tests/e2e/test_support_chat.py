"""Support chat (H2) in real wp-admin and the real console: the shop writes on a phone with a
screenshot, an operator on a laptop sees it arrive without reloading and answers, and the answer
reaches the shop's open page by itself; away from the Support page the chat icon counts it."""
import base64
import re

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, deactivate, licensed_admin

PHONE = {"width": 360, "height": 800}
LAPTOP = {"width": 1280, "height": 800}
# a real 1x1 PNG
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def test_a_shop_and_an_operator_chat_both_ways(service, wordpress, browser, tmp_path):
    page = licensed_admin(service, wordpress, browser, "support@e2e.test", viewport=PHONE)
    shop = page.context
    service["cli"]("operators", "create", "support-ops@e2e.test", "--password", "e2e-operator-password")

    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-support")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#bikri-support-link .bikri-bell-count")).to_have_text("0")
    screenshot = tmp_path / "screenshot.png"
    screenshot.write_bytes(PIXEL)
    frame.locator("#support-body").fill("Courier booking says 'unauthorised'. Screenshot attached.")
    frame.locator("#support-image").set_input_files(str(screenshot))
    frame.locator("#support-compose button[type=submit]").click()
    mine = frame.locator("#support-thread .chat-mine")
    expect(mine).to_contain_text("unauthorised")
    expect(mine.locator("img.chat-image")).to_have_js_property("naturalWidth", 1)  # the signed link loads
    expect(frame.locator("#support-body")).to_have_value("")
    width = frame.locator("body").evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert width[0] <= width[1] + 1, width

    # an operator on a laptop: the conversation is listed, unread; it opens with the image
    console = browser.new_context(viewport=LAPTOP).new_page()
    console.goto(f"{service['url']}/operator/login")
    console.fill("#email", "support-ops@e2e.test")
    console.fill("#password", "e2e-operator-password")
    console.locator("form [type=submit]").click()
    console.goto(f"{service['url']}/operator/support/")
    row = console.locator("#support-conversations tr.chat-unread")
    expect(row).to_have_count(1)
    row.locator("a").click()
    theirs = console.locator("#support-thread .chat-theirs")
    expect(theirs).to_contain_text("unauthorised")
    expect(theirs.locator("img.chat-image")).to_have_js_property("naturalWidth", 1)

    # the shop writes again while the operator's page is open: it arrives without a reload
    frame.locator("#support-body").fill("Also: the balance shows 0.")
    frame.locator("#support-compose button[type=submit]").click()
    expect(console.locator("#support-thread .chat-theirs").last).to_contain_text("balance shows 0", timeout=5000)

    console.locator("#support-body").fill("Your Steadfast API key was revoked; paste the new one on the Couriers page.")
    console.locator("#support-compose button[type=submit]").click()
    expect(console.locator("#support-thread .chat-mine").last).to_contain_text("Steadfast API key")
    # ... and reaches the shop's open page by itself, as "Bikri support"
    answer = frame.locator("#support-thread .chat-theirs").last
    expect(answer).to_contain_text("Steadfast API key", timeout=5000)
    expect(answer.locator(".chat-author")).to_have_text("Bikri support")
    page.screenshot(path=str(ARTIFACTS / "support-360.png"), full_page=True)
    console.screenshot(path=str(ARTIFACTS / "support-console-1280.png"), full_page=True)

    # another answer while the shop is elsewhere: the chat icon on every Bikri page counts it
    console.locator("#support-body").fill("Tell us when it works.")
    console.locator("#support-compose button[type=submit]").click()
    expect(console.locator("#support-thread .chat-mine").last).to_contain_text("Tell us")
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#bikri-support-link .bikri-bell-count")).to_have_text("1")
    frame.locator("#bikri-support-link").click()
    page.wait_for_url(re.compile(r"page=bikri-support"))
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#support-thread .chat-theirs").last).to_contain_text("Tell us when it works.")
    expect(frame.locator("#bikri-support-link .bikri-bell-count")).to_have_text("0")

    deactivate(page, wordpress)
    console.context.close()
    shop.close()
