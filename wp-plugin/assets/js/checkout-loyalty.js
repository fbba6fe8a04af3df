/**
 * Bikri loyalty points box on WooCommerce's classic checkout.
 *
 * "Use my points" asks WordPress (admin-ajax) for the shopper's balance, then "Use points" sets
 * them aside and WooCommerce redraws the totals with the discount; "Remove points" gives them
 * back. The service decides everything (whose points, how many, what they are worth); this
 * script only shows its answers.
 */
( function () {
	'use strict';
	var cfg = window.bikriLoyalty;
	var box = document.getElementById( 'bikri-loyalty' );
	if ( ! cfg || ! box ) {
		return;
	}
	var text = cfg.text;
	var status = box.querySelector( '.bikri-loyalty__status' );
	var show = box.querySelector( '.bikri-loyalty__show' );
	var remove = box.querySelector( '.bikri-loyalty__remove' );
	var row = null;

	function say( message, isError ) {
		status.textContent = message || '';
		status.classList.toggle( 'is-error', !! isError );
	}

	function call( action, fields ) {
		return window.bikriLoyaltyCall( cfg, action, fields );
	}

	// WooCommerce's classic checkout redraws the order review (and its fees) on this event.
	function refreshTotals() {
		if ( window.jQuery ) {
			window.jQuery( document.body ).trigger( 'update_checkout' );
		}
	}

	function amountRow( points, least ) {
		if ( row ) {
			row.remove();
		}
		row = document.createElement( 'div' );
		row.className = 'bikri-loyalty__row';
		var label = document.createElement( 'label' );
		label.setAttribute( 'for', 'bikri-loyalty-points' );
		label.textContent = text.amount;
		var input = document.createElement( 'input' );
		input.type = 'number';
		input.id = 'bikri-loyalty-points';
		input.min = String( least );
		input.max = String( points );
		input.step = '1';
		input.value = String( points );
		input.inputMode = 'numeric';
		var use = document.createElement( 'button' );
		use.type = 'button';
		use.className = 'button bikri-loyalty__use';
		use.textContent = text.use;
		use.addEventListener( 'click', function () {
			use.disabled = true;
			call( 'bikri_loyalty_apply', { points: input.value } ).then( function ( data ) {
				row.remove();
				row = null;
				say( data.message );
				remove.hidden = false;
				refreshTotals();
			}, function ( error ) {
				use.disabled = false;
				say( error.message, true );
			} );
		} );
		row.appendChild( label );
		row.appendChild( input );
		row.appendChild( use );
		box.insertBefore( row, remove );
	}

	show.addEventListener( 'click', function () {
		show.disabled = true;
		say( text.loading );
		call( 'bikri_loyalty_balance' ).then( function ( data ) {
			show.hidden = true;
			show.disabled = false;
			say( data.message );
			amountRow( data.points, data.min_redeem );
		}, function ( error ) {
			show.disabled = false;
			say( error.message, true );
		} );
	} );

	remove.addEventListener( 'click', function () {
		remove.disabled = true;
		call( 'bikri_loyalty_remove' ).then( function ( data ) {
			remove.disabled = false;
			remove.hidden = true;
			show.hidden = false;
			say( data.message );
			refreshTotals();
		}, function ( error ) {
			remove.disabled = false;
			say( error.message, true );
		} );
	} );
}() );
