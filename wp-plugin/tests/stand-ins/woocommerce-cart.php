<?php
/**
 * STAND-INS for WooCommerce's cart and session as the abandoned checkout capture reads them and
 * loyalty points write them: WC(), WC_Cart (get_cart, is_empty, get_total, add_fee, get_fees),
 * WC_Session_Handler (get, set),
 * wc_format_decimal() and get_woocommerce_currency(). Same names and signatures as
 * WooCommerce's; the cart holds what a test puts in it.
 *
 * @package Bikri
 */

if ( ! class_exists( 'WC_Cart' ) ) {
	/**
	 * Stand-in for WC_Cart: lines shaped as WC_Cart::get_cart() returns them.
	 */
	class WC_Cart {

		/**
		 * Cart item key => {product_id, quantity, line_total, data: product}.
		 *
		 * @var array
		 */
		public $cart_contents = array();

		/**
		 * The cart total, as get_total( 'edit' ) returns it.
		 *
		 * @var string
		 */
		public $total = '0';

		/**
		 * Same as WooCommerce's.
		 *
		 * @return array
		 */
		public function get_cart() {
			return $this->cart_contents;
		}

		/**
		 * Same as WooCommerce's.
		 *
		 * @return bool
		 */
		public function is_empty() {
			return 0 === count( $this->cart_contents );
		}

		/**
		 * Same signature as WooCommerce's: 'edit' gives the raw number, 'view' the formatted price.
		 *
		 * @param string $context view or edit.
		 * @return string
		 */
		public function get_total( $context = 'view' ) {
			return 'edit' === $context ? $this->total : 'BDT ' . $this->total;
		}

		/**
		 * Fees added while the cart is totalled (WC_Cart_Fees keeps them by id).
		 *
		 * @var array
		 */
		public $fees = array();

		/**
		 * Same signature as WooCommerce's (a negative amount is a discount).
		 *
		 * @param string $name      Fee name.
		 * @param float  $amount    Amount.
		 * @param bool   $taxable   Taxable.
		 * @param string $tax_class Tax class.
		 */
		public function add_fee( $name, $amount, $taxable = false, $tax_class = '' ) {
			$this->fees[ sanitize_title( $name ) ] = (object) array(
				'id'        => sanitize_title( $name ),
				'name'      => $name,
				'amount'    => (float) $amount,
				'taxable'   => (bool) $taxable,
				'tax_class' => $tax_class,
			);
		}

		/**
		 * Same as WooCommerce's.
		 *
		 * @return array
		 */
		public function get_fees() {
			return $this->fees;
		}
	}
}

if ( ! class_exists( 'WC_Session_Handler' ) ) {
	/**
	 * Stand-in for WooCommerce's session: values for this visitor.
	 */
	class WC_Session_Handler {

		/**
		 * Stored values.
		 *
		 * @var array
		 */
		public $data = array();

		/**
		 * Same as WooCommerce's.
		 *
		 * @param string $key     Key.
		 * @param mixed  $default Default.
		 * @return mixed
		 */
		public function get( $key, $default = null ) {
			return isset( $this->data[ $key ] ) ? $this->data[ $key ] : $default;
		}

		/**
		 * Same as WooCommerce's.
		 *
		 * @param string $key   Key.
		 * @param mixed  $value Value.
		 */
		public function set( $key, $value ) {
			$this->data[ $key ] = $value;
		}
	}
}

if ( ! class_exists( 'Bikri_Stand_In_Product' ) ) {
	/**
	 * A product as a cart line's "data": only its name matters here.
	 */
	class Bikri_Stand_In_Product {

		/**
		 * Name.
		 *
		 * @var string
		 */
		private $name;

		/**
		 * Builds the product.
		 *
		 * @param string $name Name.
		 */
		public function __construct( $name ) {
			$this->name = $name;
		}

		/**
		 * Same as WC_Product::get_name().
		 *
		 * @return string
		 */
		public function get_name() {
			return $this->name;
		}
	}
}

if ( ! class_exists( 'WooCommerce' ) ) {
	/**
	 * Stand-in for the WooCommerce main class: its cart, session, mailer and template paths.
	 */
	final class WooCommerce {

		/**
		 * The one instance.
		 *
		 * @var WooCommerce|null
		 */
		public static $instance = null;

		/**
		 * Cart.
		 *
		 * @var WC_Cart|null
		 */
		public $cart = null;

		/**
		 * Session.
		 *
		 * @var WC_Session_Handler|null
		 */
		public $session = null;

		/**
		 * Same as WooCommerce::mailer(): the one WC_Emails (stand-in in woocommerce-emails.php).
		 *
		 * @return WC_Emails
		 */
		public function mailer() {
			return WC_Emails::instance();
		}

		/**
		 * Same as WooCommerce::template_path(): where themes put their template overrides.
		 *
		 * @return string
		 */
		public function template_path() {
			return apply_filters( 'woocommerce_template_path', 'woocommerce/' );
		}

		/**
		 * Same as WooCommerce::plugin_path(); no WooCommerce tree exists here, so its templates are missing.
		 *
		 * @return string
		 */
		public function plugin_path() {
			return WP_PLUGIN_DIR . '/woocommerce';
		}
	}
}

if ( ! function_exists( 'WC' ) ) {
	/**
	 * Same as WooCommerce's WC(): the main instance.
	 *
	 * @return WooCommerce
	 */
	function WC() { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName.FunctionNameInvalid -- WooCommerce's name.
		if ( null === WooCommerce::$instance ) {
			WooCommerce::$instance = new WooCommerce();
		}
		return WooCommerce::$instance;
	}
}

if ( ! function_exists( 'wc_format_decimal' ) ) {
	/**
	 * WooCommerce's wc_format_decimal() for plain numbers: rounded to $dp places.
	 *
	 * @param float|string $number Number.
	 * @param int|false    $dp     Decimal places.
	 * @return string
	 */
	function wc_format_decimal( $number, $dp = false ) {
		return false === $dp ? (string) $number : number_format( (float) $number, (int) $dp, '.', '' );
	}
}

if ( ! function_exists( 'get_woocommerce_currency' ) ) {
	/**
	 * WooCommerce's get_woocommerce_currency(): the shop's currency code.
	 *
	 * @return string
	 */
	function get_woocommerce_currency() {
		return 'BDT';
	}
}
