<?php
/**
 * WooCommerce's REST keys table, with the schema WC_Install::get_schema() gives it. Shared by the
 * PHPUnit stand-in (stand-ins/woocommerce.php) and the browser tests' REST stand-in
 * (tests/e2e/woocommerce_rest_stand_in.php), which copies this file beside itself.
 *
 * @package Bikri
 */

/**
 * Creates the table when missing. DDL ends a transaction: call it outside per-test transactions.
 */
function bikri_test_create_wc_api_keys_table() {
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
