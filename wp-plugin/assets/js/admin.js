/**
 * wp-admin side of the Bikri pages: when a Bikri page in the frame says the checkout settings
 * or the blacklist changed, ask WordPress to pull its copy now (not at the next five-minute pull).
 * Only messages from the Bikri service's own origin count.
 */
( function () {
	'use strict';
	var cfg = window.bikriAdmin;
	if ( ! cfg || ! cfg.serviceOrigin ) {
		return;
	}
	window.addEventListener( 'message', function ( event ) {
		if ( event.origin !== cfg.serviceOrigin || ! event.data || event.data.bikri !== 'checkout-changed' ) {
			return;
		}
		var body = new URLSearchParams();
		body.set( 'action', 'bikri_checkout_sync' );
		body.set( 'nonce', cfg.syncNonce );
		window.fetch( cfg.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body } ).then( function ( response ) {
			document.documentElement.setAttribute( 'data-bikri-synced', response.ok ? 'ok' : 'error' );
		} );
	} );
}() );
