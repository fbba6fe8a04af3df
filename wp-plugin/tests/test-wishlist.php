<?php
/**
 * The wishlist (U3) on the storefront: the heart on a classic product page and under a list's
 * products (no call to the service while the page is built; the script deferred), the block
 * themes' blocks (the All Products block only loads the script, which draws its hearts), a
 * signed-in shopper's toggle and merge (capability and nonce checked, the change queued for the
 * service), the SMS alert opt-in, and the My Account tab.
 *
 * @package Bikri
 */

/**
 * Wishlist tests.
 */
class Bikri_Wishlist_Test extends Bikri_Test_Case {

	/**
	 * The wishlist under test.
	 *
	 * @var Bikri_Wishlist
	 */
	private $wishlist;

	protected function setUp(): void {
		parent::setUp();
		$this->activate_with_checkout_copy( array( 'wishlist_alerts' => false ) );
		$this->wishlist         = $this->plugin->wishlist;
		$_SERVER['REMOTE_ADDR'] = '203.0.113.20';
		$this->answer_as_admin_ajax();
	}

	protected function tearDown(): void {
		unset( $GLOBALS['product'] );
		WC_Product::$registered = array();
		parent::tearDown();
	}

	/**
	 * A product post, registered with the WC_Product stand-in and made the page's product.
	 *
	 * @param string $name  Name.
	 * @param string $price Price.
	 * @return int
	 */
	private function product( $name = 'Jamdani saree', $price = '2450.50' ) {
		$id = wp_insert_post(
			array(
				'post_type'   => 'product',
				'post_status' => 'publish',
				'post_title'  => $name,
			)
		);
		WC_Product::$registered[ $id ] = new WC_Product( $id, $name, $price );
		$GLOBALS['product']            = WC_Product::$registered[ $id ];
		return $id;
	}

	/**
	 * Calls a handler of the wishlist as admin-ajax.php would; returns the JSON it sent.
	 *
	 * @param string $method Handler method.
	 * @param array  $post   Posted fields.
	 * @param bool   $nonce  Whether to send a valid nonce.
	 * @return array
	 */
	private function ajax( $method, array $post, $nonce = true ) {
		return $this->call_ajax( array( $this->wishlist, $method ), $post, $nonce ? Bikri_Wishlist::NONCE : null );
	}

	public function test_classic_product_page_shows_one_heart_with_a_deferred_script_and_no_remote_call() {
		$id   = $this->product();
		$html = $this->output_of(
			static function () {
				do_action( 'woocommerce_after_add_to_cart_button' );
				do_action( 'woocommerce_single_product_summary' ); // The summary's fallback: printed already.
			}
		);
		$this->assertSame( 1, substr_count( $html, 'class="bikri-heart' ), $html );
		$this->assertStringContainsString( 'data-product="' . $id . '" aria-pressed="false"', $html );
		$this->assertStringContainsString( 'aria-label="Save to wishlist"', $html );
		$this->assertStringNotContainsString( 'bikri-wishlist-alert', $html, 'no SMS box while the shop sends no alerts' );
		$this->assertTrue( wp_script_is( 'bikri-wishlist', 'enqueued' ) );
		$tag = apply_filters( 'script_loader_tag', '<script src="wishlist.js" id="bikri-wishlist-js"></script>', 'bikri-wishlist', 'wishlist.js' );
		$this->assertStringContainsString( ' defer ', $tag, 'nothing blocks the page while it loads' );
		$this->assertSame( 1, wp_scripts()->get_data( 'bikri-wishlist', 'group' ), 'in the footer' );
		$this->assertSame( array(), $this->requests, 'a page view never calls the service' );
		$this->assertSame( array(), $this->plugin->sync->pending(), 'nor queues anything' );
	}

	public function test_an_out_of_stock_product_gets_its_heart_and_alert_box_in_the_summary() {
		$this->activate_with_checkout_copy( array( 'wishlist_alerts' => true ) );
		$id   = $this->product();
		$html = $this->output_of_action( 'woocommerce_single_product_summary' );
		$this->assertStringContainsString( 'data-product="' . $id . '"', $html );
		$this->assertStringContainsString( 'class="bikri-wishlist-alert" data-product="' . $id . '"', $html );
		$this->assertStringNotContainsString( '<form', $html, 'it may sit inside the add-to-cart form' );
	}

	public function test_list_hearts_and_block_theme_blocks() {
		$id   = $this->product( 'Panjabi', '1800' );
		$html = $this->output_of_action( 'woocommerce_after_shop_loop_item' );
		$this->assertStringContainsString( 'bikri-heart-loop" data-product="' . $id . '"', $html );

		$other  = $this->product( 'Lungi', '500' );
		$button = apply_filters( 'render_block', '<div class="wc-block-components-product-button"></div>', array( 'blockName' => 'woocommerce/product-button', 'attrs' => array() ), (object) array( 'context' => array( 'postId' => $other ) ) );
		$this->assertStringContainsString( 'data-product="' . $other . '"', $button );
		$form = apply_filters( 'render_block', '<form class="cart"></form>', array( 'blockName' => 'woocommerce/add-to-cart-form', 'attrs' => array() ), (object) array( 'context' => array( 'postId' => $other ) ) );
		$this->assertStringContainsString( 'bikri-heart-single" data-product="' . $other . '"', $form );
		$this->assertSame( '<p>x</p>', apply_filters( 'render_block', '<p>x</p>', array( 'blockName' => 'core/paragraph', 'attrs' => array() ), null ) );
	}

	public function test_an_all_products_block_loads_the_script_with_its_listener_and_no_other_block_does() {
		$GLOBALS['wp_scripts'] = null; // A page of its own: nothing enqueued by the tests before.
		$GLOBALS['wp_styles']  = null;
		$user                  = $this->sign_in( 'subscriber' );
		$wished                = $this->product( 'Saree' );
		$this->wishlist->set( $user->ID, array( $wished ), true );
		$this->plugin->sync->clear();
		unset( $GLOBALS['product'] );

		// A page without the block: a paragraph and a Product Collection without its button.
		do_blocks( '<!-- wp:paragraph --><p>Eid sale</p><!-- /wp:paragraph --><!-- wp:woocommerce/product-collection --><div class="wp-block-woocommerce-product-collection"></div><!-- /wp:woocommerce/product-collection -->' );
		$this->assertFalse( wp_script_is( 'bikri-wishlist', 'enqueued' ), 'no heart, no script' );

		// The block as WooCommerce saves it (twice on the page): its HTML untouched, the script loaded once.
		$saved = '<!-- wp:woocommerce/all-products {"columns":2,"rows":2} --><div class="wp-block-woocommerce-all-products wc-block-all-products" data-attributes="{&quot;columns&quot;:2,&quot;rows&quot;:2}"></div><!-- /wp:woocommerce/all-products -->';
		$html  = do_blocks( $saved . $saved );
		$this->assertStringNotContainsString( 'bikri-heart', $html, 'the block draws its products, and the script their hearts' );
		$this->assertSame( 2, substr_count( $html, 'wc-block-all-products' ) );
		$this->assertTrue( wp_script_is( 'bikri-wishlist', 'enqueued' ) );
		$this->assertSame( 1, wp_scripts()->get_data( 'bikri-wishlist', 'group' ), 'in the footer' );
		$this->assertSame( array( Bikri_Wishlist::ALL_PRODUCTS_LISTENER ), array_values( array_filter( (array) wp_scripts()->get_data( 'bikri-wishlist', 'before' ) ) ), 'listening once, before the block can fire' );
		$this->assertStringContainsString( 'experimental__woocommerce_blocks-product-list-render', Bikri_Wishlist::ALL_PRODUCTS_LISTENER );
		$data = wp_scripts()->get_data( 'bikri-wishlist', 'data' );
		$this->assertStringContainsString( '"wished":["' . $wished . '"]', $data, 'the hearts the script draws know the account' );
		$this->assertStringContainsString( '"save":"Save to wishlist"', $data );
		$this->assertStringContainsString( '"nonce":"', $data );
		$this->assertTrue( wp_style_is( 'bikri-wishlist', 'enqueued' ) );
		$this->assertSame( array(), $this->requests, 'a page view never calls the service' );
		$this->assertSame( array(), $this->plugin->sync->pending() );

		// A guest's page: no account list (the browser keeps theirs).
		$GLOBALS['wp_scripts'] = null;
		wp_set_current_user( 0 );
		do_blocks( $saved );
		$this->assertStringContainsString( '"wished":[]', wp_scripts()->get_data( 'bikri-wishlist', 'data' ) );

		// Without an active license: nothing.
		$GLOBALS['wp_scripts'] = null;
		$this->plugin->license->clear();
		$this->assertSame( do_blocks( $saved ), do_blocks( $saved ) );
		$this->assertFalse( wp_script_is( 'bikri-wishlist', 'enqueued' ) );
		$GLOBALS['wp_scripts'] = null;
		$GLOBALS['wp_styles']  = null;
	}

	public function test_no_heart_without_an_active_license() {
		$this->plugin->license->clear();
		$this->product();
		$html = $this->output_of_action( 'woocommerce_after_add_to_cart_button' );
		$this->assertSame( '', $html );
	}

	public function test_a_signed_in_shopper_toggles_a_heart_and_the_change_is_queued_for_the_service() {
		$user = $this->sign_in( 'subscriber' );
		update_user_meta( $user->ID, 'billing_phone', '01711-234567' );
		$id = $this->product();

		$answer = $this->ajax( 'handle_toggle', array( 'product' => $id, 'wished' => '1' ) );
		$this->assertTrue( $answer['success'] );
		$this->assertArrayHasKey( $id, $this->wishlist->wishes( $user->ID ) );
		$this->assertSame( array(), $this->requests, 'nothing remote before the response' );
		$pending = $this->plugin->sync->pending();
		$this->assertCount( 1, $pending );
		$this->assertSame( array( 'wishlist', 'added', $id, $user->ID, '+8801711234567', $user->user_email ), array( $pending[0]['stream'], $pending[0]['type'], $pending[0]['product_id'], $pending[0]['user_id'], $pending[0]['phone'], $pending[0]['email'] ) );

		// The heart now shows pressed, server side.
		$html = $this->wishlist->heart( $id, 'bikri-heart-single' );
		$this->assertStringContainsString( 'aria-pressed="true"', $html );

		// The worker sends it to the wishlist's route.
		$received      = array();
		$this->service = function ( $method, $path, $body ) use ( &$received ) {
			$received[ $path ][] = $body['events'];
			return self::events_response(
				200,
				$body['events'],
				static function () {
					return array( 'status' => 'applied' );
				}
			);
		};
		$this->ajax( 'handle_toggle', array( 'product' => $id, 'wished' => '0' ) );
		$this->plugin->sync->flush();
		$this->plugin->sync->run( time() );
		$sent = $received['/api/v1/wishlist/events'][0];
		$this->assertSame( array( 'removed' ), array_column( $sent, 'type' ), 'the latest of one request' );
		$this->assertSame( array( 'idempotency_key', 'type', 'product_id', 'variation_id', 'user_id', 'version', 'email', 'phone' ), array_keys( $sent[0] ) );
		$this->assertSame( 0, $this->plugin->sync->queue->count() );
		$this->assertArrayNotHasKey( $id, $this->wishlist->wishes( $user->ID ) );
	}

	public function test_toggle_refuses_guests_bad_nonces_and_non_products() {
		$id     = $this->product();
		$answer = $this->ajax( 'handle_toggle', array( 'product' => $id, 'wished' => '1' ) );
		$this->assertFalse( $answer['success'], 'a guest keeps the wishlist in the browser' );
		$user = $this->sign_in( 'subscriber' );
		$this->assertFalse( $this->ajax( 'handle_toggle', array( 'product' => $id, 'wished' => '1' ), false )['success'] );
		$this->assertSame( array(), $this->wishlist->wishes( $user->ID ), 'refused without the nonce' );
		$post   = wp_insert_post( array( 'post_type' => 'post', 'post_status' => 'publish', 'post_title' => 'A post' ) );
		$answer = $this->ajax( 'handle_toggle', array( 'product' => $post, 'wished' => '1' ) );
		$this->assertFalse( $answer['success'] );
		$this->assertSame( array(), $this->plugin->sync->pending() );
	}

	public function test_a_guests_browser_list_is_merged_at_sign_in() {
		$user  = $this->sign_in( 'subscriber' );
		$first = $this->product( 'Saree' );
		$again = $this->product( 'Panjabi' );
		$this->wishlist->set( $user->ID, array( $again ), true );
		$this->plugin->sync->clear();
		$answer = $this->ajax( 'handle_merge', array( 'products' => $first . ',' . $again . ',999999999,abc' ) );
		$this->assertTrue( $answer['success'] );
		$this->assertEqualsCanonicalizing( array( $first, $again ), $answer['data']['products'] );
		$this->assertSame( array( $first ), array_column( $this->plugin->sync->pending(), 'product_id' ), 'only what is new is sent' );
	}

	public function test_alert_opt_in_needs_the_shops_alerts_a_phone_and_is_capped() {
		$id     = $this->product();
		$answer = $this->ajax( 'handle_alert', array( 'product' => $id, 'phone' => '01711234567' ) );
		$this->assertFalse( $answer['success'], 'the shop sends no alerts' );
		$this->activate_with_checkout_copy( array( 'wishlist_alerts' => true ) );
		$answer = $this->ajax( 'handle_alert', array( 'product' => $id, 'phone' => '12345' ) );
		$this->assertFalse( $answer['success'] );
		for ( $i = 0; $i < Bikri_Wishlist::ALERTS_PER_HOUR; $i++ ) {
			$this->assertTrue( $this->ajax( 'handle_alert', array( 'product' => $id, 'phone' => '০১৭১১২৩৪৫৬৭' ) )['success'] );
		}
		$this->assertFalse( $this->ajax( 'handle_alert', array( 'product' => $id, 'phone' => '01711234567' ) )['success'], 'capped per visitor' );
		$pending = $this->plugin->sync->pending();
		$this->assertCount( 1, $pending, 'one subscription per phone and product' );
		$this->assertSame( array( 'subscribed', '+8801711234567', 0 ), array( $pending[0]['type'], $pending[0]['phone'], $pending[0]['user_id'] ) );
	}

	public function test_my_account_has_a_wishlist_tab_listing_the_products() {
		$user = $this->sign_in( 'subscriber' );
		$id   = $this->product( 'Jamdani <saree>', '2450.50' );
		$this->wishlist->set( $user->ID, array( $id ), true );

		$items = apply_filters(
			'woocommerce_account_menu_items',
			array(
				'dashboard'       => 'Dashboard',
				'orders'          => 'Orders',
				'customer-logout' => 'Log out',
			)
		);
		$this->assertSame( array( 'dashboard', 'orders', Bikri_Wishlist::ENDPOINT, 'customer-logout' ), array_keys( $items ) );
		$this->assertSame( 'Wishlist', $items[ Bikri_Wishlist::ENDPOINT ] );
		$this->assertArrayHasKey( Bikri_Wishlist::ENDPOINT, apply_filters( 'woocommerce_get_query_vars', array() ) );

		$html = $this->output_of_action( 'woocommerce_account_' . Bikri_Wishlist::ENDPOINT . '_endpoint' );
		$this->assertStringContainsString( 'Jamdani &lt;saree&gt;', $html, 'escaped' );
		$this->assertStringContainsString( esc_url( get_permalink( $id ) ), $html );
		$this->assertStringContainsString( 'aria-pressed="true"', $html );

		$this->wishlist->set( $user->ID, array( $id ), false );
		$html = $this->output_of_action( 'woocommerce_account_' . Bikri_Wishlist::ENDPOINT . '_endpoint' );
		$this->assertStringContainsString( 'bikri-wishlist-empty', $html );
	}

	public function test_uninstall_removes_every_shoppers_wishlist() {
		$user = $this->sign_in( 'subscriber' );
		$this->wishlist->set( $user->ID, array( $this->product() ), true );
		Bikri_Uninstaller::clean_site();
		$this->assertSame( '', get_user_meta( $user->ID, Bikri_Wishlist::META, true ) );
	}
}
