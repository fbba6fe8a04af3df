<?php
/**
 * Plugin updates from the service (P8): the offer in WordPress's update list, "View details",
 * the signature check before installing, rollback, and nothing without an active license.
 *
 * @package Bikri
 */

/**
 * Update tests, with the service stubbed (the Python tests cover its side: tests/updates).
 */
class Bikri_Updates_Test extends Bikri_Test_Case {

	/**
	 * The development and test release key's private seed (tests/updates/test_releases.py;
	 * its public half is wp-plugin/includes/release-key.php). Never a production key.
	 */
	const TEST_SEED = 'oCnu1tP8r+AprTDmJM5EsfW4bMheLnPQKetYJE0gAmE=';

	const ZIP = "PK\x03\x04 a stand-in for the release zip";

	const DOWNLOAD = '/api/v1/plugin/download/';

	/**
	 * The service's update-check answers: how many were asked.
	 *
	 * @var int
	 */
	private $checks = 0;

	protected function setUp(): void {
		parent::setUp();
		$this->checks = 0;
		delete_site_transient( Bikri_Updates::TRANSIENT );
		delete_site_transient( 'update_plugins' );
	}

	protected function tearDown(): void {
		delete_site_transient( Bikri_Updates::TRANSIENT );
		delete_site_transient( 'update_plugins' );
		parent::tearDown();
	}

	/**
	 * Ed25519 signature, base64, by the test key (or another key).
	 *
	 * @param string $data      Bytes.
	 * @param bool   $other_key Sign with a key the plugin does not know.
	 * @return string
	 */
	private static function sign( $data, $other_key = false ) {
		$seed    = $other_key ? str_repeat( 'k', 32 ) : base64_decode( self::TEST_SEED );
		$keypair = sodium_crypto_sign_seed_keypair( $seed );
		return base64_encode( sodium_crypto_sign_detached( $data, sodium_crypto_sign_secretkey( $keypair ) ) );
	}

	/**
	 * Stubs the service (and api.wordpress.org, which WordPress asks about every other plugin).
	 *
	 * @param string $version   The offered version.
	 * @param string $served    The bytes the download answers.
	 * @param string $signature The signature the check answers.
	 * @param bool   $rollback  Whether the service calls it a rollback.
	 */
	private function serve_release( $version, $served, $signature, $rollback = false ) {
		$this->service = function ( $method, $path, $body, $args ) use ( $version, $served, $signature, $rollback ) {
			if ( '/api/v1/plugin/update-check' === $path ) {
				++$this->checks;
				$this->assertSame( 'POST', $method );
				$this->assertSame( BIKRI_VERSION, $body['version'] );
				$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'] );
				return self::response(
					200,
					array(
						'release' => array(
							'version'      => $version,
							'package'      => self::SERVICE . self::DOWNLOAD . 'ticket-' . $this->checks,
							'signature'    => $signature,
							'sha256'       => hash( 'sha256', $served ),
							'size'         => strlen( $served ),
							'changelog'    => "Faster order sync.\n<script>alert(1)</script>",
							'requires'     => '6.1',
							'requires_php' => '7.4',
							'released_at'  => '2026-12-01T10:00:00Z',
							'rollback'     => $rollback,
						),
					)
				);
			}
			if ( 0 === strpos( $path, self::DOWNLOAD ) ) {
				$this->assertSame( 'Bearer site-token-123', $args['headers']['Authorization'], 'the download carries the site token' );
				$this->assertSame( self::DOWNLOAD . 'ticket-' . $this->checks, $path, 'with the ticket of the fresh check' );
				$response         = self::response( 200 );
				$response['body'] = $served;
				return $response;
			}
			if ( 0 === strpos( $path, '/plugins/update-check/' ) ) { // api.wordpress.org: nothing for the others.
				return self::response( 200, array( 'plugins' => array(), 'translations' => array(), 'no_update' => array() ) );
			}
			$this->fail( "unexpected $method $path" );
		};
	}

	/**
	 * What WordPress's own update check stores for this plugin: [list, entry] ('response' or 'no_update').
	 *
	 * @return array
	 */
	private function wordpress_update_check() {
		wp_update_plugins();
		$transient = get_site_transient( 'update_plugins' );
		$basename  = plugin_basename( BIKRI_PLUGIN_FILE );
		foreach ( array( 'response', 'no_update' ) as $list ) {
			if ( isset( $transient->$list[ $basename ] ) ) {
				return array( $list, $transient->$list[ $basename ] );
			}
		}
		return array( null, null );
	}

	public function test_the_header_names_the_update_host() {
		$data = get_plugin_data( BIKRI_PLUGIN_FILE, false, false );
		$this->assertSame( Bikri_Updates::UPDATE_HOST, wp_parse_url( $data['UpdateURI'], PHP_URL_HOST ) );
		$this->assertSame( 'bikri/bikri.php', plugin_basename( BIKRI_PLUGIN_FILE ) );
	}

	public function test_the_update_shows_in_wordpress_update_list() {
		$this->activate_locally();
		$this->serve_release( '99.1.0', self::ZIP, self::sign( self::ZIP ) );

		list( $list, $update ) = $this->wordpress_update_check();

		$this->assertSame( 'response', $list, 'Dashboard → Updates lists it' );
		$this->assertSame( '99.1.0', $update->new_version );
		$this->assertSame( self::SERVICE . self::DOWNLOAD . 'ticket-1', $update->package );
		$this->assertSame( 'bikri', $update->slug );
		$this->assertSame( '7.4', $update->requires_php );
		$this->assertSame( 1, $this->checks );

		// Cached: WordPress's next look (another admin page) does not ask the service again.
		$this->wordpress_update_check();
		$this->assertSame( 1, $this->checks );
	}

	public function test_the_update_shows_when_wordpress_org_does_not_answer() {
		$this->activate_locally();
		$this->serve_release( '99.1.0', self::ZIP, self::sign( self::ZIP ) );
		$serve         = $this->service;
		$this->service = static function ( $method, $path, $body, $args ) use ( $serve ) {
			if ( 0 === strpos( $path, '/plugins/update-check/' ) ) {
				return new WP_Error( 'http_request_failed', 'cURL error 6: Could not resolve host: api.wordpress.org' );
			}
			return $serve( $method, $path, $body, $args );
		};

		// WordPress gives up before update_plugins_{hostname} (with a warning, silenced here); its
		// cron hook and screens still refresh ours.
		$reporting = error_reporting( error_reporting() & ~E_USER_WARNING );
		try {
			do_action( 'wp_update_plugins' );
			list( $list, $update ) = $this->wordpress_update_check();
		} finally {
			error_reporting( $reporting );
		}

		$this->assertSame( 'response', $list );
		$this->assertSame( '99.1.0', $update->new_version );
		$this->assertSame( self::SERVICE . self::DOWNLOAD . 'ticket-1', $update->package );
		$this->assertSame( 1, $this->checks );
	}

	public function test_no_update_without_an_active_license() {
		$this->serve_release( '99.1.0', self::ZIP, self::sign( self::ZIP ) );

		list( $list ) = $this->wordpress_update_check();

		$this->assertNull( $list );
		$this->assertSame( 0, $this->checks, 'the service is not even asked' );
	}

	public function test_a_refused_license_offers_nothing_and_is_not_asked_again_at_once() {
		$this->activate_locally();
		$this->service = function ( $method, $path ) {
			if ( '/api/v1/plugin/update-check' === $path ) {
				++$this->checks;
				return self::error_response( 403, 'license_inactive', 'This license is suspended.', array( 'status' => 'suspended' ) );
			}
			return self::response( 200, array( 'plugins' => array(), 'translations' => array(), 'no_update' => array() ) );
		};

		list( $list ) = $this->wordpress_update_check();
		$this->assertNull( $list );
		$this->assertFalse( $this->plugin->license->is_active(), 'the refusal marks the license' );
		$this->assertNull( $this->plugin->updates->release() );
		$this->assertSame( 1, $this->checks );
	}

	public function test_view_details_shows_the_changelog_escaped() {
		$this->activate_locally();
		$this->serve_release( '99.1.0', self::ZIP, self::sign( self::ZIP ) );

		require_once ABSPATH . 'wp-admin/includes/plugin-install.php';
		$info = plugins_api( 'plugin_information', array( 'slug' => 'bikri' ) );

		$this->assertSame( '99.1.0', $info->version );
		$this->assertStringContainsString( 'Faster order sync.', $info->sections['changelog'] );
		$this->assertStringNotContainsString( '<script>', $info->sections['changelog'] );
		$this->assertStringContainsString( '&lt;script&gt;', $info->sections['changelog'] );
	}

	public function test_a_signed_package_is_downloaded_verified_and_handed_to_wordpress() {
		$this->activate_locally();
		$this->serve_release( '99.1.0', self::ZIP, self::sign( self::ZIP ) );
		list( , $update ) = $this->wordpress_update_check();

		$file = apply_filters( 'upgrader_pre_download', false, $update->package, null, array( 'plugin' => 'bikri/bikri.php' ) );

		$this->assertIsString( $file, is_wp_error( $file ) ? $file->get_error_message() : '' );
		$this->assertSame( self::ZIP, file_get_contents( $file ) );
		$this->assertSame( 2, $this->checks, 'a fresh check for a ticket that has not expired' );
		unlink( $file );
	}

	public function test_a_tampered_package_is_refused() {
		$this->activate_locally();
		$this->serve_release( '99.1.0', self::ZIP . 'x', self::sign( self::ZIP ) );
		list( , $update ) = $this->wordpress_update_check();

		$result = apply_filters( 'upgrader_pre_download', false, $update->package, null, array( 'plugin' => 'bikri/bikri.php' ) );

		$this->assertWPError( $result, 'bikri_update_signature' );
		$this->assertStringContainsString( 'signature does not match', $result->get_error_message() );
	}

	public function test_a_package_signed_by_another_key_or_unsigned_is_refused() {
		$this->activate_locally();
		$this->serve_release( '99.1.0', self::ZIP, self::sign( self::ZIP, true ) );
		$result = apply_filters( 'upgrader_pre_download', false, self::SERVICE . self::DOWNLOAD . 'x', null, array() );
		$this->assertWPError( $result, 'bikri_update_signature' );

		$this->serve_release( '99.1.0', self::ZIP, '' );
		$result = apply_filters( 'upgrader_pre_download', false, self::SERVICE . self::DOWNLOAD . 'x', null, array() );
		$this->assertWPError( $result, 'bikri_update_unavailable' );
	}

	public function test_wordpress_upgrader_refuses_a_tampered_package_and_keeps_the_plugin() {
		require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
		$this->activate_locally();
		$this->serve_release( '99.1.0', self::ZIP . 'x', self::sign( self::ZIP ) );
		$this->wordpress_update_check();
		$before = md5_file( BIKRI_PLUGIN_FILE );

		$skin     = new Automatic_Upgrader_Skin();
		$upgrader = new Plugin_Upgrader( $skin );
		$level    = ob_get_level();
		$result   = $upgrader->upgrade( 'bikri/bikri.php' );
		while ( ob_get_level() > $level ) {
			ob_end_clean(); // The skin's own buffer, left open when the download fails.
		}

		$this->assertNotTrue( $result );
		$errors = implode( ' ', array_map( 'wp_strip_all_tags', (array) $skin->get_upgrade_messages() ) );
		$this->assertStringContainsString( 'signature does not match', $errors );
		$this->assertSame( $before, md5_file( BIKRI_PLUGIN_FILE ), 'nothing was installed' );
	}

	public function test_other_packages_are_left_to_wordpress() {
		$this->activate_locally();
		$this->assertFalse( apply_filters( 'upgrader_pre_download', false, 'https://downloads.wordpress.org/plugin/akismet.zip', null, array( 'plugin' => 'akismet/akismet.php' ) ) );
		$this->assertSame( array(), $this->requests );
	}

	public function test_a_rollback_is_offered_even_though_it_is_older() {
		$this->activate_locally();
		$this->serve_release( '0.0.9', self::ZIP, self::sign( self::ZIP ), true );

		list( $list, $update ) = $this->wordpress_update_check();

		$this->assertSame( 'response', $list );
		$this->assertSame( '0.0.9', $update->new_version );
	}

	public function test_an_older_release_without_rollback_is_not_offered() {
		$this->activate_locally();
		$this->serve_release( '0.0.9', self::ZIP, self::sign( self::ZIP ), false );

		list( $list ) = $this->wordpress_update_check();

		$this->assertSame( 'no_update', $list );
	}

	/**
	 * Asserts a WP_Error with this code.
	 *
	 * @param mixed  $value The value.
	 * @param string $code  Expected code.
	 */
	private function assertWPError( $value, $code ) {
		$this->assertInstanceOf( WP_Error::class, $value );
		$this->assertSame( $code, $value->get_error_code(), $value->get_error_message() );
	}
}
