<?php
/**
 * The "Out for delivery" email (N1). Its texts are in Bikri_Email_Courier_Status::texts().
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Out for delivery: to the customer, with the courier, consignment id and tracking link.
 */
class Bikri_Email_Out_For_Delivery extends Bikri_Email_Courier_Status {

	/**
	 * Email id (its settings are the option woocommerce_bikri_out_for_delivery_settings).
	 *
	 * @var string
	 */
	public $id = 'bikri_out_for_delivery';

	/**
	 * The template's name (emails/bikri-out-for-delivery.php and emails/plain/bikri-out-for-delivery.php).
	 *
	 * @var string
	 */
	protected $template_name = 'bikri-out-for-delivery';
}
