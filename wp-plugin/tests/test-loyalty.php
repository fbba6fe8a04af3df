<?php
/**
 * Loyalty points at checkout (U2): the box only while points are offered, nonce and proof
 * checked before any remote call, whose points the service is told (a signed-in customer's own
 * phone, or a guest's OTP proof), the hold kept in the session and added as a negative fee, the
 * placed order carrying the hold and the queued call tying it to the order. The checkout block:
 * the integration loading the box's script while points are offered, and the Store API's
 * cart/extensions callback with the classic box's checks (nonce, proof) before any remote call.
 *
 * @package Bikri
 */

/**
 * Loyalty tests.
 */
class Bikri_Loyalty_Test extends Bikri_Test_Case {

	const PHONE = '+8801711234567';

	protected function setUp(): void {
		parent::setUp();
		$this->as_a_shopper();
		$this->with_a_cart();
		WC()->cart->total = '1560.00';
		$this->answer_as_admin_ajax();
		// WooCommerce Blocks' registrations, as a fresh request has them (stand-ins/woocommerce-blocks.php).
		Bikri\Tests\Store_Api::reset();
		do_action( 'woocommerce_blocks_loaded' );
		// A request's answer to the block (set by its cart/extensions call) starts empty.
		if ( property_exists( Bikri_Loyalty::class, 'block_answer' ) ) {
			$answer = new ReflectionProperty( Bikri_Loyalty::class, 'block_answer' );
			$answer->setAccessible( true );
			$answer->setValue( $this->plugin->loyalty, null );
		}
	}

	/**
	 * An active site whose checkout copy offers points (or not).
	 *
	 * @param bool $on Points offered.
	 */
	private function shop( $on = true ) {
		$this->activate_with_checkout_copy( array( 'loyalty_enabled' => $on ) );
	}

	/**
	 * Calls an AJAX handler as admin-ajax.php would; returns the decoded JSON it sent.
	 *
	 * @param string $method Handler method.
	 * @param array  $post   Posted fields.
	 * @param bool   $nonce  Whether to send a valid nonce.
	 * @return array
	 */
	private function ajax( $method, array $post = array(), $nonce = true ) {
		return $this->call_ajax( array( $this->plugin->loyalty, $method ), $post, $nonce ? Bikri_Loyalty::NONCE_ACTION : null );
	}

	/**
	 * A guest whose phone the checkout code verified (the proof cookie Bikri_Checkout keeps).
	 *
	 * @param string $mode How the proof was given.
	 * @return string The proof.
	 */
	private function guest_with_proof( $mode = 'verified' ) {
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = 'abcdefabcdefabcdefabcdefabcdef12';
		$proof                                    = Bikri_Otp_Proof::sign( 'site-token-123', self::EXPORT_KEY, self::PHONE, 'abcdefabcdefabcdefabcdefabcdef12', $mode, time() + 1800 );
		$_COOKIE[ Bikri_Checkout::PROOF_COOKIE ]   = $proof;
		return $proof;
	}

	/**
	 * A stand-in service for the loyalty calls.
	 */
	private function service_answers() {
		$this->service = static function ( $method, $path, $body ) {
			if ( '/api/v1/loyalty/balance' === $path ) {
				return self::response(
					200,
					array(
						'enabled'    => true,
						'phone'      => $body['phone'],
						'points'     => 120,
						'value'      => '120.00',
						'min_redeem' => 50,
						'can_redeem' => true,
					)
				);
			}
			if ( '/api/v1/loyalty/holds' === $path && 'POST' === $method ) {
				if ( $body['points'] > 120 ) {
					return self::error_response( 409, 'insufficient_points', 'Not enough points: 120 available.', array( 'points' => 120 ) );
				}
				return self::response(
					201,
					array(
						'hold'   => 'hold-token-' . $body['points'],
						'phone'  => $body['phone'],
						'points' => $body['points'],
						'value'  => $body['points'] . '.00',
						'status' => 'held',
					)
				);
			}
			return self::response( 200, array( 'status' => 'released' ) );
		};
	}

	public function test_the_box_shows_only_while_the_shop_offers_points() {
		$this->shop( false );
		$this->assertSame( '', $this->output_of( array( $this->plugin->loyalty, 'action_render_box' ) ) );
		$this->shop( true );
		$html = $this->output_of( array( $this->plugin->loyalty, 'action_render_box' ) );
		$this->assertStringContainsString( 'id="bikri-loyalty"', $html );
		$this->assertStringContainsString( 'Use my points', $html );
	}

	public function test_a_bad_nonce_or_an_unproven_guest_is_refused_before_any_remote_call() {
		$this->shop();
		$answer = $this->ajax( 'handle_balance', array(), false );
		$this->assertSame( 'bikri_bad_nonce', $answer['data']['code'] );
		$answer = $this->ajax( 'handle_balance' );
		$this->assertSame( 'bikri_loyalty_prove', $answer['data']['code'] );
		// a proof given without a code (a trusted customer's) does not show anyone's points
		$this->guest_with_proof( 'trusted' );
		$this->assertSame( 'bikri_loyalty_prove', $this->ajax( 'handle_balance' )['data']['code'] );
		$this->assertSame( array(), $this->requests );
		$this->shop( false );
		$this->assertSame( 'bikri_loyalty_off', $this->ajax( 'handle_apply', array( 'points' => '60' ) )['data']['code'] );
	}

	public function test_a_guest_shows_the_verified_proof_and_a_customer_the_account_phone() {
		$this->shop();
		$this->service_answers();
		$proof  = $this->guest_with_proof();
		$answer = $this->ajax( 'handle_balance' );
		$this->assertTrue( $answer['success'] );
		$this->assertSame( 120, $answer['data']['points'] );
		list( $url, $args, $body ) = $this->requests[0];
		$this->assertSame( self::SERVICE . '/api/v1/loyalty/balance', $url );
		$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );
		$this->assertSame(
			array(
				'phone'         => self::PHONE,
				'proof'         => $proof,
				'proof_version' => 2,
			),
			$body
		);

		$_COOKIE = array();
		$user    = $this->sign_in( 'customer' );
		update_user_meta( $user->ID, 'billing_phone', '01711-234567' );
		$this->ajax( 'handle_balance' );
		$this->assertSame(
			array(
				'phone'   => self::PHONE,
				'account' => true,
			),
			$this->requests[1][2]
		);
	}

	public function test_applied_points_are_a_negative_fee_and_the_order_carries_the_hold() {
		$this->shop();
		$this->service_answers();
		$this->guest_with_proof();
		$refused = $this->ajax( 'handle_apply', array( 'points' => '500' ) );
		$this->assertSame( 'insufficient_points', $refused['data']['code'] );
		$this->assertStringContainsString( '120', $refused['data']['message'] );

		$answer = $this->ajax( 'handle_apply', array( 'points' => '60' ) );
		$this->assertTrue( $answer['success'] );
		$sent = end( $this->requests )[2];
		$this->assertSame( 60, $sent['points'] );
		$this->assertSame( '1560.00', $sent['cart_total'] );
		$this->assertNotEmpty( $sent['idempotency_key'] );
		$this->assertSame( 'hold-token-60', WC()->session->get( Bikri_Loyalty::SESSION_KEY )['hold'] );

		do_action( 'woocommerce_cart_calculate_fees', WC()->cart );
		$fees = array_values( WC()->cart->get_fees() );
		$this->assertCount( 1, $fees );
		$this->assertSame( -60.0, $fees[0]->amount );

		// applying again gives the first hold back before taking the new one
		$this->ajax( 'handle_apply', array( 'points' => '80' ) );
		$methods = array_map(
			static function ( $request ) {
				return $request[1]['method'] . ' ' . wp_parse_url( $request[0], PHP_URL_PATH );
			},
			array_slice( $this->requests, -2 )
		);
		$this->assertSame( array( 'DELETE /api/v1/loyalty/holds/hold-token-60', 'POST /api/v1/loyalty/holds' ), $methods );

		$order = new WC_Order( 4242 );
		do_action( 'woocommerce_checkout_order_processed', 4242, array(), $order );
		$this->assertSame( 'hold-token-80', $order->get_meta( Bikri_Loyalty::ORDER_META ) );
		$this->assertNull( WC()->session->get( Bikri_Loyalty::SESSION_KEY ) );
		$queued = Bikri\Tests\Action_Scheduler::pending( Bikri_Loyalty::ATTACH_HOOK );
		$this->assertCount( 1, $queued );
		$this->assertSame( array( 'hold-token-80', 4242, 1 ), $queued[0]['args'] );

		// the queued job tells the service which order spent the hold
		$count = count( $this->requests );
		$this->plugin->loyalty->action_attach( 'hold-token-80', 4242, 1 );
		list( $url, $args, $body ) = $this->requests[ $count ];
		$this->assertSame( self::SERVICE . '/api/v1/loyalty/holds/hold-token-80/order', $url );
		$this->assertSame( array( 'order_id' => 4242 ), $body );
	}

	public function test_removing_points_gives_the_hold_back() {
		$this->shop();
		$this->service_answers();
		$this->guest_with_proof();
		$this->ajax( 'handle_apply', array( 'points' => '60' ) );
		$answer = $this->ajax( 'handle_remove' );
		$this->assertTrue( $answer['success'] );
		$this->assertSame( 'DELETE', end( $this->requests )[1]['method'] );
		$this->assertNull( WC()->session->get( Bikri_Loyalty::SESSION_KEY ) );
		WC()->cart->fees = array();
		do_action( 'woocommerce_cart_calculate_fees', WC()->cart );
		$this->assertSame( array(), WC()->cart->get_fees() );
	}

	// --- the checkout block -------------------------------------------------------------------

	/**
	 * The Checkout block's cart/extensions call in our namespace, as the Store API runs it; the
	 * cart's data under bikri-loyalty.
	 *
	 * @param array $data  The data the box's script sends.
	 * @param bool  $nonce Whether it carries the page's nonce.
	 * @return array
	 */
	private function block( array $data, $nonce = true ) {
		if ( $nonce ) {
			$data['nonce'] = wp_create_nonce( Bikri_Loyalty::NONCE_ACTION );
		}
		$extensions = Bikri\Tests\Store_Api::cart_extensions( Bikri_Loyalty::BLOCK_NAMESPACE, $data );
		$this->assertIsArray( $extensions );
		return $extensions[ Bikri_Loyalty::BLOCK_NAMESPACE ];
	}

	public function test_the_checkout_block_loads_the_box_only_while_the_shop_offers_points() {
		$this->shop( false );
		$registry = new Automattic\WooCommerce\Blocks\Integrations\IntegrationRegistry();
		$registry->initialize( 'checkout_block' );
		$this->assertSame( array( Bikri_Loyalty::BLOCK_NAMESPACE ), array_keys( $registry->get_all_registered() ) );
		$this->assertSame( array(), $registry->get_all_registered_script_handles() );
		$this->assertSame( array(), $registry->get_all_registered_script_data()['bikri-loyalty_data'] );

		$this->shop( true );
		$this->assertSame( array( 'bikri-checkout-loyalty-block' ), array_values( $registry->get_all_registered_script_handles() ) );
		$script = wp_scripts()->registered['bikri-checkout-loyalty-block'];
		$this->assertStringEndsWith( '/assets/js/checkout-loyalty-block.js', $script->src );
		$this->assertSame( array( 'wp-element', 'wp-plugins', 'wc-blocks-checkout', 'wc-settings', 'bikri-loyalty-call' ), $script->deps );
		$this->assertStringEndsWith( '/assets/js/loyalty-call.js', wp_scripts()->registered['bikri-loyalty-call']->src );
		$data = $registry->get_all_registered_script_data()['bikri-loyalty_data'];
		$this->assertSame( 'bikri-loyalty', $data['namespace'] );
		$this->assertSame( Bikri_Loyalty::ACTION_BALANCE, $data['action'] );
		$this->assertNotFalse( wp_verify_nonce( $data['nonce'], Bikri_Loyalty::NONCE_ACTION ) );
		$this->assertSame( 'Use my points', $data['text']['show'] );
		$this->assertSame( 'Remove points', $data['text']['remove'] );

		// the Store API knows our callback and our part of the cart; the cart's data asks nobody
		$this->assertArrayHasKey( Bikri_Loyalty::BLOCK_NAMESPACE, Bikri\Tests\Store_Api::$update_callbacks );
		$this->assertSame(
			array(
				'points'  => 0,
				'value'   => '',
				'applied' => '',
				'answer'  => null,
			),
			Bikri\Tests\Store_Api::extensions( 'cart' )[ Bikri_Loyalty::BLOCK_NAMESPACE ]
		);
		$this->assertSame( array(), $this->requests );
	}

	public function test_the_block_refuses_a_bad_nonce_or_an_unproven_guest_before_any_remote_call() {
		$this->shop();
		$this->service_answers();
		$answer = $this->block( array( 'action' => 'apply', 'points' => 60 ), false )['answer'];
		$this->assertFalse( $answer['ok'] );
		$this->assertSame( 'bikri_bad_nonce', $answer['code'] );
		$this->assertSame( 'bikri_loyalty_prove', $this->block( array( 'action' => 'apply', 'points' => 60 ) )['answer']['code'] );
		// a proof given without a code (a trusted customer's) spends no one's points
		$this->guest_with_proof( 'trusted' );
		$refused = $this->block( array( 'action' => 'apply', 'points' => 60 ) );
		$this->assertSame( 'bikri_loyalty_prove', $refused['answer']['code'] );
		$this->assertStringContainsString( 'Confirm your mobile number', $refused['answer']['message'] );
		$this->assertSame( 0, $refused['points'] );
		$this->assertSame( array(), $this->requests );
		$this->assertNull( WC()->session->get( Bikri_Loyalty::SESSION_KEY ) );
		$this->shop( false );
		$this->assertSame( 'bikri_loyalty_off', $this->block( array( 'action' => 'remove' ) )['answer']['code'] );
		$this->assertSame( array(), $this->requests );
	}

	public function test_the_block_applies_a_proven_guests_points_and_the_block_order_carries_the_hold() {
		$this->shop();
		$this->service_answers();
		$proof   = $this->guest_with_proof();
		$refused = $this->block( array( 'action' => 'apply', 'points' => 500 ) );
		$this->assertSame( 'insufficient_points', $refused['answer']['code'] );
		$this->assertSame( 'Not enough points: you have 120.', $refused['answer']['message'] );

		$cart = $this->block( array( 'action' => 'apply', 'points' => '60' ) );
		$this->assertSame(
			array(
				'points'  => 60,
				'value'   => '60.00',
				'applied' => '60 points applied: 60.00 ৳ off.',
				'answer'  => array(
					'ok'      => true,
					'code'    => 'applied',
					'message' => '60 points applied: 60.00 ৳ off.',
				),
			),
			$cart
		);
		list( $url, $args, $body ) = end( $this->requests );
		$this->assertSame( self::SERVICE . '/api/v1/loyalty/holds', $url );
		$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );
		$this->assertSame( self::PHONE, $body['phone'] );
		$this->assertSame( $proof, $body['proof'] );
		$this->assertSame( 60, $body['points'] );
		$this->assertSame( '1560.00', $body['cart_total'] );
		do_action( 'woocommerce_cart_calculate_fees', WC()->cart );
		$this->assertSame( -60.0, array_values( WC()->cart->get_fees() )[0]->amount );

		// the block's order (Store API): the hold is the order's, the service told later, not now
		$count = count( $this->requests );
		$order = new WC_Order( 4343 );
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		$this->assertSame( 'hold-token-60', $order->get_meta( Bikri_Loyalty::ORDER_META ) );
		$this->assertCount( $count, $this->requests );
		$this->assertSame( array( 'hold-token-60', 4343, 1 ), Bikri\Tests\Action_Scheduler::pending( Bikri_Loyalty::ATTACH_HOOK )[0]['args'] );
	}

	public function test_the_block_uses_a_signed_in_customers_own_phone_and_removes_the_points() {
		$this->shop();
		$this->service_answers();
		$user = $this->sign_in( 'customer' );
		update_user_meta( $user->ID, 'billing_phone', '01711-234567' );
		$this->assertTrue( $this->block( array( 'action' => 'apply', 'points' => 80 ) )['answer']['ok'] );
		$body = end( $this->requests )[2];
		$this->assertSame( self::PHONE, $body['phone'] );
		$this->assertTrue( $body['account'] );
		$this->assertArrayNotHasKey( 'proof', $body );

		$cart = $this->block( array( 'action' => 'remove' ) );
		$this->assertSame( 'Points removed.', $cart['answer']['message'] );
		$this->assertSame( 0, $cart['points'] );
		list( $url, $args ) = end( $this->requests );
		$this->assertSame( 'DELETE', $args['method'] );
		$this->assertSame( self::SERVICE . '/api/v1/loyalty/holds/hold-token-80', $url );
		$this->assertNull( WC()->session->get( Bikri_Loyalty::SESSION_KEY ) );
		WC()->cart->fees = array();
		do_action( 'woocommerce_cart_calculate_fees', WC()->cart );
		$this->assertSame( array(), WC()->cart->get_fees() );
	}
}
