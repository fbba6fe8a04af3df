<?php
/**
 * O8: the consignment id Bikri booked shows on the order screen, in order emails and on invoices.
 *
 * @package Bikri
 */

/**
 * Consignment display tests.
 */
class Bikri_Consignment_Test extends Bikri_Test_Case {

	/**
	 * An order as the service leaves it after booking: `_courier_data` written through the REST API.
	 *
	 * @param string $json The meta value.
	 * @return WC_Order
	 */
	private static function booked_order( $json ) {
		$order = new WC_Order( 9001 );
		$order->update_meta_data( Bikri_Consignment::META_KEY, $json );
		$order->save();
		return $order;
	}

	/**
	 * What the order screen shows, below the shipping address, of an order booked so.
	 *
	 * @param string $json The meta value.
	 * @return string
	 */
	private function order_screen_of( $json ) {
		return $this->output_of_action( 'woocommerce_admin_order_data_after_shipping_address', self::booked_order( $json ) );
	}

	public function test_the_order_screen_shows_the_real_consignment_id() {
		$html = $this->order_screen_of( '{"courier": "steadfast", "consignment_id": 1424107, "tracking_code": "15BAEB8A", "booked_at": "2026-03-01T10:00:00Z"}' );

		$this->assertStringContainsString( 'Steadfast consignment 1424107 (tracking 15BAEB8A)', $html );
	}

	public function test_the_shops_emails_carry_it_in_html_and_plain_text() {
		$order = self::booked_order( '{"courier": "steadfast", "consignment_id": "1424107", "tracking_code": ""}' );

		// The shop's copies (the customer's get the "Your parcel" block: test-courier-emails.php).
		$html  = $this->output_of_action( 'woocommerce_email_order_meta', $order, true, false, null );
		$plain = $this->output_of_action( 'woocommerce_email_order_meta', $order, true, true, null );

		$this->assertStringContainsString( '<p class="bikri-consignment">', $html );
		$this->assertStringContainsString( 'Steadfast consignment 1424107', $html );
		$this->assertStringContainsString( "Courier: Steadfast consignment 1424107\n", $plain );
		$this->assertStringNotContainsString( '<', $plain );
	}

	public function test_invoices_and_packing_slips_show_it() {
		$order = self::booked_order( '{"courier": "steadfast", "consignment_id": "77", "tracking_code": "T77"}' );

		$html = $this->output_of_action( 'wpo_wcpdf_after_order_data', 'invoice', $order );

		$this->assertStringContainsString( '<tr class="bikri-consignment">', $html );
		$this->assertStringContainsString( 'Steadfast consignment 77 (tracking T77)', $html );
	}

	public function test_values_are_escaped() {
		$html = $this->order_screen_of( '{"courier": "steadfast", "consignment_id": "<script>alert(1)</script>", "tracking_code": ""}' );

		$this->assertStringNotContainsString( '<script>', $html );
		$this->assertStringContainsString( '&lt;script&gt;', $html );
	}

	public function test_orders_without_a_booking_or_with_bad_meta_show_nothing() {
		foreach ( array( '', 'not json', '{"consignment_id": "1"}' ) as $meta ) {
			$order = self::booked_order( $meta );
			$html  = $this->output_of(
				static function () use ( $order ) {
					do_action( 'woocommerce_admin_order_data_after_shipping_address', $order );
					do_action( 'woocommerce_email_order_meta', $order, false, false, null );
				}
			);
			$this->assertSame( '', $html, $meta );
		}
	}

	public function test_a_booking_found_by_invoice_without_an_id_says_booked() {
		$html = $this->order_screen_of( '{"courier": "steadfast", "consignment_id": null, "tracking_code": null}' );

		$this->assertStringContainsString( 'Booked with Steadfast', $html );
	}

	public function test_the_booking_note_written_with_the_meta_becomes_an_order_note_once() {
		$order = self::booked_order( '{"courier": "steadfast", "consignment_id": "1424107", "tracking_code": "15BAEB8A"}' );
		$order->update_meta_data( Bikri_Consignment::NOTE_META_KEY, 'Booked with Steadfast by Bikri: consignment 1424107, tracking code 15BAEB8A.' );
		$order->save();

		do_action( 'woocommerce_rest_insert_shop_order_object', $order, null, false );
		do_action( 'woocommerce_rest_insert_shop_order_object', $order, null, false );

		$this->assertSame( array( 'Booked with Steadfast by Bikri: consignment 1424107, tracking code 15BAEB8A.' ), $order->notes );
		$this->assertSame( '', $order->get_meta( Bikri_Consignment::NOTE_META_KEY, true ), 'the note meta is gone' );
		$this->assertNotSame( '', $order->get_meta( Bikri_Consignment::META_KEY, true ), 'the consignment stays' );
	}

	public function test_an_order_saved_without_the_note_meta_gets_no_note() {
		$order = self::booked_order( '{"courier": "steadfast", "consignment_id": "1"}' );
		do_action( 'woocommerce_rest_insert_shop_order_object', $order, null, false );
		$this->assertSame( array(), $order->notes );
	}
}
