<?php
/**
 * Functions for other plugins and themes: bikri_send_sms(), send_sms() and bikri_sms_status() (S1, P1).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Sends an SMS through the Bikri service, paid from this shop's SMS wallet.
 *
 * The service debits the wallet and queues the message at once; its workers hand it to the
 * SMS gateway a moment later. So the answer's status is "queued" (or, with $wait, the
 * gateway's outcome if it came in time: "sent", or "failed" with the cost refunded).
 * bikri_sms_status( $id ) reads it later: queued, sending, sent, or failed (refunded).
 *
 * Never fatal: every failure (no license, service down, not enough balance, a bad number,
 * too many messages) comes back as a WP_Error. Its code is the service's (insufficient_balance,
 * validation_error, rate_limited, ...) or a bikri_* code for problems found before or without
 * an answer; its data holds 'status' (HTTP status, 0 when there was none), 'details' (per
 * field, for validation_error and bikri_invalid_sms, as the service sent them), 'fields' (the
 * same flattened: field => reasons), 'retry_after' (seconds, for rate_limited) and
 * 'idempotency_key' (pass it back to retry the same message safely). The message of a
 * validation error names each bad field and what is wrong with it.
 *
 * @param string $phone           Recipient: 01XXXXXXXXX, +8801XXXXXXXXX or 8801XXXXXXXXX; the service checks it.
 * @param string $content         Message text, UTF-8. Bangla is sent as Unicode (70 characters per SMS).
 * @param string $purpose         manual (default), otp, order_status, abandoned_cart or marketing.
 * @param string $idempotency_key Unique per message. Reuse it to retry: the service then sends and
 *                                charges once. Empty: a new key is made for this call.
 * @param int    $wait            Seconds (at most 10) to wait for the gateway's outcome; 0 (default)
 *                                answers once the message is queued, without holding this request.
 * @return array|WP_Error {id, status, phone, segments, encoding, cost, balance, error} as the service answered.
 */
function bikri_send_sms( $phone, $content, $purpose = 'manual', $idempotency_key = '', $wait = 0 ) {
	$plugin = class_exists( 'Bikri_Plugin' ) ? Bikri_Plugin::instance() : null;
	if ( null === $plugin ) {
		return new WP_Error( 'bikri_not_loaded', __( 'The Bikri plugin is not loaded, so the SMS was not sent.', 'bikri' ), array( 'status' => 0 ) );
	}

	$details = array();
	if ( ! bikri_sms_is_text( $phone ) || '' === trim( (string) $phone ) ) {
		$details['phone'] = array( __( 'Enter the recipient\'s mobile number.', 'bikri' ) );
	}
	if ( ! bikri_sms_is_text( $content ) || '' === trim( (string) $content ) ) {
		$details['content'] = array( __( 'Enter the message text.', 'bikri' ) );
	} elseif ( '' === wp_check_invalid_utf8( (string) $content ) ) {
		$details['content'] = array( __( 'The message text is not valid UTF-8.', 'bikri' ) );
	}
	if ( ! is_string( $purpose ) || '' === trim( $purpose ) ) {
		$details['purpose'] = array( __( 'Give the purpose of the message, such as manual or order_status.', 'bikri' ) );
	}
	if ( ! is_scalar( $idempotency_key ) && null !== $idempotency_key ) {
		$details['idempotency_key'] = array( __( 'The idempotency key must be a string.', 'bikri' ) );
	}
	if ( $details ) {
		return new WP_Error(
			'bikri_invalid_sms',
			bikri_sms_field_message( $details ),
			array(
				'status'  => 0,
				'details' => $details,
				'fields'  => bikri_sms_field_errors( $details ),
			)
		);
	}

	// An inactive license would only be refused; asking anyway costs the caller a round trip.
	if ( ! $plugin->license->is_active() ) {
		return new WP_Error(
			'bikri_unlicensed',
			__( 'The SMS was not sent: Bikri has no active license on this site. Activate it on the Bikri → License page.', 'bikri' ),
			array( 'status' => 0 )
		);
	}

	$key    = '' === trim( (string) $idempotency_key ) ? wp_generate_uuid4() : trim( (string) $idempotency_key );
	$result = $plugin->client->send_sms( trim( (string) $phone ), (string) $content, trim( $purpose ), $key, (int) $wait );
	if ( ! is_wp_error( $result ) ) {
		return $result;
	}

	$data                    = $result->get_error_data();
	$data                    = is_array( $data ) ? $data : array();
	$data['idempotency_key'] = $key;
	if ( 'bikri_unreachable' === $result->get_error_code() ) {
		// The transport's own words ("cURL error 28 ...") mean little to a shop owner, and after
		// a timeout the service may have sent the SMS: say so, and how to retry safely.
		$data['reason'] = $result->get_error_message();
		return new WP_Error(
			'bikri_unreachable',
			__( 'The Bikri service did not answer, so it is not known whether the SMS was sent. Sending it again with the same idempotency key never sends it twice.', 'bikri' ),
			$data
		);
	}
	$fields = 'validation_error' === $result->get_error_code() && isset( $data['details'] ) ? bikri_sms_field_errors( $data['details'] ) : array();
	if ( $fields ) {
		// The service's own words ("Some fields are missing or invalid.") name no field; its
		// details do. The message names each field and what is wrong with it.
		$data['fields']          = $fields;
		$data['service_message'] = $result->get_error_message();
		return new WP_Error( 'validation_error', bikri_sms_field_message( $data['details'] ), $data );
	}
	return new WP_Error( $result->get_error_code(), $result->get_error_message(), $data );
}

/**
 * Where an SMS sent with bikri_send_sms() stands now.
 *
 * @param int $id The id bikri_send_sms() answered with.
 * @return array|WP_Error {id, status: queued|sending|sent|failed, refunded, error, ...}; a WP_Error
 *                        with code message_not_found (404) for an id that is not this shop's.
 */
function bikri_sms_status( $id ) {
	$plugin = class_exists( 'Bikri_Plugin' ) ? Bikri_Plugin::instance() : null;
	if ( null === $plugin ) {
		return new WP_Error( 'bikri_not_loaded', __( 'The Bikri plugin is not loaded.', 'bikri' ), array( 'status' => 0 ) );
	}
	if ( ! $plugin->license->is_active() ) {
		return new WP_Error(
			'bikri_unlicensed',
			__( 'Bikri has no active license on this site. Activate it on the Bikri → License page.', 'bikri' ),
			array( 'status' => 0 )
		);
	}
	return $plugin->client->get_sms_message( $id );
}

/**
 * The field errors of a validation error, flattened: field path => reasons.
 *
 * The service answers {"phone": ["reason"]}; its schema errors may be grouped by request
 * location ({"json": {"phone": [...]}}) or nested by item ({"items": {"0": {"qty": [...]}}}).
 * A location is not a field and is left out; nested fields are joined with dots (items.0.qty).
 *
 * @param mixed  $details The details.
 * @param string $prefix  Field path so far.
 * @return array<string, string[]>
 */
function bikri_sms_field_errors( $details, $prefix = '' ) {
	if ( ! is_array( $details ) ) {
		if ( '' === $prefix || ! is_scalar( $details ) || '' === trim( (string) $details ) ) {
			return array();
		}
		return array( $prefix => array( trim( (string) $details ) ) );
	}
	$fields = array();
	foreach ( $details as $key => $value ) {
		if ( is_int( $key ) && ! is_array( $value ) ) {
			// A list of reasons for the field named by $prefix.
			$path = $prefix;
		} elseif ( '' === $prefix && in_array( $key, array( 'json', 'query', 'form', 'headers' ), true ) ) {
			$path = '';
		} else {
			$path = '' === $prefix ? (string) $key : $prefix . '.' . $key;
		}
		foreach ( bikri_sms_field_errors( $value, $path ) as $field => $reasons ) {
			$fields[ $field ] = isset( $fields[ $field ] ) ? array_merge( $fields[ $field ], $reasons ) : $reasons;
		}
	}
	return $fields;
}

/**
 * What a refused SMS's caller reads: each field by name, with what is wrong with it.
 *
 * @param mixed $details Field details (see bikri_sms_field_errors()).
 * @return string
 */
function bikri_sms_field_message( $details ) {
	$labels = array(
		'phone'           => __( 'Phone number', 'bikri' ),
		'content'         => __( 'Message text', 'bikri' ),
		'purpose'         => __( 'Purpose', 'bikri' ),
		'idempotency_key' => __( 'Idempotency key', 'bikri' ),
	);
	$parts  = array();
	foreach ( bikri_sms_field_errors( $details ) as $field => $reasons ) {
		$parts[] = sprintf(
			/* translators: 1: a field of the SMS, such as "Phone number"; 2: what is wrong with it, such as "This number has 9 digits." */
			__( '%1$s: %2$s', 'bikri' ),
			isset( $labels[ $field ] ) ? $labels[ $field ] : $field,
			implode( ' ', $reasons )
		);
	}
	if ( ! $parts ) {
		return __( 'The SMS was not sent: some fields are missing or invalid.', 'bikri' );
	}
	/* translators: %s: each field that is wrong, with what is wrong with it, such as "Phone number: This number has 9 digits." */
	return sprintf( __( 'The SMS was not sent. %s', 'bikri' ), implode( ' ', $parts ) );
}

/**
 * Whether a value can be sent as SMS text or a phone number (a string or a number, not a bool or array).
 *
 * @param mixed $value Value.
 * @return bool
 */
function bikri_sms_is_text( $value ) {
	return is_string( $value ) || is_int( $value );
}

/**
 * Declares send_sms() unless something else already has.
 *
 * Hooked to plugins_loaded, after every plugin file has loaded: WordPress loads plugins in
 * alphabetical order and "bikri" comes early, so declaring at load time would make another
 * plugin's own send_sms() a fatal "cannot redeclare" error. Theirs wins; bikri_send_sms() stays.
 */
function bikri_declare_send_sms() {
	if ( ! function_exists( 'send_sms' ) ) {
		require_once __DIR__ . '/send-sms.php';
	}
}
