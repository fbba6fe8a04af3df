"""The plugin's PHPUnit round trip against the running service (activate → status → ticket →
deactivate), so the PHP client and the Python API are checked against each other, not against stubs."""
import os
import re
import subprocess

import requests

from tests.e2e.conftest import ROOT


def test_plugin_phpunit_live_round_trip(service, sandboxes):
    key = service["cli"]("licenses", "create", "--email", "phpunit@e2e.test", "--sites", "2").strip().splitlines()[-1]
    # a second site of the same license, with a funded wallet, for send_sms() through the real service
    site_url = "http://send-sms.phpunit.test"
    token = requests.post(f"{service['url']}/api/v1/sites/activate", json={"license_key": key, "site_url": site_url}, timeout=10).json()["token"]
    service["cli"]("sms", "credit", site_url, "5")
    sent_before = len(sandboxes["sms"].sent)
    env = {**os.environ, "BIKRI_TEST_SERVICE_URL": service["url"], "BIKRI_TEST_LICENSE_KEY": key, "BIKRI_TEST_SITE_TOKEN": token}
    result = subprocess.run(["bash", str(ROOT / "scripts/wp/test.sh"), "--filter", "Bikri_Live_Service_Test"],
                            env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert re.search(r"OK \(3 tests", output), output[-2000:]
    new = list(sandboxes["sms"].sent.values())[sent_before:]
    assert [m["sms"] for m in new] == ["আপনার অর্ডার নিশ্চিত হয়েছে।"] and new[0]["msisdn"] == "8801711234567"
