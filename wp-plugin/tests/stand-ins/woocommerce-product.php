<?php
/**
 * STAND-INS for the WooCommerce product and page conditionals the storefront tags read:
 * WC_Product (id, name, price), wc_get_product(), is_product() and is_order_received_page().
 * The conditionals answer what the woocommerce_is_product / bikri_stand_in_is_order_received
 * filters say (WooCommerce's own read the main query); wc_get_product() returns the products
 * a test registered in WC_Product::$registered.
 *
 * @package Bikri
 */

if ( ! class_exists( 'WC_Product' ) ) {
	/**
	 * Stand-in for WC_Product.
	 */
	class WC_Product {

		/**
		 * Id => product, for wc_get_product().
		 *
		 * @var WC_Product[]
		 */
		public static $registered = array();

		/**
		 * Id.
		 *
		 * @var int
		 */
		private $id;

		/**
		 * Name.
		 *
		 * @var string
		 */
		private $name;

		/**
		 * Price, as WooCommerce stores it.
		 *
		 * @var string
		 */
		private $price;

		/**
		 * A product.
		 *
		 * @param int    $id    Id.
		 * @param string $name  Name.
		 * @param string $price Price.
		 */
		public function __construct( $id = 0, $name = '', $price = '0' ) {
			$this->id    = (int) $id;
			$this->name  = (string) $name;
			$this->price = (string) $price;
		}

		/**
		 * Id.
		 *
		 * @return int
		 */
		public function get_id() {
			return $this->id;
		}

		/**
		 * Name.
		 *
		 * @param string $context View or edit context.
		 * @return string
		 */
		public function get_name( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
			return $this->name;
		}

		/**
		 * Price.
		 *
		 * @param string $context View or edit context.
		 * @return string
		 */
		public function get_price( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
			return $this->price;
		}
	}
}

if ( ! function_exists( 'wc_get_product' ) ) {
	/**
	 * Stand-in for wc_get_product().
	 *
	 * @param mixed $the_product Product id.
	 * @return WC_Product|false|null
	 */
	function wc_get_product( $the_product = false ) {
		$id = (int) $the_product;
		return isset( WC_Product::$registered[ $id ] ) ? WC_Product::$registered[ $id ] : false;
	}
}

if ( ! function_exists( 'is_product' ) ) {
	/**
	 * Stand-in for is_product().
	 *
	 * @return bool
	 */
	function is_product() {
		return (bool) apply_filters( 'bikri_stand_in_is_product', false );
	}
}

if ( ! function_exists( 'is_order_received_page' ) ) {
	/**
	 * Stand-in for is_order_received_page().
	 *
	 * @return bool
	 */
	function is_order_received_page() {
		return (bool) apply_filters( 'bikri_stand_in_is_order_received', false );
	}
}
