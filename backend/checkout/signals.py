"""What the checkout domain asks of the features built on it, without importing them
(abandoned checkouts import checkout; checkout never imports abandoned).

Listeners are connected at app creation (a domain's `listeners.py`), checked by
tests/test_signals.py.
"""
from blinker import Namespace

signals = Namespace()

# plugin_config_asked(site) — the plugin pulls its checkout settings: each receiver returns a
# dict of the parts it adds to them (abandoned checkouts: {"abandoned": {...}}).
plugin_config_asked = signals.signal("plugin-config-asked")
