<?php
/**
 * K1 storefront code and K2 ad tags: snippets printed where and on which pages they are meant,
 * escaped where they must be, refused to users without unfiltered_html, previewed, switched
 * off at once; the Pixel's events with WooCommerce's values, Purchase once per order with the
 * Conversions API's event_id, and the WP Consent API respected.
 *
 * @package Bikri
 */

if ( ! function_exists( 'wp_has_consent' ) ) {
	/**
	 * WP Consent API stand-in: the bikri_test_consent option says which categories are given
	 * (an array), or all or none (a boolean, as the click id tests set it).
	 *
	 * @param string $category Consent category.
	 * @return bool
	 */
	function wp_has_consent( $category ) {
		$given = get_option( 'bikri_test_consent', false );
		return is_array( $given ) ? in_array( $category, $given, true ) : (bool) $given;
	}
}

/**
 * Storefront code and tags tests.
 */
class Bikri_Storefront_Test extends Bikri_Test_Case {

	/**
	 * The plugin's printer (its hooks are the ones WordPress runs).
	 *
	 * @var Bikri_Storefront
	 */
	private $storefront;

	protected function setUp(): void {
		parent::setUp();
		$this->storefront = $this->plugin->storefront;
		$this->storefront->reset();
		update_option( 'bikri_test_consent', array( 'statistics', 'marketing' ) );
		$this->with_a_cart();
		WC_Product::$registered = array( 42 => new WC_Product( 42, 'Jamdani saree </script><script>alert(1)</script>', '2450.50' ) );
	}

	protected function tearDown(): void {
		WC_Product::$registered = array();
		$GLOBALS['wp_query']->queried_object_id = null;
		$GLOBALS['wp_query']->queried_object    = null;
		$this->storefront->reset();
		parent::tearDown();
	}

	/**
	 * Saves settings as the option holds them and forgets what the printer read.
	 *
	 * @param array $settings Settings.
	 */
	private function save( array $settings ) {
		update_option( Bikri_Storefront::OPTION, array_merge( Bikri_Storefront::normalise( array() ), $settings ) );
		$this->storefront->reset();
	}

	/**
	 * The page is of this kind for the rest of the test.
	 *
	 * @param string $kind product, checkout, thankyou or other.
	 */
	private function on( $kind ) {
		$this->add_filter( 'bikri_stand_in_is_product', static function () use ( $kind ) { return 'product' === $kind; } );
		$this->add_filter( 'woocommerce_is_checkout', static function () use ( $kind ) { return in_array( $kind, array( 'checkout', 'thankyou' ), true ); } );
		$this->add_filter( 'bikri_stand_in_is_order_received', static function () use ( $kind ) { return 'thankyou' === $kind; } );
		$this->storefront->reset();
	}

	/**
	 * The page is the product page of product 42 (the saree setUp registers).
	 */
	private function on_the_sarees_page() {
		$this->on( 'product' );
		$GLOBALS['wp_query']->queried_object_id = 42;
		$GLOBALS['wp_query']->queried_object    = (object) array( 'ID' => 42 );
	}

	/**
	 * What the three places print.
	 *
	 * @return array head, body, footer.
	 */
	private function page() {
		return array(
			'head'   => $this->output_of( array( $this->storefront, 'action_head' ) ),
			'body'   => $this->output_of( array( $this->storefront, 'action_body_open' ) ),
			'footer' => $this->output_of( array( $this->storefront, 'action_footer' ) ),
		);
	}

	/**
	 * What the three places print on an ordinary page (no product, no checkout) with these
	 * settings saved.
	 *
	 * @param array $settings Settings.
	 * @return array head, body, footer.
	 */
	private function page_with( array $settings ) {
		$this->save( $settings );
		$this->on( 'other' );
		return $this->page();
	}

	/**
	 * A user who may post unfiltered HTML (on a multisite only super admins may).
	 */
	private function sign_in_with_unfiltered_html() {
		$user = $this->sign_in( 'administrator' );
		if ( is_multisite() ) {
			grant_super_admin( $user->ID );
		}
		$this->assertTrue( current_user_can( 'unfiltered_html' ) );
		return $user;
	}

	/**
	 * An administrator without unfiltered_html, as on a multisite or with DISALLOW_UNFILTERED_HTML.
	 */
	private function sign_in_without_unfiltered_html() {
		$this->sign_in( 'administrator' );
		$this->add_filter(
			'map_meta_cap',
			static function ( $caps, $cap ) {
				return 'unfiltered_html' === $cap ? array( 'do_not_allow' ) : $caps;
			},
			10,
			2
		);
		$this->assertTrue( current_user_can( 'manage_options' ) );
		$this->assertFalse( current_user_can( 'unfiltered_html' ) );
	}

	/**
	 * Posts the settings form as the signed-in user; where it redirects.
	 *
	 * @param array  $fields The form's bikri[...] fields.
	 * @param string $do     save or preview.
	 * @return string
	 */
	private function post_form( array $fields, $do = 'save' ) {
		$_POST = array(
			'action'   => Bikri_Storefront_Page::ACTION,
			'_wpnonce' => wp_create_nonce( Bikri_Storefront_Page::ACTION ),
			'bikri'    => wp_slash( $fields ),
			'bikri_do' => $do,
		);
		$_REQUEST = $_POST;
		return $this->redirect_of( array( $this->plugin->storefront_page, 'handle_save' ) );
	}

	public function test_the_printer_is_hooked_where_each_snippet_belongs() {
		$this->assertSame( 1, has_action( 'wp_head', array( $this->storefront, 'action_head' ) ) );
		$this->assertSame( 1, has_action( 'wp_body_open', array( $this->storefront, 'action_body_open' ) ) );
		$this->assertSame( 20, has_action( 'wp_footer', array( $this->storefront, 'action_footer' ) ) );
	}

	public function test_snippets_print_in_their_places_as_saved() {
		$page = $this->page_with(
			array(
				'head_code'   => '<meta name="shop-verification" content="abc">',
				'body_code'   => '<div id="chat-widget"></div>',
				'footer_code' => '<script>window.shopFooter = 1 && 2 < 3;</script>',
			)
		);
		$this->assertStringContainsString( '<meta name="shop-verification" content="abc">', $page['head'] );
		$this->assertStringNotContainsString( 'chat-widget', $page['head'] . $page['footer'] );
		$this->assertStringContainsString( '<div id="chat-widget"></div>', $page['body'] );
		// the shop's own script, not escaped (it would not run if it were)
		$this->assertStringContainsString( '<script>window.shopFooter = 1 && 2 < 3;</script>', $page['footer'] );
		$this->assertStringNotContainsString( 'shopFooter', $page['head'] . $page['body'] );
	}

	public function test_a_snippet_prints_only_on_its_target_pages() {
		$this->save(
			array(
				'head_code'     => '<!-- product only -->',
				'head_target'   => 'product',
				'body_code'     => '<!-- checkout only -->',
				'body_target'   => 'checkout',
				'footer_code'   => '<!-- thanks only -->',
				'footer_target' => 'thankyou',
			)
		);
		$expected = array(
			'other'    => array( false, false, false ),
			'product'  => array( true, false, false ),
			'checkout' => array( false, true, false ),
			'thankyou' => array( false, false, true ),
		);
		foreach ( $expected as $kind => $printed ) {
			$this->on( $kind );
			$page = $this->page();
			$this->assertSame( $printed[0], false !== strpos( $page['head'], 'product only' ), $kind );
			$this->assertSame( $printed[1], false !== strpos( $page['body'], 'checkout only' ), $kind );
			$this->assertSame( $printed[2], false !== strpos( $page['footer'], 'thanks only' ), $kind );
		}
	}

	public function test_one_switch_turns_every_snippet_off_but_not_the_tags() {
		$page = $this->page_with(
			array(
				'snippets_off' => true,
				'head_code'    => '<script>broken(</script>',
				'footer_code'  => '<p>footer</p>',
				'pixel'        => '1234567890123456',
			)
		);
		$this->assertStringNotContainsString( 'broken(', implode( '', $page ) );
		$this->assertStringNotContainsString( '<p>footer</p>', implode( '', $page ) );
		$this->assertStringContainsString( "fbq('init','1234567890123456')", $page['head'] );
	}

	public function test_tags_print_by_their_ids_and_bad_ids_never_reach_the_page() {
		$page = $this->page_with(
			array(
				'gtm'     => 'GTM-AB12CD3',
				'ga4'     => 'G-XY12345678',
				'clarity' => 'k3j2h1g0fa',
				'pixel'   => '1234567890123456',
			)
		);
		$this->assertStringContainsString( "'dataLayer','GTM-AB12CD3'", $page['head'] );
		$this->assertStringContainsString( 'ns.html?id=GTM-AB12CD3', $page['body'] );
		$this->assertStringContainsString( 'gtag/js?id=G-XY12345678', $page['head'] );
		$this->assertStringContainsString( "gtag('config','G-XY12345678')", $page['head'] );
		$this->assertStringContainsString( '"script","k3j2h1g0fa"', $page['head'] );
		$this->assertStringContainsString( "fbq('init','1234567890123456');fbq('track','PageView')", $page['head'] );

		// an id someone slipped into the option by other means is not printed
		update_option(
			Bikri_Storefront::OPTION,
			array(
				'gtm'   => "GTM-X');alert(1);('",
				'pixel' => '123"></script><script>alert(1)</script>',
			)
		);
		$this->storefront->reset();
		$page = $this->page();
		$this->assertStringNotContainsString( 'alert', implode( '', $page ) );
		$this->assertStringNotContainsString( 'googletagmanager', implode( '', $page ) );
	}

	public function test_consent_api_keeps_tags_out_without_consent() {
		$this->save(
			array(
				'gtm'     => 'GTM-AB12CD3',
				'ga4'     => 'G-XY12345678',
				'clarity' => 'k3j2h1g0fa',
				'pixel'   => '1234567890123456',
			)
		);
		$this->on_the_sarees_page();
		update_option( 'bikri_test_consent', array( 'statistics' ) );
		$page = $this->page();
		$this->assertStringContainsString( 'GTM-AB12CD3', $page['head'] );
		$this->assertStringContainsString( 'clarity.ms', $page['head'] );
		$this->assertStringNotContainsString( 'fbq', implode( '', $page ) );

		update_option( 'bikri_test_consent', array( 'marketing' ) );
		$this->storefront->reset();
		$page = $this->page();
		$this->assertStringNotContainsString( 'googletagmanager', implode( '', $page ) );
		$this->assertStringNotContainsString( 'clarity.ms', $page['head'] );
		$this->assertStringContainsString( "fbq('init'", $page['head'] );
		$this->assertStringContainsString( 'fbq("track","ViewContent"', $page['footer'] );
	}

	public function test_view_content_carries_the_products_price_and_currency_escaped_for_script() {
		$this->save( array( 'pixel' => '1234567890123456' ) );
		$this->on_the_sarees_page();
		$footer = $this->output_of( array( $this->storefront, 'action_footer' ) );
		$event  = $this->storefront->events[0];
		$this->assertSame( 'ViewContent', $event['name'] );
		$this->assertSame( array( '42' ), $event['data']['content_ids'] );
		$this->assertSame( 2450.5, $event['data']['value'] );
		$this->assertSame( 'BDT', $event['data']['currency'] );
		$this->assertMatchesRegularExpression( '/^bikri-vc-42-/', $event['event_id'] );
		// the product's name cannot close the script
		$this->assertStringNotContainsString( '</script><script>alert', $footer );
		$this->assertStringContainsString( '\u003C\/script\u003E', $footer );
		$this->assertStringContainsString( '"eventID":"' . $event['event_id'] . '"', $footer );
	}

	public function test_add_to_cart_goes_out_on_the_next_page_or_in_the_ajax_fragments_once() {
		$this->save( array( 'pixel' => '1234567890123456' ) );
		$this->on( 'other' );
		do_action( 'woocommerce_add_to_cart', 'key1', 42, 2, 0, array(), array() );
		$footer = $this->output_of( array( $this->storefront, 'action_footer' ) );
		$this->assertStringContainsString( 'fbq("track","AddToCart",', $footer );
		$this->assertStringContainsString( '"value":4901', $footer );
		$this->assertStringNotContainsString( 'AddToCart', $this->output_of( array( $this->storefront, 'action_footer' ) ) );

		do_action( 'woocommerce_add_to_cart', 'key2', 42, 1, 0, array(), array() );
		$fragments = apply_filters( 'woocommerce_add_to_cart_fragments', array() );
		$this->assertStringContainsString( 'fbq("track","AddToCart",', $fragments['div.bikri-pixel-events'] );
		$this->assertStringNotContainsString( 'AddToCart', apply_filters( 'woocommerce_add_to_cart_fragments', array() )['div.bikri-pixel-events'] );
	}

	public function test_initiate_checkout_carries_the_cart_total() {
		$this->save( array( 'pixel' => '1234567890123456' ) );
		$this->on( 'checkout' );
		WC()->cart->cart_contents = array(
			'a' => array( 'product_id' => 42, 'quantity' => 2, 'line_total' => 4901, 'data' => new Bikri_Stand_In_Product( 'Saree' ) ),
			'b' => array( 'product_id' => 7, 'quantity' => 1, 'line_total' => 100, 'data' => new Bikri_Stand_In_Product( 'Bag' ) ),
		);
		WC()->cart->total = '5121.00';
		$this->output_of( array( $this->storefront, 'action_footer' ) );
		$event = $this->storefront->events[0];
		$this->assertSame( 'InitiateCheckout', $event['name'] );
		$this->assertSame( 5121.0, $event['data']['value'] );
		$this->assertSame( array( '42', '7' ), $event['data']['content_ids'] );
		$this->assertSame( 3, $event['data']['num_items'] );
		$this->assertSame( 'BDT', $event['data']['currency'] );
	}

	public function test_purchase_fires_once_per_order_with_the_conversions_api_event_id() {
		$this->save( array( 'pixel' => '1234567890123456' ) );
		$order = new WC_Order( 9001 );
		$order->set_total( '1350.00' );
		$order->set_currency( 'BDT' );
		$order->set_order_key( 'wc_order_abc123' );
		$order->save();
		$this->on( 'thankyou' );
		set_query_var( 'order-received', 9001 );

		$_GET   = array( 'key' => 'wrong' );
		$footer = $this->output_of( array( $this->storefront, 'action_footer' ) );
		$this->assertStringNotContainsString( 'Purchase', $footer );

		$_GET   = array( 'key' => 'wc_order_abc123' );
		$footer = $this->output_of( array( $this->storefront, 'action_footer' ) );
		$this->assertStringContainsString( 'fbq("track","Purchase",{"value":1350,"currency":"BDT"', $footer );
		$this->assertStringContainsString( '{"eventID":"bikri-9001"}', $footer );
		$this->assertSame( 'bikri-9001', Bikri_Storefront::purchase_event_id( 9001 ) );

		// the thank-you page reloaded: nothing again
		$this->storefront->reset();
		$this->assertStringNotContainsString( 'Purchase', $this->output_of( array( $this->storefront, 'action_footer' ) ) );
		set_query_var( 'order-received', 0 );
	}

	public function test_a_user_without_unfiltered_html_cannot_change_snippets() {
		$this->save( array( 'head_code' => '<!-- original -->' ) );
		$this->sign_in_without_unfiltered_html();
		try {
			$this->post_form( array( 'head_code' => '<script>evil()</script>', 'head_target' => 'all' ) );
			$this->fail( 'Expected a refusal.' );
		} catch ( Bikri_Test_Die $refused ) {
			$this->assertSame( 403, $refused->status );
		}
		$this->assertSame( '<!-- original -->', get_option( Bikri_Storefront::OPTION )['head_code'] );
		try {
			$this->post_form( array( 'head_code' => '<!-- original -->' ), 'preview' );
			$this->fail( 'Expected a refusal.' );
		} catch ( Bikri_Test_Die $refused ) {
			$this->assertSame( 403, $refused->status );
		}

		// the same user may change tag ids and switch the snippets off (that only removes code)
		$where = $this->post_form( array( 'head_code' => '<!-- original -->', 'snippets_off' => '1', 'pixel' => '1234567890123456' ) );
		$this->assertStringContainsString( 'bikri_notice=saved', $where );
		$saved = get_option( Bikri_Storefront::OPTION );
		$this->assertTrue( $saved['snippets_off'] );
		$this->assertSame( '1234567890123456', $saved['pixel'] );
	}

	public function test_editors_and_forged_requests_are_refused() {
		$this->sign_in( 'editor' );
		try {
			$this->post_form( array( 'pixel' => '1234567890123456' ) );
			$this->fail( 'Expected a refusal.' );
		} catch ( Bikri_Test_Die $refused ) {
			$this->assertSame( 403, $refused->status );
		}
		$this->sign_in_with_unfiltered_html();
		$_POST    = array( 'bikri' => array( 'pixel' => '1234567890123456' ), '_wpnonce' => 'forged' );
		$_REQUEST = $_POST;
		$this->expectException( Bikri_Test_Die::class );
		$this->plugin->storefront_page->handle_save();
	}

	public function test_saving_keeps_code_as_typed_and_refuses_malformed_ids() {
		$this->sign_in_with_unfiltered_html();
		$where = $this->post_form(
			array(
				'head_code'     => "<script>var a = \"it's\";</script>",
				'footer_target' => 'thankyou',
				'gtm'           => 'gtm-ab12cd3',
				'ga4'           => 'UA-12345-1',
			)
		);
		$this->assertStringContainsString( 'bikri_notice=bad_ids', $where );
		$saved = get_option( Bikri_Storefront::OPTION );
		$this->assertSame( "<script>var a = \"it's\";</script>", $saved['head_code'] );
		$this->assertSame( 'thankyou', $saved['footer_target'] );
		$this->assertSame( 'GTM-AB12CD3', $saved['gtm'] );
		$this->assertSame( '', $saved['ga4'] );
	}

	public function test_preview_shows_the_draft_only_to_its_editor() {
		$this->save( array( 'head_code' => '<!-- live -->' ) );
		$this->sign_in_with_unfiltered_html();
		$where = $this->post_form( array( 'head_code' => '<!-- draft -->' ), 'preview' );
		$this->assertSame( '<!-- live -->', get_option( Bikri_Storefront::OPTION )['head_code'] );
		parse_str( (string) wp_parse_url( $where, PHP_URL_QUERY ), $query );
		$this->assertArrayHasKey( Bikri_Storefront::PREVIEW_ARG, $query );
		$this->on( 'other' );

		$_GET = $query;
		$this->storefront->reset();
		$this->assertStringContainsString( '<!-- draft -->', $this->output_of( array( $this->storefront, 'action_head' ) ) );

		$_GET = array();
		$this->storefront->reset();
		$this->assertStringContainsString( '<!-- live -->', $this->output_of( array( $this->storefront, 'action_head' ) ) );

		// a visitor given the link sees the live code
		wp_set_current_user( 0 );
		$_GET = $query;
		$this->storefront->reset();
		$this->assertStringContainsString( '<!-- live -->', $this->output_of( array( $this->storefront, 'action_head' ) ) );
	}

	public function test_the_settings_page_escapes_what_it_shows_and_is_read_only_without_unfiltered_html() {
		$this->save( array( 'head_code' => '</textarea><script>alert(1)</script>' ) );
		$this->sign_in_without_unfiltered_html();
		$html = $this->output_of( array( $this->plugin->storefront_page, 'render' ) );
		$this->assertStringNotContainsString( '</textarea><script>alert(1)</script>', $html );
		$this->assertStringContainsString( '&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;', $html );
		$this->assertStringContainsString( 'readonly', $html );
		$this->assertStringNotContainsString( 'value="preview"', $html );
		$this->assertStringContainsString( 'name="_wpnonce"', $html );
	}

	public function test_a_page_view_never_calls_the_service() {
		$this->activate_locally();
		$this->save( array( 'pixel' => '1234567890123456', 'gtm' => 'GTM-AB12CD3', 'head_code' => '<!-- x -->' ) );
		$this->on( 'product' );
		$this->page();
		$this->assertSame( array(), $this->requests );
	}
}
