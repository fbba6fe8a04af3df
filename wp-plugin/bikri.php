<?php
/**
 * Plugin Name:       Bikri
 * Description:       Order desk for WooCommerce shops in Bangladesh: orders, couriers, SMS and reports, served by the Bikri service.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Requires Plugins:  woocommerce
 * Update URI:        https://updates.bikri.app/bikri
 * Author:            Bikri
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       bikri
 * Domain Path:       /languages
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'BIKRI_VERSION', '0.1.0' );
define( 'BIKRI_PLUGIN_FILE', __FILE__ );

if ( version_compare( PHP_VERSION, '7.4', '<' ) ) {
	// Loaded before any class so that an old PHP gets a message instead of a parse error.
	add_action(
		'admin_notices',
		static function () {
			echo '<div class="notice notice-error"><p>' . esc_html__( 'Bikri needs PHP 7.4 or newer.', 'bikri' ) . '</p></div>';
		}
	);
	return;
}

if ( class_exists( 'Bikri_Plugin' ) ) {
	return;
}

require_once __DIR__ . '/includes/class-bikri-plugin.php';
require_once __DIR__ . '/includes/helper.php';

Bikri_Plugin::init( __FILE__ )->set_up();
register_deactivation_hook( __FILE__, array( 'Bikri_Uninstaller', 'unschedule_all' ) );
