<?php
/**
 * Order events: hooks record without a remote call, the worker batches, acknowledges,
 * retries with backoff and keeps errors, and delivers everything once the service is back.
 * The stubbed service answers with the shapes of backend/sync (EventResultsSchema).
 *
 * @package Bikri
 */

use Bikri\Tests\Action_Scheduler;

/**
 * Sync tests.
 */
class Bikri_Sync_Test extends Bikri_Sync_Test_Case {

	/**
	 * Status the stubbed service gives an order id (default applied).
	 *
	 * @var string[]
	 */
	private $statuses = array();

	/**
	 * Whether the stubbed service is down (transport error) or answers a status code instead.
	 *
	 * @var int|string|null
	 */
	private $down = null;

	/**
	 * Event batches the service received.
	 *
	 * @var array[]
	 */
	private $batches = array();

	/**
	 * What GET /api/v1/sync/status answers (the part the License page reads).
	 *
	 * @var array
	 */
	private $service_status = array(
		'orders_stored' => 1234,
		'events'        => array(
			'waiting'  => 0,
			'failed'   => 0,
			'unstored' => null,
		),
	);

	protected function setUp(): void {
		parent::setUp();
		$this->service = function ( $method, $path, $body ) {
			$refused = new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect to service.test port 80: Connection refused' );
			if ( 'GET' === $method && '/api/v1/sync/status' === $path ) {  // the License page asks
				return 'unreachable' === $this->down ? $refused : self::response( 200, $this->service_status );
			}
			$this->assertSame( 'POST', $method );
			$this->assertSame( '/api/v1/events', $path );
			if ( 'unreachable' === $this->down ) {
				return $refused;
			}
			if ( 503 === $this->down ) {
				$response                       = self::error_response( 503, 'unavailable', 'Down for maintenance.' );
				$response['headers']['retry-after'] = '300';
				return $response;
			}
			$this->batches[] = $body['events'];
			return self::events_response(
				200,
				$body['events'],
				function ( $event ) {
					$status = isset( $this->statuses[ $event['order_id'] ] ) ? $this->statuses[ $event['order_id'] ] : 'applied';
					$result = array( 'status' => $status );
					if ( 'error' === $status ) {
						$result['error'] = array(
							'code'    => 'order_fetch_failed',
							'message' => 'The event has no full order and WooCommerce could not be asked: timeout',
						);
					}
					return $result;
				}
			);
		};
	}

	/**
	 * An order the stand-in wc_get_order() finds.
	 *
	 * @param int  $id          Order ID.
	 * @param bool $items_saved Whether its line item has an ID yet.
	 * @return WC_Order
	 */
	private static function order( $id, $items_saved = true ) {
		$order = new WC_Order( $id );
		$order->set_status( 'processing' );
		$order->set_date_modified( 1767225600 + $id );
		$order->add_item( new WC_Order_Item_Product( $items_saved ? 1000 + $id : 0 ) );
		$order->save();
		return $order;
	}

	/**
	 * Records events for orders and queues them, as at the end of their requests.
	 *
	 * @param int[] $ids Order IDs.
	 */
	private function place( array $ids ) {
		foreach ( $ids as $id ) {
			$order = self::order( $id );
			do_action( 'woocommerce_checkout_order_processed', $id, array(), $order );
			$this->sync->flush();
		}
	}

	/**
	 * Hooks, their arguments and the event each must record.
	 *
	 * @return array[]
	 */
	public function hooks() {
		return array(
			'classic checkout'   => array( 'woocommerce_checkout_order_processed', array( 'id', array(), 'order' ), 'created' ),
			'block checkout'     => array( 'woocommerce_store_api_checkout_order_processed', array( 'order' ), 'created' ),
			'status changed'     => array( 'woocommerce_order_status_changed', array( 'id', 'pending', 'processing', 'order' ), 'status_changed' ),
			'updated'            => array( 'woocommerce_update_order', array( 'id', 'order' ), 'updated' ),
			'new, items saved'   => array( 'woocommerce_new_order', array( 'id', 'order' ), 'created' ),
			'trashed (HPOS)'     => array( 'woocommerce_trash_order', array( 'id' ), 'deleted' ),
			'deleted (HPOS)'     => array( 'woocommerce_delete_order', array( 'id' ), 'deleted' ),
			'untrashed (HPOS)'   => array( 'woocommerce_untrash_order', array( 'id', 'processing' ), 'updated' ),
		);
	}

	/**
	 * Each hook records one event and queues it at the end of the request, with no remote call.
	 *
	 * @dataProvider hooks
	 * @param string $hook Hook.
	 * @param array  $args Arguments ('id' and 'order' stand for the order's).
	 * @param string $type Expected event type.
	 */
	public function test_each_hook_queues_an_event_without_calling_the_service( $hook, $args, $type ) {
		$order = self::order( 41 );
		$args  = array_map(
			static function ( $arg ) use ( $order ) {
				return 'id' === $arg ? 41 : ( 'order' === $arg ? $order : $arg );
			},
			$args
		);
		do_action_ref_array( $hook, $args );
		$this->sync->flush();

		$this->assertSame( array(), $this->requests, 'nothing remote in the request' );
		$queued = $this->sync->queue->due( time(), 10 );
		$this->assertCount( 1, $queued );
		$this->assertSame( $type, $queued[0]['type'] );
		$this->assertSame( 41, $queued[0]['order_id'] );
		$this->assertMatchesRegularExpression( '/^[0-9a-f-]{36}$/', $queued[0]['idempotency_key'] );
		if ( 'deleted' !== $type ) {
			$this->assertSame( gmdate( 'Y-m-d\TH:i:s', 1767225600 + 41 ), $queued[0]['date_modified_gmt'] );
		}
		$this->assertSame( 'woocommerce_trash_order' === $hook ? array( 'id' => 41, 'status' => 'trash' ) : null, isset( $queued[0]['order'] ) ? $queued[0]['order'] : null );
		$this->assertCount( 1, Action_Scheduler::pending( Bikri_Sync::HOOK_PUSH ), 'the worker is woken' );
	}

	public function test_new_order_before_its_items_are_saved_is_left_to_the_later_hooks() {
		do_action( 'woocommerce_new_order', 42, self::order( 42, false ) );
		$this->assertSame( array(), $this->sync->pending() );
	}

	public function test_order_posts_trashed_and_deleted_in_the_posts_store() {
		$order = wp_insert_post( array( 'post_type' => 'shop_order', 'post_status' => 'wc-processing', 'post_title' => 'Order' ) );
		$post  = wp_insert_post( array( 'post_type' => 'post', 'post_title' => 'Not an order', 'post_status' => 'publish' ) );

		wp_trash_post( $post );
		$this->assertSame( array(), $this->sync->pending(), 'other posts are not orders' );

		wp_trash_post( $order );
		$pending = $this->sync->pending();
		$this->assertSame( array( 'deleted', array( 'id' => $order, 'status' => 'trash' ) ), array( $pending[0]['type'], $pending[0]['order'] ) );

		wp_delete_post( $order, true );
		$pending = $this->sync->pending();
		$this->assertCount( 1, $pending, 'one event per order per request: the latest' );
		$this->assertSame( 'deleted', $pending[0]['type'] );
		$this->assertArrayNotHasKey( 'order', $pending[0], 'a deletion for good is a tombstone' );
	}

	public function test_a_checkout_is_one_created_event() {
		$order = self::order( 43 );
		do_action( 'woocommerce_new_order', 43, self::order( 43, false ) );
		do_action( 'woocommerce_update_order', 43, $order );
		do_action( 'woocommerce_order_status_changed', 43, 'pending', 'processing', $order );
		do_action( 'woocommerce_checkout_order_processed', 43, array(), $order );
		do_action( 'woocommerce_update_order', 43, $order );
		$this->sync->flush();

		$queued = $this->sync->queue->due( time(), 10 );
		$this->assertCount( 1, $queued );
		$this->assertSame( 'created', $queued[0]['type'] );
	}

	public function test_nothing_is_recorded_before_activation() {
		$this->plugin->license->clear();
		do_action( 'woocommerce_checkout_order_processed', 44, array(), self::order( 44 ) );
		$this->assertSame( array(), $this->sync->pending() );
	}

	public function test_worker_sends_batches_of_100_latest_per_order_and_empties_the_queue() {
		$this->place( range( 1, 150 ) );
		// Three more changes of order 5: only the latest is sent, and its ack settles all four.
		do_action( 'woocommerce_update_order', 5, self::order( 5 ) );
		$this->sync->flush();
		// WooCommerce passes ( $order_id, $from, $to, $order ) to this one
		do_action( 'woocommerce_order_status_changed', 5, 'processing', 'on-hold', self::order( 5 ) );
		$this->sync->flush();
		do_action( 'woocommerce_update_order', 5, self::order( 5 ) );
		$this->sync->flush();
		$this->assertSame( 153, $this->sync->queue->count() );

		$report = $this->sync->run( time() );

		$this->assertSame( array( 100, 50 ), array_map( 'count', $this->batches ) );
		$sent = array_merge( ...$this->batches );
		$ids  = array_column( $sent, 'order_id' );
		sort( $ids );
		$this->assertSame( range( 1, 150 ), $ids, 'each order once' );
		$five = array_values( array_filter( $sent, static function ( $e ) { return 5 === $e['order_id']; } ) );
		$this->assertSame( 'updated', $five[0]['type'], 'the latest event of order 5' );
		$this->assertSame( array( 'date_modified_gmt', 'idempotency_key', 'order_id', 'type' ), self::sorted_keys( $sent[0] ) );
		$this->assertSame( 0, $this->sync->queue->count() );
		$this->assertSame( 150, $report['acknowledged'] );
		$state = $this->sync->state();
		$this->assertGreaterThan( 0, $state['last_push'] );
		$this->assertSame( 0, $state['failures'] );
		$this->assertSame( 'Bearer site-token-123', $this->requests[0][1]['headers']['Authorization'] );
		$this->assertSame( 'respond-async', $this->requests[0][1]['headers']['Prefer'], 'answered once stored, not once applied' );
	}

	public function test_acknowledged_results_go_errors_stay_and_retry_with_backoff() {
		$this->place( array( 1, 2, 3, 4, 5 ) );
		$this->statuses = array(
			1 => 'applied',
			2 => 'ignored_older',
			3 => 'duplicate',
			4 => 'error',
			5 => 'accepted',
		);
		$now = time();
		$this->sync->run( $now );

		$left = $this->sync->queue->due( $now + 3600, 10 );
		$this->assertSame( array( 4 ), array_column( $left, 'order_id' ) );
		$this->assertSame( 1, $left[0]['attempts'] );
		$this->assertSame( $now + Bikri_Sync::BASE_DELAY, $left[0]['not_before'] );
		$state = $this->sync->state();
		$this->assertStringContainsString( 'Order #4', $state['last_error']['message'] );
		$this->assertSame( $now + Bikri_Sync::BASE_DELAY, as_next_scheduled_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP ), 'the retry is planned' );

		$this->sync->run( $now + 5 );
		$this->assertCount( 1, $this->batches, 'not retried before its time' );

		$this->sync->run( $now + Bikri_Sync::BASE_DELAY );
		$this->assertSame( array( 4 ), array_column( $this->batches[1], 'order_id' ) );
		$this->assertSame( $left[0]['idempotency_key'], $this->batches[1][0]['idempotency_key'], 'a retry keeps its key' );
		$left = $this->sync->queue->due( $now + 3600, 10 );
		$this->assertSame( 2, $left[0]['attempts'] );
		$this->assertSame( $now + Bikri_Sync::BASE_DELAY + 2 * Bikri_Sync::BASE_DELAY, $left[0]['not_before'] );

		$this->statuses = array();
		$this->sync->run( $left[0]['not_before'] );
		$this->assertSame( 0, $this->sync->queue->count() );
	}

	public function test_service_down_keeps_the_queue_backs_off_and_delivers_everything_when_back() {
		$this->place( range( 1, 120 ) );
		$this->down = 'unreachable';
		$now        = time();

		$this->sync->run( $now );
		$this->assertSame( 120, $this->sync->queue->count(), 'nothing dropped' );
		$state = $this->sync->state();
		$this->assertSame( 1, $state['failures'] );
		$this->assertSame( $now + 30, $state['next_attempt'] );
		$this->assertStringContainsString( 'Connection refused', $state['last_error']['message'] );
		$this->assertSame( $now + 30, as_next_scheduled_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP ) );

		// Too early: no call at all.
		$calls = count( $this->requests );
		$this->sync->run( $now + 10 );
		$this->assertCount( $calls, $this->requests );

		// Each failure waits twice as long, up to an hour.
		$this->sync->run( $now + 30 );
		$this->assertSame( $now + 30 + 60, $this->sync->state()['next_attempt'] );
		$this->assertSame( 3600, Bikri_Sync::delay( 20 ) );

		// Orders keep coming while it is down; the worker is not woken before the planned retry.
		$this->place( array( 121, 122 ) );
		$this->assertSame( $now + 90, as_next_scheduled_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP ) );

		$this->down = null;
		$this->sync->run( $now + 90 );

		$this->assertSame( 0, $this->sync->queue->count() );
		$delivered = array_column( array_merge( ...$this->batches ), 'order_id' );
		sort( $delivered );
		$this->assertSame( range( 1, 122 ), $delivered );
		$state = $this->sync->state();
		$this->assertSame( 0, $state['failures'] );
		$this->assertSame( 0, $state['next_attempt'] );
	}

	public function test_retry_after_from_the_service_is_respected() {
		$this->place( array( 1 ) );
		$this->down = 503;
		$now        = time();
		$this->sync->run( $now );
		$this->assertSame( $now + 300, $this->sync->state()['next_attempt'] );
		$this->assertSame( 1, $this->sync->queue->count() );
	}

	public function test_action_scheduler_runs_the_worker() {
		$this->place( array( 7, 8 ) );
		$this->assertSame( array(), $this->requests );
		$this->assertSame( 1, Action_Scheduler::run_due( time() ) );
		$this->assertSame( array( 7, 8 ), array_column( $this->batches[0], 'order_id' ) );
		$this->assertSame( 0, $this->sync->queue->count() );
	}

	public function test_wp_cron_runs_the_worker_without_action_scheduler() {
		$this->add_filter( 'bikri_sync_use_action_scheduler', '__return_false' );
		$this->place( array( 9 ) );
		$this->assertSame( array(), Action_Scheduler::$actions );
		$when = wp_next_scheduled( Bikri_Sync::HOOK_PUSH );
		$this->assertNotFalse( $when );
		$this->assertLessThanOrEqual( time(), $when );

		// What wp-cron.php does when the event is due: unschedule it, then fire its hook.
		wp_unschedule_event( $when, Bikri_Sync::HOOK_PUSH );
		do_action( Bikri_Sync::HOOK_PUSH );
		$this->assertSame( array( 9 ), array_column( $this->batches[0], 'order_id' ) );
		$this->assertFalse( wp_next_scheduled( Bikri_Sync::HOOK_PUSH ), 'an empty queue plans nothing' );
	}

	public function test_a_full_queue_counts_what_it_could_not_keep_and_says_so() {
		global $wpdb;
		$values = array();
		for ( $i = 0; $i < Bikri_Sync::MAX_QUEUE; $i++ ) {
			$event    = array(
				'idempotency_key'   => sprintf( '00000000-0000-4000-8000-%012d', $i ),
				'type'              => 'updated',
				'order_id'          => 100000 + $i,
				'date_modified_gmt' => '2026-01-01T00:00:00',
				'attempts'          => 0,
				'not_before'        => 0,
			);
			$values[] = $wpdb->prepare( '(%s, %s, %s)', Bikri_Sync_Queue::PREFIX . 'fill' . $i, maybe_serialize( $event ), 'no' );
		}
		$wpdb->query( "INSERT INTO {$wpdb->options} (option_name, option_value, autoload) VALUES " . implode( ',', $values ) );

		$this->place( array( 1 ) );

		$this->assertSame( Bikri_Sync::MAX_QUEUE, $this->sync->queue->count() );
		$this->assertSame( 1, $this->sync->state()['overflowed'] );
		$this->sign_in( 'administrator' );
		$notice = $this->output_of( array( $this->plugin->license_page, 'action_admin_notices' ) );
		$this->assertStringContainsString( 'bikri-sync-overflow', $notice );
		$this->assertStringContainsString( '1 order changes', $notice );

		// Once everything kept is delivered, the notice goes.
		for ( $i = 0; $i < 6; $i++ ) {
			$this->sync->run( time() );
		}
		$this->assertSame( 0, $this->sync->queue->count() );
		$this->assertSame( 0, $this->sync->state()['overflowed'] );
		$this->assertStringNotContainsString( 'bikri-sync-overflow', $this->output_of( array( $this->plugin->license_page, 'action_admin_notices' ) ) );
	}

	public function test_license_page_shows_the_sync_state() {
		$this->place( array( 1, 2 ) );
		$this->down = 'unreachable';
		$this->sync->run( time() );
		$this->sign_in( 'administrator' );

		$html = $this->output_of( array( $this->plugin->license_page, 'render' ) );

		$this->assertStringContainsString( 'Order sync', $html );
		$this->assertMatchesRegularExpression( '#Queued events</th><td>2</td>#', $html );
		$this->assertStringContainsString( 'Next attempt', $html );
		$this->assertStringContainsString( 'Connection refused', $html );
		$this->assertMatchesRegularExpression( '#Stored by Bikri</th><td>Bikri could not be asked just now: [^<]*Connection refused#', $html );

		// The service is back: what it stored, and an accepted change it could not store (escaped).
		$this->down                                = null;
		$this->service_status['events']['unstored'] = array(
			'order_id' => 41,
			'reason'   => 'Order #41: total: not an amount of money: <b>twelve</b>',
			'at'       => '2026-03-01T10:00:00Z',
		);
		$html = $this->output_of( array( $this->plugin->license_page, 'render' ) );
		$this->assertMatchesRegularExpression( '#Orders stored by Bikri</th><td>1,234</td>#', $html );
		$this->assertStringContainsString( 'Not stored by Bikri</th><td>Order #41: total: not an amount of money: &lt;b&gt;twelve&lt;/b&gt; (', $html );
		$this->assertStringContainsString( 'brings the order in once WooCommerce gives it complete.', $html );
		$this->assertSame( '/api/v1/sync/status', wp_parse_url( end( $this->requests )[0], PHP_URL_PATH ) );

		// Stored since: the row goes.
		$this->service_status['events']['unstored'] = null;
		$this->assertStringNotContainsString( 'Not stored by Bikri', $this->output_of( array( $this->plugin->license_page, 'render' ) ) );
	}

	/**
	 * The License page while the service reports this order import (backfill).
	 *
	 * @param string   $status queued, running or done.
	 * @param int      $done   Orders imported.
	 * @param int|null $total  Orders to import, or null while unknown.
	 * @return string
	 */
	private function license_page_during_import( $status, $done, $total ) {
		$this->service_status['backfill'] = array(
			'status' => $status,
			'done'   => $done,
			'total'  => $total,
		);
		return $this->output_of( array( $this->plugin->license_page, 'render' ) );
	}

	public function test_license_page_shows_the_order_import_until_it_is_done() {
		$this->sign_in( 'administrator' );
		$html = $this->license_page_during_import( 'queued', 0, null );
		$this->assertStringContainsString( 'Order import</th><td>Importing orders from WooCommerce: starting…</td>', $html );

		$html = $this->license_page_during_import( 'running', 1200, 30190 );
		$this->assertStringContainsString( 'Order import</th><td>Importing orders: 1,200 of 30,190</td>', $html );

		$html = $this->license_page_during_import( 'done', 30190, 30190 );
		$this->assertStringNotContainsString( 'Importing orders', $html );
		$this->assertStringNotContainsString( 'Order import', $html );
	}

	public function test_uninstall_clears_queue_state_and_planned_runs() {
		$this->place( array( 1 ) );
		$this->down = 'unreachable';
		$this->sync->run( time() );
		$this->assertSame( 1, $this->sync->queue->count() );

		// uninstall.php runs this (test-package.php runs uninstall.php itself; it can run once per process).
		Bikri_Uninstaller::run();

		global $wpdb;
		$this->assertSame( 0, $this->sync->queue->count() );
		$this->assertFalse( get_option( Bikri_Sync::OPTION_STATE ) );
		$this->assertFalse( as_next_scheduled_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP ) );
		$this->assertFalse( wp_next_scheduled( Bikri_Sync::HOOK_PUSH ) );
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE 'bikri\\_%'" ) );
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
