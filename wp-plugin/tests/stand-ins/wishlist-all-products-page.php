<?php
/**
 * Plugin Name: WooCommerce All Products block STAND-IN for the wishlist (tests only)
 * Description: A page at /wishlist-all-products-stand-in/ holding an All Products block, and a script that draws the block's products in the browser as WooCommerce's does. For the wishlist's browser test; never for a shop.
 *
 * The page's content is the block as the editor saves it, rendered by do_blocks() (so the
 * render_block filters run as on a real page). WooCommerce is not installed here: the script
 * below stands in for the block's front-end script. Like it, it draws after the page has loaded
 * (the real block waits for a Store API request), first the loading placeholders, then the
 * products, replacing the saved wrapper's content; then it fires the block's "product list
 * rendered" action through wp.hooks (dispatchStoreEvent, from a useEffect: after the DOM changed).
 * With ?early=1 it draws and fires while the page is still being parsed, before the wishlist's
 * deferred script runs (a block whose products came without waiting).
 *
 * The markup is the shape of WooCommerce's client-side output, from the WooCommerce sources
 * (woocommerce/woocommerce, plugins/woocommerce/client/blocks, WooCommerce 9.x to 10.x):
 * blocks/products/all-products/block.tsx (parentClassName wc-block-grid), base/components/
 * product-list/product-list.tsx (div.wc-block-grid.has-N-columns > ul.wc-block-grid__products,
 * items keyed by product id), product-list-item/index.tsx (li.wc-block-grid__product.wc-block-layout,
 * is-loading while empty), and atomic/blocks/product-elements image, title, price and button
 * block.tsx (the image and the title link to the permalink; the add-to-cart button carries no
 * product id). The items' default layout: image, title, price, button.
 *
 * Installed as a must-use plugin by tests/e2e/test_wishlist_all_products.py; the product ids are
 * in the bikri_stand_in_all_products option.
 *
 * @package Bikri
 */

add_action(
	'template_redirect',
	static function () {
		$path = isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_parse_url( wp_unslash( $_SERVER['REQUEST_URI'] ), PHP_URL_PATH ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
		if ( '/wishlist-all-products-stand-in/' !== $path ) {
			return;
		}
		$products = array();
		foreach ( (array) get_option( 'bikri_stand_in_all_products', array() ) as $id ) {
			$products[] = array(
				'id'        => (int) $id,
				'name'      => get_the_title( $id ),
				'permalink' => get_permalink( $id ),
			);
		}
		$early = isset( $_GET['early'] ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a test switch.
		wp_enqueue_script( 'wp-hooks' ); // A dependency of the block's script.
		$saved = '<!-- wp:woocommerce/all-products {"columns":2,"rows":1} --><div class="wp-block-woocommerce-all-products wc-block-all-products" data-attributes="{&quot;columns&quot;:2,&quot;rows&quot;:1}"></div><!-- /wp:woocommerce/all-products -->';
		$html  = do_blocks( $saved );
		status_header( 200 );
		nocache_headers();
		?><!doctype html>
<html <?php language_attributes(); ?>>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title><?php wp_head(); ?></head>
<body>
<main><h1>Shop</h1>
<?php echo $html; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the saved block. ?>
</main>
<?php wp_footer(); ?>
<script>
( function () {
	var products = <?php echo wp_json_encode( $products ); ?>;
	var perPage = 2;
	var root = document.querySelector( '.wp-block-woocommerce-all-products' );
	var list = null;
	var inCart = {};

	function esc( text ) {
		var span = document.createElement( 'span' );
		span.textContent = text;
		return span.innerHTML;
	}

	function button( product ) {
		var div = document.createElement( 'div' );
		div.className = 'wp-block-button wc-block-components-product-button wc-block-grid__product-add-to-cart';
		div.innerHTML = '<button class="wp-block-button__link wp-element-button add_to_cart_button wc-block-components-product-button__button" aria-label="Add to cart: &ldquo;' + esc( product.name ) + '&rdquo;">' + ( inCart[ product.id ] ? inCart[ product.id ] + ' in cart' : 'Add to cart' ) + '</button>';
		return div;
	}

	function item( product ) {
		var li = document.createElement( 'li' );
		if ( ! product ) {
			li.className = 'wc-block-grid__product wc-block-layout is-loading';
			li.setAttribute( 'aria-hidden', 'true' );
			li.innerHTML = '<div class="wc-block-components-product-image wc-block-components-product-image--aspect-ratio-auto wc-block-grid__product-image"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt=""></div><h3 class="wc-block-components-product-title wc-block-grid__product-title"></h3>'
				+ '<div class="wp-block-button wc-block-components-product-button wc-block-grid__product-add-to-cart"><button class="wp-block-button__link wp-element-button add_to_cart_button wc-block-components-product-button__button wc-block-components-product-button__button--placeholder" disabled>Add to cart</button></div>';
			return li;
		}
		li.className = 'wc-block-grid__product wc-block-layout';
		li.setAttribute( 'aria-hidden', 'false' );
		li.innerHTML = '<div class="wc-block-components-product-image wc-block-components-product-image--aspect-ratio-auto wc-block-grid__product-image"><a href="' + esc( product.permalink ) + '" aria-label="Link to ' + esc( product.name ) + '"><img data-testid="product-image" alt="' + esc( product.name ) + '" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></a></div>'
			+ '<h3 class="wc-block-components-product-title wc-block-grid__product-title"><a class="wc-block-components-product-name" href="' + esc( product.permalink ) + '">' + esc( product.name ) + '</a></h3>'
			+ '<div class="wc-block-components-product-price wc-block-grid__product-price"><span class="wc-block-formatted-money-amount wc-block-components-formatted-money-amount wc-block-components-product-price__value">৳ 1,500.00</span></div>';
		li.appendChild( button( product ) );
		return li;
	}

	// React's commit: the wrapper's content replaced on the first draw, the items after.
	function draw( shown ) {
		if ( ! list ) {
			root.innerHTML = '<div class="wc-block-components-notices"></div><div class="wc-block-grid has-2-columns"><ul class="wc-block-grid__products"></ul></div>';
			list = root.querySelector( 'ul' );
		}
		list.innerHTML = '';
		( shown.length ? shown : [ null, null ] ).forEach( function ( product ) {
			list.appendChild( item( product ) );
		} );
		window.wp.hooks.doAction( 'experimental__woocommerce_blocks-product-list-render', { products: shown, listName: 'woocommerce/all-products' } );
	}

	function page( number ) {
		draw( [] );
		draw( products.slice( ( number - 1 ) * perPage, number * perPage ) );
	}

	window.standInAllProducts = {
		page: page,
		// A re-render of the same items (React keeps the li, changes the button's text).
		addToCart: function ( id ) {
			inCart[ id ] = ( inCart[ id ] || 0 ) + 1;
			Array.prototype.forEach.call( list.children, function ( li ) {
				var link = li.querySelector( 'a' );
				products.forEach( function ( product ) {
					if ( link && link.getAttribute( 'href' ) === product.permalink && product.id === id ) {
						li.replaceChild( button( product ), li.querySelector( '.wc-block-components-product-button' ) );
					}
				} );
			} );
		},
	};

	<?php if ( $early ) : ?>
	page( 1 );
	<?php else : ?>
	window.addEventListener( 'load', function () {
		draw( [] );
		window.setTimeout( function () {
			draw( products.slice( 0, perPage ) );
		}, 300 );
	} );
	<?php endif; ?>
}() );
</script>
</body>
</html>
		<?php
		exit;
	},
	1
);
