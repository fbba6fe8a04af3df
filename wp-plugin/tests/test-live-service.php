<?php
/**
 * Against a real running Bikri service, when BIKRI_TEST_SERVICE_URL names one (skipped otherwise).
 * With BIKRI_TEST_LICENSE_KEY too, the whole activate → status → ticket → deactivate round runs.
 *
 * @package Bikri
 */

/**
 * Live service tests.
 */
class Bikri_Live_Service_Test extends Bikri_Test_Case {

	protected function setUp(): void {
		parent::setUp();
		$url = getenv( 'BIKRI_TEST_SERVICE_URL' );
		if ( ! $url ) {
			$this->markTestSkipped( 'BIKRI_TEST_SERVICE_URL is not set.' );
		}
		remove_filter( 'pre_http_request', array( $this, 'filter_pre_http_request' ), 10 );
		update_option( Bikri_License::OPTION_SERVICE_URL, untrailingslashit( $url ) );
	}

	public function test_wrong_key_gets_the_services_error_shape() {
		$result = $this->plugin->client->activate( 'bikri-test-no-such-key', untrailingslashit( home_url( '/' ) ) );

		$this->assertInstanceOf( WP_Error::class, $result );
		$this->assertContains( Bikri_Api_Client::status_of( $result ), array( 403, 422 ) );
		$this->assertStringStartsNotWith( 'bikri_', $result->get_error_code(), 'the code comes from the service' );
		$this->assertNotSame( '', $result->get_error_message() );
	}

	public function test_activate_check_ticket_deactivate() {
		$key = getenv( 'BIKRI_TEST_LICENSE_KEY' );
		if ( ! $key ) {
			$this->markTestSkipped( 'BIKRI_TEST_LICENSE_KEY is not set.' );
		}
		$client  = $this->plugin->client;
		$license = $this->plugin->license;

		$answer = $client->activate( $key, untrailingslashit( home_url( '/' ) ) );
		$this->assertIsArray( $answer, is_wp_error( $answer ) ? $answer->get_error_code() . ': ' . $answer->get_error_message() : '' );
		$license->save_activation( $answer['token'], $answer['license'], time(), $answer['export_key'] );
		$this->assertTrue( $license->is_active() );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{64}$/', $license->export_key(), 'the order export key came with the answer' );
		$this->assertTrue( $this->plugin->checkout->config->sync( $client, time() ) );
		$this->assertSame( $answer['export_key'], $license->export_key(), 'and the config pull hands out the same one' );

		$this->assertTrue( $license->refresh( $client, time() ) );
		$this->assertTrue( $license->is_active() );

		$user   = $this->sign_in( 'administrator' );
		$ticket = $client->create_embed_ticket( $this->plugin->embedded_pages->ticket_request( $user, 'home' ) );
		$this->assertIsArray( $ticket, is_wp_error( $ticket ) ? $ticket->get_error_code() . ': ' . $ticket->get_error_message() : '' );
		$this->assertStringContainsString( '/embed/home?ticket=', $ticket['url'] );
		// the real answer's table of pages per role is one the plugin keeps and builds its menu from
		$this->assertTrue( Bikri_Access::save_page_table( $ticket['pages_by_role'], wp_list_pluck( Bikri_Embedded_Pages::pages(), 'page' ) ) );
		$this->assertSame( array( 'home', 'dashboard', 'orders', 'notifications', 'livechat', 'customers', 'wishlist', 'inventory', 'help', 'support' ), Bikri_Access::pages_of( $this->sign_in( 'subscriber' ) ) );
		$this->assertContains( 'checkout', Bikri_Access::pages_of( $user ) );

		$this->assertSame( array(), $client->deactivate() );
		$after = $client->get_license();
		$this->assertInstanceOf( WP_Error::class, $after );
		$this->assertTrue( Bikri_Api_Client::is_refusal( $after ) );
		$this->assertFalse( $license->is_active() );
	}

	public function test_send_sms_through_the_real_service() {
		$token = getenv( 'BIKRI_TEST_SITE_TOKEN' );
		if ( ! $token ) {
			$this->markTestSkipped( 'BIKRI_TEST_SITE_TOKEN (a site with a funded wallet) is not set.' );
		}
		$this->plugin->license->save_activation( $token, array( 'status' => 'active' ), time() );

		// a worker sends it; waiting up to 5 s (Prefer: wait) answers with the gateway's outcome
		$sent = bikri_send_sms( '০১৭১১-২৩৪৫৬৭', 'আপনার অর্ডার নিশ্চিত হয়েছে।', 'order_status', 'live-test-1', 5 );
		$this->assertIsArray( $sent, is_wp_error( $sent ) ? $sent->get_error_code() . ': ' . $sent->get_error_message() : '' );
		$this->assertSame( 'sent', $sent['status'] );
		$this->assertSame( '+8801711234567', $sent['phone'] );
		$this->assertSame( 'unicode', $sent['encoding'] );

		$again = bikri_send_sms( '০১৭১১-২৩৪৫৬৭', 'আপনার অর্ডার নিশ্চিত হয়েছে।', 'order_status', 'live-test-1' );
		$this->assertSame( $sent['id'], $again['id'], 'a retry with the same key is the same message' );

		$bad = send_sms( '12345', 'hello' );
		$this->assertInstanceOf( WP_Error::class, $bad );
		$this->assertSame( 422, Bikri_Api_Client::status_of( $bad ) );
		$this->assertTrue( $this->plugin->license->is_active(), 'a 422 does not lock the license' );
	}
}
