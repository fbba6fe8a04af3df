<?php
/**
 * The "Out for delivery" email (N1).
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Out for delivery: to the customer, with the courier, consignment id and tracking link.
 */
class Bikri_Email_Out_For_Delivery extends Bikri_Email_Courier_Status {

	/**
	 * Names the email and its templates.
	 */
	public function __construct() {
		$this->id            = 'bikri_out_for_delivery';
		$this->title         = __( 'Out for delivery', 'bikri' );
		$this->description   = __( 'Sent to the customer when the courier\'s rider takes the parcel out for delivery and the status\'s email is on in Bikri.', 'bikri' );
		$this->template_name = 'bikri-out-for-delivery';
		parent::__construct();
	}

	/**
	 * Default subject.
	 *
	 * @return string
	 */
	public function get_default_subject() {
		return __( 'Your {site_title} order #{order_number} is out for delivery', 'bikri' );
	}

	/**
	 * Default heading.
	 *
	 * @return string
	 */
	public function get_default_heading() {
		return __( 'Your parcel arrives today', 'bikri' );
	}

	/**
	 * Default text below the main content.
	 *
	 * @return string
	 */
	public function get_default_additional_content() {
		return __( 'Please keep your phone on: the rider calls before delivering.', 'bikri' );
	}
}
