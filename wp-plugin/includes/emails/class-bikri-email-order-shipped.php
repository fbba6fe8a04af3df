<?php
/**
 * The "Order shipped" email (N1). Its texts are in Bikri_Email_Courier_Status::texts().
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Order shipped: to the customer, with the courier, consignment id and tracking link.
 */
class Bikri_Email_Order_Shipped extends Bikri_Email_Courier_Status {

	/**
	 * Email id (its settings are the option woocommerce_bikri_order_shipped_settings).
	 *
	 * @var string
	 */
	public $id = 'bikri_order_shipped';

	/**
	 * The template's name (emails/bikri-order-shipped.php and emails/plain/bikri-order-shipped.php).
	 *
	 * @var string
	 */
	protected $template_name = 'bikri-order-shipped';
}
