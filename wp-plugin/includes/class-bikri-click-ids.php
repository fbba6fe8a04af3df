<?php
/**
 * Ad click ids (fbclid, gclid, ttclid, msclkid) from the landing URL onto the order, so the
 * dashboard's ad performance (D11) knows an order came from an ad even when the ad's link had
 * no UTM tags (WooCommerce's order attribution keeps UTM tags only).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Remembers the last ad click in a first-party cookie and copies it to the order at checkout.
 *
 * Why a server-side cookie set on `init`: it needs no script on the storefront and works with
 * scripts blocked. It is only sent on requests whose URL carries a click id, and not again when
 * the cookie already holds that id, so ordinary pages keep answering without Set-Cookie and stay
 * cacheable. A landing URL with a click id is unique per click, so a page cache that keys on the
 * whole URL never serves that response to anyone else; most caches also refuse to store a
 * response that sets a cookie. A cache configured to ignore these parameters (they are on some
 * caching plugins' default "ignored query strings" lists) serves its stored page without running
 * WordPress, and then no cookie is set: such orders count by their UTM tags only.
 *
 * Last click wins: a new click id replaces the remembered one, whatever its network. With the
 * WP Consent API present, the cookie is set only with the visitor's consent to marketing cookies.
 */
final class Bikri_Click_Ids {

	const COOKIE = 'bikri_click';

	/**
	 * Query parameter => order meta key.
	 */
	const PARAMS = array(
		'fbclid'  => '_bikri_fbclid',
		'gclid'   => '_bikri_gclid',
		'ttclid'  => '_bikri_ttclid',
		'msclkid' => '_bikri_msclkid',
	);

	/**
	 * Click ids are URL-safe tokens; longer ones are not click ids (ttclid, the longest, stays well below).
	 */
	const MAX_LENGTH = 255;

	/**
	 * How long a click counts for an order: 30 days, the usual ad attribution window.
	 */
	const LIFETIME = 2592000;

	/**
	 * Cookies this request sent: name => value (for tests and diagnostics).
	 *
	 * @var array
	 */
	public $sent = array();

	/**
	 * Hooks into WordPress and both checkouts.
	 */
	public function set_up() {
		add_action( 'init', array( $this, 'action_init' ) );
		// Classic checkout: before the order's first save, so the meta is saved with it.
		add_action( 'woocommerce_checkout_create_order', array( $this, 'action_classic_order' ) );
		// Block checkout: the Store API fires this after it created or updated the draft order.
		add_action( 'woocommerce_store_api_checkout_update_order_meta', array( $this, 'action_store_api_order' ) );
	}

	/**
	 * A storefront request with a click id in its URL: remember it.
	 */
	public function action_init() {
		if ( is_admin() || wp_doing_ajax() || wp_doing_cron() || ( defined( 'REST_REQUEST' ) && REST_REQUEST ) ) {
			return;
		}
		// Only reading the landing URL, nothing is changed on the visitor's behalf: no nonce.
		$click = self::from_query( wp_unslash( $_GET ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		if ( null === $click || self::current() === $click ) {
			return;
		}
		if ( function_exists( 'wp_has_consent' ) && ! wp_has_consent( 'marketing' ) ) {
			return;
		}
		$value = $click[0] . ':' . $click[1];
		$this->send_cookie( $value, time() + self::LIFETIME );
		// A checkout in this same request sees it too.
		$_COOKIE[ self::COOKIE ] = $value;
	}

	/**
	 * Classic checkout: woocommerce_checkout_create_order( $order, $data ), before the save.
	 *
	 * @param WC_Order $order The order being created.
	 */
	public function action_classic_order( $order ) {
		self::add_to_order( $order );
	}

	/**
	 * Block checkout: woocommerce_store_api_checkout_update_order_meta( $order ). The order is
	 * saved already at this point, so it is saved again when the click id was new to it.
	 *
	 * @param WC_Order $order The draft order.
	 */
	public function action_store_api_order( $order ) {
		if ( self::add_to_order( $order ) ) {
			$order->save();
		}
	}

	/**
	 * Copies the remembered click id to the order's meta.
	 *
	 * @param WC_Order $order Order.
	 * @return bool Whether the order's meta changed.
	 */
	public static function add_to_order( $order ) {
		$click = self::current();
		if ( null === $click || ! is_object( $order ) || ! method_exists( $order, 'update_meta_data' ) ) {
			return false;
		}
		$key = self::PARAMS[ $click[0] ];
		if ( $order->get_meta( $key ) === $click[1] ) {
			return false;
		}
		$order->update_meta_data( $key, $click[1] );
		return true;
	}

	/**
	 * The remembered click: [param, id], or null.
	 *
	 * @return array|null
	 */
	public static function current() {
		if ( ! isset( $_COOKIE[ self::COOKIE ] ) || ! is_string( $_COOKIE[ self::COOKIE ] ) ) {
			return null;
		}
		$parts = explode( ':', wp_unslash( $_COOKIE[ self::COOKIE ] ), 2 ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitized by clean() below.
		if ( 2 !== count( $parts ) || ! isset( self::PARAMS[ $parts[0] ] ) ) {
			return null;
		}
		$id = self::clean( $parts[1] );
		return null === $id ? null : array( $parts[0], $id );
	}

	/**
	 * The click id a query string carries: [param, id], or null. With several, the first of PARAMS.
	 *
	 * @param array $query Query arguments.
	 * @return array|null
	 */
	public static function from_query( array $query ) {
		foreach ( array_keys( self::PARAMS ) as $param ) {
			if ( isset( $query[ $param ] ) && is_string( $query[ $param ] ) ) {
				$id = self::clean( $query[ $param ] );
				if ( null !== $id ) {
					return array( $param, $id );
				}
			}
		}
		return null;
	}

	/**
	 * A click id as stored, or null when the value cannot be one. Click ids are made of letters,
	 * digits and - _ . (ttclid also uses these); anything else is dropped rather than stored.
	 *
	 * @param string $value Raw value.
	 * @return string|null
	 */
	public static function clean( $value ) {
		$value = preg_replace( '/[^A-Za-z0-9._-]/', '', (string) $value );
		if ( '' === $value || strlen( $value ) > self::MAX_LENGTH ) {
			return null;
		}
		return $value;
	}

	/**
	 * Sends the cookie (site-wide, over HTTPS only when the site uses it, not readable by scripts).
	 *
	 * @param string $value   Cookie value.
	 * @param int    $expires Unix time.
	 */
	private function send_cookie( $value, $expires ) {
		$this->sent[ self::COOKIE ] = $value;
		if ( headers_sent() ) {
			return;
		}
		setcookie(
			self::COOKIE,
			$value,
			array(
				'expires'  => $expires,
				'path'     => COOKIEPATH ? COOKIEPATH : '/',
				'domain'   => COOKIE_DOMAIN,
				'secure'   => is_ssl(),
				'httponly' => true,
				'samesite' => 'Lax',
			)
		);
	}
}
