<?php
/**
 * Order sync against the REAL running service and a sandbox WooCommerce store standing in for
 * this shop's REST API (tests/e2e/test_plugin_sync_against_service.py sets it all up; skipped
 * otherwise).
 *
 * What it proves: activation creates a REST key and hands it over; events queued while the
 * service is unreachable are kept and retried; once it is reachable they are all delivered
 * without order bodies, and the service, reading each order from the shop's REST API with the
 * key the plugin created, stores every one of them. What it does not: WooCommerce itself firing
 * the hooks (the test fires them, with stand-in orders whose IDs are the sandbox store's), and
 * WooCommerce checking the key (the sandbox store is told the key, as the row would in a shop).
 *
 * @package Bikri
 */

/**
 * Live sync test.
 */
class Bikri_Live_Sync_Test extends Bikri_Test_Case {

	/**
	 * Activation request bodies, captured on their way out.
	 *
	 * @var array[]
	 */
	private $sent = array();

	protected function setUp(): void {
		parent::setUp();
		foreach ( array( 'BIKRI_TEST_SYNC_SERVICE_URL', 'BIKRI_TEST_SYNC_LICENSE_KEY', 'BIKRI_TEST_SYNC_SHOP_URL', 'BIKRI_TEST_SYNC_ORDERS' ) as $name ) {
			if ( ! getenv( $name ) ) {
				$this->markTestSkipped( "$name is not set." );
			}
		}
		remove_filter( 'pre_http_request', array( $this, 'filter_pre_http_request' ), 10 );
		$this->add_filter(
			'pre_http_request',
			function ( $pre, $args, $url ) {
				if ( false !== strpos( $url, '/api/v1/sites/activate' ) ) {
					$this->sent[] = json_decode( $args['body'], true );
				}
				return $pre; // Let it through to the real service.
			},
			5,
			3
		);
	}

	public function test_orders_placed_while_the_service_is_down_all_arrive_when_it_is_back() {
		$service = untrailingslashit( getenv( 'BIKRI_TEST_SYNC_SERVICE_URL' ) );
		$shop    = untrailingslashit( getenv( 'BIKRI_TEST_SYNC_SHOP_URL' ) );
		$count   = (int) getenv( 'BIKRI_TEST_SYNC_ORDERS' );
		$sync    = $this->plugin->sync;
		update_option( Bikri_License::OPTION_SERVICE_URL, $service );

		// Activation: the service will read orders from the shop at this URL with this key.
		$admin = $this->sign_in( 'administrator' );
		$done  = $this->plugin->license_page->activate_site( getenv( 'BIKRI_TEST_SYNC_LICENSE_KEY' ), $shop, $admin->ID );
		$this->assertTrue( $done, is_wp_error( $done ) ? $done->get_error_code() . ': ' . $done->get_error_message() : '' );
		$key = $this->sent[0];
		$this->assertStringStartsWith( 'ck_', $key['wc_consumer_key'] );
		$registered = wp_remote_post(
			$shop . '/__sandbox/keys',
			array(
				'headers' => array( 'Content-Type' => 'application/json' ),
				'body'    => wp_json_encode(
					array(
						'consumer_key'    => $key['wc_consumer_key'],
						'consumer_secret' => $key['wc_consumer_secret'],
					)
				),
			)
		);
		$this->assertSame( 200, wp_remote_retrieve_response_code( $registered ) );

		// The service goes away: nothing listens on its port any more.
		update_option( Bikri_License::OPTION_SERVICE_URL, 'http://127.0.0.1:' . self::closed_port() );
		for ( $id = 1; $id <= $count; $id++ ) {
			$order = new WC_Order( $id );
			$order->set_date_modified( time() );
			$order->save();
			do_action( 'woocommerce_checkout_order_processed', $id, array(), $order );
			$sync->flush(); // The end of that shopper's request.
		}
		$now = time();
		$sync->run( $now );
		$this->assertSame( $count, $sync->queue->count(), 'nothing dropped while the service is down' );
		$this->assertSame( 1, $sync->state()['failures'] );
		$sync->run( $now + Bikri_Sync::delay( 1 ) );
		$this->assertSame( $count, $sync->queue->count() );
		$this->assertSame( 2, $sync->state()['failures'] );

		// It is back: the planned retry delivers everything.
		update_option( Bikri_License::OPTION_SERVICE_URL, $service );
		$report = $sync->run( $now + Bikri_Sync::delay( 1 ) + Bikri_Sync::delay( 2 ) );
		$this->assertSame( 0, $sync->queue->count(), wp_json_encode( $sync->state() ) );
		$this->assertSame( $count, $report['acknowledged'] );
		$this->assertSame( 0, $sync->state()['failures'] );

		// Accepted, then applied right after the answer (each read from the shop): on the order
		// desk within seconds.
		$deadline = microtime( true ) + 15;
		do {
			$status = $this->plugin->client->request( 'GET', '/api/v1/sync/status' );
			$this->assertIsArray( $status, is_wp_error( $status ) ? $status->get_error_message() : '' );
			if ( $count === $status['orders_stored'] ) {
				break;
			}
			usleep( 100000 );
		} while ( microtime( true ) < $deadline );
		$this->assertTrue( $status['connected'], 'the service holds the key the plugin created' );
		$this->assertSame( $count, $status['orders_stored'], 'every order is in the service' );

		// Deactivation frees the license and deletes the key.
		$this->assertSame( array(), $this->plugin->client->deactivate() );
		$this->plugin->rest_key->delete();
	}

	/**
	 * A loopback port nothing listens on.
	 *
	 * @return int
	 */
	private static function closed_port() {
		$server = stream_socket_server( 'tcp://127.0.0.1:0' );
		$name   = stream_socket_get_name( $server, false );
		fclose( $server ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose -- a socket, not a file.
		return (int) substr( strrchr( $name, ':' ), 1 );
	}
}
