<?php
/**
 * Re-checking the license with the service, and the client's one error contract (P6).
 *
 * @package Bikri
 */

/**
 * License status and API client tests.
 */
class Bikri_License_Status_Test extends Bikri_Test_Case {

	/**
	 * The service's answer to GET /api/v1/license.
	 *
	 * @return array
	 */
	private static function status_ok() {
		return self::response(
			200,
			array(
				'status'        => 'active',
				'plan'          => 'growth',
				'expires_at'    => '2031-01-01T00:00:00Z',
				'site_url'      => 'http://127.0.0.1:8080',
				'sites_used'    => 2,
				'sites_allowed' => 3,
			)
		);
	}

	public function test_refresh_stores_what_the_service_says() {
		$this->activate_locally( time() - DAY_IN_SECONDS );
		$this->service = static function () {
			return self::status_ok();
		};

		$this->assertTrue( $this->plugin->license->maybe_refresh( $this->plugin->client ) );

		$this->assertCount( 1, $this->requests );
		list( $url, $args ) = $this->requests[0];
		$this->assertSame( self::SERVICE . '/api/v1/license', $url );
		$this->assertSame( 'GET', $args['method'] );
		$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );
		$info = $this->plugin->license->info();
		$this->assertSame( 2, $info['sites_used'] );
		$this->assertSame( 3, $info['sites_allowed'] );
		$this->assertSame( 'http://127.0.0.1:8080', $info['site_url'] );

		$this->sign_in( 'administrator' );
		$html = $this->output_of( array( $this->plugin->license_page, 'render' ) );
		$this->assertStringContainsString( '2 of 3', $html );
		$this->assertStringContainsString( 'January 1, 2031', $html );
	}

	public function test_401_marks_the_license_inactive() {
		$this->activate_locally( time() - DAY_IN_SECONDS );
		$this->service = static function () {
			return self::error_response( 401, 'unauthorized', 'Unknown or revoked token.' );
		};

		$result = $this->plugin->license->refresh( $this->plugin->client, time() );

		$this->assertWPError( $result, 'unauthorized', 401 );
		$this->assertFalse( $this->plugin->license->is_active() );
		$info = $this->plugin->license->info();
		$this->assertSame( 'inactive', $info['status'] );
		$this->assertSame( 'Unknown or revoked token.', $info['error']['message'] );

		// The gate applies again: the home page sends the user to the License page.
		$this->sign_in( 'administrator' );
		$this->build_menu();
		$this->service = static function () {
			return self::error_response( 401, 'unauthorized', 'Unknown or revoked token.' );
		};
		$location      = $this->redirect_of(
			static function () {
				do_action( 'load-toplevel_page_bikri' );
			}
		);
		$this->assertSame( Bikri_License_Page::url(), $location );
	}

	public function test_a_403_that_is_not_about_the_license_leaves_it_active() {
		$this->activate_locally();
		$this->service = static function () {
			return self::error_response( 403, 'forbidden', 'Staff may not change prices.' );
		};

		$result = $this->plugin->client->create_embed_ticket( array( 'page' => 'home' ) );

		$this->assertSame( 'forbidden', $result->get_error_code() );
		$this->assertTrue( $this->plugin->license->is_active() );
	}

	public function test_403_license_refusal_from_any_authenticated_call_marks_the_license_inactive() {
		$this->activate_locally();
		$this->service = static function () {
			return self::error_response( 403, 'license_inactive', 'License suspended.' );
		};

		$this->plugin->client->create_embed_ticket( array( 'page' => 'home' ) );

		$this->assertFalse( $this->plugin->license->is_active() );
	}

	public function test_recheck_is_throttled_to_12_hours() {
		$now = time();
		$this->activate_locally( $now );
		$this->service = static function () {
			return self::status_ok();
		};
		$license       = $this->plugin->license;
		$client        = $this->plugin->client;

		$this->assertFalse( $license->maybe_refresh( $client, $now + HOUR_IN_SECONDS ) );
		$this->assertFalse( $license->maybe_refresh( $client, $now + 12 * HOUR_IN_SECONDS - 1 ) );
		$this->assertSame( array(), $this->requests );

		$this->assertTrue( $license->maybe_refresh( $client, $now + 12 * HOUR_IN_SECONDS ) );
		$this->assertCount( 1, $this->requests );

		// Checked just now: not again for another 12 hours.
		$this->assertFalse( $license->maybe_refresh( $client, $now + 13 * HOUR_IN_SECONDS ) );
		$this->assertCount( 1, $this->requests );
	}

	public function test_recheck_is_forced_after_a_failure() {
		$now = time();
		$this->activate_locally( $now - 13 * HOUR_IN_SECONDS );
		$this->service = static function () {
			return new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		};
		$license       = $this->plugin->license;
		$client        = $this->plugin->client;

		$this->assertTrue( $license->maybe_refresh( $client, $now ) );
		$this->assertTrue( $license->is_active(), 'a failed check keeps the known status' );

		// A minute later the next page load asks again, and keeps asking until it gets an answer.
		$this->assertTrue( $license->maybe_refresh( $client, $now + 60 ) );
		$this->service = static function () {
			return self::status_ok();
		};
		$this->assertTrue( $license->maybe_refresh( $client, $now + 120 ) );
		$this->assertFalse( $license->maybe_refresh( $client, $now + 180 ) );
		$this->assertCount( 3, $this->requests );
		$info = $license->info();
		$this->assertNull( $info['error'], 'the answer clears the last error' );
	}

	public function test_server_error_on_any_call_forces_a_recheck() {
		$now = time();
		$this->activate_locally( $now );
		$this->service = static function () {
			return self::response( 502 );
		};

		$result = $this->plugin->client->create_embed_ticket( array( 'page' => 'home' ) );

		$this->assertWPError( $result, 'bikri_http_502', 502 );
		$this->assertTrue( $this->plugin->license->is_check_due( $now + 1 ) );
	}

	public function test_no_token_means_no_check() {
		update_option( Bikri_License::OPTION_SERVICE_URL, self::SERVICE );
		$this->assertFalse( $this->plugin->license->maybe_refresh( $this->plugin->client ) );
		$this->assertSame( array(), $this->requests );
	}

	public function test_client_error_contract() {
		$this->activate_locally();
		$client  = $this->plugin->client;
		$answers = array(
			self::error_response( 422, 'validation_error', 'Invalid input.', array( 'json' => array( 'page' => array( 'Unknown page.' ) ) ) ),
			array(
				'headers'  => array(),
				'body'     => '<html>oops</html>',
				'response' => array(
					'code'    => 200,
					'message' => 'OK',
				),
				'cookies'  => array(),
				'filename' => null,
			),
			self::response( 204 ),
			self::response( 201, array( 'url' => 'http://x/embed/home?ticket=t', 'expires_in' => 60 ) ),
		);
		$this->service = static function () use ( &$answers ) {
			return array_shift( $answers );
		};

		$error = $client->create_embed_ticket( array( 'page' => 'nope' ) );
		$this->assertWPError( $error, 'validation_error', 422 );
		$this->assertSame( 'Invalid input.', $error->get_error_message() );
		$this->assertSame( array( 'json' => array( 'page' => array( 'Unknown page.' ) ) ), $error->get_error_data()['details'] );
		$this->assertSame( array( 'page: Unknown page.' ), Bikri_License_Page::field_errors( $error->get_error_data()['details'] ) );

		$this->assertWPError( $client->get_license(), 'bikri_bad_response', 200 );
		$this->assertSame( array(), $client->deactivate() );
		$this->assertSame( 60, $client->create_embed_ticket( array() )['expires_in'] );
	}

	public function test_client_refuses_to_call_without_url_or_token() {
		$client = $this->plugin->client;
		$this->assertWPError( $client->get_license(), 'bikri_no_service_url', 0 );
		update_option( Bikri_License::OPTION_SERVICE_URL, self::SERVICE . '/' );
		$this->assertWPError( $client->get_license(), 'bikri_no_token', 0 );
		$this->assertSame( self::SERVICE, $this->plugin->license->service_url() );
		$this->assertSame( array(), $this->requests );
	}

	/**
	 * The BIKRI_SERVICE_URL constant wins over the option, and hides the field.
	 *
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_service_url_constant_wins() {
		define( 'BIKRI_SERVICE_URL', 'http://fixed.test/' );
		update_option( Bikri_License::OPTION_SERVICE_URL, self::SERVICE );
		$this->assertSame( 'http://fixed.test', $this->plugin->license->service_url() );

		$this->sign_in( 'administrator' );
		$html = $this->output_of( array( $this->plugin->license_page, 'render' ) );
		$this->assertStringContainsString( 'name="bikri_license_key"', $html );
		$this->assertStringNotContainsString( 'name="bikri_service_url"', $html );
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
		$this->assertSame( $code, $value->get_error_code() );
		$this->assertSame( $status, Bikri_Api_Client::status_of( $value ) );
	}
}
