/**
 * Bikri checkout OTP widget, for WooCommerce's classic checkout and the checkout block.
 *
 * Puts "Send code" and a code box under the phone field, and talks to WordPress (admin-ajax)
 * only; the order is refused on the server without a verified phone whatever this script does.
 *
 * F4: with OTP on, Enter in a checkout field never submits the form (Enter in the code box
 * confirms the code instead). Text areas keep their new lines; buttons keep working.
 */
( function () {
	'use strict';
	var cfg = window.bikriOtp;
	if ( ! cfg ) {
		return;
	}
	var text = cfg.text;
	var FORMS = 'form.checkout, form.woocommerce-checkout, .wc-block-checkout, .wp-block-woocommerce-checkout';
	var PHONES = '#billing_phone, #billing-phone, #shipping-phone';
	var widget = null;
	var phoneInput = null;
	var verifiedRaw = null;
	var timer = null;

	document.addEventListener( 'keydown', function ( event ) {
		if ( event.key !== 'Enter' || event.isComposing ) {
			return;
		}
		var target = event.target;
		if ( ! target || ! target.closest || ! target.closest( FORMS ) ) {
			return;
		}
		var tag = target.tagName;
		if ( tag === 'TEXTAREA' || tag === 'BUTTON' || tag === 'A' || target.type === 'submit' || target.type === 'button' ) {
			return;
		}
		event.preventDefault();
		if ( widget && target === widget.code ) {
			verify();
		}
	}, true );

	function el( tag, className, content ) {
		var node = document.createElement( tag );
		if ( className ) {
			node.className = className;
		}
		if ( content ) {
			node.textContent = content;
		}
		return node;
	}

	function build() {
		var box = el( 'div', 'bikri-otp' );
		box.id = 'bikri-otp';
		box.setAttribute( 'role', 'group' );
		box.setAttribute( 'aria-labelledby', 'bikri-otp-title' );
		var title = el( 'p', 'bikri-otp__title', text.title );
		title.id = 'bikri-otp-title';
		var help = el( 'p', 'bikri-otp__help', text.help );
		var send = el( 'button', 'button bikri-otp__send', text.send );
		send.type = 'button';
		var row = el( 'div', 'bikri-otp__row' );
		row.hidden = true;
		var label = el( 'label', 'bikri-otp__label', text.codeLabel );
		label.htmlFor = 'bikri-otp-code';
		var code = el( 'input', 'input-text bikri-otp__code' );
		code.id = 'bikri-otp-code';
		code.type = 'text';
		code.inputMode = 'numeric';
		code.autocomplete = 'one-time-code';
		code.maxLength = 10;
		var confirm = el( 'button', 'button bikri-otp__verify', text.verify );
		confirm.type = 'button';
		row.append( label, code, confirm );
		var status = el( 'p', 'bikri-otp__status' );
		status.setAttribute( 'aria-live', 'polite' );
		box.append( title, help, send, row, status );
		send.addEventListener( 'click', sendCode );
		confirm.addEventListener( 'click', verify );
		return { box: box, send: send, row: row, code: code, confirm: confirm, status: status };
	}

	function say( message, kind ) {
		widget.status.textContent = message || '';
		widget.status.className = 'bikri-otp__status' + ( kind ? ' bikri-otp__status--' + kind : '' );
	}

	function post( action, fields ) {
		var body = new URLSearchParams();
		body.set( 'action', action );
		body.set( 'nonce', cfg.nonce );
		Object.keys( fields ).forEach( function ( key ) {
			body.set( key, fields[ key ] );
		} );
		return window.fetch( cfg.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body } )
			.then( function ( response ) {
				return response.json().catch( function () {
					return { success: false, data: { message: text.network } };
				} );
			} );
	}

	function countdown( seconds ) {
		clearInterval( timer );
		var left = Math.max( 0, Math.ceil( seconds ) );
		function tick() {
			if ( left <= 0 ) {
				clearInterval( timer );
				widget.send.disabled = false;
				widget.send.textContent = widget.row.hidden ? text.send : text.resend;
				return;
			}
			widget.send.disabled = true;
			widget.send.textContent = text.resendIn.replace( '%d', String( left ) );
			left -= 1;
		}
		tick();
		timer = setInterval( tick, 1000 );
	}

	// Contexts the Checkout block puts its notices in (WooCommerce Blocks' noticeContexts, and
	// the global ones a notice falls back to when its own container is not on the page).
	var NOTICE_CONTEXTS = [ 'wc/checkout', 'wc/cart', 'wc/global', 'global',
		'wc/checkout/contact-information', 'wc/checkout/billing-address', 'wc/checkout/shipping-address' ];

	function isOurRefusal( id, message ) {
		var refusals = cfg.refusals || {};
		var shown = String( message || '' ).trim();
		return Object.keys( refusals ).some( function ( code ) {
			// The block checkout names a Store API error's notice by its code; older versions
			// name it "checkout" and only its words are ours.
			return id === code || ( shown !== '' && shown === String( refusals[ code ] ).trim() );
		} );
	}

	// The notice containers the Checkout block registered (newer WooCommerce only).
	function noticeContainers( data ) {
		try {
			var store = data.select( 'wc/store/notices' );
			return store && typeof store.getContainers === 'function' ? store.getContainers() || [] : [];
		} catch ( error ) {
			return [];
		}
	}

	// The code is confirmed: the refusal this plugin caused earlier ("Confirm your mobile
	// number ...") is no longer true, so it leaves the page. Other notices stay.
	function clearRefusals() {
		var data = window.wp && window.wp.data;
		if ( data && typeof data.select === 'function' && typeof data.dispatch === 'function' ) {
			try {
				var notices = data.select( 'core/notices' );
				var remove = data.dispatch( 'core/notices' ).removeNotice;
				var contexts = NOTICE_CONTEXTS.concat( noticeContainers( data ) );
				contexts.filter( function ( context, index ) {
					return contexts.indexOf( context ) === index;
				} ).forEach( function ( context ) {
					( notices.getNotices( context ) || [] ).forEach( function ( notice ) {
						if ( isOurRefusal( notice.id, notice.content ) ) {
							remove( notice.id, context );
						}
					} );
				} );
			} catch ( error ) {
				// No notices store on this page (the classic checkout): nothing to take away there.
			}
		}
		// The classic checkout prints its refusals as a list; take our lines, and a list left empty.
		document.querySelectorAll( '.woocommerce-error li' ).forEach( function ( item ) {
			if ( ! isOurRefusal( item.getAttribute( 'data-code' ), item.textContent ) ) {
				return;
			}
			var list = item.parentNode;
			item.remove();
			if ( list && ! list.querySelector( 'li' ) ) {
				var group = list.closest( '.woocommerce-NoticeGroup' );
				( group || list ).remove();
			}
		} );
	}

	function markVerified( message ) {
		verifiedRaw = phoneInput ? phoneInput.value : '';
		widget.box.classList.add( 'bikri-otp--verified' );
		widget.row.hidden = true;
		widget.send.hidden = true;
		say( message || text.verified, 'ok' );
		clearRefusals();
	}

	function markUnverified( message ) {
		verifiedRaw = null;
		widget.box.classList.remove( 'bikri-otp--verified' );
		widget.send.hidden = false;
		say( message || '', message ? 'error' : '' );
	}

	function refused( data ) {
		data = data || {};
		say( data.message || text.network, 'error' );
		if ( data.retry_after ) {
			countdown( data.retry_after );
		}
		if ( data.code === 'bikri_otp_off' ) {
			markVerified( data.message );
		}
	}

	function sendCode() {
		var phone = phoneInput ? phoneInput.value.trim() : '';
		if ( ! phone ) {
			say( text.phoneMissing, 'error' );
			if ( phoneInput ) {
				phoneInput.focus();
			}
			return;
		}
		widget.send.disabled = true;
		say( text.sending );
		post( 'bikri_otp_send', { phone: phone } ).then( function ( answer ) {
			widget.send.disabled = false;
			if ( ! answer.success ) {
				refused( answer.data );
				return;
			}
			if ( answer.data.status === 'verified' ) {
				cfg.verifiedPhone = answer.data.phone;
				markVerified( answer.data.message );
				return;
			}
			widget.row.hidden = false;
			say( answer.data.message, 'info' );
			widget.code.value = '';
			widget.code.focus();
			countdown( answer.data.resend_after || 60 );
		} ).catch( function () {
			widget.send.disabled = false;
			say( text.network, 'error' );
		} );
	}

	function verify() {
		var code = widget.code.value.trim();
		if ( ! code ) {
			say( text.codeMissing, 'error' );
			return;
		}
		widget.confirm.disabled = true;
		say( text.checking );
		post( 'bikri_otp_verify', { phone: phoneInput ? phoneInput.value.trim() : '', code: code } ).then( function ( answer ) {
			widget.confirm.disabled = false;
			if ( answer.success ) {
				clearInterval( timer );
				cfg.verifiedPhone = answer.data.phone;
				markVerified( answer.data.message );
			} else {
				refused( answer.data );
			}
		} ).catch( function () {
			widget.confirm.disabled = false;
			say( text.network, 'error' );
		} );
	}

	function lastTen( value ) {
		var digits = String( value || '' ).replace( /[০-৯]/g, function ( d ) {
			return String( d.charCodeAt( 0 ) - 0x09E6 );
		} ).replace( /\D/g, '' );
		return digits.slice( -10 );
	}

	function onPhoneInput() {
		if ( verifiedRaw !== null && phoneInput.value !== verifiedRaw ) {
			markUnverified( text.changed );
		} else if ( verifiedRaw === null && cfg.verifiedPhone && lastTen( phoneInput.value ) === lastTen( cfg.verifiedPhone ) ) {
			markVerified();
		}
	}

	// The block checkout renders (and re-renders) its fields with React: attach whenever the
	// phone field appears or the widget was removed.
	function attach() {
		var phone = document.querySelector( PHONES );
		if ( ! phone ) {
			return;
		}
		if ( ! widget ) {
			widget = build();
		}
		if ( phone !== phoneInput ) {
			if ( phoneInput ) {
				phoneInput.removeEventListener( 'input', onPhoneInput );
			}
			phoneInput = phone;
			phoneInput.addEventListener( 'input', onPhoneInput );
		}
		if ( ! widget.box.isConnected ) {
			var holder = phone.closest( '.form-row, .wc-block-components-text-input, p, div' ) || phone;
			holder.insertAdjacentElement( 'afterend', widget.box );
			// Back on the page after a reload: the number confirmed in this session, if it is still the one typed.
			if ( cfg.verifiedPhone && verifiedRaw === null && lastTen( phone.value ) === lastTen( cfg.verifiedPhone ) ) {
				markVerified();
			}
		}
	}

	var pending = false;
	function schedule() {
		if ( pending ) {
			return;
		}
		pending = true;
		window.requestAnimationFrame( function () {
			pending = false;
			attach();
		} );
	}
	if ( document.readyState === 'loading' ) {
		document.addEventListener( 'DOMContentLoaded', attach );
	} else {
		attach();
	}
	new MutationObserver( schedule ).observe( document.documentElement, { childList: true, subtree: true } );
}() );
