<?php
/**
 * Plugin Name: WooCommerce REST API stand-in (browser test only)
 * Description: Written into a throwaway test WordPress by tests/e2e/test_order_desk.py. NOT WooCommerce.
 *
 * The test WordPress has no WooCommerce, but the Bikri service talks to a shop's WooCommerce REST
 * API at the shop's own URL. This stand-in makes that URL answer the way a shop with WooCommerce
 * would, with the sandbox WooCommerce store (backend/sandbox/woocommerce.py) doing the answering:
 *
 * 1. WooCommerce's REST keys: wc_api_hash() and wc_rand_hash() with WooCommerce's own bodies, and
 *    the {prefix}woocommerce_api_keys table with WooCommerce's schema, so the plugin creates its
 *    key at activation through its real code path (Bikri_Rest_Key).
 * 2. /wp-json/wc/v3/* is forwarded to the sandbox store: method, path, query string, body and the
 *    request headers, with the ORIGINAL Host header, so an OAuth 1.0a signature made for
 *    http://<this site>/wp-json/wc/v3/... verifies there (the sandbox builds the base URL from
 *    Host, as WooCommerce does from the request). Its status, X-WP-Total, X-WP-TotalPages, Link,
 *    Content-Type and body come back unchanged.
 * 3. The key a request presents is looked up in the keys table by wc_api_hash(), as WooCommerce
 *    does, and when that row exists it is told to the sandbox (its /__sandbox/keys control) with
 *    the row's secret and permissions: the sandbox accepts exactly the keys this shop holds.
 *    (A key deleted from the table afterwards stays known to the sandbox: it has no control to
 *    forget one.)
 *
 * The sandbox's URL is defined in BIKRI_TEST_WC_SANDBOX above this comment by the test.
 *
 * @package Bikri
 */

if ( ! defined( 'BIKRI_TEST_WC_SANDBOX' ) ) {
	return;
}

if ( ! function_exists( 'wc_api_hash' ) ) {
	/**
	 * WooCommerce's wc_api_hash() (includes/wc-core-functions.php).
	 *
	 * @param string $data Message to be hashed.
	 * @return string
	 */
	function wc_api_hash( $data ) {
		return hash_hmac( 'sha256', $data, 'wc-api' );
	}
}

if ( ! function_exists( 'wc_rand_hash' ) ) {
	/**
	 * WooCommerce's wc_rand_hash(): 40 random hex characters.
	 *
	 * @return string
	 */
	function wc_rand_hash() {
		return bin2hex( random_bytes( 20 ) );
	}
}

// WooCommerce's keys table (wp-plugin/tests/stand-ins/woocommerce-api-keys.php, copied beside
// this file by the test), made once.
require_once __DIR__ . '/bikri-test-wc-api-keys.php';
if ( ! get_option( 'bikri_test_wc_keys_table' ) ) {
	bikri_test_create_wc_api_keys_table();
	update_option( 'bikri_test_wc_keys_table', 1 );
}

/**
 * The consumer key a request presents (OAuth 1.0a header or query, Basic, or query credentials).
 *
 * @param array $headers Request headers.
 * @return string
 */
function bikri_test_wc_presented_key( $headers ) {
	// phpcs:disable WordPress.Security.NonceVerification.Recommended
	if ( ! empty( $_GET['oauth_consumer_key'] ) ) {
		return (string) $_GET['oauth_consumer_key'];
	}
	if ( ! empty( $_GET['consumer_key'] ) ) {
		return (string) $_GET['consumer_key'];
	}
	// phpcs:enable
	foreach ( $headers as $name => $value ) {
		if ( 'authorization' !== strtolower( $name ) ) {
			continue;
		}
		if ( preg_match( '/oauth_consumer_key="?([^",]+)/i', $value, $m ) ) {
			return rawurldecode( $m[1] );
		}
		if ( 0 === stripos( $value, 'basic ' ) ) {
			return (string) strtok( base64_decode( substr( $value, 6 ) ), ':' );
		}
	}
	return '';
}

/**
 * One call to the sandbox; [status, header lines, body].
 *
 * @param string $method  HTTP method.
 * @param string $path    Path and query.
 * @param array  $headers Header lines.
 * @param string $body    Body.
 * @return array
 */
function bikri_test_wc_call( $method, $path, $headers, $body ) {
	$lines = array();
	// phpcs:disable WordPress.WP.AlternativeFunctions -- a raw proxy: WP_Http would rewrite Host and headers.
	$ch = curl_init( rtrim( BIKRI_TEST_WC_SANDBOX, '/' ) . $path );
	curl_setopt_array(
		$ch,
		array(
			CURLOPT_CUSTOMREQUEST  => $method,
			CURLOPT_HTTPHEADER     => array_merge( $headers, array( 'Expect:' ) ),
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_TIMEOUT        => 60,
			CURLOPT_HEADERFUNCTION => function ( $ch, $line ) use ( &$lines ) {
				$lines[] = rtrim( $line, "\r\n" );
				return strlen( $line );
			},
		)
	);
	if ( '' !== $body ) {
		curl_setopt( $ch, CURLOPT_POSTFIELDS, $body );
	}
	$answer = curl_exec( $ch );
	$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
	curl_close( $ch );
	// phpcs:enable
	return array( $status, $lines, false === $answer ? '' : $answer );
}

$bikri_test_path = (string) wp_parse_url( isset( $_SERVER['REQUEST_URI'] ) ? $_SERVER['REQUEST_URI'] : '', PHP_URL_PATH );
if ( 0 === strpos( $bikri_test_path, '/wp-json/wc/v3/' ) ) {
	global $wpdb;
	$bikri_test_headers = function_exists( 'getallheaders' ) ? getallheaders() : array();

	// 3. The key, if this shop holds it, is known to the sandbox.
	$bikri_test_key = bikri_test_wc_presented_key( $bikri_test_headers );
	if ( '' !== $bikri_test_key ) {
		$bikri_test_row = $wpdb->get_row(
			$wpdb->prepare( "SELECT consumer_secret, permissions FROM {$wpdb->prefix}woocommerce_api_keys WHERE consumer_key = %s", wc_api_hash( $bikri_test_key ) )
		);
		if ( $bikri_test_row ) {
			bikri_test_wc_call(
				'POST',
				'/__sandbox/keys',
				array( 'Content-Type: application/json' ),
				wp_json_encode(
					array(
						'consumer_key'    => $bikri_test_key,
						'consumer_secret' => $bikri_test_row->consumer_secret,
						'permissions'     => $bikri_test_row->permissions,
					)
				)
			);
		}
	}

	// 2. The request itself, Host and all.
	$bikri_test_forward = array();
	foreach ( $bikri_test_headers as $name => $value ) {
		if ( in_array( strtolower( $name ), array( 'content-length', 'connection', 'expect', 'accept-encoding', 'transfer-encoding' ), true ) ) {
			continue;
		}
		$bikri_test_forward[] = $name . ': ' . $value;
	}
	list( $bikri_test_status, $bikri_test_lines, $bikri_test_body ) = bikri_test_wc_call(
		isset( $_SERVER['REQUEST_METHOD'] ) ? $_SERVER['REQUEST_METHOD'] : 'GET',
		isset( $_SERVER['REQUEST_URI'] ) ? $_SERVER['REQUEST_URI'] : '/',
		$bikri_test_forward,
		(string) file_get_contents( 'php://input' )
	);
	if ( 0 === $bikri_test_status ) {
		$bikri_test_status = 502;
		$bikri_test_body   = wp_json_encode( array( 'code' => 'bikri_test_sandbox_down', 'message' => 'The sandbox store did not answer.', 'data' => array( 'status' => 502 ) ) );
	}
	header_remove();
	http_response_code( $bikri_test_status );
	foreach ( $bikri_test_lines as $bikri_test_line ) {
		$bikri_test_name = strtolower( (string) strtok( $bikri_test_line, ':' ) );
		if ( false === strpos( $bikri_test_line, ':' ) || in_array( $bikri_test_name, array( 'content-length', 'transfer-encoding', 'connection', 'date', 'server' ), true ) ) {
			continue;
		}
		header( $bikri_test_line, false );
	}
	echo $bikri_test_body; // phpcs:ignore WordPress.Security.EscapeOutput -- the store's answer, unchanged.
	exit;
}

// This shop's orders live in the sandbox store behind the stand-in wc/v3 above, not in this
// WordPress's tables, so the plugin's own order export (which reads those tables) would
// honestly answer "no orders". The test takes the route away, as a security plugin may do, and
// the service falls back to wc/v3 — the path this test is about. The export has its own tests
// (wp-plugin/tests/test-order-export.php, tests/sync/test_export.py, bench/export.py).
add_filter(
	'rest_endpoints',
	static function ( $endpoints ) {
		unset( $endpoints['/bikri/v1/orders/export'] );
		return $endpoints;
	}
);
