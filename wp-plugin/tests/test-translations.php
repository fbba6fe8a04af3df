<?php
/**
 * Bangla for shop staff and shoppers: the zip ships a compiled bn_BD translation that the plugin
 * loads, and the translation covers every string of the template.
 *
 * @package Bikri
 */

/**
 * Translation tests.
 */
class Bikri_Translations_Test extends Bikri_Test_Case {

	protected function tearDown(): void {
		parent::tearDown();
		// Back to English (no en_US file exists) for the tests that follow.
		unload_textdomain( 'bikri' );
		$this->plugin->action_init();
	}

	public function test_a_bangla_site_gets_bangla_from_the_installed_plugin() {
		$this->assertSame( 10, has_action( 'init', array( $this->plugin, 'action_init' ) ) );
		// Only the zip has the .mo (it is compiled at build time), so this is the installed plugin's file.
		$this->assertFileExists( WP_PLUGIN_DIR . '/bikri/languages/bikri-bn_BD.mo' );

		// core has no bn_BD language pack here, so switch_to_locale() would refuse; the locale is set the way a
		// Bangla site's (or user's) setting arrives: through determine_locale().
		$this->add_filter(
			'pre_determine_locale',
			static function () {
				return 'bn_BD';
			}
		);
		unload_textdomain( 'bikri' );
		$this->plugin->action_init();

		$this->assertSame( 'অর্ডার', __( 'Orders', 'bikri' ) );
		$this->assertSame( 'আবার চেষ্টা করুন', esc_html__( 'Try again', 'bikri' ) );
		/* translators: %d: tries left */
		$left = _n( 'That code is not right. %d try left.', 'That code is not right. %d tries left.', 2, 'bikri' );
		$this->assertSame( 'কোডটি সঠিক নয়। আর 2 বার চেষ্টা করতে পারবেন।', sprintf( $left, 2 ) );
	}

	public function test_every_string_of_the_template_has_bangla() {
		require_once ABSPATH . WPINC . '/pomo/po.php';
		$languages = dirname( __DIR__ ) . '/languages';
		$template  = new PO();
		$bangla    = new PO();
		$this->assertTrue( $template->import_from_file( $languages . '/bikri.pot' ) );
		$this->assertTrue( $bangla->import_from_file( $languages . '/bikri-bn_BD.po' ) );
		$this->assertNotEmpty( $template->entries );

		$missing = array();
		foreach ( $template->entries as $key => $entry ) {
			$translated = isset( $bangla->entries[ $key ] ) ? $bangla->entries[ $key ] : null;
			$forms      = $entry->is_plural ? 2 : 1;
			if ( ! $translated || in_array( 'fuzzy', $translated->flags, true )
				|| count( array_filter( $translated->translations, 'strlen' ) ) < $forms ) {
				$missing[] = $entry->singular;
			}
		}
		$this->assertSame( array(), $missing, 'Run scripts/wp/make-pot.sh and translate these in wp-plugin/languages/bikri-bn_BD.po' );
	}
}
