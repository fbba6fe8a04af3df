"""The wishlist's heart (U3) on the products of WooCommerce's All Products block, in a real
browser at 360 px on a real WordPress page, against the service under gunicorn on PostgreSQL.

The All Products block draws its products in the browser from the Store API, so the hearts are
drawn by the wishlist's script. WooCommerce is not installed here: a stand-in page holds the
block as the editor saves it (rendered by do_blocks(), so the plugin's render_block filter runs),
and a stand-in script draws the block's products after the page has loaded, in the markup
WooCommerce's block prints in the browser, then fires its "product list rendered" action
(wp-plugin/tests/stand-ins/wishlist-all-products-page.php says which WooCommerce sources, 9.x to
10.x, the markup's shape comes from). The heart, its script, the AJAX handlers, the sync queue and
the service are real.

A guest sees a heart on each product once the block has drawn it (none on the loading
placeholders), presses one, and it stays pressed when the block draws its items anew (another
page and back, a button changing), and after a reload. Signed in, the browser's list joins the
account; a heart pressed in the block reaches the service, and the account's wishes show on the
block's hearts. With products drawn before the script ran, the hearts still come.
"""

from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, deactivate, licensed_admin, make_wordpress, rows_once, shop_wishes, sign_in_as, wp_eval

STAND_INS = ROOT / "wp-plugin" / "tests" / "stand-ins"
SHOPPER = ("all-products-shopper", "shopper-pass-123")
SET_UP = """
$ids = array();
foreach ( array( 'Jamdani saree', 'Panjabi', 'Lungi' ) as $name ) {
	$ids[] = wp_insert_post( array( 'post_type' => 'product', 'post_status' => 'publish', 'post_title' => $name ) );
}
update_option( 'bikri_stand_in_all_products', $ids );
$user = wp_insert_user( array( 'user_login' => getenv( 'WHO' ), 'user_pass' => getenv( 'PASS' ), 'role' => 'subscriber', 'user_email' => 'all-products@e2e.test' ) );
echo implode( ' ', $ids ) . ' ' . $user;
"""
PAGE = "/wishlist-all-products-stand-in/"




def item(page, product: int):
    """The block's product item for a product (matched by its link, as a shopper sees it)."""
    return page.locator(".wc-block-grid__product").filter(
        has=page.locator(f'.bikri-heart[data-product="{product}"]'))


def wishes(service) -> list[tuple]:
    return shop_wishes(service, "all-products@e2e.test")


def test_hearts_on_the_all_products_block_from_guest_to_account(service, tmp_path_factory, browser, tmp_path):
    mu_plugins = {"bikri-wishlist-all-products-stand-in.php": (STAND_INS / "wishlist-all-products-page.php").read_text()}
    with make_wordpress(service, tmp_path_factory, mu_plugins) as wordpress:
        wp = wordpress["url"]
        saree, panjabi, lungi, user = (int(part) for part in wp_eval(wordpress, SET_UP, tmp_path,
                                                                     {"WHO": SHOPPER[0], "PASS": SHOPPER[1]}).split())
        admin = licensed_admin(service, wordpress, browser, "all-products@e2e.test")

        # A guest at 360 px: the block draws its first page after the load, each item gets a heart.
        shopper_context = browser.new_context(viewport={"width": 360, "height": 740})
        page = shopper_context.new_page()
        page.goto(f"{wp}{PAGE}")
        assert page.locator("script[src*='wishlist.js']").get_attribute("defer") is not None
        products = page.locator(".wp-block-woocommerce-all-products .wc-block-grid__product:not(.is-loading)")
        expect(products).to_have_count(2)
        hearts = page.locator(".wc-block-grid__product .bikri-heart")
        expect(hearts).to_have_count(2)
        expect(page.locator(".wc-block-grid__product.is-loading .bikri-heart")).to_have_count(0)
        assert [hearts.nth(i).get_attribute("data-product") for i in range(2)] == [str(saree), str(panjabi)]
        for i in range(2):
            heart = hearts.nth(i)
            expect(heart).to_have_attribute("aria-pressed", "false")
            expect(heart).to_have_attribute("aria-label", "Save to wishlist")
            expect(heart).to_have_attribute("type", "button")
            assert heart.evaluate("h => h.parentElement.lastElementChild === h"), "at the end of its item"
            box = heart.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24, box
        panjabi_heart = page.locator(f'.bikri-heart[data-product="{panjabi}"]')
        expect(item(page, panjabi).locator("a.wc-block-components-product-name")).to_have_text("Panjabi")

        # Pressed: kept in the browser, nothing sent.
        panjabi_heart.click()
        expect(panjabi_heart).to_have_attribute("aria-pressed", "true")
        expect(page.locator(f'.bikri-heart[data-product="{saree}"]')).to_have_attribute("aria-pressed", "false")
        assert page.evaluate("() => localStorage.getItem('bikri_wishlist')") == f'["{panjabi}"]'

        # The block draws anew: another page (new items), then back; a button changing (same item).
        page.evaluate("() => window.standInAllProducts.page(2)")
        expect(hearts).to_have_count(1)
        expect(hearts.first).to_have_attribute("data-product", str(lungi))
        expect(hearts.first).to_have_attribute("aria-pressed", "false")
        page.evaluate("() => window.standInAllProducts.page(1)")
        expect(hearts).to_have_count(2)
        expect(panjabi_heart).to_have_attribute("aria-pressed", "true")
        page.evaluate(f"() => window.standInAllProducts.addToCart({panjabi})")
        expect(item(page, panjabi).locator(".wc-block-components-product-button__button")).to_have_text("1 in cart")
        expect(item(page, panjabi).locator(".bikri-heart")).to_have_count(1)
        expect(panjabi_heart).to_have_attribute("aria-pressed", "true")
        panjabi_heart.click()  # and the heart still works after all that
        expect(panjabi_heart).to_have_attribute("aria-pressed", "false")
        panjabi_heart.click()
        expect(panjabi_heart).to_have_attribute("aria-pressed", "true")

        page.reload()
        expect(page.locator(f'.bikri-heart[data-product="{panjabi}"]')).to_have_attribute("aria-pressed", "true")
        assert wishes(service) == [], "a guest's hearts stay in the browser"

        # Signed in: the browser's list joins the account; the block's hearts show the account.
        sign_in_as(page, wordpress, *SHOPPER)
        page.goto(f"{wp}{PAGE}")
        page.wait_for_function("() => localStorage.getItem('bikri_wishlist') === null")
        expect(panjabi_heart).to_have_attribute("aria-pressed", "true")
        rows = rows_once(lambda: wishes(service), lambda rows: len(rows) == 1, 15)
        assert rows == [(f"user:{user}", panjabi, True)]

        # A heart of the block pressed by the signed-in shopper reaches the service.
        saree_heart = page.locator(f'.bikri-heart[data-product="{saree}"]')
        saree_heart.click()
        expect(saree_heart).to_have_attribute("aria-pressed", "true")
        rows = rows_once(lambda: wishes(service), lambda rows: len(rows) == 2, 15)
        assert sorted(rows) == sorted([(f"user:{user}", panjabi, True), (f"user:{user}", saree, True)])
        page.evaluate("() => window.standInAllProducts.page(2)")
        page.evaluate("() => window.standInAllProducts.page(1)")
        expect(saree_heart).to_have_attribute("aria-pressed", "true")
        expect(panjabi_heart).to_have_attribute("aria-pressed", "true")
        page.reload()  # from the account, printed with the page
        expect(saree_heart).to_have_attribute("aria-pressed", "true")
        expect(panjabi_heart).to_have_attribute("aria-pressed", "true")

        # Products drawn (and the action fired) before the deferred script ran: hearts all the same.
        page.goto(f"{wp}{PAGE}?early=1")
        expect(hearts).to_have_count(2)
        expect(saree_heart).to_have_attribute("aria-pressed", "true")
        shopper_context.close()

        # This WordPress is the test's own; its license is freed all the same.
        deactivate(admin, wordpress)
        admin.context.close()
