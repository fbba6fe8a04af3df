"""K1/K2 in a real browser on a real WordPress page: the shop's snippets in <head>, after <body>
and before </body>, and the Meta Pixel's events as the browser runs them (ViewContent on a
product page with WooCommerce's price and currency; Purchase on the thank-you page with the
Conversions API's event_id, once: a reload sends nothing again).

WooCommerce is not installed here: a stand-in gives WordPress a product page and a thank-you
page rendered through wp_head/wp_body_open/wp_footer with WooCommerce's conditionals answering
as on those pages (wp-plugin/tests/stand-ins/product-page.php). Requests to Meta, Google and
Microsoft are blocked, so fbq keeps every call in its queue, which the test reads.
"""
import contextlib

from tests.e2e.conftest import ROOT, make_wordpress, wp_eval

STAND_INS = ROOT / "wp-plugin" / "tests" / "stand-ins"
SETTINGS = """
update_option( 'bikri_storefront', array(
	'pixel' => '1234567890123456', 'gtm' => 'GTM-AB12CD3',
	'head_code' => '<meta name="shop-verification" content="abc123">', 'head_target' => 'all',
	'body_code' => '<div id="shop-chat"></div>', 'body_target' => 'product',
	'footer_code' => '<script>window.shopFooterRan = true;</script>', 'footer_target' => 'thankyou',
) );
delete_option( 'bikri_stand_in_purchase_printed' );
"""
QUEUE = "() => (window.fbq && window.fbq.queue || []).map(call => Array.from(call))"


@contextlib.contextmanager
def storefront(service, tmp_path_factory):
    mu_plugins = {"bikri-stand-ins/woocommerce-product.php": (STAND_INS / "woocommerce-product.php").read_text(),
                  "bikri-product-stand-in.php": (STAND_INS / "product-page.php").read_text()}
    with make_wordpress(service, tmp_path_factory, mu_plugins) as site:
        yield site


def open_page(browser, url):
    context = browser.new_context()
    # nothing leaves for Meta, Google or Microsoft: their loaders fail and fbq keeps its queue
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                  else route.abort())
    page = context.new_page()
    page.goto(url)
    return context, page


def test_snippets_and_pixel_events_in_the_browser(service, tmp_path_factory, browser, tmp_path):
    with storefront(service, tmp_path_factory) as wordpress:
        wp_eval(wordpress, SETTINGS, tmp_path)

        context, page = open_page(browser, f"{wordpress['url']}/product-stand-in/")
        try:
            assert page.locator('head meta[name="shop-verification"]').get_attribute("content") == "abc123"
            assert page.evaluate("() => document.body.firstElementChild.tagName") in ("DIV", "NOSCRIPT")
            assert page.locator("body > #shop-chat").count() == 1
            assert page.evaluate("() => window.shopFooterRan === true") is False  # thank-you page only
            assert page.evaluate("() => Array.isArray(window.dataLayer)")  # GTM's loader ran
            calls = page.evaluate(QUEUE)
            assert calls[0] == ["init", "1234567890123456"] and calls[1] == ["track", "PageView"]
            view = [c for c in calls if c[:2] == ["track", "ViewContent"]]
            assert len(view) == 1
            assert view[0][2]["value"] == 2450.5 and view[0][2]["currency"] == "BDT"
            assert view[0][2]["content_ids"] == ["42"] and view[0][3]["eventID"].startswith("bikri-vc-42-")
        finally:
            context.close()

        thanks = f"{wordpress['url']}/order-received-stand-in/?key=wc_order_bench"
        context, page = open_page(browser, thanks)
        try:
            assert page.evaluate("() => window.shopFooterRan === true") is True
            assert page.locator("#shop-chat").count() == 0
            purchases = [c for c in page.evaluate(QUEUE) if c[:2] == ["track", "Purchase"]]
            assert len(purchases) == 1
            assert purchases[0][2]["value"] == 1350 and purchases[0][2]["currency"] == "BDT"
            assert purchases[0][3] == {"eventID": "bikri-9001"}  # the Conversions API's event_id for order 9001
            page.reload()
            assert [c for c in page.evaluate(QUEUE) if c[:2] == ["track", "Purchase"]] == []
        finally:
            context.close()
