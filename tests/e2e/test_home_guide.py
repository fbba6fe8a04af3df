"""H1 on a phone, in Bangla, in real wp-admin: the Bikri home page shows the first-run guide with
its progress (the license step ticked) and the feature request card, which takes a request."""
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, assert_bangla, bangla_admin_on_a_phone, bn


def test_home_guide_and_feature_request_on_a_phone_in_bangla(service, wordpress, browser, tmp_path):
    with bangla_admin_on_a_phone(service, wordpress, browser, "guide@e2e.test", tmp_path) as page:
        page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri")
        frame = page.frame_locator("iframe.bikri-frame")
        guide = frame.locator("#guide-card")
        expect(guide).to_contain_text(bn("Getting started"))
        expect(guide.locator('[data-step="license"]')).to_have_attribute("data-done", "yes")
        expect(guide.locator('[data-step="courier"]')).to_have_attribute("data-done", "no")
        assert "page=bikri-couriers" in guide.locator('[data-step="courier"] a').get_attribute("href")
        assert_bangla(guide, allowed=("API",))

        ideas = frame.locator("#ideas-card")
        ideas.locator("input[name=title]").fill("Pathao courier")
        ideas.locator("button[type=submit]").click()
        expect(frame.locator("#ideas-card")).to_contain_text(bn("Thank you! The Bikri team will read it and answer here."))
        assert_bangla(frame.locator("#ideas-card"), skip=".wrap", allowed=("API",))

        # nothing wider than the phone
        body = page.frame_locator("iframe.bikri-frame").locator("body")
        widths = body.evaluate("b => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        page.screenshot(path=str(ARTIFACTS / "home-guide-360-bn.png"), full_page=True)
