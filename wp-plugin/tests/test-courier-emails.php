<?php
/**
 * N1: courier status emails from the shop's own WordPress ("Order shipped", "Out for delivery",
 * "Returned") asked for by the service through order meta, and the "Your parcel" block in
 * WooCommerce's own customer emails. Mail is caught with pre_wp_mail.
 *
 * @package Bikri
 */

/**
 * Courier email tests.
 */
class Bikri_Courier_Emails_Test extends Bikri_Test_Case {

	/**
	 * Mails that reached wp_mail: each its $atts (to, subject, message, headers, attachments).
	 *
	 * @var array[]
	 */
	private $mails = array();

	/**
	 * What wp_mail answers (true: sent).
	 *
	 * @var bool
	 */
	private $mail_result = true;

	protected function setUp(): void {
		parent::setUp();
		WC_Emails::reset();
		$this->mails       = array();
		$this->mail_result = true;
		// After the test site's mu-plugin, which answers false (no mail server here).
		$this->add_filter(
			'pre_wp_mail',
			function ( $pre, $atts ) {
				$this->mails[] = $atts;
				return $this->mail_result;
			},
			100,
			2
		);
		update_option( 'blogname', 'Dokan BD' );
	}

	protected function tearDown(): void {
		parent::tearDown();
		WC_Emails::reset();
	}

	/**
	 * Turns emails on in WooCommerce > Settings > Emails (as its settings form saves them).
	 *
	 * @param string $id       Email id.
	 * @param array  $settings More settings.
	 */
	private static function turn_on( $id, array $settings = array() ) {
		update_option( 'woocommerce_' . $id . '_settings', array_merge( array( 'enabled' => 'yes' ), $settings ) );
		WC_Emails::reset();
	}

	/**
	 * A booked order as the service leaves it: `_courier_data` written through the REST API.
	 *
	 * @param string $courier_data The meta value (JSON).
	 * @param int    $id           Order id.
	 * @return WC_Order
	 */
	private static function booked_order( $courier_data = '{"courier": "steadfast", "consignment_id": 1424107, "tracking_code": "15BAEB8A", "booked_at": "2026-03-01T10:00:00Z"}', $id = 9101 ) {
		$order = new WC_Order( $id );
		$order->set_billing_email( 'karim@example.com' );
		$order->set_billing_first_name( 'Karim' );
		$order->set_billing_phone( '01711111111' );
		if ( '' !== $courier_data ) {
			$order->update_meta_data( Bikri_Consignment::META_KEY, $courier_data );
		}
		$order->save();
		return $order;
	}

	/**
	 * What WooCommerce's REST API does for PUT orders/<id> with meta_data: the meta is set, the
	 * order saved, then woocommerce_rest_insert_shop_order_object fires.
	 *
	 * @param WC_Order $order The order.
	 * @param mixed    $value The meta value the service writes.
	 */
	private static function rest_write( $order, $value ) {
		$order->update_meta_data( Bikri_Emails::EVENT_META_KEY, $value );
		$order->save();
		do_action( 'woocommerce_rest_insert_shop_order_object', $order, new WP_REST_Request( 'PUT', '/wc/v3/orders/' . $order->get_id() ), false );
	}

	public function test_the_three_emails_are_woocommerce_customer_emails_off_until_the_shop_turns_them_on() {
		$emails = apply_filters( 'woocommerce_email_classes', array() );

		$this->assertSame( array( 'Bikri_Email_Order_Shipped', 'Bikri_Email_Out_For_Delivery', 'Bikri_Email_Order_Returned' ), array_keys( $emails ) );
		$ids = array();
		foreach ( $emails as $email ) {
			$this->assertInstanceOf( 'WC_Email', $email );
			$this->assertTrue( $email->is_customer_email() );
			$this->assertSame( 'no', $email->form_fields['enabled']['default'] );
			$this->assertFalse( $email->is_enabled() );
			foreach ( array( 'subject', 'heading', 'additional_content', 'email_type' ) as $field ) {
				$this->assertArrayHasKey( $field, $email->form_fields, 'editable like WooCommerce\'s own: ' . $field );
			}
			foreach ( array( '{courier}', '{consignment}', '{tracking_link}', '{order_number}' ) as $placeholder ) {
				$this->assertStringContainsString( $placeholder, $email->form_fields['subject']['description'] );
			}
			$this->assertFileExists( $email->template_base . $email->template_html );
			$this->assertFileExists( $email->template_base . $email->template_plain );
			$ids[] = $email->id;
		}
		$this->assertSame( array( 'Order shipped', 'Out for delivery', 'Returned' ), array_map( static function ( $e ) { return $e->title; }, array_values( $emails ) ) );
		$this->assertSame( Bikri_Emails::EMAIL_IDS, $ids );
		// Uninstall removes their settings.
		$this->assertSame(
			array_map( static function ( $id ) { return 'woocommerce_' . $id . '_settings'; }, $ids ),
			Bikri_Uninstaller::EMAIL_OPTIONS
		);
		// WooCommerce's mailer lists them under Settings > Emails.
		$this->assertArrayHasKey( 'Bikri_Email_Order_Shipped', WC()->mailer()->get_emails() );
	}

	public function test_a_shipped_event_mails_the_customer_once_per_token_and_the_meta_goes() {
		self::turn_on( 'bikri_order_shipped' );
		$order = self::booked_order();

		self::rest_write( $order, 'shipped|tok-1' );
		self::rest_write( $order, 'shipped|tok-1' ); // The worker ran again.

		$this->assertCount( 1, $this->mails );
		$this->assertSame( 'karim@example.com', $this->mails[0]['to'] );
		$this->assertSame( 'Your Dokan BD order #9101 is on its way', $this->mails[0]['subject'] );
		$this->assertSame( '', $order->get_meta( Bikri_Emails::EVENT_META_KEY, true ), 'the event meta is gone' );
		$this->assertSame( array( 'tok-1' ), $order->get_meta( Bikri_Emails::SENT_META_KEY, true ) );
		$this->assertNotSame( '', $order->get_meta( Bikri_Consignment::META_KEY, true ), 'the consignment stays' );
		$this->assertSame( array( 'The "Order shipped" email was sent to the customer.' ), $order->notes );
		$this->assertSame( 'shipped|tok-1|sent', $order->get_meta( Bikri_Emails::RESULT_META_KEY, true ), 'the outcome, for the REST answer' );

		// A new message (say, shipped again after a return) has a new token and goes.
		self::rest_write( $order, 'shipped|tok-2' );
		$this->assertCount( 2, $this->mails );
	}

	public function test_the_email_carries_the_courier_consignment_and_tracking_link() {
		self::turn_on( 'bikri_order_shipped', array( 'subject' => '{courier} {consignment}: {tracking_link}' ) );
		$order = self::booked_order();

		self::rest_write( $order, 'shipped|tok-1' );

		$mail = $this->mails[0];
		$this->assertSame( 'Steadfast 1424107: https://steadfast.com.bd/t/15BAEB8A', $mail['subject'] );
		$this->assertStringContainsString( 'Content-Type: text/html', $mail['headers'] );
		$this->assertStringContainsString( '<h1>Your order is on its way</h1>', $mail['message'] );
		$this->assertStringContainsString( 'Hi Karim,', $mail['message'] );
		$this->assertStringContainsString( 'Your order #9101 has been handed to the courier', $mail['message'] );
		$this->assertStringContainsString( '<h2>Your parcel</h2>', $mail['message'] );
		$this->assertStringContainsString( '>Steadfast</td>', $mail['message'] );
		$this->assertStringContainsString( '>1424107</td>', $mail['message'] );
		$this->assertStringContainsString( 'href="https://steadfast.com.bd/t/15BAEB8A"', $mail['message'] );
		$this->assertSame( 1, substr_count( $mail['message'], 'Your parcel' ), 'the block once, not again from woocommerce_email_order_meta' );
		$this->assertStringNotContainsString( 'bikri-consignment', $mail['message'] );
	}

	public function test_what_comes_from_the_order_is_escaped_in_the_email() {
		self::turn_on( 'bikri_order_shipped' );
		$order = self::booked_order( '{"courier": "steadfast", "consignment_id": "<script>alert(1)</script>", "tracking_code": "\\"><img src=x onerror=alert(2)>"}' );
		$order->set_billing_first_name( '<b>Karim</b>' );
		$order->save();

		self::rest_write( $order, 'shipped|tok-1' );

		$html = $this->mails[0]['message'];
		$this->assertStringNotContainsString( '<script>', $html );
		$this->assertStringNotContainsString( '<img', $html );
		$this->assertStringNotContainsString( '<b>Karim', $html );
		$this->assertStringContainsString( '&lt;script&gt;alert(1)&lt;/script&gt;', $html );
		$this->assertStringContainsString( 'href="https://steadfast.com.bd/t/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E"', $html );
		$this->assertStringContainsString( 'Hi &lt;b&gt;Karim&lt;/b&gt;,', $html );
	}

	public function test_the_plain_text_email_has_the_same_facts_and_no_html() {
		self::turn_on( 'bikri_order_shipped', array( 'email_type' => 'plain' ) );
		$order = self::booked_order();

		self::rest_write( $order, 'shipped|tok-1' );

		$plain = $this->mails[0]['message'];
		$this->assertStringContainsString( 'Content-Type: text/plain', $this->mails[0]['headers'] );
		$this->assertStringNotContainsString( '<', $plain );
		$this->assertStringContainsString( "Your order is on its way\n", $plain );
		$this->assertStringContainsString( "Courier: Steadfast\n", $plain );
		$this->assertStringContainsString( "Consignment ID: 1424107\n", $plain );
		$this->assertStringContainsString( "Track your parcel: https://steadfast.com.bd/t/15BAEB8A\n", $plain );
		$this->assertSame( 1, substr_count( $plain, 'Courier:' ) );
	}

	public function test_each_event_sends_its_own_email() {
		foreach ( Bikri_Emails::EMAIL_IDS as $id ) {
			self::turn_on( $id );
		}
		$order = self::booked_order();

		self::rest_write( $order, 'out_for_delivery|a' );
		self::rest_write( $order, 'returned|b' );

		$this->assertSame(
			array( 'Your Dokan BD order #9101 is out for delivery', 'Your Dokan BD order #9101 was returned to us' ),
			array_column( $this->mails, 'subject' )
		);
		$this->assertStringContainsString( 'is out for delivery: the courier&#039;s rider brings it to you today.', $this->mails[0]['message'] );
		$this->assertStringContainsString( 'The courier has returned your order #9101 to us', $this->mails[1]['message'] );
		$this->assertStringContainsString( 'href="https://steadfast.com.bd/t/15BAEB8A"', $this->mails[1]['message'] );
	}

	public function test_each_email_says_its_own_news_in_html_and_in_plain_text() {
		// The three share one body (emails/bikri-courier-status.php); only the sentence after the
		// greeting, the heading and the text below differ.
		$news  = array(
			'shipped'          => 'Your order #9101 has been handed to the courier and is on its way to you.',
			'out_for_delivery' => 'Your order #9101 is out for delivery: the courier\'s rider brings it to you today.',
			'returned'         => 'The courier has returned your order #9101 to us: it could not be delivered.',
		);
		$below = array(
			'shipped'          => 'Thank you for shopping with us.',
			'out_for_delivery' => 'Please keep your phone on: the rider calls before delivering.',
			'returned'         => 'If you still want your order, reply to this email and we will send it again.',
		);
		$order = self::booked_order();
		foreach ( array( 'html', 'plain' ) as $type ) {
			foreach ( Bikri_Emails::EMAIL_IDS as $id ) {
				self::turn_on( $id, array( 'email_type' => $type ) );
			}
			foreach ( array_keys( $news ) as $event ) {
				$this->mails = array();
				self::rest_write( $order, $event . '|' . $event . '-' . $type );
				$this->assertCount( 1, $this->mails, $event . ' ' . $type );
				$message = $this->mails[0]['message'];
				$what    = $event . ' ' . $type;
				if ( 'html' === $type ) {
					$this->assertStringContainsString( "<p>\nHi Karim,</p>\n<p>\n" . esc_html( $news[ $event ] ) . "</p>\n", $message, $what );
					$this->assertStringContainsString( '<p>' . $below[ $event ] . '</p>', $message, $what );
					$this->assertStringContainsString( '<h2>Your parcel</h2>', $message, $what );
					continue;
				}
				// Plain text: entities decoded, wrapped at 70 columns (as WooCommerce sends it).
				$unwrapped = str_replace( "\n", ' ', $message );
				$this->assertStringContainsString( 'Hi Karim,  ' . $news[ $event ], $unwrapped, $what );
				$this->assertStringContainsString( 'Track your parcel: https://steadfast.com.bd/t/15BAEB8A', $unwrapped, $what );
				$this->assertStringContainsString( $below[ $event ], $unwrapped, $what );
				foreach ( array_diff_key( $news, array( $event => true ) ) as $other ) {
					$this->assertStringNotContainsString( $other, $unwrapped, $what );
				}
			}
		}
	}

	public function test_an_unknown_or_malformed_event_is_ignored_and_its_meta_removed() {
		foreach ( Bikri_Emails::EMAIL_IDS as $id ) {
			self::turn_on( $id );
		}
		$order = self::booked_order();

		foreach ( array( 'delivered|t1', 'shipped|', 'shipped', '|t2', 'SHIPPED|t3', 'shipped|' . str_repeat( 'x', 101 ), array( 'shipped', 't4' ) ) as $value ) {
			self::rest_write( $order, $value );
			$this->assertSame( '', $order->get_meta( Bikri_Emails::EVENT_META_KEY, true ), wp_json_encode( $value ) );
		}

		$this->assertSame( array(), $this->mails );
		$this->assertSame( '', $order->get_meta( Bikri_Emails::SENT_META_KEY, true ), 'no token remembered' );
		$this->assertSame( '', $order->get_meta( Bikri_Emails::RESULT_META_KEY, true ) );
		$this->assertSame( array(), $order->notes );
	}

	public function test_an_order_saved_without_the_event_meta_mails_nothing() {
		self::turn_on( 'bikri_order_shipped' );
		$order = self::booked_order();
		$saves = $order->saves;

		do_action( 'woocommerce_rest_insert_shop_order_object', $order, null, false );

		$this->assertSame( array(), $this->mails );
		$this->assertSame( $saves, $order->saves, 'not saved again' );
	}

	public function test_an_email_switched_off_in_woocommerce_sends_nothing_and_the_order_says_why() {
		$order = self::booked_order(); // Off: the default.

		self::rest_write( $order, 'shipped|tok-1' );

		$this->assertSame( array(), $this->mails );
		$this->assertSame( array( 'Bikri asked for the "Order shipped" email, but it is off in WooCommerce > Settings > Emails; nothing was sent.' ), $order->notes );
		$this->assertSame( '', $order->get_meta( Bikri_Emails::EVENT_META_KEY, true ) );
		$this->assertSame( 'shipped|tok-1|disabled', $order->get_meta( Bikri_Emails::RESULT_META_KEY, true ) );

		// Turned on later: that old message does not go out days late.
		self::turn_on( 'bikri_order_shipped' );
		self::rest_write( $order, 'shipped|tok-1' );
		$this->assertSame( array(), $this->mails );
	}

	public function test_a_mail_wordpress_could_not_send_is_noted_and_not_sent_twice() {
		self::turn_on( 'bikri_order_shipped' );
		$this->mail_result = false;
		$order             = self::booked_order();

		self::rest_write( $order, 'shipped|tok-1' );
		self::rest_write( $order, 'shipped|tok-1' );

		$this->assertCount( 1, $this->mails );
		$this->assertSame( array( 'The "Order shipped" email to the customer could not be sent (WordPress could not send mail).' ), $order->notes );
		$this->assertSame( 'shipped|tok-1|failed', $order->get_meta( Bikri_Emails::RESULT_META_KEY, true ) );
	}

	public function test_an_order_without_a_billing_email_gets_no_mail() {
		self::turn_on( 'bikri_order_shipped' );
		$order = self::booked_order();
		$order->set_billing_email( '' );
		$order->save();

		self::rest_write( $order, 'shipped|tok-1' );

		$this->assertSame( array(), $this->mails );
		$this->assertSame( array(), $order->notes );
		$this->assertSame( 'shipped|tok-1|skipped', $order->get_meta( Bikri_Emails::RESULT_META_KEY, true ) );
	}

	public function test_tokens_kept_per_order_are_bounded() {
		self::turn_on( 'bikri_order_shipped' );
		$order = self::booked_order();
		for ( $i = 0; $i < Bikri_Emails::TOKENS_KEPT + 5; $i++ ) {
			self::rest_write( $order, 'shipped|t' . $i );
		}
		$tokens = $order->get_meta( Bikri_Emails::SENT_META_KEY, true );
		$this->assertCount( Bikri_Emails::TOKENS_KEPT, $tokens );
		$this->assertSame( 't' . ( Bikri_Emails::TOKENS_KEPT + 4 ), end( $tokens ) );
	}

	/**
	 * What woocommerce_email_order_meta prints for an order in one of WooCommerce's emails.
	 *
	 * @param WC_Order $order         The order.
	 * @param bool     $sent_to_admin The shop's copy.
	 * @param bool     $plain_text    Plain text.
	 * @return string
	 */
	private function order_meta_of( $order, $sent_to_admin, $plain_text ) {
		$email     = new WC_Email(); // WooCommerce's own email, e.g. customer_completed_order.
		$email->id = $sent_to_admin ? 'new_order' : 'customer_completed_order';
		return $this->output_of(
			static function () use ( $order, $sent_to_admin, $plain_text, $email ) {
				do_action( 'woocommerce_email_order_meta', $order, $sent_to_admin, $plain_text, $email );
			}
		);
	}

	public function test_woocommerce_customer_emails_get_the_parcel_block_when_the_order_is_booked() {
		$order = self::booked_order();

		$html  = $this->order_meta_of( $order, false, false );
		$plain = $this->order_meta_of( $order, false, true );

		$this->assertStringContainsString( '<div class="bikri-parcel"', $html );
		$this->assertStringContainsString( '<h2>Your parcel</h2>', $html );
		$this->assertStringContainsString( '>Steadfast</td>', $html );
		$this->assertStringContainsString( '>1424107</td>', $html );
		$this->assertStringContainsString( '<a class="bikri-tracking-link" href="https://steadfast.com.bd/t/15BAEB8A">Track your parcel</a>', $html );
		$this->assertSame( "\nYour parcel\n\nCourier: Steadfast\nConsignment ID: 1424107\nTrack your parcel: https://steadfast.com.bd/t/15BAEB8A\n", $plain );
	}

	public function test_no_parcel_block_without_courier_data() {
		foreach ( array( '', 'not json', '{"consignment_id": "1"}' ) as $meta ) {
			$order = self::booked_order( $meta );
			$this->assertSame( '', $this->order_meta_of( $order, false, false ), $meta );
			$this->assertSame( '', $this->order_meta_of( $order, false, true ), $meta );
		}
	}

	public function test_the_shops_copy_keeps_the_one_line_and_no_block() {
		$order = self::booked_order();

		$html = $this->order_meta_of( $order, true, false );

		$this->assertStringContainsString( 'Steadfast consignment 1424107 (tracking 15BAEB8A)', $html );
		$this->assertStringNotContainsString( 'Your parcel', $html );
	}

	public function test_tracking_links_per_courier() {
		$cases = array(
			'{"courier": "pathao", "consignment_id": "DL121224VS8TEN", "tracking_code": null}' => 'https://merchant.pathao.com/tracking?consignment_id=DL121224VS8TEN&#038;phone=01711111111',
			'{"courier": "redx", "consignment_id": "21A427TU4BN3R", "tracking_code": ""}'      => 'https://redx.com.bd/track-parcel/?trackingId=21A427TU4BN3R',
			'{"courier": "steadfast", "consignment_id": "1", "tracking_link": "https://shop.example/track/1"}' => 'https://shop.example/track/1',
		);
		foreach ( $cases as $meta => $href ) {
			$this->assertStringContainsString( 'href="' . $href . '"', $this->order_meta_of( self::booked_order( $meta ), false, false ), $meta );
		}
		// No known page (Paperfly; Steadfast without a tracking code; a non-web link): no link, the rest stays.
		foreach ( array(
			'{"courier": "paperfly", "consignment_id": "77"}',
			'{"courier": "steadfast", "consignment_id": "77", "tracking_code": null}',
			'{"courier": "steadfast", "consignment_id": "77", "tracking_link": "javascript:alert(1)"}',
		) as $meta ) {
			$html = $this->order_meta_of( self::booked_order( $meta ), false, false );
			$this->assertStringNotContainsString( 'href=', $html, $meta );
			$this->assertStringContainsString( '>77</td>', $html, $meta );
		}
		// A shop may point at its own tracking page.
		$this->add_filter(
			'bikri_tracking_link',
			static function ( $link, $consignment ) {
				return 'https://dokan.example/track?c=' . rawurlencode( $consignment['consignment_id'] );
			},
			10,
			2
		);
		$this->assertStringContainsString( 'href="https://dokan.example/track?c=77"', $this->order_meta_of( self::booked_order( '{"courier": "paperfly", "consignment_id": "77"}' ), false, false ) );
	}

	/**
	 * Runs $callable with templates in the theme's woocommerce/ folder, removed after.
	 *
	 * @param string[] $templates PHP source by template name (e.g. emails/bikri-parcel.php).
	 * @param callable $callable  What runs with them.
	 * @return mixed What $callable returns.
	 */
	private static function with_theme_templates( array $templates, callable $callable ) {
		$root = get_stylesheet_directory() . '/woocommerce';
		wp_mkdir_p( $root . '/emails' );
		foreach ( $templates as $name => $source ) {
			file_put_contents( $root . '/' . $name, $source ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
		}
		try {
			return $callable();
		} finally {
			foreach ( array_keys( $templates ) as $name ) {
				unlink( $root . '/' . $name ); // phpcs:ignore WordPress.WP.AlternativeFunctions.unlink_unlink
			}
			rmdir( $root . '/emails' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_rmdir
			rmdir( $root ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_rmdir
		}
	}

	public function test_a_theme_overrides_the_templates_as_woocommerces_own() {
		$html = self::with_theme_templates(
			array( 'emails/bikri-parcel.php' => '<?php echo "THEME PARCEL " . esc_html( $parcel["consignment_id"] );' ),
			function () {
				return $this->order_meta_of( self::booked_order(), false, false );
			}
		);
		$this->assertSame( 'THEME PARCEL 1424107', $html );
	}

	public function test_a_theme_overrides_one_courier_email_or_the_body_the_three_share() {
		foreach ( Bikri_Emails::EMAIL_IDS as $id ) {
			self::turn_on( $id );
		}
		$order = self::booked_order();

		self::with_theme_templates(
			array(
				'emails/bikri-order-returned.php'  => '<?php echo "THEME RETURNED " . esc_html( $order->get_order_number() );',
				'emails/bikri-courier-status.php' => '<?php printf( "THEME BODY " . esc_html( $news ), esc_html( $order->get_order_number() ) );',
			),
			static function () use ( $order ) {
				self::rest_write( $order, 'shipped|a' );
				self::rest_write( $order, 'returned|b' );
			}
		);

		$this->assertSame(
			array( 'THEME BODY Your order #9101 has been handed to the courier and is on its way to you.', 'THEME RETURNED 9101' ),
			array_column( $this->mails, 'message' )
		);
	}

	public function test_the_zip_ships_the_templates() {
		$this->assertFileExists( WP_PLUGIN_DIR . '/bikri/templates/emails/bikri-order-shipped.php' );
		$this->assertFileExists( WP_PLUGIN_DIR . '/bikri/templates/emails/plain/bikri-parcel.php' );
		$this->assertSame( WP_PLUGIN_DIR . '/bikri/templates/', Bikri_Emails::template_base() );
	}
}
