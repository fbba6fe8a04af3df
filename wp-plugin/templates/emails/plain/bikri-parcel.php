<?php
/**
 * "Your parcel" (plain text): the courier, consignment id and tracking link.
 *
 * A theme overrides it by copying it to yourtheme/woocommerce/emails/plain/bikri-parcel.php.
 *
 * @package Bikri
 *
 * @var WC_Order $order  The order.
 * @var array    $parcel Bikri_Consignment::of( $order ): courier_name, consignment_id, tracking_code, tracking_link.
 * @var WC_Email $email  The email, if any.
 */

defined( 'ABSPATH' ) || exit;

echo "\n" . esc_html__( 'Your parcel', 'bikri' ) . "\n\n";
echo esc_html__( 'Courier', 'bikri' ) . ': ' . esc_html( $parcel['courier_name'] ) . "\n";
if ( '' !== $parcel['consignment_id'] ) {
	echo esc_html__( 'Consignment ID', 'bikri' ) . ': ' . esc_html( $parcel['consignment_id'] ) . "\n";
}
if ( '' !== $parcel['tracking_link'] ) {
	echo esc_html__( 'Track your parcel', 'bikri' ) . ': ' . esc_url( $parcel['tracking_link'] ) . "\n";
}
