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

