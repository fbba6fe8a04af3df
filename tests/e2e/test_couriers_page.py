"""The Couriers page in real wp-admin: refused keys save nothing, accepted keys show the balance
and are never shown back; defaults saved; the report draws; 360 px and 1280 px screenshots."""
from playwright.sync_api import expect

from backend.sandbox.steadfast import API_KEY, SECRET_KEY
from tests.e2e.conftest import ARTIFACTS, deactivate, licensed_admin


def test_connect_steadfast_and_set_defaults(service, wordpress, sandboxes, browser):
    page = licensed_admin(service, wordpress, browser, "couriers@e2e.test", viewport={"width": 1280, "height": 1000})
    context = page.context

    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-couriers")
    frame = page.frame_locator("iframe.bikri-frame")
    card = frame.locator("#courier-steadfast")
    expect(card).to_contain_text("Not connected")
    expect(card.locator("img.courier-logo")).to_be_visible()

    card.locator("input[name=api_key]").fill(API_KEY)
    card.locator("input[name=secret_key]").fill("not-the-secret")
    card.locator("button[type=submit]").first.click()
    expect(frame.locator("#courier-steadfast")).to_contain_text("nothing was saved")
    expect(frame.locator("#courier-steadfast")).to_have_attribute("data-connected", "0")

    card = frame.locator("#courier-steadfast")
    card.locator("input[name=api_key]").fill(API_KEY)
    card.locator("input[name=secret_key]").fill(SECRET_KEY)
    card.locator("button[type=submit]").first.click()
    expect(frame.locator("#courier-steadfast")).to_contain_text("Connected")
    expect(frame.locator("#courier-steadfast .courier-balance")).to_contain_text("15,250.50")
    html = frame.locator("body").inner_html()
    assert SECRET_KEY not in html and API_KEY not in html

    frame.locator("#default-courier").select_option("steadfast")
    frame.locator("#default-note").fill("Call before delivery")
    frame.locator("#courier-settings button[type=submit]").click()
    expect(frame.locator("#courier-settings-result")).to_contain_text("Saved.")
    expect(frame.locator("#courier-chart")).to_have_attribute("data-drawn", "0")
    expect(frame.locator("#courier-report-totals")).to_have_attribute("data-booked", "0")
    page.screenshot(path=str(ARTIFACTS / "couriers-1280.png"), full_page=True)

    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#courier-steadfast")).to_have_attribute("data-connected", "1")
    # nothing wider than the phone: the page scrolls down, never sideways
    width = frame.locator("body").evaluate("b => b.scrollWidth - b.clientWidth")
    assert width <= 0, f"the page is {width}px wider than a 360px phone"
    page.screenshot(path=str(ARTIFACTS / "couriers-360.png"), full_page=True)
    for part in ("courier-settings", "courier-parcels", "courier-report"):
        frame.locator(f"#{part}").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"couriers-360-{part}.png"))

    deactivate(page, wordpress)
    context.close()
