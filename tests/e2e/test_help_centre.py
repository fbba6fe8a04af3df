"""H1 help centre in real wp-admin, on a phone, in Bangla: the "?" in the Couriers page's bar goes
through wp-admin (the plugin passes the page on) to the Help page, open at the couriers article;
the help search finds Bangla words and opens an article."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, bangla_admin_on_a_phone, bn


def test_question_mark_and_help_search_on_a_phone_in_bangla(service, wordpress, browser, tmp_path):
    service["cli"]("help", "seed")
    with bangla_admin_on_a_phone(service, wordpress, browser, "help@e2e.test", tmp_path) as page:
        page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-couriers")
        frame = page.frame_locator("iframe.bikri-frame")
        question = frame.locator("#bikri-help-link")
        expect(question).to_have_attribute("aria-label", bn("Help about this page"))
        question.click()
        page.wait_for_url(re.compile(r"page=bikri-help&topic=couriers"))

        frame = page.frame_locator("iframe.bikri-frame")
        article = frame.locator("article.help-article")
        expect(article.locator("h2").first).to_have_text("কুরিয়ারে পার্সেল বুকিং")
        expect(article.locator("strong").first).to_have_text("স্টেডফাস্ট")
        page.screenshot(path=str(ARTIFACTS / "help-article-360-bn.png"), full_page=True)

        frame.locator("#help-q").fill("রিচার্জ")
        found = frame.locator("#help-found")
        expect(found.locator("li")).to_have_count(1)
        expect(found.locator("mark").first).to_have_text("রিচার্জ")
        found.locator("a").first.click()
        expect(frame.locator("article.help-article h2").first).to_have_text("এসএমএস: ব্যালেন্স, রিচার্জ ও খরচ")
        # the English version, one click away
        frame.locator('[data-translation="en"]').click()
        expect(frame.locator("article.help-article h2").first).to_have_text("SMS: balance, recharge and costs")

        widths = frame.locator("body").evaluate("b => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        page.screenshot(path=str(ARTIFACTS / "help-search-360-bn.png"), full_page=True)
