<?php
/**
 * Abandoned checkout capture (O9): the AJAX handler's nonce, the cart read server-side and
 * forwarded with the token, one capture key per session, a service that is down, and the
 * notice in the checkout's privacy text.
 *
 * @package Bikri
 */

/**
 * Capture tests.
 */
class Bikri_Abandoned_Capture_Test extends Bikri_Test_Case {

	protected function setUp(): void {
		parent::setUp();
		$this->answer_as_admin_ajax();
		$this->with_a_cart();
		WC()->cart->cart_contents = array(
			'a1' => array(
				'product_id' => 11,
				'quantity'   => 2,
				'line_total' => 2400,
				'data'       => new Bikri_Stand_In_Product( 'Jamdani <b>saree</b>' ),
			),
		);
		WC()->cart->total = '2460.00';
	}

	/**
	 * An active site whose copy says capture is on (or off).
	 *
	 * @param bool $on Capture on.
	 */
	private function shop( $on = true ) {
		$this->activate_with_checkout_copy( array( 'abandoned_capture' => $on ) );
	}

	/**
	 * Calls the handler as admin-ajax.php would; returns the decoded JSON.
	 *
	 * @param array $post  Posted fields.
	 * @param bool  $nonce Whether to send a valid nonce.
	 * @return array
	 */
	private function capture( array $post, $nonce = true ) {
		return $this->call_ajax( array( $this->plugin->abandoned_capture, 'handle_capture' ), $post, $nonce ? Bikri_Abandoned_Capture::NONCE_ACTION : null );
	}

	public function test_the_handler_is_public_for_guests() {
		$this->assertNotFalse( has_action( 'wp_ajax_nopriv_' . Bikri_Abandoned_Capture::ACTION ) );
		$this->assertNotFalse( has_action( 'wp_ajax_' . Bikri_Abandoned_Capture::ACTION ) );
	}

	public function test_a_bad_nonce_or_capture_off_is_refused_before_any_remote_call() {
		$this->shop();
		$answer = $this->capture( array( 'phone' => '01711234567', 'nonce' => 'forged' ), false );
		$this->assertSame( 'bikri_bad_nonce', $answer['data']['code'] );
		$this->shop( false );
		$this->assertSame( 'bikri_capture_off', $this->capture( array( 'phone' => '01711234567' ) )['data']['code'] );
		$this->shop();
		$this->assertSame( 'validation_error', $this->capture( array( 'phone' => '12345' ) )['data']['code'] );
		$this->assertSame( array(), $this->requests );
	}

	public function test_the_cart_is_read_here_and_forwarded_with_the_token_under_one_key() {
		$this->shop();
		$this->service = static function ( $method, $path, $body ) {
			return self::response( 200, array( 'id' => 7, 'status' => 'open' ) );
		};
		$answer = $this->capture(
			array(
				'phone'    => '01711-234567',
				'name'     => 'Rahima Akter',
				'email'    => 'rahima@example.com',
				'address'  => 'House 7, Dhanmondi',
				'district' => 'Dhaka',
				'total'    => '1', // the browser's word on money is not taken
			)
		);
		$this->assertTrue( $answer['success'] );
		$this->assertSame( 'saved', $answer['data']['status'] );
		$request = $this->requests_to( '/api/v1/abandoned/capture' )[0];
		$this->assertSame( 'Bearer site-token-123', $request[1]['headers']['Authorization'] );
		$this->assertLessThanOrEqual( 3, $request[1]['timeout'] );
		$body = $request[2];
		$this->assertMatchesRegularExpression( '/^[a-f0-9]{32}$/', $body['capture_key'] );
		$this->assertSame( '+8801711234567', $body['phone'] );
		$this->assertSame( 'Rahima Akter', $body['name'] );
		$this->assertSame( '2460.00', $body['total'] );
		$this->assertSame( 'BDT', $body['currency'] );
		$this->assertSame(
			array(
				array(
					'product_id' => 11,
					'name'       => 'Jamdani saree',
					'quantity'   => 2,
					'total'      => '2400.00',
				),
			),
			$body['items']
		);

		$this->capture( array( 'phone' => '01711234567' ) );
		$this->assertSame( $body['capture_key'], $this->requests_to( '/api/v1/abandoned/capture' )[1][2]['capture_key'] );
		// after an order, the next checkout of this session is a new one
		do_action( 'woocommerce_checkout_order_processed', 55, array(), null );
		$this->capture( array( 'phone' => '01711234567' ) );
		$this->assertNotSame( $body['capture_key'], $this->requests_to( '/api/v1/abandoned/capture' )[2][2]['capture_key'] );
	}

	public function test_a_service_that_is_down_or_refusing_never_troubles_the_shopper() {
		$this->shop();
		$this->service = static function () {
			return new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out' );
		};
		$answer = $this->capture( array( 'phone' => '01711234567' ) );
		$this->assertTrue( $answer['success'] );
		$this->assertSame( 'skipped', $answer['data']['status'] );
		$this->service = static function () {
			return self::error_response( 500, 'internal_error', 'boom' );
		};
		$this->assertSame( 'skipped', $this->capture( array( 'phone' => '01711234567' ) )['data']['status'] );
	}

	public function test_an_empty_cart_is_not_sent() {
		$this->shop();
		WC()->cart->cart_contents = array();
		$this->assertSame( 'empty', $this->capture( array( 'phone' => '01711234567' ) )['data']['status'] );
		$this->assertSame( array(), $this->requests );
	}

	public function test_the_privacy_text_says_so_only_at_checkout_and_only_when_capturing() {
		$this->shop();
		$text = apply_filters( 'woocommerce_get_privacy_policy_text', 'Your data is used for your order.', 'checkout' );
		$this->assertStringStartsWith( 'Your data is used for your order. ', $text );
		$this->assertStringContainsString( 'remind you by SMS', $text );
		$this->assertSame( 'Registration text.', apply_filters( 'woocommerce_get_privacy_policy_text', 'Registration text.', 'registration' ) );
		$this->shop( false );
		$this->assertSame( 'Plain.', apply_filters( 'woocommerce_get_privacy_policy_text', 'Plain.', 'checkout' ) );
	}

	public function test_the_copy_follows_the_shops_switch() {
		$this->activate_locally();
		$this->service = static function () {
			$config              = json_decode( wp_remote_retrieve_body( self::checkout_config( 3, array( 'enabled' => false ) ) ), true );
			$config['abandoned'] = array( 'capture' => true );
			return self::response( 200, $config );
		};
		$this->assertTrue( $this->plugin->checkout->config->sync( $this->plugin->client, time() ) );
		$this->assertTrue( $this->plugin->abandoned_capture->enabled() );
	}
}
