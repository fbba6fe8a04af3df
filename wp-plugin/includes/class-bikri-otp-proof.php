<?php
/**
 * Proofs that a checkout's phone was verified, checked at order time without calling the service.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A proof is "<payload>.<signature>", both base64url. The payload is JSON:
 * {"v":1|2, "p":"+8801…", "sid":"<checkout session>", "m":"verified|trusted|skipped_no_balance|skipped_unavailable", "exp":<unix>, "n":"<nonce>"}.
 *
 * The service signs it with HMAC-SHA256, so the plugin checks it in microseconds, offline, and
 * a proof from another site or an older activation does not verify. The plugin signs its own
 * proofs the same way for the one case the service cannot: when it did not answer at all.
 *
 * Two versions of the key:
 * - v2: HMAC( export key, "bikri-otp-proof-v2" ). The export key (Bikri_License::export_key())
 *   is an HMAC the service computes under its own secret key, which is not in its database, and
 *   hands over at activation and on every config pull. The order export is checked with the same
 *   key; the context string keeps the two uses apart. (One key rather than two: both would be
 *   kept in the same places, so a second one would protect nothing more.)
 * - v1: HMAC( sha256(token), "bikri-otp-proof-v1" ). The service stores exactly sha256(token) as
 *   the site's token hash, so anyone holding a copy of its database could sign v1 proofs for any
 *   shop and skip its checkout codes.
 *
 * Which one counts depends only on whether this site holds its export key, never on the proof:
 * with the key, only v2 (so a proof forged from a leaked database, which can only be v1, is
 * refused); without it, only v1, so a plugin updated before its next config pull (at most five
 * minutes) keeps its checkout working. The plugin tells the service which version it takes
 * (proof_version on the OTP calls, see Bikri_Api_Client), so the service signs the right one.
 * A v1 proof a shopper got in the minutes before the key arrived no longer counts once it has:
 * that shopper confirms the number again.
 */
final class Bikri_Otp_Proof {

	/**
	 * Context strings of the key derivation, by version (the service uses the same).
	 */
	const KEY_CONTEXTS = array(
		1 => 'bikri-otp-proof-v1',
		2 => 'bikri-otp-proof-v2',
	);

	/**
	 * Longest proof accepted (a real one is about 200 characters).
	 */
	const MAX_LENGTH = 1024;

	/**
	 * The only version this site takes: 2 once it holds its export key, 1 until then.
	 *
	 * @param string $export_key The site's export key ('' until the service handed it over).
	 * @return int
	 */
	public static function version( $export_key ) {
		return '' === (string) $export_key ? 1 : 2;
	}

	/**
	 * The signing key of the version this site takes.
	 *
	 * @param string $token      Site token.
	 * @param string $export_key The site's export key, or ''.
	 * @return string Raw bytes.
	 */
	private static function key( $token, $export_key ) {
		if ( 2 === self::version( $export_key ) ) {
			return hash_hmac( 'sha256', self::KEY_CONTEXTS[2], (string) $export_key, true );
		}
		return hash_hmac( 'sha256', self::KEY_CONTEXTS[1], hash( 'sha256', (string) $token ), true );
	}

	/**
	 * Whether a proof's signature holds under this site's key (its payload unread).
	 *
	 * @param string $token      Site token.
	 * @param string $export_key The site's export key, or ''.
	 * @param mixed  $proof      The proof.
	 * @return bool
	 */
	public static function signed( $token, $export_key, $proof ) {
		if ( '' === (string) $token || ! is_string( $proof ) || strlen( $proof ) > self::MAX_LENGTH
			|| ! preg_match( '/^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/', $proof, $parts ) ) {
			return false;
		}
		$expected = self::encode( hash_hmac( 'sha256', $parts[1], self::key( $token, $export_key ), true ) );
		return hash_equals( $expected, $parts[2] );
	}

	/**
	 * The payload of a proof, when its signature holds under this site's key, it is of the
	 * version this site takes and it has not expired; null otherwise.
	 *
	 * @param string $token      Site token.
	 * @param string $export_key The site's export key, or '' (then only v1 proofs count).
	 * @param mixed  $proof      The proof.
	 * @param int    $now        Current Unix time.
	 * @return array|null
	 */
	public static function read( $token, $export_key, $proof, $now ) {
		if ( ! self::signed( $token, $export_key, $proof ) ) {
			return null;
		}
		$payload = json_decode( (string) self::decode( explode( '.', $proof )[0] ), true );
		if ( ! is_array( $payload ) || ! isset( $payload['v'], $payload['p'], $payload['sid'], $payload['m'], $payload['exp'] )
			|| self::version( $export_key ) !== $payload['v']
			|| ! is_string( $payload['p'] ) || ! is_string( $payload['sid'] ) || ! is_string( $payload['m'] ) ) {
			return null;
		}
		return (int) $payload['exp'] > (int) $now ? $payload : null;
	}

	/**
	 * Signs a proof here (only for when the service did not answer), of the version this site takes.
	 *
	 * @param string $token      Site token.
	 * @param string $export_key The site's export key, or ''.
	 * @param string $phone      Normalised phone.
	 * @param string $session    Checkout session id.
	 * @param string $mode       How the phone passed.
	 * @param int    $expires    Unix time it stops counting.
	 * @return string
	 */
	public static function sign( $token, $export_key, $phone, $session, $mode, $expires ) {
		$payload = self::encode(
			wp_json_encode(
				array(
					'v'   => self::version( $export_key ),
					'p'   => (string) $phone,
					'sid' => (string) $session,
					'm'   => (string) $mode,
					'exp' => (int) $expires,
					'n'   => wp_generate_password( 12, false ),
				)
			)
		);
		return $payload . '.' . self::encode( hash_hmac( 'sha256', $payload, self::key( $token, $export_key ), true ) );
	}

	/**
	 * Base64url without padding.
	 *
	 * @param string $raw Bytes.
	 * @return string
	 */
	private static function encode( $raw ) {
		return rtrim( strtr( base64_encode( $raw ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- a token format, not obfuscation.
	}

	/**
	 * Base64url decoding.
	 *
	 * @param string $text Base64url.
	 * @return string|false
	 */
	private static function decode( $text ) {
		return base64_decode( strtr( $text, '-_', '+/' ) . str_repeat( '=', ( 4 - strlen( $text ) % 4 ) % 4 ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- a token format, not obfuscation.
	}
}
