/**
 * Bikri loyalty points box inside WooCommerce's Checkout block (plain script, no build step).
 *
 * Fills the block's ExperimentalOrderMeta slot (a plugin in the 'woocommerce-checkout' scope).
 * "Use my points" asks WordPress (admin-ajax, the classic box's call) for the balance; "Use
 * points" and "Remove points" go through the Store API's cart/extensions route
 * (extensionCartUpdate), whose answer is the new cart: the block redraws its totals with the
 * fee, and our part of the cart's data says what became of the call. The service decides
 * everything; this script only shows its answers. Without the block's globals it does nothing.
 */
( function () {
	'use strict';
	var wp = window.wp;
	var wc = window.wc;
	if ( ! wp || ! wp.element || ! wp.plugins || ! wc || ! wc.blocksCheckout || ! wc.wcSettings ) {
		return;
	}
	var blocks = wc.blocksCheckout;
	var Meta = blocks.ExperimentalOrderMeta;
	var cfg = typeof wc.wcSettings.getSetting === 'function' ? wc.wcSettings.getSetting( 'bikri-loyalty_data', null ) : null;
	if ( ! Meta || typeof blocks.extensionCartUpdate !== 'function' || typeof wp.plugins.registerPlugin !== 'function' || ! cfg || ! cfg.nonce ) {
		return;
	}
	var el = wp.element.createElement;
	var useState = wp.element.useState;
	var text = cfg.text;

	// The balance: the classic box's admin-ajax call (same nonce, same checks).
	function balance() {
		return window.bikriLoyaltyCall( cfg, cfg.action );
	}

	// Apply or remove: the answer is in the new cart's data, under our namespace.
	function update( data ) {
		data.nonce = cfg.nonce;
		return blocks.extensionCartUpdate( { namespace: cfg.namespace, data: data } ).then( function ( cart ) {
			var ours = cart && cart.extensions ? cart.extensions[ cfg.namespace ] : null;
			if ( ! ours || ! ours.answer ) {
				throw new Error( text.network );
			}
			if ( ! ours.answer.ok ) {
				throw new Error( ours.answer.message );
			}
			return ours.answer;
		}, function ( error ) {
			throw new Error( error && error.message ? error.message : text.network );
		} );
	}

	function button( className, label, disabled, onClick ) {
		return el( 'button', { key: className, type: 'button', className: 'wc-block-components-button wp-element-button ' + className, disabled: disabled, onClick: onClick }, label );
	}

	function Box( props ) {
		var ours = props.extensions && props.extensions[ cfg.namespace ] ? props.extensions[ cfg.namespace ] : {};
		var applied = ours.points > 0;
		var said = useState( null );
		var offer = useState( null );
		var amount = useState( '' );
		var busy = useState( false );
		var status = said[ 0 ] || ( applied ? { message: ours.applied, error: false } : null );

		function run( promise, done ) {
			busy[ 1 ]( true );
			promise.then( function ( answer ) {
				busy[ 1 ]( false );
				done( answer );
				said[ 1 ]( { message: answer.message, error: false } );
			}, function ( error ) {
				busy[ 1 ]( false );
				said[ 1 ]( { message: error.message, error: true } );
			} );
		}

		function show() {
			said[ 1 ]( { message: text.loading, error: false } );
			run( balance(), function ( data ) {
				offer[ 1 ]( { points: data.points, least: data.min_redeem } );
				amount[ 1 ]( String( data.points ) );
			} );
		}

		function use() {
			run( update( { action: 'apply', points: amount[ 0 ] } ), function () {
				offer[ 1 ]( null );
			} );
		}

		function remove() {
			run( update( { action: 'remove' } ), function () {} );
		}

		var parts = [
			el( 'p', { key: 'title', className: 'bikri-loyalty__title', id: 'bikri-loyalty-block-title' }, text.title ),
			el( 'p', { key: 'status', className: 'bikri-loyalty__status' + ( status && status.error ? ' is-error' : '' ), 'aria-live': 'polite' }, status ? status.message : '' ),
		];
		if ( applied ) {
			parts.push( button( 'bikri-loyalty__remove', text.remove, busy[ 0 ], remove ) );
		} else if ( offer[ 0 ] ) {
			parts.push( el( 'div', { key: 'row', className: 'bikri-loyalty__row' },
				el( 'label', { htmlFor: 'bikri-loyalty-points' }, text.amount ),
				el( 'input', {
					type: 'number',
					id: 'bikri-loyalty-points',
					min: offer[ 0 ].least,
					max: offer[ 0 ].points,
					step: 1,
					inputMode: 'numeric',
					value: amount[ 0 ],
					onChange: function ( event ) {
						amount[ 1 ]( event.target.value );
					},
				} ),
				button( 'bikri-loyalty__use', text.use, busy[ 0 ], use )
			) );
		} else {
			parts.push( button( 'bikri-loyalty__show', text.show, busy[ 0 ], show ) );
		}
		// Not the classic box's id: its script (also loaded on checkout pages) looks for that one.
		return el( 'div', { id: 'bikri-loyalty-block', className: 'bikri-loyalty wc-block-components-totals-wrapper', role: 'group', 'aria-labelledby': 'bikri-loyalty-block-title' }, parts );
	}

	wp.plugins.registerPlugin( 'bikri-loyalty', {
		scope: 'woocommerce-checkout',
		render: function () {
			return el( Meta, null, el( Box ) );
		},
	} );
}() );
