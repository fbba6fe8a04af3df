<?php
/**
 * Plugin Name: WooCommerce checkout STAND-IN (tests only)
 * Description: A checkout-like page at /checkout-stand-in/, a Store API checkout route firing WooCommerce's own checkout hooks, and the Checkout block's script on pages holding the block. For the browser test and the benchmark; never for a shop.
 *
 * WooCommerce cannot be installed on these machines. This page does what WooCommerce's
 * classic checkout does around Bikri: renders billing fields with the checkout form's class
 * names and the woocommerce_after_checkout_billing_form hook, and on "Place order" runs
 * woocommerce_after_checkout_validation ($data, $errors) then, without errors,
 * woocommerce_checkout_order_processed ($order_id, $data, $order). The route
 * POST wc/store/v1/checkout does what the Store API's Checkout route does: fires
 * woocommerce_store_api_checkout_update_order_from_request ($order, $request), answers a
 * RouteException as {code, message, data: {status}}, then fires
 * woocommerce_store_api_checkout_order_processed ($order).
 *
 * On any page whose content holds the woocommerce/checkout block, a stand-in of the block's
 * script (at the end of this file) draws the phone field from the block's data- attributes,
 * places the order through that route and shows a refusal through WordPress's notices store.
 * Around it, what WooCommerce Blocks gives extensions (woocommerce-blocks.php): the block's
 * IntegrationRegistry (woocommerce_blocks_checkout_block_registration, the integrations' scripts
 * enqueued and their data in wcSettings), the wc-settings and wc-blocks-checkout scripts
 * (wc.wcSettings.getSetting, wc.blocksCheckout.ExperimentalOrderMeta made with WordPress's own
 * createSlotFill, extensionCartUpdate), the Store API's GET wc/store/v1/cart and POST
 * wc/store/v1/cart/extensions (the namespace's update callback, then the cart with its fees and
 * "extensions"), and an order summary drawn with WordPress's React (wp.element) that renders
 * the ExperimentalOrderMeta slot and the 'woocommerce-checkout' PluginArea, redrawn from each
 * cart the Store API answers.
 *
 * It also gives every visitor WooCommerce's cart and session (woocommerce-cart.php): the
 * session kept per visitor cookie, as WooCommerce's is, so the page and its admin-ajax calls
 * share it; the cart holds one saree. The order review totals the cart with its fees through
 * woocommerce_cart_calculate_fees, and is redrawn on jQuery's update_checkout event on
 * document.body (from /checkout-stand-in/?standin_review=1), as WooCommerce's
 * update_order_review does. And it prints the checkout's privacy text through
 * woocommerce_get_privacy_policy_text, as WooCommerce's checkout/terms.php does.
 *
 * Installed as a must-use plugin by tests/e2e/conftest.py and bench/otp.py, with
 * woocommerce-checkout.php and woocommerce-cart.php (the class stand-ins) next to it in
 * bikri-stand-ins/.
 *
 * @package Bikri
 */

use Automattic\WooCommerce\StoreApi\Exceptions\RouteException;

require_once __DIR__ . '/bikri-stand-ins/woocommerce-checkout.php';
require_once __DIR__ . '/bikri-stand-ins/woocommerce-cart.php';
require_once __DIR__ . '/bikri-stand-ins/woocommerce-blocks.php';

const BIKRI_STAND_IN_PATH = '/checkout-stand-in/';
const BIKRI_STAND_IN_SESSION_COOKIE = 'standin_wc_session';

/**
 * Whether this request is for the stand-in checkout page.
 *
 * @return bool
 */
function bikri_stand_in_is_checkout_page() {
	$path = isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_parse_url( sanitize_text_field( wp_unslash( $_SERVER['REQUEST_URI'] ) ), PHP_URL_PATH ) : '';
	return BIKRI_STAND_IN_PATH === $path;
}

add_filter(
	'woocommerce_is_checkout',
	static function ( $is_checkout ) {
		return $is_checkout || bikri_stand_in_is_checkout_page();
	}
);

/**
 * Opens the visitor's WooCommerce session and cart: the session's values live in a transient
 * named after the visitor's cookie, saved when the request ends.
 *
 * @param string $visitor The visitor's cookie.
 */
function bikri_stand_in_open_session( $visitor ) {
	WC()->session       = new WC_Session_Handler();
	WC()->session->data = (array) get_transient( 'standin_wc_session_' . $visitor );
	WC()->cart          = new WC_Cart();
	WC()->cart->cart_contents = array(
		'line-1' => array(
			'product_id' => 101,
			'quantity'   => 1,
			'line_total' => '4500',
			'data'       => new Bikri_Stand_In_Product( 'Jamdani Saree' ),
		),
	);
	WC()->cart->total = '4560.00';
	add_action(
		'shutdown',
		static function () use ( $visitor ) {
			set_transient( 'standin_wc_session_' . $visitor, WC()->session->data, DAY_IN_SECONDS );
		}
	);
}

/**
 * A new visitor's cookie, set on this answer.
 *
 * @return string
 */
function bikri_stand_in_new_visitor() {
	$visitor = bin2hex( random_bytes( 16 ) );
	setcookie( BIKRI_STAND_IN_SESSION_COOKIE, $visitor, 0, '/' );
	return $visitor;
}

/**
 * The visitor's session for every request carrying its cookie (pages, admin-ajax, the Store
 * API); the stand-in checkout page starts one.
 */
add_action(
	'init',
	static function () {
		$visitor = isset( $_COOKIE[ BIKRI_STAND_IN_SESSION_COOKIE ] ) ? preg_replace( '/[^a-f0-9]/', '', sanitize_text_field( wp_unslash( $_COOKIE[ BIKRI_STAND_IN_SESSION_COOKIE ] ) ) ) : '';
		if ( 32 !== strlen( $visitor ) ) {
			if ( ! bikri_stand_in_is_checkout_page() ) {
				return;
			}
			$visitor = bikri_stand_in_new_visitor();
		}
		bikri_stand_in_open_session( $visitor );
	}
);

/**
 * A page holding the Checkout block starts a session too (known only once the page is queried).
 */
add_action(
	'template_redirect',
	static function () {
		if ( is_object( WC()->session ) || ! is_singular() || ! has_block( 'woocommerce/checkout', get_queried_object() ) ) {
			return;
		}
		bikri_stand_in_open_session( bikri_stand_in_new_visitor() );
	},
	0
);

/**
 * WooCommerce Blocks is loaded (with the plugins), as WooCommerce fires it.
 */
add_action(
	'plugins_loaded',
	static function () {
		do_action( 'woocommerce_blocks_loaded' );
	}
);

/**
 * WooCommerce's classic checkout script (jQuery) redraws the order review on update_checkout.
 */
add_action(
	'wp_enqueue_scripts',
	static function () {
		if ( ! bikri_stand_in_is_checkout_page() ) {
			return;
		}
		wp_enqueue_script( 'jquery' );
		wp_add_inline_script(
			'jquery',
			'jQuery( function ( $ ) { $( document.body ).on( "update_checkout", function () { $.get( ' . wp_json_encode( home_url( BIKRI_STAND_IN_PATH . '?standin_review=1' ) ) . ', function ( html ) { $( "#order_review_wrap" ).html( html ); $( document.body ).trigger( "updated_checkout" ); } ); } ); } );'
		);
	}
);

/**
 * The next stand-in order id.
 *
 * @return int
 */
function bikri_stand_in_next_order_id() {
	$id = (int) get_option( 'standin_wc_last_order_id', 1000 ) + 1;
	update_option( 'standin_wc_last_order_id', $id, false );
	return $id;
}

/**
 * The order review: the cart's line, its fees (woocommerce_cart_calculate_fees) and the total.
 */
function bikri_stand_in_review() {
	WC()->cart->fees = array();
	do_action( 'woocommerce_cart_calculate_fees', WC()->cart );
	$total = (float) WC()->cart->total;
	?>
<table id="order_review" class="shop_table woocommerce-checkout-review-order-table">
	<tr class="cart_item"><td>Jamdani Saree × 1</td><td>4500.00</td></tr>
	<tr class="shipping"><td>Shipping</td><td>60.00</td></tr>
	<?php foreach ( WC()->cart->get_fees() as $fee ) : ?>
		<?php $total += $fee->amount; ?>
	<tr class="fee" data-fee="<?php echo esc_attr( $fee->id ); ?>"><td><?php echo esc_html( $fee->name ); ?></td><td><?php echo esc_html( number_format( $fee->amount, 2, '.', '' ) ); ?></td></tr>
	<?php endforeach; ?>
	<tr class="order-total"><td>Total</td><td class="order-total-amount"><?php echo esc_html( number_format( $total, 2, '.', '' ) ); ?></td></tr>
</table>
	<?php
}

/**
 * The Store API's cart (the fields the stand-in block reads): the fees from
 * woocommerce_cart_calculate_fees and the total, in the currency's minor unit as the Store API
 * gives prices, and each namespace's data under "extensions".
 *
 * @return array
 */
function bikri_stand_in_store_cart() {
	WC()->cart->fees = array();
	do_action( 'woocommerce_cart_calculate_fees', WC()->cart );
	$total = (float) WC()->cart->total;
	$fees  = array();
	foreach ( WC()->cart->get_fees() as $fee ) {
		$total += $fee->amount;
		$fees[] = array(
			'key'    => $fee->id,
			'name'   => $fee->name,
			'totals' => array(
				'total'     => (string) round( $fee->amount * 100 ),
				'total_tax' => '0',
			),
		);
	}
	return array(
		'fees'       => $fees,
		'totals'     => array(
			'total_price'         => (string) round( $total * 100 ),
			'currency_minor_unit' => 2,
		),
		'extensions' => \Bikri\Tests\Store_Api::extensions( 'cart' ),
	);
}

/**
 * Prints the checkout page: the form, or the order received.
 *
 * @param array         $values Field values to show again.
 * @param WP_Error|null $errors Errors to show.
 * @param WC_Order|null $order  The order placed.
 */
function bikri_stand_in_render( array $values, $errors = null, $order = null ) {
	$fields = array(
		'billing_first_name' => array( 'First name', 'text' ),
		'billing_last_name'  => array( 'Last name', 'text' ),
		'billing_phone'      => array( 'Phone', 'tel' ),
		'billing_email'      => array( 'Email address', 'email' ),
		'billing_address_1'  => array( 'Street address', 'text' ),
		'billing_city'       => array( 'Town / City', 'text' ),
		'billing_postcode'   => array( 'Postcode', 'text' ),
	);
	?>
<!DOCTYPE html>
<html <?php language_attributes(); ?>>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Checkout (stand-in)</title>
<style>body{font:16px/1.5 sans-serif;margin:0 auto;max-width:40em;padding:1em}.form-row{margin:0 0 .8em}.form-row label{display:block}.form-row input,.form-row select,.form-row textarea{width:100%;box-sizing:border-box;padding:.4em}.form-row input[type=checkbox]{width:auto}.woocommerce-error{color:#b32d2e}</style>
	<?php wp_head(); ?>
</head>
<body class="woocommerce-checkout">
<h1>Checkout</h1>
<p class="stand-in-note">WooCommerce checkout stand-in: WooCommerce's hooks, not WooCommerce.</p>
	<?php if ( $order ) : ?>
<div class="woocommerce-order" id="order-received" data-order-id="<?php echo esc_attr( $order->get_id() ); ?>" data-otp="<?php echo esc_attr( $order->get_meta( '_bikri_otp' ) ); ?>" data-loyalty-hold="<?php echo esc_attr( $order->get_meta( '_bikri_loyalty_hold' ) ); ?>">
	<p>Order #<?php echo esc_html( $order->get_id() ); ?> received.</p>
	<ul id="order-notes"><?php foreach ( $order->notes as $note ) : ?><li><?php echo esc_html( $note ); ?></li><?php endforeach; ?></ul>
</div>
	<?php else : ?>
		<?php if ( $errors && $errors->has_errors() ) : ?>
<ul class="woocommerce-error" role="alert">
			<?php foreach ( $errors->get_error_codes() as $code ) : ?>
	<li data-code="<?php echo esc_attr( $code ); ?>"><?php echo wp_kses_post( $errors->get_error_message( $code ) ); ?></li>
			<?php endforeach; ?>
</ul>
		<?php endif; ?>
<form name="checkout" method="post" class="checkout woocommerce-checkout" action="<?php echo esc_url( home_url( BIKRI_STAND_IN_PATH ) ); ?>">
		<?php foreach ( $fields as $name => $field ) : ?>
	<p class="form-row" id="<?php echo esc_attr( $name ); ?>_field"><label for="<?php echo esc_attr( $name ); ?>"><?php echo esc_html( $field[0] ); ?></label>
		<input type="<?php echo esc_attr( $field[1] ); ?>" class="input-text" name="<?php echo esc_attr( $name ); ?>" id="<?php echo esc_attr( $name ); ?>" value="<?php echo esc_attr( isset( $values[ $name ] ) ? $values[ $name ] : '' ); ?>"></p>
		<?php endforeach; ?>
	<p class="form-row"><label for="billing_state">District</label>
		<select name="billing_state" id="billing_state"><option value="BD-13">Dhaka</option><option value="BD-10">Chattogram</option></select></p>
	<p class="form-row"><label for="order_comments">Order notes</label><textarea name="order_comments" id="order_comments" rows="2"></textarea></p>
		<?php do_action( 'woocommerce_after_checkout_billing_form', null ); ?>
	<div class="woocommerce-privacy-policy-text"><p><?php echo wp_kses_post( apply_filters( 'woocommerce_get_privacy_policy_text', 'Your personal data will be used to process your order, support your experience throughout this website, and for other purposes described in our privacy policy.', 'checkout' ) ); ?></p></div>
	<div id="order_review_wrap"><?php bikri_stand_in_review(); ?></div>
	<p class="form-row"><label><input type="checkbox" name="terms" id="terms" value="1"> I agree to the terms</label></p>
		<?php wp_nonce_field( 'woocommerce-process_checkout', 'woocommerce-process-checkout-nonce' ); ?>
	<button type="submit" class="button alt" name="woocommerce_checkout_place_order" id="place_order" value="Place order">Place order</button>
</form>
	<?php endif; ?>
	<?php wp_footer(); ?>
</body>
</html>
	<?php
}

add_action(
	'template_redirect',
	static function () {
		if ( ! bikri_stand_in_is_checkout_page() ) {
			return;
		}
		status_header( 200 );
		nocache_headers();
		if ( isset( $_GET['standin_review'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a read, as WooCommerce's update_order_review.
			bikri_stand_in_review();
			exit;
		}
		if ( 'POST' !== ( isset( $_SERVER['REQUEST_METHOD'] ) ? $_SERVER['REQUEST_METHOD'] : 'GET' ) ) { // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared with a constant.
			bikri_stand_in_render( array() );
			exit;
		}
		$errors = new WP_Error();
		if ( ! isset( $_POST['woocommerce-process-checkout-nonce'] ) || ! wp_verify_nonce( sanitize_text_field( wp_unslash( $_POST['woocommerce-process-checkout-nonce'] ) ), 'woocommerce-process_checkout' ) ) {
			$errors->add( 'invalid_nonce', 'We were unable to process your order, please try again.' );
		}
		// As WC_Checkout::get_posted_data(): the billing fields, cleaned.
		$data = array();
		foreach ( array( 'billing_first_name', 'billing_last_name', 'billing_phone', 'billing_email', 'billing_address_1', 'billing_city', 'billing_postcode', 'billing_state', 'order_comments' ) as $key ) {
			$data[ $key ] = isset( $_POST[ $key ] ) ? sanitize_text_field( wp_unslash( $_POST[ $key ] ) ) : '';
		}
		if ( ! $errors->has_errors() ) {
			do_action( 'woocommerce_after_checkout_validation', $data, $errors );
		}
		if ( $errors->has_errors() ) {
			bikri_stand_in_render( $data, $errors );
			exit;
		}
		$order = new WC_Order( bikri_stand_in_next_order_id() );
		$order->set_billing_phone( $data['billing_phone'] );
		$order->set_billing_email( $data['billing_email'] );
		$order->set_status( 'processing' );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), $data, $order );
		bikri_stand_in_render( $data, null, $order );
		exit;
	},
	1
);

add_action(
	'rest_api_init',
	static function () {
		register_rest_route(
			'wc/store/v1',
			'/checkout',
			array(
				'methods'             => 'POST',
				'permission_callback' => '__return_true',
				'callback'            => static function ( WP_REST_Request $request ) {
					$billing = is_array( $request['billing_address'] ) ? $request['billing_address'] : array();
					$order   = new WC_Order( bikri_stand_in_next_order_id() );
					$order->set_billing_phone( isset( $billing['phone'] ) ? (string) $billing['phone'] : '' );
					$order->set_billing_email( isset( $billing['email'] ) ? (string) $billing['email'] : '' );
					$order->set_status( 'checkout-draft' );
					try {
						do_action( 'woocommerce_store_api_checkout_update_order_from_request', $order, $request );
					} catch ( RouteException $error ) {
						return new WP_Error( $error->getErrorCode(), $error->getMessage(), array( 'status' => $error->getCode() ) );
					}
					do_action( 'woocommerce_store_api_checkout_order_processed', $order );
					return array(
						'order_id'           => $order->get_id(),
						'status'             => 'processing',
						'bikri_otp'          => $order->get_meta( '_bikri_otp' ),
						'bikri_loyalty_hold' => $order->get_meta( '_bikri_loyalty_hold' ),
						'notes'              => $order->notes,
					);
				},
			)
		);
		// The Store API's cart, and its cart/extensions route (ExtendSchema's update callbacks).
		register_rest_route(
			'wc/store/v1',
			'/cart',
			array(
				'methods'             => 'GET',
				'permission_callback' => '__return_true',
				'callback'            => 'bikri_stand_in_store_cart',
			)
		);
		register_rest_route(
			'wc/store/v1',
			'/cart/extensions',
			array(
				'methods'             => 'POST',
				'permission_callback' => '__return_true',
				'callback'            => static function ( WP_REST_Request $request ) {
					$data   = is_array( $request['data'] ) ? $request['data'] : array();
					$answer = \Bikri\Tests\Store_Api::cart_extensions( (string) $request['namespace'], $data );
					return is_wp_error( $answer ) ? $answer : bikri_stand_in_store_cart();
				},
			)
		);
	}
);

/**
 * The test sites' blank theme prints no content: a page holding the Checkout block is printed
 * as a classic theme prints a page (wp_head, the content through the_content, wp_footer).
 */
add_action(
	'template_redirect',
	static function () {
		if ( ! is_singular() || ! has_block( 'woocommerce/checkout', get_queried_object() ) ) {
			return;
		}
		?>
<!DOCTYPE html>
<html <?php language_attributes(); ?>>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title><?php echo esc_html( get_the_title() ); ?></title>
<style>body{font:16px/1.5 sans-serif;margin:0 auto;max-width:40em;padding:1em}.wc-block-components-text-input{margin:0 0 .8em}.wc-block-components-text-input label{display:block}.wc-block-components-text-input input{width:100%;box-sizing:border-box;padding:.4em}.wc-block-components-notice-banner.is-error{border:1px solid #b32d2e;background:#fcf0f1;color:#b32d2e;padding:.6em;margin:0 0 1em}</style>
		<?php wp_head(); ?>
</head>
<body <?php body_class(); ?>>
<h1><?php echo esc_html( get_the_title() ); ?></h1>
		<?php
		while ( have_posts() ) {
			the_post();
			the_content();
		}
		wp_footer();
		?>
</body>
</html>
		<?php
		exit;
	},
	2
);

/**
 * The Checkout block's script, STAND-IN. On a page whose content holds the woocommerce/checkout
 * block (rendered by WordPress, with its data- attributes from woocommerce-checkout.php), it
 * does what WooCommerce Blocks' checkout script does around Bikri: reads the block's
 * data-show-phone-field and data-require-phone-field to show the phone field, labelled
 * "Phone (optional)" unless required; places the order through the Store API checkout route
 * above; and shows a refused order's error as WooCommerce's processErrorResponse() does, through
 * WordPress's own notices store (core/notices, from the real wp-notices script): a notice with
 * the error's code as its id, in the 'wc/checkout' context, drawn as a red banner. Placing the
 * order again first clears the checkout's notices, as the block does.
 */
add_action(
	'wp_enqueue_scripts',
	static function () {
		if ( ! is_singular() || ! has_block( 'woocommerce/checkout', get_queried_object() ) ) {
			return;
		}
		// WooCommerce Blocks' scripts for extensions: wcSettings, and the checkout's slots and cart update.
		$registry = new \Automattic\WooCommerce\Blocks\Integrations\IntegrationRegistry();
		$registry->initialize( 'checkout_block' );
		wp_register_script( 'wc-settings', false, array(), '1', true );
		wp_add_inline_script( 'wc-settings', 'window.wc = window.wc || {}; ( function ( data ) { window.wc.wcSettings = { getSetting: function ( name, fallback ) { return Object.prototype.hasOwnProperty.call( data, name ) ? data[ name ] : fallback; } }; }( ' . wp_json_encode( (object) $registry->get_all_registered_script_data() ) . ' ) );' );
		wp_register_script( 'wc-blocks-checkout', false, array( 'wp-element', 'wp-components' ), '1', true );
		wp_add_inline_script( 'wc-blocks-checkout', 'var standInStoreApi = ' . wp_json_encode( array( 'cart' => home_url( '/?rest_route=/wc/store/v1/cart' ), 'extensions' => home_url( '/?rest_route=/wc/store/v1/cart/extensions' ) ) ) . ';' . <<<'JS'
( function () {
	var el = wp.element.createElement;
	var listeners = [];
	// The cart store: the block redraws from each cart the Store API answers.
	window.standInCart = {
		data: null,
		receive: function ( cart ) {
			this.data = cart;
			listeners.forEach( function ( listener ) {
				listener( cart );
			} );
		},
		subscribe: function ( listener ) {
			listeners.push( listener );
			return function () {
				listeners.splice( listeners.indexOf( listener ), 1 );
			};
		}
	};
	var orderMeta = wp.components.createSlotFill( '__experimentalOrderMeta' );
	function ExperimentalOrderMeta( props ) {
		return el( orderMeta.Fill, null, function ( fillProps ) {
			return wp.element.cloneElement( props.children, fillProps );
		} );
	}
	ExperimentalOrderMeta.Slot = function ( props ) {
		return el( orderMeta.Slot, { fillProps: props } );
	};
	window.wc = window.wc || {};
	window.wc.blocksCheckout = {
		ExperimentalOrderMeta: ExperimentalOrderMeta,
		// As WooCommerce 7.x: the new cart received into the store and resolved, an error rejected.
		extensionCartUpdate: function ( args ) {
			return window.fetch( standInStoreApi.extensions, {
				method: 'POST',
				credentials: 'same-origin',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify( { namespace: args.namespace, data: args.data } )
			} ).then( function ( response ) {
				return response.json().then( function ( body ) {
					if ( ! response.ok ) {
						return Promise.reject( body );
					}
					window.standInCart.receive( body );
					return body;
				} );
			} );
		}
	};
}() );
JS
		);
		foreach ( $registry->get_all_registered_script_handles() as $handle ) {
			wp_enqueue_script( $handle );
		}

		wp_register_script( 'bikri-stand-in-checkout-block', false, array( 'wp-data', 'wp-notices', 'wp-element', 'wp-components', 'wp-plugins', 'wc-blocks-checkout' ), '1', true );
		wp_enqueue_script( 'bikri-stand-in-checkout-block' );
		wp_add_inline_script( 'bikri-stand-in-checkout-block', 'var standInCheckout = ' . wp_json_encode( array( 'route' => home_url( '/?rest_route=/wc/store/v1/checkout' ) ) ) . ';' . <<<'JS'
( function () {
	var root = document.querySelector( '.wp-block-woocommerce-checkout' );
	if ( ! root ) {
		return;
	}
	var CONTEXT = 'wc/checkout';
	var notices = wp.data.select( 'core/notices' );
	var actions = wp.data.dispatch( 'core/notices' );
	var required = root.dataset.requirePhoneField === 'true';
	var showPhone = root.dataset.showPhoneField !== 'false';
	root.classList.remove( 'is-loading' );
	root.innerHTML = '<div class="wc-block-components-notices"></div>' +
		'<div class="wc-block-components-text-input"><label for="email">Email address</label><input type="email" id="email" value="shopper@example.com"></div>' +
		( showPhone ? '<div class="wc-block-components-text-input"><label for="billing-phone">' + ( required ? 'Phone' : 'Phone (optional)' ) + '</label>' +
			'<input type="tel" id="billing-phone" autocomplete="tel"' + ( required ? ' required aria-required="true"' : '' ) + '></div>' : '' ) +
		'<div class="wc-block-components-sidebar"></div>' +
		'<button type="button" class="wc-block-components-checkout-place-order-button">Place Order</button>' +
		'<div class="wc-block-order-received" hidden></div>';
	var banners = root.querySelector( '.wc-block-components-notices' );
	// The order summary (React): fees, total, the ExperimentalOrderMeta slot, the plugins' area.
	var el = wp.element.createElement;
	function money( cart, amount ) {
		return ( Number( amount ) / Math.pow( 10, cart.totals.currency_minor_unit ) ).toFixed( 2 );
	}
	function Summary() {
		var state = wp.element.useState( window.standInCart.data );
		wp.element.useEffect( function () {
			return window.standInCart.subscribe( state[ 1 ] );
		}, [] );
		var cart = state[ 0 ];
		if ( ! cart ) {
			return null;
		}
		return el( 'div', { className: 'wc-block-components-order-summary' },
			cart.fees.map( function ( fee ) {
				return el( 'div', { key: fee.key, className: 'wc-block-components-totals-item wc-block-components-totals-fees' },
					el( 'span', { className: 'wc-block-components-totals-item__label' }, fee.name ),
					' ',
					el( 'span', { className: 'wc-block-components-totals-item__value' }, money( cart, fee.totals.total ) ) );
			} ),
			el( 'div', { className: 'wc-block-components-totals-item wc-block-components-totals-footer-item' },
				el( 'span', { className: 'wc-block-components-totals-item__label' }, 'Total' ),
				' ',
				el( 'span', { className: 'wc-block-components-totals-footer-item-tax-value' }, money( cart, cart.totals.total_price ) ) ),
			el( window.wc.blocksCheckout.ExperimentalOrderMeta.Slot, { cart: cart, extensions: cart.extensions, context: 'woocommerce/checkout' } ) );
	}
	wp.element.render(
		el( wp.components.SlotFillProvider, null, el( Summary ), el( wp.plugins.PluginArea, { scope: 'woocommerce-checkout' } ) ),
		root.querySelector( '.wc-block-components-sidebar' )
	);
	window.fetch( standInStoreApi.cart, { credentials: 'same-origin' } ).then( function ( response ) {
		return response.json();
	} ).then( function ( cart ) {
		window.standInCart.receive( cart );
	} );
	function draw() {
		banners.innerHTML = '';
		notices.getNotices( CONTEXT ).forEach( function ( notice ) {
			var banner = document.createElement( 'div' );
			banner.className = 'wc-block-components-notice-banner is-' + notice.status;
			banner.setAttribute( 'role', 'alert' );
			banner.setAttribute( 'data-id', notice.id );
			banner.textContent = notice.content;
			banners.appendChild( banner );
		} );
	}
	wp.data.subscribe( draw );
	draw();
	root.querySelector( '.wc-block-components-checkout-place-order-button' ).addEventListener( 'click', function () {
		notices.getNotices( CONTEXT ).forEach( function ( notice ) {
			actions.removeNotice( notice.id, CONTEXT );
		} );
		var phone = root.querySelector( '#billing-phone' );
		window.fetch( standInCheckout.route, {
			method: 'POST',
			credentials: 'same-origin',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify( {
				billing_address: { phone: phone ? phone.value : '', email: root.querySelector( '#email' ).value },
				payment_method: 'cod'
			} )
		} ).then( function ( response ) {
			return response.json().then( function ( body ) {
				if ( ! response.ok ) {
					actions.createNotice( 'error', body.message, { id: body.code, context: CONTEXT, isDismissible: true } );
					return;
				}
				var received = root.querySelector( '.wc-block-order-received' );
				received.hidden = false;
				received.setAttribute( 'data-order-id', body.order_id );
				received.setAttribute( 'data-otp', body.bikri_otp );
				received.setAttribute( 'data-loyalty-hold', body.bikri_loyalty_hold || '' );
				received.textContent = 'Order #' + body.order_id + ' received.';
			} );
		} );
	} );
}() );
JS
		);
	}
);
