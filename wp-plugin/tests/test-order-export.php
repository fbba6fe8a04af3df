<?php
/**
 * The order export: field by field against wc/v3 for both storages, keyset paging, a constant
 * number of queries per page, table prefixes, and the signed route's refusals.
 *
 * @package Bikri
 */

use Bikri\Tests\Order_Tables;

/**
 * Export tests.
 */
class Bikri_Order_Export_Test extends Bikri_Test_Case {

	const ROUTE = '/bikri/v1/orders/export';

	/**
	 * Orders as wc/v3 answers them (plus cart_tax/shipping_tax, which wc/v3 also answers): each
	 * gives what sets it apart from Order_Tables::order()'s.
	 *
	 * @return array[]
	 */
	private static function orders() {
		$address = static function ( $first, $last, $phone, $state ) {
			return array(
				'first_name' => $first,
				'last_name'  => $last,
				'company'    => '',
				'address_1'  => 'বাড়ি ১২, রোড ৫',
				'address_2'  => 'Dhanmondi',
				'city'       => 'Dhaka',
				'state'      => $state,
				'postcode'   => '1205',
				'country'    => 'BD',
				'email'      => strtolower( $first ) . '@example.com',
				'phone'      => $phone,
			);
		};
		$shipping = static function ( array $billing ) {
			unset( $billing['email'] );
			return $billing;
		};
		$a_billing = $address( 'Rahim', 'উদ্দিন', '01711-223344', 'BD-13' );
		$b_billing = $address( 'Karim', 'Mia', '+8801911000000', 'BD-10' );
		return array(
			Order_Tables::order(
				array(
					'id'                => 900101,
					'date_created_gmt'  => '2024-05-01T10:20:30',
					'date_modified_gmt' => '2024-05-02T08:00:00',
					'date_paid_gmt'     => '2024-05-01T10:25:00',
					'discount_total'    => '100.00',
					'shipping_total'    => '60.00',
					'cart_tax'          => '10.00',
					'shipping_tax'      => '5.00',
					'total_tax'         => '15.00',
					'total'             => '1415.50',
					'customer_id'       => 7,
					'customer_note'     => 'সন্ধ্যার পরে দিন',
					'billing'           => $a_billing,
					'shipping'          => $shipping( $a_billing ),
					'line_items'        => array(
						array(
							'id'           => 800001,
							'name'         => 'Saree — red',
							'product_id'   => 700001,
							'variation_id' => 0,
							'quantity'     => 3,
							'subtotal'     => '1000.00',
							'total'        => '1000.00',
							'sku'          => 'SAREE-RED',
							'price'        => 1000 / 3,
						),
						array(
							'id'           => 800002,
							'name'         => 'Panjabi - M',
							'product_id'   => 700002,
							'variation_id' => 700003,
							'quantity'     => 1,
							'subtotal'     => '450.50',
							'total'        => '440.50',
							'sku'          => 'PANJABI',
							'price'        => 440.5,
						),
					),
					'refunds'           => array(
						array(
							'id'               => 900199,
							'reason'           => 'Damaged',
							'total'            => '-50.00',
							// not in wc/v3's order body: the service dates the refund with it (issue 17, item 11)
							'date_created_gmt' => '2024-05-03T09:15:00',
						),
					),
					'meta_data'         => array(
						array(
							'key'   => '_wc_order_attribution_source_type',
							'value' => 'utm',
						),
						array(
							'key'   => '_wc_order_attribution_utm_source',
							'value' => 'facebook',
						),
						array(
							'key'   => '_courier_data',
							'value' => array(
								'courier'       => 'steadfast',
								'consignment_id' => 'SF123',
							),
						),
						array(
							'key'   => '_bikri_otp_verified',
							'value' => 'yes',
						),
					),
				)
			),
			Order_Tables::order(
				array(
					'id'                   => 900102,
					'status'               => 'on-hold',
					'date_created_gmt'     => '2024-05-02T07:00:00',
					'date_modified_gmt'    => '2024-05-02T08:00:00',
					'discount_total'       => '0',
					'shipping_total'       => '120',
					'cart_tax'             => '0',
					'shipping_tax'         => '0',
					'total'                => '1250',
					'payment_method'       => 'bkash',
					'payment_method_title' => 'bKash',
					'created_via'          => 'admin',
					'billing'              => $b_billing,
					'shipping'             => $shipping( $b_billing ),
				)
			),
			Order_Tables::order(
				array(
					'id'                 => 900103,
					'status'             => 'completed',
					'date_created_gmt'   => '2024-04-01T00:00:00',
					'date_modified_gmt'  => '2024-05-01T00:00:00',
					'date_paid_gmt'      => '2024-04-01T00:00:10',
					'date_completed_gmt' => '2024-04-03T12:00:00',
					'shipping_total'     => '60.00',
					'total'              => '560.00',
					'customer_id'        => 7,
					'billing'            => $a_billing,
					'shipping'           => $shipping( $a_billing ),
					'line_items'         => array(
						array(
							'id'           => 800003,
							'name'         => 'Gone product',
							'product_id'   => 799999,
							'variation_id' => 0,
							'quantity'     => 1,
							'subtotal'     => '500.00',
							'total'        => '500.00',
							'sku'          => null,
							'price'        => 500.0,
						),
					),
				)
			),
			Order_Tables::order(
				array(
					'id'                   => 900104,
					'status'               => 'trash',
					'date_created_gmt'     => '2024-05-03T00:00:00',
					'date_modified_gmt'    => '2024-05-03T00:00:00',
					'payment_method'       => '',
					'payment_method_title' => '',
					'created_via'          => 'admin',
					'billing'              => $b_billing,
					'shipping'             => $shipping( $b_billing ),
				)
			),
		);
	}

	/**
	 * Fills a storage with the orders above and the products they name.
	 *
	 * @param string[]    $storages Storages to write, HPOS first.
	 * @param string|null $prefix   Table prefix.
	 * @return array[] The orders.
	 */
	private function fill( array $storages, $prefix = null ) {
		self::products( $prefix );
		$orders = self::orders();
		foreach ( $orders as $order ) {
			foreach ( $storages as $storage ) {
				Order_Tables::write( $storage, $order, $prefix );
			}
		}
		return $orders;
	}

	/**
	 * The products the orders above name: two, one of them variable with a variation.
	 *
	 * @param string|null $prefix Table prefix.
	 */
	private static function products( $prefix = null ) {
		Order_Tables::product( 700001, 'SAREE-RED', 'product', 0, $prefix );
		Order_Tables::product( 700002, 'PANJABI', 'product', 0, $prefix );
		Order_Tables::product( 700003, '', 'product_variation', 700002, $prefix );
	}

	/**
	 * Switches WooCommerce's order storage, as its settings (Advanced > Features) do.
	 *
	 * @param string      $storage posts or hpos: where WooCommerce keeps its orders.
	 * @param string|null $sync    With HPOS, whether WooCommerce keeps the posts copy in step too
	 *                             ('yes' or 'no'); null leaves the setting alone.
	 */
	private static function store_orders_in( $storage, $sync = null ) {
		update_option( 'woocommerce_custom_orders_table_enabled', 'hpos' === $storage ? 'yes' : 'no' );
		if ( null !== $sync ) {
			update_option( 'woocommerce_custom_orders_table_data_sync_enabled', $sync );
		}
	}

	/**
	 * What wc/v3 answers for an order, in the fields the export carries.
	 *
	 * @param array $order Fixture.
	 * @return array
	 */
	private static function wc_v3( array $order ) {
		unset( $order['cart_tax'], $order['shipping_tax'] );
		foreach ( array( 'discount_total', 'shipping_total', 'total' ) as $money ) {
			$order[ $money ] = number_format( (float) $order[ $money ], 2, '.', '' ); // wc_format_decimal( $v, 2 ).
		}
		return $order;
	}

	/**
	 * Checks the export of a filled store field by field.
	 *
	 * @param array  $page   Page from the export.
	 * @param array  $orders Fixtures.
	 * @param string $storage Storage expected.
	 */
	private function assert_same_as_wc_v3( array $page, array $orders, $storage ) {
		$this->assertSame( $storage, $page['storage'] );
		$by_id = array();
		foreach ( $page['orders'] as $record ) {
			$by_id[ $record['id'] ] = $record;
		}
		$this->assertSame( wp_list_pluck( $orders, 'id' ), array_keys( $by_id ), 'every order, by id, trashed ones included' );
		foreach ( $orders as $order ) {
			$expected = self::wc_v3( $order );
			$actual   = $by_id[ $order['id'] ];
			$this->assertSame( array_keys( $expected ), array_keys( $actual ), "order {$order['id']}: fields" );
			foreach ( $expected as $field => $value ) {
				$this->assertSame( $value, $actual[ $field ], "order {$order['id']}: $field" );
			}
		}
	}

	public function test_posts_storage_is_read_as_wc_v3_answers() {
		self::store_orders_in( 'posts' );
		$orders = $this->fill( array( 'posts' ) );
		$page   = ( new Bikri_Order_Export() )->page( array() );
		$this->assert_same_as_wc_v3( $page, $orders, 'posts' );
	}

	public function test_hpos_is_read_as_wc_v3_answers() {
		self::store_orders_in( 'hpos', 'no' );
		$orders = $this->fill( array( 'hpos' ) );
		$page   = ( new Bikri_Order_Export() )->page( array() );
		$this->assert_same_as_wc_v3( $page, $orders, 'hpos' );
	}

	public function test_hpos_with_sync_on_reads_the_authoritative_hpos_tables() {
		self::store_orders_in( 'hpos', 'yes' );
		$orders = $this->fill( array( 'hpos', 'posts' ) );
		// The posts copy lags behind (background sync): only HPOS may be read.
		$GLOBALS['wpdb']->update( $GLOBALS['wpdb']->posts, array( 'post_status' => 'wc-pending' ), array( 'ID' => 900101 ) );
		$page = ( new Bikri_Order_Export() )->page( array() );
		$this->assert_same_as_wc_v3( $page, $orders, 'hpos' );

		self::store_orders_in( 'posts' );
		$posts = ( new Bikri_Order_Export() )->page( array() );
		$this->assertSame( 'pending', $posts['orders'][0]['status'], 'switched back, the posts copy is the one read' );
	}

	public function test_another_sites_prefix_reads_that_sites_tables() {
		global $wpdb;
		$this->fill( array( 'posts' ) );
		$orders = self::orders();
		Order_Tables::write( 'posts', array_merge( $orders[1], array( 'id' => 900201 ) ), $wpdb->prefix . '2_' );
		Order_Tables::write( 'hpos', array_merge( $orders[1], array( 'id' => 900202 ) ), $wpdb->prefix . '2_' );
		$export = new Bikri_Order_Export( $wpdb, $wpdb->prefix . '2_' );
		$this->assertSame( array( 900201 ), wp_list_pluck( $export->page( array( 'storage' => 'posts' ) )['orders'], 'id' ) );
		$this->assertSame( array( 900202 ), wp_list_pluck( $export->page( array( 'storage' => 'hpos' ) )['orders'], 'id' ) );
	}

	/**
	 * Both storages.
	 *
	 * @return array[]
	 */
	public function storages() {
		return array(
			'posts' => array( 'posts' ),
			'hpos'  => array( 'hpos' ),
		);
	}

	/**
	 * Walks the export one order a page from a cursor to the end, as the service's backfill does.
	 *
	 * @param Bikri_Order_Export $export  The export.
	 * @param array              $cursor  Where to start (after_id, modified_after).
	 * @param string             $storage Storage.
	 * @return int[] Order ids in the order the pages brought them.
	 */
	private static function walk( Bikri_Order_Export $export, array $cursor, $storage ) {
		$seen = array();
		do {
			$page   = $export->page( array_merge( $cursor, array( 'limit' => 1, 'storage' => $storage ) ) );
			$seen   = array_merge( $seen, wp_list_pluck( $page['orders'], 'id' ) );
			$cursor = $page['next'];
		} while ( $cursor );
		return $seen;
	}

	/**
	 * Keyset walks: by id, and by (modified, id) through a second shared by two orders.
	 *
	 * @dataProvider storages
	 * @param string $storage Storage.
	 */
	public function test_keyset_walks_visit_every_order_once( $storage ) {
		$this->fill( array( $storage ) );
		$export = new Bikri_Order_Export();
		$this->assertSame( array( 900101, 900102, 900103, 900104 ), self::walk( $export, array( 'after_id' => 0 ), $storage ) );

		$seen = self::walk(
			$export,
			array(
				'after_id'       => 0,
				'modified_after' => '2024-05-01 00:00:00',
			),
			$storage
		);
		// 900103 was modified exactly at modified_after with id 0 after it: included; 900101 and
		// 900102 share 08:00:00 and are told apart by id.
		$this->assertSame( array( 900103, 900101, 900102, 900104 ), $seen );
		$late = $export->page(
			array(
				'after_id'       => 900101,
				'modified_after' => '2024-05-02 08:00:00',
				'storage'        => $storage,
			)
		);
		$this->assertSame( array( 900102, 900104 ), wp_list_pluck( $late['orders'], 'id' ) );
		$this->assertNull( $late['next'], 'a short page is the last' );
	}

	/**
	 * The number of queries does not grow with the page.
	 *
	 * @dataProvider storages
	 * @param string $storage Storage.
	 */
	public function test_queries_per_page_are_constant( $storage ) {
		global $wpdb;
		self::products();
		$template = self::orders()[0];
		for ( $i = 0; $i < 60; $i++ ) {
			$order       = $template;
			$order['id'] = 910000 + $i;
			foreach ( $order['line_items'] as $n => $item ) {
				$order['line_items'][ $n ]['id'] = 810000 + 10 * $i + $n;
			}
			$order['refunds'][0]['id'] = 920000 + $i;
			Order_Tables::write( $storage, $order );
		}
		$export  = new Bikri_Order_Export();
		$counts  = array();
		foreach ( array( 1, 5, 60 ) as $limit ) {
			$before = $wpdb->num_queries;
			$page   = $export->page(
				array(
					'limit'   => $limit,
					'storage' => $storage,
				)
			);
			$counts[ $limit ] = $wpdb->num_queries - $before;
			$this->assertCount( $limit, $page['orders'] );
		}
		$this->assertSame( $counts[1], $counts[60], 'queries per page: ' . wp_json_encode( $counts ) );
		$this->assertSame( $counts[5], $counts[60] );
		$this->assertLessThanOrEqual( 10, $counts[60] );
	}

	public function test_pages_are_cut_by_bytes_too() {
		self::store_orders_in( 'posts' );
		$this->fill( array( 'posts' ) );
		$export = new Bikri_Order_Export();
		$page   = $export->page( array( 'max_bytes' => 2500 ) );
		$this->assertGreaterThanOrEqual( 1, count( $page['orders'] ) );
		$this->assertLessThan( 4, count( $page['orders'] ) );
		$this->assertLessThanOrEqual( 2500, strlen( wp_json_encode( $page['orders'] ) ) + 2 * count( $page['orders'] ) );
		$last = end( $page['orders'] );
		$this->assertSame( array( 'after_id' => $last['id'] ), $page['next'], 'the next page starts after the last order sent' );
		$tiny = $export->page( array( 'max_bytes' => 1 ) );
		$this->assertCount( 1, $tiny['orders'], 'one order always goes, however big' );
	}

	public function test_an_empty_store_answers_an_empty_page() {
		$page = ( new Bikri_Order_Export() )->page( array( 'storage' => 'hpos' ) );
		$this->assertSame( array(), $page['orders'] );
		$this->assertNull( $page['next'] );
	}

	// --- the route and its signature ------------------------------------------------------

	/**
	 * A signed request as the service sends it.
	 *
	 * @param array       $query     Query.
	 * @param int|null    $timestamp Timestamp.
	 * @param string|null $nonce     Nonce.
	 * @param string      $key       Key to sign with (the export key activate_locally() stores).
	 * @return WP_REST_Request
	 */
	private function signed( array $query, $timestamp = null, $nonce = null, $key = self::EXPORT_KEY ) {
		$timestamp = null === $timestamp ? time() : $timestamp;
		$nonce     = null === $nonce ? wp_generate_password( 24, false ) : $nonce;
		$request   = new WP_REST_Request( 'GET', self::ROUTE );
		$request->set_query_params( $query );
		$request->set_header( 'X-Bikri-Timestamp', (string) $timestamp );
		$request->set_header( 'X-Bikri-Nonce', $nonce );
		$request->set_header( 'X-Bikri-Signature', Bikri_Export_Route::sign( $key, 'GET', self::ROUTE, $query, (string) $timestamp, $nonce ) );
		return $request;
	}

	public function test_a_signed_request_gets_the_page() {
		$this->activate_locally();
		self::store_orders_in( 'posts' );
		$this->fill( array( 'posts' ) );
		$response = rest_do_request( $this->signed( array( 'limit' => '2', 'count' => '1' ) ) );
		$this->assertSame( 200, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( array( 900101, 900102 ), wp_list_pluck( $data['orders'], 'id' ) );
		$this->assertSame( array( 'after_id' => 900102 ), $data['next'] );
		$this->assertSame( 3, $data['total'], 'the trash is not counted' );
		$this->assertSame( 'no-store, private', $response->get_headers()['Cache-Control'] );
	}

	public function test_refusals_carry_no_data() {
		$this->activate_locally();
		$this->fill( array( 'posts' ) );
		$cases = array();

		$cases['no signature'] = new WP_REST_Request( 'GET', self::ROUTE );

		$cases['wrong key'] = $this->signed( array(), null, null, hash( 'sha256', 'someone-elses-token' ) );

		$tampered = $this->signed( array( 'limit' => '1' ) );
		$tampered->set_query_params( array( 'limit' => '500' ) );
		$cases['query changed after signing'] = $tampered;

		$cases['stale'] = $this->signed( array(), time() - 301 );
		$cases['from the future'] = $this->signed( array(), time() + 301 );

		$bad_nonce = $this->signed( array(), null, 'short' );
		$cases['malformed nonce'] = $bad_nonce;

		$nonce = 'replayed-nonce-0123456789';
		$first = rest_do_request( $this->signed( array(), null, $nonce ) );
		$this->assertSame( 200, $first->get_status() );
		$cases['replayed'] = $this->signed( array(), null, $nonce );

		foreach ( $cases as $what => $request ) {
			$response = rest_do_request( $request );
			$this->assertSame( 401, $response->get_status(), $what );
			$this->assertStringNotContainsString( '900101', wp_json_encode( $response->get_data() ), $what );
			$this->assertArrayNotHasKey( 'orders', (array) $response->get_data(), $what );
		}

		$this->plugin->license->clear();
		$this->assertSame( 401, rest_do_request( $this->signed( array() ) )->get_status(), 'a site without a token answers nobody' );
	}

	public function test_uninstall_removes_the_seen_nonces() {
		global $wpdb;
		$this->activate_locally();
		$this->assertSame( 200, rest_do_request( $this->signed( array() ) )->get_status() );
		set_transient( Bikri_Export_Route::NONCE_PREFIX . 'of-an-older-version', 1, 600 );
		$like = '%' . $wpdb->esc_like( Bikri_Export_Route::NONCE_PREFIX ) . '%';
		$this->assertSame( '3', $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s", $like ) ) );
		require_once WP_PLUGIN_DIR . '/bikri/includes/class-bikri-uninstaller.php';
		Bikri_Uninstaller::clean_site();
		$this->assertSame( '0', $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s", $like ) ) );
	}

	public function test_a_request_signed_with_the_token_hash_is_refused() {
		// The token's SHA-256 is what the service's database stores: it signed requests before
		// export keys, so a copy of that database could read every shop's orders.
		$this->activate_locally();
		$this->fill( array( 'posts' ) );
		$response = rest_do_request( $this->signed( array(), null, null, hash( 'sha256', 'site-token-123' ) ) );
		$this->assertSame( 401, $response->get_status() );
		$this->assertSame( 'bikri_signature_invalid', $response->get_data()['code'] );
		$this->assertArrayNotHasKey( 'orders', (array) $response->get_data() );
		$this->assertSame( 200, rest_do_request( $this->signed( array() ) )->get_status(), 'the export key signs' );
	}

	public function test_a_shop_active_before_export_keys_gets_its_key_from_the_config_pull() {
		$this->plugin->license->save_activation( 'site-token-123', array( 'status' => 'active' ), time() );
		update_option( Bikri_License::OPTION_SERVICE_URL, self::SERVICE, false );
		$this->fill( array( 'posts' ) );
		foreach ( array( hash( 'sha256', 'site-token-123' ), self::EXPORT_KEY ) as $key ) {
			$response = rest_do_request( $this->signed( array(), null, null, $key ) );
			$this->assertSame( 401, $response->get_status() );
			$this->assertSame( Bikri_Export_Route::KEY_MISSING, $response->get_data()['code'], 'said apart, so the service asks again soon' );
		}

		$this->service = static function ( $method, $path ) {
			$answer = self::checkout_config( 1, array( 'enabled' => false ) );
			$body   = json_decode( $answer['body'], true );
			$body['export_key'] = Bikri_Test_Case::EXPORT_KEY;
			$answer['body']     = wp_json_encode( $body );
			return $answer;
		};
		$this->assertTrue( $this->plugin->checkout->config->sync( $this->plugin->client, time() ) );
		$this->assertSame( self::EXPORT_KEY, $this->plugin->license->export_key() );
		$this->assertSame( 200, rest_do_request( $this->signed( array() ) )->get_status() );
		$this->assertSame( 401, rest_do_request( $this->signed( array(), null, null, hash( 'sha256', 'site-token-123' ) ) )->get_status() );

		// a malformed key in a later answer leaves the good one in place
		$this->assertFalse( $this->plugin->license->save_export_key( 'not-a-key' ) );
		$this->assertSame( self::EXPORT_KEY, $this->plugin->license->export_key() );
		$this->assertContains( Bikri_License::OPTION_EXPORT_KEY, Bikri_License::OPTIONS, 'uninstall removes it' );
	}

	public function test_two_racing_requests_with_one_nonce_get_one_answer() {
		// Request B arrives while request A is between deciding its nonce is unseen and
		// recording it: B runs whole inside A's first write that names the nonce.
		$this->activate_locally();
		$this->fill( array( 'posts' ) );
		$route   = $this->plugin->export_route;
		$nonce   = 'racing-nonce-0123456789';
		$request = $this->signed( array(), null, $nonce );
		$second  = null;
		$this->add_filter(
			'query',
			function ( $sql ) use ( $route, $request, &$second ) {
				if ( null === $second && preg_match( '/^\s*INSERT/i', $sql ) && false !== strpos( $sql, Bikri_Export_Route::NONCE_PREFIX ) ) {
					$second = false; // Not again inside B.
					$second = $route->check_signature( $request );
				}
				return $sql;
			}
		);
		$first = $route->check_signature( $request );
		$this->assertNotNull( $second, 'the second request ran inside the first one' );
		$answers = array( true === $first ? 'taken' : $first->get_error_code(), true === $second ? 'taken' : $second->get_error_code() );
		sort( $answers );
		$this->assertSame( array( 'bikri_signature_replayed', 'taken' ), $answers, 'exactly one of the two is answered' );
		// and a third, later, is refused too
		$this->assertSame( 'bikri_signature_replayed', $route->check_signature( $request )->get_error_code() );
	}

	public function test_expired_nonces_are_deleted_and_fresh_ones_kept() {
		global $wpdb;
		$now = time();
		$this->assertTrue( Bikri_Export_Route::take_nonce( 'old-nonce-0123456789', $now - 2000 ) );
		$this->assertTrue( Bikri_Export_Route::take_nonce( 'recent-nonce-0123456789', $now - 100 ) );
		$this->assertFalse( Bikri_Export_Route::take_nonce( 'recent-nonce-0123456789', $now ) );
		$this->assertTrue( Bikri_Export_Route::take_nonce( 'new-nonce-0123456789', $now ) );
		$names = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( Bikri_Export_Route::NONCE_PREFIX ) . '%' ) );
		sort( $names );
		$expected = array( Bikri_Export_Route::NONCE_PREFIX . md5( 'new-nonce-0123456789' ), Bikri_Export_Route::NONCE_PREFIX . md5( 'recent-nonce-0123456789' ) );
		sort( $expected );
		$this->assertSame( $expected, $names );
		$this->assertSame( 'no', $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", $expected[0] ) ) );
	}

	public function test_the_route_is_not_open_to_signed_in_administrators() {
		$this->activate_locally();
		$this->fill( array( 'posts' ) );
		$this->sign_in( 'administrator' );
		$this->assertSame( 401, rest_do_request( new WP_REST_Request( 'GET', self::ROUTE ) )->get_status() );
	}

	public function test_the_signature_is_the_one_the_service_computes() {
		// Same inputs as tests/sync/test_export.py::test_signature_matches_the_plugin.
		$this->assertSame(
			hash_hmac( 'sha256', "GET\n/bikri/v1/orders/export\nafter_id=5&limit=100&modified_after=2024-05-01%2010%3A00%3A00\n1714557600\nabcdefghijklmnop", hash( 'sha256', 'tok' ) ),
			Bikri_Export_Route::sign(
				hash( 'sha256', 'tok' ),
				'GET',
				'/bikri/v1/orders/export',
				array(
					'modified_after' => '2024-05-01 10:00:00',
					'limit'          => '100',
					'after_id'       => '5',
				),
				'1714557600',
				'abcdefghijklmnop'
			)
		);
	}
}
