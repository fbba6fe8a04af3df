<?php
/**
 * GET /wp-json/bikri/v1/orders/export: the order export, for the Bikri service only.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The REST route and its request signature.
 *
 * Signature scheme (no WordPress user, no capability: only the service may call it):
 * - shared secret = the site's export key (Bikri_License::export_key()): an HMAC the service
 *   computes from the site's stored token hash under its own secret key, which is not in its
 *   database, and hands over in the activation answer and on every config pull. A copy of the
 *   service's database alone therefore cannot sign. (The secret used to be the token's SHA-256,
 *   which is exactly what the service stores: that scheme is not accepted any more. A shop
 *   updated from it answers bikri_export_key_missing until its next config pull, at most five
 *   minutes; the service uses wc/v3 meanwhile.) A re-activation (new token) brings a new key.
 * - X-Bikri-Timestamp (Unix seconds), X-Bikri-Nonce (16-64 of [A-Za-z0-9_-]) and
 *   X-Bikri-Signature = hex HMAC-SHA256( secret, METHOD \n route \n canonical query \n timestamp \n nonce ),
 *   where route is the REST route (/bikri/v1/orders/export, the same with or without pretty
 *   permalinks) and the canonical query is the query parameters sorted by name, each
 *   rawurlencode(name)=rawurlencode(value), joined by &.
 * - refused with 401 and no data: a missing or wrong signature (compared with hash_equals),
 *   a timestamp more than 5 minutes off, a nonce seen in the last 10 minutes, or a site that
 *   holds no token or no export key yet.
 * - a nonce is taken by one INSERT into the options table, whose option_name is unique: of two
 *   requests carrying the same nonce, however close together, the database lets exactly one
 *   insert it. (Reading first and writing after, as get_transient() then set_transient() did,
 *   let two racing requests both read "unseen"; wp_cache_add() is atomic only with a persistent
 *   object cache.)
 */
final class Bikri_Export_Route {

	const NAMESPACE_V1 = 'bikri/v1';
	const ROUTE        = '/orders/export';

	/**
	 * Seconds a timestamp may be off either way.
	 */
	const MAX_SKEW = 300;

	/**
	 * Option name prefix of seen nonces; kept twice MAX_SKEW so a nonce cannot come back inside the window.
	 */
	const NONCE_PREFIX = 'bikri_xn_';

	/**
	 * The refusal of a shop that has a token but not yet its export key.
	 */
	const KEY_MISSING = 'bikri_export_key_missing';

	/**
	 * License state (the token).
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * Builds the route.
	 *
	 * @param Bikri_License $license License state.
	 */
	public function __construct( Bikri_License $license ) {
		$this->license = $license;
	}

	/**
	 * Registers the route on rest_api_init.
	 */
	public function register() {
		register_rest_route(
			self::NAMESPACE_V1,
			self::ROUTE,
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => array( $this, 'check_signature' ),
				'args'                => array(
					'after_id'       => array(
						'type'    => 'integer',
						'minimum' => 0,
						'default' => 0,
					),
					'modified_after' => array(
						'type'    => 'string',
						'pattern' => '^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$',
					),
					'limit'          => array(
						'type'    => 'integer',
						'minimum' => 1,
						'maximum' => Bikri_Order_Export::MAX_LIMIT,
						'default' => Bikri_Order_Export::DEFAULT_LIMIT,
					),
					'max_bytes'      => array(
						'type'    => 'integer',
						'minimum' => 1024,
						'maximum' => 8 * Bikri_Order_Export::MAX_BYTES,
						'default' => Bikri_Order_Export::MAX_BYTES,
					),
					'count'          => array(
						'type'    => 'boolean',
						'default' => false,
					),
				),
			)
		);
	}

	/**
	 * Answers one page.
	 *
	 * @param WP_REST_Request $request Request (signature already checked).
	 * @return WP_REST_Response
	 */
	public function handle( WP_REST_Request $request ) {
		$export   = new Bikri_Order_Export();
		$modified = $request->get_param( 'modified_after' );
		$page     = $export->page(
			array(
				'after_id'       => (int) $request->get_param( 'after_id' ),
				'modified_after' => is_string( $modified ) && '' !== $modified ? str_replace( 'T', ' ', $modified ) : null,
				'limit'          => (int) $request->get_param( 'limit' ),
				'max_bytes'      => (int) $request->get_param( 'max_bytes' ),
			)
		);
		if ( $request->get_param( 'count' ) ) {
			$page['total'] = $export->count( $page['storage'] );
		}
		$page['version'] = BIKRI_VERSION;
		$response        = new WP_REST_Response( $page, 200 );
		// Order data: never to be kept by a proxy or the browser.
		$response->header( 'Cache-Control', 'no-store, private' );
		return $response;
	}

	/**
	 * permission_callback: the request must carry a fresh, unseen, valid signature.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function check_signature( WP_REST_Request $request ) {
		$token     = $this->license->token();
		$key       = $this->license->export_key();
		$timestamp = (string) $request->get_header( 'x_bikri_timestamp' );
		$nonce     = (string) $request->get_header( 'x_bikri_nonce' );
		$signature = strtolower( (string) $request->get_header( 'x_bikri_signature' ) );

		if ( '' === $token || '' === $signature || ! ctype_digit( $timestamp ) || ! preg_match( '/^[A-Za-z0-9_-]{16,64}$/', $nonce ) ) {
			return self::refusal( 'bikri_signature_missing' );
		}
		if ( '' === $key ) {
			// Said apart from a wrong signature, so the service asks again soon rather than
			// taking the export for absent (the next config pull brings the key).
			return self::refusal( self::KEY_MISSING );
		}
		if ( abs( time() - (int) $timestamp ) > self::MAX_SKEW ) {
			return self::refusal( 'bikri_signature_stale' );
		}
		$query = $request->get_query_params();
		unset( $query['rest_route'] ); // Part of the path when permalinks are plain, not of the query.
		$expected = self::sign( $key, $request->get_method(), $request->get_route(), $query, $timestamp, $nonce );
		if ( null === $expected || ! hash_equals( $expected, $signature ) ) {
			return self::refusal( 'bikri_signature_invalid' );
		}
		// Checked after the signature, so only the service can fill the nonce table.
		if ( ! self::take_nonce( $nonce, time() ) ) {
			return self::refusal( 'bikri_signature_replayed' );
		}
		return true;
	}

	/**
	 * Records a nonce as seen; false when it was seen already.
	 *
	 * One INSERT IGNORE on the options table's unique option_name: the database decides which of
	 * two racing requests gets the nonce (one row affected) and which does not (none). The rows
	 * are not autoloaded and never read through get_option(), so no cache holds them; expired
	 * ones are deleted after each new one (a range on the option_name index).
	 *
	 * @param string $nonce The request's nonce (already checked to be 16-64 safe characters).
	 * @param int    $now   Current Unix time.
	 * @return bool
	 */
	public static function take_nonce( $nonce, $now ) {
		global $wpdb;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery -- an atomic insert-if-absent has no options API (add_option() reads first, then upserts).
		$taken = $wpdb->query(
			$wpdb->prepare(
				"INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
				self::NONCE_PREFIX . md5( $nonce ),
				(string) ( $now + 2 * self::MAX_SKEW )
			)
		);
		if ( 1 === $taken ) {
			$wpdb->query(
				$wpdb->prepare(
					"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND CAST(option_value AS UNSIGNED) < %d",
					$wpdb->esc_like( self::NONCE_PREFIX ) . '%',
					$now
				)
			);
		}
		// phpcs:enable
		return 1 === $taken;
	}

	/**
	 * The signature of a request (the service computes the same in Python).
	 *
	 * @param string $secret    The site's export key.
	 * @param string $method    HTTP method.
	 * @param string $route     REST route, e.g. /bikri/v1/orders/export.
	 * @param array  $query     Query parameters (decoded).
	 * @param string $timestamp Unix seconds.
	 * @param string $nonce     Nonce.
	 * @return string|null Hex HMAC, or null when the query has a non-scalar value.
	 */
	public static function sign( $secret, $method, $route, array $query, $timestamp, $nonce ) {
		ksort( $query, SORT_STRING );
		$pairs = array();
		foreach ( $query as $name => $value ) {
			if ( ! is_scalar( $value ) ) {
				return null;
			}
			$pairs[] = rawurlencode( (string) $name ) . '=' . rawurlencode( (string) $value );
		}
		$message = strtoupper( $method ) . "\n" . $route . "\n" . implode( '&', $pairs ) . "\n" . $timestamp . "\n" . $nonce;
		return hash_hmac( 'sha256', $message, $secret );
	}

	/**
	 * 401 without any data.
	 *
	 * @param string $code Why (the service logs it; it reveals nothing about orders).
	 * @return WP_Error
	 */
	private static function refusal( $code ) {
		return new WP_Error( $code, __( 'This request is not signed by the Bikri service.', 'bikri' ), array( 'status' => 401 ) );
	}
}
