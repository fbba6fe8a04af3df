<?php
/**
 * The "Returned" email (N1). Its texts are in Bikri_Email_Courier_Status::texts().
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Returned: to the customer, with the courier, consignment id and tracking link.
 */
class Bikri_Email_Order_Returned extends Bikri_Email_Courier_Status {

	/**
	 * Email id (its settings are the option woocommerce_bikri_order_returned_settings).
	 *
	 * @var string
	 */
	public $id = 'bikri_order_returned';

	/**
	 * The template's name (emails/bikri-order-returned.php and emails/plain/bikri-order-returned.php).
	 *
	 * @var string
	 */
	protected $template_name = 'bikri-order-returned';
}
