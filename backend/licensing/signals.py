"""What licensing announces to the domains above it (it imports none of them).

Sent inside the activation's transaction (a listener's writes commit with it; it must not
commit or call anything remote); listeners connected at app creation (a domain's
`listeners.py`), checked by tests/test_signals.py.
"""
from blinker import Namespace

signals = Namespace()

# site_activated(site, new_keys=bool) — a shop activated (first time, again, or moved to
# another license); `new_keys`: the activation brought WooCommerce API keys.
site_activated = signals.signal("site-activated")
