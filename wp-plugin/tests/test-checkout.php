<?php
/**
 * Checkout protection: the classic checkout's validation hook and the block checkout's Store
 * API hook refuse an order without a verified phone and from a blacklisted shopper, and
 * allow it with a proof; the order is flagged and reported; the copy of the settings is
 * pulled and read without remote calls.
 *
 * WooCommerce is not installed here: the hooks are fired as WooCommerce fires them, with
 * stand-ins of its classes (tests/stand-ins/woocommerce-checkout.php).
 *
 * @package Bikri
 */

use Automattic\WooCommerce\StoreApi\Exceptions\RouteException;

/**
 * Checkout guard tests.
 */
class Bikri_Checkout_Test extends Bikri_Test_Case {

	/**
	 * When the order report runs next: through Action Scheduler where WooCommerce brings it
	 * (the stand-in is loaded in these tests), else WP-cron; false when nothing is queued.
	 *
	 * @param string     $hook Hook.
	 * @param array|null $args Arguments.
	 * @return int|false
	 */
	private static function next_report( $hook, $args = null ) {
		if ( function_exists( 'as_next_scheduled_action' ) ) {
			return as_next_scheduled_action( $hook, $args, 'bikri' );
		}
		return wp_next_scheduled( $hook, null === $args ? array() : $args );
	}


	const TOKEN   = 'site-token-123';
	const SESSION = 'abcdefabcdefabcdefabcdefabcdef12';
	const PHONE   = '+8801711234567';

	/**
	 * Proofs made by the Python service's code (backend/checkout/service.py _proof_key) for token
	 * site-token-123, session py000000000000000000000000000000, phone +8801711234567, expiring in
	 * 2100: PHP must read what Python signs. Version 1 is keyed from the token's SHA-256 (what a
	 * plugin without its export key takes); version 2 from the export key EXPORT_KEY.
	 */
	const PYTHON_PROOF_V2 = 'eyJ2IjoyLCJwIjoiKzg4MDE3MTEyMzQ1NjciLCJzaWQiOiJweTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCIsIm0iOiJ2ZXJpZmllZCIsImV4cCI6NDEwMjQ0NDgwMCwibiI6Im1hZGUtYnktcHl0aG9uIn0.GPAKuHsqmJXN0sGWZ97KEU_pJgZXVvs7ntwSTA5JZE4';

	/**
	 * The same proof, version 1.
	 */
	const PYTHON_PROOF = 'eyJ2IjoxLCJwIjoiKzg4MDE3MTEyMzQ1NjciLCJzaWQiOiJweTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCIsIm0iOiJ2ZXJpZmllZCIsImV4cCI6NDEwMjQ0NDgwMCwibiI6Im1hZGUtYnktcHl0aG9uIn0.4T9pbONJKDw_glTgZ49-9llkAj5WqHZW9vMRjk7M4JE';

	protected function setUp(): void {
		parent::setUp();
		$this->as_a_shopper();
		wp_clear_scheduled_hook( Bikri_Checkout::REPORT_HOOK );
	}

	protected function tearDown(): void {
		wp_unschedule_hook( Bikri_Checkout::REPORT_HOOK );
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( Bikri_Checkout::REPORT_HOOK );
		}
		parent::tearDown();
	}

	/**
	 * An active site whose copy (pulled through the real sync) has these settings.
	 *
	 * @param bool  $otp       OTP on.
	 * @param array $blacklist {phones, emails, ips}.
	 * @param array $extra     More of the service's answer's otp part.
	 */
	private function shop( $otp, array $blacklist = array(), array $extra = array() ) {
		$this->activate_locally();
		$this->service = static function ( $method, $path ) use ( $otp, $blacklist, $extra ) {
			if ( '/api/v1/checkout/config' !== $path ) {
				return new WP_Error( 'http_request_failed', 'unexpected ' . $path );
			}
			return self::checkout_config(
				7,
				array_merge(
					array(
						'enabled'          => $otp,
						'balance_ok'       => true,
						'no_balance_since' => null,
						'code_digits'      => 6,
						'cooldown_seconds' => 60,
						'code_ttl_seconds' => 300,
						'proof_seconds'    => 1800,
					),
					$extra
				),
				$blacklist
			);
		};
		$this->assertTrue( $this->plugin->checkout->config->sync( $this->plugin->client, time() ) );
		$this->service  = null;
		$this->requests = array();
	}

	/**
	 * Puts a proof in the browser's cookies, as the AJAX handler does.
	 *
	 * @param string $phone   Phone.
	 * @param string $mode    Mode.
	 * @param int    $expires Expiry.
	 * @param string $session Session of the proof.
	 * @param string $token   Token that signs it.
	 * @param string $key     Export key that signs it ('': a version 1 proof, signed from the token).
	 */
	private function verified( $phone = self::PHONE, $mode = 'verified', $expires = 0, $session = self::SESSION, $token = self::TOKEN, $key = self::EXPORT_KEY ) {
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = self::SESSION;
		$_COOKIE[ Bikri_Checkout::PROOF_COOKIE ]   = Bikri_Otp_Proof::sign( $token, $key, $phone, $session, $mode, $expires ? $expires : time() + 600 );
	}

	/**
	 * A proof with any payload, signed as version 1 is (HMAC of "bikri-otp-proof-v1" under the
	 * token's SHA-256): what anyone holding a copy of the service's database, which stores that
	 * SHA-256 as the site's token hash, can make. Written here from the scheme, not with the plugin's code.
	 *
	 * @param array $payload The payload.
	 * @return string
	 */
	private static function signed_with_the_token_hash( array $payload ) {
		$b64  = static function ( $raw ) {
			return rtrim( strtr( base64_encode( $raw ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- the proof format.
		};
		$key  = hash_hmac( 'sha256', 'bikri-otp-proof-v1', hash( 'sha256', self::TOKEN ), true );
		$body = $b64( wp_json_encode( $payload ) );
		return $body . '.' . $b64( hash_hmac( 'sha256', $body, $key, true ) );
	}

	/**
	 * Fires the classic checkout's validation as WC_Checkout::validate_checkout() does.
	 *
	 * @param array $data Posted data.
	 * @return WP_Error
	 */
	private function classic( array $data = array() ) {
		$errors = new WP_Error();
		$data   = array_merge(
			array(
				'billing_first_name' => 'Rahim',
				'billing_phone'      => '01711-234567',
				'billing_email'      => 'rahim@example.com',
			),
			$data
		);
		do_action( 'woocommerce_after_checkout_validation', $data, $errors );
		return $errors;
	}

	/**
	 * Fires the block checkout's hook as the Store API's Checkout route does; returns the
	 * RouteException it threw, or null.
	 *
	 * @param array    $billing Billing address of the request.
	 * @param WC_Order $order   The draft order.
	 * @return RouteException|null
	 */
	private function block( array $billing = array(), $order = null ) {
		$request = new WP_REST_Request( 'POST', '/wc/store/v1/checkout' );
		$request->set_param( 'billing_address', array_merge( array( 'phone' => '01711234567', 'email' => 'rahim@example.com' ), $billing ) );
		$request->set_param( 'payment_method', 'cod' );
		$order = $order ? $order : new WC_Order( 501 );
		try {
			do_action( 'woocommerce_store_api_checkout_update_order_from_request', $order, $request );
		} catch ( RouteException $refused ) {
			return $refused;
		}
		return null;
	}

	public function test_classic_checkout_refuses_an_unverified_phone() {
		$this->shop( true );
		$errors = $this->classic();
		$this->assertSame( array( 'bikri_otp_required' ), $errors->get_error_codes() );
		$this->assertStringContainsString( 'code we send by SMS', $errors->get_error_message() );
		$this->assertSame( array(), $this->requests, 'no remote call while an order is placed' );
	}

	public function test_classic_checkout_allows_a_verified_phone_in_any_spelling() {
		$this->shop( true );
		$this->verified();
		foreach ( array( '01711-234567', '+880 1711 234567', '৮৮০১৭১১২৩৪৫৬৭' ) as $typed ) {
			$this->assertSame( array(), $this->classic( array( 'billing_phone' => $typed ) )->get_error_codes(), $typed );
		}
		$this->assertSame( array(), $this->requests );
	}

	public function test_a_proof_counts_only_for_its_phone_session_site_and_time() {
		$this->shop( true );
		$cases = array(
			'another phone'   => array( '+8801811234567' ),
			'expired'         => array( self::PHONE, 'verified', time() - 1 ),
			'another session' => array( self::PHONE, 'verified', 0, 'ffffffffffffffffffffffffffffffff' ),
			'another site'    => array( self::PHONE, 'verified', 0, self::SESSION, 'other-site-token', str_repeat( 'ab', 32 ) ),
		);
		foreach ( $cases as $what => $args ) {
			$this->verified( ...$args );
			$this->assertSame( array( 'bikri_otp_required' ), $this->classic()->get_error_codes(), $what );
		}
		$this->verified();
		$_COOKIE[ Bikri_Checkout::PROOF_COOKIE ] = substr( $_COOKIE[ Bikri_Checkout::PROOF_COOKIE ], 0, -2 ) . 'xx';
		$this->assertSame( array( 'bikri_otp_required' ), $this->classic()->get_error_codes(), 'forged signature' );
	}

	public function test_a_proof_signed_by_the_service_in_python_is_read_here() {
		$payload = Bikri_Otp_Proof::read( self::TOKEN, self::EXPORT_KEY, self::PYTHON_PROOF_V2, time() );
		$this->assertSame( array( 2, '+8801711234567', 'py000000000000000000000000000000', 'verified' ), array( $payload['v'], $payload['p'], $payload['sid'], $payload['m'] ) );
		$this->assertNull( Bikri_Otp_Proof::read( self::TOKEN, str_repeat( 'ab', 32 ), self::PYTHON_PROOF_V2, time() ), 'another export key' );
		$this->assertNull( Bikri_Otp_Proof::read( self::TOKEN, '', self::PYTHON_PROOF_V2, time() ), 'no key: only version 1' );

		// Version 1, while this site has no export key yet.
		$payload = Bikri_Otp_Proof::read( self::TOKEN, '', self::PYTHON_PROOF, time() );
		$this->assertSame( array( 1, '+8801711234567', 'py000000000000000000000000000000', 'verified' ), array( $payload['v'], $payload['p'], $payload['sid'], $payload['m'] ) );
		$this->assertNull( Bikri_Otp_Proof::read( 'another-token', '', self::PYTHON_PROOF, time() ) );
		$this->assertNull( Bikri_Otp_Proof::read( self::TOKEN, self::EXPORT_KEY, self::PYTHON_PROOF, time() ), 'holding the key: never version 1' );
	}

	public function test_once_the_export_key_is_held_a_proof_signed_from_the_token_hash_is_refused() {
		$this->shop( true );
		$this->assertSame( self::EXPORT_KEY, $this->plugin->license->export_key() );
		$payload = array(
			'p'   => self::PHONE,
			'sid' => self::SESSION,
			'm'   => 'verified',
			'exp' => time() + 600,
			'n'   => 'forged-from-a-leak',
		);
		$forged  = array(
			'version 1'                 => self::signed_with_the_token_hash( array( 'v' => 1 ) + $payload ),
			'version 1 that says 2'     => self::signed_with_the_token_hash( array( 'v' => 2 ) + $payload ),
			'signed here without a key' => Bikri_Otp_Proof::sign( self::TOKEN, '', self::PHONE, self::SESSION, 'verified', time() + 600 ),
		);
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = self::SESSION;
		foreach ( $forged as $what => $proof ) {
			$_COOKIE[ Bikri_Checkout::PROOF_COOKIE ] = $proof;
			$this->assertNull( $this->plugin->checkout->current_proof(), $what );
			$this->assertSame( array( 'bikri_otp_required' ), $this->classic()->get_error_codes(), $what );
			$this->assertSame( 'bikri_otp_required', $this->block()->getErrorCode(), $what );
		}

		// A version 2 proof, signed with the key the service handed over, lets the order through.
		$this->verified();
		$this->assertSame( 2, $this->plugin->checkout->current_proof()['v'] );
		$this->assertSame( array(), $this->classic()->get_error_codes() );
		$this->assertNull( $this->block() );
		$this->assertSame( array(), $this->requests, 'no remote call while an order is placed' );
	}

	public function test_a_site_without_its_export_key_yet_keeps_its_checkout_until_the_pull_brings_it() {
		$this->shop( true );
		delete_option( Bikri_License::OPTION_EXPORT_KEY ); // Updated from a plugin of before export keys.
		$this->assertSame( '', $this->plugin->license->export_key() );
		$v1 = self::signed_with_the_token_hash(
			array(
				'v'   => 1,
				'p'   => self::PHONE,
				'sid' => self::SESSION,
				'm'   => 'verified',
				'exp' => time() + 600,
				'n'   => 'from-the-service',
			)
		);
		$_COOKIE[ Bikri_Checkout::SESSION_COOKIE ] = self::SESSION;
		$_COOKIE[ Bikri_Checkout::PROOF_COOKIE ]   = $v1;
		$this->assertSame( array(), $this->classic()->get_error_codes(), 'the service still signs version 1 for this site' );
		$this->assertNull( $this->block() );
		$this->verified();
		$this->assertSame( array( 'bikri_otp_required' ), $this->classic()->get_error_codes(), 'version 2 needs the key' );

		// The next config pull brings the key: from then on only version 2 counts.
		$this->service = static function () {
			$answer         = self::checkout_config( 8, array( 'enabled' => true ) );
			$answer['body'] = wp_json_encode( json_decode( $answer['body'], true ) + array( 'export_key' => self::EXPORT_KEY ) );
			return $answer;
		};
		$this->assertTrue( $this->plugin->checkout->config->sync( $this->plugin->client, time() ) );
		$this->assertSame( self::EXPORT_KEY, $this->plugin->license->export_key() );
		$this->assertSame( array(), $this->classic()->get_error_codes() );
		$_COOKIE[ Bikri_Checkout::PROOF_COOKIE ] = $v1;
		$this->assertSame( array( 'bikri_otp_required' ), $this->classic()->get_error_codes() );
	}

	public function test_classic_checkout_wants_a_bangladeshi_mobile_number() {
		$this->shop( true );
		$this->verified();
		$errors = $this->classic( array( 'billing_phone' => '+44 7700 900123' ) );
		$this->assertSame( array( 'bikri_otp_phone' ), $errors->get_error_codes() );
	}

	public function test_block_checkout_refuses_an_unverified_phone_with_a_route_exception() {
		$this->shop( true );
		$refused = $this->block();
		$this->assertInstanceOf( RouteException::class, $refused );
		$this->assertSame( 'bikri_otp_required', $refused->getErrorCode() );
		$this->assertSame( 400, $refused->getCode() );
		$this->assertStringContainsString( 'code we send by SMS', $refused->getMessage() );

		// saving fields on the draft order (PUT) is not placing it
		$update = new WP_REST_Request( 'PUT', '/wc/store/v1/checkout' );
		$update->set_param( 'billing_address', array( 'phone' => '01711234567' ) );
		do_action( 'woocommerce_store_api_checkout_update_order_from_request', new WC_Order( 502 ), $update );
	}

	public function test_block_checkout_allows_a_verified_phone_and_reads_the_order_when_the_request_has_none() {
		$this->shop( true );
		$this->verified();
		$this->assertNull( $this->block() );
		$order = new WC_Order( 502 );
		$order->set_billing_phone( '01711234567' );
		$this->assertNull( $this->block( array( 'phone' => '' ), $order ), 'the phone of the draft order counts' );
		$order->set_billing_phone( '01911234567' );
		$this->assertSame( 'bikri_otp_required', $this->block( array( 'phone' => '' ), $order )->getErrorCode() );
	}

	public function test_blacklist_refuses_on_both_checkouts_with_the_shops_message() {
		$message = 'দুঃখিত, এই অর্ডার অনলাইনে নেওয়া যাচ্ছে না। <দোকানে> ফোন করুন।';
		$this->shop(
			false,
			array(
				'message' => $message,
				'phones'  => array( '+8801811111111' ),
				'emails'  => array( 'spam@example.com' ),
				'ips'     => array( '198.51.100.0/24', '2001:db8:5::/48', '203.0.113.99' ),
			)
		);
		$errors = $this->classic( array( 'billing_phone' => '01811-111111' ) );
		$this->assertSame( array( 'bikri_blocked' ), $errors->get_error_codes() );
		$this->assertSame( esc_html( $message ), $errors->get_error_message(), 'escaped for the notice HTML' );
		$this->assertSame( array( 'bikri_blocked' ), $this->classic( array( 'billing_email' => 'SPAM@example.com' ) )->get_error_codes() );

		$refused = $this->block( array( 'phone' => '+8801811111111' ) );
		$this->assertSame( array( 'bikri_blocked', $message ), array( $refused->getErrorCode(), $refused->getMessage() ) );

		foreach ( array( '198.51.100.7', '2001:db8:5:ffff::1', '::ffff:203.0.113.99', '203.0.113.99' ) as $ip ) {
			$_SERVER['REMOTE_ADDR'] = $ip;
			$this->assertSame( array( 'bikri_blocked' ), $this->classic()->get_error_codes(), $ip );
		}
		foreach ( array( '198.51.101.7', '2001:db8:6::1', '203.0.113.98' ) as $ip ) {
			$_SERVER['REMOTE_ADDR'] = $ip;
			$this->assertSame( array(), $this->classic()->get_error_codes(), $ip );
		}
		$this->assertSame( array(), $this->requests );
	}

	public function test_blacklist_without_a_message_uses_ours_and_a_proxy_site_can_give_the_real_ip() {
		$this->shop( false, array( 'ips' => array( '198.51.100.7' ) ) );
		$this->add_filter(
			'bikri_shopper_ip',
			static function () {
				return '198.51.100.7';
			}
		);
		$this->assertSame( 'Sorry, we cannot take this order online. Please contact the shop.', $this->classic()->get_error_message() );
	}

	public function test_nothing_is_enforced_when_off_or_unlicensed() {
		$this->shop( false );
		$this->assertSame( array(), $this->classic()->get_error_codes() );
		$this->assertNull( $this->block() );
		$this->shop( true, array( 'phones' => array( self::PHONE ) ) );
		update_option( Bikri_License::OPTION_LICENSE, array( 'status' => 'expired' ) );
		$this->assertSame( array(), $this->classic()->get_error_codes(), 'a lapsed license never closes the checkout' );
	}

	public function test_the_order_is_marked_flagged_and_reported_later() {
		$this->shop( true );
		$this->verified( self::PHONE, 'skipped_no_balance' );
		$this->assertNull( $this->block() );
		$order = new WC_Order( 601 );
		$order->set_status( 'checkout-draft' );
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		$this->assertSame( 'skipped_no_balance', $order->get_meta( Bikri_Checkout::ORDER_META ) );
		$this->assertStringStartsWith( 'OTP skipped: no balance.', $order->notes[0] );
		$this->assertSame( 1, $order->saves );
		$body = array(
			'wc_order_id' => 601,
			'phone'       => self::PHONE,
			'otp'         => 'skipped_no_balance',
			'status'      => 'checkout-draft',
		);
		$this->assertNotFalse( self::next_report( Bikri_Checkout::REPORT_HOOK, array( $body, 1 ) ), 'queued, not sent in the request' );
		$this->assertSame( array(), $this->requests );

		// classic checkout: the same, through its own hook
		$this->verified();
		$this->assertSame( array(), $this->classic()->get_error_codes() );
		$classic = new WC_Order( 602 );
		do_action( 'woocommerce_checkout_order_processed', 602, array(), $classic );
		$this->assertSame( 'verified', $classic->get_meta( Bikri_Checkout::ORDER_META ) );
	}

	public function test_an_order_refused_leaves_nothing_to_mark() {
		$this->shop( true );
		$this->classic();
		$order = new WC_Order( 603 );
		do_action( 'woocommerce_checkout_order_processed', 603, array(), $order );
		$this->assertSame( '', $order->get_meta( Bikri_Checkout::ORDER_META ) );
		$this->assertFalse( self::next_report( Bikri_Checkout::REPORT_HOOK ) );
	}

	public function test_a_delivered_order_is_reported_and_the_report_retries_while_the_service_is_away() {
		$this->shop( true );
		$order = new WC_Order( 701 );
		$order->set_billing_phone( '01711234567' );
		$order->update_meta_data( Bikri_Checkout::ORDER_META, 'verified' );
		$order->set_status( 'processing' );
		$order->update_status( 'completed' );
		$body = array(
			'wc_order_id' => 701,
			'phone'       => '01711234567',
			'otp'         => 'verified',
			'status'      => 'completed',
		);
		$this->assertNotFalse( self::next_report( Bikri_Checkout::REPORT_HOOK, array( $body, 1 ) ) );

		$this->service = static function () {
			return new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		};
		do_action( Bikri_Checkout::REPORT_HOOK, $body, 1 );
		$this->assertNotFalse( self::next_report( Bikri_Checkout::REPORT_HOOK, array( $body, 2 ) ) );

		$this->service = static function ( $method, $path, $sent ) {
			return self::response( 200, $sent );
		};
		do_action( Bikri_Checkout::REPORT_HOOK, $body, 2 );
		$sent = $this->requests_to( '/api/v1/checkout/orders' );
		$this->assertSame( $body, end( $sent )[2] );
		$this->assertSame( 'Bearer ' . self::TOKEN, end( $sent )[1]['headers']['Authorization'] );
	}

	public function test_orders_without_our_mark_are_not_reported() {
		$this->shop( true );
		$order = new WC_Order( 702 );
		$order->update_status( 'completed' );
		$this->assertFalse( self::next_report( Bikri_Checkout::REPORT_HOOK ) );
	}

	public function test_the_copy_keeps_settings_autoloaded_and_the_blacklist_not() {
		global $wpdb;
		$this->shop( true, array( 'phones' => array( self::PHONE ) ) );
		$autoload = $wpdb->get_results( "SELECT option_name, autoload FROM {$wpdb->options} WHERE option_name LIKE 'bikri\\_checkout%'", OBJECT_K );
		$this->assertSame( 'yes', $autoload[ Bikri_Checkout_Config::OPTION ]->autoload );
		$this->assertSame( 'no', $autoload[ Bikri_Checkout_Config::OPTION_BLACKLIST ]->autoload );

		// the next pull says which version it holds; "null" keeps the list
		$this->service = static function () {
			return self::checkout_config( 7, array( 'enabled' => false ), null );
		};
		$this->plugin->checkout->config->sync( $this->plugin->client, time() );
		$this->assertSame( '7', self::query_of( $this->requests[0][0] )['since'] );
		$this->assertFalse( $this->plugin->checkout->config->otp_enabled() );
		$this->assertSame( 'phone', $this->plugin->checkout->config->blocked( self::PHONE, '', '' ) );

		// another license key, another site: its whole copy is asked for, not compared with this one's version
		$this->plugin->license->save_activation( 'another-site-token', array( 'status' => 'active' ), time() );
		$this->plugin->checkout->config->sync( $this->plugin->client, time() );
		$this->assertArrayNotHasKey( 'since', self::query_of( $this->requests[1][0] ) );
	}

	public function test_the_pull_reports_the_site_title_and_locale() {
		// issue 17, item 12: the OTP SMS names the shop by its title, which the service learns here
		update_option( 'blogname', "Rina's Shop & Co" ); // stored escaped: Rina&#039;s Shop &amp; Co
		$this->activate_locally();
		$this->service = static function () {
			return self::checkout_config( 3, array( 'enabled' => true ), array( 'message' => 'x' ) );
		};
		$this->plugin->checkout->config->sync( $this->plugin->client, time() );
		$query = self::query_of( $this->requests[0][0] );
		$this->assertSame( '/api/v1/checkout/config', wp_parse_url( $this->requests[0][0], PHP_URL_PATH ) );
		$this->assertSame( "Rina's Shop & Co", $query['site_name'] );
		$this->assertSame( get_locale(), $query['locale'] );
	}

	/**
	 * The query arguments of a URL, decoded.
	 *
	 * @param string $url URL.
	 * @return array
	 */
	private static function query_of( $url ) {
		parse_str( (string) wp_parse_url( $url, PHP_URL_QUERY ), $query );
		return $query;
	}

	public function test_cron_and_admin_pull_the_copy() {
		$this->activate_locally();
		$this->service = static function () {
			return self::checkout_config( 3, array( 'enabled' => true ), array( 'message' => 'x' ) );
		};
		$this->sign_in( 'administrator' );
		$this->plugin->checkout->action_admin_init();
		$this->assertTrue( $this->plugin->checkout->config->otp_enabled(), 'the first pull happens at once' );
		$this->assertNotFalse( wp_next_scheduled( Bikri_Checkout_Config::CRON_HOOK ) );
		$this->assertArrayHasKey( Bikri_Checkout_Config::CRON_SCHEDULE, wp_get_schedules() );
		do_action( Bikri_Checkout_Config::CRON_HOOK );
		$this->assertCount( 2, $this->requests_to( '/api/v1/checkout/config' ) );
		wp_clear_scheduled_hook( Bikri_Checkout_Config::CRON_HOOK );
	}

	public function test_widget_loads_only_on_the_checkout_with_otp_on_and_never_carries_the_token() {
		$this->shop( false );
		$this->add_filter( 'woocommerce_is_checkout', '__return_true' );
		do_action( 'wp_enqueue_scripts' );
		$this->assertFalse( wp_script_is( 'bikri-checkout-otp', 'enqueued' ) );

		$this->shop( true );
		remove_filter( 'woocommerce_is_checkout', '__return_true' );
		do_action( 'wp_enqueue_scripts' );
		$this->assertFalse( wp_script_is( 'bikri-checkout-otp', 'enqueued' ), 'not on other pages' );

		$this->add_filter( 'woocommerce_is_checkout', '__return_true' );
		do_action( 'wp_enqueue_scripts' );
		$this->assertTrue( wp_script_is( 'bikri-checkout-otp', 'enqueued' ) );
		$data = wp_scripts()->get_data( 'bikri-checkout-otp', 'data' );
		$this->assertStringContainsString( 'admin-ajax.php', $data );
		$this->assertStringNotContainsString( self::TOKEN, $data );
		$this->assertStringNotContainsString( hash( 'sha256', self::TOKEN ), $data );
		wp_dequeue_script( 'bikri-checkout-otp' );
		wp_dequeue_style( 'bikri-checkout' );
	}

	/**
	 * The Checkout block as the editor saves it: the shop made the phone optional.
	 */
	const CHECKOUT_BLOCK = '<!-- wp:woocommerce/checkout {"showPhoneField":true,"requirePhoneField":false} --><div class="wp-block-woocommerce-checkout alignwide wc-block-checkout is-loading"></div><!-- /wp:woocommerce/checkout -->';

	public function test_the_phone_is_required_on_both_checkouts_while_a_code_is_asked() {
		$paragraph = '<!-- wp:paragraph --><p>Pay on delivery.</p><!-- /wp:paragraph -->';
		update_option( 'woocommerce_checkout_phone_field', 'optional' );
		$phone_field = array(
			'billing_phone' => array(
				'label'    => 'Phone',
				'required' => false,
				'type'     => 'tel',
			),
		);

		$this->shop( false );
		$html = do_blocks( self::CHECKOUT_BLOCK . $paragraph );
		$this->assertStringContainsString( 'data-require-phone-field="false"', $html, 'the shop\'s choice while no code is asked' );
		$this->assertSame( 'optional', get_option( 'woocommerce_checkout_phone_field' ) );
		$this->assertFalse( apply_filters( 'woocommerce_billing_fields', $phone_field )['billing_phone']['required'] );

		$this->shop( true );
		$html = do_blocks( self::CHECKOUT_BLOCK . $paragraph );
		$this->assertStringContainsString( 'data-require-phone-field="true"', $html );
		$this->assertStringNotContainsString( 'data-require-phone-field="false"', $html );
		$this->assertStringContainsString( '<p>Pay on delivery.</p>', $html, 'other blocks untouched' );
		// A shop that hid the phone gets it back: an order without one is refused.
		$hidden = do_blocks( '<!-- wp:woocommerce/checkout {"showPhoneField":false} --><div class="wp-block-woocommerce-checkout"></div><!-- /wp:woocommerce/checkout -->' );
		$this->assertStringContainsString( 'data-show-phone-field="true"', $hidden );
		$this->assertStringContainsString( 'data-require-phone-field="true"', $hidden );
		// Newer Checkout blocks and the classic checkout's fields read WooCommerce's setting.
		$this->assertSame( 'required', get_option( 'woocommerce_checkout_phone_field' ) );
		$this->assertTrue( apply_filters( 'woocommerce_billing_fields', $phone_field )['billing_phone']['required'] );
		$this->assertSame( array( 'billing_email' => array() ), apply_filters( 'woocommerce_billing_fields', array( 'billing_email' => array() ) ), 'no phone field is added' );

		// The admin screens keep the shop's own setting (the Customizer saves what it shows).
		set_current_screen( 'dashboard' );
		$this->assertSame( 'optional', get_option( 'woocommerce_checkout_phone_field' ) );
		$GLOBALS['current_screen'] = null;

		// A lapsed license enforces nothing, so it requires nothing either.
		$this->plugin->license->mark_inactive( new WP_Error( 'license_inactive', 'License suspended.' ), time() );
		$this->assertStringContainsString( 'data-require-phone-field="false"', do_blocks( self::CHECKOUT_BLOCK ) );
		$this->assertSame( 'optional', get_option( 'woocommerce_checkout_phone_field' ) );
		$this->forget_widget();
	}

	public function test_widget_loads_on_any_page_holding_the_checkout_block_or_shortcode() {
		$pages = array(
			'block'     => self::CHECKOUT_BLOCK,
			'shortcode' => '<!-- wp:shortcode -->[woocommerce_checkout]<!-- /wp:shortcode -->',
			'classic'   => 'Checkout: [woocommerce_checkout]',
			'plain'     => '<!-- wp:paragraph --><p>About us</p><!-- /wp:paragraph -->',
		);
		$ids   = array();
		foreach ( $pages as $name => $content ) {
			$ids[ $name ] = wp_insert_post(
				array(
					'post_type'    => 'page',
					'post_status'  => 'publish',
					'post_title'   => $name,
					'post_content' => $content,
				)
			);
		}
		$query     = $GLOBALS['wp_query'];
		$the_query = $GLOBALS['wp_the_query'];
		// WooCommerce registers the shortcode (WC_Shortcodes::init()); has_shortcode() sees only registered ones.
		add_shortcode( 'woocommerce_checkout', '__return_empty_string' );
		try {
			// Not WooCommerce's checkout page: is_checkout() is false on every one of them.
			$this->shop( true );
			foreach ( array( 'block', 'shortcode', 'classic' ) as $name ) {
				$this->view_page( $ids[ $name ] );
				$this->assertFalse( is_checkout() );
				do_action( 'wp_enqueue_scripts' );
				$this->assertTrue( wp_script_is( 'bikri-checkout-otp', 'enqueued' ), $name );
				$this->assertStringContainsString( '"refusals"', wp_scripts()->get_data( 'bikri-checkout-otp', 'data' ) );
				$this->forget_widget();
			}
			$this->view_page( $ids['plain'] );
			do_action( 'wp_enqueue_scripts' );
			$this->assertFalse( wp_script_is( 'bikri-checkout-otp', 'enqueued' ), 'not on a page without a checkout' );

			// A Checkout block rendered outside the post's content (a template, a reusable block) loads it too.
			do_blocks( self::CHECKOUT_BLOCK );
			$this->assertTrue( wp_script_is( 'bikri-checkout-otp', 'enqueued' ) );
			$this->forget_widget();

			$this->shop( false );
			$this->view_page( $ids['block'] );
			do_action( 'wp_enqueue_scripts' );
			do_blocks( self::CHECKOUT_BLOCK );
			$this->assertFalse( wp_script_is( 'bikri-checkout-otp', 'enqueued' ), 'never with OTP off' );
		} finally {
			$GLOBALS['wp_query']     = $query;
			$GLOBALS['wp_the_query'] = $the_query;
			remove_shortcode( 'woocommerce_checkout' );
			$this->forget_widget();
		}
	}

	/**
	 * Makes a page the main query, as WordPress does when a shopper opens it.
	 *
	 * @param int $id Page id.
	 */
	private function view_page( $id ) {
		$GLOBALS['wp_the_query'] = new WP_Query( array( 'page_id' => $id ) );
		$GLOBALS['wp_query']     = $GLOBALS['wp_the_query'];
		$this->assertTrue( is_singular() );
	}

	/**
	 * Takes the widget off the page again (scripts stay enqueued across tests otherwise).
	 */
	private function forget_widget() {
		wp_dequeue_script( 'bikri-checkout-otp' );
		wp_dequeue_style( 'bikri-checkout' );
		wp_deregister_script( 'bikri-checkout-otp' );
		wp_deregister_style( 'bikri-checkout' );
	}

	public function test_admin_notice_when_the_balance_ran_out() {
		$this->shop( true, array(), array( 'balance_ok' => false ) );
		$this->sign_in( 'subscriber' );
		$this->assertSame( '', $this->output_of( array( $this->plugin->checkout, 'action_admin_notices' ) ) );
		$this->sign_in( 'shop_manager' );
		$notice = $this->output_of( array( $this->plugin->checkout, 'action_admin_notices' ) );
		$this->assertStringContainsString( 'SMS balance has run out', $notice );
		$this->assertStringContainsString( 'OTP skipped: no balance', $notice );
		$this->assertStringContainsString( 'page=bikri-sms', $notice );
		$this->shop( true );
		$this->assertSame( '', $this->output_of( array( $this->plugin->checkout, 'action_admin_notices' ) ) );
	}

	public function test_phone_normaliser_agrees_with_the_service() {
		$cases = array(
			'01711-234567'      => '+8801711234567',
			'+880 1711 234567'  => '+8801711234567',
			'8801711234567'     => '+8801711234567',
			'008801711234567'   => '+8801711234567',
			'1711234567'        => '+8801711234567',
			'(017) 11-23.4567'  => '+8801711234567',
			'০১৭১১২৩৪৫৬৭'       => '+8801711234567',
			'01211234567'       => '',
			'0171123456'        => '',
			'+14155550100'      => '',
			'phone'             => '',
			''                  => '',
		);
		foreach ( $cases as $raw => $normal ) {
			$this->assertSame( $normal, Bikri_Phone::normalise( (string) $raw ), (string) $raw );
		}
		$this->assertSame( '', Bikri_Phone::normalise( array( '01711234567' ) ) );
	}
}
