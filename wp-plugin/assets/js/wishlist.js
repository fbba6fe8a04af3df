/**
 * Bikri wishlist hearts (U3). Loaded deferred, only on pages that show a heart.
 *
 * A guest's wishes stay in this browser (localStorage); a signed-in shopper's are saved in the
 * account (admin-ajax, with the nonce), and whatever the browser kept as a guest is merged into
 * the account on the first page after signing in. The SMS alert box asks for a phone and sends
 * it the same way. A failed save puts the heart back as it was.
 *
 * The All Products block draws its products in the browser, so its hearts are drawn here: a
 * MutationObserver on each block puts the heart at the end of every product item it draws (and
 * again when it draws them anew: another page, another sort). The item's markup names no product
 * id, so the id comes from the block's own "product list rendered" action (wp.hooks), which
 * carries the Store API products it fetched: an item is matched by its product link. A line
 * printed just before this script listens from the start and keeps what came before it ran.
 */
( function () {
	'use strict';
	var cfg = window.bikriWishlist;
	if ( ! cfg || ! window.fetch ) {
		return;
	}
	var KEY = 'bikri_wishlist';
	var MAX = 200;

	function read() {
		try {
			var list = JSON.parse( window.localStorage.getItem( KEY ) || '[]' );
			return Array.isArray( list ) ? list.map( String ) : [];
		} catch ( e ) {
			return [];
		}
	}

	function write( list ) {
		try {
			if ( list.length ) {
				window.localStorage.setItem( KEY, JSON.stringify( list.slice( -MAX ) ) );
			} else {
				window.localStorage.removeItem( KEY );
			}
		} catch ( e ) {}
	}

	function post( action, data ) {
		var body = new window.FormData();
		body.append( 'action', action );
		body.append( 'nonce', cfg.nonce );
		Object.keys( data ).forEach( function ( name ) {
			body.append( name, data[ name ] );
		} );
		return window.fetch( cfg.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body } )
			.then( function ( response ) {
				return response.json();
			} );
	}

	function hearts() {
		return Array.prototype.slice.call( document.querySelectorAll( '.bikri-heart' ) );
	}

	function show( heart, wished ) {
		heart.setAttribute( 'aria-pressed', wished ? 'true' : 'false' );
	}

	function showAll( products ) {
		hearts().forEach( function ( heart ) {
			show( heart, products.indexOf( heart.getAttribute( 'data-product' ) ) >= 0 );
		} );
	}

	// A signed-in shopper's wishes as the page was built, kept up to date here: the hearts this
	// script draws later (All Products) read them.
	var accountList = ( cfg.wished || [] ).map( String );

	function wishedNow() {
		return cfg.loggedIn ? accountList : read();
	}

	var guestList = read();
	if ( ! cfg.loggedIn ) {
		showAll( guestList );
	} else if ( guestList.length ) {
		post( 'bikri_wishlist_merge', { products: guestList.join( ',' ) } ).then( function ( answer ) {
			if ( answer && answer.success ) {
				write( [] );
				accountList = answer.data.products.map( String );
				showAll( accountList );
			}
		} ).catch( function () {} );
	}

	// --- the All Products block ---------------------------------------------------------------

	var BLOCK = '.wp-block-woocommerce-all-products';
	var ITEM = '.wc-block-grid__product';
	var SVG = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path d="M12 21s-7.4-4.5-9.5-9.1C1 8.5 3.1 4.5 6.8 4.5c2.1 0 3.7 1.1 4.6 2.7h1.2c.9-1.6 2.5-2.7 4.6-2.7 3.7 0 5.8 4 4.3 7.4C19.4 16.5 12 21 12 21z"/></svg>';
	var idByLink = {};

	function linkKey( url ) {
		try {
			var link = new window.URL( url, window.location.href );
			return link.origin + link.pathname.replace( /\/+$/, '' ) + link.search;
		} catch ( e ) {
			return '';
		}
	}

	// A "product list rendered" action: its products' ids by their links, then the hearts.
	function learn( event ) {
		( ( event && event.products ) || [] ).forEach( function ( product ) {
			if ( product && product.id && product.permalink ) {
				idByLink[ linkKey( product.permalink ) ] = String( product.id );
			}
		} );
		drawHearts();
	}

	// The product an item shows: a data-product_id if the markup has one, else its product link.
	function productOf( item ) {
		var marked = item.querySelector( '[data-product_id], [data-product-id]' );
		var id = marked && ( marked.getAttribute( 'data-product_id' ) || marked.getAttribute( 'data-product-id' ) );
		if ( id && /^[0-9]+$/.test( id ) ) {
			return id;
		}
		var links = item.querySelectorAll( 'a[href]' );
		for ( var i = 0; i < links.length; i++ ) {
			id = idByLink[ linkKey( links[ i ].getAttribute( 'href' ) ) ];
			if ( id ) {
				return id;
			}
		}
		return '';
	}

	function ownHeart( item ) {
		for ( var child = item.lastElementChild; child; child = child.previousElementSibling ) {
			if ( child.classList.contains( 'bikri-heart' ) ) {
				return child;
			}
		}
		return null;
	}

	function drawHearts() {
		var wished = wishedNow();
		Array.prototype.forEach.call( document.querySelectorAll( BLOCK + ' ' + ITEM ), function ( item ) {
			var product = item.classList.contains( 'is-loading' ) ? '' : productOf( item );
			var heart = ownHeart( item );
			if ( ! product ) {
				if ( heart ) {
					item.removeChild( heart );
				}
				return;
			}
			if ( ! heart ) {
				heart = document.createElement( 'button' );
				heart.type = 'button';
				heart.className = 'bikri-heart bikri-heart-loop';
				heart.setAttribute( 'aria-label', cfg.words.save );
				heart.setAttribute( 'title', cfg.words.save );
				heart.innerHTML = SVG;
				item.appendChild( heart );
			}
			if ( heart.getAttribute( 'data-product' ) !== product ) {
				heart.setAttribute( 'data-product', product );
				show( heart, wished.indexOf( product ) >= 0 );
			}
		} );
	}

	var blocks = document.querySelectorAll( BLOCK );
	if ( blocks.length ) {
		var early = window.bikriWishlistLists || [];
		window.bikriWishlistLists = { push: learn, hooked: early.hooked };
		var hooks = window.wp && window.wp.hooks;
		if ( ! early.hooked && hooks ) {
			hooks.addAction( 'experimental__woocommerce_blocks-product-list-render', 'bikri/wishlist', learn );
		}
		Array.prototype.forEach.call( early, learn );
		drawHearts();
		if ( window.MutationObserver ) {
			var observer = new window.MutationObserver( drawHearts );
			Array.prototype.forEach.call( blocks, function ( block ) {
				observer.observe( block, { childList: true, subtree: true } );
			} );
		}
	}

	document.addEventListener( 'click', function ( event ) {
		var heart = event.target.closest && event.target.closest( '.bikri-heart' );
		if ( heart ) {
			event.preventDefault();
			toggle( heart );
			return;
		}
		var send = event.target.closest && event.target.closest( '.bikri-wishlist-alert-send' );
		if ( send ) {
			event.preventDefault();
			askAlert( send.closest( '.bikri-wishlist-alert' ) );
		}
	} );

	// Enter in the phone box asks for the alert; it must not submit the add-to-cart form around it.
	document.addEventListener( 'keydown', function ( event ) {
		var box = event.key === 'Enter' && event.target.closest && event.target.closest( '.bikri-wishlist-alert' );
		if ( box ) {
			event.preventDefault();
			askAlert( box );
		}
	} );

	function toggle( heart ) {
		var product = heart.getAttribute( 'data-product' );
		var wished = heart.getAttribute( 'aria-pressed' ) !== 'true';
		hearts().forEach( function ( other ) {
			if ( other.getAttribute( 'data-product' ) === product ) {
				show( other, wished );
			}
		} );
		var list = wishedNow().filter( function ( id ) {
			return id !== product;
		} );
		if ( wished ) {
			list.push( product );
		}
		if ( ! cfg.loggedIn ) {
			write( list );
			return;
		}
		accountList = list;
		post( 'bikri_wishlist_toggle', { product: product, wished: wished ? '1' : '0' } ).then( function ( answer ) {
			if ( ! answer || ! answer.success ) {
				throw new Error( 'refused' );
			}
			accountList = answer.data.products.map( String );
		} ).catch( function () {
			show( heart, ! wished );
			heart.setAttribute( 'title', cfg.words.failed );
			accountList = accountList.filter( function ( id ) {
				return id !== product;
			} );
			if ( ! wished ) {
				accountList.push( product );
			}
		} );
	}

	function askAlert( box ) {
		var input = box.querySelector( 'input' );
		var said = box.querySelector( '.bikri-wishlist-alert-said' );
		var phone = ( input.value || '' ).trim();
		if ( phone.replace( /[^0-9০-৯]/g, '' ).length < 10 ) {
			said.textContent = cfg.words.badPhone;
			return;
		}
		post( 'bikri_wishlist_alert', { product: box.getAttribute( 'data-product' ), phone: phone } ).then( function ( answer ) {
			said.textContent = answer && answer.success ? cfg.words.alertOn
				: ( answer && answer.data && answer.data.message ) || cfg.words.failed;
		} ).catch( function () {
			said.textContent = cfg.words.failed;
		} );
	}
}() );
