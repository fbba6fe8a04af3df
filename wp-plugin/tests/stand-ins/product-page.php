<?php
/**
 * Plugin Name: WooCommerce product page STAND-IN (tests only)
 * Description: A product page at /product-stand-in/ (product 42, a saree at 2450.50) and a thank-you page at /order-received-stand-in/ (order 9001, key wc_order_bench), rendered with wp_head(), wp_body_open() and wp_footer() as a theme does, with WooCommerce's conditionals answering as on those pages. For the browser test and the benchmark of the storefront tags; never for a shop.
 *
 * Installed as a must-use plugin by tests/e2e and bench/adtags.py, with woocommerce-product.php,
 * woocommerce-checkout.php and woocommerce-cart.php (the class stand-ins) in bikri-stand-ins/.
 *
 * @package Bikri
 */

require_once __DIR__ . '/bikri-stand-ins/woocommerce-checkout.php';
require_once __DIR__ . '/bikri-stand-ins/woocommerce-cart.php';
require_once __DIR__ . '/bikri-stand-ins/woocommerce-product.php';

/**
 * Which stand-in page this request is for: product, thankyou or ''.
 *
 * @return string
 */
function bikri_stand_in_storefront_page() {
	$path = isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_parse_url( wp_unslash( $_SERVER['REQUEST_URI'] ), PHP_URL_PATH ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
	if ( '/product-stand-in/' === $path ) {
		return 'product';
	}
	return '/order-received-stand-in/' === $path ? 'thankyou' : '';
}

WC_Product::$registered[42] = new WC_Product( 42, 'Jamdani saree', '2450.50' );

add_filter( 'bikri_stand_in_is_product', static function () { return 'product' === bikri_stand_in_storefront_page(); } );
add_filter( 'bikri_stand_in_is_order_received', static function () { return 'thankyou' === bikri_stand_in_storefront_page(); } );
add_filter( 'woocommerce_is_checkout', static function ( $is ) { return $is || 'thankyou' === bikri_stand_in_storefront_page(); } );

add_action(
	'template_redirect',
	static function () {
		$page = bikri_stand_in_storefront_page();
		if ( '' === $page ) {
			return;
		}
		global $wp_query;
		if ( 'product' === $page ) {
			$wp_query->queried_object    = (object) array( 'ID' => 42 );
			$wp_query->queried_object_id = 42;
		} else {
			// the order WooCommerce would load; its "printed" mark is kept in an option between requests
			$order = new WC_Order( 9001 );
			$order->set_total( '1350.00' );
			$order->set_currency( 'BDT' );
			$order->set_order_key( 'wc_order_bench' );
			if ( get_option( 'bikri_stand_in_purchase_printed' ) ) {
				$order->update_meta_data( '_bikri_pixel_purchase', get_option( 'bikri_stand_in_purchase_printed' ) );
			}
			WC_Order::$saved[9001] = $order;
			set_query_var( 'order-received', 9001 );
			add_action(
				'shutdown',
				static function () use ( $order ) {
					if ( $order->get_meta( '_bikri_pixel_purchase' ) ) {
						update_option( 'bikri_stand_in_purchase_printed', $order->get_meta( '_bikri_pixel_purchase' ), false );
					}
				}
			);
		}
		status_header( 200 );
		nocache_headers();
		?><!doctype html>
<html <?php language_attributes(); ?>>
<head><meta charset="utf-8"><title><?php echo 'product' === $page ? 'Jamdani saree' : 'Order received'; ?></title><?php wp_head(); ?></head>
<body>
<?php wp_body_open(); ?>
<main><h1><?php echo 'product' === $page ? 'Jamdani saree' : 'Thank you. Your order has been received.'; ?></h1></main>
<?php wp_footer(); ?>
</body>
</html>
		<?php
		exit;
	},
	1
);
