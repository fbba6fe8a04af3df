<?php
/**
 * Plugin Name: WooCommerce single product STAND-IN for the wishlist (tests only)
 * Description: A product page at /wishlist-product-stand-in/ for the product whose id is in the bikri_stand_in_wishlist_product option, rendered as WooCommerce's classic single product template does around the add-to-cart form (woocommerce_after_add_to_cart_button inside form.cart, then woocommerce_single_product_summary), with wp_head() and wp_footer(). For the wishlist's browser test; never for a shop.
 *
 * Installed as a must-use plugin by tests/e2e/test_wishlist_heart.py, with woocommerce-product.php
 * (the WC_Product stand-in) in bikri-stand-ins/.
 *
 * @package Bikri
 */

require_once __DIR__ . '/bikri-stand-ins/woocommerce-product.php';

add_action(
	'template_redirect',
	static function () {
		$path = isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_parse_url( wp_unslash( $_SERVER['REQUEST_URI'] ), PHP_URL_PATH ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
		if ( '/wishlist-product-stand-in/' !== $path ) {
			return;
		}
		$id                 = (int) get_option( 'bikri_stand_in_wishlist_product' );
		$GLOBALS['product'] = new WC_Product( $id, 'Jamdani saree', '2450.50' );
		status_header( 200 );
		nocache_headers();
		?><!doctype html>
<html <?php language_attributes(); ?>>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Jamdani saree</title><?php wp_head(); ?></head>
<body>
<main><h1>Jamdani saree</h1>
<form class="cart" method="post" action="">
<input type="number" name="quantity" value="1"> <button type="submit" name="add-to-cart" value="<?php echo (int) $id; ?>">Add to cart</button>
<?php do_action( 'woocommerce_after_add_to_cart_button' ); ?>
</form>
<?php do_action( 'woocommerce_single_product_summary' ); ?>
</main>
<?php wp_footer(); ?>
</body>
</html>
		<?php
		exit;
	},
	1
);
