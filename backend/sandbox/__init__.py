"""Local stand-ins that speak real wire formats (WooCommerce, SMS gateways, bKash, couriers).

For tests and the demo only, never for production. Each runs as a real HTTP server on
loopback (see server.py) so that adapters are exercised over real sockets.
"""

import importlib
import pkgutil


def load_all():
    """Import every sandbox module so that each registers itself."""
    for module in pkgutil.iter_modules(__path__):
        if module.name != "server":
            importlib.import_module(f"{__name__}.{module.name}")
