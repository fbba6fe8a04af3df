<?php
/**
 * H2: the storefront's chat box. Printed only while the shop has it on (from the settings copy,
 * without a call to the service on a page view), its configuration escaped, its script deferred
 * and in the footer, its words through gettext; the copy follows the shop's switch.
 *
 * @package Bikri
 */

/**
 * Chat box tests.
 */
class Bikri_Live_Chat_Test extends Bikri_Test_Case {

	const ENDPOINT = 'https://bikri.example/api/chat/AbC123shopkey';

	protected function tearDown(): void {
		wp_dequeue_script( Bikri_Live_Chat::HANDLE );
		wp_deregister_script( Bikri_Live_Chat::HANDLE );
		parent::tearDown();
	}

	/**
	 * An active shop whose copy holds these chat settings.
	 *
	 * @param array $chat The live_chat part as the service sends it.
	 */
	private function shop( array $chat ) {
		$this->activate_with_checkout_copy( array( 'live_chat' => Bikri_Live_Chat::normalise( $chat ) ) );
	}

	/**
	 * What a storefront page prints in the footer, and the script tags WordPress prints there.
	 *
	 * @return string
	 */
	private function storefront_footer() {
		do_action( 'wp_enqueue_scripts' );
		return $this->output_of(
			static function () {
				wp_print_footer_scripts();
				do_action( 'wp_footer' );
			}
		);
	}

	public function test_nothing_is_printed_or_loaded_while_the_box_is_off() {
		$this->shop( array( 'enabled' => false, 'endpoint' => self::ENDPOINT, 'greeting' => '' ) );
		$html = $this->storefront_footer();
		$this->assertStringNotContainsString( 'bikri-live-chat', $html );
		$this->assertFalse( wp_script_is( Bikri_Live_Chat::HANDLE, 'enqueued' ) );
		$this->assertSame( array(), $this->requests, 'a page view asks the service nothing' );
	}

	public function test_the_box_is_off_without_an_active_license() {
		update_option( Bikri_Checkout_Config::OPTION, array( 'live_chat' => array( 'enabled' => true, 'endpoint' => self::ENDPOINT, 'greeting' => '' ) ) );
		$this->assertFalse( $this->plugin->live_chat->enabled() );
		$this->assertStringNotContainsString( 'bikri-live-chat', $this->storefront_footer() );
	}

	public function test_on_the_holder_and_a_deferred_footer_script_without_asking_the_service() {
		$this->shop( array( 'enabled' => true, 'endpoint' => self::ENDPOINT, 'greeting' => 'Ask us' ) );
		$html = $this->storefront_footer();
		$this->assertSame( array(), $this->requests, 'a page view asks the service nothing' );
		$this->assertMatchesRegularExpression( '#<script defer [^>]*src=["\'][^"\']*assets/js/live-chat\.js#', $html );
		$this->assertStringContainsString( '<div id="bikri-live-chat" class="bikri-chat" data-config="', $html );
		// nothing for the head: the stylesheet is added by the script, after the first render
		$head = $this->output_of( static function () { wp_print_styles(); wp_print_head_scripts(); } );
		$this->assertStringNotContainsString( 'live-chat', $head );

		preg_match( '#data-config="([^"]*)"#', $html, $found );
		$config = json_decode( html_entity_decode( $found[1], ENT_QUOTES ), true );
		$this->assertSame( self::ENDPOINT, $config['endpoint'] );
		$this->assertSame( 'Ask us', $config['words']['greeting'] );
		$this->assertStringContainsString( 'assets/css/live-chat.css', $config['css'] );
		$this->assertSame( 'Send', $config['words']['send'] );
	}

	public function test_the_configuration_is_escaped() {
		$this->shop(
			array(
				'enabled'  => true,
				'endpoint' => self::ENDPOINT,
				'greeting' => 'Hi "there" \' </div><script>alert(1)</script>',
			)
		);
		$html = $this->storefront_footer();
		$this->assertStringNotContainsString( '<script>alert(1)', $html );
		$this->assertStringNotContainsString( '"there"', $html );
		preg_match( '#data-config="([^"]*)"#', $html, $found );
		$config = json_decode( html_entity_decode( $found[1], ENT_QUOTES ), true );
		// sanitised when the copy was stored (tags and scripts gone), the rest arrives as the shop wrote it
		$this->assertSame( 'Hi "there" \'', $config['words']['greeting'] );
	}

	public function test_an_endpoint_that_is_not_a_web_address_keeps_the_box_off() {
		$this->assertFalse( Bikri_Live_Chat::normalise( array( 'enabled' => true, 'endpoint' => 'javascript:alert(1)' ) )['enabled'] );
		$this->assertFalse( Bikri_Live_Chat::normalise( 'nonsense' )['enabled'] );
		$this->assertSame( 300, mb_strlen( Bikri_Live_Chat::normalise( array( 'greeting' => str_repeat( 'অ', 400 ) ) )['greeting'] ) );
	}

	public function test_the_words_come_from_the_bikri_text_domain() {
		$this->shop( array( 'enabled' => true, 'endpoint' => self::ENDPOINT, 'greeting' => '' ) );
		$this->add_filter(
			'gettext',
			static function ( $translation, $text, $domain ) {
				return 'bikri' === $domain && 'Chat with us' === $text ? 'আমাদের সাথে চ্যাট করুন' : $translation;
			},
			10,
			3
		);
		$config = $this->plugin->live_chat->client_config();
		$this->assertSame( 'আমাদের সাথে চ্যাট করুন', $config['words']['open'] );
		$this->assertNotSame( '', $config['words']['greeting'] );
	}

	public function test_the_copy_follows_the_shops_switch() {
		$this->activate_locally();
		$chat          = array( 'enabled' => true, 'endpoint' => self::ENDPOINT, 'greeting' => 'Hello' );
		$this->service = static function () use ( &$chat ) {
			$config              = json_decode( wp_remote_retrieve_body( self::checkout_config( 3, array( 'enabled' => false ) ) ), true );
			$config['live_chat'] = $chat;
			return self::response( 200, $config );
		};
		$this->assertTrue( $this->plugin->checkout->config->sync( $this->plugin->client, time() ) );
		$this->assertTrue( $this->plugin->live_chat->enabled() );
		$chat = array( 'enabled' => false, 'endpoint' => '', 'greeting' => '' );
		$this->assertTrue( $this->plugin->checkout->config->sync( $this->plugin->client, time() ) );
		$this->assertFalse( $this->plugin->live_chat->enabled() );
	}
}
