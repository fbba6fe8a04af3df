<?php
/**
 * The "Out for delivery" email to the customer (plain text): its news; the rest, which the three courier
 * emails share, is emails/plain/bikri-courier-status.php.
 *
 * A theme overrides it by copying it to yourtheme/woocommerce/emails/plain/bikri-out-for-delivery.php.
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
 */

defined( 'ABSPATH' ) || exit;

/* translators: %s: order number */
$news = __( 'Your order #%s is out for delivery: the courier\'s rider brings it to you today.', 'bikri' );

$shared = compact( 'order', 'parcel', 'email_heading', 'additional_content', 'sent_to_admin', 'plain_text', 'email', 'template_base', 'news' );
wc_get_template( 'emails/plain/bikri-courier-status.php', $shared, '', $template_base );
