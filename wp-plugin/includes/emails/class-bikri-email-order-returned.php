<?php
/**
 * The "Returned" email (N1).
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Returned: to the customer, with the courier, consignment id and tracking link.
 */
class Bikri_Email_Order_Returned extends Bikri_Email_Courier_Status {

	/**
	 * Names the email and its templates.
	 */
	public function __construct() {
		$this->id            = 'bikri_order_returned';
		$this->title         = __( 'Returned', 'bikri' );
		$this->description   = __( 'Sent to the customer when the courier returns the parcel to the shop and the status\'s email is on in Bikri.', 'bikri' );
		$this->template_name = 'bikri-order-returned';
		parent::__construct();
	}

	/**
	 * Default subject.
	 *
	 * @return string
	 */
	public function get_default_subject() {
		return __( 'Your {site_title} order #{order_number} was returned to us', 'bikri' );
	}

	/**
	 * Default heading.
	 *
	 * @return string
	 */
	public function get_default_heading() {
		return __( 'Your parcel came back to us', 'bikri' );
	}

	/**
	 * Default text below the main content.
	 *
	 * @return string
	 */
	public function get_default_additional_content() {
		return __( 'If you still want your order, reply to this email and we will send it again.', 'bikri' );
	}
}
