<?php
/**
 * The one client for every call from the plugin to the Bikri service.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Sends JSON to the service and returns the decoded answer or a WP_Error.
 *
 * One contract: a decoded array on success (empty for 204), otherwise a WP_Error whose
 * code is the service's error code (or a bikri_* code for transport problems) and whose
 * data holds the HTTP status and the service's details.
 */
final class Bikri_Api_Client {

	/**
	 * Error codes with which the service refuses the license itself.
	 */
	const LICENSE_REFUSALS = array( 'license_inactive', 'license_invalid' );

	/**
	 * Seconds to wait for the service.
	 */
	const TIMEOUT = 10;

	/**
	 * Where license state is read and refusals are recorded.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * Builds the client.
	 *
	 * @param Bikri_License $license License state.
	 */
	public function __construct( Bikri_License $license ) {
		$this->license = $license;
	}

	/**
	 * Activates this site with a license key: POST /api/v1/sites/activate.
	 *
	 * @param string $license_key        The key the merchant typed.
	 * @param string $site_url           This site's URL.
	 * @param string $wc_consumer_key    Optional WooCommerce REST key for the service.
	 * @param string $wc_consumer_secret Optional WooCommerce REST secret for the service.
	 * @param string $site_token         The site's current token, when it is activated: it proves
	 *                                   this is the same shop, so a new key moves the site (orders,
	 *                                   SMS balance, settings) to the new license instead of starting over.
	 * @return array|WP_Error {site_id, token, license: {status, plan, expires_at}}
	 */
	public function activate( $license_key, $site_url, $wc_consumer_key = '', $wc_consumer_secret = '', $site_token = '' ) {
		$body = array_merge(
			array(
				'license_key' => (string) $license_key,
				'site_url'    => (string) $site_url,
			),
			self::site_details()
		);
		if ( '' !== $wc_consumer_key && '' !== $wc_consumer_secret ) {
			$body['wc_consumer_key']    = (string) $wc_consumer_key;
			$body['wc_consumer_secret'] = (string) $wc_consumer_secret;
		}
		if ( '' !== (string) $site_token ) {
			$body['site_token'] = (string) $site_token;
		}
		return $this->request( 'POST', '/api/v1/sites/activate', $body, false );
	}

	/**
	 * The license status: GET /api/v1/license.
	 *
	 * @return array|WP_Error {status, plan, expires_at, site_url, sites_used, sites_allowed}
	 */
	public function get_license() {
		return $this->request( 'GET', '/api/v1/license' );
	}

	/**
	 * What the service has stored of this shop's orders: GET /api/v1/sync/status.
	 *
	 * Asked when the License page is shown (an admin waits on it: a short timeout).
	 *
	 * @return array|WP_Error {connected, orders_stored, backfill, reconcile, events: {waiting, failed, unstored}}
	 */
	public function get_sync_status() {
		return $this->request( 'GET', '/api/v1/sync/status', null, true, array(), 5 );
	}

	/**
	 * Frees this site's place on the license: POST /api/v1/sites/deactivate.
	 *
	 * @return array|WP_Error Empty array on success.
	 */
	public function deactivate() {
		return $this->request( 'POST', '/api/v1/sites/deactivate', array() );
	}

	/**
	 * Frees the place an earlier activation held, after a new license key took over.
	 *
	 * Best effort and silent: the old token is not this site's token any more, so its refusal
	 * must not mark the new license inactive.
	 *
	 * @param string $old_token The token the site used before.
	 * @return array|WP_Error
	 */
	public function release_token( $old_token ) {
		$base = $this->license->service_url();
		if ( '' === $base || '' === $old_token ) {
			return new WP_Error( 'bikri_nothing_to_release', '' );
		}
		$response = wp_remote_request(
			$base . '/api/v1/sites/deactivate',
			array(
				'method'      => 'POST',
				'timeout'     => self::TIMEOUT,
				'redirection' => 0,
				'headers'     => array(
					'Accept'        => 'application/json',
					'Authorization' => 'Bearer ' . $old_token,
				),
			)
		);
		return $this->decode( $response );
	}

	/**
	 * A one-time ticket that signs a WordPress user in to an embedded page: POST /api/v1/embed/tickets.
	 *
	 * @param array $body {wp_user_id, display_name, role, page, locale}.
	 * @return array|WP_Error {url, expires_in}
	 */
	public function create_embed_ticket( array $body ) {
		return $this->request( 'POST', '/api/v1/embed/tickets', $body );
	}

	/**
	 * Sends one SMS through the service: POST /api/sms/send.
	 *
	 * The service normalises the phone, prices the message, debits the wallet and sends it.
	 * The Idempotency-Key makes a repeated call (after a timeout, say) return the first answer
	 * instead of sending and charging again, so callers must reuse the key when they retry.
	 *
	 * @param string $phone           Recipient, any common Bangladeshi form.
	 * @param string $content         Message text (UTF-8; Bangla is fine).
	 * @param string $purpose         manual, otp, order_status, abandoned_cart or marketing.
	 * @param string $idempotency_key Unique per message.
	 * @param int    $wait            Seconds (0 to 10) to wait for the gateway's outcome (RFC 7240
	 *                                Prefer: wait); 0 answers as soon as the message is queued.
	 * @return array|WP_Error {id, status: queued|sending|sent|failed, phone, segments, encoding, cost, balance, error}
	 */
	public function send_sms( $phone, $content, $purpose, $idempotency_key, $wait = 0 ) {
		$wait    = max( 0, min( 10, (int) $wait ) );
		$headers = array( 'Idempotency-Key' => (string) $idempotency_key );
		if ( $wait > 0 ) {
			$headers['Prefer'] = 'wait=' . $wait;
		}
		return $this->request(
			'POST',
			'/api/sms/send',
			array(
				'phone'   => (string) $phone,
				'content' => (string) $content,
				'purpose' => (string) $purpose,
			),
			true,
			$headers,
			self::TIMEOUT + $wait // the service may hold the answer that long before it speaks
		);
	}

	/**
	 * One message's status: GET /api/sms/messages/{id}.
	 *
	 * @param int $id The id bikri_send_sms() answered with.
	 * @return array|WP_Error {id, status: queued|sending|sent|failed, refunded, error, phone, purpose, segments, encoding, cost, created_at, finished_at}
	 */
	public function get_sms_message( $id ) {
		return $this->request( 'GET', '/api/sms/messages/' . absint( $id ) );
	}

	/**
	 * Order events, at most 100: POST /api/v1/events. Asked to answer once the events are
	 * validated and stored (RFC 7240 respond-async), not once they are applied: the queue
	 * runner holds one of the shop's PHP workers while it waits.
	 *
	 * @param array[] $events Each {idempotency_key, type, order_id, date_modified_gmt, order?}.
	 * @return array|WP_Error {results: [{idempotency_key, status: accepted|applied|ignored_older|duplicate|error, error?}]}
	 */
	public function post_events( array $events ) {
		return $this->request( 'POST', '/api/v1/events', array( 'events' => array_values( $events ) ), true, array( 'Prefer' => 'respond-async' ) );
	}

	/**
	 * Product and stock events (inventory): POST /api/v1/inventory/events.
	 *
	 * @param array[] $events Events, at most 100.
	 * @return array|WP_Error {results: [{idempotency_key, status}]}
	 */
	public function post_product_events( array $events ) {
		return $this->request( 'POST', '/api/v1/inventory/events', array( 'events' => array_values( $events ) ), true );
	}

	/**
	 * Wishlist events (hearts pressed, SMS alert opt-ins): POST /api/v1/wishlist/events.
	 *
	 * @param array[] $events Events, at most 100.
	 * @return array|WP_Error {results: [{idempotency_key, status: applied|ignored_older}]}
	 */
	public function post_wishlist_events( array $events ) {
		return $this->request( 'POST', '/api/v1/wishlist/events', array( 'events' => array_values( $events ) ), true );
	}

	/**
	 * The SMS wallet: GET /api/sms/balance.
	 *
	 * @return array|WP_Error {balance, currency, rates: {gsm, unicode}, sms_left_estimate}
	 */
	public function get_sms_balance() {
		return $this->request( 'GET', '/api/sms/balance' );
	}

	/**
	 * Sends a checkout code: POST /api/v1/otp/send.
	 *
	 * @param string $phone      The number the shopper typed.
	 * @param string $session_id This checkout session (the code counts only in it).
	 * @param string $ip         The shopper's IP address.
	 * @return array|WP_Error {status: sent|trusted|skipped, phone, expires_in, resend_after, proof, proof_expires_at, reason}
	 */
	public function otp_send( $phone, $session_id, $ip ) {
		return $this->otp_request( 'send', $phone, $session_id, array( 'ip' => (string) $ip ) );
	}

	/**
	 * Checks a checkout code: POST /api/v1/otp/verify.
	 *
	 * @param string $phone      The number the code went to.
	 * @param string $session_id This checkout session.
	 * @param string $code       What the shopper typed.
	 * @return array|WP_Error {status: verified, phone, proof, proof_expires_at}
	 */
	public function otp_verify( $phone, $session_id, $code ) {
		return $this->otp_request( 'verify', $phone, $session_id, array( 'code' => (string) $code ) );
	}

	/**
	 * An OTP call: POST /api/v1/otp/<step> with the phone, the session and the step's own field,
	 * plus proof_version 2 when this site holds its export key: the service then signs the
	 * answer's proof with that key, the only one Bikri_Otp_Proof takes from then on. Without the
	 * key the body is what it was before proof versions, and the service signs version 1, which
	 * is what a plugin still waiting for its key checks.
	 *
	 * @param string $step       send or verify.
	 * @param string $phone      The number.
	 * @param string $session_id This checkout session.
	 * @param array  $fields     The step's own fields, after phone and session_id.
	 * @return array|WP_Error
	 */
	private function otp_request( $step, $phone, $session_id, array $fields ) {
		$body    = array_merge(
			array(
				'phone'      => (string) $phone,
				'session_id' => (string) $session_id,
			),
			$fields
		);
		$version = Bikri_Otp_Proof::version( $this->license->export_key() );
		if ( 1 !== $version ) {
			$body['proof_version'] = $version;
		}
		return $this->request( 'POST', '/api/v1/otp/' . $step, $body );
	}

	/**
	 * The checkout settings and the blacklist the plugin keeps a copy of: GET /api/v1/checkout/config.
	 *
	 * @param int $since The version held (0: none); the blacklist is left out when it is current.
	 * @return array|WP_Error {version, otp: {...}, blacklist: {message, phones, emails, ips}|null}
	 */
	public function get_checkout_config( $since ) {
		// The pull runs every few minutes: it also keeps the service's copy of the site title current.
		$query = self::site_details();
		if ( $since > 0 ) {
			$query['since'] = (int) $since;
		}
		return $this->request( 'GET', '/api/v1/checkout/config?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 ) );
	}

	/**
	 * What the service shows of this shop: its title (the shop's name in its SMS) and its locale
	 * (the language of the notes Bikri writes on its orders).
	 *
	 * @return array {site_name, locale}
	 */
	public static function site_details() {
		// The title is stored HTML-escaped ("Rina&#039;s Shop"); the service wants the text.
		$title = trim( wp_specialchars_decode( (string) get_option( 'blogname', '' ), ENT_QUOTES ) );
		return array(
			'site_name' => function_exists( 'mb_substr' ) ? mb_substr( $title, 0, 200 ) : substr( $title, 0, 200 ),
			'locale'    => (string) get_locale(),
		);
	}

	/**
	 * Reports an order placed through the protected checkout, or its new status: POST /api/v1/checkout/orders.
	 *
	 * @param array $body {wc_order_id, phone, otp, status}.
	 * @return array|WP_Error
	 */
	public function report_checkout_order( array $body ) {
		return $this->request( 'POST', '/api/v1/checkout/orders', $body );
	}

	/**
	 * Whether an error means the service refused this site's token or license.
	 *
	 * @param WP_Error $error An error from this client.
	 * @return bool
	 */
	public static function is_refusal( WP_Error $error ) {
		$status = self::status_of( $error );
		if ( 401 === $status ) {
			return true;
		}
		// A 403 only speaks of the license when its code says so; any other 403 (a role
		// refused an action, say) must not lock the whole plugin.
		return 403 === $status && in_array( $error->get_error_code(), self::LICENSE_REFUSALS, true );
	}

	/**
	 * The HTTP status stored in an error from this client (0 when none was received).
	 *
	 * @param WP_Error $error An error from this client.
	 * @return int
	 */
	public static function status_of( WP_Error $error ) {
		$data = $error->get_error_data();
		return is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 0;
	}

	/**
	 * Sends one request to the service.
	 *
	 * @param string     $method        HTTP method.
	 * @param string     $path          Path below the service URL, starting with '/'.
	 * @param array|null $body          JSON body, or null for none.
	 * @param bool       $authenticated Whether to send the site token.
	 * @param array      $extra_headers More headers (Idempotency-Key ...); they cannot replace the client's own.
	 * @param int        $timeout       Seconds to wait (shorter where a shopper is waiting).
	 * @return array|WP_Error
	 */
	public function request( $method, $path, $body = null, $authenticated = true, array $extra_headers = array(), $timeout = self::TIMEOUT ) {
		$base = $this->license->service_url();
		if ( '' === $base ) {
			return new WP_Error( 'bikri_no_service_url', __( 'The Bikri service URL is not set.', 'bikri' ), array( 'status' => 0 ) );
		}

		$headers = array(
			'Accept'     => 'application/json',
			'User-Agent' => 'Bikri/' . BIKRI_VERSION . '; ' . home_url( '/' ),
		);
		if ( $authenticated ) {
			$token = $this->license->token();
			if ( '' === $token ) {
				return new WP_Error( 'bikri_no_token', __( 'This site has not been activated yet.', 'bikri' ), array( 'status' => 0 ) );
			}
			$headers['Authorization'] = 'Bearer ' . $token;
		}
		$headers = array_merge( $extra_headers, $headers );
		$args    = array(
			'method'      => $method,
			'timeout'     => (int) $timeout,
			'redirection' => 0,
			'headers'     => $headers,
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( (object) $body );
		}

		$response = wp_remote_request( $base . $path, $args );
		$result   = $this->decode( $response );

		if ( $authenticated && is_wp_error( $result ) ) {
			if ( self::is_refusal( $result ) ) {
				$this->license->mark_inactive( $result, time() );
			} elseif ( self::is_unanswered( $result ) ) {
				$this->license->mark_check_due();
			}
		}
		return $result;
	}

	/**
	 * Turns a wp_remote_request() result into the decoded body or a WP_Error.
	 *
	 * @param array|WP_Error $response The response.
	 * @return array|WP_Error
	 */
	private function decode( $response ) {
		if ( is_wp_error( $response ) ) {
			return new WP_Error(
				'bikri_unreachable',
				$response->get_error_message(),
				array( 'status' => 0 )
			);
		}

		$status = (int) wp_remote_retrieve_response_code( $response );
		$raw    = (string) wp_remote_retrieve_body( $response );

		if ( 204 === $status ) {
			return array();
		}

		$decoded = '' === $raw ? null : json_decode( $raw, true );

		if ( $status >= 200 && $status < 300 ) {
			if ( ! is_array( $decoded ) ) {
				return new WP_Error(
					'bikri_bad_response',
					__( 'The Bikri service sent an answer that is not JSON.', 'bikri' ),
					array( 'status' => $status )
				);
			}
			return $decoded;
		}

		$data        = array( 'status' => $status );
		$retry_after = self::retry_after( wp_remote_retrieve_header( $response, 'retry-after' ) );
		if ( null !== $retry_after ) {
			// 429 (and 503) say when to try again; callers need it to wait instead of hammering.
			$data['retry_after'] = $retry_after;
		}

		if ( is_array( $decoded ) && isset( $decoded['error'] ) && is_array( $decoded['error'] ) ) {
			$error           = $decoded['error'];
			$data['details'] = isset( $error['details'] ) ? $error['details'] : null;
			return new WP_Error(
				isset( $error['code'] ) && is_string( $error['code'] ) && '' !== $error['code'] ? $error['code'] : 'bikri_http_' . $status,
				isset( $error['message'] ) && is_string( $error['message'] ) ? $error['message'] : '',
				$data
			);
		}

		return new WP_Error(
			'bikri_http_' . $status,
			/* translators: %d: HTTP status code */
			sprintf( __( 'The Bikri service answered with HTTP status %d.', 'bikri' ), $status ),
			$data
		);
	}

	/**
	 * Seconds to wait, from a Retry-After header: a number of seconds or an HTTP date.
	 *
	 * @param mixed $header Header value ('' when absent; an array when sent twice).
	 * @return int|null
	 */
	private static function retry_after( $header ) {
		if ( is_array( $header ) ) {
			$header = reset( $header );
		}
		$header = trim( (string) $header );
		if ( '' === $header ) {
			return null;
		}
		if ( ctype_digit( $header ) ) {
			return (int) $header;
		}
		$when = strtotime( $header );
		return false === $when ? null : max( 0, $when - time() );
	}

	/**
	 * Whether an error left the license status unknown (no answer, a server error or a bad answer).
	 *
	 * @param WP_Error $error An error from this client.
	 * @return bool
	 */
	private static function is_unanswered( WP_Error $error ) {
		$status = self::status_of( $error );
		return 0 === $status || $status >= 500 || 'bikri_bad_response' === $error->get_error_code();
	}
}
