<?php
/**
 * The checkout's AJAX endpoints: nonce and "capability" checks before any remote call, the
 * service called server-side with the token, answers in the shopper's words, the proof kept
 * in a cookie, the fail-open paths, and the admin's pull-now endpoint.
 *
 * @package Bikri
 */

/**
 * Checkout AJAX tests.
 */
class Bikri_Checkout_Ajax_Test extends Bikri_Test_Case {

	const TOKEN = 'site-token-123';
	const PHONE = '+8801711234567';

	protected function setUp(): void {
		parent::setUp();
		$this->as_a_shopper();
		$this->answer_as_admin_ajax();
	}

	/**
	 * OTP on (or off), on an active site.
	 *
	 * @param bool $otp OTP on.
	 */
	private function shop( $otp = true ) {
		$this->activate_with_checkout_copy(
			array(
				'otp_enabled'   => $otp,
				'proof_seconds' => 1800,
			)
		);
	}

	/**
	 * Calls an AJAX handler as admin-ajax.php would; returns the decoded JSON it sent.
	 *
	 * @param string $method  Handler method.
	 * @param array  $post    Posted fields.
	 * @param bool   $nonce   Whether to send a valid nonce.
	 * @return array
	 */
	private function ajax( $method, array $post, $nonce = true ) {
		$action = 'handle_sync' === $method ? Bikri_Checkout_Ajax::ACTION_SYNC : Bikri_Checkout::NONCE_ACTION;
		return $this->call_ajax( array( $this->plugin->checkout_ajax, $method ), $post, $nonce ? $action : null );
	}

	/**
	 * A stand-in service that answers every verify with "verified" for the phone asked and this proof.
	 *
	 * @param string      $proof      The proof the service hands back.
	 * @param string|null $export_key When given, the checkout config it answers carries this key.
	 * @return callable
	 */
	private static function verifies_with( $proof, $export_key = null ) {
		return static function ( $method, $path, $body ) use ( $proof, $export_key ) {
			if ( null !== $export_key && '/api/v1/checkout/config' === $path ) {
				return self::config_with_key( $export_key );
			}
			return self::response(
				200,
				array(
					'status' => 'verified',
					'phone'  => $body['phone'],
					'proof'  => $proof,
				)
			);
		};
	}

	/**
	 * A proof as the service would sign it for this site.
	 *
	 * @param string $phone   Phone.
	 * @param string $mode    Mode.
	 * @param string $session Session (the cookie's by default).
	 * @param string $key     Export key it is signed with ('': version 1, from the token).
	 * @return string
	 */
	private function proof( $phone = self::PHONE, $mode = 'verified', $session = null, $key = self::EXPORT_KEY ) {
		$session = null === $session ? $this->plugin->checkout->session_id( false ) : $session;
		return Bikri_Otp_Proof::sign( self::TOKEN, $key, $phone, $session, $mode, time() + 1800 );
	}

	/**
	 * The service's answer to a config pull, with an export key.
	 *
	 * @param string $key The export key.
	 * @return array
	 */
	private static function config_with_key( $key ) {
		$answer         = self::checkout_config( 3, array( 'enabled' => true ) );
		$answer['body'] = wp_json_encode( json_decode( $answer['body'], true ) + array( 'export_key' => $key ) );
		return $answer;
	}

	public function test_a_bad_nonce_is_refused_before_any_remote_call() {
		$this->shop();
		$answer = $this->ajax( 'handle_send', array( 'phone' => '01711234567' ), false );
		$this->assertFalse( $answer['success'] );
		$this->assertSame( 'bikri_bad_nonce', $answer['data']['code'] );
		$answer = $this->ajax( 'handle_verify', array( 'phone' => '01711234567', 'code' => '123456', 'nonce' => 'forged' ), false );
		$this->assertSame( 'bikri_bad_nonce', $answer['data']['code'] );
		$this->assertSame( array(), $this->requests );
	}

	public function test_nobody_may_send_codes_when_the_shop_does_not_ask_for_them() {
		$this->shop( false );
		$answer = $this->ajax( 'handle_send', array( 'phone' => '01711234567' ) );
		$this->assertSame( 'bikri_otp_off', $answer['data']['code'] );
		$this->shop( true );
		update_option( Bikri_License::OPTION_LICENSE, array( 'status' => 'revoked' ) );
		$this->assertSame( 'bikri_otp_off', $this->ajax( 'handle_send', array( 'phone' => '01711234567' ) )['data']['code'] );
		$this->assertSame( array(), $this->requests );
	}

	public function test_a_bad_number_is_refused_here() {
		$this->shop();
		$answer = $this->ajax( 'handle_send', array( 'phone' => '12345' ) );
		$this->assertSame( 'validation_error', $answer['data']['code'] );
		$this->assertSame( array(), $this->requests );
	}

	public function test_send_calls_the_service_server_side_with_the_token_and_the_shoppers_address() {
		$this->shop();
		$this->service = static function ( $method, $path, $body ) {
			return self::response(
				200,
				array(
					'status'       => 'sent',
					'phone'        => $body['phone'],
					'expires_in'   => 300,
					'resend_after' => 60,
				)
			);
		};
		$answer = $this->ajax( 'handle_send', array( 'phone' => '01711-234567' ) );
		$this->assertTrue( $answer['success'] );
		$this->assertSame( array( 'sent', self::PHONE, 60 ), array( $answer['data']['status'], $answer['data']['phone'], $answer['data']['resend_after'] ) );
		$this->assertStringContainsString( '01711234567', $answer['data']['message'] );

		$request = $this->requests_to( '/api/v1/otp/send' )[0];
		$this->assertSame( 'Bearer ' . self::TOKEN, $request[1]['headers']['Authorization'] );
		$session = $_COOKIE[ Bikri_Checkout::SESSION_COOKIE ];
		$this->assertMatchesRegularExpression( '/^[a-f0-9]{32}$/', $session );
		$this->assertSame(
			array(
				'phone'         => self::PHONE,
				'session_id'    => $session,
				'ip'            => '203.0.113.10',
				'proof_version' => 2,
			),
			$request[2],
			'holding its export key, the plugin asks for proofs signed with it'
		);
		$this->assertStringNotContainsString( self::TOKEN, wp_json_encode( $answer ) );
	}

	public function test_verify_keeps_the_proof_and_then_both_checkouts_let_the_order_through() {
		$this->shop();
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = 'abcdefabcdefabcdefabcdefabcdef12';
		$proof                                     = $this->proof();
		$this->service                             = self::verifies_with( $proof );
		$answer = $this->ajax( 'handle_verify', array( 'phone' => '01711234567', 'code' => '১২৩৪৫৬' ) );
		$this->assertSame( 'verified', $answer['data']['status'] );
		$this->assertSame( '১২৩৪৫৬', $this->requests_to( '/api/v1/otp/verify' )[0][2]['code'], 'the service reads Bangla digits' );
		$this->assertSame( $proof, $_COOKIE[ Bikri_Checkout::PROOF_COOKIE ] );

		$errors = new WP_Error();
		do_action( 'woocommerce_after_checkout_validation', array( 'billing_phone' => '01711234567' ), $errors );
		$this->assertSame( array(), $errors->get_error_codes() );
	}

	public function test_a_proof_that_does_not_check_out_here_is_not_kept() {
		$this->shop();
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = 'abcdefabcdefabcdefabcdefabcdef12';
		$wrong_phone                               = $this->proof( '+8801811234567' );
		$this->service                             = static function () use ( $wrong_phone ) {
			return self::response(
				200,
				array(
					'status' => 'verified',
					'proof'  => $wrong_phone,
				)
			);
		};
		$answer = $this->ajax( 'handle_verify', array( 'phone' => '01711234567', 'code' => '123456' ) );
		$this->assertSame( 'bikri_bad_response', $answer['data']['code'] );
		$this->assertArrayNotHasKey( Bikri_Checkout::PROOF_COOKIE, $_COOKIE );
	}

	public function test_a_plugin_without_its_export_key_yet_asks_for_version_1_and_keeps_its_checkout() {
		$this->shop();
		delete_option( Bikri_License::OPTION_EXPORT_KEY ); // Updated, and its next config pull not come yet.
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = 'abcdefabcdefabcdefabcdefabcdef12';
		$v1                                        = $this->proof( self::PHONE, 'verified', null, '' );
		$this->service                             = self::verifies_with( $v1 );
		$answer = $this->ajax( 'handle_verify', array( 'phone' => '01711234567', 'code' => '123456' ) );
		$this->assertSame( 'verified', $answer['data']['status'] );
		$this->assertArrayNotHasKey( 'proof_version', $this->requests_to( '/api/v1/otp/verify' )[0][2], 'the request of before proof versions' );
		$this->assertSame( $v1, $_COOKIE[ Bikri_Checkout::PROOF_COOKIE ] );
		$errors = new WP_Error();
		do_action( 'woocommerce_after_checkout_validation', array( 'billing_phone' => '01711234567' ), $errors );
		$this->assertSame( array(), $errors->get_error_codes() );

		// The service away: the proof signed here is version 1 too, and counts.
		unset( $_COOKIE[ Bikri_Checkout::PROOF_COOKIE ] );
		$this->service = static function () {
			return new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		};
		$this->assertSame( 'verified', $this->ajax( 'handle_send', array( 'phone' => '01711234567' ) )['data']['status'] );
		$this->assertSame( array( 1, 'skipped_unavailable' ), array( $this->plugin->checkout->current_proof()['v'], $this->plugin->checkout->current_proof()['m'] ) );
	}

	public function test_a_proof_under_a_new_export_key_is_taken_once_the_key_is_pulled() {
		$this->shop();
		$new_key                                   = str_repeat( 'c4', 32 ); // The service's secret key changed.
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = 'abcdefabcdefabcdefabcdefabcdef12';
		$proof                                     = $this->proof( self::PHONE, 'verified', null, $new_key );
		$this->service                             = self::verifies_with( $proof, $new_key );
		$answer = $this->ajax( 'handle_verify', array( 'phone' => '01711234567', 'code' => '123456' ) );
		$this->assertSame( 'verified', $answer['data']['status'] );
		$this->assertSame( $new_key, $this->plugin->license->export_key(), 'pulled at once, not in up to five minutes' );
		$this->assertSame( $proof, $_COOKIE[ Bikri_Checkout::PROOF_COOKIE ] );
		$this->assertSame( 2, $this->plugin->checkout->current_proof()['v'] );
	}

	public function test_a_version_1_proof_is_not_kept_by_a_plugin_that_holds_its_key() {
		$this->shop();
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = 'abcdefabcdefabcdefabcdefabcdef12';
		$v1                                        = $this->proof( self::PHONE, 'verified', null, '' );
		$this->service                             = self::verifies_with( $v1, self::EXPORT_KEY );
		$answer = $this->ajax( 'handle_verify', array( 'phone' => '01711234567', 'code' => '123456' ) );
		$this->assertSame( 'bikri_bad_response', $answer['data']['code'] );
		$this->assertArrayNotHasKey( Bikri_Checkout::PROOF_COOKIE, $_COOKIE );
		$this->assertSame( self::EXPORT_KEY, $this->plugin->license->export_key() );
	}

	public function test_refusals_come_in_the_shoppers_words_with_when_to_try_again() {
		$this->shop();
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = 'abcdefabcdefabcdefabcdefabcdef12';
		$cases                                     = array(
			array( 429, 'otp_cooldown', array( 'retry_after' => 42 ), 42, 'another in 42 seconds' ),
			array( 429, 'otp_phone_limit', array( 'retry_after' => 1500 ), 1500, 'Try again in 25 minutes' ),
			array( 429, 'otp_ip_limit', array( 'retry_after' => 30 ), 30, 'Try again in 1 minute' ),
			array( 422, 'otp_code_wrong', array( 'attempts_left' => 3, 'retry_after' => 0 ), 0, '3 tries left' ),
			array( 410, 'otp_code_expired', array( 'retry_after' => 0 ), 0, 'has expired' ),
			array( 409, 'otp_code_used', array( 'retry_after' => 12 ), 12, 'already used' ),
			array( 503, 'otp_send_failed', array( 'retry_after' => 5 ), 5, 'could not be sent' ),
			array( 403, 'blacklisted', array( 'kind' => 'phone' ), 0, 'cannot take this order' ),
		);
		foreach ( $cases as $case ) {
			list( $status, $code, $details, $wait, $words ) = $case;
			$this->service = static function () use ( $status, $code, $details ) {
				$response = self::error_response( $status, $code, 'English from the service', $details );
				if ( 429 === $status ) {
					$response['headers']['retry-after'] = (string) $details['retry_after'];
				}
				return $response;
			};
			$answer = $this->ajax( 'handle_verify', array( 'phone' => '01711234567', 'code' => '123456' ) );
			$this->assertFalse( $answer['success'], $code );
			$this->assertSame( array( $code, $wait ), array( $answer['data']['code'], $answer['data']['retry_after'] ), $code );
			$this->assertStringContainsString( $words, $answer['data']['message'], $code );
		}
		$this->assertArrayNotHasKey( Bikri_Checkout::PROOF_COOKIE, $_COOKIE, 'no refusal opens the checkout' );
		$this->assertTrue( $this->plugin->license->is_active(), 'a refusal does not touch the license' );
	}

	public function test_the_service_away_does_not_close_the_checkout_but_the_order_is_flagged() {
		$this->shop();
		$this->service = static function () {
			return new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out' );
		};
		$answer = $this->ajax( 'handle_send', array( 'phone' => '01711234567' ) );
		$this->assertSame( 'verified', $answer['data']['status'] );
		$proof = $this->plugin->checkout->current_proof();
		$this->assertSame( array( self::PHONE, 'skipped_unavailable', 2 ), array( $proof['p'], $proof['m'], $proof['v'] ), 'signed here with the export key' );

		$errors = new WP_Error();
		do_action( 'woocommerce_after_checkout_validation', array( 'billing_phone' => '01711234567' ), $errors );
		$this->assertSame( array(), $errors->get_error_codes() );
		$order = new WC_Order( 801 );
		do_action( 'woocommerce_checkout_order_processed', 801, array(), $order );
		$this->assertStringStartsWith( 'OTP skipped: the Bikri service did not answer', $order->notes[0] );
		wp_unschedule_hook( Bikri_Checkout::REPORT_HOOK );
	}

	public function test_an_empty_wallet_lets_the_order_through_and_alerts_the_shop() {
		$this->shop();
		$test          = $this;
		$this->service = static function ( $method, $path, $body ) use ( $test ) {
			return self::response(
				200,
				array(
					'status' => 'skipped',
					'reason' => 'no_balance',
					'phone'  => $body['phone'],
					'proof'  => Bikri_Otp_Proof::sign( self::TOKEN, self::EXPORT_KEY, $body['phone'], $body['session_id'], 'skipped_no_balance', time() + 1800 ),
				)
			);
		};
		$this->assertFalse( $this->plugin->checkout->config->out_of_balance() );
		$answer = $this->ajax( 'handle_send', array( 'phone' => '01711234567' ) );
		$this->assertSame( 'verified', $answer['data']['status'] );
		$this->assertSame( 'skipped_no_balance', $this->plugin->checkout->current_proof()['m'] );
		$this->assertTrue( $this->plugin->checkout->config->out_of_balance(), 'the admin notice shows at once' );
	}

	public function test_a_stale_copy_is_refreshed_when_the_service_says_otp_is_off() {
		$this->shop();
		$this->service = static function ( $method, $path ) {
			if ( '/api/v1/otp/send' === $path ) {
				return self::error_response( 409, 'otp_disabled', 'Checkout codes are switched off for this shop.' );
			}
			return self::checkout_config( 2, array( 'enabled' => false ) );
		};
		$answer = $this->ajax( 'handle_send', array( 'phone' => '01711234567' ) );
		$this->assertSame( 'bikri_otp_off', $answer['data']['code'] );
		$this->assertFalse( $this->plugin->checkout->config->otp_enabled() );
	}

	public function test_pull_now_needs_the_capability_then_the_nonce() {
		$this->shop();
		$this->service = static function () {
			return self::checkout_config( 9, array( 'enabled' => true ) );
		};
		$this->assertSame( 'forbidden', $this->ajax( 'handle_sync', array() )['data']['code'], 'a visitor' );
		$this->sign_in( 'subscriber' );
		$this->assertSame( 'forbidden', $this->ajax( 'handle_sync', array() )['data']['code'] );
		$this->sign_in( 'shop_manager' );
		$this->assertSame( 'bikri_bad_nonce', $this->ajax( 'handle_sync', array( 'nonce' => 'x' ), false )['data']['code'] );
		$this->assertSame( array(), $this->requests );
		$answer = $this->ajax( 'handle_sync', array() );
		$this->assertTrue( $answer['success'] );
		$this->assertSame( 9, $answer['data']['version'] );
	}
}
