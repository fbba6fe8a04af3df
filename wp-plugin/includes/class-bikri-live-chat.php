<?php
/**
 * Live chat with shoppers (H2): the chat box on the storefront.
 *
 * Whether the box shows is the shop's switch on Bikri's Live chat page; the plugin keeps it in its
 * copy of the checkout settings (pulled every five minutes, and at once when the switch is saved
 * in wp-admin), so a page view asks the service nothing and costs no more than reading that
 * autoloaded option.
 *
 * The box talks to the service's public chat routes directly from the shopper's browser (CORS
 * admits only this site's origin; each visitor holds its own conversation's token). Going through
 * a WordPress REST route of the plugin instead would boot WordPress's PHP for every poll of every
 * open box, every second or two, on hosting that is often small and shared.
 *
 * Weight: with the box off nothing is printed. With it on, one small script loaded with `defer`
 * at the end of the page (never render-blocking); the script adds its stylesheet itself, so the
 * page's first render waits for neither. Every word the shopper reads comes from here, through
 * gettext, in the storefront's language; the configuration reaches the script as JSON in an
 * escaped attribute, and the script writes messages as text, never as HTML.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Prints the chat box's holder and loads its script.
 */
final class Bikri_Live_Chat {

	const HANDLE = 'bikri-live-chat';

	/**
	 * Id of the element the script fills (and reads its configuration from).
	 */
	const HOLDER_ID = 'bikri-live-chat';

	/**
	 * Longest greeting kept (the service allows as much).
	 */
	const MAX_GREETING = 300;

	/**
	 * License state.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * The copy of the shop's settings pulled from the service.
	 *
	 * @var Bikri_Checkout_Config
	 */
	private $config;

	/**
	 * Builds the box.
	 *
	 * @param Bikri_License         $license License state.
	 * @param Bikri_Checkout_Config $config  The settings copy.
	 */
	public function __construct( Bikri_License $license, Bikri_Checkout_Config $config ) {
		$this->license = $license;
		$this->config  = $config;
	}

	/**
	 * The chat settings from the service's answer, as the copy keeps them.
	 *
	 * @param mixed $answer The `live_chat` part of the config pull.
	 * @return array {enabled: bool, endpoint: string, greeting: string}
	 */
	public static function normalise( $answer ) {
		$answer   = is_array( $answer ) ? $answer : array();
		$endpoint = isset( $answer['endpoint'] ) && is_string( $answer['endpoint'] ) ? esc_url_raw( $answer['endpoint'], array( 'http', 'https' ) ) : '';
		$greeting = isset( $answer['greeting'] ) && is_string( $answer['greeting'] ) ? sanitize_textarea_field( $answer['greeting'] ) : '';
		return array(
			'enabled'  => ! empty( $answer['enabled'] ) && '' !== $endpoint,
			'endpoint' => $endpoint,
			'greeting' => function_exists( 'mb_substr' ) ? mb_substr( $greeting, 0, self::MAX_GREETING ) : substr( $greeting, 0, self::MAX_GREETING ),
		);
	}

	/**
	 * The settings in the copy.
	 *
	 * @return array
	 */
	public function settings() {
		$state = $this->config->state();
		return self::normalise( isset( $state['live_chat'] ) ? $state['live_chat'] : null );
	}

	/**
	 * Whether the shop has the box on (and the license still stands).
	 *
	 * @return bool
	 */
	public function enabled() {
		$settings = $this->settings();
		return $settings['enabled'] && $this->license->is_active();
	}

	/**
	 * Loads the script on storefront pages while the box is on.
	 */
	public function action_enqueue_scripts() {
		if ( is_admin() || ! $this->enabled() ) {
			return;
		}
		wp_enqueue_script( self::HANDLE, plugins_url( 'assets/js/live-chat.js', BIKRI_PLUGIN_FILE ), array(), BIKRI_VERSION, true );
	}

	/**
	 * Loads the box's script with `defer` (WordPress before 6.3 has no loading strategy).
	 *
	 * @param string $tag    The script tag.
	 * @param string $handle Its handle.
	 * @return string
	 */
	public static function filter_script_loader_tag( $tag, $handle ) {
		if ( self::HANDLE !== $handle || false !== strpos( $tag, ' defer' ) ) {
			return $tag;
		}
		return str_replace( '<script ', '<script defer ', $tag );
	}

	/**
	 * What the script needs: where to send, its stylesheet, and every word, in the storefront's language.
	 *
	 * @return array
	 */
	public function client_config() {
		$settings = $this->settings();
		return array(
			'endpoint' => $settings['endpoint'],
			'css'      => add_query_arg( 'ver', BIKRI_VERSION, plugins_url( 'assets/css/live-chat.css', BIKRI_PLUGIN_FILE ) ),
			'words'    => array(
				'open'        => __( 'Chat with us', 'bikri' ),
				'close'       => __( 'Close the chat', 'bikri' ),
				'title'       => __( 'Chat with the shop', 'bikri' ),
				'greeting'    => '' !== $settings['greeting'] ? $settings['greeting'] : __( 'Hello! Ask us about any product, size or delivery.', 'bikri' ),
				'away'        => __( 'Nobody is answering right now. Leave your message and your mobile number, and we will call you back.', 'bikri' ),
				'name'        => __( 'Your name (optional)', 'bikri' ),
				'phone'       => __( 'Your mobile number', 'bikri' ),
				'message'     => __( 'Write your message', 'bikri' ),
				'send'        => __( 'Send', 'bikri' ),
				'you'         => __( 'You', 'bikri' ),
				'shop'        => __( 'Shop', 'bikri' ),
				'failed'      => __( 'The message did not go. Check your connection and try again.', 'bikri' ),
			),
		);
	}

	/**
	 * Prints the (hidden) holder of the box before </body>; the script shows it once styled.
	 */
	public function action_footer() {
		if ( is_admin() || ! $this->enabled() ) {
			return;
		}
		printf(
			'<div id="%1$s" class="bikri-chat" data-config="%2$s" hidden></div>' . "\n",
			esc_attr( self::HOLDER_ID ),
			esc_attr( wp_json_encode( $this->client_config() ) )
		);
	}
}
