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

if ( ! class_exists( 'WC_DateTime' ) ) {
	/**
	 * Stand-in for WC_DateTime (a DateTime in UTC here).
	 */
	class WC_DateTime extends DateTime {
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

if ( ! class_exists( 'WC_Order' ) ) {
	/**
	 * Stand-in for WC_Order with the getters the plugin calls.
	 */
	class WC_Order {

		/**
		 * Orders wc_get_order() finds, by ID (what the order tables hold in a shop).
		 *
		 * @var WC_Order[]
		 */
		public static $store = array();

		/**
		 * Order ID.
		 *
		 * @var int
		 */
		public $id;

		/**
		 * Status without the wc- prefix.
		 *
		 * @var string
		 */
		public $status;

		/**
		 * Unix time of the last change.
		 *
		 * @var int
		 */
		public $modified;

		/**
		 * Line items.
		 *
		 * @var WC_Order_Item_Product[]
		 */
		public $items;

		/**
		 * Builds an order and stores it for wc_get_order().
		 *
		 * @param int   $id       Order ID.
		 * @param int   $modified Unix time of the last change.
		 * @param array $items    Line items.
		 * @param string $status  Status.
		 */
		public function __construct( $id, $modified, array $items = array(), $status = 'processing' ) {
			$this->id              = (int) $id;
			$this->modified        = (int) $modified;
			$this->items           = $items;
			$this->status          = $status;
			self::$store[ $this->id ] = $this;
		}

		/**
		 * Order ID.
		 *
		 * @return int
		 */
		public function get_id() {
			return $this->id;
		}

		/**
		 * Status.
		 *
		 * @return string
		 */
		public function get_status() {
			return $this->status;
		}

		/**
		 * Last change, as WooCommerce returns it.
		 *
		 * @return WC_DateTime|null
		 */
		public function get_date_modified() {
			$date = new WC_DateTime( '@' . $this->modified );
			$date->setTimezone( new DateTimeZone( 'UTC' ) );
			return $date;
		}

		/**
		 * Line items.
		 *
		 * @param string $types Item types (only line_item here).
		 * @return WC_Order_Item_Product[]
		 */
		public function get_items( $types = 'line_item' ) {
			return $this->items;
		}
	}
}

if ( ! function_exists( 'wc_get_order' ) ) {
	/**
	 * WooCommerce's wc_get_order( $the_order = false ): the order, or false.
	 *
	 * @param mixed $the_order Order ID or object.
	 * @return WC_Order|false
	 */
	function wc_get_order( $the_order = false ) {
		$id = is_object( $the_order ) ? $the_order->get_id() : (int) $the_order;
		return isset( WC_Order::$store[ $id ] ) ? WC_Order::$store[ $id ] : false;
	}
}
