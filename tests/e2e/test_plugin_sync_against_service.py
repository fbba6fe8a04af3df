"""Order sync from the plugin's PHPUnit through the REAL running service, with the sandbox
WooCommerce store standing in for the shop's REST API (wp-plugin/tests/test-live-sync.php):
orders placed while the service is unreachable are kept, then all delivered, and the service
stores every one, reading each order from the shop with the REST key the plugin created."""
import os
import re
import subprocess

from backend.sandbox.server import SandboxServer
from backend.sandbox.woocommerce import create_sandbox
from tests.e2e.conftest import ROOT

ORDERS = 130  # two batches of events, two pages of order reads


def test_orders_pushed_after_an_outage_all_reach_the_service(service):
    key = service["cli"]("licenses", "create", "--email", "sync@e2e.test", "--sites", "1").strip().splitlines()[-1]
    # The shop: orders 1..ORDERS and no REST key yet; the plugin creates one at activation.
    shop = create_sandbox(orders=ORDERS, seed=5, keys=[])
    with SandboxServer(shop) as shop_url:
        env = {**os.environ, "BIKRI_TEST_SYNC_SERVICE_URL": service["url"], "BIKRI_TEST_SYNC_LICENSE_KEY": key,
               "BIKRI_TEST_SYNC_SHOP_URL": shop_url, "BIKRI_TEST_SYNC_ORDERS": str(ORDERS)}
        result = subprocess.run(["bash", str(ROOT / "scripts/wp/test.sh"), "--filter", "Bikri_Live_Sync_Test"],
                                env=env, capture_output=True, text=True, timeout=300)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-3000:]
        assert re.search(r"OK \(1 test", output), output[-2000:]
        # The service read the orders from the shop (events carry no bodies), with the plugin's key.
        assert shop.store.requests >= 2
        assert [k for k in shop.store.keys if k.startswith("ck_")], "the plugin's key was registered"
