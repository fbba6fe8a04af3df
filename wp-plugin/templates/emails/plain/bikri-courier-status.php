<?php
/**
 * What the three courier status emails to the customer say around their news (plain text): the
 * greeting, the parcel, the order, the text below. Loaded by plain/bikri-order-shipped.php,
 * plain/bikri-out-for-delivery.php and plain/bikri-order-returned.php, each with its own $news.
 *
 * A theme overrides it for all three by copying it to yourtheme/woocommerce/emails/plain/bikri-courier-status.php
 * (or one email alone by copying that email's template).
 *
 * @package Bikri
 *
 * @var WC_Order   $order              The order.
 * @var array|null $parcel             Bikri_Consignment::of( $order ).
 * @var string     $email_heading      Heading.
 * @var string     $additional_content Text below the main content.
 * @var bool       $sent_to_admin      False.
 * @var bool       $plain_text         True.
 * @var WC_Email   $email              The email.
 * @var string     $template_base      The plugin's templates folder.
 * @var string     $news               What happened to the order, translated and not yet escaped; %s: the order number.
 */

defined( 'ABSPATH' ) || exit;

echo "=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=\n";
echo esc_html( wp_strip_all_tags( $email_heading ) );
echo "\n=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=\n\n";

/* translators: %s: customer's first name */
echo sprintf( esc_html__( 'Hi %s,', 'bikri' ), esc_html( $order->get_billing_first_name() ) ) . "\n\n";
echo sprintf( esc_html( $news ), esc_html( $order->get_order_number() ) ) . "\n\n";

if ( $parcel ) {
	Bikri_Emails::render_parcel( $order, $parcel, $plain_text, $email );
}

echo "\n----------------------------------------\n\n";

do_action( 'woocommerce_email_order_details', $order, $sent_to_admin, $plain_text, $email );
do_action( 'woocommerce_email_order_meta', $order, $sent_to_admin, $plain_text, $email );
do_action( 'woocommerce_email_customer_details', $order, $sent_to_admin, $plain_text, $email );

echo "\n\n----------------------------------------\n\n";

if ( $additional_content ) {
	echo esc_html( wp_strip_all_tags( wptexturize( $additional_content ) ) );
	echo "\n\n----------------------------------------\n\n";
}

echo wp_kses_post( apply_filters( 'woocommerce_email_footer_text', get_option( 'woocommerce_email_footer_text' ) ) );
