<?php
/**
 * Plugin updates from the Bikri service (P8), through WordPress's own update flow: the
 * `Update URI` header and the `update_plugins_{hostname}` filter (WordPress 5.8+), `plugins_api`
 * for "View details", and an Ed25519 signature check before WordPress installs the package.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Asks the service for this shop's release, shows it in Dashboard → Updates, and downloads and
 * verifies it when WordPress installs it.
 */
final class Bikri_Updates {

	/**
	 * The hostname of bikri.php's `Update URI` header: WordPress calls update_plugins_{this}.
	 */
	const UPDATE_HOST = 'updates.bikri.app';

	/**
	 * The cached answer of the last update check: array( 'release' => array|null, 'checked' => time ).
	 */
	const TRANSIENT = 'bikri_update_check';

	/**
	 * How long an answer is kept; WordPress itself asks at most twice a day.
	 */
	const CACHE_SECONDS = 6 * HOUR_IN_SECONDS;

	/**
	 * How long a failed check waits before the service is asked again.
	 */
	const RETRY_SECONDS = HOUR_IN_SECONDS;

	/**
	 * The check runs inside WordPress's update check (cron or an admin page), never on a storefront view.
	 */
	const CHECK_TIMEOUT = 10;

	/**
	 * The slug WordPress shows the plugin under (plugin-install.php?plugin=bikri).
	 */
	const SLUG = 'bikri';

	/**
	 * License state.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * The service client.
	 *
	 * @var Bikri_Api_Client
	 */
	private $client;

	/**
	 * The plugin's basename, bikri/bikri.php.
	 *
	 * @var string
	 */
	private $basename;

	/**
	 * Wires the parts.
	 *
	 * @param Bikri_License    $license  License state.
	 * @param Bikri_Api_Client $client   Service client.
	 * @param string           $basename The plugin's basename.
	 */
	public function __construct( Bikri_License $license, Bikri_Api_Client $client, $basename ) {
		$this->license  = $license;
		$this->client   = $client;
		$this->basename = $basename;
	}

	/**
	 * Registers the hooks.
	 */
	public function set_up() {
		add_filter( 'update_plugins_' . self::UPDATE_HOST, array( $this, 'filter_update_plugins' ), 10, 3 );
		add_filter( 'site_transient_update_plugins', array( $this, 'filter_update_transient' ), 20 );
		// The service is asked where WordPress asks for updates: its cron run and its update screens.
		add_action( 'wp_update_plugins', array( $this, 'action_refresh' ), 9 );
		add_action( 'load-update-core.php', array( $this, 'action_refresh' ) );
		add_action( 'load-plugins.php', array( $this, 'action_refresh' ) );
		add_filter( 'plugins_api', array( $this, 'filter_plugins_api' ), 10, 3 );
		add_filter( 'upgrader_pre_download', array( $this, 'filter_upgrader_pre_download' ), 10, 4 );
	}

	/**
	 * The public key releases are signed with (binary, 32 bytes).
	 *
	 * @return string
	 */
	public static function public_key() {
		$key = include __DIR__ . '/release-key.php';
		$raw = base64_decode( (string) $key, true );
		return ( false !== $raw && SODIUM_CRYPTO_SIGN_PUBLICKEYBYTES === strlen( $raw ) ) ? $raw : '';
	}

	/**
	 * The release the service offers this shop, from the cache unless $fresh.
	 *
	 * @param bool $fresh Ask the service even when a cached answer is there.
	 * @return array|null|WP_Error The release (version, package, signature, changelog, ...), null for none.
	 */
	public function release( $fresh = false ) {
		if ( ! $this->license->is_active() ) {
			return null; // No update without a usable license; the service would refuse anyway.
		}
		$cached = get_site_transient( self::TRANSIENT );
		if ( ! $fresh && self::is_forced_check() ) {
			$fresh = true; // Dashboard → Updates → "Check again".
		}
		if ( ! $fresh && is_array( $cached ) && array_key_exists( 'release', $cached ) ) {
			return $cached['release'];
		}
		$answer = $this->client->request( 'POST', '/api/v1/plugin/update-check', array( 'version' => BIKRI_VERSION ), true, array(), self::CHECK_TIMEOUT );
		if ( is_wp_error( $answer ) ) {
			// Remember the failure for a while: WordPress's update screens must not wait on it again.
			set_site_transient( self::TRANSIENT, array( 'release' => null, 'error' => $answer->get_error_code() ), self::RETRY_SECONDS );
			return $answer;
		}
		$release = isset( $answer['release'] ) && is_array( $answer['release'] ) ? self::clean( $answer['release'] ) : null;
		set_site_transient( self::TRANSIENT, array( 'release' => $release ), self::CACHE_SECONDS );
		return $release;
	}

	/**
	 * Whether an administrator pressed "Check again" on Dashboard → Updates.
	 *
	 * @return bool
	 */
	private static function is_forced_check() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- WordPress's own link carries no nonce; it only re-reads.
		return is_admin() && ! empty( $_GET['force-check'] ) && 'update-core.php' === $GLOBALS['pagenow'] && current_user_can( 'update_plugins' );
	}

	/**
	 * Forgets the cached answer (a new activation, a new license).
	 */
	public static function forget() {
		delete_site_transient( self::TRANSIENT );
	}

	/**
	 * Keeps the fields the plugin uses, as strings; null when the answer is unusable.
	 *
	 * @param array $release The service's release.
	 * @return array|null
	 */
	private static function clean( array $release ) {
		foreach ( array( 'version', 'package', 'signature' ) as $field ) {
			if ( empty( $release[ $field ] ) || ! is_string( $release[ $field ] ) ) {
				return null;
			}
		}
		return array(
			'version'      => $release['version'],
			'package'      => esc_url_raw( $release['package'] ),
			'signature'    => $release['signature'],
			'changelog'    => isset( $release['changelog'] ) ? (string) $release['changelog'] : '',
			'requires'     => isset( $release['requires'] ) ? (string) $release['requires'] : '',
			'requires_php' => isset( $release['requires_php'] ) ? (string) $release['requires_php'] : '',
			'released_at'  => isset( $release['released_at'] ) ? (string) $release['released_at'] : '',
			'rollback'     => ! empty( $release['rollback'] ),
		);
	}

	/**
	 * The update_plugins_{hostname} filter: this plugin's update in the shape WordPress wants.
	 *
	 * @param array|false $update      The update so far.
	 * @param array       $plugin_data The plugin's headers.
	 * @param string      $plugin_file The plugin's basename.
	 * @return array|false
	 */
	public function filter_update_plugins( $update, $plugin_data, $plugin_file ) {
		if ( $plugin_file !== $this->basename ) {
			return $update;
		}
		$release = $this->release();
		if ( ! is_array( $release ) ) {
			return $update;
		}
		return array(
			'id'           => isset( $plugin_data['UpdateURI'] ) ? $plugin_data['UpdateURI'] : '',
			'slug'         => self::SLUG,
			'version'      => $release['version'],
			'url'          => self_admin_url( 'plugin-install.php?tab=plugin-information&plugin=' . self::SLUG ),
			'package'      => $release['package'],
			'requires'     => $release['requires'],
			'requires_php' => $release['requires_php'],
		);
	}

	/**
	 * Asks the service when the cached answer is stale (or on "Check again").
	 */
	public function action_refresh() {
		$this->release();
	}

	/**
	 * The update list as WordPress reads it, with this plugin's release from the cached answer
	 * (never a remote call here: the list is read on many admin pages). It covers what
	 * update_plugins_{hostname} cannot: WordPress skips that filter when api.wordpress.org does
	 * not answer, and files a rolled-back (older) release under no_update.
	 *
	 * @param mixed $transient The update_plugins transient.
	 * @return mixed
	 */
	public function filter_update_transient( $transient ) {
		$cached = get_site_transient( self::TRANSIENT );
		if ( ! is_array( $cached ) || empty( $cached['release'] ) || ! $this->license->is_active() ) {
			return $transient;
		}
		$release = $cached['release'];
		if ( ! is_object( $transient ) ) {
			$transient = (object) array( 'response' => array(), 'no_update' => array(), 'translations' => array() );
		}
		foreach ( array( 'response', 'no_update' ) as $list ) {
			if ( ! isset( $transient->$list ) || ! is_array( $transient->$list ) ) {
				$transient->$list = array();
			}
		}
		$offer = isset( $transient->response[ $this->basename ] ) ? $transient->response[ $this->basename ]
			: ( isset( $transient->no_update[ $this->basename ] ) ? $transient->no_update[ $this->basename ] : null );
		if ( null === $offer || ! isset( $offer->new_version ) || $offer->new_version !== $release['version'] ) {
			$offer = (object) array_merge(
				$this->filter_update_plugins( false, array( 'UpdateURI' => 'https://' . self::UPDATE_HOST . '/bikri' ), $this->basename ),
				array(
					'plugin'      => $this->basename,
					'new_version' => $release['version'],
				)
			);
		}
		unset( $transient->response[ $this->basename ], $transient->no_update[ $this->basename ] );
		$newer = version_compare( $release['version'], BIKRI_VERSION, '>' );
		if ( $newer || ( $release['rollback'] && version_compare( $release['version'], BIKRI_VERSION, '<' ) ) ) {
			$transient->response[ $this->basename ] = $offer;
		} else {
			$transient->no_update[ $this->basename ] = $offer;
		}
		return $transient;
	}

	/**
	 * "View details": the release's changelog.
	 *
	 * @param false|object|array $result The result so far.
	 * @param string             $action The plugins_api action.
	 * @param object             $args   Its arguments.
	 * @return false|object|array
	 */
	public function filter_plugins_api( $result, $action, $args ) {
		if ( 'plugin_information' !== $action || ! is_object( $args ) || empty( $args->slug ) || self::SLUG !== $args->slug ) {
			return $result;
		}
		$release = $this->release();
		if ( ! is_array( $release ) ) {
			return $result;
		}
		$changelog = '' === trim( $release['changelog'] )
			? '<p>' . esc_html__( 'No notes for this release.', 'bikri' ) . '</p>'
			: wpautop( esc_html( $release['changelog'] ) ); // Plain text from the service, never its HTML.
		return (object) array(
			'name'          => 'Bikri',
			'slug'          => self::SLUG,
			'version'       => $release['version'],
			'author'        => 'Bikri',
			'requires'      => $release['requires'],
			'requires_php'  => $release['requires_php'],
			'last_updated'  => $release['released_at'],
			'download_link' => $release['package'],
			'sections'      => array( 'changelog' => $changelog ),
		);
	}

	/**
	 * Before WordPress installs a Bikri package: download it with the site's token, check its
	 * Ed25519 signature, and hand WordPress the verified file, or refuse.
	 *
	 * @param bool|string|WP_Error $reply      False to let WordPress download.
	 * @param string               $package    The package URL.
	 * @param WP_Upgrader          $upgrader   The upgrader.
	 * @param array                $hook_extra What is being upgraded.
	 * @return bool|string|WP_Error
	 */
	public function filter_upgrader_pre_download( $reply, $package, $upgrader = null, $hook_extra = array() ) {
		if ( false !== $reply || ! $this->is_our_package( $package, $hook_extra ) ) {
			return $reply;
		}
		// The URL in the update list may be hours old; its ticket lasts minutes. Ask again.
		$release = $this->release( true );
		if ( is_wp_error( $release ) ) {
			/* translators: %s: the service's error message. */
			return new WP_Error( 'bikri_update_unavailable', sprintf( __( 'The Bikri update could not be fetched: %s', 'bikri' ), $release->get_error_message() ) );
		}
		if ( ! is_array( $release ) ) {
			return new WP_Error( 'bikri_update_unavailable', __( 'The Bikri service offers no update for this site now (the license may no longer be active). Nothing was installed.', 'bikri' ) );
		}
		$response = wp_remote_get(
			$release['package'],
			array(
				'timeout'     => 300,
				'redirection' => 0,
				'headers'     => array( 'Authorization' => 'Bearer ' . $this->license->token() ),
			)
		);
		if ( is_wp_error( $response ) || 200 !== (int) wp_remote_retrieve_response_code( $response ) ) {
			return new WP_Error( 'bikri_update_download', __( 'The Bikri update could not be downloaded. Try again in a few minutes.', 'bikri' ) );
		}
		$data = (string) wp_remote_retrieve_body( $response );
		if ( ! self::verify( $data, $release['signature'] ) ) {
			return new WP_Error( 'bikri_update_signature', __( 'The Bikri update was refused: its signature does not match the Bikri release key, so the file may have been changed on the way. Nothing was installed.', 'bikri' ) );
		}
		$file = wp_tempnam( 'bikri-' . $release['version'] . '.zip' );
		if ( ! $file || false === file_put_contents( $file, $data ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
			return new WP_Error( 'bikri_update_download', __( 'The Bikri update could not be saved to a temporary file.', 'bikri' ) );
		}
		return $file;
	}

	/**
	 * Whether the Ed25519 signature (base64) is the release key's over these bytes.
	 *
	 * @param string $data      The zip's bytes.
	 * @param string $signature Base64 signature.
	 * @return bool
	 */
	public static function verify( $data, $signature ) {
		$key = self::public_key();
		$raw = base64_decode( (string) $signature, true );
		if ( '' === $key || false === $raw || SODIUM_CRYPTO_SIGN_BYTES !== strlen( $raw ) || '' === $data ) {
			return false;
		}
		try {
			return sodium_crypto_sign_verify_detached( $raw, $data, $key );
		} catch ( SodiumException $e ) {
			return false;
		}
	}

	/**
	 * Whether WordPress is about to download a package of this plugin from the service.
	 *
	 * @param string $package    The package URL.
	 * @param array  $hook_extra What is being upgraded.
	 * @return bool
	 */
	private function is_our_package( $package, $hook_extra ) {
		$base = $this->license->service_url();
		if ( is_string( $package ) && '' !== $base && 0 === strpos( $package, $base . '/api/v1/plugin/download/' ) ) {
			return true;
		}
		// Whatever URL reached the update list, updating this plugin goes through the check.
		return is_array( $hook_extra ) && isset( $hook_extra['plugin'] ) && $hook_extra['plugin'] === $this->basename;
	}
}
