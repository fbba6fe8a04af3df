<?php
/**
 * The wishlist on the storefront (U3): a heart on product pages and product lists, a Wishlist
 * tab in My Account, and an SMS alert opt-in for a product back in stock or cheaper.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A signed-in shopper's wishes live in their user meta; a guest's in the browser (localStorage),
 * merged into the account at the first page after signing in. Nothing here calls the service
 * while a page is built: a change is recorded as an event in the sync queue (Bikri_Sync), which
 * sends it after the response, as it does orders.
 *
 * Where the heart shows:
 * - classic themes: beside the add-to-cart button (woocommerce_after_add_to_cart_button), in the
 *   summary of a product that cannot be added to the cart (out of stock), and under each product
 *   of a list (woocommerce_after_shop_loop_item);
 * - block themes: after the Add to Cart Form block of a single product and the Add to Cart
 *   button block of Product Collection lists (render_block);
 * - the All Products block, which draws its products in the browser from the Store API (no PHP
 *   hook reaches them): rendering that block only loads the script, which puts a heart at the end
 *   of each product item as the block draws it (a MutationObserver on the block). Its markup holds
 *   no product id, so the script learns id and permalink from the block's own "product list
 *   rendered" action (WooCommerce's wp.hooks event, carrying the Store API products it already
 *   fetched) and matches an item by its product link; a data-product_id in the item wins if a
 *   version prints one. No request of its own: an item it cannot name gets no heart.
 */
final class Bikri_Wishlist {

	/**
	 * User meta: product id => Unix time it was wished.
	 */
	const META = '_bikri_wishlist';

	/**
	 * Most products kept in one wishlist (older ones drop off).
	 */
	const MAX_ITEMS = 200;

	/**
	 * The My Account endpoint (/my-account/bikri-wishlist/).
	 */
	const ENDPOINT = 'bikri-wishlist';

	/**
	 * Nonce action of the AJAX calls.
	 */
	const NONCE = 'bikri_wishlist';

	/**
	 * admin-ajax actions.
	 */
	const ACTION_TOGGLE = 'bikri_wishlist_toggle';
	const ACTION_MERGE  = 'bikri_wishlist_merge';
	const ACTION_ALERT  = 'bikri_wishlist_alert';

	/**
	 * Printed just before the script on a page with an All Products block: listens for the
	 * block's "product list rendered" action from the start and keeps what it carries (the
	 * products with their ids and links) for the deferred script.
	 */
	const ALL_PRODUCTS_LISTENER = '(function(w){var l=w.bikriWishlistLists=w.bikriWishlistLists||[],h=w.wp&&w.wp.hooks;if(h&&!l.hooked){l.hooked=1;h.addAction("experimental__woocommerce_blocks-product-list-render","bikri/wishlist",function(e){w.bikriWishlistLists.push(e);});}}(window));';

	/**
	 * Option holding the endpoint whose rewrite rules were flushed (flushed once when it changes).
	 */
	const OPTION_REWRITE = 'bikri_wishlist_rewrite';

	/**
	 * SMS alert opt-ins one visitor (IP address) may make an hour: each may cost the shop an SMS.
	 */
	const ALERTS_PER_HOUR = 5;

	/**
	 * License state.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * The event queue's front: records events sent after the response.
	 *
	 * @var Bikri_Sync
	 */
	private $sync;

	/**
	 * The checkout copy: whether the shop sends wishlist SMS alerts.
	 *
	 * @var Bikri_Checkout_Config
	 */
	private $config;

	/**
	 * Products whose single-page heart was printed in this request (it shows once per product).
	 *
	 * @var bool[]
	 */
	private $single_done = array();

	/**
	 * Builds the wishlist.
	 *
	 * @param Bikri_License         $license License state.
	 * @param Bikri_Sync            $sync    The event queue's front.
	 * @param Bikri_Checkout_Config $config  The checkout copy.
	 */
	public function __construct( Bikri_License $license, Bikri_Sync $sync, Bikri_Checkout_Config $config ) {
		$this->license = $license;
		$this->sync    = $sync;
		$this->config  = $config;
	}

	/**
	 * Registers the wishlist's hooks.
	 */
	public function set_up() {
		// Actions.
		add_action( 'init', array( $this, 'action_init' ) );
		add_action( 'woocommerce_after_add_to_cart_button', array( $this, 'action_single_heart' ) );
		add_action( 'woocommerce_single_product_summary', array( $this, 'action_single_heart' ), 35 );
		add_action( 'woocommerce_after_shop_loop_item', array( $this, 'action_loop_heart' ), 15 );
		add_action( 'woocommerce_account_' . self::ENDPOINT . '_endpoint', array( $this, 'action_account_page' ) );
		add_action( 'wp_ajax_' . self::ACTION_TOGGLE, array( $this, 'handle_toggle' ) );
		add_action( 'wp_ajax_' . self::ACTION_MERGE, array( $this, 'handle_merge' ) );
		add_action( 'wp_ajax_' . self::ACTION_ALERT, array( $this, 'handle_alert' ) );
		add_action( 'wp_ajax_nopriv_' . self::ACTION_ALERT, array( $this, 'handle_alert' ) );

		// Filters.
		add_filter( 'render_block', array( $this, 'filter_render_block' ), 10, 3 );
		add_filter( 'script_loader_tag', array( $this, 'filter_script_loader_tag' ), 10, 2 );
		add_filter( 'woocommerce_get_query_vars', array( $this, 'filter_query_vars' ) );
		add_filter( 'woocommerce_account_menu_items', array( $this, 'filter_account_menu_items' ) );
		add_filter( 'woocommerce_endpoint_' . self::ENDPOINT . '_title', array( $this, 'filter_endpoint_title' ) );
	}

	/**
	 * The My Account endpoint's rewrite rule; flushed once, when the endpoint is new to this site.
	 */
	public function action_init() {
		add_rewrite_endpoint( self::ENDPOINT, EP_ROOT | EP_PAGES );
		if ( get_option( self::OPTION_REWRITE ) !== self::ENDPOINT ) {
			update_option( self::OPTION_REWRITE, self::ENDPOINT );
			flush_rewrite_rules( false );
		}
	}

	// --- the heart --------------------------------------------------------------------------

	/**
	 * Whether the storefront shows the wishlist: only while the shop's license is active.
	 *
	 * @return bool
	 */
	private function enabled() {
		return '' !== $this->license->token() && $this->license->is_active();
	}

	/**
	 * The product being shown (WooCommerce's global $product, or the post in the loop).
	 *
	 * @return int
	 */
	private static function current_product_id() {
		global $product;
		if ( is_object( $product ) && method_exists( $product, 'get_id' ) ) {
			return (int) $product->get_id();
		}
		return 'product' === get_post_type() ? (int) get_the_ID() : 0;
	}

	/**
	 * A single product's heart, and the SMS alert opt-in: once per product and request (the
	 * add-to-cart button prints it; the summary only when that button is not shown).
	 */
	public function action_single_heart() {
		echo $this->single_markup( self::current_product_id() ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in single_markup().
	}

	/**
	 * A heart under a product in a list.
	 */
	public function action_loop_heart() {
		$id = self::current_product_id();
		if ( $id > 0 && $this->enabled() ) {
			echo $this->heart( $id, 'bikri-heart-loop' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in heart().
		}
	}

	/**
	 * Block themes: the heart after the Add to Cart Form block (single product) and after the
	 * Add to Cart button block of product lists (Product Collection). The All Products block only
	 * loads the script: its products are drawn in the browser, and so are their hearts.
	 *
	 * @param string        $content  The block's HTML.
	 * @param array         $block    The parsed block.
	 * @param WP_Block|null $instance The block instance (its context names the product).
	 * @return string
	 */
	public function filter_render_block( $content, $block, $instance = null ) {
		$name = isset( $block['blockName'] ) ? $block['blockName'] : '';
		if ( 'woocommerce/all-products' === $name ) {
			$this->enqueue_for_all_products();
			return $content;
		}
		if ( 'woocommerce/add-to-cart-form' !== $name && 'woocommerce/product-button' !== $name ) {
			return $content;
		}
		$id = is_object( $instance ) && isset( $instance->context['postId'] ) ? (int) $instance->context['postId'] : self::current_product_id();
		if ( 'woocommerce/add-to-cart-form' === $name ) {
			return $content . $this->single_markup( $id );
		}
		return $id > 0 && $this->enabled() ? $content . $this->heart( $id, 'bikri-heart-loop' ) : $content;
	}

	/**
	 * The single product's heart and alert opt-in, or '' when already printed.
	 *
	 * @param int $product_id Product.
	 * @return string Escaped HTML.
	 */
	private function single_markup( $product_id ) {
		if ( $product_id <= 0 || isset( $this->single_done[ $product_id ] ) || ! $this->enabled() ) {
			return '';
		}
		$this->single_done[ $product_id ] = true;
		$html                             = $this->heart( $product_id, 'bikri-heart-single' );
		if ( $this->config->wishlist_alerts() ) {
			// Not a <form>: this sits inside WooCommerce's add-to-cart form, and forms do not nest.
			$html .= sprintf(
				'<div class="bikri-wishlist-alert" data-product="%1$d"><label for="bikri-alert-phone-%1$d">%2$s</label> <input type="tel" id="bikri-alert-phone-%1$d" inputmode="tel" autocomplete="tel" maxlength="20" placeholder="01XXXXXXXXX"> <button type="button" class="bikri-wishlist-alert-send">%3$s</button> <span class="bikri-wishlist-alert-said" role="status"></span></div>',
				(int) $product_id,
				esc_html__( 'SMS me when it is back in stock or cheaper:', 'bikri' ),
				esc_html__( 'Notify me', 'bikri' )
			);
		}
		return $html;
	}

	/**
	 * A heart: a toggle button, pressed when the signed-in shopper wished for the product (a
	 * guest's state is read from the browser by the script).
	 *
	 * @param int    $product_id Product.
	 * @param string $class      Where it sits (bikri-heart-single, bikri-heart-loop).
	 * @return string Escaped HTML.
	 */
	public function heart( $product_id, $class ) {
		$this->enqueue();
		$user   = get_current_user_id();
		$wished = $user > 0 && isset( $this->wishes( $user )[ (int) $product_id ] );
		return sprintf(
			'<button type="button" class="bikri-heart %1$s" data-product="%2$d" aria-pressed="%3$s" aria-label="%4$s" title="%4$s"><svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path d="M12 21s-7.4-4.5-9.5-9.1C1 8.5 3.1 4.5 6.8 4.5c2.1 0 3.7 1.1 4.6 2.7h1.2c.9-1.6 2.5-2.7 4.6-2.7 3.7 0 5.8 4 4.3 7.4C19.4 16.5 12 21 12 21z"/></svg></button>',
			esc_attr( $class ),
			(int) $product_id,
			$wished ? 'true' : 'false',
			esc_attr__( 'Save to wishlist', 'bikri' )
		);
	}

	/**
	 * An All Products block on the page: the script, and a line just before it that starts
	 * listening for the block's "product list rendered" action (wp.hooks, loaded by the block)
	 * before the block can fire it; the deferred script takes the products it kept.
	 */
	private function enqueue_for_all_products() {
		if ( ! $this->enabled() ) {
			return;
		}
		$this->enqueue();
		$before = wp_scripts()->get_data( 'bikri-wishlist', 'before' );
		if ( ! is_array( $before ) || ! in_array( self::ALL_PRODUCTS_LISTENER, $before, true ) ) {
			wp_add_inline_script( 'bikri-wishlist', self::ALL_PRODUCTS_LISTENER, 'before' );
		}
	}

	/**
	 * The heart's script (deferred, in the footer: nothing blocks the page's rendering) and its
	 * few style rules (inline: no request of their own). Loaded only on pages with a heart. A
	 * signed-in shopper's wished products go with it, for the hearts the script draws itself.
	 */
	private function enqueue() {
		if ( wp_script_is( 'bikri-wishlist', 'enqueued' ) ) {
			return;
		}
		$user = get_current_user_id();
		wp_register_script(
			'bikri-wishlist',
			plugins_url( 'assets/js/wishlist.js', BIKRI_PLUGIN_FILE ),
			array(),
			BIKRI_VERSION,
			array(
				'in_footer' => true,
				'strategy'  => 'defer',
			)
		);
		wp_localize_script(
			'bikri-wishlist',
			'bikriWishlist',
			array(
				'ajaxUrl'  => admin_url( 'admin-ajax.php' ),
				'nonce'    => wp_create_nonce( self::NONCE ),
				'loggedIn' => is_user_logged_in(),
				'wished'   => $user > 0 ? array_map( 'strval', array_keys( $this->wishes( $user ) ) ) : array(),
				'words'    => array(
					'save'     => __( 'Save to wishlist', 'bikri' ),
					'failed'   => __( 'Could not save. Try again.', 'bikri' ),
					'badPhone' => __( 'Write a Bangladeshi mobile number, e.g. 01711234567.', 'bikri' ),
					'alertOn'  => __( 'Done: we will send you an SMS.', 'bikri' ),
				),
			)
		);
		wp_enqueue_script( 'bikri-wishlist' );
		wp_register_style( 'bikri-wishlist', false, array(), BIKRI_VERSION );
		wp_add_inline_style(
			'bikri-wishlist',
			'.bikri-heart{background:none;border:0;padding:.3em;cursor:pointer;color:#b0175a;line-height:0;vertical-align:middle}'
			. '.bikri-heart svg{fill:none;stroke:currentColor;stroke-width:2}.bikri-heart[aria-pressed=true] svg{fill:currentColor}'
			. '.bikri-heart:focus-visible{outline:2px solid currentColor}.bikri-wishlist-alert{margin:.6em 0;display:flex;flex-wrap:wrap;gap:.4em;align-items:center}'
			. '.bikri-wishlist-alert input{max-width:11em}'
		);
		wp_enqueue_style( 'bikri-wishlist' );
	}

	/**
	 * The script deferred on WordPress before 6.3 too (the loading strategy is 6.3's; the
	 * plugin runs on 6.1).
	 *
	 * @param string $tag    The script tag.
	 * @param string $handle Its handle.
	 * @return string
	 */
	public function filter_script_loader_tag( $tag, $handle ) {
		if ( 'bikri-wishlist' !== $handle || false !== strpos( $tag, ' defer' ) ) {
			return $tag;
		}
		return str_replace( '<script ', '<script defer ', $tag );
	}

	// --- the wishlist itself ----------------------------------------------------------------

	/**
	 * A shopper's wishes.
	 *
	 * @param int $user_id User.
	 * @return int[] product id => Unix time wished, oldest first.
	 */
	public function wishes( $user_id ) {
		$stored = get_user_meta( (int) $user_id, self::META, true );
		return is_array( $stored ) ? array_map( 'intval', $stored ) : array();
	}

	/**
	 * Adds or removes products, and records an event for each one that changed.
	 *
	 * @param int   $user_id  User.
	 * @param int[] $products Product ids (checked to be products).
	 * @param bool  $wished   Add (true) or remove.
	 * @return int[] The wishes after the change.
	 */
	public function set( $user_id, array $products, $wished ) {
		$wishes  = $this->wishes( $user_id );
		$changed = array();
		foreach ( $products as $id ) {
			$id = (int) $id;
			if ( $wished && ! isset( $wishes[ $id ] ) ) {
				$wishes[ $id ] = time();
				$changed[]     = $id;
			} elseif ( ! $wished && isset( $wishes[ $id ] ) ) {
				unset( $wishes[ $id ] );
				$changed[] = $id;
			}
		}
		if ( empty( $changed ) ) {
			return $wishes;
		}
		if ( count( $wishes ) > self::MAX_ITEMS ) {
			$wishes = array_slice( $wishes, -self::MAX_ITEMS, null, true );
		}
		update_user_meta( (int) $user_id, self::META, $wishes );
		$user  = get_userdata( (int) $user_id );
		$phone = Bikri_Phone::normalise( (string) get_user_meta( (int) $user_id, 'billing_phone', true ) );
		foreach ( $changed as $id ) {
			$this->sync->record_wishlist(
				array(
					'type'         => $wished ? 'added' : 'removed',
					'product_id'   => $id,
					'variation_id' => 0,
					'user_id'      => (int) $user_id,
					'email'        => $user ? (string) $user->user_email : '',
					'phone'        => $phone,
				)
			);
		}
		return $wishes;
	}

	/**
	 * Whether an id names a product of this shop.
	 *
	 * @param int $id Post id.
	 * @return bool
	 */
	private static function is_product( $id ) {
		return $id > 0 && 'product' === get_post_type( $id );
	}

	// --- the shopper's AJAX -----------------------------------------------------------------

	/**
	 * The signed-in shopper's checks: a user who may read, then the nonce.
	 */
	private static function check_shopper() {
		if ( ! is_user_logged_in() || ! current_user_can( 'read' ) ) {
			wp_send_json_error( array( 'message' => __( 'Sign in to keep a wishlist.', 'bikri' ) ), 403 );
		}
		self::check_nonce();
	}

	/**
	 * The nonce of the page the heart is on; a stale one (a page open for a day) gets a JSON refusal.
	 */
	private static function check_nonce() {
		if ( ! check_ajax_referer( self::NONCE, 'nonce', false ) ) {
			wp_send_json_error( array( 'message' => __( 'This page has expired. Reload it and try again.', 'bikri' ) ), 403 );
		}
	}

	/**
	 * A heart pressed by a signed-in shopper: {product, wished: 1|0}.
	 */
	public function handle_toggle() {
		self::check_shopper();
		$product = isset( $_POST['product'] ) ? absint( wp_unslash( $_POST['product'] ) ) : 0;
		$wished  = isset( $_POST['wished'] ) && '1' === sanitize_text_field( wp_unslash( $_POST['wished'] ) );
		if ( ! self::is_product( $product ) ) {
			wp_send_json_error( array( 'message' => __( 'This product does not exist.', 'bikri' ) ), 400 );
		}
		$wishes = $this->set( get_current_user_id(), array( $product ), $wished );
		wp_send_json_success(
			array(
				'wished'   => isset( $wishes[ $product ] ),
				'products' => array_keys( $wishes ),
			)
		);
	}

	/**
	 * A guest's wishes from the browser, merged into the account after signing in: {products: "1,2,3"}.
	 */
	public function handle_merge() {
		self::check_shopper();
		$raw      = isset( $_POST['products'] ) ? sanitize_text_field( wp_unslash( $_POST['products'] ) ) : '';
		$products = array_slice( array_unique( array_filter( array_map( 'absint', explode( ',', $raw ) ) ) ), 0, self::MAX_ITEMS );
		$products = array_values( array_filter( $products, array( __CLASS__, 'is_product' ) ) );
		$wishes   = $this->set( get_current_user_id(), $products, true );
		wp_send_json_success( array( 'products' => array_keys( $wishes ) ) );
	}

	/**
	 * A shopper (signed in or not) asks for an SMS when a product is back in stock or cheaper:
	 * {product, phone}. Guests too, so the nonce is the check, with a cap per visitor an hour.
	 */
	public function handle_alert() {
		self::check_nonce();
		$product = isset( $_POST['product'] ) ? absint( wp_unslash( $_POST['product'] ) ) : 0;
		$phone   = Bikri_Phone::normalise( isset( $_POST['phone'] ) ? sanitize_text_field( wp_unslash( $_POST['phone'] ) ) : '' );
		if ( ! $this->enabled() || ! $this->config->wishlist_alerts() ) {
			wp_send_json_error( array( 'message' => __( 'The shop does not send these SMS now.', 'bikri' ) ), 409 );
		}
		if ( ! self::is_product( $product ) ) {
			wp_send_json_error( array( 'message' => __( 'This product does not exist.', 'bikri' ) ), 400 );
		}
		if ( '' === $phone ) {
			wp_send_json_error( array( 'message' => __( 'Write a Bangladeshi mobile number, e.g. 01711234567.', 'bikri' ) ), 400 );
		}
		$ip    = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
		$key   = 'bikri_wl_alert_' . md5( $ip );
		$asked = (int) get_transient( $key );
		if ( $asked >= self::ALERTS_PER_HOUR ) {
			wp_send_json_error( array( 'message' => __( 'Too many requests. Try again later.', 'bikri' ) ), 429 );
		}
		set_transient( $key, $asked + 1, HOUR_IN_SECONDS );
		$this->sync->record_wishlist(
			array(
				'type'         => 'subscribed',
				'product_id'   => $product,
				'variation_id' => 0,
				'user_id'      => get_current_user_id(),
				'phone'        => $phone,
			)
		);
		wp_send_json_success( array( 'message' => __( 'Done: we will send you an SMS.', 'bikri' ) ) );
	}

	// --- My Account -------------------------------------------------------------------------

	/**
	 * WooCommerce's account endpoints, with the wishlist's.
	 *
	 * @param array $vars Query var => endpoint slug.
	 * @return array
	 */
	public function filter_query_vars( $vars ) {
		$vars[ self::ENDPOINT ] = self::ENDPOINT;
		return $vars;
	}

	/**
	 * The Wishlist tab, before "Log out".
	 *
	 * @param array $items Endpoint => title.
	 * @return array
	 */
	public function filter_account_menu_items( $items ) {
		if ( ! $this->enabled() ) {
			return $items;
		}
		$logout = isset( $items['customer-logout'] ) ? array( 'customer-logout' => $items['customer-logout'] ) : array();
		unset( $items['customer-logout'] );
		$items[ self::ENDPOINT ] = __( 'Wishlist', 'bikri' );
		return $items + $logout;
	}

	/**
	 * The endpoint page's title.
	 *
	 * @return string
	 */
	public function filter_endpoint_title() {
		return __( 'Wishlist', 'bikri' );
	}

	/**
	 * The Wishlist tab: the shopper's products, each with its heart to remove it.
	 */
	public function action_account_page() {
		$user = get_current_user_id();
		$rows = array();
		foreach ( array_reverse( $this->wishes( $user ), true ) as $id => $when ) {
			$product = function_exists( 'wc_get_product' ) ? wc_get_product( $id ) : null;
			if ( $product ) {
				$rows[] = array( $id, $product );
			}
		}
		if ( empty( $rows ) ) {
			echo '<p class="bikri-wishlist-empty">' . esc_html__( 'Your wishlist is empty. Press the heart on a product to keep it here.', 'bikri' ) . '</p>';
			return;
		}
		echo '<table class="shop_table bikri-wishlist"><thead><tr><th>' . esc_html__( 'Product', 'bikri' ) . '</th><th>' . esc_html__( 'Price', 'bikri' ) . '</th><th><span class="screen-reader-text">' . esc_html__( 'Remove', 'bikri' ) . '</span></th></tr></thead><tbody>';
		foreach ( $rows as $row ) {
			list( $id, $product ) = $row;
			$price                = function_exists( 'wc_price' ) ? wc_price( $product->get_price() ) : esc_html( $product->get_price() );
			printf(
				'<tr><td><a href="%1$s">%2$s</a></td><td>%3$s</td><td>%4$s</td></tr>',
				esc_url( get_permalink( $id ) ),
				esc_html( $product->get_name() ),
				wp_kses_post( $price ),
				$this->heart( $id, 'bikri-heart-account' ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in heart().
			);
		}
		echo '</tbody></table>';
	}
}
