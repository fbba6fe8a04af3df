<?php
/**
 * Abandoned checkouts (O9): what the shopper types at checkout, with the cart, to the service.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The page's script posts the typed fields (debounced) to a WordPress AJAX action; the
 * handler reads the cart from WooCommerce itself (the browser's word on prices is not taken)
 * and forwards both to the service with the site token. Nothing here may slow or break the
 * checkout: a short timeout, and every failure is swallowed.
 */
final class Bikri_Abandoned_Capture {

	/**
	 * admin-ajax action (guests too).
	 */
	const ACTION = 'bikri_abandoned_capture';

	/**
	 * Nonce action of the checkout page.
	 */
	const NONCE_ACTION = 'bikri_abandoned';

	/**
	 * WooCommerce session key holding this checkout's capture key.
	 */
	const SESSION_KEY = 'bikri_capture_key';

	/**
	 * Seconds to wait for the service: the shopper is typing, the answer changes nothing for them.
	 */
	const TIMEOUT = 3;

	/**
	 * Fields the script may send, and the longest value kept of each.
	 */
	const FIELDS = array(
		'phone'    => 40,
		'name'     => 200,
		'email'    => 254,
		'address'  => 500,
		'district' => 100,
	);

	/**
	 * License state.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * Client for the service.
	 *
	 * @var Bikri_Api_Client
	 */
	private $client;

	/**
	 * The checkout settings copy (whether the shop captures).
	 *
	 * @var Bikri_Checkout_Config
	 */
	private $config;

	/**
	 * Builds the capture.
	 *
	 * @param Bikri_License         $license License state.
	 * @param Bikri_Api_Client      $client  Client for the service.
	 * @param Bikri_Checkout_Config $config  The checkout settings copy.
	 */
	public function __construct( Bikri_License $license, Bikri_Api_Client $client, Bikri_Checkout_Config $config ) {
		$this->license = $license;
		$this->client  = $client;
		$this->config  = $config;
	}

	/**
	 * Whether the shop switched capture on (read from the autoloaded copy: no remote call).
	 *
	 * @return bool
	 */
	public function enabled() {
		$state = $this->config->state();
		return ! empty( $state['abandoned_capture'] ) && $this->license->is_active();
	}

	/**
	 * Loads the capture script on the checkout page, only when the shop captures.
	 */
	public function action_enqueue_scripts() {
		if ( ! function_exists( 'is_checkout' ) || ! is_checkout() || ! $this->enabled() ) {
			return;
		}
		wp_enqueue_script( 'bikri-abandoned-capture', plugins_url( 'assets/js/abandoned-capture.js', BIKRI_PLUGIN_FILE ), array(), BIKRI_VERSION, true );
		wp_localize_script(
			'bikri-abandoned-capture',
			'bikriCapture',
			array(
				'ajaxUrl' => admin_url( 'admin-ajax.php' ),
				'action'  => self::ACTION,
				'nonce'   => wp_create_nonce( self::NONCE_ACTION ),
				'delay'   => 1500,
			)
		);
	}

	/**
	 * Tells shoppers, in the checkout's privacy text, that what they type is kept.
	 *
	 * @param string $text The privacy text.
	 * @param string $type 'checkout' or 'registration'.
	 * @return string
	 */
	public function filter_privacy_policy_text( $text, $type ) {
		if ( 'checkout' !== $type || ! $this->enabled() ) {
			return $text;
		}
		$notice = __( 'What you type at checkout (phone, name, address) is saved with your cart, so the shop can remind you by SMS if the order is not finished.', 'bikri' );
		return trim( $text . ' ' . $notice );
	}

	/**
	 * The AJAX handler: always a quick JSON answer; the shopper never sees an error from it.
	 */
	public function handle_capture() {
		if ( false === check_ajax_referer( self::NONCE_ACTION, 'nonce', false ) ) {
			wp_send_json_error( array( 'code' => 'bikri_bad_nonce' ), 403 );
		}
		if ( ! $this->enabled() ) {
			wp_send_json_error( array( 'code' => 'bikri_capture_off' ), 409 );
		}
		$fields = array();
		foreach ( self::FIELDS as $name => $limit ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked above.
			$value           = isset( $_POST[ $name ] ) && is_string( $_POST[ $name ] ) ? sanitize_text_field( wp_unslash( $_POST[ $name ] ) ) : '';
			$fields[ $name ] = mb_substr( $value, 0, $limit );
		}
		$fields['phone'] = Bikri_Phone::normalise( $fields['phone'] );
		if ( '' === $fields['phone'] ) {
			wp_send_json_error( array( 'code' => 'validation_error' ), 422 );
		}
		$cart = $this->cart();
		if ( null === $cart ) {
			wp_send_json_success( array( 'status' => 'empty' ) );
		}
		$body   = array_merge( array( 'capture_key' => $this->capture_key() ), $fields, $cart );
		$answer = $this->client->request( 'POST', '/api/v1/abandoned/capture', $body, true, array(), self::TIMEOUT );
		// The service down or refusing is no business of the shopper's: checkout goes on.
		wp_send_json_success( array( 'status' => is_wp_error( $answer ) ? 'skipped' : 'saved' ) );
	}

	/**
	 * The cart as WooCommerce holds it: lines and totals (null when there is none or it is empty).
	 *
	 * @return array|null {items: [{product_id, name, quantity, total}], total, currency}
	 */
	private function cart() {
		if ( ! function_exists( 'WC' ) || ! WC()->cart || WC()->cart->is_empty() ) {
			return null;
		}
		$items = array();
		foreach ( WC()->cart->get_cart() as $line ) {
			if ( count( $items ) >= 50 ) {
				break;
			}
			$product = isset( $line['data'] ) && is_object( $line['data'] ) ? $line['data'] : null;
			$items[] = array(
				'product_id' => (int) ( isset( $line['product_id'] ) ? $line['product_id'] : 0 ),
				'name'       => mb_substr( $product ? wp_strip_all_tags( $product->get_name() ) : '', 0, 400 ),
				'quantity'   => max( 1, (int) ( isset( $line['quantity'] ) ? $line['quantity'] : 1 ) ),
				'total'      => wc_format_decimal( isset( $line['line_total'] ) ? $line['line_total'] : 0, 2 ),
			);
		}
		return array(
			'items'    => $items,
			'total'    => wc_format_decimal( WC()->cart->get_total( 'edit' ), 2 ),
			'currency' => get_woocommerce_currency(),
		);
	}

	/**
	 * This checkout's key, kept in the WooCommerce session so later captures update one row.
	 *
	 * @return string
	 */
	private function capture_key() {
		$key = WC()->session ? (string) WC()->session->get( self::SESSION_KEY ) : '';
		if ( ! preg_match( '/^[a-f0-9]{32}$/', $key ) ) {
			$key = bin2hex( random_bytes( 16 ) );
			if ( WC()->session ) {
				WC()->session->set( self::SESSION_KEY, $key );
			}
		}
		return $key;
	}

	/**
	 * An order was placed: the next checkout of this session is a new one.
	 */
	public function action_order_placed() {
		if ( function_exists( 'WC' ) && WC()->session ) {
			WC()->session->set( self::SESSION_KEY, null );
		}
	}
}
