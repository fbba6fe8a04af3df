<?php
/**
 * The Bikri menu and the pages that show the service in an iframe (P4).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers the menu, guards each page behind the license and renders the iframe.
 */
final class Bikri_Embedded_Pages {

	/**
	 * Slug of the top-level menu; it shows the home page.
	 */
	const MENU_SLUG = 'bikri';

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
	 * Service page name by hook suffix of each registered admin page.
	 *
	 * @var string[]
	 */
	private $page_by_hook = array();

	/**
	 * Canonical admin slug by alias slug (bikri-home for bikri, ...).
	 *
	 * @var string[]
	 */
	private $alias_by_hook = array();

	/**
	 * The service page being shown in this request, once its load hook ran.
	 *
	 * @var string
	 */
	private $current_page = '';

	/**
	 * The signed-in URL of the iframe for this request.
	 *
	 * @var string
	 */
	private $frame_url = '';

	/**
	 * Why the iframe could not be shown in this request.
	 *
	 * @var WP_Error|null
	 */
	private $error = null;

	/**
	 * Builds the pages.
	 *
	 * @param Bikri_License    $license License state.
	 * @param Bikri_Api_Client $client  Client for the service.
	 */
	public function __construct( Bikri_License $license, Bikri_Api_Client $client ) {
		$this->license = $license;
		$this->client  = $client;
	}

	/**
	 * The embedded pages: admin page slug => service page name and menu title.
	 *
	 * The service links between its pages through the top window at
	 * admin.php?page=bikri-<page>; the home page's canonical slug is plain "bikri".
	 *
	 * @return array[]
	 */
	public static function pages() {
		return array(
			self::MENU_SLUG    => array(
				'page'  => 'home',
				'title' => __( 'Home', 'bikri' ),
			),
			'bikri-dashboard'  => array(
				'page'  => 'dashboard',
				'title' => __( 'Dashboard', 'bikri' ),
			),
			'bikri-orders'     => array(
				'page'  => 'orders',
				'title' => __( 'Orders', 'bikri' ),
			),
			'bikri-sms'        => array(
				'page'  => 'sms',
				'title' => __( 'SMS', 'bikri' ),
			),
			'bikri-checkout'   => array(
				'page'  => 'checkout',
				'title' => __( 'Checkout protection', 'bikri' ),
			),
			'bikri-blacklist'  => array(
				'page'  => 'blacklist',
				'title' => __( 'Blacklist', 'bikri' ),
			),
			'bikri-otp-report' => array(
				'page'  => 'otp-report',
				'title' => __( 'OTP report', 'bikri' ),
			),
			'bikri-couriers'   => array(
				'page'  => 'couriers',
				'title' => __( 'Couriers', 'bikri' ),
			),
			'bikri-abandoned'  => array(
				'page'  => 'abandoned',
				'title' => __( 'Abandoned checkouts', 'bikri' ),
			),
			'bikri-notifications' => array(
				'page'  => 'notifications',
				'title' => __( 'Notifications', 'bikri' ),
			),
			'bikri-livechat'   => array(
				'page'  => 'livechat',
				'title' => __( 'Live chat', 'bikri' ),
			),
			'bikri-customers'  => array(
				'page'  => 'customers',
				'title' => __( 'Customers', 'bikri' ),
			),
			'bikri-campaigns'  => array(
				'page'  => 'campaigns',
				'title' => __( 'Campaigns', 'bikri' ),
			),
			'bikri-loyalty'    => array(
				'page'  => 'loyalty',
				'title' => __( 'Loyalty points', 'bikri' ),
			),
			'bikri-wishlist'   => array(
				'page'  => 'wishlist',
				'title' => __( 'Wishlist', 'bikri' ),
			),
			'bikri-inventory'  => array(
				'page'  => 'inventory',
				'title' => __( 'Inventory', 'bikri' ),
			),
			'bikri-ads'        => array(
				'page'  => 'ads',
				'title' => __( 'Ad tracking', 'bikri' ),
			),
			'bikri-activity'   => array(
				'page'  => 'activity',
				'title' => __( 'Activity', 'bikri' ),
			),
			'bikri-roles'      => array(
				'page'  => 'roles',
				'title' => __( 'Roles', 'bikri' ),
			),
			'bikri-help'       => array(
				'page'  => 'help',
				'title' => __( 'Help', 'bikri' ),
			),
			'bikri-support'    => array(
				'page'  => 'support',
				'title' => __( 'Support', 'bikri' ),
			),
		);
	}

	/**
	 * Admin page slug for a service page name.
	 *
	 * @param string $page Service page name.
	 * @return string
	 */
	public static function slug_for( $page ) {
		foreach ( self::pages() as $slug => $definition ) {
			if ( $definition['page'] === $page ) {
				return $slug;
			}
		}
		return 'bikri-' . $page;
	}

	/**
	 * Hook suffixes of the registered pages (for loading assets).
	 *
	 * @return string[]
	 */
	public function hook_suffixes() {
		return array_keys( $this->page_by_hook );
	}

	/**
	 * Adds the Bikri menu and its pages.
	 */
	public function action_admin_menu() {
		add_menu_page(
			__( 'Bikri', 'bikri' ),
			__( 'Bikri', 'bikri' ),
			Bikri_Access::CAP_VIEW,
			self::MENU_SLUG,
			array( $this, 'render' ),
			'dashicons-store',
			56
		);

		// Only the pages the user's role may open, as the service last said with a ticket (no
		// remote call here: this runs on every admin page view). While the service has not said,
		// the menu shows only Home; the other pages stay reachable by their links, unlisted, so
		// the service can answer for them and its ticket answer fills in the menu.
		$allowed = Bikri_Access::pages_of( wp_get_current_user() );
		foreach ( self::pages() as $slug => $definition ) {
			$listed = in_array( $definition['page'], null === $allowed ? Bikri_Access::FALLBACK_PAGES : $allowed, true )
				|| self::MENU_SLUG === $slug;
			if ( ! $listed && null !== $allowed ) {
				continue;
			}
			$hook = add_submenu_page(
				$listed ? self::MENU_SLUG : '',
				/* translators: %s: page title, e.g. Home */
				sprintf( __( '%s ‹ Bikri', 'bikri' ), $definition['title'] ),
				$listed ? $definition['title'] : '',
				Bikri_Access::CAP_VIEW,
				$slug,
				array( $this, 'render' )
			);
			if ( $hook ) {
				$this->page_by_hook[ $hook ] = $definition['page'];
				add_action( 'load-' . $hook, array( $this, 'action_load_page' ) );
			}

			// Links from the service use bikri-<page>; a hidden page sends them to the canonical slug.
			$alias = 'bikri-' . $definition['page'];
			if ( $alias !== $slug ) {
				$alias_hook = add_submenu_page( '', $definition['title'], '', Bikri_Access::CAP_VIEW, $alias, '__return_null' );
				if ( $alias_hook ) {
					$this->alias_by_hook[ $alias_hook ] = $slug;
					add_action( 'load-' . $alias_hook, array( $this, 'action_load_alias' ) );
				}
			}
		}
	}

	/**
	 * Sends an alias slug to its canonical page.
	 */
	public function action_load_alias() {
		$hook = substr( current_action(), strlen( 'load-' ) );
		if ( isset( $this->alias_by_hook[ $hook ] ) ) {
			$this->redirect( admin_url( 'admin.php?page=' . $this->alias_by_hook[ $hook ] ) );
		}
	}

	/**
	 * Runs before any output of an embedded page: checks the license, then asks for a ticket.
	 */
	public function action_load_page() {
		$hook = substr( current_action(), strlen( 'load-' ) );
		if ( ! isset( $this->page_by_hook[ $hook ] ) ) {
			return;
		}
		$this->current_page = $this->page_by_hook[ $hook ];
		$this->frame_url    = '';
		$this->error        = null;

		$this->license->maybe_refresh( $this->client );
		if ( ! $this->license->is_active() ) {
			$this->send_to_license_page();
			return;
		}

		$ticket = $this->client->create_embed_ticket( $this->ticket_request( wp_get_current_user(), $this->current_page ) );
		if ( is_wp_error( $ticket ) ) {
			if ( Bikri_Api_Client::is_refusal( $ticket ) ) {
				$this->send_to_license_page();
				return;
			}
			$this->error = $ticket;
			return;
		}

		$url = isset( $ticket['url'] ) && is_string( $ticket['url'] ) ? $ticket['url'] : '';
		if ( ! in_array( wp_parse_url( $url, PHP_URL_SCHEME ), array( 'http', 'https' ), true ) ) {
			$this->error = new WP_Error( 'bikri_bad_response', __( 'The Bikri service sent no page address.', 'bikri' ), array( 'status' => 201 ) );
			return;
		}
		$this->frame_url = $url;

		// The "?" on every Bikri page links here with the page it was pressed on: the Help page
		// opens that page's article. Only a page name passes (letters, digits, dashes).
		if ( 'help' === $this->current_page && isset( $_GET['topic'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- chooses what to read, changes nothing.
			$topic = sanitize_key( wp_unslash( $_GET['topic'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- as above.
			if ( '' !== $topic ) {
				$this->frame_url = add_query_arg( 'topic', $topic, $url );
			}
		}

		// The service's word on which pages each role may open, kept for the menu of later views.
		if ( isset( $ticket['pages_by_role'] ) ) {
			Bikri_Access::save_page_table( $ticket['pages_by_role'], wp_list_pluck( self::pages(), 'page' ) );
		}
	}

	/**
	 * Without an active license: those who can fix it go to the License page (P7); staff, who
	 * cannot open that page, are told whom to ask instead of meeting WordPress's refusal.
	 */
	private function send_to_license_page() {
		if ( current_user_can( Bikri_License_Page::CAPABILITY ) ) {
			$this->redirect( Bikri_License_Page::url() );
		}
		$this->error = new WP_Error(
			'bikri_unlicensed',
			__( 'Bikri needs an active license. Ask a site administrator to enter the license key.', 'bikri' )
		);
	}

	/**
	 * The body of the ticket request for a user and a page.
	 *
	 * @param WP_User $user The signed-in user.
	 * @param string  $page Service page name.
	 * @return array
	 */
	public function ticket_request( WP_User $user, $page ) {
		return array(
			'wp_user_id'   => (int) $user->ID,
			'display_name' => (string) $user->display_name,
			'role'         => Bikri_Access::role_of( $user ),
			// Every role (custom ones too): the service maps each and takes the highest (T1).
			'roles'        => Bikri_Access::roles_of( $user ),
			'page'         => (string) $page,
			'locale'       => get_user_locale( $user ),
			// Links between Bikri pages go through wp-admin, which may not live under home_url().
			'admin_url'    => admin_url( 'admin.php' ),
		);
	}

	/**
	 * Prints the page: the iframe, or why it cannot be shown.
	 */
	public function render() {
		$title = $this->page_title( $this->current_page );
		echo '<div class="wrap bikri-wrap">';
		if ( '' !== $this->frame_url ) {
			echo '<h1 class="screen-reader-text">' . esc_html( $title ) . '</h1>';
			echo '<hr class="wp-header-end">';
			echo self::frame_html( $this->frame_url, $title ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in frame_html().
		} else {
			echo '<h1>' . esc_html( $title ) . '</h1>';
			echo '<hr class="wp-header-end">';
			$this->render_error();
		}
		echo '</div>';
	}

	/**
	 * The iframe that shows a service page.
	 *
	 * @param string $url   Signed-in URL of the page.
	 * @param string $title Accessible title of the frame.
	 * @return string Escaped HTML.
	 */
	public static function frame_html( $url, $title ) {
		return sprintf(
			'<iframe class="bikri-frame" src="%1$s" title="%2$s" allow="clipboard-write"></iframe>',
			esc_url( $url, array( 'http', 'https' ) ),
			esc_attr( $title )
		);
	}

	/**
	 * Adds a body class on embedded pages so the stylesheet can give the iframe the whole content area.
	 *
	 * @param string $classes Space-separated body classes.
	 * @return string
	 */
	public function filter_admin_body_class( $classes ) {
		if ( '' !== $this->frame_url ) {
			$classes .= ' bikri-embedded';
		}
		return $classes;
	}

	/**
	 * Prints the box that says why the page could not be opened.
	 */
	private function render_error() {
		$error = $this->error instanceof WP_Error ? $this->error : new WP_Error( 'bikri_unknown', '' );
		$code  = $error->get_error_code();

		if ( 'bikri_unlicensed' === $code ) {
			$message = $error->get_error_message();
		} elseif ( 'bikri_unreachable' === $code || Bikri_Api_Client::status_of( $error ) >= 500 || 'bikri_bad_response' === $code ) {
			$message = sprintf(
				/* translators: 1: service URL, 2: technical reason */
				__( 'Bikri could not open this page because the Bikri service at %1$s did not answer properly (%2$s). Try again in a minute.', 'bikri' ),
				$this->license->service_url(),
				$error->get_error_message()
			);
		} else {
			$message = sprintf(
				/* translators: %s: the service's reason */
				__( 'The Bikri service would not open this page: %s', 'bikri' ),
				'' !== $error->get_error_message() ? $error->get_error_message() : $code
			);
		}

		echo '<div class="notice notice-error inline bikri-error"><p>' . esc_html( $message ) . '</p><p>';
		printf(
			'<a class="button" href="%1$s">%2$s</a>',
			esc_url( admin_url( 'admin.php?page=' . self::slug_for( $this->current_page ) ) ),
			esc_html__( 'Try again', 'bikri' )
		);
		if ( current_user_can( Bikri_License_Page::CAPABILITY ) ) {
			printf( ' <a href="%1$s">%2$s</a>', esc_url( Bikri_License_Page::url() ), esc_html__( 'License page', 'bikri' ) );
		}
		echo '</p></div>';
	}

	/**
	 * Title of a service page.
	 *
	 * @param string $page Service page name.
	 * @return string
	 */
	private function page_title( $page ) {
		foreach ( self::pages() as $definition ) {
			if ( $definition['page'] === $page ) {
				return $definition['title'];
			}
		}
		return __( 'Bikri', 'bikri' );
	}

	/**
	 * Redirects before any output and stops.
	 *
	 * @param string $url Admin URL.
	 */
	private function redirect( $url ) {
		wp_safe_redirect( $url );
		exit;
	}
}
