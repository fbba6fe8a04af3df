<?php
/**
 * The plugin's copy of the checkout settings and the blacklist (F2, F3).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Pulled from the service by WP-cron (every five minutes), when an admin changes it in the
 * Bikri pages, and once after activation; read at checkout without any remote call.
 *
 * Two options: a small autoloaded one (OTP on/off, the message, whether a blacklist exists),
 * read on every checkout page view for free, and the blacklist itself, not autoloaded, read
 * only when an order is placed and only if it has entries.
 */
final class Bikri_Checkout_Config {

	/**
	 * Settings (array, see state()).
	 */
	const OPTION = 'bikri_checkout';

	/**
	 * The blacklist: {phones: {value: 1}, emails: {value: 1}, ips: {hex of the packed address: 1}, networks: [cidr]}.
	 */
	const OPTION_BLACKLIST = 'bikri_checkout_blacklist';

	/**
	 * Options to remove on uninstall.
	 */
	const OPTIONS = array( self::OPTION, self::OPTION_BLACKLIST );

	/**
	 * WP-cron hook that pulls the copy.
	 */
	const CRON_HOOK = 'bikri_checkout_sync';

	/**
	 * Custom WP-cron interval.
	 */
	const CRON_SCHEDULE = 'bikri_five_minutes';

	/**
	 * License state: the copy belongs to the site the token stands for.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * Builds the copy.
	 *
	 * @param Bikri_License $license License state.
	 */
	public function __construct( Bikri_License $license ) {
		$this->license = $license;
	}

	/**
	 * The stored settings with defaults (all off until the first pull).
	 *
	 * @return array {
	 *     @type int         $version          Version of the service's settings held here (0: none yet).
	 *     @type string      $site             Which activation the copy came from (part of the token's hash).
	 *     @type bool        $otp_enabled      Whether checkout asks for a code.
	 *     @type bool        $balance_ok       Whether the SMS wallet pays for one more code.
	 *     @type string      $no_balance_since When codes stopped for want of balance ('' when they did not).
	 *     @type int         $cooldown_seconds Seconds between two codes to one number.
	 *     @type int         $proof_seconds    How long a verified phone stays verified.
	 *     @type string      $message          The shop's message for a blocked shopper ('' for the default).
	 *     @type bool        $has_blacklist    Whether the blacklist has entries.
	 *     @type bool        $abandoned_capture Whether the checkout captures what shoppers type.
	 *     @type array|null  $live_chat        The storefront's chat box (Bikri_Live_Chat::normalise()).
	 *     @type bool        $wishlist_alerts  Whether product pages offer back-in-stock / price-drop SMS.
	 *     @type bool        $loyalty_enabled  Whether the checkout offers loyalty points (U2).
	 *     @type int         $synced_at        Unix time of the last pull that got an answer.
	 *     @type array|null  $error            The last pull's error: code, message.
	 * }
	 */
	public function state() {
		// Autoloaded: WordPress holds it in memory, so reading it again costs nothing.
		$stored = get_option( self::OPTION, array() );
		return array_merge(
			array(
				'version'          => 0,
				'site'             => '',
				'otp_enabled'      => false,
				'balance_ok'       => true,
				'no_balance_since' => '',
				'cooldown_seconds' => 60,
				'proof_seconds'    => 1800,
				'message'          => '',
				'has_blacklist'    => false,
				'abandoned_capture' => false,
				'live_chat'        => null,
				'wishlist_alerts'  => false,
				'loyalty_enabled'  => false,
				'synced_at'        => 0,
				'error'            => null,
			),
			is_array( $stored ) ? $stored : array()
		);
	}

	/**
	 * Whether the checkout offers loyalty points.
	 *
	 * @return bool
	 */
	public function loyalty_enabled() {
		$state = $this->state();
		return ! empty( $state['loyalty_enabled'] );
	}

	/**
	 * Whether checkout asks for a code.
	 *
	 * @return bool
	 */
	public function otp_enabled() {
		$state = $this->state();
		return (bool) $state['otp_enabled'];
	}

	/**
	 * Whether the shop sends the wishlist's back-in-stock and price-drop SMS (shoppers may opt in).
	 *
	 * @return bool
	 */
	public function wishlist_alerts() {
		$state = $this->state();
		return (bool) $state['wishlist_alerts'];
	}

	/**
	 * Whether codes stopped going out for want of SMS balance while OTP is on (S8).
	 *
	 * @return bool
	 */
	public function out_of_balance() {
		$state = $this->state();
		return $state['otp_enabled'] && ( ! $state['balance_ok'] || '' !== (string) $state['no_balance_since'] );
	}

	/**
	 * What a blocked shopper reads: the shop's own words, or ours.
	 *
	 * @return string
	 */
	public function blacklist_message() {
		$state = $this->state();
		if ( '' !== trim( (string) $state['message'] ) ) {
			return (string) $state['message'];
		}
		return __( 'Sorry, we cannot take this order online. Please contact the shop.', 'bikri' );
	}

	/**
	 * Pulls the copy from the service and stores it.
	 *
	 * @param Bikri_Api_Client $client The client.
	 * @param int              $now    Current Unix time.
	 * @return true|WP_Error
	 */
	public function sync( Bikri_Api_Client $client, $now ) {
		$state = $this->state();
		$site  = substr( hash( 'sha256', $this->license->token() ), 0, 16 );
		// Versions count per site: after another license key (another site at the service),
		// the copy is taken whole again rather than compared with the old site's version.
		$since  = $site === $state['site'] ? (int) $state['version'] : 0;
		$answer = $client->get_checkout_config( $since );
		if ( is_wp_error( $answer ) ) {
			$state['error'] = array(
				'code'    => $answer->get_error_code(),
				'message' => $answer->get_error_message(),
			);
			$this->save( $state );
			return $answer;
		}
		$otp = isset( $answer['otp'] ) && is_array( $answer['otp'] ) ? $answer['otp'] : array();

		$state['otp_enabled']      = ! empty( $otp['enabled'] );
		$state['balance_ok']       = ! isset( $otp['balance_ok'] ) || (bool) $otp['balance_ok'];
		$state['no_balance_since'] = isset( $otp['no_balance_since'] ) && is_string( $otp['no_balance_since'] ) ? $otp['no_balance_since'] : '';
		$state['cooldown_seconds'] = isset( $otp['cooldown_seconds'] ) ? max( 1, (int) $otp['cooldown_seconds'] ) : 60;
		$state['proof_seconds']    = isset( $otp['proof_seconds'] ) ? max( 60, (int) $otp['proof_seconds'] ) : 1800;
		$state['synced_at']        = (int) $now;
		$state['error']            = null;
		// The order export's key comes with every pull: shops active before the key existed get
		// it here, and a new one replaces the old when the service's secret key changed.
		if ( isset( $answer['export_key'] ) ) {
			$this->license->save_export_key( $answer['export_key'] );
		}
		// Abandoned checkout capture (O9) follows the shop's switch with the rest of the copy.
		$state['abandoned_capture'] = ! empty( $answer['abandoned']['capture'] );
		// So does the storefront's chat box (H2).
		$state['live_chat'] = Bikri_Live_Chat::normalise( isset( $answer['live_chat'] ) ? $answer['live_chat'] : null );
		// So do the wishlist's SMS alerts: the form beside the heart shows only while the shop sends them.
		$state['wishlist_alerts'] = ! empty( $answer['wishlist']['alerts'] );
		// Loyalty points (U2): the checkout offers them while the shop's programme is on.
		$state['loyalty_enabled'] = ! empty( $answer['loyalty']['enabled'] );

		if ( isset( $answer['blacklist'] ) && is_array( $answer['blacklist'] ) ) {
			// Only a full copy moves the version on: "null" means "you have the current one".
			$list                   = $answer['blacklist'];
			$state['message']       = isset( $list['message'] ) && is_string( $list['message'] ) ? $list['message'] : '';
			$state['has_blacklist'] = $this->save_blacklist( $list );
			$state['version']       = isset( $answer['version'] ) ? (int) $answer['version'] : 0;
			$state['site']          = $site;
		}
		$this->save( $state );
		return true;
	}

	/**
	 * Stores the blacklist as look-up tables.
	 *
	 * @param array $list {phones, emails, ips} as the service sends them.
	 * @return bool Whether it has any entry.
	 */
	private function save_blacklist( array $list ) {
		$table = array(
			'phones'   => array(),
			'emails'   => array(),
			'ips'      => array(),
			'networks' => array(),
		);
		foreach ( array( 'phones', 'emails' ) as $kind ) {
			foreach ( isset( $list[ $kind ] ) && is_array( $list[ $kind ] ) ? $list[ $kind ] : array() as $value ) {
				if ( is_string( $value ) && '' !== $value ) {
					$table[ $kind ][ 'emails' === $kind ? strtolower( $value ) : $value ] = 1;
				}
			}
		}
		foreach ( isset( $list['ips'] ) && is_array( $list['ips'] ) ? $list['ips'] : array() as $value ) {
			if ( ! is_string( $value ) ) {
				continue;
			}
			if ( false !== strpos( $value, '/' ) ) {
				$table['networks'][] = $value;
			} elseif ( '' !== self::packed( $value ) ) {
				$table['ips'][ self::packed( $value ) ] = 1;
			}
		}
		$count = count( $table['phones'] ) + count( $table['emails'] ) + count( $table['ips'] ) + count( $table['networks'] );
		update_option( self::OPTION_BLACKLIST, $table, false );
		return $count > 0;
	}

	/**
	 * Which kind of entry blocks this shopper ('phone', 'email', 'ip'), or '' when none does.
	 *
	 * @param string $phone Normalised phone ('' when none).
	 * @param string $email Email as typed.
	 * @param string $ip    IP address.
	 * @return string
	 */
	public function blocked( $phone, $email, $ip ) {
		$state = $this->state();
		if ( empty( $state['has_blacklist'] ) ) {
			return '';
		}
		$table = get_option( self::OPTION_BLACKLIST, array() );
		if ( ! is_array( $table ) ) {
			return '';
		}
		if ( '' !== $phone && isset( $table['phones'][ $phone ] ) ) {
			return 'phone';
		}
		$email = strtolower( trim( (string) $email ) );
		if ( '' !== $email && isset( $table['emails'][ $email ] ) ) {
			return 'email';
		}
		$packed = self::packed( $ip );
		if ( '' === $packed ) {
			return '';
		}
		if ( isset( $table['ips'][ $packed ] ) ) {
			return 'ip';
		}
		foreach ( isset( $table['networks'] ) ? (array) $table['networks'] : array() as $network ) {
			if ( self::in_network( $packed, $network ) ) {
				return 'ip';
			}
		}
		return '';
	}

	/**
	 * An IP address as hex of its packed bytes ('' when it is not one); an IPv4-mapped IPv6
	 * address counts as its IPv4 address, as the service stores them.
	 *
	 * @param string $ip Address.
	 * @return string
	 */
	public static function packed( $ip ) {
		$raw = @inet_pton( trim( (string) $ip ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a bad address is an answer ('' below), not a warning.
		if ( false === $raw ) {
			return '';
		}
		if ( 16 === strlen( $raw ) && 0 === strpos( $raw, str_repeat( "\0", 10 ) . "\xff\xff" ) ) {
			$raw = substr( $raw, 12 );
		}
		return bin2hex( $raw );
	}

	/**
	 * Whether a packed address lies in a network such as 203.0.113.0/24 or 2001:db8::/48.
	 *
	 * @param string $packed  Hex of the packed address.
	 * @param string $network CIDR.
	 * @return bool
	 */
	private static function in_network( $packed, $network ) {
		list( $base, $bits ) = array_pad( explode( '/', $network, 2 ), 2, '' );
		$base                = self::packed( $base );
		if ( '' === $base || strlen( $base ) !== strlen( $packed ) || ! ctype_digit( $bits ) ) {
			return false;
		}
		$bits  = (int) $bits;
		$bytes = intdiv( $bits, 8 );
		if ( substr( $packed, 0, 2 * $bytes ) !== substr( $base, 0, 2 * $bytes ) ) {
			return false;
		}
		$rest = $bits % 8;
		if ( 0 === $rest ) {
			return true;
		}
		$mask = ( 0xff << ( 8 - $rest ) ) & 0xff;
		return ( hexdec( substr( $packed, 2 * $bytes, 2 ) ) & $mask ) === ( hexdec( substr( $base, 2 * $bytes, 2 ) ) & $mask );
	}

	/**
	 * Notes that a code could not be sent for want of balance (the admin notice shows at once,
	 * without waiting for the next pull).
	 *
	 * @param int $now Current Unix time.
	 */
	public function mark_out_of_balance( $now ) {
		$state = $this->state();
		if ( '' === (string) $state['no_balance_since'] ) {
			$state['no_balance_since'] = gmdate( 'Y-m-d\TH:i:s\Z', (int) $now );
			$state['balance_ok']       = false;
			$this->save( $state );
		}
	}

	/**
	 * Adds the five-minute interval to WP-cron.
	 *
	 * @param array $schedules Schedules.
	 * @return array
	 */
	public static function filter_cron_schedules( $schedules ) {
		$schedules[ self::CRON_SCHEDULE ] = array(
			'interval' => 5 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every five minutes (Bikri checkout settings)', 'bikri' ),
		);
		return $schedules;
	}

	/**
	 * Makes sure the pull is scheduled (cheap: the cron array is autoloaded).
	 */
	public static function schedule() {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, self::CRON_SCHEDULE, self::CRON_HOOK );
		}
	}

	/**
	 * Stores the settings.
	 *
	 * @param array $state Settings.
	 */
	private function save( array $state ) {
		update_option( self::OPTION, $state, true );
	}

	/**
	 * Forgets the copy (deactivation of the license: nothing to enforce any more).
	 */
	public function clear() {
		delete_option( self::OPTION );
		delete_option( self::OPTION_BLACKLIST );
	}
}
