"""The wishlist's heart (U3) in a real browser on a real WordPress product page, against the
service under gunicorn on PostgreSQL.

WooCommerce is not installed here: a stand-in renders the classic single product template
around the add-to-cart form and fires WooCommerce's hooks there
(wp-plugin/tests/stand-ins/wishlist-product-page.php). The heart, its script, the AJAX handlers,
the sync queue and the service are real.

A guest presses the heart: it is kept in the browser and still pressed after a reload. The guest
signs in: the browser's list is merged into the account, and the wish reaches the service after
the response. Pressing it again removes it, in WordPress and in the service.
"""

from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, deactivate, licensed_admin, make_wordpress, rows_once, shop_wishes, sign_in_as, wp_eval

STAND_INS = ROOT / "wp-plugin" / "tests" / "stand-ins"
SHOPPER = ("wishlist-shopper", "shopper-pass-123")
SET_UP = """
$id = wp_insert_post( array( 'post_type' => 'product', 'post_status' => 'publish', 'post_title' => 'Jamdani saree' ) );
update_option( 'bikri_stand_in_wishlist_product', $id );
$user = wp_insert_user( array( 'user_login' => getenv( 'WHO' ), 'user_pass' => getenv( 'PASS' ), 'role' => 'subscriber', 'user_email' => 'shopper@e2e.test' ) );
echo $id . ' ' . $user;
"""


def wishes(service) -> list[tuple]:
    return shop_wishes(service, "wishlist@e2e.test", "w.shopper, w.product_wc_id, w.email, w.removed_at IS NULL")


def test_heart_on_a_product_page_from_guest_to_account_to_service(service, tmp_path_factory, browser, tmp_path):
    mu_plugins = {"bikri-stand-ins/woocommerce-product.php": (STAND_INS / "woocommerce-product.php").read_text(),
                  "bikri-wishlist-product-stand-in.php": (STAND_INS / "wishlist-product-page.php").read_text()}
    with make_wordpress(service, tmp_path_factory, mu_plugins) as wordpress:
        wp = wordpress["url"]
        product, user = (int(part) for part in wp_eval(wordpress, SET_UP, tmp_path,
                                                       {"WHO": SHOPPER[0], "PASS": SHOPPER[1]}).split())
        admin = licensed_admin(service, wordpress, browser, "wishlist@e2e.test")
        admin_context = admin.context

        # A guest at 360 px: the heart beside the add-to-cart button, its script deferred.
        shopper_context = browser.new_context(viewport={"width": 360, "height": 740})
        page = shopper_context.new_page()
        page.goto(f"{wp}/wishlist-product-stand-in/")
        heart = page.locator(f'form.cart .bikri-heart[data-product="{product}"]')
        expect(heart).to_have_count(1)
        expect(page.locator(".bikri-heart")).to_have_count(1)  # once, though the summary's hook ran too
        expect(heart).to_have_attribute("aria-pressed", "false")
        assert page.locator("script[src*='wishlist.js']").get_attribute("defer") is not None
        box = heart.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, box
        heart.click()
        expect(heart).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("() => localStorage.getItem('bikri_wishlist')") == f'["{product}"]'
        page.reload()
        expect(page.locator(".bikri-heart")).to_have_attribute("aria-pressed", "true")
        assert wishes(service) == [], "a guest's heart stays in the browser"

        # Signed in: the browser's list joins the account, and the service hears of it.
        sign_in_as(page, wordpress, *SHOPPER)
        page.goto(f"{wp}/wishlist-product-stand-in/")
        page.wait_for_function("() => localStorage.getItem('bikri_wishlist') === null")
        expect(page.locator(".bikri-heart")).to_have_attribute("aria-pressed", "true")
        rows = rows_once(lambda: wishes(service), lambda rows: len(rows) == 1, 15)
        assert rows == [(f"user:{user}", product, "shopper@e2e.test", True)]
        page.reload()
        expect(page.locator(".bikri-heart")).to_have_attribute("aria-pressed", "true")  # from the account now

        # Pressed again: removed, in WordPress and in the service.
        page.locator(".bikri-heart").click()
        expect(page.locator(".bikri-heart")).to_have_attribute("aria-pressed", "false")
        rows = rows_once(lambda: wishes(service), lambda rows: rows and not rows[0][3], 15)
        assert rows == [(f"user:{user}", product, "shopper@e2e.test", False)]
        page.reload()
        expect(page.locator(".bikri-heart")).to_have_attribute("aria-pressed", "false")
        shopper_context.close()

        deactivate(admin, wordpress)
        admin_context.close()
