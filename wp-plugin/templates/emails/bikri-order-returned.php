<?php
/**
 * The "Returned" email to the customer (HTML).
 *
 * A theme overrides it by copying it to yourtheme/woocommerce/emails/bikri-order-returned.php.
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
/* translators: %s: order number */
printf( esc_html__( 'The courier has returned your order #%s to us: it could not be delivered.', 'bikri' ), esc_html( $order->get_order_number() ) );
?>
</p>
<?php
if ( $parcel ) {
	wc_get_template(
		'emails/bikri-parcel.php',
		array(
			'order'  => $order,
			'parcel' => $parcel,
			'email'  => $email,
		),
		'',
		$template_base
	);
}

do_action( 'woocommerce_email_order_details', $order, $sent_to_admin, $plain_text, $email );
do_action( 'woocommerce_email_order_meta', $order, $sent_to_admin, $plain_text, $email );
do_action( 'woocommerce_email_customer_details', $order, $sent_to_admin, $plain_text, $email );

if ( $additional_content ) {
	echo wp_kses_post( wpautop( wptexturize( $additional_content ) ) );
}

do_action( 'woocommerce_email_footer', $email );
