<?php
/**
 * Order events leave right after the response (issue 17, items 3 and 4): the request that
 * recorded them finishes its response and sends them, or has a signed loopback send them; the
 * scheduled worker stays as the fallback; one sender at a time, so nothing goes twice; and each
 * event carries the order in the export route's compact shape.
 *
 * The stubbed service answers with the shapes of backend/sync (EventResultsSchema).
 *
 * @package Bikri
 */

use Bikri\Tests\Action_Scheduler;
use Bikri\Tests\Order_Tables;

/**
 * Sending after the response.
 */
class Bikri_Sync_After_Response_Test extends Bikri_Sync_Test_Case {

	/**
	 * Event batches the service received.
	 *
	 * @var array[]
	 */
	private $batches = array();

	/**
	 * Whether the service is unreachable.
	 *
	 * @var bool
	 */
	private $down = false;

	/**
	 * Remote calls made before the response was finished (null: it was not finished).
	 *
	 * @var int|null
	 */
	private $finished_after = null;

	protected function setUp(): void {
		parent::setUp();
		$this->service = function ( $method, $path, $body ) {
			if ( '/wp-admin/admin-ajax.php' === $path ) {
				return new WP_Error( 'http_request_failed', 'Operation timed out after 10 milliseconds' ); // What a non-blocking call gets.
			}
			$this->assertSame( 'POST /api/v1/events', "$method $path" );
			if ( $this->down ) {
				return new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect to service.test port 80: Connection refused' );
			}
			$this->batches[] = $body['events'];
			return self::events_response(
				202,
				$body['events'],
				static function () {
					return array( 'status' => 'accepted' );
				}
			);
		};
	}

	/**
	 * PHP-FPM's fastcgi_finish_request(), for the CLI that has none: notes how many remote
	 * calls went out before the response was finished.
	 */
	private function with_finisher() {
		$this->add_filter(
			'bikri_sync_response_finisher',
			function () {
				return function () {
					$this->finished_after = count( $this->requests );
					return true;
				};
			}
		);
	}

	/**
	 * As under mod_php: no way to finish the response early.
	 */
	private function without_finisher() {
		$this->add_filter( 'bikri_sync_response_finisher', '__return_null' );
	}

	/**
	 * A shopper's checkout of order $id: WooCommerce's hook in the request.
	 *
	 * @param int $id Order ID.
	 */
	private function checkout( $id ) {
		$order = new WC_Order( $id );
		$order->set_status( 'processing' );
		$order->set_date_modified( 1767225600 + $id );
		$order->add_item( new WC_Order_Item_Product( 1000 + $id ) );
		$order->save();
		do_action( 'woocommerce_checkout_order_processed', $id, array(), $order );
	}

	/**
	 * The end of the request: the plugin's own callbacks on WordPress's shutdown hook, at the
	 * priorities it registered them with (the others, such as core's output-buffer flush, would
	 * close PHPUnit's buffers).
	 */
	private function shutdown() {
		global $wp_filter;
		$saved = $wp_filter['shutdown'];
		$ours  = new WP_Hook();
		foreach ( $saved->callbacks as $priority => $callbacks ) {
			foreach ( $callbacks as $callback ) {
				if ( is_array( $callback['function'] ) && $callback['function'][0] === $this->sync ) {
					$ours->add_filter( 'shutdown', $callback['function'], $priority, $callback['accepted_args'] );
				}
			}
		}
		$this->assertCount( 2, $ours->callbacks, 'flush early, send last' );
		$wp_filter['shutdown'] = $ours; // phpcs:ignore WordPress.WP.GlobalVariablesOverride
		try {
			do_action( 'shutdown' );
		} finally {
			$wp_filter['shutdown'] = $saved; // phpcs:ignore WordPress.WP.GlobalVariablesOverride
		}
	}

	/**
	 * Calls the loopback's admin-ajax handler with these POST fields; returns the HTTP status it died with.
	 *
	 * @param array $post POST fields.
	 * @return int
	 */
	private function loopback( array $post ) {
		$_POST = $post;
		try {
			$this->sync->handle_send_request();
		} catch ( Bikri_Test_Die $die ) {
			return $die->status;
		} finally {
			$_POST = array();
		}
		$this->fail( 'The handler must end with wp_die().' );
	}

	/**
	 * Requests that reached the service's events endpoint.
	 *
	 * @return array[]
	 */
	private function event_posts() {
		return $this->requests_to( '/api/v1/events' );
	}

	public function test_events_of_a_request_are_sent_at_shutdown_once_the_response_is_finished() {
		$this->with_finisher();
		$this->checkout( 51 );
		$this->checkout( 52 );
		$this->assertSame( array(), $this->requests, 'nothing remote while the shopper waits' );

		$this->shutdown();

		$this->assertSame( 0, $this->finished_after, 'the response was finished before any remote call' );
		$this->assertCount( 1, $this->event_posts() );
		$this->assertSame( array( 51, 52 ), array_column( $this->batches[0], 'order_id' ) );
		$this->assertSame( 'created', $this->batches[0][0]['type'] );
		$this->assertSame( 0, $this->sync->queue->count(), 'acknowledged: gone from the queue' );
		$this->assertSame( 0, $this->sync->queue->locked_until(), 'the lock is let go' );

		// The scheduled fallback still runs later: it finds nothing, and sends nothing twice.
		Action_Scheduler::run_due( time() );
		$this->assertCount( 1, $this->event_posts() );

		// A request that recorded nothing sends nothing.
		$this->finished_after = null;
		$this->shutdown();
		$this->assertNull( $this->finished_after );
		$this->assertCount( 1, $this->event_posts() );
	}

	public function test_without_a_finisher_a_signed_loopback_sends_them_and_strangers_cannot() {
		$this->without_finisher();
		$this->checkout( 53 );

		$this->shutdown();

		$this->assertSame( array(), $this->event_posts(), 'nothing sent from the shopper\'s request' );
		$loopbacks = $this->requests_to( '/wp-admin/admin-ajax.php' );
		$this->assertCount( 1, $loopbacks );
		$args = $loopbacks[0][1];
		$this->assertSame( 'POST', $args['method'] );
		$this->assertFalse( $args['blocking'], 'the shopper\'s request does not wait for it' );
		$this->assertLessThanOrEqual( 0.01, $args['timeout'] );
		$this->assertSame( Bikri_Sync::ACTION_SEND, $args['body']['action'] );
		$this->assertStringStartsWith( admin_url( 'admin-ajax.php' ), $loopbacks[0][0] );
		$this->assertSame( 10, has_action( 'wp_ajax_nopriv_' . Bikri_Sync::ACTION_SEND, array( $this->sync, 'handle_send_request' ) ) );

		// Strangers: no signature, a forged one, one for another time, a stale one.
		$time = (int) $args['body']['time'];
		foreach ( array(
			array( 'action' => Bikri_Sync::ACTION_SEND ),
			array(
				'time'      => $time,
				'signature' => hash_hmac( 'sha256', Bikri_Sync::ACTION_SEND . '|' . $time, 'guessed' ),
			),
			array(
				'time'      => $time + 1,
				'signature' => $args['body']['signature'],
			),
			array(
				'time'      => time() - 3600,
				'signature' => Bikri_Sync::send_signature( time() - 3600 ),
			),
		) as $forged ) {
			$this->assertSame( 403, $this->loopback( $forged ) );
		}
		$this->assertSame( array(), $this->event_posts(), 'refused before anything is sent' );
		$this->assertSame( 1, $this->sync->queue->count() );

		// The site's own loopback sends the queue; the same request again sends nothing twice.
		$this->assertSame( 200, $this->loopback( $args['body'] ) );
		$this->assertCount( 1, $this->event_posts() );
		$this->assertSame( array( 53 ), array_column( $this->batches[0], 'order_id' ) );
		$this->assertSame( 200, $this->loopback( $args['body'] ) );
		$this->assertCount( 1, $this->event_posts() );
		$this->assertSame( 0, $this->sync->queue->count() );
	}

	public function test_a_failed_send_keeps_the_events_and_the_scheduled_fallback() {
		$this->with_finisher();
		$this->down = true;
		$now        = time();
		$this->checkout( 54 );

		$this->shutdown();

		$this->assertCount( 1, $this->event_posts(), 'tried once, after the response' );
		$this->assertSame( 1, $this->sync->queue->count(), 'kept' );
		$this->assertSame( 1, $this->sync->state()['failures'] );
		$next = as_next_scheduled_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP );
		$this->assertGreaterThanOrEqual( $now + Bikri_Sync::BASE_DELAY, $next, 'the fallback waits for the retry' );
		$this->assertLessThanOrEqual( time() + Bikri_Sync::BASE_DELAY, $next );

		// While the service is backing off, a new checkout waits for the planned retry too.
		$this->checkout( 55 );
		$this->shutdown();
		$this->assertCount( 1, $this->event_posts() );

		// The fallback, when its time comes, delivers both, once.
		$this->down = false;
		$this->sync->run( $next );
		$this->assertCount( 2, $this->event_posts() );
		$this->assertSame( array( 54, 55 ), array_column( $this->batches[0], 'order_id' ) );
		$this->assertSame( 0, $this->sync->queue->count() );
	}

	public function test_one_sender_at_a_time_so_nothing_is_sent_twice() {
		$this->with_finisher();
		$this->checkout( 56 );
		// Another request (or the scheduled worker) is sending right now.
		$other = $this->sync->queue->lock( Bikri_Sync::LOCK_SECONDS );
		$this->assertNotNull( $other );
		$this->assertNull( $this->sync->queue->lock( Bikri_Sync::LOCK_SECONDS ), 'the lock is taken' );

		$this->shutdown();

		$this->assertSame( array(), $this->event_posts(), 'left to the sender that holds the lock' );
		$this->assertSame( 1, $this->sync->queue->count() );
		$planned = as_next_scheduled_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP );
		$this->assertSame( $this->sync->queue->locked_until(), $planned, 'should that sender die, the worker comes back when its lock expires' );

		// That sender lets go; whoever runs next sends the event, once.
		$this->sync->queue->unlock( $other );
		$this->sync->run();
		$this->sync->run();
		$this->assertCount( 1, $this->event_posts() );

		// A lock left by a sender that died is taken over once it has expired.
		global $wpdb;
		$wpdb->insert(
			$wpdb->options,
			array(
				'option_name'  => Bikri_Sync_Queue::LOCK,
				'option_value' => ( time() - 1 ) . ' dead-sender',
				'autoload'     => 'no',
			)
		);
		$this->checkout( 57 );
		$this->shutdown();
		$this->assertCount( 2, $this->event_posts() );
		$this->assertSame( array( 57 ), array_column( $this->batches[1], 'order_id' ) );
	}

	public function test_each_event_carries_the_order_in_the_export_shape() {
		$this->with_finisher();
		Order_Tables::product( 700101, 'PANJABI-M' );
		$orders = array();
		foreach ( array( 900201 => 'processing', 900202 => 'trash' ) as $id => $status ) {
			$billing       = array(
				'first_name' => 'Rahim',
				'last_name'  => 'উদ্দিন',
				'company'    => '',
				'address_1'  => 'বাড়ি ১২, রোড ৫',
				'address_2'  => '',
				'city'       => 'Dhaka',
				'state'      => 'BD-13',
				'postcode'   => '1205',
				'country'    => 'BD',
				'email'      => 'rahim@example.com',
				'phone'      => '01711-223344',
			);
			$shipping      = $billing;
			unset( $shipping['email'] );
			$orders[ $id ] = Order_Tables::order(
				array(
					'id'             => $id,
					'status'         => $status,
					'shipping_total' => '60.00',
					'total'          => '1910.00',
					'customer_note'  => 'সন্ধ্যার পরে দিন',
					'billing'        => $billing,
					'shipping'       => $shipping,
					'line_items'     => array(
						array(
							'id'           => $id * 10 + 1,
							'name'         => 'Cotton Panjabi',
							'product_id'   => 700101,
							'variation_id' => 0,
							'quantity'     => 1,
							'subtotal'     => '1850.00',
							'total'        => '1850.00',
						),
					),
					'meta_data'      => array(
						array(
							'key'   => '_wc_order_attribution_utm_source',
							'value' => 'facebook',
						),
					),
				)
			);
			Order_Tables::write( Bikri_Order_Export::storage(), $orders[ $id ] );
		}
		$this->checkout( 900201 ); // The stand-in order says 2026-01-01; the tables hold the saved order.
		do_action( 'woocommerce_trash_order', 900202 );
		do_action( 'woocommerce_delete_order', 900203 ); // Gone for good: no body.

		$this->shutdown();

		$sent = array();
		foreach ( $this->batches[0] as $event ) {
			$sent[ $event['order_id'] ] = $event;
		}
		$expected = ( new Bikri_Order_Export() )->records( array( 900201, 900202 ) );
		foreach ( array( 900201, 900202 ) as $id ) {
			$this->assertSame( 'export', $sent[ $id ]['order_shape'] );
			$this->assertSame( json_decode( wp_json_encode( $expected[ $id ] ), true ), $sent[ $id ]['order'], 'the export route\'s record, as it renders it' );
			$this->assertSame( '2026-01-10T10:05:00', $sent[ $id ]['date_modified_gmt'], 'the time of the body sent' );
		}
		$body = $sent[900201]['order'];
		$this->assertSame( array( 'processing', '1910.00', 'Cotton Panjabi', 'PANJABI-M' ), array( $body['status'], $body['total'], $body['line_items'][0]['name'], $body['line_items'][0]['sku'] ) );
		$this->assertEquals( 1850, $body['line_items'][0]['price'] );
		$this->assertSame( '01711-223344', $body['billing']['phone'] );
		$this->assertSame( array( 'key' => '_wc_order_attribution_utm_source', 'value' => 'facebook' ), $body['meta_data'][0] );
		$this->assertSame( array( 'deleted', 'trash' ), array( $sent[900202]['type'], $sent[900202]['order']['status'] ), 'trashed: kept, restorable' );
		$this->assertSame( array( 'date_modified_gmt', 'idempotency_key', 'order_id', 'type' ), self::sorted_keys( $sent[900203] ) );
	}

	public function test_bodies_are_cut_to_what_one_request_may_carry() {
		$this->with_finisher();
		$ids = array();
		for ( $id = 900301; $id <= 900303; $id++ ) {
			// Two fit in one request, the third does not (meta values are LONGTEXT; Bikri's own travel in the record).
			$note = str_repeat( 'x', (int) ( Bikri_Sync::MAX_BODY_BYTES * 0.4 ) );
			Order_Tables::write(
				Bikri_Order_Export::storage(),
				Order_Tables::order(
					array(
						'id'        => $id,
						'total'     => '100.00',
						'billing'   => array( 'phone' => '01711223344' ),
						'meta_data' => array(
							array(
								'key'   => '_bikri_note',
								'value' => $note,
							),
						),
					)
				)
			);
			$this->checkout( $id );
			$ids[] = $id;
		}

		$this->shutdown();

		$this->assertSame( array( 2, 1 ), array_map( 'count', $this->batches ), 'the third waits for the next request' );
		foreach ( array_merge( ...$this->batches ) as $event ) {
			$this->assertSame( 'export', $event['order_shape'] );
		}
		$this->assertSame( $ids, array_column( array_merge( ...$this->batches ), 'order_id' ) );
		$this->assertSame( 0, $this->sync->queue->count() );
	}

	/**
	 * Keys of an array, sorted.
	 *
	 * @param array $item Array.
	 * @return string[]
	 */
	private static function sorted_keys( array $item ) {
		$keys = array_keys( $item );
		sort( $keys );
		return $keys;
	}
}
