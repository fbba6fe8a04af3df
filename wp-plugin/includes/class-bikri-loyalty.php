<?php
/**
 * Loyalty points at checkout (U2): the shopper's balance, points applied as a discount, and
 * the redemption tied to the order.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The service keeps the points; this class only asks it, from the server with the site token.
 *
 * Whose points: a signed-in customer's own billing phone (the plugin vouches for it), or a
 * guest's phone proven by the checkout code (the OTP proof Bikri_Checkout keeps; the service
 * checks its signature and takes only a code actually verified). Applying points takes a hold
 * at the service (the points are set aside at once), kept in WooCommerce's session and added to
 * the cart as a negative fee; the placed order carries the hold, which the service turns into a
 * redemption when the order reaches it (or gives back if the order is cancelled, or if no order
 * uses the hold in 30 minutes). Tying the hold to the order is queued, never a remote call in
 * the shopper's order request.
 *
 * The classic checkout shows the points box under the billing fields (admin-ajax calls). The
 * checkout block shows the same box in its order summary (Bikri_Loyalty_Block, a WooCommerce
 * Blocks integration whose script fills the ExperimentalOrderMeta slot): the balance comes from
 * the same admin-ajax call, and points are applied or removed through the Store API's
 * cart/extensions route (this class's update callback), whose answer carries the new cart, so the
 * block redraws its totals with the fee. Both boxes take the same nonce and the same proof; the
 * fee is the same hook on both checkouts. Without WooCommerce Blocks' extension points (older
 * WooCommerce) nothing of this is registered and the classic box works as before.
 */
final class Bikri_Loyalty {

	/**
	 * Nonce action of the shopper's calls.
	 */
	const NONCE_ACTION = 'bikri_loyalty';

	/**
	 * admin-ajax action: the shopper's balance.
	 */
	const ACTION_BALANCE = 'bikri_loyalty_balance';

	/**
	 * admin-ajax action: apply points.
	 */
	const ACTION_APPLY = 'bikri_loyalty_apply';

	/**
	 * admin-ajax action: take the points off.
	 */
	const ACTION_REMOVE = 'bikri_loyalty_remove';

	/**
	 * Script handle of the admin-ajax call both boxes' scripts use (assets/js/loyalty-call.js).
	 */
	const CALL_SCRIPT = 'bikri-loyalty-call';

	/**
	 * WooCommerce session key of the hold: {hold, points, value, phone}.
	 */
	const SESSION_KEY = 'bikri_loyalty_hold';

	/**
	 * Order meta: the hold the order spent.
	 */
	const ORDER_META = '_bikri_loyalty_hold';

	/**
	 * Queued job: tell the service which order used the hold.
	 */
	const ATTACH_HOOK = 'bikri_loyalty_attach';

	/**
	 * Tries before the job gives up (the hold then runs out at the service and its points go back).
	 */
	const ATTACH_ATTEMPTS = 5;

	/**
	 * Seconds a shopper waits for the service at most.
	 */
	const TIMEOUT = 5;

	/**
	 * The checkout block's name for us: the integration's name, the Store API namespace of the
	 * cart/extensions calls and of the cart's data.
	 */
	const BLOCK_NAMESPACE = 'bikri-loyalty';

	/**
	 * The answer to this request's cart/extensions call, returned in the cart's data: {ok, code, message}.
	 *
	 * @var array|null
	 */
	private $block_answer = null;

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
	 * The checkout guard (its copy of the settings, the OTP proof).
	 *
	 * @var Bikri_Checkout
	 */
	private $checkout;

	/**
	 * Builds it.
	 *
	 * @param Bikri_License    $license  License state.
	 * @param Bikri_Api_Client $client   Client for the service.
	 * @param Bikri_Checkout   $checkout The checkout guard.
	 */
	public function __construct( Bikri_License $license, Bikri_Api_Client $client, Bikri_Checkout $checkout ) {
		$this->license  = $license;
		$this->client   = $client;
		$this->checkout = $checkout;
	}

	/**
	 * Whether the checkout offers points now.
	 *
	 * @return bool
	 */
	public function offered() {
		return $this->license->is_active() && $this->checkout->config->loyalty_enabled();
	}

	// --- the shopper's page -------------------------------------------------------------------

	/**
	 * Classic checkout: the points box under the billing fields (not inside the order review,
	 * which WooCommerce redraws on every update).
	 */
	public function action_render_box() {
		if ( ! $this->offered() ) {
			return;
		}
		$hold = $this->session_hold();
		?>
<div id="bikri-loyalty" class="bikri-loyalty" role="group" aria-labelledby="bikri-loyalty-title">
	<p class="bikri-loyalty__title" id="bikri-loyalty-title"><?php esc_html_e( 'Loyalty points', 'bikri' ); ?></p>
	<p class="bikri-loyalty__status" aria-live="polite">
		<?php
		if ( null !== $hold ) {
			/* translators: 1: points, 2: taka */
			echo esc_html( sprintf( __( '%1$d points applied: %2$s ৳ off.', 'bikri' ), (int) $hold['points'], $hold['value'] ) );
		}
		?>
	</p>
	<button type="button" class="button bikri-loyalty__show"<?php echo null !== $hold ? ' hidden' : ''; ?>><?php esc_html_e( 'Use my points', 'bikri' ); ?></button>
	<button type="button" class="button bikri-loyalty__remove"<?php echo null === $hold ? ' hidden' : ''; ?>><?php esc_html_e( 'Remove points', 'bikri' ); ?></button>
</div>
		<?php
	}

	/**
	 * Registers the admin-ajax call both boxes' scripts use (each lists it as a dependency).
	 */
	public static function register_call_script() {
		wp_register_script( self::CALL_SCRIPT, plugins_url( 'assets/js/loyalty-call.js', BIKRI_PLUGIN_FILE ), array(), BIKRI_VERSION, true );
	}

	/**
	 * Loads the box's script where a classic checkout is shown, while points are offered.
	 */
	public function action_enqueue_scripts() {
		if ( ! $this->offered() || wp_script_is( 'bikri-checkout-loyalty', 'enqueued' ) ) {
			return;
		}
		if ( ! ( function_exists( 'is_checkout' ) && is_checkout() ) && ! Bikri_Checkout::content_has_checkout( is_singular() ? get_queried_object() : null ) ) {
			return;
		}
		$base = plugins_url( 'assets/', BIKRI_PLUGIN_FILE );
		wp_enqueue_style( 'bikri-checkout', $base . 'css/checkout.css', array(), BIKRI_VERSION );
		self::register_call_script();
		wp_enqueue_script( 'bikri-checkout-loyalty', $base . 'js/checkout-loyalty.js', array( self::CALL_SCRIPT ), BIKRI_VERSION, true );
		wp_localize_script(
			'bikri-checkout-loyalty',
			'bikriLoyalty',
			array(
				'ajaxUrl' => admin_url( 'admin-ajax.php' ),
				'nonce'   => wp_create_nonce( self::NONCE_ACTION ),
				'text'    => array(
					'loading' => __( 'Checking your points…', 'bikri' ),
					'use'     => __( 'Use points', 'bikri' ),
					'amount'  => __( 'Points to use', 'bikri' ),
					'network' => __( 'Could not reach the shop. Check your connection and try again.', 'bikri' ),
				),
			)
		);
	}

	// --- the shopper's calls (admin-ajax) -----------------------------------------------------

	/**
	 * "Use my points": the balance of the proven phone.
	 */
	public function handle_balance() {
		$shopper = $this->guard();
		$answer  = $this->client->request( 'POST', '/api/v1/loyalty/balance', $shopper, true, array(), self::TIMEOUT );
		if ( is_wp_error( $answer ) ) {
			$this->fail_with( $this->refusal( $answer ) );
		}
		$points = isset( $answer['points'] ) ? (int) $answer['points'] : 0;
		$least  = isset( $answer['min_redeem'] ) ? (int) $answer['min_redeem'] : 1;
		if ( empty( $answer['can_redeem'] ) ) {
			/* translators: 1: the shopper's points, 2: the least that can be spent */
			$this->fail( 'bikri_loyalty_too_few', sprintf( __( 'You have %1$d points. At least %2$d are needed to use them.', 'bikri' ), $points, $least ), 409 );
		}
		wp_send_json_success(
			array(
				'points'     => $points,
				'min_redeem' => $least,
				/* translators: 1: points, 2: taka */
				'message'    => sprintf( __( 'You have %1$d points, worth %2$s ৳.', 'bikri' ), $points, (string) $answer['value'] ),
			)
		);
	}

	/**
	 * "Use points": a hold at the service, kept in the session; the cart's fee follows.
	 */
	public function handle_apply() {
		$shopper = $this->guard();
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- guard() checked the nonce.
		$points = isset( $_POST['points'] ) ? absint( wp_unslash( $_POST['points'] ) ) : 0;
		$hold   = $this->take_hold( $shopper, $points );
		if ( is_wp_error( $hold ) ) {
			$this->fail_with( $hold );
		}
		wp_send_json_success(
			array(
				'points'  => $hold['points'],
				'value'   => $hold['value'],
				'message' => $this->applied_message( $hold ),
			)
		);
	}

	/**
	 * "Remove points": the hold is given back.
	 */
	public function handle_remove() {
		$this->guard_request();
		$this->give_back_session_hold();
		wp_send_json_success( array( 'message' => __( 'Points removed.', 'bikri' ) ) );
	}

	// --- the checkout block (WooCommerce Blocks, Store API) -------------------------------------

	/**
	 * WooCommerce Blocks loaded: the cart/extensions callback and the cart's data (skipped where
	 * the Store API lacks them).
	 */
	public function action_blocks_loaded() {
		if ( function_exists( 'woocommerce_store_api_register_update_callback' ) ) {
			woocommerce_store_api_register_update_callback(
				array(
					'namespace' => self::BLOCK_NAMESPACE,
					'callback'  => array( $this, 'store_api_update' ),
				)
			);
		}
		if ( function_exists( 'woocommerce_store_api_register_endpoint_data' ) && class_exists( '\Automattic\WooCommerce\StoreApi\Schemas\V1\CartSchema' ) ) {
			woocommerce_store_api_register_endpoint_data(
				array(
					'endpoint'        => \Automattic\WooCommerce\StoreApi\Schemas\V1\CartSchema::IDENTIFIER,
					'namespace'       => self::BLOCK_NAMESPACE,
					'data_callback'   => array( $this, 'store_api_cart_data' ),
					'schema_callback' => array( $this, 'store_api_cart_schema' ),
					'schema_type'     => ARRAY_A,
				)
			);
		}
	}

	/**
	 * The Checkout block's integrations are being registered: ours loads the box's script.
	 *
	 * @param object $registry WooCommerce Blocks' IntegrationRegistry.
	 */
	public function action_checkout_block_registration( $registry ) {
		if ( ! is_object( $registry ) || ! is_callable( array( $registry, 'register' ) ) || ! interface_exists( '\Automattic\WooCommerce\Blocks\Integrations\IntegrationInterface' ) ) {
			return;
		}
		require_once __DIR__ . '/class-bikri-loyalty-block.php';
		$registry->register( new Bikri_Loyalty_Block( $this ) );
	}

	/**
	 * The block's script data: where the balance is asked, the nonce, the box's words.
	 *
	 * @return array
	 */
	public function block_script_data() {
		return array(
			'namespace' => self::BLOCK_NAMESPACE,
			'ajaxUrl'   => admin_url( 'admin-ajax.php' ),
			'action'    => self::ACTION_BALANCE,
			'nonce'     => wp_create_nonce( self::NONCE_ACTION ),
			'text'      => array(
				'title'   => __( 'Loyalty points', 'bikri' ),
				'show'    => __( 'Use my points', 'bikri' ),
				'use'     => __( 'Use points', 'bikri' ),
				'amount'  => __( 'Points to use', 'bikri' ),
				'remove'  => __( 'Remove points', 'bikri' ),
				'loading' => __( 'Checking your points…', 'bikri' ),
				'network' => __( 'Could not reach the shop. Check your connection and try again.', 'bikri' ),
			),
		);
	}

	/**
	 * Store API cart/extensions, namespace bikri-loyalty: {action: apply, points, nonce} or
	 * {action: remove, nonce}. The same checks as the classic box's calls; a refusal is not thrown
	 * but answered in the cart's data (store_api_cart_data), so the shopper reads its words
	 * whatever the WooCommerce version does with a failed cart update.
	 *
	 * @param array $data The data the block's script sent.
	 */
	public function store_api_update( $data ) {
		$this->block_answer = $this->block_call( is_array( $data ) ? $data : array() );
	}

	/**
	 * What the block asked, done or refused.
	 *
	 * @param array $data The data the block's script sent.
	 * @return array {ok, code, message}
	 */
	private function block_call( array $data ) {
		$nonce   = isset( $data['nonce'] ) && is_string( $data['nonce'] ) ? $data['nonce'] : '';
		$refused = $this->refusal_before_call( false !== wp_verify_nonce( $nonce, self::NONCE_ACTION ) );
		if ( null !== $refused ) {
			return $this->answer_of( $refused );
		}
		$action = isset( $data['action'] ) ? (string) $data['action'] : '';
		if ( 'remove' === $action ) {
			$this->give_back_session_hold();
			return array(
				'ok'      => true,
				'code'    => 'removed',
				'message' => __( 'Points removed.', 'bikri' ),
			);
		}
		if ( 'apply' !== $action ) {
			return $this->answer_of( new WP_Error( 'bikri_bad_request', __( 'Something went wrong. Try again.', 'bikri' ) ) );
		}
		$shopper = $this->whose_points();
		if ( is_wp_error( $shopper ) ) {
			return $this->answer_of( $shopper );
		}
		$hold = $this->take_hold( $shopper, isset( $data['points'] ) && is_scalar( $data['points'] ) ? absint( $data['points'] ) : 0 );
		if ( is_wp_error( $hold ) ) {
			return $this->answer_of( $hold );
		}
		return array(
			'ok'      => true,
			'code'    => 'applied',
			'message' => $this->applied_message( $hold ),
		);
	}

	/**
	 * The Store API cart's data under bikri-loyalty: the points applied (from the session, no
	 * remote call) and, in a cart/extensions answer, what became of the call.
	 *
	 * @return array
	 */
	public function store_api_cart_data() {
		$hold = $this->session_hold();
		return array(
			'points'  => null === $hold ? 0 : (int) $hold['points'],
			'value'   => null === $hold ? '' : (string) $hold['value'],
			'applied' => null === $hold ? '' : $this->applied_message( $hold ),
			'answer'  => $this->block_answer,
		);
	}

	/**
	 * The schema of store_api_cart_data().
	 *
	 * @return array
	 */
	public function store_api_cart_schema() {
		$read = array(
			'context'  => array( 'view', 'edit' ),
			'readonly' => true,
		);
		return array(
			'points'  => array(
				'description' => __( 'Loyalty points applied to the cart.', 'bikri' ),
				'type'        => 'integer',
			) + $read,
			'value'   => array(
				'description' => __( 'What the applied points take off, in taka.', 'bikri' ),
				'type'        => 'string',
			) + $read,
			'applied' => array(
				'description' => __( 'The applied points, in the shopper\'s words.', 'bikri' ),
				'type'        => 'string',
			) + $read,
			'answer'  => array(
				'description' => __( 'What became of the last points call: ok, code, message.', 'bikri' ),
				'type'        => array( 'object', 'null' ),
			) + $read,
		);
	}

	// --- the cart and the order ----------------------------------------------------------------

	/**
	 * The applied points as a negative fee (classic checkout and the Store API's cart alike).
	 *
	 * @param WC_Cart $cart The cart being totalled.
	 */
	public function action_cart_fees( $cart ) {
		$hold = $this->session_hold();
		if ( null === $hold || ! is_object( $cart ) || ! is_callable( array( $cart, 'add_fee' ) ) ) {
			return;
		}
		$cart->add_fee( __( 'Loyalty points', 'bikri' ), -1 * (float) $hold['value'], false );
	}

	/**
	 * Classic checkout: the order exists.
	 *
	 * @param int      $order_id    Order id.
	 * @param array    $posted_data Posted data.
	 * @param WC_Order $order       The order.
	 */
	public function action_checkout_order_processed( $order_id, $posted_data, $order ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundInExtendedClassBeforeLastUsed -- the hook's signature.
		$this->spend_on( $order );
	}

	/**
	 * The placed order carries the hold; the service is told which order used it (queued).
	 *
	 * @param WC_Order $order The order just placed.
	 */
	public function spend_on( $order ) {
		$hold = $this->session_hold();
		if ( null === $hold || ! is_object( $order ) || ! is_callable( array( $order, 'update_meta_data' ) ) ) {
			return;
		}
		$order->update_meta_data( self::ORDER_META, $hold['hold'] );
		/* translators: 1: points, 2: taka */
		$order->add_order_note( sprintf( __( 'Paid with %1$d loyalty points (%2$s ৳).', 'bikri' ), (int) $hold['points'], $hold['value'] ) );
		$order->save();
		WC()->session->set( self::SESSION_KEY, null );
		$this->queue_attach( $hold['hold'], (int) $order->get_id(), 1, 0 );
	}

	/**
	 * Queues telling the service, with Action Scheduler (inside WooCommerce), or WP-cron without it.
	 *
	 * @param string $hold     The hold.
	 * @param int    $order_id The order.
	 * @param int    $attempt  Attempt number.
	 * @param int    $delay    Seconds to wait.
	 */
	private function queue_attach( $hold, $order_id, $attempt, $delay ) {
		$args = array( $hold, $order_id, $attempt );
		if ( function_exists( 'as_schedule_single_action' ) ) {
			as_schedule_single_action( time() + $delay, self::ATTACH_HOOK, $args, 'bikri' );
			return;
		}
		wp_schedule_single_event( time() + $delay, self::ATTACH_HOOK, $args );
	}

	/**
	 * The queued job: POST /api/v1/loyalty/holds/<hold>/order; again later while the service does not answer.
	 *
	 * @param string $hold     The hold.
	 * @param int    $order_id The order.
	 * @param int    $attempt  Attempt number.
	 */
	public function action_attach( $hold, $order_id, $attempt = 1 ) {
		if ( ! $this->license->is_active() || ! preg_match( '/^[A-Za-z0-9_-]{8,64}$/', (string) $hold ) ) {
			return;
		}
		$result = $this->client->request( 'POST', '/api/v1/loyalty/holds/' . rawurlencode( $hold ) . '/order', array( 'order_id' => (int) $order_id ) );
		$status = is_wp_error( $result ) ? Bikri_Api_Client::status_of( $result ) : 200;
		if ( ( 0 === $status || $status >= 500 ) && $attempt < self::ATTACH_ATTEMPTS ) {
			$this->queue_attach( $hold, $order_id, $attempt + 1, 60 * $attempt );
		}
	}

	// --- helpers ---------------------------------------------------------------------------------

	/**
	 * The hold in this visitor's session, or null.
	 *
	 * @return array|null {hold, points, value, phone}
	 */
	private function session_hold() {
		if ( ! function_exists( 'WC' ) || ! isset( WC()->session ) || ! is_object( WC()->session ) ) {
			return null;
		}
		$hold = WC()->session->get( self::SESSION_KEY );
		return is_array( $hold ) && ! empty( $hold['hold'] ) ? $hold : null;
	}

	/**
	 * Gives back a hold the session holds (the shopper changed the points or took them off).
	 */
	private function give_back_session_hold() {
		$hold = $this->session_hold();
		if ( null === $hold ) {
			return;
		}
		// Unanswered, the hold runs out at the service within 30 minutes and its points go back.
		$this->client->request( 'DELETE', '/api/v1/loyalty/holds/' . rawurlencode( $hold['hold'] ), null, true, array(), self::TIMEOUT );
		WC()->session->set( self::SESSION_KEY, null );
	}

	/**
	 * What the cart costs before the points, so the points are never worth more.
	 *
	 * @return string
	 */
	private function cart_total() {
		$total = is_object( WC()->cart ) && is_callable( array( WC()->cart, 'get_total' ) ) ? (float) WC()->cart->get_total( 'edit' ) : 0.0;
		return number_format( max( 0.0, $total ), 2, '.', '' );
	}

	/**
	 * Sets points aside at the service for this cart (giving back the session's earlier hold);
	 * the session keeps the new hold, and the cart's fee follows.
	 *
	 * @param array $shopper Whose points (whose_points()).
	 * @param int   $points  How many.
	 * @return array|WP_Error The hold {hold, points, value, phone}, or the refusal in the shopper's words.
	 */
	private function take_hold( array $shopper, $points ) {
		if ( $points < 1 ) {
			return new WP_Error( 'validation_error', __( 'Enter how many points to use.', 'bikri' ), array( 'status' => 422 ) );
		}
		$this->give_back_session_hold();
		$body   = array_merge(
			$shopper,
			array(
				'points'          => $points,
				'idempotency_key' => wp_generate_uuid4(),
				'cart_total'      => $this->cart_total(),
			)
		);
		$answer = $this->client->request( 'POST', '/api/v1/loyalty/holds', $body, true, array(), self::TIMEOUT );
		if ( is_wp_error( $answer ) ) {
			return $this->refusal( $answer );
		}
		if ( empty( $answer['hold'] ) ) {
			return new WP_Error( 'bikri_bad_response', __( 'Something went wrong. Try again.', 'bikri' ), array( 'status' => 502 ) );
		}
		$hold = array(
			'hold'   => (string) $answer['hold'],
			'points' => (int) $answer['points'],
			'value'  => (string) $answer['value'],
			'phone'  => (string) $shopper['phone'],
		);
		WC()->session->set( self::SESSION_KEY, $hold );
		return $hold;
	}

	/**
	 * "N points applied: X ৳ off."
	 *
	 * @param array $hold The hold.
	 * @return string
	 */
	private function applied_message( array $hold ) {
		/* translators: 1: points, 2: taka */
		return sprintf( __( '%1$d points applied: %2$s ৳ off.', 'bikri' ), (int) $hold['points'], $hold['value'] );
	}

	/**
	 * Points offered, the page's nonce, a WooCommerce session: else the refusal, before any remote call.
	 *
	 * @param bool $nonce_ok Whether the call carried the page's nonce.
	 * @return WP_Error|null
	 */
	private function refusal_before_call( $nonce_ok ) {
		if ( ! $this->offered() ) {
			return new WP_Error( 'bikri_loyalty_off', __( 'This shop does not offer points now.', 'bikri' ), array( 'status' => 409 ) );
		}
		if ( ! $nonce_ok ) {
			return new WP_Error( 'bikri_bad_nonce', __( 'This page has expired. Reload it and try again.', 'bikri' ), array( 'status' => 403 ) );
		}
		if ( ! function_exists( 'WC' ) || ! is_object( WC()->session ) ) {
			return new WP_Error( 'bikri_no_session', __( 'This page has expired. Reload it and try again.', 'bikri' ), array( 'status' => 409 ) );
		}
		return null;
	}

	/**
	 * admin-ajax: the checks of refusal_before_call(), else the JSON error and stop.
	 */
	private function guard_request() {
		$refused = $this->refusal_before_call( false !== check_ajax_referer( self::NONCE_ACTION, 'nonce', false ) );
		if ( null !== $refused ) {
			$this->fail_with( $refused );
		}
	}

	/**
	 * admin-ajax: the checks of guard_request(), then whose points.
	 *
	 * @return array {phone, account: true} or {phone, proof, proof_version}
	 */
	private function guard() {
		$this->guard_request();
		$shopper = $this->whose_points();
		if ( is_wp_error( $shopper ) ) {
			$this->fail_with( $shopper );
		}
		return $shopper;
	}

	/**
	 * Whose points: the fields the service needs to know the phone is theirs (a signed-in
	 * customer's own billing phone, or a guest's phone verified by the checkout code).
	 *
	 * @return array|WP_Error {phone, account: true} or {phone, proof, proof_version}
	 */
	private function whose_points() {
		$user = get_current_user_id();
		if ( $user > 0 ) {
			$phone = Bikri_Phone::normalise( (string) get_user_meta( $user, 'billing_phone', true ) );
			if ( '' !== $phone ) {
				return array(
					'phone'   => $phone,
					'account' => true,
				);
			}
		}
		$proof = $this->checkout->current_proof();
		if ( null !== $proof && 'verified' === $proof['m'] ) {
			return array(
				'phone'         => (string) $proof['p'],
				'proof'         => $this->checkout->proof_cookie(),
				'proof_version' => Bikri_Otp_Proof::version( $this->license->export_key() ),
			);
		}
		return new WP_Error( 'bikri_loyalty_prove', __( 'Confirm your mobile number with the code we send by SMS, then use your points.', 'bikri' ), array( 'status' => 403 ) );
	}

	/**
	 * The service's refusal in the shopper's words.
	 *
	 * @param WP_Error $error The client's error.
	 * @return WP_Error The same code, the shopper's message, the status to answer.
	 */
	private function refusal( WP_Error $error ) {
		$code     = $error->get_error_code();
		$status   = Bikri_Api_Client::status_of( $error );
		$data     = $error->get_error_data();
		$details  = is_array( $data ) && isset( $data['details'] ) && is_array( $data['details'] ) ? $data['details'] : array();
		$messages = array(
			'phone_not_proven'    => __( 'Confirm your mobile number with the code we send by SMS, then use your points.', 'bikri' ),
			'loyalty_off'         => __( 'This shop does not offer points now.', 'bikri' ),
			/* translators: %d: points the shopper has */
			'insufficient_points' => sprintf( __( 'Not enough points: you have %d.', 'bikri' ), isset( $details['points'] ) ? (int) $details['points'] : 0 ),
			/* translators: %d: the least that can be spent */
			'below_minimum'       => sprintf( __( 'Use at least %d points.', 'bikri' ), isset( $details['points'][0] ) ? (int) $details['points'][0] : 0 ),
			/* translators: %d: the most that can be spent on this order */
			'more_than_order'     => sprintf( __( 'The points are worth more than the order: use at most %d.', 'bikri' ), isset( $details['points'][0] ) ? (int) $details['points'][0] : 0 ),
		);
		$message = isset( $messages[ $code ] ) ? $messages[ $code ] : __( 'Your points cannot be used right now. Try again.', 'bikri' );
		return new WP_Error( $code, $message, array( 'status' => $status >= 400 ? $status : 502 ) );
	}

	/**
	 * A refusal as the block's answer.
	 *
	 * @param WP_Error $error The refusal.
	 * @return array {ok: false, code, message}
	 */
	private function answer_of( WP_Error $error ) {
		return array(
			'ok'      => false,
			'code'    => (string) $error->get_error_code(),
			'message' => (string) $error->get_error_message(),
		);
	}

	/**
	 * Sends a refusal as the JSON error and stops.
	 *
	 * @param WP_Error $error The refusal (its data's status the HTTP status).
	 */
	private function fail_with( WP_Error $error ) {
		$data = $error->get_error_data();
		$this->fail( $error->get_error_code(), $error->get_error_message(), is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 400 );
	}

	/**
	 * Sends a JSON error and stops.
	 *
	 * @param string $code    Error code.
	 * @param string $message Message for the shopper.
	 * @param int    $status  HTTP status.
	 */
	private function fail( $code, $message, $status ) {
		wp_send_json_error(
			array(
				'code'    => (string) $code,
				'message' => (string) $message,
			),
			(int) $status
		);
	}
}
