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
	 * The checkout guard: OTP and blacklist on the classic and block checkout.
	 *
	 * @var Bikri_Checkout
	 */
	public $checkout;

	/**
	 * The AJAX endpoints of the checkout.
	 *
	 * @var Bikri_Checkout_Ajax
	 */
	public $checkout_ajax;

	/**
	 * Abandoned checkout capture (O9).
	 *
	 * @var Bikri_Abandoned_Capture
	 */
	public $abandoned_capture;

	/**
	 * Loyalty points at checkout (U2).
	 *
	 * @var Bikri_Loyalty
	 */
	public $loyalty;

	/**
	 * The signed order export route for the service's backfill and reconciliation.
	 *
	 * @var Bikri_Export_Route
	 */
	public $export_route;

	/**
	 * Ad click ids from the landing URL onto the order (D11).
	 *
	 * @var Bikri_Click_Ids
	 */
	public $click_ids;

	/**
	 * Plugin updates from the service (P8).
	 *
	 * @var Bikri_Updates
	 */
	public $updates;

	/**
	 * Storefront code and ad tags (K1, K2).
	 *
	 * @var Bikri_Storefront
	 */
	public $storefront;

	/**
	 * Settings → Bikri storefront.
	 *
	 * @var Bikri_Storefront_Page
	 */
	public $storefront_page;

	/**
	 * The chat box on the storefront (H2).
	 *
	 * @var Bikri_Live_Chat
	 */
	public $live_chat;

	/**
	 * The storefront's wishlist: hearts, the My Account tab, SMS alert opt-ins (U3).
	 *
	 * @var Bikri_Wishlist
	 */
	public $wishlist;

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
		require_once __DIR__ . '/class-bikri-consignment.php';
		require_once __DIR__ . '/class-bikri-emails.php';
		require_once __DIR__ . '/class-bikri-uninstaller.php';
		require_once __DIR__ . '/class-bikri-license-page.php';
		require_once __DIR__ . '/class-bikri-embedded-pages.php';
		require_once __DIR__ . '/class-bikri-phone.php';
		require_once __DIR__ . '/class-bikri-otp-proof.php';
		require_once __DIR__ . '/class-bikri-checkout-config.php';
		require_once __DIR__ . '/class-bikri-checkout.php';
		require_once __DIR__ . '/class-bikri-checkout-ajax.php';
		require_once __DIR__ . '/class-bikri-abandoned-capture.php';
		require_once __DIR__ . '/class-bikri-loyalty.php';
		require_once __DIR__ . '/class-bikri-click-ids.php';
		require_once __DIR__ . '/class-bikri-updates.php';
		require_once __DIR__ . '/class-bikri-storefront.php';
		require_once __DIR__ . '/class-bikri-storefront-page.php';
		require_once __DIR__ . '/class-bikri-live-chat.php';
		require_once __DIR__ . '/class-bikri-wishlist.php';

		$this->license        = new Bikri_License();
		$this->client         = new Bikri_Api_Client( $this->license );
		$this->rest_key       = new Bikri_Rest_Key();
		$this->sync           = new Bikri_Sync( $this->license, $this->client, new Bikri_Sync_Queue() );
		$this->export_route   = new Bikri_Export_Route( $this->license );
		$this->license_page   = new Bikri_License_Page( $this->license, $this->client, $this->rest_key, $this->sync );
		$this->embedded_pages = new Bikri_Embedded_Pages( $this->license, $this->client );
		$this->checkout       = new Bikri_Checkout( $this->license, $this->client, new Bikri_Checkout_Config( $this->license ) );
		$this->checkout_ajax  = new Bikri_Checkout_Ajax( $this->checkout, $this->client, $this->license );
		$this->abandoned_capture = new Bikri_Abandoned_Capture( $this->license, $this->client, $this->checkout->config );
		$this->loyalty        = new Bikri_Loyalty( $this->license, $this->client, $this->checkout );
		$this->click_ids      = new Bikri_Click_Ids();
		$this->updates        = new Bikri_Updates( $this->license, $this->client, plugin_basename( $file ) );
		$this->storefront     = new Bikri_Storefront();
		$this->storefront_page = new Bikri_Storefront_Page( $this->storefront );
		$this->live_chat      = new Bikri_Live_Chat( $this->license, $this->checkout->config );
		$this->wishlist        = new Bikri_Wishlist( $this->license, $this->sync, $this->checkout->config );
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
		add_action( 'admin_post_' . Bikri_License_Page::ACTION_CLEAR, array( $this->license_page, 'handle_clear' ) );
		add_action( 'plugins_loaded', 'bikri_declare_send_sms' );
		add_action( 'rest_api_init', array( $this->export_route, 'register' ) );
		$this->sync->set_up();
		$this->click_ids->set_up();
		$this->updates->set_up();

		// Storefront code and ad tags (K1, K2): printed from one option, no call to the service.
		$this->storefront->set_up();
		add_action( 'admin_menu', array( $this->storefront_page, 'action_admin_menu' ) );
		add_action( 'admin_post_' . Bikri_Storefront_Page::ACTION, array( $this->storefront_page, 'handle_save' ) );

		// The chat box (H2): on or off from the settings copy, no call to the service on a page view.
		add_action( 'wp_enqueue_scripts', array( $this->live_chat, 'action_enqueue_scripts' ) );
		add_filter( 'script_loader_tag', array( 'Bikri_Live_Chat', 'filter_script_loader_tag' ), 10, 2 );
		add_action( 'wp_footer', array( $this->live_chat, 'action_footer' ) );
		// The wishlist (U3): hearts on the storefront, the My Account tab, SMS alert opt-ins; no call to the service.
		$this->wishlist->set_up();

		// Checkout protection (F2-F4): both checkouts, the order hooks, the shopper's AJAX, the copy's pull.
		$checkout = $this->checkout;
		add_action( 'wp_enqueue_scripts', array( $checkout, 'action_enqueue_scripts' ) );
		// The phone is required while a code is asked: the Checkout block, WooCommerce's setting, the classic fields.
		add_filter( 'render_block_data', array( $checkout, 'filter_render_block_data' ) );
		add_filter( 'pre_option_woocommerce_checkout_phone_field', array( $checkout, 'filter_phone_field_option' ) );
		add_filter( 'woocommerce_billing_fields', array( $checkout, 'filter_billing_fields' ), 1000 );
		add_action( 'woocommerce_after_checkout_validation', array( $checkout, 'action_after_checkout_validation' ), 10, 2 );
		add_action( 'woocommerce_checkout_order_processed', array( $checkout, 'action_checkout_order_processed' ), 10, 3 );
		add_action( 'woocommerce_store_api_checkout_update_order_from_request', array( $checkout, 'action_store_api_update_order' ), 10, 2 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $checkout, 'action_store_api_order_processed' ) );
		add_action( 'woocommerce_order_status_changed', array( $checkout, 'action_order_status_changed' ), 10, 4 );
		add_action( Bikri_Checkout::REPORT_HOOK, array( $checkout, 'action_report_order' ), 10, 2 );
		add_action( Bikri_Checkout_Config::CRON_HOOK, array( $checkout, 'action_cron_sync' ) );
		add_action( 'admin_init', array( $checkout, 'action_admin_init' ) );
		add_action( 'admin_notices', array( $checkout, 'action_admin_notices' ) );
		foreach ( array( Bikri_Checkout_Ajax::ACTION_SEND => 'handle_send', Bikri_Checkout_Ajax::ACTION_VERIFY => 'handle_verify' ) as $action => $method ) {
			add_action( 'wp_ajax_' . $action, array( $this->checkout_ajax, $method ) );
			add_action( 'wp_ajax_nopriv_' . $action, array( $this->checkout_ajax, $method ) );
		}
		add_action( 'wp_ajax_' . Bikri_Checkout_Ajax::ACTION_SYNC, array( $this->checkout_ajax, 'handle_sync' ) );

		// Abandoned checkouts (O9): capture while typing, the privacy notice, a new key after an order.
		$capture = $this->abandoned_capture;
		add_action( 'wp_enqueue_scripts', array( $capture, 'action_enqueue_scripts' ) );
		add_action( 'wp_ajax_' . Bikri_Abandoned_Capture::ACTION, array( $capture, 'handle_capture' ) );
		add_action( 'wp_ajax_nopriv_' . Bikri_Abandoned_Capture::ACTION, array( $capture, 'handle_capture' ) );
		add_action( 'woocommerce_checkout_order_processed', array( $capture, 'action_order_placed' ) );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $capture, 'action_order_placed' ) );
		add_filter( 'woocommerce_get_privacy_policy_text', array( $capture, 'filter_privacy_policy_text' ), 10, 2 );

		// Loyalty points (U2): the box, the shopper's calls, the fee, the order that spends them.
		$loyalty = $this->loyalty;
		add_action( 'wp_enqueue_scripts', array( $loyalty, 'action_enqueue_scripts' ) );
		add_action( 'woocommerce_after_checkout_billing_form', array( $loyalty, 'action_render_box' ), 20 );
		foreach ( array( Bikri_Loyalty::ACTION_BALANCE => 'handle_balance', Bikri_Loyalty::ACTION_APPLY => 'handle_apply', Bikri_Loyalty::ACTION_REMOVE => 'handle_remove' ) as $action => $method ) {
			add_action( 'wp_ajax_' . $action, array( $loyalty, $method ) );
			add_action( 'wp_ajax_nopriv_' . $action, array( $loyalty, $method ) );
		}
		add_action( 'woocommerce_cart_calculate_fees', array( $loyalty, 'action_cart_fees' ) );
		add_action( 'woocommerce_checkout_order_processed', array( $loyalty, 'action_checkout_order_processed' ), 20, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $loyalty, 'spend_on' ), 20 );
		add_action( Bikri_Loyalty::ATTACH_HOOK, array( $loyalty, 'action_attach' ), 10, 3 );
		// The Checkout block: the box's script (an integration) and its Store API calls; nothing without WooCommerce Blocks.
		add_action( 'woocommerce_blocks_checkout_block_registration', array( $loyalty, 'action_checkout_block_registration' ) );
		if ( did_action( 'woocommerce_blocks_loaded' ) ) {
			$loyalty->action_blocks_loaded();
		} else {
			add_action( 'woocommerce_blocks_loaded', array( $loyalty, 'action_blocks_loaded' ) );
		}

		// The courier consignment on the order screen, emails and invoices (O8).
		add_action( 'woocommerce_admin_order_data_after_shipping_address', array( 'Bikri_Consignment', 'action_admin_order' ) );
		add_action( 'woocommerce_email_order_meta', array( 'Bikri_Consignment', 'action_email_order_meta' ), 20, 4 );
		add_action( 'wpo_wcpdf_after_order_data', array( 'Bikri_Consignment', 'action_pdf_order_data' ), 10, 2 );
		add_action( 'woocommerce_rest_insert_shop_order_object', array( 'Bikri_Consignment', 'action_rest_insert_order' ), 10, 3 );

		// Courier status emails from the shop's WordPress (N1): the three emails, and the ones the service asks for.
		add_filter( 'woocommerce_email_classes', array( 'Bikri_Emails', 'filter_email_classes' ) );
		add_action( 'woocommerce_rest_insert_shop_order_object', array( 'Bikri_Emails', 'action_rest_insert_order' ), 20, 3 );

		// Filters.
		add_filter( 'user_has_cap', array( 'Bikri_Access', 'filter_user_has_cap' ), 10, 4 );
		add_filter( 'admin_body_class', array( $this->embedded_pages, 'filter_admin_body_class' ) );
		add_filter( 'cron_schedules', array( 'Bikri_Checkout_Config', 'filter_cron_schedules' ) );
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
		// A Bikri page in the frame says when the checkout settings changed; the copy is pulled at once.
		wp_enqueue_script( 'bikri-admin', plugins_url( 'assets/js/admin.js', $this->file ), array(), BIKRI_VERSION, true );
		$service = wp_parse_url( $this->license->service_url() );
		wp_localize_script(
			'bikri-admin',
			'bikriAdmin',
			array(
				'ajaxUrl'       => admin_url( 'admin-ajax.php' ),
				'syncNonce'     => wp_create_nonce( Bikri_Checkout_Ajax::ACTION_SYNC ),
				'serviceOrigin' => isset( $service['scheme'], $service['host'] )
					? $service['scheme'] . '://' . $service['host'] . ( isset( $service['port'] ) ? ':' . $service['port'] : '' ) : '',
			)
		);
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
