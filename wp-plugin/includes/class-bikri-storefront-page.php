<?php
/**
 * Settings → Bikri storefront: the shop's header, body-open and footer code (K1) and the ad
 * tags' ids (K2), with a preview and one switch that turns every snippet off.
 *
 * Who may do what: the page and the tag ids need `manage_options`; the code snippets need
 * `unfiltered_html` as well (WordPress's own rule for raw HTML and scripts: on a multisite only
 * super admins have it, and DISALLOW_UNFILTERED_HTML takes it from everyone). Someone without
 * it sees the snippets read-only and a changed snippet is refused (403), but may still use the
 * switch that turns them all off: that only ever removes code.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings screen and its form handler.
 */
final class Bikri_Storefront_Page {

	const SLUG       = 'bikri-storefront';
	const ACTION     = 'bikri_storefront_save';
	const CAPABILITY = 'manage_options';
	const CODE_CAPABILITY = 'unfiltered_html';
	const NOTICE_ARG = 'bikri_notice';

	/**
	 * Longest snippet kept (a snippet is a tag or two, not a page).
	 */
	const MAX_CODE = 65536;

	/**
	 * What prints the settings on the storefront.
	 *
	 * @var Bikri_Storefront
	 */
	private $storefront;

	/**
	 * Wires the page to the storefront printer.
	 *
	 * @param Bikri_Storefront $storefront The printer.
	 */
	public function __construct( Bikri_Storefront $storefront ) {
		$this->storefront = $storefront;
	}

	/**
	 * The page's URL.
	 *
	 * @return string
	 */
	public static function url() {
		return admin_url( 'options-general.php?page=' . self::SLUG );
	}

	/**
	 * Adds the page under Settings.
	 */
	public function action_admin_menu() {
		add_options_page(
			__( 'Bikri storefront code and tags', 'bikri' ),
			__( 'Bikri storefront', 'bikri' ),
			self::CAPABILITY,
			self::SLUG,
			array( $this, 'render' )
		);
	}

	/**
	 * Target labels.
	 *
	 * @return array
	 */
	private static function target_labels() {
		return array(
			'all'      => __( 'All pages', 'bikri' ),
			'product'  => __( 'Product pages', 'bikri' ),
			'checkout' => __( 'Checkout', 'bikri' ),
			'thankyou' => __( 'Thank-you page (order received)', 'bikri' ),
		);
	}

	/**
	 * Renders the page.
	 */
	public function render() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to change the storefront code.', 'bikri' ), '', array( 'response' => 403 ) );
		}
		$settings = Bikri_Storefront::normalise( get_option( Bikri_Storefront::OPTION ) );
		$may_code = current_user_can( self::CODE_CAPABILITY );
		$places   = array(
			'head'   => __( 'Header code (inside <head>)', 'bikri' ),
			'body'   => __( 'Body code (right after <body>)', 'bikri' ),
			'footer' => __( 'Footer code (before </body>)', 'bikri' ),
		);
		$tags     = array(
			'pixel'   => array( __( 'Meta Pixel id', 'bikri' ), '1234567890123456' ),
			'gtm'     => array( __( 'Google Tag Manager container id', 'bikri' ), 'GTM-ABC1234' ),
			'ga4'     => array( __( 'Google Analytics 4 measurement id', 'bikri' ), 'G-ABC123DEF4' ),
			'clarity' => array( __( 'Microsoft Clarity project id', 'bikri' ), 'abcd1234ef' ),
		);
		// Only which notice to show is read from the URL.
		$notice = isset( $_GET[ self::NOTICE_ARG ] ) ? sanitize_key( wp_unslash( $_GET[ self::NOTICE_ARG ] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		echo '<div class="wrap bikri-storefront"><h1>' . esc_html__( 'Bikri storefront code and tags', 'bikri' ) . '</h1>';
		if ( 'saved' === $notice ) {
			echo '<div class="notice notice-success"><p>' . esc_html__( 'Saved. The shop prints these from now on.', 'bikri' ) . '</p></div>';
		} elseif ( 'bad_ids' === $notice ) {
			echo '<div class="notice notice-error"><p>' . esc_html__( 'Some tag ids were not in their usual form and were not saved; see the examples beside each field.', 'bikri' ) . '</p></div>';
		}
		if ( ! $may_code ) {
			echo '<div class="notice notice-warning"><p>' . esc_html__( 'Only users allowed to post unfiltered HTML may change the code snippets. You may change the tag ids and switch every snippet off.', 'bikri' ) . '</p></div>';
		}
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '">';
		wp_nonce_field( self::ACTION );

		echo '<h2>' . esc_html__( 'Ad and analytics tags', 'bikri' ) . '</h2><table class="form-table" role="presentation">';
		foreach ( $tags as $tag => $labels ) {
			echo '<tr><th scope="row"><label for="bikri-' . esc_attr( $tag ) . '">' . esc_html( $labels[0] ) . '</label></th><td>';
			echo '<input type="text" class="regular-text" id="bikri-' . esc_attr( $tag ) . '" name="bikri[' . esc_attr( $tag ) . ']" value="' . esc_attr( $settings[ $tag ] ) . '" placeholder="' . esc_attr( $labels[1] ) . '">';
			echo '</td></tr>';
		}
		echo '</table><p class="description">' . esc_html__( 'With the WP Consent API, Google tags and Clarity load only with consent to statistics, the Pixel only with consent to marketing. The Pixel sends ViewContent, AddToCart, InitiateCheckout and Purchase with WooCommerce\'s prices and currency.', 'bikri' ) . '</p>';

		echo '<h2>' . esc_html__( 'Your own code', 'bikri' ) . '</h2>';
		echo '<p><label><input type="checkbox" name="bikri[snippets_off]" value="1"' . checked( $settings['snippets_off'], true, false ) . '> '
			. esc_html__( 'Turn every snippet off (when one breaks the shop)', 'bikri' ) . '</label></p>';
		echo '<table class="form-table" role="presentation">';
		foreach ( $places as $place => $label ) {
			echo '<tr><th scope="row"><label for="bikri-' . esc_attr( $place ) . '-code">' . esc_html( $label ) . '</label></th><td>';
			echo '<textarea class="large-text code" rows="6" id="bikri-' . esc_attr( $place ) . '-code" name="bikri[' . esc_attr( $place ) . '_code]"' . ( $may_code ? '' : ' readonly' ) . '>'
				. esc_textarea( $settings[ $place . '_code' ] ) . '</textarea>';
			echo '<p><label>' . esc_html__( 'Print on', 'bikri' ) . ' <select name="bikri[' . esc_attr( $place ) . '_target]"' . ( $may_code ? '' : ' disabled' ) . '>';
			foreach ( self::target_labels() as $target => $target_label ) {
				echo '<option value="' . esc_attr( $target ) . '"' . selected( $settings[ $place . '_target' ], $target, false ) . '>' . esc_html( $target_label ) . '</option>';
			}
			echo '</select></label></p></td></tr>';
		}
		echo '</table>';
		echo '<p class="submit"><button type="submit" class="button button-primary" name="bikri_do" value="save">' . esc_html__( 'Save', 'bikri' ) . '</button> ';
		if ( $may_code ) {
			echo '<button type="submit" class="button" name="bikri_do" value="preview" formtarget="_blank">' . esc_html__( 'Preview on the shop (only you see it)', 'bikri' ) . '</button>';
		}
		echo '</p></form></div>';
	}

	/**
	 * Reads the posted settings (unslashed; the snippets as typed).
	 *
	 * @param array $posted The form's `bikri` array.
	 * @param array $stored What is saved now.
	 * @return array [settings, bad ids]
	 */
	public static function read( array $posted, array $stored ) {
		$settings = $stored;
		$bad      = array();
		foreach ( array_keys( Bikri_Storefront::ID_PATTERNS ) as $tag ) {
			$id = isset( $posted[ $tag ] ) ? trim( sanitize_text_field( (string) $posted[ $tag ] ) ) : '';
			if ( 'clarity' !== $tag ) {
				$id = strtoupper( $id );
			}
			if ( '' !== $id && ! Bikri_Storefront::valid_id( $tag, $id ) ) {
				$bad[] = $tag;
				continue;
			}
			$settings[ $tag ] = $id;
		}
		$settings['snippets_off'] = ! empty( $posted['snippets_off'] );
		foreach ( array_keys( Bikri_Storefront::PLACES ) as $place ) {
			if ( isset( $posted[ $place . '_code' ] ) ) {
				$settings[ $place . '_code' ] = substr( str_replace( "\r\n", "\n", (string) $posted[ $place . '_code' ] ), 0, self::MAX_CODE );
			}
			if ( isset( $posted[ $place . '_target' ] ) && in_array( $posted[ $place . '_target' ], Bikri_Storefront::TARGETS, true ) ) {
				$settings[ $place . '_target' ] = $posted[ $place . '_target' ];
			}
		}
		return array( $settings, $bad );
	}

	/**
	 * Whether the snippets (code or where they print) differ.
	 *
	 * @param array $a Settings.
	 * @param array $b Settings.
	 * @return bool
	 */
	private static function code_changed( array $a, array $b ) {
		foreach ( array_keys( Bikri_Storefront::PLACES ) as $place ) {
			if ( $a[ $place . '_code' ] !== $b[ $place . '_code' ] || $a[ $place . '_target' ] !== $b[ $place . '_target' ] ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * admin-post: saves, or saves a draft and opens the preview.
	 */
	public function handle_save() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to change the storefront code.', 'bikri' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::ACTION );
		$stored = Bikri_Storefront::normalise( get_option( Bikri_Storefront::OPTION ) );
		// Unslashed and read field by field in read(); snippets are raw code by design (unfiltered_html).
		$posted = isset( $_POST['bikri'] ) && is_array( $_POST['bikri'] ) ? wp_unslash( $_POST['bikri'] ) : array(); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
		list( $settings, $bad ) = self::read( $posted, $stored );
		$may_code = current_user_can( self::CODE_CAPABILITY );
		if ( ! $may_code && self::code_changed( $settings, $stored ) ) {
			wp_die( esc_html__( 'Only users allowed to post unfiltered HTML may change the code snippets.', 'bikri' ), '', array( 'response' => 403 ) );
		}
		$preview = isset( $_POST['bikri_do'] ) && 'preview' === $_POST['bikri_do'];
		if ( $preview ) {
			if ( ! $may_code ) {
				wp_die( esc_html__( 'Only users allowed to post unfiltered HTML may change the code snippets.', 'bikri' ), '', array( 'response' => 403 ) );
			}
			update_option( Bikri_Storefront::DRAFT_OPTION, $settings, false );
			wp_safe_redirect( add_query_arg( Bikri_Storefront::PREVIEW_ARG, wp_create_nonce( Bikri_Storefront::PREVIEW_NONCE ), home_url( '/' ) ) );
			exit;
		}
		update_option( Bikri_Storefront::OPTION, $settings, true );
		$this->storefront->reset();
		wp_safe_redirect( add_query_arg( self::NOTICE_ARG, $bad ? 'bad_ids' : 'saved', self::url() ) );
		exit;
	}
}
