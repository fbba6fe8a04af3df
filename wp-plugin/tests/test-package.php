<?php
/**
 * What ships in the zip, and what uninstall removes (P10).
 *
 * @package Bikri
 */

/**
 * Package and uninstall tests.
 */
class Bikri_Package_Test extends Bikri_Test_Case {

	public function test_zip_holds_the_plugin_and_no_tests() {
		$zip = getenv( 'BIKRI_ZIP' );
		if ( ! $zip ) {
			$this->markTestSkipped( 'BIKRI_ZIP is not set (scripts/wp/test.sh sets it).' );
		}
		$names = self::zip_entries( $zip );

		$this->assertContains( 'bikri/bikri.php', $names );
		$this->assertContains( 'bikri/uninstall.php', $names );
		$this->assertContains( 'bikri/readme.txt', $names );
		$this->assertContains( 'bikri/includes/class-bikri-api-client.php', $names );
		$this->assertContains( 'bikri/includes/helper.php', $names );
		$this->assertContains( 'bikri/includes/send-sms.php', $names );
		$this->assertContains( 'bikri/includes/class-bikri-checkout.php', $names );
		$this->assertContains( 'bikri/templates/emails/bikri-order-shipped.php', $names );
		$this->assertContains( 'bikri/templates/emails/plain/bikri-parcel.php', $names );
		$this->assertContains( 'bikri/assets/js/checkout-otp.js', $names );
		$this->assertContains( 'bikri/assets/css/admin.css', $names );
		$this->assertContains( 'bikri/languages/bikri.pot', $names );
		foreach ( $names as $name ) {
			$this->assertStringStartsWith( 'bikri/', $name );
			$this->assertStringNotContainsString( '/tests/', $name );
			$this->assertStringNotContainsString( 'phpunit', $name );
		}
		// And the plugin under test is the one unpacked from that zip.
		$this->assertFileDoesNotExist( WP_PLUGIN_DIR . '/bikri/tests' );
		$this->assertFalse( is_link( WP_PLUGIN_DIR . '/bikri' ) );
	}

	public function test_uninstall_removes_options_rest_key_queue_and_order_meta() {
		global $wpdb;
		$this->activate_locally();
		$this->plugin->license->record_error( new WP_Error( 'x', 'y' ) );
		update_option( Bikri_Checkout_Config::OPTION, array( 'otp_enabled' => true ) );
		update_option( Bikri_Checkout_Config::OPTION_BLACKLIST, array( 'phones' => array() ), false );
		Bikri_Checkout_Config::schedule();
		foreach ( array_merge( Bikri_License::OPTIONS, Bikri_Checkout_Config::OPTIONS ) as $option ) {
			$this->assertNotFalse( get_option( $option ), $option );
		}

		$order = wp_insert_post(
			array(
				'post_type'   => 'shop_order',
				'post_status' => 'wc-processing',
				'post_title'  => 'Order',
			)
		);
		$post  = wp_insert_post(
			array(
				'post_type'  => 'post',
				'post_title' => 'Someone else\'s _courier_data',
			)
		);
		add_post_meta( $order, '_courier_data', array( 'consignment_id' => 123 ) );
		add_post_meta( $order, '_bikri_otp', 'verified' );
		add_post_meta( $order, '_bikri_email_tokens', array( 'tok-1' ) );
		update_option( 'woocommerce_bikri_order_shipped_settings', array( 'enabled' => 'yes' ) );
		update_option( 'woocommerce_new_order_settings', array( 'enabled' => 'yes' ) );
		add_post_meta( $order, '_billing_phone', '01711111111' );
		add_post_meta( $post, '_courier_data', 'not ours' );
		// WooCommerce's HPOS order meta table: the bootstrap makes it for the whole run (Order_Tables::create).
		$wpdb->insert( "{$wpdb->prefix}wc_orders_meta", array( 'order_id' => 99, 'meta_key' => '_courier_data', 'meta_value' => 'x' ) );
		$wpdb->insert( "{$wpdb->prefix}wc_orders_meta", array( 'order_id' => 99, 'meta_key' => '_billing_phone', 'meta_value' => 'y' ) );

		// The service's REST key and a queued event that never got out.
		$key = $this->plugin->rest_key->create( 1 );
		$this->plugin->rest_key->adopt( $key['key_id'] );
		$this->plugin->sync->record( 77, 'deleted' );
		$this->plugin->sync->flush();
		$this->assertSame( 1, $this->plugin->sync->queue->count() );

		$this->assertTrue( uninstall_plugin( 'bikri/bikri.php' ) );

		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}woocommerce_api_keys" ) );
		$this->assertFalse( as_next_scheduled_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP ) );

		foreach ( Bikri_License::OPTIONS as $option ) {
			$this->assertFalse( get_option( $option ), $option );
		}
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE 'bikri\\_%' OR option_name LIKE '\\_transient\\_bikri%'" ) );
		$this->assertSame( '', get_post_meta( $order, '_courier_data', true ) );
		$this->assertSame( '', get_post_meta( $order, '_bikri_otp', true ) );
		$this->assertSame( '', get_post_meta( $order, '_bikri_email_tokens', true ) );
		$this->assertFalse( get_option( 'woocommerce_bikri_order_shipped_settings' ), 'the courier email settings' );
		$this->assertSame( array( 'enabled' => 'yes' ), get_option( 'woocommerce_new_order_settings' ), 'WooCommerce\'s own stay' );
		$this->assertFalse( wp_next_scheduled( Bikri_Checkout_Config::CRON_HOOK ) );
		$this->assertSame( '01711111111', get_post_meta( $order, '_billing_phone', true ) );
		$this->assertSame( 'not ours', get_post_meta( $post, '_courier_data', true ) );
		$this->assertSame(
			array( '_billing_phone' ),
			$wpdb->get_col( "SELECT meta_key FROM {$wpdb->prefix}wc_orders_meta WHERE order_id = 99" )
		);
	}

	/**
	 * Entry names of a zip, read from its central directory (PHP's zip extension may be missing).
	 *
	 * @param string $path Zip file.
	 * @return string[]
	 */
	private static function zip_entries( $path ) {
		$data = file_get_contents( $path ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file.
		$end  = strrpos( $data, "PK\x05\x06" );
		if ( false === $end ) {
			return array();
		}
		$eocd   = unpack( 'vdisk/vcd_disk/vdisk_entries/ventries/Vsize/Voffset', substr( $data, $end + 4, 16 ) );
		$offset = $eocd['offset'];
		$names  = array();
		for ( $i = 0; $i < $eocd['entries']; $i++ ) {
			$header  = unpack( 'Vsig/vmade/vneed/vflags/vmethod/vtime/vdate/Vcrc/Vcsize/Vsize/vname_len/vextra_len/vcomment_len', substr( $data, $offset, 34 ) );
			$names[] = substr( $data, $offset + 46, $header['name_len'] );
			$offset += 46 + $header['name_len'] + $header['extra_len'] + $header['comment_len'];
		}
		return $names;
	}
}
