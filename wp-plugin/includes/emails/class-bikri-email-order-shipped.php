<?php
/**
 * The "Order shipped" email (N1).
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Order shipped: to the customer, with the courier, consignment id and tracking link.
 */
class Bikri_Email_Order_Shipped extends Bikri_Email_Courier_Status {

	/**
	 * Names the email and its templates.
	 */
	public function __construct() {
		$this->id            = 'bikri_order_shipped';
		$this->title         = __( 'Order shipped', 'bikri' );
		$this->description   = __( 'Sent to the customer when the order\'s parcel leaves with the courier and the status\'s email is on in Bikri. Shows the courier, the consignment id and the tracking link.', 'bikri' );
		$this->template_name = 'bikri-order-shipped';
		parent::__construct();
	}

	/**
	 * Default subject.
	 *
	 * @return string
	 */
	public function get_default_subject() {
		return __( 'Your {site_title} order #{order_number} is on its way', 'bikri' );
	}

	/**
	 * Default heading.
	 *
	 * @return string
	 */
	public function get_default_heading() {
		return __( 'Your order is on its way', 'bikri' );
	}

	/**
	 * Default text below the main content.
	 *
	 * @return string
	 */
	public function get_default_additional_content() {
		return __( 'Thank you for shopping with us.', 'bikri' );
	}
}
