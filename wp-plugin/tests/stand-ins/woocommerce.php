<?php
/**
 * STAND-INS for the few WooCommerce parts the plugin touches. WooCommerce itself cannot be
 * installed here; these keep its real names and signatures and only record what they are told.
 *
 * @package Bikri
 */

namespace Automattic\WooCommerce\Utilities;

if ( ! class_exists( __NAMESPACE__ . '\FeaturesUtil' ) ) {
	/**
	 * Stand-in for WooCommerce's FeaturesUtil (src/Utilities/FeaturesUtil.php).
	 */
	class FeaturesUtil {

		/**
		 * Every declare_compatibility() call: [feature_id, plugin_file, positive_compatibility].
		 *
		 * @var array[]
		 */
		public static $declarations = array();

		/**
		 * Same signature as WooCommerce's.
		 *
		 * @param string $feature_id             Feature, e.g. custom_order_tables.
		 * @param string $plugin_file            Main file of the declaring plugin.
		 * @param bool   $positive_compatibility True if compatible.
		 * @return bool
		 */
		public static function declare_compatibility( $feature_id, $plugin_file, $positive_compatibility = true ): bool {
			self::$declarations[] = array( $feature_id, $plugin_file, $positive_compatibility );
			return true;
		}
	}
}

namespace Bikri\Tests;

/**
 * Adds WooCommerce's shop_manager role with the capabilities WC_Install::create_roles() gives it
 * that matter here (the real role has many more).
 */
function add_shop_manager_role() {
	if ( get_role( 'shop_manager' ) ) {
		return;
	}
	add_role(
		'shop_manager',
		'Shop manager',
		array(
			'read'               => true,
			'manage_woocommerce' => true,
			'view_woocommerce_reports' => true,
			'edit_shop_orders'   => true,
			'read_shop_order'    => true,
			'edit_products'      => true,
		)
	);
}

/**
 * Creates WooCommerce's REST keys table with the schema WC_Install::get_schema() gives it.
 * DDL ends a transaction, so this runs once at bootstrap, outside the per-test transactions.
 */
function create_api_keys_table() {
	global $wpdb;
	$wpdb->query(
		"CREATE TABLE IF NOT EXISTS {$wpdb->prefix}woocommerce_api_keys (
			key_id BIGINT UNSIGNED NOT NULL auto_increment,
			user_id BIGINT UNSIGNED NOT NULL,
			description varchar(200) NULL,
			permissions varchar(10) NOT NULL,
			consumer_key char(64) NOT NULL,
			consumer_secret char(43) NOT NULL,
			nonces longtext NULL,
			truncated_key char(7) NOT NULL,
			last_access datetime NULL default null,
			PRIMARY KEY  (key_id),
			KEY consumer_key (consumer_key),
			KEY consumer_secret (consumer_secret)
		) ENGINE=InnoDB " . $wpdb->get_charset_collate()
	);
}
