<?php
/**
 * STAND-INS for the WooCommerce checkout parts Bikri touches: the Store API's RouteException,
 * WC_Order and wc_get_order(). WooCommerce cannot be installed here; these keep its class
 * names and method signatures (WooCommerce 8.x) and only record what they are told.
 *
 * Loaded by the PHPUnit bootstrap, and by the checkout page stand-in (checkout-page.php) in
 * the browser test and the benchmark.
 *
 * @package Bikri
 */

namespace Automattic\WooCommerce\StoreApi\Exceptions {

	if ( ! class_exists( __NAMESPACE__ . '\RouteException' ) ) {
		/**
		 * Stand-in for WooCommerce's src/StoreApi/Exceptions/RouteException.php: the Store API
		 * turns it into a WP_Error with the exception's code as the HTTP status.
		 */
		class RouteException extends \Exception {

			/**
			 * Sanitized error code.
			 *
			 * @var string
			 */
			public $error_code;

			/**
			 * Additional error data.
			 *
			 * @var array
			 */
			public $additional_data = array();

			/**
			 * Same signature as WooCommerce's.
			 *
			 * @param string $error_code       Machine-readable error code, e.g `woocommerce_invalid_product_id`.
			 * @param string $message          User-friendly translated error message.
			 * @param int    $http_status_code HTTP status code to respond with, e.g. 400.
			 * @param array  $additional_data  Extra data (key value pairs) to expose in the error response.
			 */
			public function __construct( $error_code, $message, $http_status_code = 400, $additional_data = array() ) {
				$this->error_code      = $error_code;
				$this->additional_data = array_filter( (array) $additional_data );
				parent::__construct( $message, $http_status_code );
			}

			/**
			 * Returns the error code.
			 *
			 * @return string
			 */
			public function getErrorCode() {
				return $this->error_code;
			}

			/**
			 * Returns additional error data.
			 *
			 * @return array
			 */
			public function getAdditionalData() {
				return $this->additional_data;
			}
		}
	}
}

namespace {

	if ( ! class_exists( 'WC_DateTime' ) ) {
		/**
		 * Stand-in for WC_DateTime (a DateTime in UTC here), which WC_Order's dates are.
		 */
		class WC_DateTime extends DateTime {
		}
	}

	if ( ! class_exists( 'WC_Order' ) ) {
		/**
		 * Stand-in for WC_Order: the getters, meta, notes and save() Bikri calls, with WooCommerce's signatures.
		 */
		class WC_Order {

			/**
			 * Orders saved so far, by id (what wc_get_order() finds).
			 *
			 * @var WC_Order[]
			 */
			public static $saved = array();

			/**
			 * Order id.
			 *
			 * @var int
			 */
			private $id;

			/**
			 * Fields (billing_phone, billing_email, status).
			 *
			 * @var array
			 */
			private $data = array(
				'billing_phone' => '',
				'billing_email' => '',
				'status'        => 'pending',
				'total'         => '0',
				'currency'      => 'BDT',
				'order_key'     => '',
			);

			/**
			 * Meta data.
			 *
			 * @var array
			 */
			public $meta = array();

			/**
			 * Notes added.
			 *
			 * @var string[]
			 */
			public $notes = array();

			/**
			 * Times save() ran.
			 *
			 * @var int
			 */
			public $saves = 0;

			/**
			 * Unix time of the last change.
			 *
			 * @var int
			 */
			private $modified = 0;

			/**
			 * Line items.
			 *
			 * @var WC_Order_Item_Product[]
			 */
			private $items = array();

			/**
			 * Same signature as WooCommerce's.
			 *
			 * @param int|object|WC_Order $order Order to read.
			 */
			public function __construct( $order = 0 ) {
				$this->id = is_numeric( $order ) ? (int) $order : 0;
			}

			/**
			 * Order id.
			 *
			 * @return int
			 */
			public function get_id() {
				return $this->id;
			}

			/**
			 * Order number (the id, as WooCommerce's without a sequential-numbers plugin).
			 *
			 * @return string
			 */
			public function get_order_number() {
				return (string) apply_filters( 'woocommerce_order_number', $this->id, $this );
			}

			/**
			 * Billing first name.
			 *
			 * @param string $context View or edit context.
			 * @return string
			 */
			public function get_billing_first_name( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return isset( $this->data['billing_first_name'] ) ? $this->data['billing_first_name'] : '';
			}

			/**
			 * Sets the billing first name.
			 *
			 * @param string $value Name.
			 */
			public function set_billing_first_name( $value ) {
				$this->data['billing_first_name'] = (string) $value;
			}

			/**
			 * When the order was made (the stand-in: when it was last changed).
			 *
			 * @param string $context View or edit context.
			 * @return WC_DateTime
			 */
			public function get_date_created( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->get_date_modified();
			}

			/**
			 * Order total.
			 *
			 * @param string $context View or edit context.
			 * @return string
			 */
			public function get_total( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->data['total'];
			}

			/**
			 * Sets the total.
			 *
			 * @param string $value Total.
			 */
			public function set_total( $value ) {
				$this->data['total'] = (string) $value;
			}

			/**
			 * Order currency.
			 *
			 * @param string $context View or edit context.
			 * @return string
			 */
			public function get_currency( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->data['currency'];
			}

			/**
			 * Sets the currency.
			 *
			 * @param string $value Currency code.
			 */
			public function set_currency( $value ) {
				$this->data['currency'] = (string) $value;
			}

			/**
			 * The order key in the thank-you page's URL.
			 *
			 * @param string $context View or edit context.
			 * @return string
			 */
			public function get_order_key( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->data['order_key'];
			}

			/**
			 * Sets the order key.
			 *
			 * @param string $value Key.
			 */
			public function set_order_key( $value ) {
				$this->data['order_key'] = (string) $value;
			}

			/**
			 * Billing phone.
			 *
			 * @param string $context View or edit context.
			 * @return string
			 */
			public function get_billing_phone( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->data['billing_phone'];
			}

			/**
			 * Sets the billing phone.
			 *
			 * @param string $value Phone.
			 */
			public function set_billing_phone( $value ) {
				$this->data['billing_phone'] = (string) $value;
			}

			/**
			 * Billing email.
			 *
			 * @param string $context View or edit context.
			 * @return string
			 */
			public function get_billing_email( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->data['billing_email'];
			}

			/**
			 * Sets the billing email.
			 *
			 * @param string $value Email.
			 */
			public function set_billing_email( $value ) {
				$this->data['billing_email'] = (string) $value;
			}

			/**
			 * Status without the wc- prefix.
			 *
			 * @param string $context View or edit context.
			 * @return string
			 */
			public function get_status( $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->data['status'];
			}

			/**
			 * Sets the status, and fires woocommerce_order_status_changed as WooCommerce does on save.
			 *
			 * @param string $new_status    Status.
			 * @param string $note          Note.
			 * @param bool   $manual_update Whether a person changed it.
			 * @return array
			 */
			public function update_status( $new_status, $note = '', $manual_update = false ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				$from                 = $this->data['status'];
				$this->data['status'] = (string) $new_status;
				$this->save();
				do_action( 'woocommerce_order_status_changed', $this->id, $from, $this->data['status'], $this );
				return array(
					'from' => $from,
					'to'   => $this->data['status'],
				);
			}

			/**
			 * Sets the status without saving.
			 *
			 * @param string $new_status Status.
			 */
			public function set_status( $new_status ) {
				$this->data['status'] = (string) $new_status;
			}

			/**
			 * A meta value.
			 *
			 * @param string $key     Meta key.
			 * @param bool   $single  Single value.
			 * @param string $context View or edit.
			 * @return mixed
			 */
			public function get_meta( $key = '', $single = true, $context = 'view' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return isset( $this->meta[ $key ] ) ? $this->meta[ $key ] : '';
			}

			/**
			 * Sets a meta value (saved by save()).
			 *
			 * @param string       $key     Meta key.
			 * @param string|array $value   Meta value.
			 * @param int          $meta_id Meta id.
			 */
			public function update_meta_data( $key, $value, $meta_id = 0 ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				$this->meta[ $key ] = $value;
			}

			/**
			 * Removes a meta value (saved by save()).
			 *
			 * @param string $key Meta key.
			 */
			public function delete_meta_data( $key ) {
				unset( $this->meta[ $key ] );
			}

			/**
			 * Adds a note.
			 *
			 * @param string $note              Note.
			 * @param int    $is_customer_note  Whether the customer sees it.
			 * @param bool   $added_by_user     Whether a user added it.
			 * @return int Note id.
			 */
			public function add_order_note( $note, $is_customer_note = 0, $added_by_user = false ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				$this->notes[] = (string) $note;
				return count( $this->notes );
			}

			/**
			 * Last change, as WooCommerce returns it.
			 *
			 * @return WC_DateTime|null
			 */
			public function get_date_modified() {
				$date = new WC_DateTime( '@' . ( $this->modified ? $this->modified : time() ) );
				$date->setTimezone( new DateTimeZone( 'UTC' ) );
				return $date;
			}

			/**
			 * Sets the last change (WooCommerce accepts a timestamp or a date string).
			 *
			 * @param int|string $date Unix time.
			 */
			public function set_date_modified( $date = null ) {
				$this->modified = is_numeric( $date ) ? (int) $date : (int) strtotime( (string) $date );
			}

			/**
			 * Line items.
			 *
			 * @param string|array $types Item types (only line_item here).
			 * @return WC_Order_Item_Product[]
			 */
			public function get_items( $types = 'line_item' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found -- WooCommerce's signature.
				return $this->items;
			}

			/**
			 * Adds an item (saved with the order).
			 *
			 * @param WC_Order_Item_Product $item Item.
			 */
			public function add_item( $item ) {
				$this->items[] = $item;
			}

			/**
			 * Saves: the order becomes findable with wc_get_order().
			 *
			 * @return int Order id.
			 */
			public function save() {
				++$this->saves;
				self::$saved[ $this->id ] = $this;
				return $this->id;
			}
		}
	}

	if ( ! function_exists( 'is_checkout' ) ) {
		/**
		 * Stand-in for is_checkout(): WooCommerce's own answers true on the checkout page or when
		 * the woocommerce_is_checkout filter says so; here only the filter decides.
		 *
		 * @return bool
		 */
		function is_checkout() {
			return (bool) apply_filters( 'woocommerce_is_checkout', false );
		}
	}

	if ( ! function_exists( 'bikri_stand_in_block_data_attributes' ) ) {
		/**
		 * Stand-in for what WooCommerce Blocks' BlockTypesController does on render_block
		 * (WooCommerce 7.x-8.x): a woocommerce/ block's parsed attributes become data- attributes
		 * on its first <div> (camelCase to kebab-case, booleans as "true"/"false"; className and
		 * align left out), where the block's script reads them: showPhoneField becomes
		 * data-show-phone-field, which the Checkout block's billing form reads to show the phone
		 * field, requirePhoneField data-require-phone-field, to mark it required.
		 *
		 * @param string $content Rendered block.
		 * @param array  $block   Parsed block (after render_block_data).
		 * @return string
		 */
		function bikri_stand_in_block_data_attributes( $content, $block ) {
			$name = isset( $block['blockName'] ) ? (string) $block['blockName'] : '';
			if ( 0 !== strpos( $name, 'woocommerce/' ) ) {
				return $content;
			}
			$data = array( 'data-block-name="' . esc_attr( $name ) . '"' );
			foreach ( (array) $block['attrs'] as $key => $value ) {
				if ( in_array( $key, array( 'className', 'align' ), true ) ) {
					continue;
				}
				if ( is_bool( $value ) ) {
					$value = $value ? 'true' : 'false';
				} elseif ( ! is_scalar( $value ) ) {
					$value = wp_json_encode( $value );
				}
				$data[] = 'data-' . esc_attr( strtolower( preg_replace( '/([A-Z])/', '-$1', $key ) ) ) . '="' . esc_attr( $value ) . '"';
			}
			return preg_replace( '/^<div /', '<div ' . implode( ' ', $data ) . ' ', trim( $content ) );
		}
		add_filter( 'render_block', 'bikri_stand_in_block_data_attributes', 10, 2 );
	}

	if ( ! function_exists( 'wc_get_order' ) ) {
		/**
		 * Stand-in for wc_get_order(): the saved stand-in order, or false.
		 *
		 * @param mixed $the_order Order id or object.
		 * @return WC_Order|false
		 */
		function wc_get_order( $the_order = false ) {
			$id = is_object( $the_order ) ? $the_order->get_id() : (int) $the_order;
			return isset( WC_Order::$saved[ $id ] ) ? WC_Order::$saved[ $id ] : false;
		}
	}
}
