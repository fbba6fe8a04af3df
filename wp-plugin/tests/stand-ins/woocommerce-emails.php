<?php
/**
 * STAND-INS for WooCommerce's email system: WC_Email (with the part of WC_Settings_API it
 * uses), WC_Emails (WC()->mailer()) and the template functions. Same names, signatures and
 * order of work as WooCommerce 7.8-8.x (includes/emails/class-wc-email.php,
 * includes/class-wc-emails.php, includes/wc-core-functions.php), cut to what Bikri's emails use:
 * the settings an email reads, its placeholders, get_content() in HTML or plain text (plain is
 * tag-stripped, entity-decoded and wrapped at 70 as WooCommerce does) and send() through
 * wp_mail. No styling (Emogrifier), no multipart, no locale switching.
 *
 * @package Bikri
 */

if ( ! class_exists( 'WC_Email' ) ) {
	/**
	 * Stand-in for WC_Email.
	 */
	class WC_Email {

		/**
		 * Email id (also the settings key).
		 *
		 * @var string
		 */
		public $id;

		/**
		 * Title in WooCommerce → Settings → Emails.
		 *
		 * @var string
		 */
		public $title;

		/**
		 * Description there.
		 *
		 * @var string
		 */
		public $description;

		/**
		 * 'yes' or 'no'.
		 *
		 * @var string
		 */
		public $enabled;

		/**
		 * HTML template (relative to the theme's woocommerce/ folder or template_base).
		 *
		 * @var string
		 */
		public $template_html;

		/**
		 * Plain text template.
		 *
		 * @var string
		 */
		public $template_plain;

		/**
		 * Where the default templates are.
		 *
		 * @var string|null
		 */
		public $template_base = null;

		/**
		 * Recipients.
		 *
		 * @var string
		 */
		public $recipient;

		/**
		 * The order being mailed.
		 *
		 * @var WC_Order|bool
		 */
		public $object;

		/**
		 * html or plain.
		 *
		 * @var string
		 */
		public $email_type;

		/**
		 * Whether the email goes to a customer.
		 *
		 * @var bool
		 */
		protected $customer_email = false;

		/**
		 * Find => replace for subjects and headings.
		 *
		 * @var string[]
		 */
		public $placeholders = array();

		/**
		 * Settings fields.
		 *
		 * @var array
		 */
		public $form_fields = array();

		/**
		 * Saved settings.
		 *
		 * @var array
		 */
		public $settings = array();

		/**
		 * Whether get_content() is running for a send.
		 *
		 * @var bool
		 */
		public $sending = false;

		/**
		 * WooCommerce's entity clean-up of plain text (a subset of its list).
		 *
		 * @var string[]
		 */
		public $plain_search = array( "/\r/", '/&(nbsp|#0*160);/i', '/&(quot|#0*34);/i', '/&(apos|#0*39);/i', '/&gt;/i', '/&lt;/i', '/&#0*38;/i', '/&amp;/i' );

		/**
		 * Replacements for plain_search.
		 *
		 * @var string[]
		 */
		public $plain_replace = array( '', ' ', '"', "'", '>', '<', '&', '&' );

		/**
		 * Same order of work as WooCommerce's constructor.
		 */
		public function __construct() {
			$this->placeholders = array_merge(
				array(
					'{site_title}'   => $this->get_blogname(),
					'{site_address}' => wp_parse_url( home_url(), PHP_URL_HOST ),
					'{site_url}'     => wp_parse_url( home_url(), PHP_URL_HOST ),
				),
				$this->placeholders
			);
			$this->init_form_fields();
			$this->init_settings();
			if ( is_null( $this->template_base ) ) {
				$this->template_base = WC()->plugin_path() . '/templates/';
			}
			$this->email_type = $this->get_option( 'email_type' );
			$this->enabled    = $this->get_option( 'enabled' );
		}

		/**
		 * WooCommerce's default fields.
		 */
		public function init_form_fields() {
			$placeholder_text  = sprintf( 'Available placeholders: %s', '<code>' . implode( '</code>, <code>', array_keys( $this->placeholders ) ) . '</code>' );
			$this->form_fields = array(
				'enabled'            => array(
					'title'   => 'Enable/Disable',
					'type'    => 'checkbox',
					'label'   => 'Enable this email notification',
					'default' => 'yes',
				),
				'subject'            => array(
					'title'       => 'Subject',
					'type'        => 'text',
					'desc_tip'    => true,
					'description' => $placeholder_text,
					'placeholder' => $this->get_default_subject(),
					'default'     => '',
				),
				'heading'            => array(
					'title'       => 'Email heading',
					'type'        => 'text',
					'desc_tip'    => true,
					'description' => $placeholder_text,
					'placeholder' => $this->get_default_heading(),
					'default'     => '',
				),
				'additional_content' => array(
					'title'       => 'Additional content',
					'description' => 'Text to appear below the main email content.' . ' ' . $placeholder_text,
					'css'         => 'width:400px; height: 75px;',
					'placeholder' => 'N/A',
					'type'        => 'textarea',
					'default'     => $this->get_default_additional_content(),
					'desc_tip'    => true,
				),
				'email_type'         => array(
					'title'       => 'Email type',
					'type'        => 'select',
					'description' => 'Choose which format of email to send.',
					'default'     => 'html',
					'class'       => 'email_type wc-enhanced-select',
					'options'     => array(
						'plain' => 'Plain text',
						'html'  => 'HTML',
					),
					'desc_tip'    => true,
				),
			);
		}

		/**
		 * WC_Settings_API::get_option_key().
		 *
		 * @return string
		 */
		public function get_option_key() {
			return 'woocommerce_' . $this->id . '_settings';
		}

		/**
		 * WC_Settings_API::init_settings(): the saved settings over the fields' defaults.
		 */
		public function init_settings() {
			$this->settings = get_option( $this->get_option_key(), null );
			if ( ! is_array( $this->settings ) ) {
				$this->settings = array();
			}
			foreach ( $this->form_fields as $key => $field ) {
				if ( ! isset( $this->settings[ $key ] ) ) {
					$this->settings[ $key ] = isset( $field['default'] ) ? $field['default'] : '';
				}
			}
		}

		/**
		 * WC_Settings_API::get_option().
		 *
		 * @param string $key         Setting.
		 * @param mixed  $empty_value Used when the setting is ''.
		 * @return mixed
		 */
		public function get_option( $key, $empty_value = null ) {
			if ( ! isset( $this->settings[ $key ] ) ) {
				$this->settings[ $key ] = isset( $this->form_fields[ $key ]['default'] ) ? $this->form_fields[ $key ]['default'] : '';
			}
			if ( ! is_null( $empty_value ) && '' === $this->settings[ $key ] ) {
				$this->settings[ $key ] = $empty_value;
			}
			return $this->settings[ $key ];
		}

		/**
		 * Replaces the placeholders.
		 *
		 * @param string $string Text.
		 * @return string
		 */
		public function format_string( $string ) {
			return str_replace( array_keys( $this->placeholders ), array_values( $this->placeholders ), (string) $string );
		}

		/**
		 * Title (woocommerce_email_title).
		 *
		 * @return string
		 */
		public function get_title() {
			return apply_filters( 'woocommerce_email_title', $this->title, $this );
		}

		/**
		 * Default subject.
		 *
		 * @return string
		 */
		public function get_default_subject() {
			return '';
		}

		/**
		 * Default heading.
		 *
		 * @return string
		 */
		public function get_default_heading() {
			return '';
		}

		/**
		 * Default additional content.
		 *
		 * @return string
		 */
		public function get_default_additional_content() {
			return '';
		}

		/**
		 * Subject with placeholders replaced.
		 *
		 * @return string
		 */
		public function get_subject() {
			return apply_filters( 'woocommerce_email_subject_' . $this->id, $this->format_string( $this->get_option( 'subject', $this->get_default_subject() ) ), $this->object, $this );
		}

		/**
		 * Heading with placeholders replaced.
		 *
		 * @return string
		 */
		public function get_heading() {
			return apply_filters( 'woocommerce_email_heading_' . $this->id, $this->format_string( $this->get_option( 'heading', $this->get_default_heading() ) ), $this->object, $this );
		}

		/**
		 * Additional content with placeholders replaced.
		 *
		 * @return string
		 */
		public function get_additional_content() {
			$content = $this->get_option( 'additional_content', '' );
			return apply_filters( 'woocommerce_email_additional_content_' . $this->id, $this->format_string( $content ), $this->object, $this );
		}

		/**
		 * Whether enabled.
		 *
		 * @return bool
		 */
		public function is_enabled() {
			return apply_filters( 'woocommerce_email_enabled_' . $this->id, 'yes' === $this->enabled, $this->object, $this );
		}

		/**
		 * Whether a customer email.
		 *
		 * @return bool
		 */
		public function is_customer_email() {
			return $this->customer_email;
		}

		/**
		 * Recipients (comma-separated, valid ones only).
		 *
		 * @return string
		 */
		public function get_recipient() {
			$recipient  = apply_filters( 'woocommerce_email_recipient_' . $this->id, $this->recipient, $this->object, $this );
			$recipients = array_map( 'trim', explode( ',', (string) $recipient ) );
			return implode( ', ', array_filter( $recipients, 'is_email' ) );
		}

		/**
		 * html or plain.
		 *
		 * @return string
		 */
		public function get_email_type() {
			return $this->email_type && class_exists( 'DOMDocument' ) ? $this->email_type : 'plain';
		}

		/**
		 * Content type header value.
		 *
		 * @return string
		 */
		public function get_content_type() {
			return 'html' === $this->get_email_type() ? 'text/html' : 'text/plain';
		}

		/**
		 * Headers.
		 *
		 * @return string
		 */
		public function get_headers() {
			return apply_filters( 'woocommerce_email_headers', 'Content-Type: ' . $this->get_content_type() . "\r\n", $this->id, $this->object, $this );
		}

		/**
		 * Attachments.
		 *
		 * @return array
		 */
		public function get_attachments() {
			return apply_filters( 'woocommerce_email_attachments', array(), $this->id, $this->object, $this );
		}

		/**
		 * The site's name.
		 *
		 * @return string
		 */
		public function get_blogname() {
			return wp_specialchars_decode( get_option( 'blogname' ), ENT_QUOTES );
		}

		/**
		 * The body, in the email's type.
		 *
		 * @return string
		 */
		public function get_content() {
			$this->sending = true;
			if ( 'plain' === $this->get_email_type() ) {
				return wordwrap( preg_replace( $this->plain_search, $this->plain_replace, wp_strip_all_tags( $this->get_content_plain() ) ), 70 );
			}
			return $this->get_content_html();
		}

		/**
		 * HTML body (subclasses render their template).
		 *
		 * @return string
		 */
		public function get_content_html() {
			return '';
		}

		/**
		 * Plain body (subclasses render their template).
		 *
		 * @return string
		 */
		public function get_content_plain() {
			return '';
		}

		/**
		 * WooCommerce switches to the site's language for customer emails; not here.
		 */
		public function setup_locale() {
		}

		/**
		 * Back from setup_locale().
		 */
		public function restore_locale() {
		}

		/**
		 * Sends through wp_mail (woocommerce_mail_callback), as WooCommerce does.
		 *
		 * @param string $to          To.
		 * @param string $subject     Subject.
		 * @param string $message     Body.
		 * @param string $headers     Headers.
		 * @param array  $attachments Attachments.
		 * @return bool
		 */
		public function send( $to, $subject, $message, $headers, $attachments ) {
			$message       = apply_filters( 'woocommerce_mail_content', $message );
			$mail_callback = apply_filters( 'woocommerce_mail_callback', 'wp_mail', $this );
			return (bool) $mail_callback( $to, wp_specialchars_decode( $subject ), $message, $headers, $attachments );
		}
	}
}

if ( ! class_exists( 'WC_Emails' ) ) {
	/**
	 * Stand-in for WC_Emails: builds the email classes through woocommerce_email_classes.
	 */
	class WC_Emails {

		/**
		 * Email objects by class name.
		 *
		 * @var WC_Email[]
		 */
		public $emails = array();

		/**
		 * The one instance.
		 *
		 * @var WC_Emails|null
		 */
		protected static $instance = null;

		/**
		 * The instance (WC()->mailer()).
		 *
		 * @return WC_Emails
		 */
		public static function instance() {
			if ( null === self::$instance ) {
				self::$instance = new self();
			}
			return self::$instance;
		}

		/**
		 * Tests only: the next mailer() builds the emails again (settings are read at construction).
		 */
		public static function reset() {
			self::$instance = null;
		}

		/**
		 * Builds the emails.
		 */
		public function __construct() {
			$this->init();
		}

		/**
		 * WooCommerce's own emails are not here; only what plugins add.
		 */
		public function init() {
			$this->emails = apply_filters( 'woocommerce_email_classes', $this->emails );
		}

		/**
		 * The emails.
		 *
		 * @return WC_Email[]
		 */
		public function get_emails() {
			return $this->emails;
		}
	}

	// What WC_Emails::email_header() / email_footer() print, reduced to the heading and the site.
	add_action(
		'woocommerce_email_header',
		static function ( $email_heading ) {
			echo '<div id="wrapper"><h1>' . esc_html( $email_heading ) . '</h1>';
		}
	);
	add_action(
		'woocommerce_email_footer',
		static function () {
			echo '<p id="credit">' . esc_html( get_option( 'blogname' ) ) . '</p></div>';
		}
	);
}

if ( ! function_exists( 'wc_locate_template' ) ) {
	/**
	 * WooCommerce's wc_locate_template(): the theme's woocommerce/ copy, else the default path.
	 *
	 * @param string $template_name Template name.
	 * @param string $template_path Theme folder (default woocommerce/).
	 * @param string $default_path  Default folder.
	 * @return string
	 */
	function wc_locate_template( $template_name, $template_path = '', $default_path = '' ) {
		if ( ! $template_path ) {
			$template_path = WC()->template_path();
		}
		if ( ! $default_path ) {
			$default_path = WC()->plugin_path() . '/templates/';
		}
		$template = locate_template( array( trailingslashit( $template_path ) . $template_name, $template_name ) );
		if ( ! $template ) {
			$template = $default_path . $template_name;
		}
		return apply_filters( 'woocommerce_locate_template', $template, $template_name, $template_path );
	}
}

if ( ! function_exists( 'wc_get_template' ) ) {
	/**
	 * WooCommerce's wc_get_template(): includes the located template with $args as variables.
	 *
	 * @param string $template_name Template name.
	 * @param array  $args          Variables.
	 * @param string $template_path Theme folder.
	 * @param string $default_path  Default folder.
	 */
	function wc_get_template( $template_name, $args = array(), $template_path = '', $default_path = '' ) {
		$template = wc_locate_template( $template_name, $template_path, $default_path );
		$template = apply_filters( 'wc_get_template', $template, $template_name, $args, $template_path, $default_path );
		if ( ! file_exists( $template ) ) {
			trigger_error( esc_html( $template . ' does not exist.' ), E_USER_WARNING ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_trigger_error
			return;
		}
		if ( ! empty( $args ) && is_array( $args ) ) {
			extract( $args ); // phpcs:ignore WordPress.PHP.DontExtract.extract_extract -- as WooCommerce.
		}
		do_action( 'woocommerce_before_template_part', $template_name, $template_path, $template, $args );
		include $template;
		do_action( 'woocommerce_after_template_part', $template_name, $template_path, $template, $args );
	}
}

if ( ! function_exists( 'wc_get_template_html' ) ) {
	/**
	 * WooCommerce's wc_get_template_html(): wc_get_template() into a string.
	 *
	 * @param string $template_name Template name.
	 * @param array  $args          Variables.
	 * @param string $template_path Theme folder.
	 * @param string $default_path  Default folder.
	 * @return string
	 */
	function wc_get_template_html( $template_name, $args = array(), $template_path = '', $default_path = '' ) {
		ob_start();
		wc_get_template( $template_name, $args, $template_path, $default_path );
		return ob_get_clean();
	}
}

if ( ! function_exists( 'wc_format_datetime' ) ) {
	/**
	 * WooCommerce's wc_format_datetime() with the site's date format.
	 *
	 * @param WC_DateTime|null $date   Date.
	 * @param string           $format Format (default: the site's).
	 * @return string
	 */
	function wc_format_datetime( $date, $format = '' ) {
		if ( ! $date ) {
			return '';
		}
		return date_i18n( $format ? $format : get_option( 'date_format' ), $date->getTimestamp() );
	}
}
