<?php
/**
 * send_sms(): the short name other plugins and themes expect. Loaded by bikri_declare_send_sms()
 * only when no other plugin declared a send_sms() of its own.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( ! function_exists( 'send_sms' ) ) {
	/**
	 * Sends an SMS through Bikri; see bikri_send_sms() for the answer and the errors.
	 *
	 * @param string $phone   Recipient's mobile number.
	 * @param string $content Message text.
	 * @return array|WP_Error
	 */
	function send_sms( $phone, $content ) {
		return bikri_send_sms( $phone, $content );
	}
}
