<?php
/**
 * STAND-INS for WooCommerce's functions and classes the sync touches (global namespace).
 * Same names and signatures as WooCommerce's; the bodies of wc_api_hash() and wc_rand_hash()
 * are WooCommerce's own (includes/wc-core-functions.php), so keys hash exactly as in a shop.
 *
 * @package Bikri
 */

if ( ! function_exists( 'wc_api_hash' ) ) {
	/**
	 * WooCommerce's wc_api_hash(): how consumer keys are stored.
	 *
	 * @param string $data Message to be hashed.
	 * @return string
	 */
	function wc_api_hash( $data ) {
		return hash_hmac( 'sha256', $data, 'wc-api' );
	}
}

if ( ! function_exists( 'wc_rand_hash' ) ) {
	/**
	 * WooCommerce's wc_rand_hash() (3.x-8.x): 40 random hex characters.
	 *
	 * @return string
	 */
	function wc_rand_hash() {
		if ( ! function_exists( 'openssl_random_pseudo_bytes' ) ) {
			return sha1( wp_rand() );
		}
		return bin2hex( openssl_random_pseudo_bytes( 20 ) ); // @codingStandardsIgnoreLine
	}
}

if ( ! class_exists( 'WC_Order_Item_Product' ) ) {
	/**
	 * Stand-in for a line item: only its ID matters (0 until saved, as in WooCommerce).
	 */
	class WC_Order_Item_Product {

		/**
		 * Item ID.
		 *
		 * @var int
		 */
		private $id;

		/**
		 * Builds an item.
		 *
		 * @param int $id 0 while only in memory.
		 */
		public function __construct( $id = 0 ) {
			$this->id = (int) $id;
		}

		/**
		 * Item ID.
		 *
		 * @return int
		 */
		public function get_id() {
			return $this->id;
		}
	}
}

// WC_Order and wc_get_order() live in woocommerce-checkout.php: one stand-in order for every test.
