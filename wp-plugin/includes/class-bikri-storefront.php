<?php
/**
 * Storefront code (K1) and ad tags (K2): the shop's own header, body-open and footer code, and
 * Microsoft Clarity, Google Tag Manager, GA4 and the Meta Pixel with WooCommerce's e-commerce
 * events, printed by the plugin from one WordPress option. Nothing here calls the service: a
 * page view costs one (autoloaded) option read.
 *
 * Escaping: the snippets are the shop's own HTML and JavaScript, saved only by users with
 * `unfiltered_html`, and printed as saved (that is what they are for). Everything else that
 * reaches the page (tag ids, product names, values, event ids) is validated when saved and
 * printed through esc_js()/wp_json_encode() (JSON with <, >, & and quotes escaped as \u003C...).
 *
 * Consent: with the WP Consent API (wp_has_consent()), Clarity, GA4 and Google Tag Manager
 * load only with consent to "statistics", the Meta Pixel only with "marketing". Without the
 * Consent API, tags load as configured (the shop's cookie banner, if any, is its own business).
 *
 * Deduplication with the Conversions API: the Pixel's Purchase carries event_id
 * `bikri-<order id>`, the id the service sends for the same order (backend/adtracking), so Meta
 * counts the purchase once. Purchase prints once per order: the order remembers it was printed
 * (`_bikri_pixel_purchase`), and a reload of the thank-you page prints nothing.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Prints the snippets and tags on the storefront.
 */
final class Bikri_Storefront {

	const OPTION       = 'bikri_storefront';
	const DRAFT_OPTION = 'bikri_storefront_draft';
	const PREVIEW_ARG  = 'bikri_preview';
	const PREVIEW_NONCE = 'bikri_storefront_preview';
	const PURCHASE_META = '_bikri_pixel_purchase';
	const SESSION_KEY  = 'bikri_pixel_events';

	/**
	 * Where a snippet is printed => the WordPress action.
	 */
	const PLACES = array(
		'head'   => 'wp_head',
		'body'   => 'wp_body_open',
		'footer' => 'wp_footer',
	);

	/**
	 * Which pages a snippet is printed on.
	 */
	const TARGETS = array( 'all', 'product', 'checkout', 'thankyou' );

	/**
	 * Tag id formats.
	 */
	const ID_PATTERNS = array(
		'clarity' => '/^[a-z0-9]{8,12}$/',
		'gtm'     => '/^GTM-[A-Z0-9]{4,12}$/',
		'ga4'     => '/^G-[A-Z0-9]{4,15}$/',
		'pixel'   => '/^[0-9]{10,20}$/',
	);

	/**
	 * The settings in effect for this request (the draft while an editor previews).
	 *
	 * @var array|null
	 */
	private $settings = null;

	/**
	 * The tags' markup for this request: place => consent category => HTML (markup()).
	 *
	 * @var array|null
	 */
	private $markup = null;

	/**
	 * The Consent API's answers in this request: category => bool.
	 *
	 * @var array
	 */
	private $consent = array();

	/**
	 * Events printed or queued in this request (for the tests).
	 *
	 * @var array
	 */
	public $events = array();

	/**
	 * The settings as stored, with every key present.
	 *
	 * @param array|mixed $stored The option's value.
	 * @return array
	 */
	public static function normalise( $stored ) {
		$stored   = is_array( $stored ) ? $stored : array();
		$settings = array( 'snippets_off' => ! empty( $stored['snippets_off'] ) );
		foreach ( array_keys( self::PLACES ) as $place ) {
			$settings[ $place . '_code' ]   = isset( $stored[ $place . '_code' ] ) ? (string) $stored[ $place . '_code' ] : '';
			$target                          = isset( $stored[ $place . '_target' ] ) ? (string) $stored[ $place . '_target' ] : 'all';
			$settings[ $place . '_target' ] = in_array( $target, self::TARGETS, true ) ? $target : 'all';
		}
		foreach ( array_keys( self::ID_PATTERNS ) as $tag ) {
			$id               = isset( $stored[ $tag ] ) ? (string) $stored[ $tag ] : '';
			$settings[ $tag ] = self::valid_id( $tag, $id ) ? $id : '';
		}
		return $settings;
	}

	/**
	 * Whether `$id` is a well-formed id for the tag.
	 *
	 * @param string $tag Tag key (clarity, gtm, ga4, pixel).
	 * @param string $id  The id.
	 * @return bool
	 */
	public static function valid_id( $tag, $id ) {
		return '' !== $id && isset( self::ID_PATTERNS[ $tag ] ) && 1 === preg_match( self::ID_PATTERNS[ $tag ], $id );
	}

	/**
	 * Hooks into the storefront.
	 */
	public function set_up() {
		add_action( 'wp_head', array( $this, 'action_head' ), 1 );
		add_action( 'wp_body_open', array( $this, 'action_body_open' ), 1 );
		add_action( 'wp_footer', array( $this, 'action_footer' ), 20 );
		add_action( 'woocommerce_add_to_cart', array( $this, 'action_add_to_cart' ), 10, 4 );
		add_filter( 'woocommerce_add_to_cart_fragments', array( $this, 'filter_cart_fragments' ) );
	}

	/**
	 * Forget what this request read (tests, and after the settings are saved).
	 */
	public function reset() {
		$this->settings = null;
		$this->markup   = null;
		$this->consent  = array();
		$this->events   = array();
	}

	/**
	 * The settings for this request: the saved ones, or the draft while a user who may edit
	 * snippets previews them (a nonce in the URL, so a link cannot make someone preview).
	 *
	 * @return array
	 */
	public function settings() {
		if ( null === $this->settings ) {
			$this->settings = self::normalise( $this->is_preview() ? get_option( self::DRAFT_OPTION ) : get_option( self::OPTION ) );
		}
		return $this->settings;
	}

	/**
	 * Whether this request previews the draft.
	 *
	 * @return bool
	 */
	public function is_preview() {
		// The nonce is the check; the value is only compared.
		$nonce = isset( $_GET[ self::PREVIEW_ARG ] ) ? sanitize_text_field( wp_unslash( $_GET[ self::PREVIEW_ARG ] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		return '' !== $nonce && current_user_can( 'unfiltered_html' ) && wp_verify_nonce( $nonce, self::PREVIEW_NONCE );
	}

	/**
	 * Whether the page is one a target names.
	 *
	 * @param string $target One of TARGETS.
	 * @return bool
	 */
	public static function page_is( $target ) {
		switch ( $target ) {
			case 'product':
				return function_exists( 'is_product' ) && is_product();
			case 'thankyou':
				return function_exists( 'is_order_received_page' ) && is_order_received_page();
			case 'checkout':
				return function_exists( 'is_checkout' ) && is_checkout() && ! self::page_is( 'thankyou' );
			default:
				return true;
		}
	}

	/**
	 * The consent category a tag needs is given (or the Consent API is not there).
	 *
	 * @param string $category statistics or marketing.
	 * @return bool
	 */
	public static function consented( $category ) {
		return ! function_exists( 'wp_has_consent' ) || wp_has_consent( $category );
	}

	/**
	 * Whether the visitor consented to a category (or the Consent API is not there), asked once
	 * per request: every place and event asks the same question.
	 *
	 * @param string $category statistics or marketing.
	 * @return bool
	 */
	private function allowed( $category ) {
		if ( ! isset( $this->consent[ $category ] ) ) {
			$this->consent[ $category ] = self::consented( $category );
		}
		return $this->consent[ $category ];
	}

	/**
	 * The tags' markup for each place and the consent category each needs, built once per
	 * request: the ids are validated when saved and escaped here once; the loaders are as Google,
	 * Microsoft and Meta give them. The order within a place is the order they print in.
	 *
	 * @return array place => category => HTML.
	 */
	private function markup() {
		if ( null !== $this->markup ) {
			return $this->markup;
		}
		$settings = $this->settings();
		$head     = array(
			'statistics' => '',
			'marketing'  => '',
		);
		$body     = array( 'statistics' => '' );
		if ( $settings['gtm'] ) {
			$gtm                   = esc_js( $settings['gtm'] );
			$head['statistics']   .= "<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','" . $gtm . "');</script>\n";
			$body['statistics']   .= '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=' . esc_attr( $settings['gtm'] ) . '" height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>' . "\n";
		}
		if ( $settings['ga4'] ) {
			$head['statistics'] .= '<script async src="https://www.googletagmanager.com/gtag/js?id=' . esc_attr( $settings['ga4'] ) . '"></script>' . "\n"
				. "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','" . esc_js( $settings['ga4'] ) . "');</script>\n";
		}
		if ( $settings['clarity'] ) {
			$head['statistics'] .= '<script>(function(c,l,a,r,i,t,y){c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};t=l.createElement(r);t.async=1;t.src="https://www.clarity.ms/tag/"+i;y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);})(window,document,"clarity","script","' . esc_js( $settings['clarity'] ) . '");</script>' . "\n";
		}
		if ( $settings['pixel'] ) {
			$head['marketing'] .= "<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,document,'script','https://connect.facebook.net/en_US/fbevents.js');fbq('init','" . esc_js( $settings['pixel'] ) . "');fbq('track','PageView');</script>\n";
		}
		$this->markup = array(
			'head' => $head,
			'body' => $body,
		);
		return $this->markup;
	}

	/**
	 * The tags for a place the visitor consented to.
	 *
	 * @param string $place head or body.
	 * @return string
	 */
	private function tags( $place ) {
		$html = '';
		foreach ( $this->markup()[ $place ] as $category => $markup ) {
			if ( '' !== $markup && $this->allowed( $category ) ) {
				$html .= $markup;
			}
		}
		return $html;
	}

	/**
	 * A snippet for this place, if on and meant for this page.
	 *
	 * @param string $place head, body or footer.
	 * @return string
	 */
	private function snippet( $place ) {
		$settings = $this->settings();
		if ( $settings['snippets_off'] || '' === $settings[ $place . '_code' ] || ! self::page_is( $settings[ $place . '_target' ] ) ) {
			return '';
		}
		return "\n<!-- Bikri: " . $place . " code -->\n" . $settings[ $place . '_code' ] . "\n";
	}

	/*
	 * Each place prints with one echo: without output buffering (PHP's default) every echo is a
	 * write to the visitor's connection, and each write can wake the reader and hand it the CPU.
	 * The shop's own code is saved by a user with unfiltered_html and printed as saved, by design;
	 * the tags are escaped in markup(), the events in events_script().
	 */

	/**
	 * In <head>: the tags, then the shop's header code.
	 */
	public function action_head() {
		echo $this->tags( 'head' ) . $this->snippet( 'head' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped, WordPress.WP.EnqueuedResources.NonEnqueuedScript -- see above; the loaders as their makers give them.
	}

	/**
	 * Right after <body>: GTM's noscript frame, then the shop's body code.
	 */
	public function action_body_open() {
		echo $this->tags( 'body' ) . $this->snippet( 'body' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- see above.
	}

	/**
	 * Before </body>: the Pixel's events for this page, then the shop's footer code.
	 */
	public function action_footer() {
		$settings = $this->settings();
		$html     = '';
		if ( $settings['pixel'] && $this->allowed( 'marketing' ) ) {
			$events = array_merge( $this->queued_events(), $this->page_events() );
			$html   = '<div class="bikri-pixel-events" hidden>' . self::events_script( $events ) . '</div>' . "\n";
		}
		echo $html . $this->snippet( 'footer' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- see above.
	}

	/**
	 * `fbq('track', ...)` calls for events, their data as JSON safe inside <script>.
	 *
	 * @param array $events Each {name, data, event_id}.
	 * @return string
	 */
	public static function events_script( array $events ) {
		if ( ! $events ) {
			return '';
		}
		$calls = '';
		foreach ( $events as $event ) {
			// the call's arguments as one JSON array, its brackets dropped: name, data, {eventID}
			$arguments = wp_json_encode( array( $event['name'], (object) $event['data'], array( 'eventID' => $event['event_id'] ) ), JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT );
			$calls    .= 'fbq("track",' . substr( $arguments, 1, -1 ) . ');';
		}
		return '<script>if(window.fbq){' . $calls . '}</script>';
	}

	/**
	 * The events the page itself stands for: ViewContent on a product, InitiateCheckout on the
	 * checkout, Purchase on the thank-you page (once per order).
	 *
	 * @return array
	 */
	public function page_events() {
		$events = array();
		if ( self::page_is( 'product' ) && function_exists( 'wc_get_product' ) ) {
			$product = wc_get_product( get_queried_object_id() );
			if ( $product ) {
				$events[] = $this->event( 'ViewContent', self::product_data( $product, 1 ), 'vc-' . $product->get_id() . '-' . self::random_part() );
			}
		} elseif ( self::page_is( 'thankyou' ) ) {
			$purchase = $this->purchase_event();
			if ( $purchase ) {
				$events[] = $purchase;
			}
		} elseif ( self::page_is( 'checkout' ) && function_exists( 'WC' ) && WC()->cart ) {
			$cart  = WC()->cart;
			$ids   = array();
			$count = 0;
			foreach ( $cart->get_cart() as $line ) {
				$ids[]  = (string) $line['product_id'];
				$count += (int) $line['quantity'];
			}
			$events[] = $this->event(
				'InitiateCheckout',
				array(
					'value'        => (float) $cart->get_total( 'edit' ),
					'currency'     => get_woocommerce_currency(),
					'content_ids'  => $ids,
					'content_type' => 'product',
					'num_items'    => $count,
				),
				'ic-' . self::random_part()
			);
		}
		return $events;
	}

	/**
	 * Purchase for the order on the thank-you page: the order's key must match (WooCommerce
	 * shows the page only then too), and only the first time.
	 *
	 * @return array|null
	 */
	private function purchase_event() {
		$order_id = absint( get_query_var( 'order-received' ) );
		$order    = $order_id && function_exists( 'wc_get_order' ) ? wc_get_order( $order_id ) : false;
		// Reading the thank-you URL's order key, as WooCommerce does; nothing is changed on the visitor's say.
		$key = isset( $_GET['key'] ) ? sanitize_text_field( wp_unslash( $_GET['key'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		if ( ! $order || '' === $key || ! hash_equals( (string) $order->get_order_key(), $key ) ) {
			return null;
		}
		if ( $order->get_meta( self::PURCHASE_META ) ) {
			return null;
		}
		$order->update_meta_data( self::PURCHASE_META, (string) time() );
		$order->save();
		$ids = array();
		foreach ( $order->get_items() as $item ) {
			if ( is_object( $item ) && method_exists( $item, 'get_product_id' ) ) {
				$ids[] = (string) $item->get_product_id();
			}
		}
		return $this->event(
			'Purchase',
			array(
				'value'        => (float) $order->get_total(),
				'currency'     => $order->get_currency(),
				'content_ids'  => $ids,
				'content_type' => 'product',
				'order_id'     => (string) $order->get_order_number(),
			),
			null,
			self::purchase_event_id( $order->get_id() )
		);
	}

	/**
	 * The unique part of a generated event id: 8 hex digits from one call to the system's random
	 * source (wp_generate_password() asks wp_rand() once a character and runs a filter).
	 *
	 * @return string
	 */
	private static function random_part() {
		return bin2hex( random_bytes( 4 ) );
	}

	/**
	 * The Purchase event_id for an order: the same as the service's Conversions API event.
	 *
	 * @param int $order_id WooCommerce order id.
	 * @return string
	 */
	public static function purchase_event_id( $order_id ) {
		return 'bikri-' . absint( $order_id );
	}

	/**
	 * Product data for ViewContent and AddToCart.
	 *
	 * @param WC_Product $product  The product.
	 * @param int        $quantity Quantity.
	 * @return array
	 */
	private static function product_data( $product, $quantity ) {
		return array(
			'content_ids'  => array( (string) $product->get_id() ),
			'content_name' => (string) $product->get_name(),
			'content_type' => 'product',
			'value'        => round( (float) $product->get_price() * max( 1, (int) $quantity ), 2 ),
			'currency'     => get_woocommerce_currency(),
		);
	}

	/**
	 * An event, remembered for the tests.
	 *
	 * @param string      $name     Meta's standard event name.
	 * @param array       $data     Its parameters.
	 * @param string|null $suffix   Unique part of a generated event id.
	 * @param string|null $event_id A given event id.
	 * @return array
	 */
	private function event( $name, array $data, $suffix, $event_id = null ) {
		$event          = array(
			'name'     => $name,
			'data'     => $data,
			'event_id' => null !== $event_id ? $event_id : 'bikri-' . $suffix,
		);
		$this->events[] = $event;
		return $event;
	}

	/**
	 * A product was added to the cart: AddToCart goes out on the next page (a classic form
	 * post redirects) or in the cart fragments (an AJAX add on a shop page).
	 *
	 * @param string $cart_item_key Cart item key.
	 * @param int    $product_id    Product id.
	 * @param int    $quantity      Quantity added.
	 * @param int    $variation_id  Variation id.
	 */
	public function action_add_to_cart( $cart_item_key, $product_id, $quantity, $variation_id = 0 ) {
		$settings = $this->settings();
		if ( ! $settings['pixel'] || ! function_exists( 'wc_get_product' ) || ! function_exists( 'WC' ) || ! WC()->session ) {
			return;
		}
		$product = wc_get_product( $variation_id ? $variation_id : $product_id );
		if ( ! $product ) {
			return;
		}
		$event   = $this->event( 'AddToCart', self::product_data( $product, $quantity ), 'atc-' . $product->get_id() . '-' . self::random_part() );
		$queued  = (array) WC()->session->get( self::SESSION_KEY, array() );
		$queued[] = $event;
		WC()->session->set( self::SESSION_KEY, array_slice( $queued, -10 ) );
	}

	/**
	 * The events queued for this visitor, taken (each prints once).
	 *
	 * @return array
	 */
	private function queued_events() {
		if ( ! function_exists( 'WC' ) || ! WC()->session ) {
			return array();
		}
		$queued = WC()->session->get( self::SESSION_KEY, array() );
		if ( ! $queued ) {
			return array();
		}
		WC()->session->set( self::SESSION_KEY, array() );
		return (array) $queued;
	}

	/**
	 * After an AJAX add to cart, WooCommerce's script swaps in these fragments: ours carries
	 * the AddToCart event and runs when it is put in the page.
	 *
	 * @param array $fragments Selector => HTML.
	 * @return array
	 */
	public function filter_cart_fragments( $fragments ) {
		$settings = $this->settings();
		if ( $settings['pixel'] && $this->allowed( 'marketing' ) ) {
			$fragments['div.bikri-pixel-events'] = '<div class="bikri-pixel-events" hidden>' . self::events_script( $this->queued_events() ) . '</div>';
		}
		return $fragments;
	}
}
