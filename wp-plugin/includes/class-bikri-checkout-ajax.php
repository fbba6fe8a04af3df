<?php
/**
 * AJAX endpoints: the shopper's "send code" and "confirm", and the admin's "pull the checkout copy now".
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The shopper's browser talks to WordPress only; WordPress talks to the service with the
 * site token, which never reaches the browser. Answers are JSON: {success, data: {status,
 * message, ...}} or {success: false, data: {code, message, retry_after}} with an HTTP status.
 */
final class Bikri_Checkout_Ajax {

	/**
	 * admin-ajax action: send a code.
	 */
	const ACTION_SEND = 'bikri_otp_send';

	/**
	 * admin-ajax action: check a code.
	 */
	const ACTION_VERIFY = 'bikri_otp_verify';

	/**
	 * admin-ajax action (signed-in staff): pull the checkout settings and blacklist now.
	 */
	const ACTION_SYNC = 'bikri_checkout_sync';

	/**
	 * The checkout guard (cookies, session).
	 *
	 * @var Bikri_Checkout
	 */
	private $checkout;

	/**
	 * Client for the service.
	 *
	 * @var Bikri_Api_Client
	 */
	private $client;

	/**
	 * License state.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * Builds the endpoints.
	 *
	 * @param Bikri_Checkout   $checkout The guard.
	 * @param Bikri_Api_Client $client   Client for the service.
	 * @param Bikri_License    $license  License state.
	 */
	public function __construct( Bikri_Checkout $checkout, Bikri_Api_Client $client, Bikri_License $license ) {
		$this->checkout = $checkout;
		$this->client   = $client;
		$this->license  = $license;
	}

	/**
	 * "Send code".
	 */
	public function handle_send() {
		$this->guard();
		$phone = Bikri_Phone::normalise( $this->posted( 'phone' ) );
		if ( '' === $phone ) {
			$this->fail( 'validation_error', __( 'Enter a Bangladeshi mobile number, like 01711-234567.', 'bikri' ), 422 );
		}
		$session = $this->checkout->session_id( true );
		$answer  = $this->client->otp_send( $phone, $session, Bikri_Checkout::shopper_ip() );
		if ( is_wp_error( $answer ) ) {
			$this->refused( $answer, $phone, $session );
		}
		$status = isset( $answer['status'] ) ? (string) $answer['status'] : '';
		if ( 'sent' === $status ) {
			wp_send_json_success(
				array(
					'status'       => 'sent',
					'phone'        => $phone,
					'resend_after' => isset( $answer['resend_after'] ) ? (int) $answer['resend_after'] : 60,
					/* translators: %s: mobile number, like 01711234567 */
					'message'      => sprintf( __( 'We sent a 6-digit code to %s.', 'bikri' ), substr( $phone, 3 ) ),
				)
			);
		}
		if ( isset( $answer['reason'] ) && 'no_balance' === $answer['reason'] ) {
			$this->checkout->config->mark_out_of_balance( time() );
		}
		$this->accept( $answer, $phone );
	}

	/**
	 * "Confirm".
	 */
	public function handle_verify() {
		$this->guard();
		$phone   = Bikri_Phone::normalise( $this->posted( 'phone' ) );
		$code    = $this->posted( 'code' );
		$session = $this->checkout->session_id( false );
		if ( '' === $phone || '' === $session ) {
			$this->fail( 'otp_no_code', __( 'Ask for a code first.', 'bikri' ), 404 );
		}
		$answer = $this->client->otp_verify( $phone, $session, $code );
		if ( is_wp_error( $answer ) ) {
			$this->refused( $answer, $phone, $session );
		}
		$this->accept( $answer, $phone );
	}

	/**
	 * Staff changed the checkout settings or the blacklist in a Bikri page: pull the copy now.
	 */
	public function handle_sync() {
		if ( ! current_user_can( Bikri_Access::CAP_VIEW ) ) {
			$this->fail( 'forbidden', __( 'Sorry, you are not allowed to do this.', 'bikri' ), 403 );
		}
		if ( false === check_ajax_referer( self::ACTION_SYNC, 'nonce', false ) ) {
			$this->fail( 'bikri_bad_nonce', __( 'This page has expired. Reload it and try again.', 'bikri' ), 403 );
		}
		if ( ! $this->license->is_active() ) {
			$this->fail( 'bikri_unlicensed', __( 'Bikri needs an active license.', 'bikri' ), 409 );
		}
		$result = $this->checkout->config->sync( $this->client, time() );
		if ( is_wp_error( $result ) ) {
			$this->fail( $result->get_error_code(), $result->get_error_message(), 502 );
		}
		$state = $this->checkout->config->state();
		wp_send_json_success( array( 'version' => (int) $state['version'] ) );
	}

	/**
	 * The shopper's "capability" is that this shop asks for codes now; then the nonce of the
	 * checkout page. Anything else is refused before the service is called.
	 */
	private function guard() {
		if ( ! $this->checkout->otp_required() ) {
			$this->fail( 'bikri_otp_off', __( 'No code is needed: you can place your order.', 'bikri' ), 409 );
		}
		if ( false === check_ajax_referer( Bikri_Checkout::NONCE_ACTION, 'nonce', false ) ) {
			$this->fail( 'bikri_bad_nonce', __( 'This page has expired. Reload it and try again.', 'bikri' ), 403 );
		}
	}

	/**
	 * A posted text field, unslashed and sanitised.
	 *
	 * @param string $name Field.
	 * @return string
	 */
	private function posted( $name ) {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- guard() checked the nonce.
		return isset( $_POST[ $name ] ) && is_string( $_POST[ $name ] ) ? sanitize_text_field( wp_unslash( $_POST[ $name ] ) ) : '';
	}

	/**
	 * Keeps a proof the service answered with, once it checks out here too, and tells the shopper.
	 *
	 * @param array  $answer The service's answer.
	 * @param string $phone  Normalised phone.
	 */
	private function accept( array $answer, $phone ) {
		$proof = isset( $answer['proof'] ) ? (string) $answer['proof'] : '';
		$read  = $this->read_answered( $proof );
		if ( null === $read || $read['p'] !== $phone || $read['sid'] !== $this->checkout->session_id( false ) ) {
			$this->fail( 'bikri_bad_response', __( 'Something went wrong. Try again.', 'bikri' ), 502 );
		}
		$this->checkout->store_proof( $proof );
		wp_send_json_success(
			array(
				'status'  => 'verified',
				'phone'   => $phone,
				'message' => __( 'Mobile number confirmed. You can place the order.', 'bikri' ),
			)
		);
	}

	/**
	 * Reads a proof the service answered with.
	 *
	 * A proof whose signature does not hold under the export key held here means the service
	 * signs with another one: its secret key changed, and the new export key comes with the next
	 * config pull, up to five minutes away. Pulling now, then reading again, keeps the checkout
	 * working meanwhile. No proof is taken on any other key than the one held after the pull.
	 *
	 * @param string $proof The answer's proof.
	 * @return array|null Its payload, or null.
	 */
	private function read_answered( $proof ) {
		$token = $this->license->token();
		$key   = $this->license->export_key();
		$read  = Bikri_Otp_Proof::read( $token, $key, $proof, time() );
		if ( null === $read && '' !== $key && ! Bikri_Otp_Proof::signed( $token, $key, $proof )
			&& true === $this->checkout->config->sync( $this->client, time() ) && $key !== $this->license->export_key() ) {
			$read = Bikri_Otp_Proof::read( $token, $this->license->export_key(), $proof, time() );
		}
		return $read;
	}

	/**
	 * Answers a refusal in the shopper's language, with when to try again.
	 *
	 * When the service itself cannot be reached (or fails), checkout must not stop: the
	 * plugin signs a proof marked "skipped_unavailable" and the order is flagged. That is not
	 * a hole: a shopper cannot make the service unreachable, and a refusal (limits, wrong
	 * code) is never treated so.
	 *
	 * @param WP_Error $error   The client's error.
	 * @param string   $phone   Normalised phone.
	 * @param string   $session Session id.
	 */
	private function refused( WP_Error $error, $phone, $session ) {
		$code   = $error->get_error_code();
		$status = Bikri_Api_Client::status_of( $error );
		$data   = $error->get_error_data();
		$data   = is_array( $data ) ? $data : array();
		$wait   = isset( $data['retry_after'] ) ? (int) $data['retry_after'] : 0;
		if ( 0 === $wait && isset( $data['details']['retry_after'] ) ) {
			$wait = (int) $data['details']['retry_after'];
		}

		if ( ( 0 === $status || ( $status >= 500 && 'otp_send_failed' !== $code ) ) && '' !== $session ) {
			$state = $this->checkout->config->state();
			$this->checkout->store_proof( Bikri_Otp_Proof::sign( $this->license->token(), $this->license->export_key(), $phone, $session, 'skipped_unavailable', time() + (int) $state['proof_seconds'] ) );
			wp_send_json_success(
				array(
					'status'  => 'verified',
					'phone'   => $phone,
					'message' => __( 'You can place the order.', 'bikri' ),
				)
			);
		}
		if ( 'otp_disabled' === $code ) {
			// Our copy is older than the shop's switch: take the new one, so the order is not held.
			$this->checkout->config->sync( $this->client, time() );
			$this->fail( 'bikri_otp_off', __( 'No code is needed: you can place your order.', 'bikri' ), 409 );
		}
		$minutes  = max( 1, (int) ceil( $wait / 60 ) );
		$messages = array(
			/* translators: %d: seconds */
			'otp_cooldown'          => sprintf( __( 'A code was just sent. You can ask for another in %d seconds.', 'bikri' ), max( 1, $wait ) ),
			/* translators: %d: minutes */
			'otp_phone_limit'       => sprintf( _n( 'Too many codes for this number. Try again in %d minute.', 'Too many codes for this number. Try again in %d minutes.', $minutes, 'bikri' ), $minutes ),
			/* translators: %d: minutes */
			'otp_ip_limit'          => sprintf( _n( 'Too many codes from your connection. Try again in %d minute.', 'Too many codes from your connection. Try again in %d minutes.', $minutes, 'bikri' ), $minutes ),
			/* translators: %d: seconds */
			'rate_limited'          => sprintf( __( 'Too many codes right now. Try again in %d seconds.', 'bikri' ), max( 1, $wait ) ),
			'otp_send_failed'       => __( 'The SMS could not be sent. Try again in a few seconds.', 'bikri' ),
			'otp_attempts_exceeded' => __( 'Too many wrong codes. Ask for a new code.', 'bikri' ),
			'otp_code_expired'      => __( 'The code has expired. Ask for a new code.', 'bikri' ),
			'otp_code_used'         => __( 'This code was already used. Ask for a new code.', 'bikri' ),
			'otp_no_code'           => __( 'Ask for a code first.', 'bikri' ),
			'blacklisted'           => $this->checkout->config->blacklist_message(),
		);
		if ( 'otp_code_wrong' === $code ) {
			$left = isset( $data['details']['attempts_left'] ) ? (int) $data['details']['attempts_left'] : 0;
			/* translators: %d: tries left */
			$message = sprintf( _n( 'That code is not right. %d try left.', 'That code is not right. %d tries left.', $left, 'bikri' ), $left );
		} elseif ( 'validation_error' === $code ) {
			$message = isset( $data['details']['code'] ) ? __( 'Enter the 6-digit code.', 'bikri' ) : __( 'Enter a Bangladeshi mobile number, like 01711-234567.', 'bikri' );
		} elseif ( isset( $messages[ $code ] ) ) {
			$message = $messages[ $code ];
		} else {
			$message = __( 'Something went wrong. Try again.', 'bikri' );
		}
		$this->fail( $code, $message, $status >= 400 ? $status : 400, $wait );
	}

	/**
	 * Sends a JSON error and stops.
	 *
	 * @param string $code        Error code.
	 * @param string $message     Message for the shopper.
	 * @param int    $status      HTTP status.
	 * @param int    $retry_after Seconds to wait (0: may try now).
	 */
	private function fail( $code, $message, $status, $retry_after = 0 ) {
		wp_send_json_error(
			array(
				'code'        => (string) $code,
				'message'     => (string) $message,
				'retry_after' => (int) $retry_after,
			),
			(int) $status
		);
	}
}
