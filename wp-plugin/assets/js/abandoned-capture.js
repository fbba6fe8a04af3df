/**
 * Bikri abandoned checkout capture, for WooCommerce's classic checkout and the checkout block.
 *
 * 1.5 s after the shopper stops typing, and only once a plausible Bangladeshi mobile number
 * is there, the fields go to WordPress (admin-ajax), which adds the cart and forwards them.
 * Fire and forget: errors are ignored, nothing on the page waits for it. A capture still
 * waiting when the shopper leaves the page goes at once.
 */
( function () {
	'use strict';
	var cfg = window.bikriCapture;
	if ( ! cfg || ! window.fetch ) {
		return;
	}
	// classic ids first, then the block checkout's
	var FIELDS = {
		phone: [ '#billing_phone', '#billing-phone', '#shipping-phone' ],
		first: [ '#billing_first_name', '#billing-first_name', '#shipping-first_name' ],
		last: [ '#billing_last_name', '#billing-last_name', '#shipping-last_name' ],
		email: [ '#billing_email', '#email' ],
		address: [ '#billing_address_1', '#billing-address_1', '#shipping-address_1' ],
		city: [ '#billing_city', '#billing-city', '#shipping-city' ],
		district: [ '#billing_state', '#billing-state', '#shipping-state' ],
	};
	var timer = null;
	var last = '';

	function value( name ) {
		var selectors = FIELDS[ name ];
		for ( var i = 0; i < selectors.length; i++ ) {
			var el = document.querySelector( selectors[ i ] );
			if ( el && el.value ) {
				if ( el.tagName === 'SELECT' && el.selectedIndex >= 0 ) {
					return el.options[ el.selectedIndex ].text.trim();
				}
				return el.value.trim();
			}
		}
		return '';
	}

	function plausiblePhone( raw ) {
		var digits = raw.replace( /[০-৯]/g, function ( d ) {
			return String( '০১২৩৪৫৬৭৮৯'.indexOf( d ) );
		} ).replace( /\D/g, '' ).replace( /^880?/, '0' );
		return /^01[3-9]\d{8}$/.test( digits );
	}

	function send() {
		var phone = value( 'phone' );
		if ( ! plausiblePhone( phone ) ) {
			return;
		}
		var fields = {
			phone: phone,
			name: ( value( 'first' ) + ' ' + value( 'last' ) ).trim(),
			email: value( 'email' ),
			address: [ value( 'address' ), value( 'city' ) ].filter( Boolean ).join( ', ' ),
			district: value( 'district' ),
		};
		var snapshot = JSON.stringify( fields );
		if ( snapshot === last ) {
			return;
		}
		last = snapshot;
		var body = new URLSearchParams();
		body.set( 'action', cfg.action );
		body.set( 'nonce', cfg.nonce );
		Object.keys( fields ).forEach( function ( key ) {
			body.set( key, fields[ key ] );
		} );
		window.fetch( cfg.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body, keepalive: true } )
			.catch( function () {} );
	}

	function schedule( event ) {
		var target = event.target;
		if ( ! target || ! target.matches || ! target.matches( 'input, select, textarea' ) ) {
			return;
		}
		clearTimeout( timer );
		timer = setTimeout( function () {
			timer = null;
			send();
		}, cfg.delay || 1500 );
	}

	// The shopper leaves (closes the tab, goes back to the shop) before the delay is over: send
	// now; keepalive lets the request outlive the page.
	function flush() {
		if ( timer !== null ) {
			clearTimeout( timer );
			timer = null;
			send();
		}
	}

	// Delegated: the block checkout renders its fields after this script runs.
	document.addEventListener( 'input', schedule, true );
	document.addEventListener( 'change', schedule, true );
	// The classic checkout's district and country boxes are selectWoo: their "change" is a
	// jQuery event, which native listeners never hear.
	if ( window.jQuery ) {
		window.jQuery( document.body ).on( 'change', 'select', schedule );
	}
	window.addEventListener( 'pagehide', flush );
	document.addEventListener( 'visibilitychange', function () {
		if ( document.visibilityState === 'hidden' ) {
			flush();
		}
	} );
} )();
