/**
 * Bikri wishlist hearts (U3). Loaded deferred, only on pages that show a heart.
 *
 * A guest's wishes stay in this browser (localStorage); a signed-in shopper's are saved in the
 * account (admin-ajax, with the nonce), and whatever the browser kept as a guest is merged into
 * the account on the first page after signing in. The SMS alert box asks for a phone and sends
 * it the same way. A failed save puts the heart back as it was.
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

	var guestList = read();
	if ( ! cfg.loggedIn ) {
		showAll( guestList );
	} else if ( guestList.length ) {
		post( 'bikri_wishlist_merge', { products: guestList.join( ',' ) } ).then( function ( answer ) {
			if ( answer && answer.success ) {
				write( [] );
				showAll( answer.data.products.map( String ) );
			}
		} ).catch( function () {} );
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
		if ( ! cfg.loggedIn ) {
			var list = read().filter( function ( id ) {
				return id !== product;
			} );
			if ( wished ) {
				list.push( product );
			}
			write( list );
			return;
		}
		post( 'bikri_wishlist_toggle', { product: product, wished: wished ? '1' : '0' } ).then( function ( answer ) {
			if ( ! answer || ! answer.success ) {
				throw new Error( 'refused' );
			}
		} ).catch( function () {
			show( heart, ! wished );
			heart.setAttribute( 'title', cfg.words.failed );
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
