<?php
/**
 * The courier consignment on the order (O8): the order screen, the customer's emails and
 * invoices/packing slips show the real consignment id Bikri booked.
 *
 * The service writes `_courier_data` (JSON: courier, consignment_id, tracking_code, booked_at)
 * on the WooCommerce order through the REST API when it books a parcel; this class only reads it.
 * With it comes `_bikri_booking_note`, the booking's order note: wc/v3 has no batch for notes,
 * so the service writes a whole booking's meta in `orders/batch` calls of 100 orders and this
 * class turns the note meta into a private order note as the REST API saves the order.
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shows an order's consignment.
 */
class Bikri_Consignment {

	/**
	 * The order meta key the service writes.
	 */
	const META_KEY = '_courier_data';

	/**
	 * The order meta the service writes a booking's note in; it becomes an order note and goes.
	 */
	const NOTE_META_KEY = '_bikri_booking_note';

	/**
	 * Courier names, by the key the service stores.
	 *
	 * @return string[]
	 */
	private static function courier_names() {
		return array(
			'steadfast' => __( 'Steadfast', 'bikri' ),
			'pathao'    => __( 'Pathao', 'bikri' ),
			'redx'      => __( 'RedX', 'bikri' ),
			'paperfly'  => __( 'Paperfly', 'bikri' ),
		);
	}

	/**
	 * The order's consignment, or null when it has none.
	 *
	 * @param WC_Order|mixed $order An order.
	 * @return array|null {courier, courier_name, consignment_id, tracking_code, tracking_link}
	 */
	public static function of( $order ) {
		if ( ! is_object( $order ) || ! method_exists( $order, 'get_meta' ) ) {
			return null;
		}
		$raw  = $order->get_meta( self::META_KEY, true );
		$data = is_array( $raw ) ? $raw : json_decode( (string) $raw, true );
		if ( ! is_array( $data ) || empty( $data['courier'] ) ) {
			return null;
		}
		$names       = self::courier_names();
		$key         = sanitize_key( (string) $data['courier'] );
		$consignment = array(
			'courier'        => $key,
			'courier_name'   => isset( $names[ $key ] ) ? $names[ $key ] : ucfirst( $key ),
			'consignment_id' => isset( $data['consignment_id'] ) && '' !== (string) $data['consignment_id'] ? (string) $data['consignment_id'] : '',
			'tracking_code'  => isset( $data['tracking_code'] ) ? (string) $data['tracking_code'] : '',
		);
		$link = isset( $data['tracking_link'] ) && is_string( $data['tracking_link'] ) ? $data['tracking_link'] : self::tracking_link( $consignment, $order );
		/**
		 * The public tracking page of a parcel ('' for none): for couriers Bikri has no address
		 * for, or a shop's own tracking page.
		 *
		 * @param string   $link        URL or ''.
		 * @param array    $consignment courier, courier_name, consignment_id, tracking_code.
		 * @param WC_Order $order       The order.
		 */
		$link = (string) apply_filters( 'bikri_tracking_link', $link, $consignment, $order );
		// Only web addresses: the link goes into customers' emails.
		$consignment['tracking_link'] = in_array( strtolower( (string) wp_parse_url( $link, PHP_URL_SCHEME ) ), array( 'http', 'https' ), true ) ? $link : '';
		return $consignment;
	}

	/**
	 * The courier's public tracking page for a parcel, or '' when Bikri knows none.
	 * Steadfast's is by tracking code; Pathao's by consignment id and the recipient's phone;
	 * RedX's by tracking id (its consignment id). Paperfly has no public page by id.
	 *
	 * @param array          $consignment courier, consignment_id, tracking_code.
	 * @param WC_Order|mixed $order       The order (Pathao asks for the phone).
	 * @return string Not escaped.
	 */
	private static function tracking_link( array $consignment, $order ) {
		$id   = $consignment['consignment_id'];
		$code = $consignment['tracking_code'];
		switch ( $consignment['courier'] ) {
			case 'steadfast':
				return '' !== $code ? 'https://steadfast.com.bd/t/' . rawurlencode( $code ) : '';
			case 'pathao':
				if ( '' === $id ) {
					return '';
				}
				$phone = method_exists( $order, 'get_billing_phone' ) ? (string) $order->get_billing_phone() : '';
				return 'https://merchant.pathao.com/tracking?consignment_id=' . rawurlencode( $id ) . ( '' !== $phone ? '&phone=' . rawurlencode( $phone ) : '' );
			case 'redx':
				$id = '' !== $code ? $code : $id;
				return '' !== $id ? 'https://redx.com.bd/track-parcel/?trackingId=' . rawurlencode( $id ) : '';
		}
		return '';
	}

	/**
	 * One line of text: "Steadfast consignment 123456 (tracking ABC)".
	 *
	 * @param array $consignment From of().
	 * @return string Not escaped.
	 */
	private static function line( array $consignment ) {
		if ( '' === $consignment['consignment_id'] ) {
			/* translators: %s: courier name */
			return sprintf( __( 'Booked with %s', 'bikri' ), $consignment['courier_name'] );
		}
		if ( '' === $consignment['tracking_code'] ) {
			/* translators: 1: courier name, 2: consignment id */
			return sprintf( __( '%1$s consignment %2$s', 'bikri' ), $consignment['courier_name'], $consignment['consignment_id'] );
		}
		/* translators: 1: courier name, 2: consignment id, 3: tracking code */
		return sprintf( __( '%1$s consignment %2$s (tracking %3$s)', 'bikri' ), $consignment['courier_name'], $consignment['consignment_id'], $consignment['tracking_code'] );
	}

	/**
	 * The order screen in wp-admin (woocommerce_admin_order_data_after_shipping_address).
	 *
	 * @param WC_Order $order The order.
	 */
	public static function action_admin_order( $order ) {
		$consignment = self::of( $order );
		if ( null === $consignment ) {
			return;
		}
		echo '<p class="bikri-consignment"><strong>' . esc_html__( 'Courier', 'bikri' ) . ':</strong> ' . esc_html( self::line( $consignment ) ) . '</p>';
	}

	/**
	 * The order emails (woocommerce_email_order_meta), in HTML or plain text: one line in the
	 * shop's copies, the "Your parcel" block in the customer's.
	 *
	 * @param WC_Order $order         The order.
	 * @param bool     $sent_to_admin Whether the email goes to the shop.
	 * @param bool     $plain_text    Whether the email is plain text.
	 * @param mixed    $email         The email object.
	 */
	public static function action_email_order_meta( $order, $sent_to_admin = false, $plain_text = false, $email = null ) {
		if ( $email instanceof Bikri_Email_Courier_Status ) {
			return; // Bikri's own courier emails show the parcel in their body.
		}
		if ( ! $sent_to_admin ) {
			// The customer's copy: the "Your parcel" block with the tracking link.
			Bikri_Emails::parcel_block( $order, $plain_text, $email );
			return;
		}
		$consignment = self::of( $order );
		if ( null === $consignment ) {
			return;
		}
		if ( $plain_text ) {
			echo "\n" . esc_html__( 'Courier', 'bikri' ) . ': ' . esc_html( self::line( $consignment ) ) . "\n";
			return;
		}
		echo '<p class="bikri-consignment"><strong>' . esc_html__( 'Courier', 'bikri' ) . ':</strong> ' . esc_html( self::line( $consignment ) ) . '</p>';
	}

	/**
	 * Invoices and packing slips of the common PDF plugin (wpo_wcpdf_after_order_data).
	 *
	 * @param string   $document_type Invoice or packing slip.
	 * @param WC_Order $order         The order.
	 */
	public static function action_pdf_order_data( $document_type, $order ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundBeforeLastUsed -- the PDF plugin's signature.
		$consignment = self::of( $order );
		if ( null === $consignment ) {
			return;
		}
		echo '<tr class="bikri-consignment"><th>' . esc_html__( 'Courier', 'bikri' ) . ':</th><td>' . esc_html( self::line( $consignment ) ) . '</td></tr>';
	}

	/**
	 * A booking written through the REST API (woocommerce_rest_insert_shop_order_object, which
	 * every item of an orders/batch call fires too): its note meta becomes a private order note,
	 * and the meta goes, so the note is added once.
	 *
	 * @param WC_Order|mixed  $order    The order just saved.
	 * @param WP_REST_Request $request  The request (unused).
	 * @param bool            $creating Whether the order was created (unused).
	 */
	public static function action_rest_insert_order( $order, $request = null, $creating = false ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundAfterLastUsed -- WooCommerce's signature.
		$raw = self::take_rest_meta( $order, self::NOTE_META_KEY );
		if ( null === $raw ) {
			return;
		}
		$note = trim( (string) $raw );
		if ( '' !== $note ) {
			$order->add_order_note( sanitize_textarea_field( $note ) );
		}
		$order->save();
	}

	/**
	 * Takes off an order a meta the service wrote through the REST API to have something done
	 * once (the booking note here, an email in Bikri_Emails): its value, with the meta deleted
	 * but not yet saved (the caller saves the order once it has acted); null when the order has
	 * none, or is no order.
	 *
	 * @param WC_Order|mixed $order    The order just saved by the REST API.
	 * @param string         $meta_key The meta key.
	 * @return mixed|null
	 */
	public static function take_rest_meta( $order, $meta_key ) {
		if ( ! is_object( $order ) || ! method_exists( $order, 'get_meta' ) ) {
			return null;
		}
		$raw = $order->get_meta( $meta_key, true );
		if ( '' === $raw || null === $raw ) {
			return null;
		}
		$order->delete_meta_data( $meta_key );
		return $raw;
	}
}
