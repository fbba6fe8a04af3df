<?php
/**
 * "Your parcel" (HTML): the courier, consignment id and tracking link, in Bikri's courier emails
 * and in WooCommerce's own customer emails once the order is booked.
 *
 * A theme overrides it by copying it to yourtheme/woocommerce/emails/bikri-parcel.php.
 *
 * @package Bikri
 *
 * @var WC_Order $order  The order.
 * @var array    $parcel Bikri_Consignment::of( $order ): courier_name, consignment_id, tracking_code, tracking_link.
 * @var WC_Email $email  The email, if any.
 */

defined( 'ABSPATH' ) || exit;
?>
<div class="bikri-parcel" style="margin-bottom: 40px;">
	<h2><?php esc_html_e( 'Your parcel', 'bikri' ); ?></h2>
	<table class="td" cellspacing="0" cellpadding="6" border="1" style="width: 100%;">
		<tr>
			<th class="td" scope="row" style="text-align: left;"><?php esc_html_e( 'Courier', 'bikri' ); ?></th>
			<td class="td" style="text-align: left;"><?php echo esc_html( $parcel['courier_name'] ); ?></td>
		</tr>
		<?php if ( '' !== $parcel['consignment_id'] ) : ?>
		<tr>
			<th class="td" scope="row" style="text-align: left;"><?php esc_html_e( 'Consignment ID', 'bikri' ); ?></th>
			<td class="td" style="text-align: left;"><?php echo esc_html( $parcel['consignment_id'] ); ?></td>
		</tr>
		<?php endif; ?>
		<?php if ( '' !== $parcel['tracking_link'] ) : ?>
		<tr>
			<th class="td" scope="row" style="text-align: left;"><?php esc_html_e( 'Tracking', 'bikri' ); ?></th>
			<td class="td" style="text-align: left;"><a class="bikri-tracking-link" href="<?php echo esc_url( $parcel['tracking_link'] ); ?>"><?php esc_html_e( 'Track your parcel', 'bikri' ); ?></a></td>
		</tr>
		<?php endif; ?>
	</table>
</div>
