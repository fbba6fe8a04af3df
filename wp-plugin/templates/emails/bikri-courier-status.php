<?php
/**
 * What the three courier status emails to the customer say around their news (HTML): the
 * greeting, the parcel, the order, the text below. Loaded by bikri-order-shipped.php,
 * bikri-out-for-delivery.php and bikri-order-returned.php, each with its own $news.
 *
 * A theme overrides it for all three by copying it to yourtheme/woocommerce/emails/bikri-courier-status.php
 * (or one email alone by copying that email's template).
 *
 * @package Bikri
 *
 * @var WC_Order   $order              The order.
 * @var array|null $parcel             Bikri_Consignment::of( $order ): courier_name, consignment_id, tracking_link.
 * @var string     $email_heading      Heading.
 * @var string     $additional_content Text below the main content.
 * @var bool       $sent_to_admin      False.
 * @var bool       $plain_text         False.
 * @var WC_Email   $email              The email.
 * @var string     $template_base      The plugin's templates folder.
 * @var string     $news               What happened to the order, translated and not yet escaped; %s: the order number.
 */

defined( 'ABSPATH' ) || exit;

do_action( 'woocommerce_email_header', $email_heading, $email );
?>
<p>
<?php
/* translators: %s: customer's first name */
printf( esc_html__( 'Hi %s,', 'bikri' ), esc_html( $order->get_billing_first_name() ) );
?>
</p>
<p>
<?php
printf( esc_html( $news ), esc_html( $order->get_order_number() ) );
?>
</p>
<?php
if ( $parcel ) {
	Bikri_Emails::render_parcel( $order, $parcel, $plain_text, $email );
}

do_action( 'woocommerce_email_order_details', $order, $sent_to_admin, $plain_text, $email );
do_action( 'woocommerce_email_order_meta', $order, $sent_to_admin, $plain_text, $email );
do_action( 'woocommerce_email_customer_details', $order, $sent_to_admin, $plain_text, $email );

if ( $additional_content ) {
	echo wp_kses_post( wpautop( wptexturize( $additional_content ) ) );
}

do_action( 'woocommerce_email_footer', $email );
