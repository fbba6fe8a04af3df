<?php
/**
 * The WooCommerce REST key for the service: created at activation the way WooCommerce's key
 * screen does, handed over, replaced on re-activation, deleted at deactivation and uninstall.
 *
 * @package Bikri
 */

/**
 * REST key tests.
 */
class Bikri_Rest_Key_Test extends Bikri_Test_Case {

	/**
	 * Activation bodies the stubbed service received.
	 *
	 * @var array[]
	 */
	private $activations = array();

	protected function setUp(): void {
		parent::setUp();
		$this->activations = array();
		$this->service     = function ( $method, $path, $body ) {
			if ( '/api/v1/sites/activate' === $path ) {
				$this->activations[] = $body;
				if ( 'wrong-key-1234567' === $body['license_key'] ) {
					return self::error_response( 403, 'license_invalid', 'This license key is not valid.' );
				}
				return self::response(
					201,
					array(
						'site_id' => 7,
						'token'   => 'token-' . count( $this->activations ),
						'license' => array(
							'status'     => 'active',
							'plan'       => 'standard',
							'expires_at' => '2030-01-31T00:00:00Z',
						),
					)
				);
			}
			if ( '/api/v1/license' === $path ) {
				return self::response( 200, array( 'status' => 'active', 'plan' => 'standard', 'expires_at' => null, 'site_url' => 'http://127.0.0.1:8080', 'sites_used' => 1, 'sites_allowed' => 1 ) );
			}
			if ( '/api/v1/sites/deactivate' === $path ) {
				return self::response( 204 );
			}
			$this->fail( "unexpected $method $path" );
		};
	}

	/**
	 * Posts the activation form as the signed-in administrator.
	 *
	 * @param string $key License key.
	 * @return string Redirect location.
	 */
	private function post_activation( $key ) {
		$_POST = array(
			'bikri_license_key' => $key,
			'bikri_service_url' => self::SERVICE,
			'_wpnonce'          => wp_create_nonce( Bikri_License_Page::ACTION_ACTIVATE ),
		);
		$_REQUEST = $_POST;
		return $this->redirect_of( array( $this->plugin->license_page, 'handle_activate' ) );
	}

	/**
	 * Rows of WooCommerce's keys table.
	 *
	 * @return object[]
	 */
	private static function key_rows() {
		global $wpdb;
		return $wpdb->get_results( "SELECT * FROM {$wpdb->prefix}woocommerce_api_keys ORDER BY key_id" );
	}

	public function test_activation_creates_a_read_write_key_as_woocommerce_does_and_hands_it_over() {
		$admin = $this->sign_in( 'administrator' );

		$this->assertStringContainsString( 'bikri_notice=activated', $this->post_activation( 'BIKRI-GOOD-KEY-1' ) );

		$sent = $this->activations[0];
		$this->assertMatchesRegularExpression( '/^ck_[0-9a-f]{40}$/', $sent['wc_consumer_key'] );
		$this->assertMatchesRegularExpression( '/^cs_[0-9a-f]{40}$/', $sent['wc_consumer_secret'] );
		$rows = self::key_rows();
		$this->assertCount( 1, $rows );
		$row = $rows[0];
		$this->assertSame( (string) $admin->ID, $row->user_id );
		$this->assertSame( 'Bikri', $row->description );
		$this->assertSame( 'read_write', $row->permissions );
		// What WooCommerce's authentication looks up: wc_api_hash() of the key the service got.
		$this->assertSame( hash_hmac( 'sha256', $sent['wc_consumer_key'], 'wc-api' ), $row->consumer_key );
		$this->assertSame( $sent['wc_consumer_secret'], $row->consumer_secret );
		$this->assertSame( substr( $sent['wc_consumer_key'], -7 ), $row->truncated_key );
		$this->assertSame( (int) $row->key_id, $this->plugin->rest_key->key_id() );
		// The key in clear is nowhere in WordPress.
		global $wpdb;
		$this->assertSame( '0', $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_value LIKE %s", '%' . $wpdb->esc_like( $sent['wc_consumer_key'] ) . '%' ) ) );
	}

	public function test_reactivation_replaces_the_key() {
		$this->sign_in( 'administrator' );
		$this->post_activation( 'BIKRI-GOOD-KEY-1' );
		$first = self::key_rows();
		$this->post_activation( 'BIKRI-GOOD-KEY-2' );

		$rows = self::key_rows();
		$this->assertCount( 1, $rows, 'no pile-up of keys' );
		$this->assertNotSame( $first[0]->key_id, $rows[0]->key_id );
		$this->assertSame( hash_hmac( 'sha256', $this->activations[1]['wc_consumer_key'], 'wc-api' ), $rows[0]->consumer_key );
	}

	public function test_refused_activation_keeps_no_new_key_and_the_old_one_stays() {
		$this->sign_in( 'administrator' );
		$this->post_activation( 'BIKRI-GOOD-KEY-1' );
		$before = self::key_rows();

		$this->assertStringContainsString( 'bikri_notice=failed', $this->post_activation( 'wrong-key-1234567' ) );

		$this->assertNotEmpty( $this->activations[1]['wc_consumer_key'], 'a key was offered' );
		$this->assertEquals( $before, self::key_rows(), 'the refused key is deleted, the working one kept' );
	}

	public function test_deactivation_deletes_the_key_and_the_queue() {
		$this->sign_in( 'administrator' );
		$this->post_activation( 'BIKRI-GOOD-KEY-1' );
		$this->assertCount( 1, self::key_rows() );
		$this->plugin->sync->record( 12, 'deleted' );
		$this->plugin->sync->flush();

		$_POST    = array( '_wpnonce' => wp_create_nonce( Bikri_License_Page::ACTION_DEACTIVATE ) );
		$_REQUEST = $_POST;
		$this->redirect_of( array( $this->plugin->license_page, 'handle_deactivate' ) );

		$this->assertCount( 0, self::key_rows() );
		$this->assertSame( 0, $this->plugin->rest_key->key_id() );
		$this->assertSame( 0, $this->plugin->sync->queue->count(), 'queued events have nowhere to go' );
	}

	public function test_deactivation_leaves_keys_of_others_alone() {
		global $wpdb;
		$this->sign_in( 'administrator' );
		$wpdb->insert(
			"{$wpdb->prefix}woocommerce_api_keys",
			array(
				'user_id'         => 1,
				'description'     => 'Courier app',
				'permissions'     => 'read',
				'consumer_key'    => wc_api_hash( 'ck_other' ),
				'consumer_secret' => 'cs_other',
				'truncated_key'   => 'k_other',
			)
		);
		$this->post_activation( 'BIKRI-GOOD-KEY-1' );
		$this->plugin->rest_key->delete();

		$this->assertSame( array( 'Courier app' ), wp_list_pluck( self::key_rows(), 'description' ) );
	}
}
