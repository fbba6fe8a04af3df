<?php
/**
 * Inventory events (issue 23): stock hooks and product saves queue product events without a
 * remote call, carry a microsecond version (the service keeps the newest), and the worker
 * sends them to POST /api/v1/inventory/events through the same queue as orders.
 *
 * @package Bikri
 */

/**
 * A product as the stock hooks pass it (the parts the plugin reads).
 */
class Bikri_Stand_In_Stock_Product {
	/** @var int */
	public $id;
	/** @var int */
	public $parent;
	/** @var int|null */
	public $stock;

	public function __construct( $id, $stock, $parent = 0 ) {
		$this->id     = $id;
		$this->stock  = $stock;
		$this->parent = $parent;
	}

	public function get_id() {
		return $this->id;
	}

	public function get_parent_id() {
		return $this->parent;
	}

	public function get_stock_quantity() {
		return $this->stock;
	}

	public function get_stock_status() {
		return $this->stock > 0 ? 'instock' : 'outofstock';
	}

	public function get_manage_stock() {
		return true;
	}
}

/**
 * Product sync tests.
 */
class Bikri_Sync_Products_Test extends Bikri_Sync_Test_Case {

	/**
	 * What the service received, by path.
	 *
	 * @var array[]
	 */
	private $received = array();

	protected function setUp(): void {
		parent::setUp();
		$this->service = function ( $method, $path, $body ) {
			$this->assertSame( 'POST', $method );
			$this->received[ $path ][] = $body['events'];
			return self::events_response(
				200,
				$body['events'],
				static function ( $event ) {
					return array( 'status' => 'stock' === $event['type'] ? 'applied' : 'queued' );
				}
			);
		};
	}

	public function test_stock_hooks_queue_events_with_growing_versions_and_no_remote_call() {
		do_action( 'woocommerce_product_set_stock', new Bikri_Stand_In_Stock_Product( 55, 4 ) );
		$this->sync->flush();
		usleep( 10 );
		do_action( 'woocommerce_variation_set_stock', new Bikri_Stand_In_Stock_Product( 71, 0, 70 ) );
		$this->sync->flush();

		$this->assertSame( array(), $this->requests, 'nothing remote in the request' );
		$queued = $this->sync->queue->due( time(), 10 );
		$this->assertCount( 2, $queued );
		$this->assertSame( array( 'stock', 55, 0, 4, 'instock', true ), array( $queued[0]['type'], $queued[0]['product_id'], $queued[0]['parent_id'], $queued[0]['stock_quantity'], $queued[0]['stock_status'], $queued[0]['manage_stock'] ) );
		$this->assertSame( array( 71, 70, 0, 'outofstock' ), array( $queued[1]['product_id'], $queued[1]['parent_id'], $queued[1]['stock_quantity'], $queued[1]['stock_status'] ) );
		$this->assertGreaterThan( $queued[0]['version'], $queued[1]['version'], 'a later hook has a later version' );
	}

	public function test_one_request_keeps_the_latest_stock_of_a_product() {
		do_action( 'woocommerce_product_set_stock', new Bikri_Stand_In_Stock_Product( 55, 4 ) );
		do_action( 'woocommerce_product_set_stock', new Bikri_Stand_In_Stock_Product( 55, 3 ) );
		$pending = $this->sync->pending();
		$this->assertCount( 1, $pending );
		$this->assertSame( 3, $pending[0]['stock_quantity'] );
	}

	public function test_product_saves_queue_a_read_and_the_worker_sends_products_apart_from_orders() {
		do_action( 'woocommerce_update_product', 90, new Bikri_Stand_In_Stock_Product( 90, 5 ) );
		do_action( 'woocommerce_update_product_variation', 91, new Bikri_Stand_In_Stock_Product( 91, 5, 90 ) );
		do_action( 'woocommerce_product_set_stock', new Bikri_Stand_In_Stock_Product( 90, 5 ) );
		$this->sync->flush();

		$this->sync->run( time() );
		$this->assertArrayNotHasKey( '/api/v1/events', $this->received, 'no order event was sent' );
		$this->assertCount( 1, $this->received['/api/v1/inventory/events'], 'one batch' );
		$sent = $this->received['/api/v1/inventory/events'][0];
		$this->assertSame( array( 'product', 'product', 'stock' ), array_column( $sent, 'type' ) );
		$this->assertSame( array( 0, 90, 0 ), array_column( $sent, 'parent_id' ) );
		$this->assertArrayNotHasKey( 'order_id', $sent[0], 'the wire shape is the inventory route\'s' );
		$this->assertArrayNotHasKey( 'stock_quantity', $sent[0] );
		$this->assertSame( 0, $this->sync->queue->count(), 'acknowledged events leave the queue' );
	}

	public function test_a_product_deleted_or_trashed_is_a_deletion_other_posts_are_not() {
		$product = wp_insert_post( array( 'post_type' => 'product', 'post_status' => 'publish', 'post_title' => 'Saree' ) );
		$post    = wp_insert_post( array( 'post_type' => 'post', 'post_status' => 'publish', 'post_title' => 'Not a product' ) );
		wp_delete_post( $post, true );
		$this->assertSame( array(), $this->sync->pending() );
		wp_trash_post( $product );
		$pending = $this->sync->pending();
		$this->assertCount( 1, $pending );
		$this->assertSame( array( 'deleted', $product ), array( $pending[0]['type'], $pending[0]['product_id'] ) );
	}

	public function test_nothing_is_recorded_before_activation() {
		$this->plugin->license->clear();
		do_action( 'woocommerce_product_set_stock', new Bikri_Stand_In_Stock_Product( 55, 4 ) );
		$this->assertSame( array(), $this->sync->pending() );
	}
}
