<?php
/**
 * Loads a real WordPress (made by scripts/wp/setup.sh, with Bikri installed from the zip)
 * for the plugin's tests. WordPress's own test library is not used.
 *
 * Environment: BIKRI_WP_DIR (the WordPress tree), WP_HOME (its URL, as given to setup.sh).
 *
 * @package Bikri
 */

// PHPUnit includes this file from inside a method; WordPress expects these in the global scope.
global $wpdb, $current_site, $current_blog, $wp_rewrite, $shortcode_tags, $wp, $wp_query, $wp_the_query,
	$wp_roles, $wp_filter, $wp_actions, $wp_current_filter, $menu, $submenu, $admin_page_hooks,
	$_registered_pages, $_parent_pages, $_wp_submenu_nopriv, $_wp_real_parent_file, $plugin_page,
	$pagenow, $wp_version, $phpmailer, $wp_theme_directories, $table_prefix;

$bikri_wp_dir = getenv( 'BIKRI_WP_DIR' );
if ( ! $bikri_wp_dir || ! is_file( $bikri_wp_dir . '/wp-load.php' ) ) {
	fwrite( STDERR, "BIKRI_WP_DIR must name a WordPress made by scripts/wp/setup.sh; run scripts/wp/test.sh.\n" );
	exit( 1 );
}

// The same request as setup.sh's wp-task.php makes (scripts/wp, beside this plugin in the repository).
require dirname( __DIR__, 2 ) . '/scripts/wp/cli-request.php';
bikri_cli_request( '/wp-admin/' );

require $bikri_wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';

if ( ! class_exists( 'Bikri_Plugin' ) ) {
	fwrite( STDERR, "The Bikri plugin is not active in $bikri_wp_dir.\n" );
	exit( 1 );
}

require __DIR__ . '/stand-ins/woocommerce.php';
require __DIR__ . '/stand-ins/woocommerce-api-keys.php';
require __DIR__ . '/stand-ins/woocommerce-functions.php';
require __DIR__ . '/stand-ins/action-scheduler.php';
require __DIR__ . '/stand-ins/woocommerce-checkout.php';
require __DIR__ . '/stand-ins/woocommerce-cart.php';
require __DIR__ . '/stand-ins/woocommerce-blocks.php';
require __DIR__ . '/stand-ins/woocommerce-emails.php';
require __DIR__ . '/stand-ins/woocommerce-product.php';
require __DIR__ . '/class-bikri-test-case.php';
require __DIR__ . '/class-bikri-order-tables.php';

// Kept for the whole run (outside the per-test transactions), as WooCommerce's installer would.
Bikri\Tests\add_shop_manager_role();
bikri_test_create_wc_api_keys_table();
// WooCommerce's order tables for the export tests: this site's, and a second multisite site's (wp_2_).
Bikri\Tests\Order_Tables::create( $wpdb->prefix );
Bikri\Tests\Order_Tables::create( $wpdb->prefix . '2_' );
