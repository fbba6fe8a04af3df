<?php
/**
 * The site's license: its token, the last known status and when it was last checked.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * License state stored in options, and the rule for when to ask the service again (P5-P7).
 */
final class Bikri_License {

	/**
	 * Site token from activation. Secret: never autoloaded, never printed.
	 */
	const OPTION_TOKEN = 'bikri_token';

	/**
	 * The key the service signs its order export requests with (Bikri_Export_Route), from the
	 * activation answer or a config pull. Secret like the token: never autoloaded, never printed.
	 */
	const OPTION_EXPORT_KEY = 'bikri_export_key';

	/**
	 * Last known license status (array, see info()).
	 */
	const OPTION_LICENSE = 'bikri_license';

	/**
	 * Service URL set on the License page; BIKRI_SERVICE_URL in wp-config.php wins over it.
	 */
	const OPTION_SERVICE_URL = 'bikri_service_url';

	/**
	 * Unix time of the last check that got an answer; 0 forces a check on the next page load.
	 */
	const OPTION_LAST_CHECK = 'bikri_last_check';

	/**
	 * Every option the plugin stores, for uninstall.
	 */
	const OPTIONS = array(
		self::OPTION_TOKEN,
		self::OPTION_EXPORT_KEY,
		self::OPTION_LICENSE,
		self::OPTION_SERVICE_URL,
		self::OPTION_LAST_CHECK,
	);

	/**
	 * How long a known status is trusted before the service is asked again.
	 */
	const RECHECK_SECONDS = 43200; // 12 hours.

	/**
	 * The status the service gives a license that may be used.
	 */
	const STATUS_ACTIVE = 'active';

	/**
	 * Base URL of the service, without a trailing slash; '' when not configured.
	 *
	 * @return string
	 */
	public function service_url() {
		$url = $this->service_url_is_fixed() ? (string) BIKRI_SERVICE_URL : (string) get_option( self::OPTION_SERVICE_URL, '' );
		return untrailingslashit( trim( $url ) );
	}

	/**
	 * Whether wp-config.php fixes the service URL.
	 *
	 * @return bool
	 */
	public function service_url_is_fixed() {
		return defined( 'BIKRI_SERVICE_URL' ) && '' !== (string) BIKRI_SERVICE_URL;
	}

	/**
	 * Stores the service URL chosen on the License page.
	 *
	 * @param string $url An http(s) URL, already sanitised.
	 */
	public function save_service_url( $url ) {
		update_option( self::OPTION_SERVICE_URL, untrailingslashit( $url ), false );
	}

	/**
	 * The site token, '' when the site has not been activated.
	 *
	 * @return string
	 */
	public function token() {
		return (string) get_option( self::OPTION_TOKEN, '' );
	}

	/**
	 * The order export's key, '' until the service has handed it over.
	 *
	 * @return string
	 */
	public function export_key() {
		return (string) get_option( self::OPTION_EXPORT_KEY, '' );
	}

	/**
	 * Stores the export key the service sent (64 hex digits); anything else is ignored.
	 *
	 * @param mixed $key The service's export_key field.
	 * @return bool Whether a key was stored.
	 */
	public function save_export_key( $key ) {
		if ( ! is_string( $key ) || ! preg_match( '/^[0-9a-f]{64}$/', $key ) ) {
			return false;
		}
		if ( $key !== $this->export_key() ) {
			update_option( self::OPTION_EXPORT_KEY, $key, false );
		}
		return true;
	}

	/**
	 * The last known license status.
	 *
	 * @return array {
	 *     @type string      $status        'none' before activation, 'inactive' after the service refused
	 *                                      the token, otherwise what the service said ('active', ...).
	 *     @type string      $plan          Plan name.
	 *     @type string      $expires_at    ISO 8601 date and time, or ''.
	 *     @type string      $site_url      The site as the service knows it.
	 *     @type int|null    $sites_used    Sites using the license.
	 *     @type int|null    $sites_allowed Sites the license allows.
	 *     @type array|null  $error         Last error: code, message, status, details.
	 * }
	 */
	public function info() {
		$defaults = array(
			'status'        => 'none',
			'plan'          => '',
			'expires_at'    => '',
			'site_url'      => '',
			'sites_used'    => null,
			'sites_allowed' => null,
			'error'         => null,
		);
		$stored   = get_option( self::OPTION_LICENSE, array() );
		return array_merge( $defaults, is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Whether the Bikri pages may be used.
	 *
	 * @return bool
	 */
	public function is_active() {
		$info = $this->info();
		return '' !== $this->token() && self::STATUS_ACTIVE === $info['status'];
	}

	/**
	 * Stores the result of a successful activation.
	 *
	 * @param string $token      Site token.
	 * @param array  $license    License part of the answer: status, plan, expires_at.
	 * @param int    $now        Current Unix time.
	 * @param mixed  $export_key The answer's export key (the old token's key is never kept).
	 */
	public function save_activation( $token, array $license, $now, $export_key = null ) {
		update_option( self::OPTION_TOKEN, (string) $token, false );
		if ( ! $this->save_export_key( $export_key ) ) {
			delete_option( self::OPTION_EXPORT_KEY );
		}
		$this->save_status( $license, $now );
		delete_site_transient( 'bikri_update_check' ); // Bikri_Updates::TRANSIENT: what a new activation is offered.
	}

	/**
	 * Stores a status the service answered with, and clears the last error.
	 *
	 * @param array $remote Fields of GET /api/v1/license (or the license part of activation).
	 * @param int   $now    Current Unix time.
	 */
	public function save_status( array $remote, $now ) {
		$info = $this->info();
		foreach ( array( 'status', 'plan', 'expires_at', 'site_url' ) as $key ) {
			if ( isset( $remote[ $key ] ) && is_scalar( $remote[ $key ] ) ) {
				$info[ $key ] = (string) $remote[ $key ];
			}
		}
		foreach ( array( 'sites_used', 'sites_allowed' ) as $key ) {
			if ( isset( $remote[ $key ] ) && is_numeric( $remote[ $key ] ) ) {
				$info[ $key ] = (int) $remote[ $key ];
			}
		}
		$info['error'] = null;
		update_option( self::OPTION_LICENSE, $info, true );
		update_option( self::OPTION_LAST_CHECK, (int) $now, false );
	}

	/**
	 * Marks the license inactive after the service refused the token (401/403), so the
	 * pages redirect to the License page again.
	 *
	 * @param WP_Error $error The refusal.
	 * @param int      $now   Current Unix time.
	 */
	public function mark_inactive( WP_Error $error, $now ) {
		$info           = $this->info();
		$info['status'] = 'inactive';
		$info['error']  = self::error_to_array( $error );
		update_option( self::OPTION_LICENSE, $info, true );
		update_option( self::OPTION_LAST_CHECK, (int) $now, false );
	}

	/**
	 * Remembers an error to show on the License page, without changing the status.
	 *
	 * @param WP_Error $error The error.
	 */
	public function record_error( WP_Error $error ) {
		$info          = $this->info();
		$info['error'] = self::error_to_array( $error );
		update_option( self::OPTION_LICENSE, $info, true );
	}

	/**
	 * Makes the next Bikri page load ask the service again (after a call that got no answer).
	 */
	public function mark_check_due() {
		update_option( self::OPTION_LAST_CHECK, 0, false );
	}

	/**
	 * Whether the status should be asked again now.
	 *
	 * Asked when a token exists and the last check got no answer, the status is not active
	 * (an operator may have reinstated it), or the known status is older than 12 hours.
	 *
	 * @param int $now Current Unix time.
	 * @return bool
	 */
	public function is_check_due( $now ) {
		if ( '' === $this->token() ) {
			return false;
		}
		if ( ! $this->is_active() ) {
			return true;
		}
		$last = (int) get_option( self::OPTION_LAST_CHECK, 0 );
		return $last <= 0 || ( $now - $last ) >= self::RECHECK_SECONDS;
	}

	/**
	 * Asks the service for the status when a check is due.
	 *
	 * @param Bikri_Api_Client $client The client.
	 * @param int|null         $now    Current Unix time (tests pass their own).
	 * @return bool Whether the service was asked.
	 */
	public function maybe_refresh( Bikri_Api_Client $client, $now = null ) {
		$now = null === $now ? time() : (int) $now;
		if ( ! $this->is_check_due( $now ) ) {
			return false;
		}
		$this->refresh( $client, $now );
		return true;
	}

	/**
	 * Asks the service for the status and stores the answer.
	 *
	 * A refusal (401/403) is stored by the client; a call that got no answer keeps the
	 * known status and leaves the check due, so the next page load asks again.
	 *
	 * @param Bikri_Api_Client $client The client.
	 * @param int              $now    Current Unix time.
	 * @return true|WP_Error
	 */
	public function refresh( Bikri_Api_Client $client, $now ) {
		$answer = $client->get_license();
		if ( is_wp_error( $answer ) ) {
			if ( ! Bikri_Api_Client::is_refusal( $answer ) ) {
				$this->record_error( $answer );
				$this->mark_check_due();
			}
			return $answer;
		}
		$this->save_status( $answer, $now );
		return true;
	}

	/**
	 * Forgets the token and the status (deactivation). The service URL stays.
	 */
	public function clear() {
		delete_option( self::OPTION_TOKEN );
		delete_option( self::OPTION_EXPORT_KEY );
		delete_option( self::OPTION_LICENSE );
		delete_option( self::OPTION_LAST_CHECK );
		delete_site_transient( 'bikri_update_check' ); // Bikri_Updates::TRANSIENT.
	}

	/**
	 * The parts of an error worth keeping.
	 *
	 * @param WP_Error $error The error.
	 * @return array
	 */
	private static function error_to_array( WP_Error $error ) {
		$data = $error->get_error_data();
		$data = is_array( $data ) ? $data : array();
		return array(
			'code'    => (string) $error->get_error_code(),
			'message' => (string) $error->get_error_message(),
			'status'  => isset( $data['status'] ) ? (int) $data['status'] : 0,
			'details' => isset( $data['details'] ) ? $data['details'] : null,
		);
	}
}
