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
 * {"v":1, "p":"+8801…", "sid":"<checkout session>", "m":"verified|trusted|skipped_no_balance|skipped_unavailable", "exp":<unix>, "n":"<nonce>"}.
 *
 * The service signs it with HMAC-SHA256 under a key both sides derive from the site token
 * (the service stores only the token's SHA-256, which is all the derivation needs), so the
 * plugin checks it in microseconds, offline, and a proof from another site or an older
 * activation does not verify. The plugin signs its own proofs the same way for the one case
 * the service cannot: when it did not answer at all.
 */
final class Bikri_Otp_Proof {

	/**
	 * Context string of the key derivation (the service uses the same).
	 */
	const KEY_CONTEXT = 'bikri-otp-proof-v1';

	/**
	 * Longest proof accepted (a real one is about 200 characters).
	 */
	const MAX_LENGTH = 1024;

	/**
	 * The signing key for a site token.
	 *
	 * @param string $token Site token.
	 * @return string Raw bytes.
	 */
	private static function key( $token ) {
		return hash_hmac( 'sha256', self::KEY_CONTEXT, hash( 'sha256', (string) $token ), true );
	}

	/**
	 * The payload of a proof, when its signature holds and it has not expired; null otherwise.
	 *
	 * @param string $token Site token.
	 * @param mixed  $proof The proof.
	 * @param int    $now   Current Unix time.
	 * @return array|null
	 */
	public static function read( $token, $proof, $now ) {
		if ( '' === (string) $token || ! is_string( $proof ) || strlen( $proof ) > self::MAX_LENGTH
			|| ! preg_match( '/^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/', $proof, $parts ) ) {
			return null;
		}
		$expected = self::encode( hash_hmac( 'sha256', $parts[1], self::key( $token ), true ) );
		if ( ! hash_equals( $expected, $parts[2] ) ) {
			return null;
		}
		$payload = json_decode( (string) self::decode( $parts[1] ), true );
		if ( ! is_array( $payload ) || ! isset( $payload['p'], $payload['sid'], $payload['m'], $payload['exp'] )
			|| ! is_string( $payload['p'] ) || ! is_string( $payload['sid'] ) || ! is_string( $payload['m'] ) ) {
			return null;
		}
		return (int) $payload['exp'] > (int) $now ? $payload : null;
	}

	/**
	 * Signs a proof here (only for when the service did not answer).
	 *
	 * @param string $token   Site token.
	 * @param string $phone   Normalised phone.
	 * @param string $session Checkout session id.
	 * @param string $mode    How the phone passed.
	 * @param int    $expires Unix time it stops counting.
	 * @return string
	 */
	public static function sign( $token, $phone, $session, $mode, $expires ) {
		$payload = self::encode(
			wp_json_encode(
				array(
					'v'   => 1,
					'p'   => (string) $phone,
					'sid' => (string) $session,
					'm'   => (string) $mode,
					'exp' => (int) $expires,
					'n'   => wp_generate_password( 12, false ),
				)
			)
		);
		return $payload . '.' . self::encode( hash_hmac( 'sha256', $payload, self::key( $token ), true ) );
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
