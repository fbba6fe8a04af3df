<?php
/**
 * Courier status emails from the shop's own WordPress (N1): "Order shipped", "Out for delivery"
 * and "Returned" as WooCommerce emails, and a "Your parcel" block (courier, consignment id,
 * tracking link) in WooCommerce's own customer emails.
 *
 * The service asks for an email by writing order meta through the REST API
 * (`PUT wc/v3/orders/<id>`, meta `_bikri_email_event` = "<event>|<token>"). This class picks it up
 * on woocommerce_rest_insert_shop_order_object, which WooCommerce's orders controller fires after
 * saving the order whatever the order storage (posts or HPOS: the controller's post type is
 * shop_order either way), as Bikri_Consignment does for the booking note. The meta goes, the token
 * is remembered on the order (a repeated write mails nothing), then the email is triggered and
 * its outcome written to `_bikri_email_result`, which WooCommerce's answer to the write carries.
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers the courier status emails and runs what the service asks for.
 */
class Bikri_Emails {

	/**
	 * The order meta the service writes: "<event>|<token>".
	 */
	const EVENT_META_KEY = '_bikri_email_event';

	/**
	 * The order meta holding the tokens already handled (newest last).
	 */
	const SENT_META_KEY = '_bikri_email_tokens';

	/**
	 * The order meta saying how the last asked-for email went: "<event>|<token>|<result>", result
	 * one of sent, failed (wp_mail said no), disabled (off in WooCommerce), skipped (no customer
	 * address). The REST API's answer to the service's write carries it.
	 */
	const RESULT_META_KEY = '_bikri_email_result';

	/**
	 * Tokens kept per order: far more than an order's status changes.
	 */
	const TOKENS_KEPT = 50;

	/**
	 * Events the service sends, with the email class each triggers.
	 */
	const EVENTS = array(
		'shipped'          => 'Bikri_Email_Order_Shipped',
		'out_for_delivery' => 'Bikri_Email_Out_For_Delivery',
		'returned'         => 'Bikri_Email_Order_Returned',
	);

	/**
	 * The emails' ids (their settings are the options woocommerce_<id>_settings).
	 */
	const EMAIL_IDS = array( 'bikri_order_shipped', 'bikri_out_for_delivery', 'bikri_order_returned' );

	/**
	 * The plugin's templates folder (the default path for wc_get_template; themes override the
	 * same names under their woocommerce/ folder).
	 *
	 * @return string
	 */
	public static function template_base() {
		return dirname( __DIR__ ) . '/templates/';
	}

	/**
	 * Adds the three emails (woocommerce_email_classes). WC_Email exists only once WooCommerce
	 * builds its mailer, so the classes load here.
	 *
	 * @param array $emails Email objects by class name.
	 * @return array
	 */
	public static function filter_email_classes( $emails ) {
		if ( ! class_exists( 'WC_Email' ) ) {
			return $emails;
		}
		require_once __DIR__ . '/emails/class-bikri-email-courier-status.php';
		require_once __DIR__ . '/emails/class-bikri-email-order-shipped.php';
		require_once __DIR__ . '/emails/class-bikri-email-out-for-delivery.php';
		require_once __DIR__ . '/emails/class-bikri-email-order-returned.php';
		foreach ( self::EVENTS as $class ) {
			if ( ! isset( $emails[ $class ] ) ) {
				$emails[ $class ] = new $class();
			}
		}
		return $emails;
	}

	/**
	 * An email asked for through the REST API (woocommerce_rest_insert_shop_order_object, fired
	 * for each order of an orders/batch call too): the event meta goes, and the event's email is
	 * triggered once per token.
	 *
	 * @param WC_Order|mixed  $order    The order just saved.
	 * @param WP_REST_Request $request  The request (unused).
	 * @param bool            $creating Whether the order was created (unused).
	 */
	public static function action_rest_insert_order( $order, $request = null, $creating = false ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundAfterLastUsed -- WooCommerce's signature.
		$raw = Bikri_Consignment::take_rest_meta( $order, self::EVENT_META_KEY );
		if ( null === $raw ) {
			return;
		}

		$parts = is_string( $raw ) ? explode( '|', $raw, 2 ) : array();
		$event = isset( $parts[0] ) ? $parts[0] : '';
		$token = isset( $parts[1] ) ? trim( $parts[1] ) : '';
		$tokens = $order->get_meta( self::SENT_META_KEY, true );
		$tokens = is_array( $tokens ) ? array_values( $tokens ) : array();
		if ( ! isset( self::EVENTS[ $event ] ) || '' === $token || strlen( $token ) > 100 || in_array( $token, $tokens, true ) ) {
			// Unknown, malformed or already handled: only the meta goes.
			$order->save();
			return;
		}
		// Remembered before sending: a write repeated while this one mails, or a mail that fails
		// half-way, never mails the customer twice (the note below says when it did not go).
		$tokens[] = $token;
		$order->update_meta_data( self::SENT_META_KEY, array_slice( $tokens, -self::TOKENS_KEPT ) );
		$order->save();

		$email = self::email( self::EVENTS[ $event ] );
		if ( null === $email ) {
			return;
		}
		$result = $email->trigger( $order->get_id(), $order );
		// WooCommerce answers the service's write with this order: the service reads the outcome there.
		$order->update_meta_data( self::RESULT_META_KEY, $event . '|' . $token . '|' . $result );
		$order->save();
		if ( 'disabled' === $result ) {
			/* translators: %s: email title, e.g. Order shipped */
			$order->add_order_note( sprintf( __( 'Bikri asked for the "%s" email, but it is off in WooCommerce > Settings > Emails; nothing was sent.', 'bikri' ), $email->get_title() ) );
		} elseif ( 'failed' === $result ) {
			/* translators: %s: email title, e.g. Order shipped */
			$order->add_order_note( sprintf( __( 'The "%s" email to the customer could not be sent (WordPress could not send mail).', 'bikri' ), $email->get_title() ) );
		} elseif ( 'sent' === $result ) {
			/* translators: %s: email title, e.g. Order shipped */
			$order->add_order_note( sprintf( __( 'The "%s" email was sent to the customer.', 'bikri' ), $email->get_title() ) );
		}
	}

	/**
	 * One of the plugin's emails from WooCommerce's mailer.
	 *
	 * @param string $class Email class name.
	 * @return Bikri_Email_Courier_Status|null
	 */
	private static function email( $class ) {
		if ( ! function_exists( 'WC' ) ) {
			return null;
		}
		$emails = WC()->mailer()->get_emails();
		return isset( $emails[ $class ] ) ? $emails[ $class ] : null;
	}

	/**
	 * The "Your parcel" block in WooCommerce's own customer emails (called from
	 * Bikri_Consignment::action_email_order_meta on woocommerce_email_order_meta).
	 *
	 * @param WC_Order $order      The order.
	 * @param bool     $plain_text Whether the email is plain text.
	 * @param mixed    $email      The email object.
	 */
	public static function parcel_block( $order, $plain_text, $email ) {
		$parcel = Bikri_Consignment::of( $order );
		if ( null === $parcel ) {
			return;
		}
		self::render_parcel( $order, $parcel, $plain_text, $email );
	}

	/**
	 * Renders the "Your parcel" template, or a theme's copy of it: for WooCommerce's customer
	 * emails (parcel_block) and in the body of Bikri's courier emails (emails/bikri-courier-status.php).
	 *
	 * @param WC_Order $order      The order.
	 * @param array    $parcel     Bikri_Consignment::of( $order ).
	 * @param bool     $plain_text Whether the email is plain text.
	 * @param mixed    $email      The email object.
	 */
	public static function render_parcel( $order, $parcel, $plain_text, $email ) {
		wc_get_template(
			$plain_text ? 'emails/plain/bikri-parcel.php' : 'emails/bikri-parcel.php',
			array(
				'order'  => $order,
				'parcel' => $parcel,
				'email'  => $email,
			),
			'',
			self::template_base()
		);
	}
}
