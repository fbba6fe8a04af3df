<?php
/**
 * bikri_send_sms(), send_sms() and the SMS calls of the client (S1, P1), against the service's
 * real answers stubbed with pre_http_request.
 *
 * @package Bikri
 */

/**
 * SMS helper tests.
 */
class Bikri_Send_Sms_Test extends Bikri_Test_Case {

	const UUID4 = '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/';

	/**
	 * The body of the service's 202 answer to POST /api/sms/send (backend/sms/routes.py,
	 * SentSmsSchema): debited and queued; a worker sends it a moment later.
	 */
	const SENT = array(
		'id'       => 981,
		'status'   => 'queued',
		'phone'    => '+8801711000000',
		'segments' => 1,
		'encoding' => 'gsm',
		'cost'     => '0.35',
		'balance'  => '99.65',
		'error'    => null,
	);

	/**
	 * The service's 202 answer to POST /api/sms/send (201 with the outcome, given a status).
	 *
	 * @param array $overrides Fields to change.
	 * @return array
	 */
	private static function sent( array $overrides = array() ) {
		$body = array_merge( self::SENT, $overrides );
		return self::response( 'queued' === $body['status'] ? 202 : 201, $body );
	}

	/**
	 * An answer with extra headers (the service's Retry-After, say).
	 *
	 * @param array $response A response from response() or error_response().
	 * @param array $headers  Lower-case header names => values.
	 * @return array
	 */
	private static function with_headers( array $response, array $headers ) {
		$response['headers'] = array_merge( $response['headers'], $headers );
		return $response;
	}

	/**
	 * Answers every call with the same response and records it.
	 *
	 * @param array|WP_Error $answer Response.
	 */
	private function answer_with( $answer ) {
		$this->service = static function () use ( $answer ) {
			return $answer;
		};
	}

	public function test_sends_json_with_bearer_and_idempotency_key() {
		$this->activate_locally();
		$this->answer_with( self::sent() );

		$result = bikri_send_sms( '01711-000000', 'Your order #12 has shipped.', 'order_status' );

		$this->assertSame( self::SENT, $result );
		$this->assertCount( 1, $this->requests );
		list( $url, $args, $body ) = $this->requests[0];
		$this->assertSame( self::SERVICE . '/api/sms/send', $url );
		$this->assertSame( 'POST', $args['method'] );
		$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );
		$this->assertSame( 'application/json', $args['headers']['Content-Type'] );
		$this->assertSame( 'application/json', $args['headers']['Accept'] );
		$this->assertMatchesRegularExpression( self::UUID4, $args['headers']['Idempotency-Key'] );
		$this->assertSame(
			array(
				'phone'   => '01711-000000',
				'content' => 'Your order #12 has shipped.',
				'purpose' => 'order_status',
			),
			$body,
			'the service normalises the phone; the plugin sends it as given'
		);
	}

	public function test_the_queued_answer_gives_the_id_and_status_without_waiting() {
		$this->activate_locally();
		$this->answer_with( self::sent() );

		$result = send_sms( '01711000000', 'Your order #12 has shipped.' );

		$this->assertSame( array( 981, 'queued' ), array( $result['id'], $result['status'] ) );
		list( , $args ) = $this->requests[0];
		$this->assertArrayNotHasKey( 'Prefer', $args['headers'], 'nothing holds the shop\'s PHP worker by default' );
		$this->assertSame( Bikri_Api_Client::TIMEOUT, $args['timeout'] );
	}

	public function test_wait_asks_for_the_outcome_and_allows_for_it() {
		$this->activate_locally();
		$this->answer_with( self::sent( array( 'status' => 'sent' ) ) );

		$result = bikri_send_sms( '01711000000', 'Hello', 'order_status', 'order-12-shipped', 5 );

		$this->assertSame( 'sent', $result['status'] );
		list( , $args ) = $this->requests[0];
		$this->assertSame( 'wait=5', $args['headers']['Prefer'] );
		$this->assertSame( Bikri_Api_Client::TIMEOUT + 5, $args['timeout'], 'the service may hold its answer that long' );

		bikri_send_sms( '01711000000', 'Hello', 'manual', '', 60 );
		$this->assertSame( 'wait=10', $this->requests[1][1]['headers']['Prefer'], 'the service waits at most 10 s' );
	}

	public function test_sms_status_reads_the_message_by_id() {
		$this->activate_locally();
		$failed = array(
			'id'       => 981,
			'status'   => 'failed',
			'refunded' => true,
			'error'    => 'IP Blacklisted (code 4003)',
		);
		$this->answer_with( self::response( 200, $failed ) );

		$this->assertSame( $failed, bikri_sms_status( 981 ) );
		list( $url, $args ) = $this->requests[0];
		$this->assertSame( self::SERVICE . '/api/sms/messages/981', $url );
		$this->assertSame( 'GET', $args['method'] );
		$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );

		$this->answer_with( self::error_response( 404, 'message_not_found', 'This shop has no such message.' ) );
		$this->assertWPError( bikri_sms_status( 5 ), 'message_not_found', 404 );
		$this->assertTrue( $this->plugin->license->is_active(), 'another shop\'s id says nothing about the license' );
	}

	public function test_a_given_idempotency_key_is_reused_and_a_missing_one_is_made_fresh() {
		$this->activate_locally();
		$this->answer_with( self::sent() );

		bikri_send_sms( '01711000000', 'Hello', 'manual', 'order-12-shipped' );
		bikri_send_sms( '01711000000', 'Hello', 'manual', 'order-12-shipped' ); // a retry.
		bikri_send_sms( '01711000000', 'Hello' );
		bikri_send_sms( '01711000000', 'Hello' );

		$keys = array_map(
			static function ( $request ) {
				return $request[1]['headers']['Idempotency-Key'];
			},
			$this->requests
		);
		$this->assertSame( 'order-12-shipped', $keys[0] );
		$this->assertSame( 'order-12-shipped', $keys[1] );
		$this->assertMatchesRegularExpression( self::UUID4, $keys[2] );
		$this->assertMatchesRegularExpression( self::UUID4, $keys[3] );
		$this->assertNotSame( $keys[2], $keys[3], 'two different messages must not share a key' );
		$this->assertSame( 'manual', $this->requests[2][2]['purpose'] );
	}

	public function test_send_sms_is_bikris_when_nobody_else_declared_it() {
		$this->activate_locally();
		$this->answer_with( self::sent() );

		$function = new ReflectionFunction( 'send_sms' );
		$this->assertSame( 'send-sms.php', basename( $function->getFileName() ) );
		$this->assertSame( 981, send_sms( '01711000000', 'Hi' )['id'] );
		$this->assertSame( 'manual', $this->requests[0][2]['purpose'] );
	}

	public function test_bangla_text_passes_through_intact() {
		$this->activate_locally();
		$text = 'আপনার অর্ডার #১২৩ পাঠানো হয়েছে। ধন্যবাদ — বিক্রি';
		$this->answer_with(
			self::sent(
				array(
					'encoding' => 'unicode',
					'segments' => 1,
				)
			)
		);

		$result = bikri_send_sms( '০১৭১১০০০০০০', $text, 'order_status' );

		$this->assertSame( 'unicode', $result['encoding'] );
		list( , $args, $body ) = $this->requests[0];
		$this->assertSame( $text, $body['content'] );
		$this->assertSame( '০১৭১১০০০০০০', $body['phone'], 'Bangla digits are the service\'s to read' );
		$this->assertSame( $text, json_decode( $args['body'], true )['content'] );
	}

	public function test_insufficient_balance() {
		$this->activate_locally( time() - HOUR_IN_SECONDS );
		$this->answer_with( self::error_response( 402, 'insufficient_balance', 'Not enough SMS balance. Recharge to send.' ) );

		$error = bikri_send_sms( '01711000000', 'Hello' );

		$this->assertWPError( $error, 'insufficient_balance', 402 );
		$this->assertSame( 'Not enough SMS balance. Recharge to send.', $error->get_error_message() );
		$this->assertLicenseUntouched();
	}

	public function test_validation_error_keeps_the_field_details() {
		$this->activate_locally( time() - HOUR_IN_SECONDS );
		$details = array( 'phone' => array( 'A Bangladeshi mobile number has 11 digits (01XXXXXXXXX); this one has 9.' ) );
		$this->answer_with( self::error_response( 422, 'validation_error', 'Some fields are missing or invalid.', $details ) );

		$error = bikri_send_sms( '017110000', 'Hello' );

		$this->assertWPError( $error, 'validation_error', 422 );
		$this->assertSame( $details, $error->get_error_data()['details'] );
		$this->assertSame( array( 'phone: A Bangladeshi mobile number has 11 digits (01XXXXXXXXX); this one has 9.' ), Bikri_License_Page::field_errors( $details ) );
		$this->assertLicenseUntouched();
	}

	public function test_validation_error_names_the_field_and_the_reason() {
		$this->activate_locally( time() - HOUR_IN_SECONDS );
		// What backend/sms/service.py answers for a short number (validation_error("phone", ...)).
		$reason = 'A Bangladeshi mobile number has 11 digits (01XXXXXXXXX); this one has 9.';
		$this->answer_with( self::error_response( 422, 'validation_error', 'Some fields are missing or invalid.', array( 'phone' => array( $reason ) ) ) );

		$error = bikri_send_sms( '017110000', 'Hello', 'manual', 'order-9' );

		$this->assertWPError( $error, 'validation_error', 422 );
		$this->assertSame( 'The SMS was not sent. Phone number: ' . $reason, $error->get_error_message() );
		$data = $error->get_error_data();
		$this->assertSame( array( 'phone' => array( $reason ) ), $data['fields'] );
		$this->assertSame( 'Some fields are missing or invalid.', $data['service_message'] );
		$this->assertSame( 'order-9', $data['idempotency_key'] );

		// The service's schema errors come grouped by request location, several fields at once.
		$this->answer_with(
			self::error_response(
				422,
				'validation_error',
				'Some fields are missing or invalid.',
				array(
					'json' => array(
						'content' => array( 'Missing data for required field.' ),
						'purpose' => array( 'One of: manual, otp, order_status, abandoned_cart, marketing.' ),
					),
				)
			)
		);
		$error = bikri_send_sms( '01711000000', 'Hello', 'newsletter' );
		$this->assertSame(
			'The SMS was not sent. Message text: Missing data for required field. Purpose: One of: manual, otp, order_status, abandoned_cart, marketing.',
			$error->get_error_message()
		);
		$this->assertSame( array( 'content', 'purpose' ), array_keys( $error->get_error_data()['fields'] ) );

		// A field the plugin has no name for is named as the service named it.
		$this->answer_with( self::error_response( 422, 'validation_error', 'Some fields are missing or invalid.', array( 'sender_id' => array( 'Not approved.' ) ) ) );
		$this->assertSame( 'The SMS was not sent. sender_id: Not approved.', bikri_send_sms( '01711000000', 'Hello' )->get_error_message() );

		// Without details there is nothing to name: the general words stay.
		$this->answer_with( self::error_response( 422, 'validation_error', 'Some fields are missing or invalid.' ) );
		$this->assertSame( 'Some fields are missing or invalid.', bikri_send_sms( '01711000000', 'Hello' )->get_error_message() );
		$this->assertLicenseUntouched();
	}

	public function test_validation_error_is_named_in_bangla() {
		$this->activate_locally( time() - HOUR_IN_SECONDS );
		$reason = 'A Bangladeshi mobile number has 11 digits (01XXXXXXXXX); this one has 9.';
		$this->answer_with( self::error_response( 422, 'validation_error', 'Some fields are missing or invalid.', array( 'phone' => array( $reason ) ) ) );
		// As in test-translations.php: a Bangla site's locale arrives through determine_locale().
		$bangla = static function () {
			return 'bn_BD';
		};
		$this->add_filter( 'pre_determine_locale', $bangla );
		unload_textdomain( 'bikri' );
		$this->plugin->action_init();
		try {
			$message = bikri_send_sms( '017110000', 'Hello' )->get_error_message();
			$local   = bikri_send_sms( '', 'Hello' )->get_error_message();
		} finally {
			remove_filter( 'pre_determine_locale', $bangla );
			unload_textdomain( 'bikri' );
			$this->plugin->action_init();
		}
		$this->assertSame( 'এসএমএস পাঠানো হয়নি। ফোন নম্বর: ' . $reason, $message );
		$this->assertStringStartsWith( 'এসএমএস পাঠানো হয়নি। ফোন নম্বর: ', $local );
	}

	public function test_rate_limited_carries_retry_after() {
		$this->activate_locally( time() - HOUR_IN_SECONDS );
		$this->answer_with(
			self::with_headers(
				self::error_response( 429, 'rate_limited', 'At most 5 codes an hour go to one number. Try again later.', array( 'retry_after' => 42 ) ),
				array( 'retry-after' => '42' )
			)
		);

		$error = bikri_send_sms( '01711000000', '123456 is your code', 'otp' );

		$this->assertWPError( $error, 'rate_limited', 429 );
		$this->assertSame( 42, $error->get_error_data()['retry_after'] );
		$this->assertLicenseUntouched();

		// Retry-After may also be an HTTP date.
		$this->answer_with(
			self::with_headers(
				self::error_response( 429, 'rate_limited', 'This shop may send 30 SMS a minute. Try again shortly.', array( 'retry_after' => 120 ) ),
				array( 'retry-after' => gmdate( 'D, d M Y H:i:s', time() + 120 ) . ' GMT' )
			)
		);
		$later = bikri_send_sms( '01711000000', '123456 is your code', 'otp' )->get_error_data()['retry_after'];
		$this->assertGreaterThanOrEqual( 118, $later );
		$this->assertLessThanOrEqual( 120, $later );
	}

	public function test_only_a_license_refusal_locks_the_plugin() {
		$this->activate_locally();
		$this->answer_with( self::error_response( 403, 'forbidden', 'Marketing SMS are switched off for this shop.' ) );
		$this->assertWPError( bikri_send_sms( '01711000000', 'Hi', 'marketing' ), 'forbidden', 403 );
		$this->assertTrue( $this->plugin->license->is_active() );

		$this->answer_with( self::error_response( 401, 'unauthorized', 'Unknown or revoked token.' ) );
		$this->assertWPError( bikri_send_sms( '01711000000', 'Hi' ), 'unauthorized', 401 );
		$this->assertFalse( $this->plugin->license->is_active() );
	}

	public function test_service_down_is_an_error_not_a_fatal() {
		$this->activate_locally( time() - HOUR_IN_SECONDS );
		$this->answer_with( new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out after 10001 milliseconds' ) );

		$error = bikri_send_sms( '01711000000', 'Hello', 'manual', 'order-7-paid' );

		$this->assertWPError( $error, 'bikri_unreachable', 0 );
		$this->assertStringContainsString( 'same idempotency key never sends it twice', $error->get_error_message() );
		$data = $error->get_error_data();
		$this->assertSame( 'order-7-paid', $data['idempotency_key'], 'so the caller can retry the same message' );
		$this->assertSame( 'cURL error 28: Operation timed out after 10001 milliseconds', $data['reason'] );
		$this->assertTrue( $this->plugin->license->is_active(), 'no answer says nothing about the license' );

		$this->answer_with( self::response( 502 ) );
		$error = bikri_send_sms( '01711000000', 'Hello' );
		$this->assertWPError( $error, 'bikri_http_502', 502 );
		$this->assertMatchesRegularExpression( self::UUID4, $error->get_error_data()['idempotency_key'] );
	}

	public function test_no_license_means_no_remote_call() {
		update_option( Bikri_License::OPTION_SERVICE_URL, self::SERVICE );
		$error = bikri_send_sms( '01711000000', 'Hello' );
		$this->assertWPError( $error, 'bikri_unlicensed', 0 );
		$this->assertStringContainsString( 'License page', $error->get_error_message() );

		$this->activate_locally();
		$this->plugin->license->mark_inactive( new WP_Error( 'license_inactive', 'License suspended.' ), time() );
		$this->assertWPError( send_sms( '01711000000', 'Hello' ), 'bikri_unlicensed', 0 );

		$this->assertSame( array(), $this->requests );
	}

	public function test_trivial_checks_happen_before_any_call() {
		$this->activate_locally();
		$cases = array(
			array( array( '', 'Hello' ), array( 'phone' ) ),
			array( array( '01711000000', "  \n" ), array( 'content' ) ),
			array( array( array( '01711000000' ), 'Hello' ), array( 'phone' ) ),
			array( array( null, false ), array( 'phone', 'content' ) ),
			array( array( '01711000000', "caf\xC3" ), array( 'content' ) ),
			array( array( '01711000000', 'Hello', '' ), array( 'purpose' ) ),
			array( array( '01711000000', 'Hello', 'manual', array( 'k' ) ), array( 'idempotency_key' ) ),
		);
		foreach ( $cases as $case ) {
			list( $args, $fields ) = $case;
			$error                 = bikri_send_sms( ...$args );
			$this->assertWPError( $error, 'bikri_invalid_sms', 0 );
			$this->assertSame( $fields, array_keys( $error->get_error_data()['details'] ) );
			$this->assertSame( $fields, array_keys( $error->get_error_data()['fields'] ) );
		}
		$this->assertSame(
			'The SMS was not sent. Phone number: Enter the recipient\'s mobile number. Message text: Enter the message text.',
			bikri_send_sms( null, false )->get_error_message()
		);
		$this->assertSame( array(), $this->requests );
	}

	public function test_sms_balance() {
		$this->activate_locally();
		$balance = array(
			'balance'           => '12.50',
			'currency'          => 'BDT',
			'rates'             => array(
				'gsm'     => '0.25',
				'unicode' => '0.35',
			),
			'sms_left_estimate' => 35,
		);
		$this->answer_with( self::response( 200, $balance ) );

		$this->assertSame( $balance, $this->plugin->client->get_sms_balance() );
		list( $url, $args ) = $this->requests[0];
		$this->assertSame( self::SERVICE . '/api/sms/balance', $url );
		$this->assertSame( 'GET', $args['method'] );
		$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );
		$this->assertNull( isset( $args['body'] ) ? $args['body'] : null, 'a GET sends no body' );
	}

	public function test_extra_headers_cannot_replace_the_token() {
		$this->activate_locally();
		$this->answer_with( self::response( 200, array() ) );
		$this->plugin->client->request( 'GET', '/api/sms/balance', null, true, array( 'Authorization' => 'Bearer stolen' ) );
		$this->assertSame( 'Bearer site-token-123', $this->requests[0][1]['headers']['Authorization'] );
	}

	/**
	 * Another plugin's send_sms() wins whether it loads before Bikri or after, and nothing is fatal.
	 * Each case needs a fresh PHP process: a declared function cannot be taken back.
	 */
	public function test_another_plugins_send_sms_is_left_alone() {
		foreach ( array( 'before', 'after' ) as $mode ) {
			$state = $this->run_in_own_process( $mode );
			$this->assertSame( 'other-plugin-send-sms.php', basename( $state['declared_in'] ), $mode );
			$this->assertSame( 'sent by the other plugin to 01711000000', $state['answer'], $mode );
			$this->assertTrue( $state['bikri_send_sms'], $mode );
			$this->assertTrue( $state['bikri_plugin_loaded'], $mode );
		}

		$state = $this->run_in_own_process( 'none' );
		$this->assertSame( 'send-sms.php', basename( $state['declared_in'] ) );
		$this->assertSame( 'WP_Error:bikri_unlicensed', $state['answer'] );
	}

	/**
	 * Loads WordPress in a new PHP process through send-sms-elsewhere.php.
	 *
	 * @param string $mode before, after or none.
	 * @return array What the script printed.
	 */
	private function run_in_own_process( $mode ) {
		$command = escapeshellarg( PHP_BINARY ) . ' ' . escapeshellarg( __DIR__ . '/send-sms-elsewhere.php' ) . ' ' . escapeshellarg( $mode ) . ' 2>&1';
		exec( $command, $output, $status ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec -- a test running PHP itself.
		$this->assertSame( 0, $status, $mode . ': ' . implode( "\n", $output ) );
		$state = json_decode( (string) end( $output ), true );
		$this->assertIsArray( $state, $mode . ': ' . implode( "\n", $output ) );
		return $state;
	}

	/**
	 * Asserts the license is still active and no re-check was forced.
	 */
	private function assertLicenseUntouched() {
		$this->assertTrue( $this->plugin->license->is_active() );
		$this->assertFalse( $this->plugin->license->is_check_due( time() ) );
	}

	/**
	 * Asserts a WP_Error with a code and HTTP status.
	 *
	 * @param mixed  $value  Value.
	 * @param string $code   Expected code.
	 * @param int    $status Expected status in the error data.
	 */
	private function assertWPError( $value, $code, $status ) {
		$this->assertInstanceOf( WP_Error::class, $value );
		$this->assertSame( $code, $value->get_error_code(), $value->get_error_message() );
		$this->assertSame( $status, Bikri_Api_Client::status_of( $value ) );
	}
}
