/**
 * The loyalty box's admin-ajax call, shared by the classic checkout's box (checkout-loyalty.js)
 * and the Checkout block's (checkout-loyalty-block.js), which list this script as a dependency.
 *
 * window.bikriLoyaltyCall( cfg, action, fields ) posts the action with cfg.nonce and the fields
 * to cfg.ajaxUrl. It resolves with the data of WordPress's JSON success, and rejects with the
 * server's message, or cfg.text.network when there is none or the network failed.
 */
( function () {
	'use strict';
	window.bikriLoyaltyCall = function ( cfg, action, fields ) {
		var body = new window.FormData();
		body.append( 'action', action );
		body.append( 'nonce', cfg.nonce );
		Object.keys( fields || {} ).forEach( function ( name ) {
			body.append( name, fields[ name ] );
		} );
		return window.fetch( cfg.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body } )
			.then( function ( response ) {
				return response.json();
			} )
			.then( function ( json ) {
				if ( ! json || ! json.success ) {
					throw new Error( json && json.data && json.data.message ? json.data.message : cfg.text.network );
				}
				return json.data;
			}, function ( error ) {
				throw new Error( error && error.message && error.message !== 'Failed to fetch' ? error.message : cfg.text.network );
			} );
	};
}() );
