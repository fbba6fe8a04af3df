<?php
/**
 * Removes everything the plugin stored (P10).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The inventory of what the plugin stores, and its removal. Every key is named exactly:
 * no wildcard deletes. A feature that stores something new adds it here.
 */
final class Bikri_Uninstaller {

	/**
	 * Order meta keys the plugin (through the service) writes on orders.
	 */
	const ORDER_META_KEYS = array( '_courier_data', '_bikri_booking_note', '_bikri_otp', '_bikri_email_event', '_bikri_email_tokens', '_bikri_email_result' );

	/**
	 * The settings of the plugin's WooCommerce emails (woocommerce_<id>_settings for each of
	 * Bikri_Emails::EMAIL_IDS; a test keeps the two lists in step).
	 */
	const EMAIL_OPTIONS = array( 'woocommerce_bikri_order_shipped_settings', 'woocommerce_bikri_out_for_delivery_settings', 'woocommerce_bikri_order_returned_settings' );

	/**
	 * Post types that hold orders when HPOS is off (or in sync mode).
	 */
	const ORDER_POST_TYPES = array( 'shop_order', 'shop_order_refund', 'shop_order_placehold' );

	/**
	 * Every hook the plugin schedules (Bikri_Sync::HOOK_PUSH, Bikri_Checkout::REPORT_HOOK,
	 * Bikri_Checkout_Config::CRON_HOOK, Bikri_Loyalty::ATTACH_HOOK). Written out because
	 * uninstall.php does not load every class; a test checks the list against each scheduling
	 * call in includes/. (A loyalty hold never tied to its order runs out at the service within
	 * 30 minutes and its points go back.)
	 */
	const SCHEDULED_HOOKS = array( 'bikri_sync_push', 'bikri_report_checkout_order', 'bikri_checkout_sync', 'bikri_loyalty_attach' );

	/**
	 * Removes the plugin's data from every site of the network (or the one site).
	 */
	public static function run() {
		if ( ! is_multisite() ) {
			self::clean_site();
			return;
		}
		foreach ( get_sites( array( 'fields' => 'ids', 'number' => 0 ) ) as $site_id ) {
			switch_to_blog( $site_id );
			self::clean_site();
			restore_current_blog();
		}
	}

	/**
	 * Removes every planned run of every Bikri hook, whatever its arguments or group: on
	 * deactivation (nothing of a switched-off plugin may still fire) and on uninstall.
	 */
	public static function unschedule_all() {
		foreach ( self::SCHEDULED_HOOKS as $hook ) {
			if ( function_exists( 'as_unschedule_all_actions' ) ) {
				// A hook and no arguments or group: Action Scheduler cancels the hook's every action.
				as_unschedule_all_actions( $hook );
			}
			// wp_clear_scheduled_hook() would only clear the runs without arguments; reports carry some.
			wp_unschedule_hook( $hook );
		}
	}

	/**
	 * Removes the plugin's options, its WooCommerce REST key, its event queue and planned
	 * worker runs, and its order meta on the current site.
	 */
	public static function clean_site() {
		// The key row first: its key_id lives in an option.
		( new Bikri_Rest_Key() )->delete();
		( new Bikri_Sync_Queue() )->clear();
		self::unschedule_all();
		delete_option( Bikri_Sync::OPTION_STATE );
		foreach ( array_merge( Bikri_License::OPTIONS, Bikri_Checkout_Config::OPTIONS, array( Bikri_Access::OPTION_PAGES, 'bikri_storefront', 'bikri_storefront_draft' ), self::EMAIL_OPTIONS ) as $option ) {
			delete_option( $option );
		}
		delete_option( Bikri_Wishlist::OPTION_REWRITE );
		// Shoppers' wishlists: one delete over every user's row of the key.
		delete_metadata( 'user', 0, Bikri_Wishlist::META, '', true );
		delete_site_transient( Bikri_Updates::TRANSIENT );
		self::delete_order_meta();
		self::delete_export_nonces();
	}

	/**
	 * Deletes the export route's seen-nonce rows (they expire in 10 minutes; an uninstall should
	 * not leave even those behind), and the transients an older version kept them in.
	 */
	private static function delete_export_nonces() {
		global $wpdb;
		foreach ( array( '', '_transient_', '_transient_timeout_' ) as $kind ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- options have no delete-by-prefix API.
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( $kind . Bikri_Export_Route::NONCE_PREFIX ) . '%' ) );
		}
	}

	/**
	 * Deletes ORDER_META_KEYS from orders in both order stores: HPOS's wc_orders_meta and,
	 * for the posts store, the postmeta of order posts only.
	 */
	private static function delete_order_meta() {
		global $wpdb;

		$keys      = self::ORDER_META_KEYS;
		$key_list  = implode( ', ', array_fill( 0, count( $keys ), '%s' ) );
		$type_list = implode( ', ', array_fill( 0, count( self::ORDER_POST_TYPES ), '%s' ) );

		// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQLPlaceholders -- one-off cleanup; placeholders are built from fixed lists above.
		$wpdb->query(
			$wpdb->prepare(
				"DELETE pm FROM {$wpdb->postmeta} pm INNER JOIN {$wpdb->posts} p ON p.ID = pm.post_id WHERE pm.meta_key IN ($key_list) AND p.post_type IN ($type_list)",
				array_merge( $keys, self::ORDER_POST_TYPES )
			)
		);

		$hpos_meta = $wpdb->prefix . 'wc_orders_meta';
		if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $hpos_meta ) ) ) === $hpos_meta ) {
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$hpos_meta} WHERE meta_key IN ($key_list)", $keys ) );
		}
		// phpcs:enable

		// Cached order meta would otherwise outlive the rows.
		wp_cache_flush();
	}
}
