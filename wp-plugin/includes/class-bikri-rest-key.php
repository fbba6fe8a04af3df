<?php
/**
 * The WooCommerce REST key the plugin creates for the Bikri service (read_write).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Creates and deletes the service's WooCommerce REST key, the way WooCommerce's own key screen
 * (WC_AJAX::update_api_key) and its auth endpoint (WC_Auth::create_keys) do: one row in
 * {prefix}woocommerce_api_keys whose consumer_key column holds wc_api_hash() of the key, with the
 * secret in clear and the last 7 characters of the key as truncated_key. The key itself is only
 * ever in memory here: it goes to the service at activation and is not stored in WordPress.
 */
final class Bikri_Rest_Key {

	/**
	 * key_id of the row this plugin created (int), so that exactly that key is deleted later.
	 */
	const OPTION_KEY_ID = 'bikri_wc_key_id';

	/**
	 * Description shown on WooCommerce → Settings → Advanced → REST API.
	 */
	const DESCRIPTION = 'Bikri';

	/**
	 * The service reads orders and writes statuses and courier data back.
	 */
	const PERMISSIONS = 'read_write';

	/**
	 * The keys table, with the site's prefix.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'woocommerce_api_keys';
	}

	/**
	 * Whether WooCommerce is there to create a key with (its functions and its table).
	 *
	 * @return bool
	 */
	public static function is_available() {
		return function_exists( 'wc_api_hash' ) && function_exists( 'wc_rand_hash' ) && self::table_exists();
	}

	/**
	 * Creates a new read_write key for a user. It is not remembered as this plugin's key until
	 * adopt() is called, so a failed activation can throw it away without touching the old one.
	 *
	 * @param int $user_id The WordPress user the key acts as (WooCommerce checks that user's capabilities).
	 * @return array|WP_Error {key_id, consumer_key, consumer_secret} with the key in clear.
	 */
	public function create( $user_id ) {
		global $wpdb;
		if ( ! self::is_available() ) {
			return new WP_Error( 'bikri_no_woocommerce', __( 'WooCommerce is not active, so no REST API key could be created for Bikri.', 'bikri' ) );
		}
		$consumer_key    = 'ck_' . wc_rand_hash();
		$consumer_secret = 'cs_' . wc_rand_hash();

		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery -- the same insert WooCommerce's key screen makes; it has no API for it.
		$inserted = $wpdb->insert(
			self::table(),
			array(
				'user_id'         => (int) $user_id,
				'description'     => self::DESCRIPTION,
				'permissions'     => self::PERMISSIONS,
				'consumer_key'    => wc_api_hash( $consumer_key ),
				'consumer_secret' => $consumer_secret,
				'truncated_key'   => substr( $consumer_key, -7 ),
			),
			array( '%d', '%s', '%s', '%s', '%s', '%s' )
		);
		if ( ! $inserted ) {
			return new WP_Error( 'bikri_key_not_created', __( 'The WooCommerce REST API key for Bikri could not be saved.', 'bikri' ) );
		}
		return array(
			'key_id'          => (int) $wpdb->insert_id,
			'consumer_key'    => $consumer_key,
			'consumer_secret' => $consumer_secret,
		);
	}

	/**
	 * Makes a created key this plugin's key, deleting the one it replaces (no pile-up of keys).
	 *
	 * @param int $key_id key_id from create().
	 */
	public function adopt( $key_id ) {
		$old = $this->key_id();
		if ( $old && $old !== (int) $key_id ) {
			self::delete_row( $old );
		}
		update_option( self::OPTION_KEY_ID, (int) $key_id, false );
	}

	/**
	 * key_id of this plugin's key, 0 when there is none.
	 *
	 * @return int
	 */
	public function key_id() {
		return (int) get_option( self::OPTION_KEY_ID, 0 );
	}

	/**
	 * Deletes this plugin's key (license deactivation, uninstall).
	 */
	public function delete() {
		$key_id = $this->key_id();
		if ( $key_id ) {
			self::delete_row( $key_id );
		}
		delete_option( self::OPTION_KEY_ID );
	}

	/**
	 * Deletes one key row, as WooCommerce's "Revoke" link does.
	 *
	 * @param int $key_id key_id.
	 */
	public static function delete_row( $key_id ) {
		global $wpdb;
		if ( ! self::table_exists() ) {
			return; // WooCommerce was removed first: its table (and our key) went with it.
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WooCommerce's own revoke does the same delete.
		$wpdb->delete( self::table(), array( 'key_id' => (int) $key_id ), array( '%d' ) );
	}

	/**
	 * Whether the keys table exists (WooCommerce may be inactive or uninstalled).
	 *
	 * @return bool
	 */
	private static function table_exists() {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WooCommerce offers no API to ask whether its table exists.
		return $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) ) === $table;
	}
}
