<?php
/**
 * The Bikri menu, the license gate in front of its pages, and the iframe (P4, P7, T1).
 *
 * @package Bikri
 */

/**
 * Embedded page tests.
 */
class Bikri_Embedded_Pages_Test extends Bikri_Test_Case {

	const HOME_HOOK = 'load-toplevel_page_bikri';

	/**
	 * A service that hands out tickets and reports the license active.
	 *
	 * @param string $url           The ticket URL to answer with.
	 * @param mixed  $pages_by_role The pages each role may open, for the ticket answer to carry
	 *                              (null: none, as services before the table answered).
	 * @return callable
	 */
	private static function ticket_service( $url, $pages_by_role = null ) {
		return static function ( $method, $path ) use ( $url, $pages_by_role ) {
			if ( 'POST' === $method && '/api/v1/embed/tickets' === $path ) {
				$ticket = array(
					'url'        => $url,
					'expires_in' => 60,
				);
				if ( null !== $pages_by_role ) {
					$ticket['pages_by_role'] = $pages_by_role;
				}
				return self::response( 201, $ticket );
			}
			if ( 'GET' === $method && '/api/v1/license' === $path ) {
				return self::response( 200, array( 'status' => 'active' ) );
			}
			return self::response( 404 );
		};
	}

	/**
	 * The table of pages per role the service sends with each ticket (as backend/embed/roles.py
	 * has it: staff open Home, Dashboard and Orders; managers all but checkout protection).
	 */
	const PAGES_BY_ROLE = array(
		'administrator' => array( 'home', 'dashboard', 'orders', 'sms', 'checkout', 'blacklist', 'otp-report', 'couriers', 'abandoned', 'customers', 'campaigns', 'ads' ),
		'shop_manager'  => array( 'home', 'dashboard', 'orders', 'sms', 'blacklist', 'otp-report', 'couriers', 'abandoned', 'customers', 'campaigns' ),
		'*'             => array( 'home', 'dashboard', 'orders', 'customers' ),
	);

	/**
	 * Slugs of the Bikri submenu as the signed-in user sees it.
	 *
	 * @return string[]
	 */
	private function menu_slugs() {
		$this->build_menu();
		return array_values( wp_list_pluck( isset( $GLOBALS['submenu']['bikri'] ) ? $GLOBALS['submenu']['bikri'] : array(), 2 ) );
	}

	/**
	 * Whether wp-admin would open admin.php?page=$slug for the signed-in user (after build_menu).
	 *
	 * @param string $slug Admin page slug.
	 * @return bool
	 */
	private static function reachable( $slug ) {
		return isset( $GLOBALS['_registered_pages'][ get_plugin_page_hookname( $slug, 'bikri' ) ] )
			|| isset( $GLOBALS['_registered_pages'][ get_plugin_page_hookname( $slug, '' ) ] );
	}

	public function test_menu_lists_the_service_pages_and_license() {
		update_option( Bikri_Access::OPTION_PAGES, self::PAGES_BY_ROLE );
		$this->sign_in( 'administrator' );

		$slugs = $this->menu_slugs();
		$this->assertSame( array( 'bikri', 'bikri-dashboard', 'bikri-orders', 'bikri-sms', 'bikri-checkout', 'bikri-blacklist', 'bikri-otp-report', 'bikri-couriers', 'bikri-abandoned', 'bikri-customers', 'bikri-campaigns', 'bikri-ads', 'bikri-license' ), $slugs );
		// every service page needs bikri_view (the service decides what each role may do); the License page needs manage_options
		$caps = wp_list_pluck( $GLOBALS['submenu']['bikri'], 1 );
		$this->assertSame( array_merge( array_fill( 0, count( $slugs ) - 1, 'bikri_view' ), array( 'manage_options' ) ), array_values( $caps ) );
	}

	public function test_staff_and_managers_get_only_their_pages() {
		update_option( Bikri_Access::OPTION_PAGES, self::PAGES_BY_ROLE );
		add_role( 'order_clerk', 'Order clerk', array( 'read' => true, 'edit_shop_orders' => true ) );
		try {
			$this->sign_in( 'order_clerk' );
			$this->assertSame( array( 'bikri', 'bikri-dashboard', 'bikri-orders', 'bikri-customers' ), $this->menu_slugs() );
			// not only unlisted: wp-admin will not open them for this role
			$this->assertFalse( self::reachable( 'bikri-sms' ) );
			$this->assertFalse( self::reachable( 'bikri-checkout' ) );
			$this->assertTrue( self::reachable( 'bikri-orders' ) );

			$this->sign_in( 'shop_manager' );
			$this->assertSame( array( 'bikri', 'bikri-dashboard', 'bikri-orders', 'bikri-sms', 'bikri-blacklist', 'bikri-otp-report', 'bikri-couriers', 'bikri-abandoned', 'bikri-customers', 'bikri-campaigns' ), $this->menu_slugs() );
			$this->assertFalse( self::reachable( 'bikri-checkout' ) );
		} finally {
			remove_role( 'order_clerk' );
		}
	}

	public function test_without_the_services_word_the_menu_shows_home_and_license_only() {
		delete_option( Bikri_Access::OPTION_PAGES );
		$this->sign_in( 'administrator' );
		$this->assertSame( array( 'bikri', 'bikri-license' ), $this->menu_slugs() );
		// links (a bookmark, the service's own) still open, so the service can answer and its
		// ticket answer fill in the menu
		$this->assertTrue( self::reachable( 'bikri-orders' ) );

		$this->sign_in( 'shop_manager' );
		$this->assertSame( array( 'bikri' ), $this->menu_slugs() );

		// a copy that names neither the role nor the others is no word either
		update_option( Bikri_Access::OPTION_PAGES, array( 'administrator' => self::PAGES_BY_ROLE['administrator'] ) );
		$this->assertSame( array( 'bikri' ), $this->menu_slugs() );
	}

	public function test_the_ticket_answer_fills_the_menu_and_later_views_ask_nothing() {
		delete_option( Bikri_Access::OPTION_PAGES );
		$this->activate_locally();
		$this->service = self::ticket_service( 'http://localhost:5000/embed/home?ticket=t', self::PAGES_BY_ROLE );
		add_role( 'order_clerk', 'Order clerk', array( 'read' => true, 'edit_shop_orders' => true ) );
		try {
			$this->sign_in( 'order_clerk' );
			$this->assertSame( array( 'bikri' ), $this->menu_slugs() );
			do_action( self::HOME_HOOK );
			$this->assertCount( 1, $this->requests_to( '/api/v1/embed/tickets' ) );
			$this->assertSame( self::PAGES_BY_ROLE, get_option( Bikri_Access::OPTION_PAGES ) );

			// the next admin page views build the menu from the copy: no call to the service
			$this->requests = array();
			$this->assertSame( array( 'bikri', 'bikri-dashboard', 'bikri-orders', 'bikri-customers' ), $this->menu_slugs() );
			$this->sign_in( 'administrator' );
			$this->assertCount( 13, $this->menu_slugs() );
			$this->assertSame( array(), $this->requests );
		} finally {
			remove_role( 'order_clerk' );
		}
	}

	public function test_a_new_answer_replaces_the_copy_and_a_malformed_one_is_ignored() {
		$this->activate_locally();
		update_option( Bikri_Access::OPTION_PAGES, self::PAGES_BY_ROLE );
		$this->sign_in( 'shop_manager' );

		// the service took the SMS page from managers: the next ticket says so
		$table                 = self::PAGES_BY_ROLE;
		$table['shop_manager'] = array( 'home', 'orders', 'made-up-page' );
		$this->service         = self::ticket_service( 'http://localhost:5000/embed/home?ticket=t', $table );
		$this->menu_slugs();
		do_action( self::HOME_HOOK );
		$this->assertSame( array( 'bikri', 'bikri-orders' ), $this->menu_slugs(), 'unknown page names are dropped' );

		foreach ( array( 'not a table', array(), array( '<b>' => array( 'home' ) ), array( 'shop_manager' => 'home' ) ) as $bad ) {
			$this->service = self::ticket_service( 'http://localhost:5000/embed/home?ticket=t', $bad );
			do_action( self::HOME_HOOK );
			$this->assertSame( array( 'bikri', 'bikri-orders' ), $this->menu_slugs(), wp_json_encode( $bad ) );
		}
	}

	public function test_page_redirects_to_license_page_without_a_license() {
		$this->sign_in( 'administrator' );
		$this->build_menu();

		$location = $this->redirect_of(
			static function () {
				do_action( self::HOME_HOOK );
			}
		);
		$this->assertSame( admin_url( 'admin.php?page=bikri-license' ), $location );
		$this->assertSame( array(), $this->requests, 'no token, so nothing to ask the service' );
	}

	public function test_staff_are_told_whom_to_ask_instead_of_a_redirect() {
		$this->sign_in( 'shop_manager' );
		$this->build_menu();

		do_action( self::HOME_HOOK );
		$html = $this->output_of( array( $this->plugin->embedded_pages, 'render' ) );

		$this->assertStringContainsString( 'Ask a site administrator to enter the license key.', $html );
		$this->assertStringNotContainsString( '<iframe', $html );
		$this->assertStringNotContainsString( 'page=bikri-license', $html, 'staff cannot open the License page' );
	}

	public function test_page_redirects_when_the_license_is_not_active() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		update_option( Bikri_License::OPTION_LICENSE, array( 'status' => 'expired' ) );
		$this->service = static function () {
			return self::error_response( 403, 'license_inactive', 'License expired.' );
		};
		$this->build_menu();

		$location = $this->redirect_of(
			static function () {
				do_action( self::HOME_HOOK );
			}
		);
		$this->assertSame( Bikri_License_Page::url(), $location );
		$this->assertCount( 1, $this->requests_to( '/api/v1/license' ), 'an inactive license is re-checked at once' );
		$this->assertCount( 0, $this->requests_to( '/api/v1/embed/tickets' ) );
	}

	public function test_home_alias_goes_to_the_canonical_slug() {
		$this->sign_in( 'administrator' );
		$this->build_menu();
		$hook = get_plugin_page_hookname( 'bikri-home', '' );

		$location = $this->redirect_of(
			static function () use ( $hook ) {
				do_action( 'load-' . $hook );
			}
		);
		$this->assertSame( admin_url( 'admin.php?page=bikri' ), $location );
		$this->assertSame( 'bikri', Bikri_Embedded_Pages::slug_for( 'home' ) );
		$this->assertSame( 'bikri-orders', Bikri_Embedded_Pages::slug_for( 'orders' ) );
	}

	public function test_ticket_request_carries_user_role_page_and_iframe_is_escaped() {
		$user = $this->sign_in( 'shop_manager' );
		update_user_meta( $user->ID, 'locale', 'bn_BD' );
		$this->activate_locally();
		$this->service = self::ticket_service( 'http://localhost:5000/embed/home?ticket=a"b<script>x</script>&lang=bn' );
		$this->build_menu();

		do_action( self::HOME_HOOK );

		$tickets = $this->requests_to( '/api/v1/embed/tickets' );
		$this->assertCount( 1, $tickets );
		list( $url, $args, $body ) = $tickets[0];
		$this->assertSame( self::SERVICE . '/api/v1/embed/tickets', $url );
		$this->assertSame( 'POST', $args['method'] );
		$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );
		$this->assertSame( 'application/json', $args['headers']['Content-Type'] );
		$this->assertSame(
			array(
				'wp_user_id'   => $user->ID,
				'display_name' => 'Rahim Uddin (রহিম)',
				'role'         => 'shop_manager',
				'roles'        => array( 'shop_manager' ),
				'page'         => 'home',
				'locale'       => 'bn_BD',
				'admin_url'    => admin_url( 'admin.php' ),
			),
			$body
		);

		$html = $this->output_of( array( $this->plugin->embedded_pages, 'render' ) );
		$this->assertStringContainsString( '<iframe class="bikri-frame" src="http://localhost:5000/embed/home?ticket=abscriptx/script&#038;lang=bn"', $html );
		$this->assertStringNotContainsString( '<script', $html );
		set_current_screen( 'toplevel_page_bikri' );
		$this->assertStringContainsString( 'bikri-embedded', apply_filters( 'admin_body_class', '' ) );
	}

	public function test_the_help_page_opens_at_the_topic_of_the_question_mark() {
		update_option( Bikri_Access::OPTION_PAGES, array( 'administrator' => array( 'home', 'orders', 'help' ), '*' => array( 'home', 'help' ) ) );
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = self::ticket_service( 'http://localhost:5000/embed/help?ticket=t' );
		$this->assertContains( 'bikri-help', $this->menu_slugs() );
		$help_hook = 'load-' . get_plugin_page_hookname( 'bikri-help', 'bikri' );

		$_GET['topic'] = 'couriers';
		try {
			do_action( $help_hook );
			$html = $this->output_of( array( $this->plugin->embedded_pages, 'render' ) );
			$this->assertStringContainsString( 'src="http://localhost:5000/embed/help?ticket=t&#038;topic=couriers"', $html );
			$tickets = $this->requests_to( '/api/v1/embed/tickets' );
			$this->assertSame( 'help', $tickets[0][2]['page'] );

			// only a page name passes on
			$_GET['topic'] = '"><script>alert(1)</script>';
			do_action( $help_hook );
			$html = $this->output_of( array( $this->plugin->embedded_pages, 'render' ) );
			$this->assertStringContainsString( 'src="http://localhost:5000/embed/help?ticket=t&#038;topic=scriptalert1script"', $html );
			$this->assertStringNotContainsString( '<script', $html );

			// another page never takes a topic
			$this->service = self::ticket_service( 'http://localhost:5000/embed/orders?ticket=t' );
			$_GET['topic'] = 'couriers';
			do_action( 'load-' . get_plugin_page_hookname( 'bikri-orders', 'bikri' ) );
			$html = $this->output_of( array( $this->plugin->embedded_pages, 'render' ) );
			$this->assertStringContainsString( 'src="http://localhost:5000/embed/orders?ticket=t"', $html );
		} finally {
			unset( $_GET['topic'] );
		}
	}

	public function test_role_is_the_first_wordpress_role() {
		$admin = $this->sign_in( 'administrator' );
		$this->assertSame( 'administrator', Bikri_Access::role_of( $admin ) );
		$editor = $this->sign_in( 'editor' );
		$this->assertSame( 'editor', Bikri_Access::role_of( $editor ) );
		$editor->set_role( '' );
		$this->assertSame( 'none', Bikri_Access::role_of( $editor ) );
	}

	public function test_all_roles_are_sent_and_the_menu_is_the_union_of_their_pages() {
		add_role( 'order_caller', 'Order caller', array( 'read' => true, 'edit_shop_orders' => true ) );
		try {
			$user = $this->sign_in( 'subscriber' );
			$user->add_role( 'order_caller' );
			$this->assertSame( array( 'subscriber', 'order_caller' ), Bikri_Access::roles_of( $user ) );
			Bikri_Access::save_page_table(
				array(
					'order_caller' => array( 'home', 'orders', 'activity' ),
					'*'            => array( 'home' ),
				),
				array( 'home', 'orders', 'activity', 'roles' )
			);
			$this->assertSame( array( 'home', 'orders', 'activity' ), Bikri_Access::pages_of( $user ) );
			$request = $this->plugin->embedded_pages->ticket_request( $user, 'home' );
			$this->assertSame( 'subscriber', $request['role'] );
			$this->assertSame( array( 'subscriber', 'order_caller' ), $request['roles'] );
			$user->set_role( '' );
			$this->assertSame( array( 'none' ), Bikri_Access::roles_of( $user ) );
		} finally {
			remove_role( 'order_caller' );
		}
	}

	public function test_who_may_open_the_pages() {
		add_role( 'order_clerk', 'Order clerk', array( 'read' => true, 'edit_shop_orders' => true ) );
		try {
			$expected = array(
				'administrator' => true,
				'shop_manager'  => true,
				'order_clerk'   => true,
				'editor'        => false,
				'subscriber'    => false,
			);
			foreach ( $expected as $role => $allowed ) {
				$this->sign_in( $role );
				$this->assertSame( $allowed, current_user_can( Bikri_Access::CAP_VIEW ), $role );
			}
		} finally {
			remove_role( 'order_clerk' );
		}
	}

	public function test_ticket_refused_marks_license_inactive_and_redirects() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = static function ( $method, $path ) {
			return '/api/v1/embed/tickets' === $path
				? self::error_response( 401, 'unauthorized', 'Unknown token.' )
				: self::response( 404 );
		};
		$this->build_menu();

		$location = $this->redirect_of(
			static function () {
				do_action( self::HOME_HOOK );
			}
		);
		$this->assertSame( Bikri_License_Page::url(), $location );
		$this->assertFalse( $this->plugin->license->is_active() );
		$info = $this->plugin->license->info();
		$this->assertSame( 'inactive', $info['status'] );
		$this->assertSame( 'unauthorized', $info['error']['code'] );
	}

	public function test_unreachable_service_shows_an_error_box() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = static function () {
			return new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out' );
		};
		$this->build_menu();

		do_action( self::HOME_HOOK );
		$html = $this->output_of( array( $this->plugin->embedded_pages, 'render' ) );

		$this->assertStringNotContainsString( '<iframe', $html );
		$this->assertStringContainsString( 'notice-error', $html );
		$this->assertStringContainsString( 'did not answer properly (cURL error 28: Operation timed out)', $html );
		$this->assertStringContainsString( 'href="' . esc_url( admin_url( 'admin.php?page=bikri' ) ) . '"', $html, 'a Try again link' );
		$this->assertTrue( $this->plugin->license->is_active(), 'no answer is not a refusal' );
		$this->assertSame( 0, (int) get_option( Bikri_License::OPTION_LAST_CHECK ), 'the next page load re-checks' );
	}

	public function test_ticket_without_a_usable_url_shows_an_error_box() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		$this->service = self::ticket_service( 'javascript:alert(1)' );
		$this->build_menu();

		do_action( self::HOME_HOOK );
		$html = $this->output_of( array( $this->plugin->embedded_pages, 'render' ) );

		$this->assertStringNotContainsString( '<iframe', $html );
		$this->assertStringNotContainsString( 'javascript:', $html );
	}

	public function test_notice_on_other_screens_when_unlicensed() {
		$this->sign_in( 'administrator' );
		set_current_screen( 'dashboard' );

		$html = $this->output_of_action( 'admin_notices' );
		$this->assertStringContainsString( 'Bikri needs an active license.', $html );
		$this->assertStringContainsString( 'Enter your license key on the <a href="' . esc_url( Bikri_License_Page::url() ) . '">License page</a>.', $html );
	}

	public function test_notice_tells_staff_who_to_ask() {
		$this->sign_in( 'shop_manager' );
		set_current_screen( 'edit-post' );

		$html = $this->output_of_action( 'admin_notices' );
		$this->assertStringContainsString( 'Ask a site administrator', $html );
		$this->assertStringNotContainsString( 'page=bikri-license', $html );
	}

	public function test_no_notice_when_licensed_or_for_subscribers() {
		$this->sign_in( 'administrator' );
		$this->activate_locally();
		set_current_screen( 'dashboard' );
		$html = $this->output_of_action( 'admin_notices' );
		$this->assertStringNotContainsString( 'bikri-license-notice', $html );

		delete_option( Bikri_License::OPTION_TOKEN );
		$this->sign_in( 'subscriber' );
		$html = $this->output_of_action( 'admin_notices' );
		$this->assertStringNotContainsString( 'bikri-license-notice', $html );
	}

	public function test_hpos_compatibility_is_declared() {
		\Automattic\WooCommerce\Utilities\FeaturesUtil::$declarations = array();
		do_action( 'before_woocommerce_init' );

		$this->assertCount( 1, \Automattic\WooCommerce\Utilities\FeaturesUtil::$declarations );
		list( $feature, $file, $compatible ) = \Automattic\WooCommerce\Utilities\FeaturesUtil::$declarations[0];
		$this->assertSame( 'custom_order_tables', $feature );
		$this->assertSame( WP_PLUGIN_DIR . '/bikri/bikri.php', $file );
		$this->assertTrue( $compatible );
	}
}
