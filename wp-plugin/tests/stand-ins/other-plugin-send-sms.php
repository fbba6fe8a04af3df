<?php
/**
 * STAND-IN for another SMS plugin that declares send_sms() without checking first (as many
 * do). Loaded only by send-sms-elsewhere.php, in a process of its own.
 *
 * @package Bikri
 */

/**
 * The other plugin's send_sms().
 *
 * @param string $phone   Recipient.
 * @param string $content Text.
 * @return string
 */
function send_sms( $phone, $content ) {
	return 'sent by the other plugin to ' . $phone;
}
