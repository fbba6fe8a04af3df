<?php
/**
 * The License page: activation and deactivation through the admin-post handlers (P5, P7).
 *
 * @package Bikri
 */

/**
 * License form tests.
 */
class Bikri_License_Page_Test extends Bikri_Test_Case {

	/**
	 * The service's real answer to a good activation.
	 *
	 * @return array
	 */
	private static function activation_ok() {
		return self::response(
			201,
			array(
				'site_id'    => 7,
				'token'      => 'site-token-abc',
				'export_key' => str_repeat( 'ab', 32 ),
				'license'    => array(
					'status'     => 'active',
					'plan'       => 'starter',
					'expires_at' => '2030-06-30T23:59:59Z',
				),
			)
		);
	}

	/**
	 * Fills $_POST (and $_REQUEST, where check_admin_referer looks) like the activation form.
	 *
	 * @param array $fields Fields besides the nonce.
	 * @param string|null $nonce Nonce, or null for a valid one.
	 */
	private function post_activation_form( array $fields, $nonce = null ) {
		$_POST                     = array_merge(
			array(
				'action'   => Bikri_License_Page::ACTION_ACTIVATE,
				'_wpnonce' => null === $nonce ? wp_create_nonce( Bikri_License_Page::ACTION_ACTIVATE ) : $nonce,
			),
			$fields
		);
		$_REQUEST                  = $_POST;
		$_SERVER['REQUEST_METHOD'] = 'POST';
	}

	/**
	 * Submits the activation form with `$key` and the test service, then renders the page.
	 *
	 * @param string $key License key typed in.
	 * @return string The License page's HTML.
	 */
	private function activate_and_render( $key ) {
		$this->post_activation_form(
			array(
				'bikri_license_key' => $key,
				'bikri_service_url' => self::SERVICE,
			)
		);
		$this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_ACTIVATE );
			}
		);
		return $this->output_of( array( $this->plugin->license_page, 'render' ) );
	}

	public function test_a_new_key_releases_the_old_activation_without_locking_the_new_one() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = static function ( $method, $path, $body, $args ) {
			if ( '/api/v1/sites/activate' === $path ) {
				return self::activation_ok();
			}
			if ( '/api/v1/sites/deactivate' === $path ) {
				// the old token: the service answers 204, or 401 if it was already replaced
				return 'Bearer site-token-123' === $args['headers']['Authorization'] ? self::response( 401, array( 'error' => array( 'code' => 'unauthorized', 'message' => 'x', 'details' => array() ) ) ) : self::response( 500 );
			}
			return self::response( 200, array( 'status' => 'active', 'plan' => 'starter' ) );
		};
		$this->post_activation_form( array( 'bikri_license_key' => 'BIKRI-NEW-KEY' ) );

		$this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_ACTIVATE );
			}
		);

		$paths = array_map(
			static function ( $request ) {
				return wp_parse_url( $request[0], PHP_URL_PATH );
			},
			$this->requests
		);
		$activation = $this->requests_to( '/api/v1/sites/activate' );
		$this->assertCount( 1, $activation );
		$this->assertSame( 'BIKRI-NEW-KEY', $activation[0][2]['license_key'] );
		$this->assertSame( 'site-token-123', $activation[0][2]['site_token'], 'the site proves it is the same shop, so the service moves it to the new key' );
		$this->assertArrayNotHasKey( 'Authorization', $activation[0][1]['headers'] );
		$this->assertContains( '/api/v1/sites/deactivate', $paths, 'the old token was released' );
		$this->assertSame( 'site-token-abc', $this->plugin->license->token() );
		$this->assertTrue( $this->plugin->license->is_active(), 'a 401 for the old token does not lock the new license' );
	}

	public function test_activation_stores_token_and_status() {
		$this->sign_in( 'administrator' );
		$this->service = static function ( $method, $path ) {
			if ( 'POST' === $method && '/api/v1/sites/activate' === $path ) {
				return self::activation_ok();
			}
			if ( 'GET' === $method && '/api/v1/license' === $path ) {
				return self::response(
					200,
					array(
						'status'        => 'active',
						'plan'          => 'starter',
						'expires_at'    => '2030-06-30T23:59:59Z',
						'site_url'      => 'http://127.0.0.1:8080',
						'sites_used'    => 1,
						'sites_allowed' => 2,
					)
				);
			}
			return self::response( 404 );
		};
		$this->post_activation_form(
			array(
				'bikri_license_key' => "  BIKRI-KEY-1234 \\'x ",
				'bikri_service_url' => self::SERVICE . '/',
			)
		);

		$location = $this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_ACTIVATE );
			}
		);

		$this->assertSame( add_query_arg( 'bikri_notice', 'activated', Bikri_License_Page::url() ), $location );
		$this->assertCount( 2, $this->requests, 'activation, then the full status' );
		list( $url, $args, $body ) = $this->requests[0];
		$this->assertSame( self::SERVICE . '/api/v1/sites/activate', $url, 'service URL is stored without its trailing slash' );
		$this->assertSame( "BIKRI-KEY-1234 'x", $body['license_key'], 'key is unslashed and trimmed' );
		$this->assertSame( untrailingslashit( home_url( '/' ) ), $body['site_url'] );
		$this->assertSame( wp_specialchars_decode( get_option( 'blogname' ), ENT_QUOTES ), $body['site_name'], 'the site title goes along (the OTP SMS names the shop by it)' );
		$this->assertNotSame( '', $body['site_name'] );
		$this->assertSame( get_locale(), $body['locale'] );
		$this->assertMatchesRegularExpression( '/^ck_[0-9a-f]{40}$/', $body['wc_consumer_key'], 'the WooCommerce REST key goes along (test-rest-key.php)' );
		$this->assertArrayNotHasKey( 'Authorization', $args['headers'] );
		$this->assertArrayNotHasKey( 'site_token', $body, 'a first activation has no token to show' );
		$this->assertSame( 10, $args['timeout'] );

		$license = $this->plugin->license;
		$this->assertSame( 'site-token-abc', $license->token() );
		$this->assertSame( str_repeat( 'ab', 32 ), $license->export_key(), 'the order export key of the answer is kept' );
		$this->assertTrue( $license->is_active() );
		$info = $license->info();
		$this->assertSame( 'starter', $info['plan'] );
		$this->assertSame( '2030-06-30T23:59:59Z', $info['expires_at'] );
		$this->assertNull( $info['error'] );
		$this->assertSame( 1, $info['sites_used'] );
		$this->assertSame( 2, $info['sites_allowed'] );
		$this->assertSame( 'Bearer site-token-abc', $this->requests[1][1]['headers']['Authorization'] );
		$this->assertGreaterThan( time() - 60, (int) get_option( Bikri_License::OPTION_LAST_CHECK ) );
	}

	public function test_token_is_not_autoloaded_and_never_printed() {
		global $wpdb;
		$this->sign_in( 'administrator' );
		$this->activate_locally();

		$autoload = $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", Bikri_License::OPTION_TOKEN ) );
		$this->assertSame( 'no', $autoload );

		$this->service = static function () {
			return self::response( 200, array( 'status' => 'active' ) );
		};
		$page = $this->plugin->license_page;
		$html = $this->output_of( array( $page, 'render' ) );
		$this->assertStringContainsString( 'growth', $html, 'the status is shown' );
		$this->assertStringNotContainsString( 'site-token-123', $html );
	}

	/**
	 * Posts the activation form (a key, the test service) and expects the handler to refuse it
	 * before the service is asked or anything is saved.
	 *
	 * @param string      $why   What must refuse it (the failure message).
	 * @param string|null $nonce The form's nonce (null: a good one).
	 */
	private function assert_activation_refused_and_nothing_saved( $why, $nonce = null ) {
		$this->service = static function () {
			return self::activation_ok();
		};
		$this->post_activation_form(
			array(
				'bikri_license_key' => 'BIKRI-KEY',
				'bikri_service_url' => self::SERVICE,
			),
			$nonce
		);

		$this->assert_refused( 'admin_post_' . Bikri_License_Page::ACTION_ACTIVATE, $why );
		$this->assertSame( array(), $this->requests );
		$this->assertSame( '', $this->plugin->license->token() );
		$this->assertFalse( get_option( Bikri_License::OPTION_SERVICE_URL ) );
		$this->assertFalse( get_option( Bikri_License::OPTION_LICENSE ) );
	}

	public function test_invalid_nonce_saves_nothing() {
		$this->sign_in( 'administrator' );
		$this->assert_activation_refused_and_nothing_saved( 'A bad nonce must stop the handler.', 'not-a-nonce' );
	}

	public function test_missing_capability_saves_nothing() {
		$this->sign_in( 'shop_manager' ); // May open the Bikri pages, but not manage the license.
		$this->assert_activation_refused_and_nothing_saved( 'A user without manage_options must be refused.' );
	}

	public function test_wrong_key_is_explained_on_the_page() {
		$this->sign_in( 'administrator' );
		$this->service = static function () {
			return self::error_response( 403, 'license_invalid', 'Unknown license key.' );
		};
		$this->post_activation_form(
			array(
				'bikri_license_key' => 'WRONG',
				'bikri_service_url' => self::SERVICE,
			)
		);

		$location = $this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_ACTIVATE );
			}
		);
		$this->assertStringContainsString( 'bikri_notice=failed', $location );
		$this->assertSame( '', $this->plugin->license->token() );
		$this->assertFalse( $this->plugin->license->is_active() );

		$html = $this->output_of( array( $this->plugin->license_page, 'render' ) );
		$this->assertStringContainsString( 'That license key is not valid', $html );
		$this->assertStringContainsString( 'name="bikri_license_key"', $html );
		$this->assertStringContainsString( 'name="bikri_service_url"', $html, 'no BIKRI_SERVICE_URL constant here, so the field is shown' );
	}

	public function test_site_limit_and_validation_errors_are_explained() {
		$this->sign_in( 'administrator' );
		$answers       = array(
			self::error_response( 409, 'license_site_limit', 'All 1 sites are in use.' ),
			self::error_response( 422, 'validation_error', 'Invalid input.', array( 'json' => array( 'site_url' => array( 'Not a valid URL.' ) ) ) ),
		);
		$this->service = static function () use ( &$answers ) {
			return array_shift( $answers );
		};

		$expected = array(
			'already used on as many sites as it allows',
			'site_url: Not a valid URL.',
		);
		foreach ( $expected as $text ) {
			$html = $this->activate_and_render( 'KEY' );
			$this->assertStringContainsString( $text, $html );
		}
	}

	public function test_a_key_the_service_will_not_move_the_site_to_is_explained() {
		$this->sign_in( 'administrator' );
		$answers       = array(
			self::error_response( 409, 'site_on_other_license', 'This site is activated with another license key.' ),
		);
		$this->service = static function () use ( &$answers ) {
			return array_shift( $answers );
		};

		$html = $this->activate_and_render( 'BIKRI-OTHER-KEY' );
		$this->assertStringContainsString( 'enter the new key on this page while Bikri is still activated here', $html );
		$this->assertSame( '', $this->plugin->license->token() );
	}

	public function test_the_deactivate_form_says_how_to_change_the_key_without_losing_the_shop() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = static function () {
			return self::response( 200, array( 'orders_stored' => 0 ) );
		};
		$html = $this->output_of( array( $this->plugin->license_page, 'render' ) );
		$this->assertStringContainsString( 'Change license key', $html );
		$this->assertStringContainsString( 'To change the license key, do not deactivate: enter the new key above', $html );
	}

	public function test_unreachable_service_is_explained() {
		$this->sign_in( 'administrator' );
		$this->service = static function () {
			return new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		};
		$html = $this->activate_and_render( 'KEY' );
		$this->assertStringContainsString( 'Could not reach the Bikri service (cURL error 7: Failed to connect)', $html );
	}

	public function test_bad_service_url_is_refused_before_any_call() {
		$this->sign_in( 'administrator' );
		$this->post_activation_form(
			array(
				'bikri_license_key' => 'KEY',
				'bikri_service_url' => 'javascript:alert(1)',
			)
		);
		$this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_ACTIVATE );
			}
		);
		$this->assertSame( array(), $this->requests );
		$this->assertSame( '', $this->plugin->license->service_url() );
		$html = $this->output_of( array( $this->plugin->license_page, 'render' ) );
		$this->assertStringContainsString( 'Enter the Bikri service URL', $html );
	}

	public function test_deactivation_tells_the_service_and_clears_the_token() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = static function ( $method, $path ) {
			return '/api/v1/sites/deactivate' === $path ? self::response( 204 ) : self::response( 404 );
		};
		$_POST    = array(
			'action'   => Bikri_License_Page::ACTION_DEACTIVATE,
			'_wpnonce' => wp_create_nonce( Bikri_License_Page::ACTION_DEACTIVATE ),
		);
		$_REQUEST = $_POST;

		$location = $this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_DEACTIVATE );
			}
		);

		$this->assertStringContainsString( 'bikri_notice=deactivated', $location );
		$this->assertCount( 1, $this->requests );
		$this->assertSame( 'Bearer site-token-123', $this->requests[0][1]['headers']['Authorization'] );
		$this->assertSame( '', $this->plugin->license->token() );
		$this->assertSame( '', $this->plugin->license->export_key(), 'nor is the order export key kept' );
		$this->assertFalse( $this->plugin->license->is_active() );
		$this->assertSame( self::SERVICE, $this->plugin->license->service_url(), 'the service URL stays' );
	}

	public function test_deactivation_needs_its_nonce() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$_POST    = array(
			'action'   => Bikri_License_Page::ACTION_DEACTIVATE,
			'_wpnonce' => wp_create_nonce( Bikri_License_Page::ACTION_ACTIVATE ),
		);
		$_REQUEST = $_POST;

		$this->assert_refused( 'admin_post_' . Bikri_License_Page::ACTION_DEACTIVATE, 'The activation nonce must not deactivate.' );
		$this->assertSame( array(), $this->requests );
		$this->assertTrue( $this->plugin->license->is_active() );
	}

	/**
	 * Posts the "Clear Bikri data" form.
	 *
	 * @param bool        $confirm Whether the box is ticked.
	 * @param string|null $nonce   Nonce (a valid one when null).
	 */
	private function post_clear_form( $confirm, $nonce = null ) {
		$_POST = array(
			'action'   => Bikri_License_Page::ACTION_CLEAR,
			'_wpnonce' => null === $nonce ? wp_create_nonce( Bikri_License_Page::ACTION_CLEAR ) : $nonce,
		);
		if ( $confirm ) {
			$_POST['bikri_confirm_clear'] = 'yes';
		}
		$_REQUEST = $_POST;
	}

	public function test_clear_data_removes_everything_the_plugin_wrote() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = static function ( $method, $path ) {
			return '/api/v1/sites/deactivate' === $path ? self::response( 204 ) : self::response( 404 );
		};
		$order_post = wp_insert_post( array( 'post_type' => 'shop_order', 'post_status' => 'wc-processing', 'post_title' => 'Order' ) );
		update_post_meta( $order_post, '_courier_data', '{"courier":"steadfast","consignment_id":"1"}' );
		update_post_meta( $order_post, '_billing_phone', '01711234567' );
		$this->post_clear_form( true );

		$location = $this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_CLEAR );
			}
		);

		$this->assertStringContainsString( 'bikri_notice=cleared', $location );
		$this->assertSame( array( '/api/v1/sites/deactivate' ), array_map( static function ( $r ) { return wp_parse_url( $r[0], PHP_URL_PATH ); }, $this->requests ) );
		foreach ( Bikri_License::OPTIONS as $option ) {
			$this->assertFalse( get_option( $option ), $option );
		}
		$this->assertSame( '', get_post_meta( $order_post, '_courier_data', true ), 'the courier meta is gone' );
		$this->assertSame( '01711234567', get_post_meta( $order_post, '_billing_phone', true ), 'the order itself stays' );
	}

	public function test_clear_data_needs_the_box_ticked_and_its_nonce() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->post_clear_form( false );
		$location = $this->redirect_of(
			static function () {
				do_action( 'admin_post_' . Bikri_License_Page::ACTION_CLEAR );
			}
		);
		$this->assertStringContainsString( 'bikri_notice=clear_unconfirmed', $location );
		$this->assertTrue( $this->plugin->license->is_active() );

		$this->post_clear_form( true, wp_create_nonce( Bikri_License_Page::ACTION_DEACTIVATE ) );
		$this->assert_refused( 'admin_post_' . Bikri_License_Page::ACTION_CLEAR, 'Another form\'s nonce must not clear anything.' );
		$this->assertSame( array(), $this->requests );
		$this->assertTrue( $this->plugin->license->is_active() );

		$this->sign_in( 'shop_manager' );
		$this->post_clear_form( true );
		$this->assert_refused( 'admin_post_' . Bikri_License_Page::ACTION_CLEAR, 'Only administrators may clear Bikri data.' );
		$this->assertTrue( $this->plugin->license->is_active() );
	}
}
