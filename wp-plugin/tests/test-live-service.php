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
		$license->save_activation( $answer['token'], $answer['license'], time() );
		$this->assertTrue( $license->is_active() );

		$this->assertTrue( $license->refresh( $client, time() ) );
		$this->assertTrue( $license->is_active() );

		$user   = $this->sign_in( 'administrator' );
		$ticket = $client->create_embed_ticket( $this->plugin->embedded_pages->ticket_request( $user, 'home' ) );
		$this->assertIsArray( $ticket, is_wp_error( $ticket ) ? $ticket->get_error_code() . ': ' . $ticket->get_error_message() : '' );
		$this->assertStringContainsString( '/embed/home?ticket=', $ticket['url'] );

		$this->assertSame( array(), $client->deactivate() );
		$after = $client->get_license();
		$this->assertInstanceOf( WP_Error::class, $after );
		$this->assertTrue( Bikri_Api_Client::is_refusal( $after ) );
		$this->assertFalse( $license->is_active() );
	}
}
