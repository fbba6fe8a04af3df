"""The plugin's PHPUnit round trip against the running service (activate → status → ticket →
deactivate), so the PHP client and the Python API are checked against each other, not against stubs."""
import os
import re
import subprocess

from tests.e2e.conftest import ROOT


def test_plugin_phpunit_live_round_trip(service):
    key = service["cli"]("licenses", "create", "--email", "phpunit@e2e.test").strip().splitlines()[-1]
    env = {**os.environ, "BIKRI_TEST_SERVICE_URL": service["url"], "BIKRI_TEST_LICENSE_KEY": key}
    result = subprocess.run(["bash", str(ROOT / "scripts/wp/test.sh"), "--filter", "Bikri_Live_Service_Test"],
                            env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert re.search(r"OK \(2 tests", output), output[-2000:]
