"""Bikri's admin pages, shown inside wp-admin in an iframe.

A page is opened with a one-time ticket the plugin fetched server-side; the page then keeps
its session in a signed header value that its JavaScript sends with every request, because
browsers block third-party cookies inside iframes.
"""
