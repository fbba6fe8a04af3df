<?php
/**
 * Pushes order events to the service (P1, P2): hooks record, a worker sends.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Order hooks → in-memory events for this request → queue rows at shutdown → sent to
 * POST /api/v1/events right after the response has gone out; Action Scheduler (or WP-cron
 * without it) runs the same worker for whatever that did not deliver.
 *
 * Nothing remote happens before the shopper has the answer: the hooks only collect, and the
 * queue is written once at the end of the request. Then, last on shutdown, the request hands
 * the answer over (fastcgi_finish_request / litespeed_finish_request) and sends the queue
 * itself; where PHP cannot finish a response early (mod_php, CGI), a non-blocking loopback to
 * admin-ajax.php, signed with a server secret, has another PHP worker send it. Waiting for the
 * scheduler instead meant waiting for WP-cron, which runs on the next page view: shoppers'
 * orders reached the desk 31-116 s after the checkout. One sender at a time (a lock in the
 * queue), so nothing is sent twice.
 *
 * Each event carries the order as the export route renders it (Bikri_Order_Export, read when
 * the batch is sent, so it is the order's latest state), and the service applies it without
 * reading the order back through wc/v3 (~2 s per 100 orders on a real store). An order the
 * tables no longer hold is sent without a body and the service reads it, as from older
 * plugin versions. A trashed order carries its record (status trash) and stays restorable; a
 * deletion for good carries nothing and becomes a tombstone.
 */
final class Bikri_Sync {

	/**
	 * The worker's hook (Action Scheduler action or WP-cron event).
	 */
	const HOOK_PUSH = 'bikri_sync_push';

	/**
	 * Action Scheduler group of the worker's actions.
	 */
	const GROUP = 'bikri';

	/**
	 * Sync state: last_push, last_error, failures, next_attempt, overflowed, overflow_at.
	 */
	const OPTION_STATE = 'bikri_sync_state';

	/**
	 * Events per request to the service (the service's own limit).
	 */
	const BATCH = 100;

	/**
	 * Most batches one worker run sends before handing over to a new run.
	 */
	const BATCHES_PER_RUN = 10;

	/**
	 * Most bytes of order bodies in one request (the service takes up to 1 MB per request). An
	 * order alone bigger than this goes without its body, and the service reads it itself.
	 */
	const MAX_BODY_BYTES = 716800;

	/**
	 * admin-ajax action of the loopback that sends the queue where a response cannot be finished early.
	 */
	const ACTION_SEND = 'bikri_sync_send';

	/**
	 * Seconds a loopback's signature stays valid.
	 */
	const SEND_WINDOW = 60;

	/**
	 * Seconds the senders' lock holds without being released (a sender that died lets go then):
	 * longer than a run may take, BATCHES_PER_RUN requests of at most Bikri_Api_Client::TIMEOUT
	 * (10 s) each, so a slow sender is never taken over while it still sends.
	 */
	const LOCK_SECONDS = 150;

	/**
	 * Most events kept while the service is unreachable. Beyond it new events are counted, not
	 * stored, and an admin notice says so: the service's reconciliation (modified_after) brings
	 * those orders in once it is reachable, so the cap bounds the options table, not the data.
	 */
	const MAX_QUEUE = 5000;

	/**
	 * First retry delay in seconds; it doubles with every failure up to MAX_DELAY.
	 */
	const BASE_DELAY = 30;

	/**
	 * Longest retry delay in seconds.
	 */
	const MAX_DELAY = 3600;

	/**
	 * Results that mean the service has the event (or a newer state of the order); "accepted":
	 * stored, to be applied right after the answer.
	 */
	const ACKNOWLEDGED = array( 'accepted', 'applied', 'ignored_older', 'duplicate', 'fetching', 'queued' );

	/**
	 * License state.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * Client for the service.
	 *
	 * @var Bikri_Api_Client
	 */
	private $client;

	/**
	 * The queue.
	 *
	 * @var Bikri_Sync_Queue
	 */
	public $queue;

	/**
	 * Events recorded in this request and not yet queued: order_id => event. One per order,
	 * the latest: a checkout fires half a dozen hooks for the same order.
	 *
	 * @var array[]
	 */
	private $pending = array();

	/**
	 * Whether this request queued events that it sends once its response is out.
	 *
	 * @var bool
	 */
	private $send_after_response = false;

	/**
	 * Reads the orders' bodies from WooCommerce's tables.
	 *
	 * @var Bikri_Order_Export|null
	 */
	private $export = null;

	/**
	 * Builds the sync.
	 *
	 * @param Bikri_License    $license License state.
	 * @param Bikri_Api_Client $client  Client for the service.
	 * @param Bikri_Sync_Queue $queue   The queue.
	 */
	public function __construct( Bikri_License $license, Bikri_Api_Client $client, Bikri_Sync_Queue $queue ) {
		$this->license = $license;
		$this->client  = $client;
		$this->queue   = $queue;
	}

	/**
	 * Hooks into WooCommerce, WordPress and the scheduler.
	 */
	public function set_up() {
		// Classic and block checkout: the order is complete with its items here.
		add_action( 'woocommerce_checkout_order_processed', array( $this, 'on_order_created' ), 20, 1 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $this, 'on_store_api_order' ), 20, 1 );
		// Admin, REST and imports: woocommerce_new_order fires before items are saved, so it
		// counts only when they already are (see on_new_order); the later update covers the rest.
		add_action( 'woocommerce_new_order', array( $this, 'on_new_order' ), 20, 2 );
		add_action( 'woocommerce_update_order', array( $this, 'on_order_updated' ), 20, 1 );
		add_action( 'woocommerce_order_status_changed', array( $this, 'on_status_changed' ), 20, 1 );
		// HPOS fires these; the posts store goes through WordPress's post hooks below.
		add_action( 'woocommerce_trash_order', array( $this, 'on_order_trashed' ), 20, 1 );
		add_action( 'woocommerce_untrash_order', array( $this, 'on_order_updated' ), 20, 1 );
		add_action( 'woocommerce_delete_order', array( $this, 'on_order_deleted' ), 20, 1 );
		add_action( 'wp_trash_post', array( $this, 'on_post_trashed' ), 20, 1 );
		add_action( 'untrashed_post', array( $this, 'on_post_untrashed' ), 20, 1 );
		add_action( 'before_delete_post', array( $this, 'on_post_deleted' ), 20, 1 );

		// Early on shutdown, so that Action Scheduler's own shutdown dispatch already sees the action.
		// Inventory (issue 23): stock changes and product saves, through the same queue.
		add_action( 'woocommerce_product_set_stock', array( $this, 'on_stock_set' ), 20, 1 );
		add_action( 'woocommerce_variation_set_stock', array( $this, 'on_stock_set' ), 20, 1 );
		add_action( 'woocommerce_update_product', array( $this, 'on_product_saved' ), 20, 2 );
		add_action( 'woocommerce_new_product', array( $this, 'on_product_saved' ), 20, 2 );
		add_action( 'woocommerce_update_product_variation', array( $this, 'on_product_saved' ), 20, 2 );
		add_action( 'woocommerce_new_product_variation', array( $this, 'on_product_saved' ), 20, 2 );
		add_action( 'before_delete_post', array( $this, 'on_product_deleted' ), 20, 1 );
		add_action( 'wp_trash_post', array( $this, 'on_product_deleted' ), 20, 1 );
		add_action( 'untrashed_post', array( $this, 'on_product_untrashed' ), 20, 1 );
		add_action( 'shutdown', array( $this, 'flush' ), 1 );
		// Last on shutdown: everything else has written its output, the response can go.
		add_action( 'shutdown', array( $this, 'after_response' ), PHP_INT_MAX );
		add_action( self::HOOK_PUSH, array( $this, 'run' ) );
		add_action( 'wp_ajax_' . self::ACTION_SEND, array( $this, 'handle_send_request' ) );
		add_action( 'wp_ajax_nopriv_' . self::ACTION_SEND, array( $this, 'handle_send_request' ) );
	}

	// --- hooks ------------------------------------------------------------------------------

	/**
	 * Checkout (classic): woocommerce_checkout_order_processed( $order_id, $posted_data, $order ).
	 *
	 * @param int $order_id Order ID.
	 */
	public function on_order_created( $order_id ) {
		$this->record( $order_id, 'created' );
	}

	/**
	 * Checkout (blocks): woocommerce_store_api_checkout_order_processed( $order ).
	 *
	 * @param WC_Order $order The order.
	 */
	public function on_store_api_order( $order ) {
		if ( is_object( $order ) && method_exists( $order, 'get_id' ) ) {
			$this->record( $order->get_id(), 'created', $order );
		}
	}

	/**
	 * woocommerce_new_order( $order_id, $order ): only when the items are saved already.
	 *
	 * @param int           $order_id Order ID.
	 * @param WC_Order|null $order    The order (WooCommerce 5.x+ passes it).
	 */
	public function on_new_order( $order_id, $order = null ) {
		$order = is_object( $order ) ? $order : $this->order( $order_id );
		if ( ! $order ) {
			return;
		}
		foreach ( $order->get_items() as $item ) {
			// An item with an ID is in the database; at checkout they are still in memory only.
			if ( $item->get_id() > 0 ) {
				$this->record( $order_id, 'created', $order );
				return;
			}
		}
	}

	/**
	 * woocommerce_update_order( $order_id, $order ), woocommerce_untrash_order( $order_id, $status ).
	 *
	 * @param int $order_id Order ID.
	 */
	public function on_order_updated( $order_id ) {
		$this->record( $order_id, 'updated' );
	}

	/**
	 * woocommerce_order_status_changed( $order_id, $from, $to, $order ).
	 *
	 * @param int $order_id Order ID.
	 */
	public function on_status_changed( $order_id ) {
		$this->record( $order_id, 'status_changed' );
	}

	/**
	 * woocommerce_trash_order( $order_id ).
	 *
	 * @param int $order_id Order ID.
	 */
	public function on_order_trashed( $order_id ) {
		$this->record( $order_id, 'trashed' );
	}

	/**
	 * woocommerce_delete_order( $order_id ).
	 *
	 * @param int $order_id Order ID.
	 */
	public function on_order_deleted( $order_id ) {
		$this->record( $order_id, 'deleted' );
	}

	/**
	 * wp_trash_post( $post_id ): an order in the posts store moved to the trash.
	 *
	 * @param int $post_id Post ID.
	 */
	public function on_post_trashed( $post_id ) {
		if ( self::is_order_post( $post_id ) ) {
			$this->record( $post_id, 'trashed' );
		}
	}

	/**
	 * untrashed_post( $post_id ): an order in the posts store restored.
	 *
	 * @param int $post_id Post ID.
	 */
	public function on_post_untrashed( $post_id ) {
		if ( self::is_order_post( $post_id ) ) {
			$this->record( $post_id, 'updated' );
		}
	}

	/**
	 * before_delete_post( $post_id, $post ): an order in the posts store deleted for good.
	 *
	 * @param int $post_id Post ID.
	 */
	public function on_post_deleted( $post_id ) {
		if ( self::is_order_post( $post_id ) ) {
			$this->record( $post_id, 'deleted' );
		}
	}

	/**
	 * Whether a post is an order of the posts store. With HPOS, orders are not posts (the
	 * placeholder posts of sync mode have their own type), so this never matches them.
	 *
	 * @param int $post_id Post ID.
	 * @return bool
	 */
	private static function is_order_post( $post_id ) {
		return 'shop_order' === get_post_type( $post_id );
	}

	/**
	 * Remembers an event for this request; it is queued at shutdown.
	 *
	 * @param int           $order_id Order ID.
	 * @param string        $kind     created, updated, status_changed, trashed or deleted.
	 * @param WC_Order|null $order    The order when the hook passed it.
	 */
	public function record( $order_id, $kind, $order = null ) {
		$order_id = (int) $order_id;
		// Before activation there is nowhere to send to; the first sync backfills the history.
		if ( $order_id <= 0 || '' === $this->license->token() ) {
			return;
		}
		if ( in_array( $kind, array( 'trashed', 'deleted' ), true ) ) {
			// The moment of the deletion: the order may already be gone from the database.
			$modified = time();
		} else {
			$order    = is_object( $order ) ? $order : $this->order( $order_id );
			$date     = $order ? $order->get_date_modified() : null;
			$modified = $date ? $date->getTimestamp() : time();
		}
		$event = array(
			'idempotency_key'   => wp_generate_uuid4(),
			'type'              => 'trashed' === $kind ? 'deleted' : $kind,
			'order_id'          => $order_id,
			'date_modified_gmt' => gmdate( 'Y-m-d\TH:i:s', $modified ),
		);
		if ( 'trashed' === $kind ) {
			// Partial on purpose: the service reads the trashed order and keeps it restorable.
			$event['order'] = array(
				'id'     => $order_id,
				'status' => 'trash',
			);
		}
		// A 'created' already recorded in this request stays 'created' when the order changes again.
		if ( isset( $this->pending[ $order_id ] ) && 'created' === $this->pending[ $order_id ]['type'] && in_array( $event['type'], array( 'updated', 'status_changed' ), true ) ) {
			$event['type'] = 'created';
		}
		$this->hold( $order_id, $event );
	}

	/**
	 * Keeps an event for this request's flush in place of the pending one with the same key
	 * (as the newest: the flush sends in the order recorded).
	 *
	 * @param int|string $key   What makes two events one.
	 * @param array      $event The event.
	 */
	private function hold( $key, array $event ) {
		unset( $this->pending[ $key ] );
		$this->pending[ $key ] = $event;

		// A long import (thousands of orders in one request) should not hold them all until shutdown.
		if ( count( $this->pending ) >= self::BATCH ) {
			$this->flush();
		}
	}

	/**
	 * woocommerce_product_set_stock / woocommerce_variation_set_stock: the new figures, stamped
	 * with this moment in microseconds; the service keeps the newest of what arrives.
	 *
	 * @param WC_Product $product The product or variation whose stock was set.
	 */
	public function on_stock_set( $product ) {
		if ( ! is_object( $product ) || ! method_exists( $product, 'get_id' ) ) {
			return;
		}
		$manage = method_exists( $product, 'get_manage_stock' ) ? $product->get_manage_stock() : null;
		$this->record_product(
			array(
				'type'           => 'stock',
				'product_id'     => (int) $product->get_id(),
				'parent_id'      => method_exists( $product, 'get_parent_id' ) ? (int) $product->get_parent_id() : 0,
				'stock_quantity' => null === $product->get_stock_quantity() ? null : (int) $product->get_stock_quantity(),
				'stock_status'   => (string) $product->get_stock_status(),
				'manage_stock'   => true === $manage,
			)
		);
	}

	/**
	 * A product or variation saved (created or edited): the service reads it from WooCommerce.
	 *
	 * @param int             $product_id Product or variation ID.
	 * @param WC_Product|null $product    The product, when the hook passed it.
	 */
	public function on_product_saved( $product_id, $product = null ) {
		$parent = is_object( $product ) && method_exists( $product, 'get_parent_id' ) ? (int) $product->get_parent_id() : 0;
		$this->record_product(
			array(
				'type'       => 'product',
				'product_id' => (int) $product_id,
				'parent_id'  => $parent,
			)
		);
	}

	/**
	 * A product or variation deleted for good or moved to the trash: gone from the stock lists.
	 *
	 * @param int $post_id Post ID.
	 */
	public function on_product_deleted( $post_id ) {
		$type = get_post_type( $post_id );
		if ( 'product' !== $type && 'product_variation' !== $type ) {
			return;
		}
		$this->record_product(
			array(
				'type'       => 'deleted',
				'product_id' => (int) $post_id,
				'parent_id'  => (int) wp_get_post_parent_id( $post_id ),
			)
		);
	}

	/**
	 * A product taken out of the trash: read again.
	 *
	 * @param int $post_id Post ID.
	 */
	public function on_product_untrashed( $post_id ) {
		$type = get_post_type( $post_id );
		if ( 'product' === $type || 'product_variation' === $type ) {
			$this->on_product_saved( $post_id );
		}
	}

	/**
	 * Records a product event for this request's flush (the latest per product and kind).
	 *
	 * @param array $event {type, product_id, parent_id, stock_quantity?, stock_status?, manage_stock?}.
	 */
	public function record_product( array $event ) {
		$this->record_item_event( 'product', $event, 'p' . $event['type'] . $event['product_id'] );
	}

	/**
	 * Records a wishlist event for this request's flush: the latest per shopper, product and
	 * kind (a heart pressed twice in one request is one event).
	 *
	 * @param array $event {type: added|removed|subscribed|unsubscribed, product_id, variation_id, user_id, email?, phone?}.
	 */
	public function record_wishlist( array $event ) {
		$kind = in_array( $event['type'], array( 'added', 'removed' ), true ) ? 'wish' : 'alert';
		$this->record_item_event( 'wishlist', $event, 'w' . $kind . $event['product_id'] . '-' . $event['variation_id'] . '-' . $event['user_id'] . '-' . ( isset( $event['phone'] ) ? $event['phone'] : '' ) );
	}

	/**
	 * Records a product or wishlist event for this request's flush, replacing the pending one
	 * with the same key; events of no product, or before activation, are dropped.
	 *
	 * @param string $stream product or wishlist.
	 * @param array  $event  The event.
	 * @param string $key    What makes two events one (the later wins).
	 */
	private function record_item_event( $stream, array $event, $key ) {
		if ( $event['product_id'] <= 0 || '' === $this->license->token() ) {
			return;
		}
		$event['stream']          = $stream;
		$event['order_id']        = 0;
		$event['idempotency_key'] = wp_generate_uuid4();
		$event['version']         = (int) round( microtime( true ) * 1000000 );
		$this->hold( $key, $event );
	}

	/**
	 * The order, or null without WooCommerce or when it is gone.
	 *
	 * @param int $order_id Order ID.
	 * @return WC_Order|null
	 */
	private function order( $order_id ) {
		if ( ! function_exists( 'wc_get_order' ) ) {
			return null;
		}
		$order = wc_get_order( $order_id );
		return $order ? $order : null;
	}

	/**
	 * Events recorded in this request and not queued yet (for tests and diagnostics).
	 *
	 * @return array[]
	 */
	public function pending() {
		return array_values( $this->pending );
	}

	/**
	 * Queues this request's events and wakes the worker. Runs at shutdown.
	 */
	public function flush() {
		if ( empty( $this->pending ) ) {
			return;
		}
		$events        = $this->pending;
		$this->pending = array();
		$room          = self::MAX_QUEUE - $this->queue->count();
		$overflowed    = 0;
		$added         = 0;
		foreach ( $events as $event ) {
			if ( $room <= 0 ) {
				++$overflowed;
				continue;
			}
			if ( $this->queue->add( $event ) ) {
				--$room;
				++$added;
			}
		}
		if ( $overflowed ) {
			$state                = $this->state();
			$state['overflowed'] += $overflowed;
			$state['overflow_at'] = $state['overflow_at'] ? $state['overflow_at'] : time();
			$this->save_state( $state );
		}
		$state = $this->state();
		// While the service is down, new events wait for the retry already planned. The planned
		// run stays as the fallback for what the send after the response does not deliver.
		$this->wake( max( time(), (int) $state['next_attempt'] ), false );
		if ( $added > 0 && (int) $state['next_attempt'] <= time() ) {
			$this->send_after_response = true;
		}
	}

	// --- sending right after the response ---------------------------------------------------

	/**
	 * Last on shutdown: when this request queued events, the response goes out first, then
	 * they are sent (here, or by a loopback where PHP cannot finish the response early).
	 */
	public function after_response() {
		if ( ! $this->send_after_response ) {
			return;
		}
		$this->send_after_response = false;
		if ( '' === $this->license->token() || ! $this->license->is_active() ) {
			return;
		}
		$finisher = self::response_finisher();
		if ( null === $finisher ) {
			$this->dispatch_send();
			return;
		}
		// The shopper's connection is done with; a browser closing it must not stop the send.
		ignore_user_abort( true );
		call_user_func( $finisher );
		$this->run();
	}

	/**
	 * The function that hands the response to the client and lets the script go on: PHP-FPM's
	 * fastcgi_finish_request() or LiteSpeed's litespeed_finish_request(); null under mod_php,
	 * CGI and the CLI.
	 *
	 * @return callable|null
	 */
	public static function response_finisher() {
		$finisher = null;
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			$finisher = 'fastcgi_finish_request';
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			$finisher = 'litespeed_finish_request';
		}
		/**
		 * Filters how the response is finished before the events are sent (null: a loopback sends them).
		 *
		 * @param callable|null $finisher fastcgi_finish_request, litespeed_finish_request or null.
		 */
		$finisher = apply_filters( 'bikri_sync_response_finisher', $finisher );
		return is_callable( $finisher ) ? $finisher : null;
	}

	/**
	 * Asks this site, without waiting for the answer, to send the queue (admin-ajax.php, as
	 * WordPress spawns WP-cron): this request ends at once, another PHP worker sends.
	 */
	private function dispatch_send() {
		$time = time();
		wp_remote_post(
			admin_url( 'admin-ajax.php' ),
			array(
				'timeout'   => 0.01,
				'blocking'  => false,
				/** This filter is documented in wp-includes/class-wp-http-streams.php */
				'sslverify' => apply_filters( 'https_local_ssl_verify', false ),
				'body'      => array(
					'action'    => self::ACTION_SEND,
					'time'      => $time,
					'signature' => self::send_signature( $time ),
				),
			)
		);
	}

	/**
	 * The loopback's signature: an HMAC under this site's secret auth salt, so only this site
	 * can ask for a send (a stranger's request is refused before anything happens).
	 *
	 * @param int $time Unix time of the request.
	 * @return string
	 */
	public static function send_signature( $time ) {
		return hash_hmac( 'sha256', self::ACTION_SEND . '|' . (int) $time, wp_salt( 'auth' ) );
	}

	/**
	 * admin-ajax handler of the loopback (signed in or not: it is this site calling itself).
	 *
	 * No user and no nonce here: the caller is the site itself, without a session. The
	 * signature stands in for both: a fresh HMAC of the time under the site's secret salt.
	 * Nothing is read from the request but that, and all it can do is send events already
	 * queued; the senders' lock keeps a replay from sending anything twice.
	 */
	public function handle_send_request() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- signed with the site's secret instead (see above).
		$time      = isset( $_POST['time'] ) ? absint( wp_unslash( $_POST['time'] ) ) : 0;
		$signature = isset( $_POST['signature'] ) ? sanitize_text_field( wp_unslash( $_POST['signature'] ) ) : '';
		// phpcs:enable WordPress.Security.NonceVerification.Missing
		if ( abs( time() - $time ) > self::SEND_WINDOW || ! hash_equals( self::send_signature( $time ), $signature ) ) {
			wp_die( '', '', array( 'response' => 403 ) );
		}
		// The caller hung up at once on purpose; the send goes on without it.
		ignore_user_abort( true );
		$this->run();
		wp_die( '', '', array( 'response' => 200 ) );
	}

	// --- the worker -------------------------------------------------------------------------

	/**
	 * Sends due events in batches until the queue is empty, the service fails, or the run's
	 * share is used up; then plans the next run.
	 *
	 * @param int|null $now Current Unix time (tests pass their own).
	 * @return array {sent, acknowledged, errors}: counts for this run.
	 */
	public function run( $now = null ) {
		$now    = null === $now || '' === $now ? time() : (int) $now;
		$report = array(
			'sent'         => 0,
			'acknowledged' => 0,
			'errors'       => 0,
		);
		$state  = $this->state();
		if ( '' === $this->license->token() ) {
			return $report; // Deactivated: the queue was cleared with the license.
		}
		if ( ! $this->license->is_active() ) {
			// The service refuses this site; look again later (the license may be renewed).
			$this->wake( $now + self::MAX_DELAY, true );
			return $report;
		}
		if ( $state['next_attempt'] > $now ) {
			$this->wake( $state['next_attempt'], true );
			return $report;
		}

		for ( $pass = 0; $pass < 2; $pass++ ) {
			$lock = $this->queue->lock( self::LOCK_SECONDS );
			if ( null === $lock ) {
				if ( 0 === $pass ) {
					// Another sender is at it, and it looks at the queue again once it lets go;
					// should it die instead, this run comes back when its lock expires.
					$this->wake( max( $now, $this->queue->locked_until() ), true );
				}
				return $report;
			}
			try {
				$ended = $this->send_due( $now, $report );
			} finally {
				$this->queue->unlock( $lock );
			}
			if ( 'failed' === $ended ) {
				return $report;
			}
			// Events queued by a request that found the lock taken while this one sent.
			if ( 'drained' !== $ended || empty( $this->queue->due( $now, 1 ) ) ) {
				break;
			}
		}

		// More due work goes to a fresh run; events waiting after an error get theirs at their time.
		$waiting = $this->queue->count();
		if ( $waiting > 0 ) {
			$this->wake( max( $now, $this->queue->next_retry() ), true );
		} else {
			$state = $this->state();
			if ( $state['overflowed'] ) {
				// Everything kept has been delivered; reconciliation covers what did not fit.
				$state['overflowed']  = 0;
				$state['overflow_at'] = 0;
				$this->save_state( $state );
			}
		}
		return $report;
	}

	/**
	 * Sends due events in batches (the lock held) until none is due, the service fails, or the
	 * run's share is used up.
	 *
	 * @param int   $now    Current Unix time.
	 * @param array $report Counts, added to.
	 * @return string drained, failed or budget.
	 */
	private function send_due( $now, array &$report ) {
		for ( $round = 0; $round < self::BATCHES_PER_RUN; $round++ ) {
			$due      = $this->queue->due( $now, self::BATCH * 5 );
			$products = array();
			$wishes   = array();
			$orders   = array();
			foreach ( $due as $event ) {
				$stream = isset( $event['stream'] ) ? $event['stream'] : 'order';
				if ( 'product' === $stream ) {
					$products[] = $event;
				} elseif ( 'wishlist' === $stream ) {
					$wishes[] = $event;
				} else {
					$orders[] = $event;
				}
			}
			if ( ! empty( $products ) ) {
				// Product and stock events go to the inventory's route, 100 at a time, before orders.
				$batch      = array_slice( $products, 0, self::BATCH );
				$superseded = array_fill_keys( wp_list_pluck( $batch, 'idempotency_key' ), array() );
				$answer     = $this->client->post_product_events( array_map( array( __CLASS__, 'wire_product' ), $batch ) );
			} elseif ( ! empty( $wishes ) ) {
				// Wishlist events go to the wishlist's route, 100 at a time (each carries its version).
				$batch      = array_slice( $wishes, 0, self::BATCH );
				$superseded = array_fill_keys( wp_list_pluck( $batch, 'idempotency_key' ), array() );
				$answer     = $this->client->post_wishlist_events( array_map( array( __CLASS__, 'wire_wishlist' ), $batch ) );
			} else {
				list( $batch, $superseded ) = self::dedup( $orders );
				if ( empty( $batch ) ) {
					return 'drained';
				}
				$batch  = $this->with_bodies( $batch );
				$answer = $this->client->post_events( array_map( array( __CLASS__, 'wire' ), $batch ) );
			}
			$report['sent'] += count( $batch );
			$state = $this->state();
			if ( is_wp_error( $answer ) ) {
				// Down, overloaded or refusing: every event stays; try again later, each time later.
				$state['failures']    += 1;
				$state['next_attempt'] = $now + self::delay( $state['failures'], $answer );
				$state['last_error']   = self::error_text( $answer, $now );
				$this->save_state( $state );
				$this->wake( $state['next_attempt'], true );
				return 'failed';
			}
			$state['failures']     = 0;
			$state['next_attempt'] = 0;
			$state['last_push']    = $now;
			$this->save_state( $state );
			$counts                  = $this->settle( $batch, $superseded, $answer, $now );
			$report['acknowledged'] += $counts[0];
			$report['errors']       += $counts[1];
		}
		return 'budget';
	}

	/**
	 * The batch with each order's body as the export renders it, read now (one set of queries
	 * for the batch), and its modification time. Cut short where the bodies would pass
	 * MAX_BODY_BYTES: the rest stays queued for the next round.
	 *
	 * @param array[] $batch Events to send.
	 * @return array[]
	 */
	private function with_bodies( array $batch ) {
		$ids = array();
		foreach ( $batch as $event ) {
			// A deletion for good has no body; a trashed order's record says "trash".
			if ( 'deleted' !== $event['type'] || isset( $event['order'] ) ) {
				$ids[] = (int) $event['order_id'];
			}
		}
		if ( empty( $ids ) ) {
			return $batch;
		}
		if ( null === $this->export ) {
			$this->export = new Bikri_Order_Export();
		}
		$records = $this->export->records( $ids );
		$out     = array();
		$bytes   = 0;
		foreach ( $batch as $event ) {
			$id     = (int) $event['order_id'];
			$record = in_array( $id, $ids, true ) && isset( $records[ $id ] ) ? $records[ $id ] : null;
			if ( $record && 'deleted' === $event['type'] && 'trash' !== $record['status'] ) {
				$record = null; // Restored since: its own later event carries it.
			}
			if ( $record ) {
				$size = strlen( (string) wp_json_encode( $record ) );
				if ( $out && $bytes + $size > self::MAX_BODY_BYTES ) {
					break;
				}
				if ( $size <= self::MAX_BODY_BYTES ) {
					$bytes                     += $size;
					$event['order']             = $record;
					$event['order_shape']       = 'export';
					$event['date_modified_gmt'] = null !== $record['date_modified_gmt'] ? $record['date_modified_gmt'] : $event['date_modified_gmt'];
				}
			}
			$out[] = $event;
		}
		return $out;
	}

	/**
	 * The latest event of each order among due events, oldest order first, at most BATCH;
	 * and, per sent key, the older rows of the same order that its acknowledgement settles.
	 *
	 * @param array[] $due Due events in queue order.
	 * @return array [ events to send, key => row names it supersedes ]
	 */
	private static function dedup( array $due ) {
		$latest = array();
		$older  = array();
		foreach ( $due as $event ) {
			$id = (int) $event['order_id'];
			if ( isset( $latest[ $id ] ) ) {
				$older[ $id ][] = $latest[ $id ]['_name'];
				unset( $latest[ $id ] ); // Re-inserted below: the order's place follows its latest change.
			}
			$latest[ $id ] = $event;
		}
		$batch      = array_slice( array_values( $latest ), 0, self::BATCH );
		$superseded = array();
		foreach ( $batch as $event ) {
			$id = (int) $event['order_id'];
			$superseded[ $event['idempotency_key'] ] = isset( $older[ $id ] ) ? $older[ $id ] : array();
		}
		return array( $batch, $superseded );
	}

	/**
	 * Applies the service's per-event results: acknowledged rows go, errors wait to be retried.
	 *
	 * @param array[] $batch      Events sent.
	 * @param array   $superseded key => older row names.
	 * @param array   $answer     {results: [{idempotency_key, status, error?}]}.
	 * @param int     $now        Current Unix time.
	 * @return int[] [ acknowledged, errors ]
	 */
	private function settle( array $batch, array $superseded, array $answer, $now ) {
		$results = array();
		foreach ( isset( $answer['results'] ) && is_array( $answer['results'] ) ? $answer['results'] : array() as $result ) {
			if ( is_array( $result ) && isset( $result['idempotency_key'], $result['status'] ) ) {
				$results[ (string) $result['idempotency_key'] ] = $result;
			}
		}
		$done       = array();
		$errors     = 0;
		$last_error = '';
		foreach ( $batch as $event ) {
			$key    = $event['idempotency_key'];
			$result = isset( $results[ $key ] ) ? $results[ $key ] : null;
			if ( $result && in_array( $result['status'], self::ACKNOWLEDGED, true ) ) {
				$done[] = $event['_name'];
				$done   = array_merge( $done, $superseded[ $key ] );
				continue;
			}
			// An error, or no result at all: keep it, and give this event alone a growing delay.
			++$errors;
			$message             = $result && isset( $result['error']['message'] ) ? (string) $result['error']['message'] : __( 'The service did not answer for this event.', 'bikri' );
			$event['attempts']   = (int) $event['attempts'] + 1;
			$event['not_before'] = $now + self::delay( $event['attempts'] );
			$event['error']      = $message;
			$this->queue->update( $event );
			if ( isset( $event['stream'] ) && in_array( $event['stream'], array( 'product', 'wishlist' ), true ) ) {
				/* translators: 1: product ID, 2: the service's reason */
				$last_error = sprintf( __( 'Product #%1$d: %2$s', 'bikri' ), $event['product_id'], $message );
			} else {
				/* translators: 1: order number, 2: the service's reason */
				$last_error = sprintf( __( 'Order #%1$d: %2$s', 'bikri' ), $event['order_id'], $message );
			}
		}
		$this->queue->delete( $done );
		if ( '' !== $last_error ) {
			$state               = $this->state();
			$state['last_error'] = array(
				'message' => $last_error,
				'at'      => $now,
			);
			$this->save_state( $state );
		}
		return array( count( $batch ) - $errors, $errors );
	}

	/**
	 * An event as the service expects it (without the queue's bookkeeping).
	 *
	 * @param array $event Queued event.
	 * @return array
	 */
	private static function wire( array $event ) {
		$wire = array(
			'idempotency_key'   => (string) $event['idempotency_key'],
			'type'              => (string) $event['type'],
			'order_id'          => (int) $event['order_id'],
			'date_modified_gmt' => (string) $event['date_modified_gmt'],
		);
		if ( isset( $event['order'] ) && is_array( $event['order'] ) ) {
			$wire['order'] = (object) $event['order'];
		}
		if ( isset( $event['order_shape'] ) ) {
			$wire['order_shape'] = (string) $event['order_shape'];
		}
		return $wire;
	}

	/**
	 * A product event as the service's POST /api/v1/inventory/events expects it.
	 *
	 * @param array $event Queued event.
	 * @return array
	 */
	private static function wire_product( array $event ) {
		$wire = array(
			'idempotency_key' => (string) $event['idempotency_key'],
			'type'            => (string) $event['type'],
			'product_id'      => (int) $event['product_id'],
			'parent_id'       => (int) $event['parent_id'],
			'version'         => (int) $event['version'],
		);
		if ( 'stock' === $event['type'] ) {
			$wire['stock_quantity'] = null === $event['stock_quantity'] ? null : (int) $event['stock_quantity'];
			$wire['stock_status']   = (string) $event['stock_status'];
			$wire['manage_stock']   = (bool) $event['manage_stock'];
		}
		return $wire;
	}

	/**
	 * A wishlist event as the service's POST /api/v1/wishlist/events expects it.
	 *
	 * @param array $event Queued event.
	 * @return array
	 */
	private static function wire_wishlist( array $event ) {
		$wire = array(
			'idempotency_key' => (string) $event['idempotency_key'],
			'type'            => (string) $event['type'],
			'product_id'      => (int) $event['product_id'],
			'variation_id'    => (int) $event['variation_id'],
			'user_id'         => (int) $event['user_id'],
			'version'         => (int) $event['version'],
		);
		foreach ( array( 'email', 'phone' ) as $field ) {
			if ( isset( $event[ $field ] ) && '' !== (string) $event[ $field ] ) {
				$wire[ $field ] = (string) $event[ $field ];
			}
		}
		return $wire;
	}

	/**
	 * Seconds before the next attempt: BASE_DELAY doubling per failure up to MAX_DELAY, or
	 * longer when the service said when (Retry-After).
	 *
	 * @param int           $failures Failures in a row (1 for the first).
	 * @param WP_Error|null $error    The failure.
	 * @return int
	 */
	public static function delay( $failures, $error = null ) {
		$delay = (int) min( self::MAX_DELAY, self::BASE_DELAY * pow( 2, max( 0, (int) $failures - 1 ) ) );
		if ( $error instanceof WP_Error ) {
			$data = $error->get_error_data();
			if ( is_array( $data ) && isset( $data['retry_after'] ) ) {
				$delay = max( $delay, min( self::MAX_DELAY, (int) $data['retry_after'] ) );
			}
		}
		return $delay;
	}

	/**
	 * The last error as stored in the state.
	 *
	 * @param WP_Error $error Error.
	 * @param int      $now   Current Unix time.
	 * @return array {message, at}
	 */
	private static function error_text( WP_Error $error, $now ) {
		$status = Bikri_Api_Client::status_of( $error );
		return array(
			'message' => $status ? sprintf( '%s (HTTP %d)', $error->get_error_message(), $status ) : $error->get_error_message(),
			'at'      => (int) $now,
		);
	}

	// --- scheduling -------------------------------------------------------------------------

	/**
	 * Whether Action Scheduler (shipped inside WooCommerce) runs the worker; WP-cron otherwise.
	 *
	 * @return bool
	 */
	public static function uses_action_scheduler() {
		$available = function_exists( 'as_enqueue_async_action' ) && function_exists( 'as_schedule_single_action' )
			&& function_exists( 'as_next_scheduled_action' ) && function_exists( 'as_unschedule_all_actions' );
		/**
		 * Filters whether the push worker runs through Action Scheduler (true when it is loaded).
		 *
		 * @param bool $available Whether Action Scheduler is loaded.
		 */
		return (bool) apply_filters( 'bikri_sync_use_action_scheduler', $available );
	}

	/**
	 * Makes sure the worker runs at $when (now or later).
	 *
	 * @param int  $when   Unix time.
	 * @param bool $replace From the worker: replace what is planned (its own run is still
	 *                      "running" for Action Scheduler, so asking would say it is planned).
	 */
	public function wake( $when, $replace ) {
		$when = (int) $when;
		if ( self::uses_action_scheduler() ) {
			if ( ! $replace ) {
				$next = as_next_scheduled_action( self::HOOK_PUSH, array(), self::GROUP );
				// true: an async run is pending or running, and it reads the queue after us.
				if ( true === $next || ( $next && $next <= $when ) ) {
					return;
				}
			}
			as_unschedule_all_actions( self::HOOK_PUSH, array(), self::GROUP );
			if ( $when <= time() ) {
				as_enqueue_async_action( self::HOOK_PUSH, array(), self::GROUP );
			} else {
				as_schedule_single_action( $when, self::HOOK_PUSH, array(), self::GROUP );
			}
			return;
		}
		$next = wp_next_scheduled( self::HOOK_PUSH );
		if ( ! $replace && $next && $next <= $when ) {
			return;
		}
		wp_clear_scheduled_hook( self::HOOK_PUSH );
		wp_schedule_single_event( $when, self::HOOK_PUSH );
	}

	/**
	 * Removes every planned run (license deactivation, uninstall).
	 */
	public static function unschedule() {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( self::HOOK_PUSH, array(), self::GROUP );
		}
		wp_clear_scheduled_hook( self::HOOK_PUSH );
	}

	/**
	 * Forgets the queue, the state and the planned runs.
	 */
	public function clear() {
		$this->pending             = array();
		$this->send_after_response = false;
		$this->queue->clear();
		delete_option( self::OPTION_STATE );
		self::unschedule();
	}

	// --- state ------------------------------------------------------------------------------

	/**
	 * The sync state.
	 *
	 * @return array {last_push, last_error: {message, at}|null, failures, next_attempt, overflowed, overflow_at}
	 */
	public function state() {
		$defaults = array(
			'last_push'    => 0,
			'last_error'   => null,
			'failures'     => 0,
			'next_attempt' => 0,
			'overflowed'   => 0,
			'overflow_at'  => 0,
		);
		$stored   = get_option( self::OPTION_STATE, array() );
		return array_merge( $defaults, is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Stores the sync state.
	 *
	 * @param array $state State.
	 */
	private function save_state( array $state ) {
		update_option( self::OPTION_STATE, $state, false );
	}
}
