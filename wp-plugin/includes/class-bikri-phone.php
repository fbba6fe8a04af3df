<?php
/**
 * Bangladeshi mobile numbers, read the way the service reads them (backend/phones.py).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The plugin compares the checkout's billing phone with the phone a proof was made for, and
 * looks it up in the blacklist copy, without asking the service: both need the same
 * normal form the service stores (+8801XXXXXXXXX).
 */
final class Bikri_Phone {

	/**
	 * Bangla digits and their ASCII twins.
	 */
	const BANGLA_DIGITS = array( '০', '১', '২', '৩', '৪', '৫', '৬', '৭', '৮', '৯' );

	/**
	 * The number as +8801XXXXXXXXX, or '' when it is not a Bangladeshi mobile number.
	 *
	 * Accepts 01711-234567, +880 1711 234567, 8801711234567, 1711234567, 00880…, Bangla digits.
	 *
	 * @param mixed $raw What the shopper typed.
	 * @return string
	 */
	public static function normalise( $raw ) {
		if ( ! is_string( $raw ) && ! is_int( $raw ) ) {
			return '';
		}
		$digits = str_replace( self::BANGLA_DIGITS, array( '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' ), trim( (string) $raw ) );
		$digits = preg_replace( '/[\s\-().]/u', '', $digits );
		if ( 0 === strpos( $digits, '+' ) ) {
			$digits = substr( $digits, 1 );
		} elseif ( 0 === strpos( $digits, '00' ) ) {
			$digits = substr( $digits, 2 );
		}
		if ( '' === $digits || ! ctype_digit( $digits ) ) {
			return '';
		}
		if ( 0 === strpos( $digits, '880' ) ) {
			$digits = substr( $digits, 2 );
		} elseif ( 10 === strlen( $digits ) && '1' === $digits[0] ) {
			$digits = '0' . $digits;
		}
		return preg_match( '/^01[3-9]\d{8}$/', $digits ) ? '+88' . $digits : '';
	}
}
