<?php
/**
 * What the three courier status emails share: a customer email about the order\'s parcel, with
 * {courier}, {consignment} and {tracking_link} besides WooCommerce's placeholders, and templates
 * in the plugin that a theme overrides as WooCommerce's own (woocommerce/emails/<name>.php).
 *
 * Off by default: WooCommerce lists it under Settings > Emails, and the shop turns it on there
 * after reading its subject and text. Installing or updating the plugin must not start mailing
 * a shop's customers in its name: many shops already mail "shipped" through another plugin (a
 * second mail would follow every status), and many shop servers cannot deliver mail well until
 * an SMTP plugin is set up. The service asks for the email only when the status\'s email is on in
 * Bikri; when the WooCommerce switch is off, the order gets a note saying why nothing went.
 *
 * Loaded by Bikri_Emails::filter_email_classes, once WC_Email exists.
 *
 * @package Bikri
 */

defined( 'ABSPATH' ) || exit;

/**
 * A courier status email to the customer.
 */
abstract class Bikri_Email_Courier_Status extends WC_Email {

	/**
	 * The template's name, e.g. bikri-order-shipped (emails/<name>.php and emails/plain/<name>.php).
	 *
	 * @var string
	 */
	protected $template_name = '';

	/**
	 * The parcel of the order being mailed (Bikri_Consignment::of), or null.
	 *
	 * @var array|null
	 */
	protected $parcel = null;

	/**
	 * The three emails' texts by email id. Read when used, not once: WooCommerce switches to the
	 * site's language (setup_locale) before it asks for the subject and heading.
	 *
	 * @return array Per email id: title, description, subject, heading, additional_content.
	 */
	protected static function texts() {
		return array(
			'bikri_order_shipped'    => array(
				'title'              => __( 'Order shipped', 'bikri' ),
				'description'        => __( 'Sent to the customer when the order\'s parcel leaves with the courier and the status\'s email is on in Bikri. Shows the courier, the consignment id and the tracking link.', 'bikri' ),
				'subject'            => __( 'Your {site_title} order #{order_number} is on its way', 'bikri' ),
				'heading'            => __( 'Your order is on its way', 'bikri' ),
				'additional_content' => __( 'Thank you for shopping with us.', 'bikri' ),
			),
			'bikri_out_for_delivery' => array(
				'title'              => __( 'Out for delivery', 'bikri' ),
				'description'        => __( 'Sent to the customer when the courier\'s rider takes the parcel out for delivery and the status\'s email is on in Bikri.', 'bikri' ),
				'subject'            => __( 'Your {site_title} order #{order_number} is out for delivery', 'bikri' ),
				'heading'            => __( 'Your parcel arrives today', 'bikri' ),
				'additional_content' => __( 'Please keep your phone on: the rider calls before delivering.', 'bikri' ),
			),
			'bikri_order_returned'   => array(
				'title'              => __( 'Returned', 'bikri' ),
				'description'        => __( 'Sent to the customer when the courier returns the parcel to the shop and the status\'s email is on in Bikri.', 'bikri' ),
				'subject'            => __( 'Your {site_title} order #{order_number} was returned to us', 'bikri' ),
				'heading'            => __( 'Your parcel came back to us', 'bikri' ),
				'additional_content' => __( 'If you still want your order, reply to this email and we will send it again.', 'bikri' ),
			),
		);
	}

	/**
	 * One of this email's texts.
	 *
	 * @param string $name title, description, subject, heading or additional_content.
	 * @return string
	 */
	protected function text( $name ) {
		$texts = static::texts();
		return $texts[ $this->id ][ $name ];
	}

	/**
	 * Sets what the subclass left (its id and template name): title, description, customer
	 * email, templates, placeholders; then WooCommerce's constructor reads the settings.
	 */
	public function __construct() {
		$this->title          = $this->text( 'title' );
		$this->description    = $this->text( 'description' );
		$this->customer_email = true;
		$this->template_html  = 'emails/' . $this->template_name . '.php';
		$this->template_plain = 'emails/plain/' . $this->template_name . '.php';
		$this->template_base  = Bikri_Emails::template_base();
		$this->placeholders   = array(
			'{order_date}'    => '',
			'{order_number}'  => '',
			'{courier}'       => '',
			'{consignment}'   => '',
			'{tracking_link}' => '',
		);
		parent::__construct();
	}

	/**
	 * Default subject.
	 *
	 * @return string
	 */
	public function get_default_subject() {
		return $this->text( 'subject' );
	}

	/**
	 * Default heading.
	 *
	 * @return string
	 */
	public function get_default_heading() {
		return $this->text( 'heading' );
	}

	/**
	 * Default text below the main content.
	 *
	 * @return string
	 */
	public function get_default_additional_content() {
		return $this->text( 'additional_content' );
	}

	/**
	 * WooCommerce's fields, switched off until the shop turns the email on.
	 */
	public function init_form_fields() {
		parent::init_form_fields();
		if ( isset( $this->form_fields['enabled'] ) ) {
			$this->form_fields['enabled']['default'] = 'no';
		}
	}

	/**
	 * Sends the email about an order's parcel.
	 *
	 * @param int           $order_id Order id.
	 * @param WC_Order|bool $order    The order, if at hand.
	 * @return string sent, failed, disabled, or skipped (no order or no customer address).
	 */
	public function trigger( $order_id, $order = false ) {
		$this->setup_locale();
		if ( $order_id && ! is_a( $order, 'WC_Order' ) ) {
			$order = wc_get_order( $order_id );
		}
		$result = 'skipped';
		if ( is_a( $order, 'WC_Order' ) ) {
			$this->object                         = $order;
			$this->recipient                      = $order->get_billing_email();
			$this->parcel                         = Bikri_Consignment::of( $order );
			$this->placeholders['{order_date}']   = wc_format_datetime( $order->get_date_created() );
			$this->placeholders['{order_number}'] = $order->get_order_number();
			$this->placeholders['{courier}']      = $this->parcel ? $this->parcel['courier_name'] : '';
			$this->placeholders['{consignment}']  = $this->parcel ? $this->parcel['consignment_id'] : '';
			// Subjects and headings are text; the link in them is the bare address.
			$this->placeholders['{tracking_link}'] = $this->parcel ? $this->parcel['tracking_link'] : '';

			if ( ! $this->is_enabled() ) {
				$result = 'disabled';
			} elseif ( $this->get_recipient() ) {
				$result = $this->send( $this->get_recipient(), $this->get_subject(), $this->get_content(), $this->get_headers(), $this->get_attachments() ) ? 'sent' : 'failed';
			}
		}
		$this->restore_locale();
		return $result;
	}

	/**
	 * The template's variables.
	 *
	 * @param bool $plain_text Whether plain text.
	 * @return array
	 */
	protected function template_args( $plain_text ) {
		return array(
			'order'              => $this->object,
			'parcel'             => $this->parcel,
			'email_heading'      => $this->get_heading(),
			'additional_content' => $this->get_additional_content(),
			'sent_to_admin'      => false,
			'plain_text'         => $plain_text,
			'email'              => $this,
			'template_base'      => $this->template_base,
		);
	}

	/**
	 * HTML body.
	 *
	 * @return string
	 */
	public function get_content_html() {
		return wc_get_template_html( $this->template_html, $this->template_args( false ), '', $this->template_base );
	}

	/**
	 * Plain text body.
	 *
	 * @return string
	 */
	public function get_content_plain() {
		return wc_get_template_html( $this->template_plain, $this->template_args( true ), '', $this->template_base );
	}
}
