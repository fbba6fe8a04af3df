<?php
/**
 * D11: ad click ids from the landing URL reach the order's meta on both checkouts.
 *
 * @package Bikri
 */

/**
 * Click id capture tests.
 */
class Bikri_Click_Ids_Test extends Bikri_Test_Case {

	/**
	 * The plugin's own instance (its hooks are the ones WordPress runs).
	 *
	 * @var Bikri_Click_Ids
	 */
	private $click_ids;

	protected function setUp(): void {
		parent::setUp();
		$this->click_ids       = Bikri_Plugin::instance()->click_ids;
		$this->click_ids->sent = array();
		unset( $_COOKIE[ Bikri_Click_Ids::COOKIE ] );
		// Consent given, for when the consent stand-in below is defined (rolled back after each test).
		update_option( 'bikri_test_consent', 1 );
	}

	protected function tearDown(): void {
		unset( $_COOKIE[ Bikri_Click_Ids::COOKIE ] );
		parent::tearDown();
	}

	/**
	 * A storefront request for a URL with this query.
	 *
	 * @param array $query Query arguments.
	 */
	private function land( array $query ) {
		$_GET = $query;
		set_current_screen( 'front' );
		$this->click_ids->action_init();
	}

	public function test_a_landing_with_fbclid_is_remembered_and_lands_on_the_classic_order() {
		$this->land( array( 'fbclid' => 'IwAR2abc_DEF-123.x' ) );

		$this->assertSame( array( 'bikri_click' => 'fbclid:IwAR2abc_DEF-123.x' ), $this->click_ids->sent );

		$order = new WC_Order( 5001 );
		do_action( 'woocommerce_checkout_create_order', $order, array() );

		$this->assertSame( 'IwAR2abc_DEF-123.x', $order->get_meta( '_bikri_fbclid' ) );
		$this->assertSame( '', $order->get_meta( '_bikri_gclid' ) );
		// Saved by WooCommerce right after this hook, not by us.
		$this->assertArrayNotHasKey( 5001, WC_Order::$saved );
	}

	public function test_block_checkout_saves_the_draft_order_with_the_click_id() {
		$_COOKIE['bikri_click'] = 'gclid:Cj0KCQjw-abc_123';
		$order                  = new WC_Order( 5002 );

		do_action( 'woocommerce_store_api_checkout_update_order_meta', $order );

		$this->assertSame( 'Cj0KCQjw-abc_123', $order->get_meta( '_bikri_gclid' ) );
		$this->assertSame( $order, wc_get_order( 5002 ) );

		// The same draft updated again: nothing new, no second save.
		WC_Order::$saved = array();
		do_action( 'woocommerce_store_api_checkout_update_order_meta', $order );
		$this->assertSame( array(), WC_Order::$saved );
	}

	public function test_last_click_wins_across_networks() {
		$this->land( array( 'gclid' => 'first' ) );
		$this->land( array( 'ttclid' => 'E.C.P.second' ) );

		$this->assertSame( array( 'ttclid', 'E.C.P.second' ), Bikri_Click_Ids::current() );
		$order = new WC_Order( 5003 );
		$this->click_ids->action_classic_order( $order );
		$this->assertSame( 'E.C.P.second', $order->get_meta( '_bikri_ttclid' ) );
		$this->assertSame( '', $order->get_meta( '_bikri_gclid' ) );
	}

	public function test_the_same_click_again_sends_no_cookie_so_pages_stay_cacheable() {
		$_COOKIE['bikri_click'] = 'msclkid:0123abcdef';

		$this->land( array( 'msclkid' => '0123abcdef' ) );
		$this->land( array( 'utm_source' => 'facebook' ) );
		$this->land( array() );

		$this->assertSame( array(), $this->click_ids->sent );
	}

	public function test_values_are_sanitized_and_limited() {
		$this->assertSame( array( 'fbclid', 'abcscriptalert1script' ), Bikri_Click_Ids::from_query( array( 'fbclid' => 'abc<script>alert(1)</script>' ) ) );
		$this->assertNull( Bikri_Click_Ids::from_query( array( 'gclid' => str_repeat( 'a', 256 ) ) ) );
		$this->assertNull( Bikri_Click_Ids::from_query( array( 'gclid' => array( 'x' ) ) ) );
		$this->assertNull( Bikri_Click_Ids::from_query( array( 'fbclid' => '<>' ) ) );
		$this->assertSame( array( 'gclid', str_repeat( 'a', 255 ) ), Bikri_Click_Ids::from_query( array( 'gclid' => str_repeat( 'a', 255 ) ) ) );

		// A tampered cookie names no known parameter, or carries junk: ignored.
		$_COOKIE['bikri_click'] = 'evil:abc';
		$this->assertNull( Bikri_Click_Ids::current() );
		$_COOKIE['bikri_click'] = 'fbclid:';
		$this->assertNull( Bikri_Click_Ids::current() );
		$order = new WC_Order( 5004 );
		$this->assertFalse( Bikri_Click_Ids::add_to_order( $order ) );
	}

	public function test_admin_requests_and_missing_consent_set_nothing() {
		$_GET = array( 'fbclid' => 'IwAR' );
		set_current_screen( 'dashboard' );
		$this->click_ids->action_init();
		$this->assertSame( array(), $this->click_ids->sent );

		if ( ! function_exists( 'wp_has_consent' ) ) {
			/**
			 * WP Consent API stand-in: marketing consent as the bikri_test_consent option says.
			 *
			 * @param string $category Consent category.
			 * @return bool
			 */
			function wp_has_consent( $category ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found
				return (bool) get_option( 'bikri_test_consent', false );
			}
		}
		update_option( 'bikri_test_consent', 0 );
		$this->land( array( 'fbclid' => 'IwAR' ) );
		$this->assertSame( array(), $this->click_ids->sent );
		update_option( 'bikri_test_consent', 1 );
		$this->land( array( 'fbclid' => 'IwAR' ) );
		$this->assertSame( array( 'bikri_click' => 'fbclid:IwAR' ), $this->click_ids->sent );
	}
}
