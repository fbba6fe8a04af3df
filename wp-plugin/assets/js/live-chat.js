/**
 * The storefront's chat box (H2). Loaded with `defer` only while the shop has the box on; it asks
 * the Bikri service nothing until the shopper opens the box (or had it open on the last page).
 * While open it asks for new messages every 1.5 s (every 10 s in a hidden tab). Messages are
 * written into the page as text, never as HTML. The words come from the plugin (gettext).
 */
( function () {
	'use strict';
	var holder = document.getElementById( 'bikri-live-chat' );
	if ( ! holder || ! window.fetch ) {
		return;
	}
	var cfg = JSON.parse( holder.getAttribute( 'data-config' ) || '{}' );
	var words = cfg.words || {};
	var KEY = 'bikriChat:' + cfg.endpoint;
	var state = { token: '', lastId: 0, online: true, phoneGiven: false, open: false, timer: 0, busy: false };
	var ui = {};

	function remember( name, value, session ) {
		try {
			var store = session ? window.sessionStorage : window.localStorage;
			if ( value ) {
				store.setItem( KEY + name, value );
			} else {
				store.removeItem( KEY + name );
			}
		} catch ( e ) { /* private mode: the chat lasts the page */ }
	}
	function recall( name, session ) {
		try {
			return ( session ? window.sessionStorage : window.localStorage ).getItem( KEY + name ) || '';
		} catch ( e ) {
			return '';
		}
	}

	function el( tag, attrs, text ) {
		var node = document.createElement( tag );
		Object.keys( attrs || {} ).forEach( function ( name ) {
			node.setAttribute( name, attrs[ name ] );
		} );
		if ( text ) {
			node.textContent = text;
		}
		return node;
	}

	function call( method, path, body ) {
		var headers = {};
		if ( state.token ) {
			headers[ 'X-Bikri-Visitor' ] = state.token;
		}
		if ( body ) {
			headers[ 'Content-Type' ] = 'application/json';
		}
		return window.fetch( cfg.endpoint + path, {
			method: method,
			headers: headers,
			body: body ? JSON.stringify( body ) : undefined,
			credentials: 'omit'
		} ).then( function ( response ) {
			return response.json().catch( function () {
				return {};
			} ).then( function ( data ) {
				return { status: response.status, data: data };
			} );
		} );
	}

	function add( messages ) {
		( messages || [] ).forEach( function ( m ) {
			if ( m.id <= state.lastId ) {
				return;
			}
			var item = el( 'li', { 'class': 'bikri-chat-msg bikri-chat-' + ( 'staff' === m.sender ? 'shop' : 'you' ) } );
			item.appendChild( el( 'span', { 'class': 'bikri-chat-who' }, 'staff' === m.sender ? words.shop : words.you ) );
			item.appendChild( el( 'span', { 'class': 'bikri-chat-text' }, m.body ) );
			ui.list.appendChild( item );
			state.lastId = m.id;
		} );
		ui.list.scrollTop = ui.list.scrollHeight;
	}

	function heard( answer ) {
		var data = answer.data || {};
		if ( 401 === answer.status ) {
			// the conversation is gone (or was never here): start afresh
			state.token = '';
			state.lastId = 0;
			remember( 'token', '' );
			ui.list.textContent = '';
			return call( 'GET', '/status' ).then( heard );
		}
		if ( answer.status >= 400 ) {
			return;
		}
		state.online = false !== data.online;
		state.phoneGiven = !! data.phone_given;
		add( data.messages );
		ui.away.hidden = state.online;
		ui.phone.hidden = state.online || state.phoneGiven;
		ui.name.hidden = !! state.token;
	}

	function poll() {
		window.clearTimeout( state.timer );
		if ( ! state.open ) {
			return;
		}
		var asked = state.token ? call( 'GET', '/messages?after=' + state.lastId ) : call( 'GET', '/status' );
		asked.then( heard, function () {} ).then( function () {
			if ( state.open ) {
				state.timer = window.setTimeout( poll, document.hidden ? 10000 : 1500 );
			}
		} );
	}

	function send( event ) {
		event.preventDefault();
		var text = ui.text.value.trim();
		if ( ! text || state.busy ) {
			return;
		}
		var body = { text: text };
		if ( ! ui.phone.hidden && ui.phone.value.trim() ) {
			body.phone = ui.phone.value.trim();
		}
		if ( ! state.token ) {
			body.name = ui.name.value.trim();
			body.page_url = window.location.href.slice( 0, 2000 );
		}
		state.busy = true;
		ui.error.hidden = true;
		call( 'POST', state.token ? '/messages' : '/conversations', body ).then( function ( answer ) {
			var data = answer.data || {};
			if ( answer.status >= 400 ) {
				var error = data.error || {};
				var details = error.details || {};
				ui.error.textContent = ( details.phone || details.text || details.name || [ error.message || words.failed ] )[ 0 ];
				ui.error.hidden = false;
				if ( details.phone ) {
					ui.phone.hidden = false;
					ui.away.hidden = false;
				}
				return;
			}
			if ( data.token ) {
				state.token = data.token;
				remember( 'token', data.token );
			}
			ui.text.value = '';
			heard( answer );
		}, function () {
			ui.error.textContent = words.failed;
			ui.error.hidden = false;
		} ).then( function () {
			state.busy = false;
		} );
	}

	function build() {
		ui.panel = el( 'section', { 'class': 'bikri-chat-panel', role: 'dialog', 'aria-label': words.title } );
		var head = el( 'header', { 'class': 'bikri-chat-head' } );
		head.appendChild( el( 'strong', {}, words.title ) );
		var close = el( 'button', { type: 'button', 'class': 'bikri-chat-close', 'aria-label': words.close }, '\u00d7' );
		close.addEventListener( 'click', toggle );
		head.appendChild( close );
		ui.panel.appendChild( head );
		ui.panel.appendChild( el( 'p', { 'class': 'bikri-chat-greeting' }, words.greeting ) );
		ui.list = el( 'ol', { 'class': 'bikri-chat-list', 'aria-live': 'polite' } );
		ui.panel.appendChild( ui.list );
		ui.away = el( 'p', { 'class': 'bikri-chat-away', hidden: '' }, words.away );
		ui.panel.appendChild( ui.away );
		var form = el( 'form', { 'class': 'bikri-chat-form' } );
		ui.name = el( 'input', { type: 'text', maxlength: '80', placeholder: words.name, 'aria-label': words.name, autocomplete: 'name' } );
		ui.phone = el( 'input', { type: 'tel', maxlength: '20', placeholder: words.phone, 'aria-label': words.phone, autocomplete: 'tel', hidden: '' } );
		ui.text = el( 'textarea', { rows: '2', maxlength: '1000', placeholder: words.message, 'aria-label': words.message, required: '' } );
		ui.error = el( 'p', { 'class': 'bikri-chat-error', role: 'alert', hidden: '' } );
		[ ui.name, ui.phone, ui.text, ui.error, el( 'button', { type: 'submit' }, words.send ) ].forEach( function ( node ) {
			form.appendChild( node );
		} );
		form.addEventListener( 'submit', send );
		ui.panel.appendChild( form );
		holder.appendChild( ui.panel );
	}

	function toggle() {
		state.open = ! state.open;
		if ( state.open && ! ui.panel ) {
			build();
		}
		ui.panel.hidden = ! state.open;
		ui.launcher.setAttribute( 'aria-expanded', state.open ? 'true' : 'false' );
		remember( 'open', state.open ? '1' : '', true );
		if ( state.open ) {
			poll();
			ui.text.focus();
		}
	}

	state.token = recall( 'token' );
	ui.launcher = el( 'button', { type: 'button', 'class': 'bikri-chat-launcher', 'aria-expanded': 'false' }, words.open );
	ui.launcher.addEventListener( 'click', toggle );
	holder.appendChild( ui.launcher );
	// the stylesheet comes after the page's first render; the box shows once it is styled
	var css = el( 'link', { rel: 'stylesheet', href: cfg.css } );
	css.addEventListener( 'load', function () {
		holder.hidden = false;
		if ( recall( 'open', true ) ) {
			toggle(); // the shopper was chatting on the last page: carry on
		}
	} );
	document.head.appendChild( css );
}() );
