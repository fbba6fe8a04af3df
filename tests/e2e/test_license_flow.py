"""The shop's first minutes, in a real browser: wp-admin without a license → License page →
a key made with the CLI → Bikri's home page inside the iframe, showing that license."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS


def test_from_no_license_to_the_home_page_in_the_iframe(service, wordpress, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    wp = wordpress["url"]

    page.goto(f"{wp}/wp-login.php")
    page.fill("#user_login", wordpress["user"])
    page.fill("#user_pass", wordpress["password"])
    page.click("#wp-submit")
    page.wait_for_url(re.compile(r"/wp-admin/"))

    # Without a license: a notice on every admin screen, and Bikri's pages lead to the License page.
    page.goto(f"{wp}/wp-admin/index.php")
    notice = page.locator(".notice", has_text="Bikri")
    expect(notice.first).to_be_visible()
    expect(notice.first.locator("a[href*='page=bikri-license']")).to_have_count(1)
    page.goto(f"{wp}/wp-admin/admin.php?page=bikri")
    page.wait_for_url(re.compile(r"page=bikri-license"))
    expect(page.locator("iframe.bikri-frame")).to_have_count(0)

    # A wrong key is refused in words.
    page.fill("#bikri-license-key", "BIKRI-AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
    page.locator("form:has(#bikri-license-key) [type=submit]").click()
    expect(page.locator(".notice-error, .error").first).to_contain_text("not valid")

    key = service["cli"]("licenses", "create", "--email", "owner@e2e.test", "--plan", "e2e-plan").strip().splitlines()[-1]
    page.fill("#bikri-license-key", key)
    page.locator("form:has(#bikri-license-key) [type=submit]").click()
    expect(page.locator("body")).to_contain_text("e2e-plan")

    # Licensed: the home page of the service, inside the iframe, signed in for this user.
    page.goto(f"{wp}/wp-admin/admin.php?page=bikri")
    frame_element = page.locator("iframe.bikri-frame")
    expect(frame_element).to_be_visible()
    assert frame_element.get_attribute("src").startswith(service["url"] + "/embed/home?ticket=")
    frame = page.frame_locator("iframe.bikri-frame")
    card = frame.locator("#license-card[data-status='active']")  # loaded by htmx with the session header
    expect(card).to_contain_text("Active")
    expect(card).to_contain_text(wp)
    expect(card).to_contain_text("e2e-plan")
    expect(frame.locator("h1")).to_contain_text("admin")
    # no cookie was needed inside the frame, and none was set by the service
    assert context.cookies(service["url"]) == []
    # the notice is gone now
    page.goto(f"{wp}/wp-admin/index.php")
    expect(page.locator(".notice", has_text="needs an active license")).to_have_count(0)

    # The same page on a phone: the frame fills the width and the card is readable.
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((360, 740), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{wp}/wp-admin/admin.php?page=bikri")
        expect(page.frame_locator("iframe.bikri-frame").locator("#license-card[data-status='active']")).to_be_visible()
        box = page.locator("iframe.bikri-frame").bounding_box()
        assert box["width"] >= width * 0.85, f"the frame is {box['width']}px wide in a {width}px window"
        inner = page.frame_locator("iframe.bikri-frame").locator("body")
        scroll_width = inner.evaluate("b => b.scrollWidth")
        assert scroll_width <= box["width"] + 1, f"the page scrolls sideways at {width}px"
        page.screenshot(path=str(ARTIFACTS / f"home-{width}.png"), full_page=True)

    # A ticket works once: reloading the iframe's own URL shows how to get back in.
    src = page.locator("iframe.bikri-frame").get_attribute("src")
    reused = context.new_page()
    response = reused.goto(src)
    assert response.status == 401
    expect(reused.locator("body")).to_contain_text("Reload the page in WordPress")
    context.close()
