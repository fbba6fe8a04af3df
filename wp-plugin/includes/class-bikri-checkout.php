<?php
/**
 * Checkout protection: the OTP and blacklist guard on the classic and the block checkout (F2-F4).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * One rule, check(), guards both ways an order is placed:
 * - the classic checkout, through woocommerce_after_checkout_validation (an error refuses it);
 * - the block checkout, through the Store API's woocommerce_store_api_checkout_update_order_from_request
 *   (a RouteException refuses it).
 * Either way the server decides; the shopper's script only helps. The rule reads options
 * and a cookie: no call to the service while an order is placed.
 */
final class Bikri_Checkout {

	/**
	 * Cookie holding this browser's checkout session id (a code and its proof only count in it).
	 */
	const SESSION_COOKIE = 'bikri_checkout_session';

	/**
	 * Cookie holding the proof that this session's phone was verified.
	 */
	const PROOF_COOKIE = 'bikri_otp_proof';

	/**
	 * Nonce action of the shopper's AJAX calls.
	 */
	const NONCE_ACTION = 'bikri_otp';

	/**
	 * Order meta: how the phone passed (verified, trusted, skipped_no_balance, skipped_unavailable).
	 */
	const ORDER_META = '_bikri_otp';

	/**
	 * Queued job that tells the service about an order (never inside the shopper's request).
	 */
	const REPORT_HOOK = 'bikri_report_checkout_order';

	/**
	 * Times a report is retried when the service does not answer.
	 */
	const REPORT_ATTEMPTS = 5;

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
	 * The settings and blacklist copy.
	 *
	 * @var Bikri_Checkout_Config
	 */
	public $config;

	/**
	 * The proof that let the order in this request through, for the order hooks.
	 *
	 * @var array|null
	 */
	private $accepted = null;

	/**
	 * Builds the guard.
	 *
	 * @param Bikri_License         $license License state.
	 * @param Bikri_Api_Client      $client  Client for the service.
	 * @param Bikri_Checkout_Config $config  Settings and blacklist copy.
	 */
	public function __construct( Bikri_License $license, Bikri_Api_Client $client, Bikri_Checkout_Config $config ) {
		$this->license = $license;
		$this->client  = $client;
		$this->config  = $config;
	}

	/**
	 * Whether checkout asks for a code now. The autoloaded setting is read first, so a shop
	 * with OTP off pays nothing more.
	 *
	 * @return bool
	 */
	public function otp_required() {
		return $this->config->otp_enabled() && $this->license->is_active();
	}

	// --- the rule ---------------------------------------------------------------------------

	/**
	 * Whether this shopper may place the order.
	 *
	 * Without an active license nothing is enforced: a lapsed license must not close a shop's checkout.
	 *
	 * @param string $phone Billing phone as typed.
	 * @param string $email Billing email.
	 * @param string $ip    Shopper's IP address.
	 * @return true|WP_Error Code bikri_blocked, bikri_otp_phone or bikri_otp_required.
	 */
	public function check( $phone, $email, $ip ) {
		$this->accepted = null;
		$state          = $this->config->state();
		if ( ( ! $state['otp_enabled'] && ! $state['has_blacklist'] ) || ! $this->license->is_active() ) {
			return true;
		}
		$normal = Bikri_Phone::normalise( $phone );
		if ( '' !== $this->config->blocked( $normal, $email, $ip ) ) {
			return new WP_Error( 'bikri_blocked', $this->config->blacklist_message() );
		}
		if ( ! $state['otp_enabled'] ) {
			return true;
		}
		$refusals = self::otp_refusals();
		if ( '' === $normal ) {
			return new WP_Error( 'bikri_otp_phone', $refusals['bikri_otp_phone'] );
		}
		$proof = $this->current_proof();
		if ( null === $proof || $proof['p'] !== $normal ) {
			return new WP_Error( 'bikri_otp_required', $refusals['bikri_otp_required'] );
		}
		$this->accepted = $proof;
		return true;
	}

	/**
	 * What a shopper reads when the order is refused for want of a confirmed phone, by error code.
	 * The widget gets them too: a confirmed code takes away the refusal it showed before.
	 *
	 * @return array<string, string>
	 */
	public static function otp_refusals() {
		return array(
			'bikri_otp_phone'    => __( 'Enter a Bangladeshi mobile number (like 01711-234567): we send it a code to confirm the order.', 'bikri' ),
			'bikri_otp_required' => __( 'Confirm your mobile number with the code we send by SMS, then place the order.', 'bikri' ),
		);
	}

	/**
	 * The verified proof of this checkout session, or null.
	 *
	 * @return array|null Payload: p (phone), sid, m (mode), exp.
	 */
	public function current_proof() {
		$session = $this->session_id( false );
		$raw     = $this->proof_cookie();
		if ( '' === $session || '' === $raw ) {
			return null;
		}
		$proof = Bikri_Otp_Proof::read( $this->license->token(), $this->license->export_key(), $raw, time() );
		return null !== $proof && hash_equals( $session, $proof['sid'] ) ? $proof : null;
	}

	/**
	 * The proof this browser holds, as the service signed it ('' when none): loyalty points
	 * are redeemed with it for a guest (Bikri_Loyalty), so the service checks the phone itself.
	 *
	 * @return string
	 */
	public function proof_cookie() {
		return isset( $_COOKIE[ self::PROOF_COOKIE ] ) ? sanitize_text_field( wp_unslash( $_COOKIE[ self::PROOF_COOKIE ] ) ) : '';
	}

	// --- classic checkout ---------------------------------------------------------------------

	/**
	 * Classic checkout: refuses the order through WooCommerce's validation errors.
	 *
	 * @param array    $data   Posted checkout data (billing_phone, billing_email, ...).
	 * @param WP_Error $errors Errors WooCommerce collects; any error stops the order.
	 */
	public function action_after_checkout_validation( $data, $errors ) {
		if ( ! $errors instanceof WP_Error ) {
			return;
		}
		$data   = is_array( $data ) ? $data : array();
		$phone  = self::first_text( $data, array( 'billing_phone', 'shipping_phone' ) );
		$result = $this->check( $phone, self::first_text( $data, array( 'billing_email' ) ), self::shopper_ip() );
		if ( is_wp_error( $result ) ) {
			// WooCommerce prints notices as HTML (through wp_kses): the shop's own words are escaped here.
			$errors->add( $result->get_error_code(), esc_html( $result->get_error_message() ) );
		}
	}

	/**
	 * Classic checkout: the order exists.
	 *
	 * @param int      $order_id    Order id.
	 * @param array    $posted_data Posted data.
	 * @param WC_Order $order       The order.
	 */
	public function action_checkout_order_processed( $order_id, $posted_data, $order ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundInExtendedClassBeforeLastUsed -- the hook's signature.
		$this->record_order( $order );
	}

	// --- block checkout (Store API) ----------------------------------------------------------

	/**
	 * Block checkout: refuses the order by throwing the Store API's RouteException, which the
	 * Store API answers as a 400 with our code and message, shown in the checkout block.
	 *
	 * @param WC_Order        $order   The draft order, its addresses already set from the cart.
	 * @param WP_REST_Request $request The checkout request (billing_address, shipping_address, ...).
	 * @throws \Automattic\WooCommerce\StoreApi\Exceptions\RouteException When the order may not be placed.
	 */
	public function action_store_api_update_order( $order, $request ) {
		if ( $request instanceof WP_REST_Request && 'POST' !== $request->get_method() ) {
			// Only placing the order (POST /checkout) is guarded; newer WooCommerce also runs this
			// hook when the block saves fields on the draft order (PUT), which must not fail.
			return;
		}
		$billing  = self::address( $request, 'billing_address' );
		$shipping = self::address( $request, 'shipping_address' );
		$phone    = self::first_text( $billing, array( 'phone' ) );
		if ( '' === $phone ) {
			$phone = self::first_text( $shipping, array( 'phone' ) );
		}
		if ( '' === $phone && is_object( $order ) && is_callable( array( $order, 'get_billing_phone' ) ) ) {
			$phone = (string) $order->get_billing_phone();
		}
		$email = self::first_text( $billing, array( 'email' ) );
		if ( '' === $email && is_object( $order ) && is_callable( array( $order, 'get_billing_email' ) ) ) {
			$email = (string) $order->get_billing_email();
		}
		$result = $this->check( $phone, $email, self::shopper_ip() );
		if ( ! is_wp_error( $result ) ) {
			return;
		}
		$class = '\Automattic\WooCommerce\StoreApi\Exceptions\RouteException';
		if ( class_exists( $class ) ) {
			throw new $class( $result->get_error_code(), $result->get_error_message(), 400 );
		}
		// A WooCommerce older than the Store API's exceptions still refuses on any exception.
		throw new Exception( esc_html( $result->get_error_message() ) );
	}

	/**
	 * Block checkout: the order exists.
	 *
	 * @param WC_Order $order The order.
	 */
	public function action_store_api_order_processed( $order ) {
		$this->record_order( $order );
	}

	// --- after the order ------------------------------------------------------------------------

	/**
	 * Marks the order with how its phone passed, flags an unverified one, and queues the
	 * report for the OTP report (never a remote call in the shopper's request).
	 *
	 * @param WC_Order $order The order just placed.
	 */
	public function record_order( $order ) {
		if ( null === $this->accepted || ! is_object( $order ) || ! is_callable( array( $order, 'update_meta_data' ) ) ) {
			return;
		}
		$mode  = (string) $this->accepted['m'];
		$notes = array(
			'skipped_no_balance'  => __( 'OTP skipped: no balance. The SMS wallet was empty, so no code was sent and the phone is not verified.', 'bikri' ),
			'skipped_unavailable' => __( 'OTP skipped: the Bikri service did not answer, so no code was sent and the phone is not verified.', 'bikri' ),
			'trusted'             => __( 'No OTP asked: this phone verified before and has a delivered order.', 'bikri' ),
			'verified'            => __( 'Phone verified with an SMS code.', 'bikri' ),
		);
		$order->update_meta_data( self::ORDER_META, $mode );
		if ( isset( $notes[ $mode ] ) ) {
			$order->add_order_note( $notes[ $mode ] );
		}
		$order->save();
		$this->queue_report(
			array(
				'wc_order_id' => (int) $order->get_id(),
				'phone'       => (string) $this->accepted['p'],
				'otp'         => $mode,
				'status'      => (string) $order->get_status(),
			)
		);
	}

	/**
	 * A protected order changed status: the service learns of deliveries (trusted customers).
	 *
	 * @param int      $order_id Order id.
	 * @param string   $from     Old status.
	 * @param string   $to       New status.
	 * @param WC_Order $order    The order.
	 */
	public function action_order_status_changed( $order_id, $from, $to, $order = null ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundInExtendedClassBeforeLastUsed -- the hook's signature.
		if ( ! is_object( $order ) && function_exists( 'wc_get_order' ) ) {
			$order = wc_get_order( $order_id );
		}
		if ( ! is_object( $order ) || ! is_callable( array( $order, 'get_meta' ) ) ) {
			return;
		}
		$mode = (string) $order->get_meta( self::ORDER_META );
		if ( '' === $mode ) {
			return;
		}
		$this->queue_report(
			array(
				'wc_order_id' => (int) $order_id,
				'phone'       => (string) $order->get_billing_phone(),
				'otp'         => $mode,
				'status'      => (string) $to,
			)
		);
	}

	/**
	 * Queues a report with Action Scheduler (inside WooCommerce), or WP-cron without it.
	 *
	 * @param array $body    Report body.
	 * @param int   $attempt Attempt number.
	 * @param int   $delay   Seconds to wait.
	 */
	private function queue_report( array $body, $attempt = 1, $delay = 0 ) {
		if ( function_exists( 'as_schedule_single_action' ) ) {
			as_schedule_single_action( time() + $delay, self::REPORT_HOOK, array( $body, $attempt ), 'bikri' );
			return;
		}
		wp_schedule_single_event( time() + $delay, self::REPORT_HOOK, array( $body, $attempt ) );
	}

	/**
	 * The queued job: tells the service; retries later while it does not answer.
	 *
	 * @param array $body    Report body.
	 * @param int   $attempt Attempt number.
	 */
	public function action_report_order( $body, $attempt = 1 ) {
		if ( ! is_array( $body ) || ! $this->license->is_active() ) {
			return;
		}
		$result = $this->client->report_checkout_order( $body );
		if ( is_wp_error( $result ) && ( 0 === Bikri_Api_Client::status_of( $result ) || Bikri_Api_Client::status_of( $result ) >= 500 )
			&& $attempt < self::REPORT_ATTEMPTS ) {
			$this->queue_report( $body, $attempt + 1, 300 * $attempt );
		}
	}

	// --- the phone field: required while a code is asked ----------------------------------------

	/**
	 * Checkout block (WooCommerce 7.x-8.x): the phone field's "show" and "required" are the
	 * woocommerce/checkout block's own attributes (showPhoneField, requirePhoneField), which
	 * WooCommerce writes into the block's data- attributes on render for its script to read.
	 * While a code is asked, the order is refused without a phone, so the block must not label
	 * it "optional" (or hide it): both are set here, before the block is rendered.
	 *
	 * A Checkout block rendered anywhere (another page, a template, a reusable block) also loads
	 * the code widget, which is_checkout() alone would miss.
	 *
	 * @param array $parsed_block The block about to be rendered (blockName, attrs, ...).
	 * @return array
	 */
	public function filter_render_block_data( $parsed_block ) {
		if ( ! is_array( $parsed_block ) || ! isset( $parsed_block['blockName'] ) || 'woocommerce/checkout' !== $parsed_block['blockName'] || ! $this->otp_required() ) {
			return $parsed_block;
		}
		$attrs                      = isset( $parsed_block['attrs'] ) && is_array( $parsed_block['attrs'] ) ? $parsed_block['attrs'] : array();
		$attrs['showPhoneField']    = true;
		$attrs['requirePhoneField'] = true;
		$parsed_block['attrs']      = $attrs;
		if ( ! is_admin() ) {
			// Block themes render the template before wp_head(): enqueued now, it still prints in the footer.
			$this->enqueue_widget();
		}
		return $parsed_block;
	}

	/**
	 * WooCommerce's "Phone field" setting (hidden, optional or required): the classic checkout's
	 * fields read it, and newer Checkout blocks read it instead of their attributes. While a code
	 * is asked it reads "required" for shoppers; the admin screens keep showing (and saving) the
	 * shop's own choice.
	 *
	 * @param mixed $pre The value other filters gave (false: none).
	 * @return mixed
	 */
	public function filter_phone_field_option( $pre ) {
		if ( false !== $pre || is_admin() || ! $this->otp_required() ) {
			return $pre;
		}
		return 'required';
	}

	/**
	 * Classic checkout: the billing phone is required while a code is asked (a theme or plugin
	 * may have made it optional after WooCommerce read its setting).
	 *
	 * @param array $fields Billing fields, by key.
	 * @return array
	 */
	public function filter_billing_fields( $fields ) {
		if ( is_array( $fields ) && isset( $fields['billing_phone'] ) && is_array( $fields['billing_phone'] ) && $this->otp_required() ) {
			$fields['billing_phone']['required'] = true;
		}
		return $fields;
	}

	// --- the shopper's page ---------------------------------------------------------------------

	/**
	 * Loads the OTP widget where a shopper can check out, only when OTP is on: WooCommerce's
	 * checkout page, or any page or post whose content holds the Checkout block or the
	 * [woocommerce_checkout] shortcode (is_checkout() is false there).
	 */
	public function action_enqueue_scripts() {
		if ( ! $this->config->otp_enabled() || ! $this->license->is_active() ) {
			return;
		}
		if ( ( function_exists( 'is_checkout' ) && is_checkout() ) || self::content_has_checkout( is_singular() ? get_queried_object() : null ) ) {
			$this->enqueue_widget();
		}
	}

	/**
	 * Whether a post's content holds a checkout: the Checkout block or the classic shortcode.
	 *
	 * @param WP_Post|null $post The post shown.
	 * @return bool
	 */
	public static function content_has_checkout( $post ) {
		if ( ! $post instanceof WP_Post ) {
			return false;
		}
		return has_block( 'woocommerce/checkout', $post ) || has_shortcode( $post->post_content, 'woocommerce_checkout' );
	}

	/**
	 * Enqueues the widget's script, its data and its style (once).
	 */
	private function enqueue_widget() {
		if ( wp_script_is( 'bikri-checkout-otp', 'enqueued' ) ) {
			return;
		}
		$base = plugins_url( 'assets/', BIKRI_PLUGIN_FILE );
		wp_enqueue_style( 'bikri-checkout', $base . 'css/checkout.css', array(), BIKRI_VERSION );
		wp_enqueue_script( 'bikri-checkout-otp', $base . 'js/checkout-otp.js', array(), BIKRI_VERSION, true );
		wp_localize_script( 'bikri-checkout-otp', 'bikriOtp', $this->script_data() );
	}

	/**
	 * What the widget needs: where to call, a nonce, the state, and its words.
	 *
	 * @return array
	 */
	public function script_data() {
		$proof = $this->current_proof();
		return array(
			'ajaxUrl'       => admin_url( 'admin-ajax.php' ),
			'nonce'         => wp_create_nonce( self::NONCE_ACTION ),
			'verifiedPhone' => null === $proof ? '' : (string) $proof['p'],
			'digits'        => 6,
			// The refusals this plugin shows when an order is placed without a confirmed phone,
			// by code: once the code is confirmed, the widget takes them off the page.
			'refusals'      => self::otp_refusals(),
			'text'          => array(
				'title'        => __( 'Confirm your mobile number', 'bikri' ),
				'help'         => __( 'We send a 6-digit code by SMS. Type it here to place the order.', 'bikri' ),
				'send'         => __( 'Send code', 'bikri' ),
				'resend'       => __( 'Send a new code', 'bikri' ),
				/* translators: %d: seconds */
				'resendIn'     => __( 'New code in %d s', 'bikri' ),
				'codeLabel'    => __( 'Code from the SMS', 'bikri' ),
				'verify'       => __( 'Confirm', 'bikri' ),
				'sending'      => __( 'Sending…', 'bikri' ),
				'checking'     => __( 'Checking…', 'bikri' ),
				'verified'     => __( 'Mobile number confirmed. You can place the order.', 'bikri' ),
				'changed'      => __( 'The number changed: confirm the new one.', 'bikri' ),
				'phoneMissing' => __( 'Enter your mobile number first.', 'bikri' ),
				'codeMissing'  => __( 'Enter the 6-digit code.', 'bikri' ),
				'network'      => __( 'Could not reach the shop. Check your connection and try again.', 'bikri' ),
			),
		);
	}

	// --- cookies ---------------------------------------------------------------------------------

	/**
	 * This browser's checkout session id; made (and sent as a cookie) when $create and there is none.
	 *
	 * @param bool $create Whether to start a session.
	 * @return string '' when there is none.
	 */
	public function session_id( $create ) {
		$id = isset( $_COOKIE[ self::SESSION_COOKIE ] ) ? sanitize_text_field( wp_unslash( $_COOKIE[ self::SESSION_COOKIE ] ) ) : '';
		if ( preg_match( '/^[A-Za-z0-9_-]{16,64}$/', $id ) ) {
			return $id;
		}
		if ( ! $create ) {
			return '';
		}
		$id = bin2hex( random_bytes( 16 ) );
		self::set_cookie( self::SESSION_COOKIE, $id );
		return $id;
	}

	/**
	 * Keeps a proof for this browser session (it ends with the browser or the proof's time).
	 *
	 * @param string $proof The proof.
	 */
	public function store_proof( $proof ) {
		self::set_cookie( self::PROOF_COOKIE, (string) $proof );
	}

	/**
	 * A session cookie the page's scripts cannot read.
	 *
	 * @param string $name  Name.
	 * @param string $value Value.
	 */
	private static function set_cookie( $name, $value ) {
		$_COOKIE[ $name ] = $value;
		if ( headers_sent() ) {
			return;
		}
		setcookie(
			$name,
			$value,
			array(
				'expires'  => 0,
				'path'     => COOKIEPATH ? COOKIEPATH : '/',
				'domain'   => COOKIE_DOMAIN ? COOKIE_DOMAIN : '',
				'secure'   => is_ssl(),
				'httponly' => true,
				'samesite' => 'Lax',
			)
		);
	}

	// --- admin -------------------------------------------------------------------------------------

	/**
	 * S8: tells the shop on every admin screen when codes stopped for want of balance.
	 */
	public function action_admin_notices() {
		if ( ! $this->config->out_of_balance() || ! current_user_can( Bikri_Access::CAP_VIEW ) || ! $this->license->is_active() ) {
			return;
		}
		printf(
			'<div class="notice notice-error bikri-otp-notice"><p>%1$s <a href="%2$s">%3$s</a></p></div>',
			esc_html__( 'Bikri: your SMS balance has run out, so checkout codes are not being sent. Orders still go through, marked "OTP skipped: no balance".', 'bikri' ),
			esc_url( admin_url( 'admin.php?page=bikri-sms' ) ),
			esc_html__( 'Recharge on the SMS page', 'bikri' )
		);
	}

	/**
	 * Keeps the copy's pull scheduled, and makes the first pull as soon as the site is active.
	 */
	public function action_admin_init() {
		if ( ! $this->license->is_active() ) {
			return;
		}
		Bikri_Checkout_Config::schedule();
		$state = $this->config->state();
		if ( 0 === (int) $state['synced_at'] && empty( $state['error'] ) ) {
			$this->config->sync( $this->client, time() );
		}
	}

	/**
	 * The scheduled pull.
	 */
	public function action_cron_sync() {
		if ( $this->license->is_active() ) {
			$this->config->sync( $this->client, time() );
		}
	}

	// --- helpers ----------------------------------------------------------------------------------

	/**
	 * The shopper's IP address: REMOTE_ADDR, which a shopper cannot forge. Forwarded-for headers
	 * can be, which would let anyone reset the per-IP limits; a site behind a proxy or CDN
	 * supplies the real address through the bikri_shopper_ip filter.
	 *
	 * @return string
	 */
	public static function shopper_ip() {
		$ip = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
		/**
		 * Filters the shopper's IP address used for OTP limits and the IP blacklist.
		 *
		 * @param string $ip REMOTE_ADDR.
		 */
		$ip = (string) apply_filters( 'bikri_shopper_ip', $ip );
		return filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : '0.0.0.0';
	}

	/**
	 * The first non-empty text among some keys of an array.
	 *
	 * @param array    $data Data.
	 * @param string[] $keys Keys, in order.
	 * @return string
	 */
	private static function first_text( $data, array $keys ) {
		foreach ( $keys as $key ) {
			if ( isset( $data[ $key ] ) && is_scalar( $data[ $key ] ) && '' !== trim( (string) $data[ $key ] ) ) {
				return trim( (string) $data[ $key ] );
			}
		}
		return '';
	}

	/**
	 * An address from a Store API request, as an array.
	 *
	 * @param WP_REST_Request|array $request The request.
	 * @param string                $key     billing_address or shipping_address.
	 * @return array
	 */
	private static function address( $request, $key ) {
		if ( ! ( $request instanceof ArrayAccess ) && ! is_array( $request ) ) {
			return array();
		}
		$value = isset( $request[ $key ] ) ? $request[ $key ] : null;
		return is_array( $value ) ? $value : array();
	}
}
