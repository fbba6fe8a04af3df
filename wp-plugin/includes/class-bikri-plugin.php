<?php
/**
 * Wires the plugin's parts together and registers every hook in one place.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The plugin: builds its parts once and hooks them into WordPress.
 */
final class Bikri_Plugin {

	/**
	 * The one instance.
	 *
	 * @var Bikri_Plugin|null
	 */
	private static $instance = null;

	/**
	 * Absolute path of the main plugin file.
	 *
	 * @var string
	 */
	private $file;

	/**
	 * License state (token, status, service URL).
	 *
	 * @var Bikri_License
	 */
	public $license;

	/**
	 * The one client for every call to the service.
	 *
	 * @var Bikri_Api_Client
	 */
	public $client;

	/**
	 * The License page and its form handlers.
	 *
	 * @var Bikri_License_Page
	 */
	public $license_page;

	/**
	 * The menu and the pages that show the service in an iframe.
	 *
	 * @var Bikri_Embedded_Pages
	 */
	public $embedded_pages;

	/**
	 * The WooCommerce REST key handed to the service.
	 *
	 * @var Bikri_Rest_Key
	 */
	public $rest_key;

	/**
	 * Order events to the service.
	 *
	 * @var Bikri_Sync
	 */
	public $sync;

	/**
	 * The signed order export route for the service's backfill and reconciliation.
	 *
	 * @var Bikri_Export_Route
	 */
	public $export_route;

	/**
	 * Creates the instance on first call.
	 *
	 * @param string $file Main plugin file.
	 * @return Bikri_Plugin
	 */
	public static function init( $file ) {
		if ( null === self::$instance ) {
			self::$instance = new self( $file );
		}
		return self::$instance;
	}

	/**
	 * The instance, once init() has run.
	 *
	 * @return Bikri_Plugin|null
	 */
	public static function instance() {
		return self::$instance;
	}

	/**
	 * Loads the classes and builds the parts.
	 *
	 * @param string $file Main plugin file.
	 */
	private function __construct( $file ) {
		$this->file = $file;

		require_once __DIR__ . '/class-bikri-access.php';
		require_once __DIR__ . '/class-bikri-license.php';
		require_once __DIR__ . '/class-bikri-api-client.php';
		require_once __DIR__ . '/class-bikri-rest-key.php';
		require_once __DIR__ . '/class-bikri-sync-queue.php';
		require_once __DIR__ . '/class-bikri-sync.php';
		require_once __DIR__ . '/class-bikri-order-export.php';
		require_once __DIR__ . '/class-bikri-export-route.php';
		require_once __DIR__ . '/class-bikri-license-page.php';
		require_once __DIR__ . '/class-bikri-embedded-pages.php';

		$this->license        = new Bikri_License();
		$this->client         = new Bikri_Api_Client( $this->license );
		$this->rest_key       = new Bikri_Rest_Key();
		$this->sync           = new Bikri_Sync( $this->license, $this->client, new Bikri_Sync_Queue() );
		$this->export_route   = new Bikri_Export_Route( $this->license );
		$this->license_page   = new Bikri_License_Page( $this->license, $this->client, $this->rest_key, $this->sync );
		$this->embedded_pages = new Bikri_Embedded_Pages( $this->license, $this->client );
	}

	/**
	 * Registers every hook of the plugin.
	 */
	public function set_up() {
		// Actions.
		add_action( 'init', array( $this, 'action_init' ) );
		add_action( 'before_woocommerce_init', array( $this, 'action_before_woocommerce_init' ) );
		add_action( 'admin_menu', array( $this->embedded_pages, 'action_admin_menu' ) );
		add_action( 'admin_menu', array( $this->license_page, 'action_admin_menu' ), 20 );
		add_action( 'admin_notices', array( $this->license_page, 'action_admin_notices' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'action_admin_enqueue_scripts' ) );
		add_action( 'admin_post_' . Bikri_License_Page::ACTION_ACTIVATE, array( $this->license_page, 'handle_activate' ) );
		add_action( 'admin_post_' . Bikri_License_Page::ACTION_DEACTIVATE, array( $this->license_page, 'handle_deactivate' ) );
		add_action( 'plugins_loaded', 'bikri_declare_send_sms' );
		add_action( 'rest_api_init', array( $this->export_route, 'register' ) );
		$this->sync->set_up();

		// Filters.
		add_filter( 'user_has_cap', array( 'Bikri_Access', 'filter_user_has_cap' ), 10, 4 );
		add_filter( 'admin_body_class', array( $this->embedded_pages, 'filter_admin_body_class' ) );
	}

	/**
	 * Loads translations shipped in languages/.
	 */
	public function action_init() {
		load_plugin_textdomain( 'bikri', false, dirname( plugin_basename( $this->file ) ) . '/languages' );
	}

	/**
	 * Tells WooCommerce that the plugin works with HPOS (custom order tables).
	 */
	public function action_before_woocommerce_init() {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', $this->file, true );
		}
	}

	/**
	 * Loads the admin stylesheet on the plugin's own screens.
	 *
	 * @param string $hook_suffix The current admin page's hook suffix.
	 */
	public function action_admin_enqueue_scripts( $hook_suffix ) {
		if ( ! $this->is_plugin_screen( $hook_suffix ) ) {
			return;
		}
		wp_enqueue_style( 'bikri-admin', plugins_url( 'assets/css/admin.css', $this->file ), array(), BIKRI_VERSION );
	}

	/**
	 * Whether a hook suffix belongs to one of the plugin's admin pages.
	 *
	 * @param string $hook_suffix Hook suffix of an admin page.
	 * @return bool
	 */
	private function is_plugin_screen( $hook_suffix ) {
		$hooks   = $this->embedded_pages->hook_suffixes();
		$hooks[] = $this->license_page->hook_suffix();
		return in_array( $hook_suffix, array_filter( $hooks ), true );
	}
}
