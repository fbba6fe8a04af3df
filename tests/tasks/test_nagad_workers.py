"""A Nagad recharge through real workers: the worker opens the payment, the callback answers at
once with "confirming…" (it never waits on Nagad), a worker asks Nagad's verify, retried while
Nagad is down, and the page's progress turns to "completed" with one credit. Run on SQLite and on
PostgreSQL (BIKRI_TEST_DB=postgresql)."""
import re
import time
from decimal import Decimal

import requests

from backend.extensions import db
from backend.integrations.payments.nagad import new_private_key_pem
from backend.sandbox.nagad import SANDBOX_WALLET, NagadSandbox
from backend.sandbox.server import SandboxServer
from backend.sms import service


def test_a_nagad_payment_is_verified_by_a_worker_retried_while_nagad_is_down(app, shop, workers):
    sandbox = NagadSandbox()
    with SandboxServer(sandbox) as url:
        with app.app_context():
            service.configure_payment_gateway("nagad", sandbox.gateway_config(url, new_private_key_pem()),
                                              enabled=True, by="test")
            db.session.commit()
        workers.start(lanes=("transactional",), threads=2)

        answer = shop.post("/api/sms/recharge", json={"amount": 500, "method": "nagad"})
        assert answer.status_code == 202 and answer.json["status"] == "creating"
        deadline = time.monotonic() + 30
        while (recharge := shop.get(answer.headers["Location"]).json)["status"] == "creating":
            assert time.monotonic() < deadline, recharge
            time.sleep(0.1)
        assert recharge["status"] == "pending" and recharge["payment_url"].startswith(url + "/check-out/")

        paid = requests.post(recharge["payment_url"], data={"action": "pay", "wallet": SANDBOX_WALLET},
                             allow_redirects=False, timeout=5)
        location = paid.headers["Location"]
        sandbox.fail_next_verify(times=2)  # Nagad is down for the worker's first two questions
        sandbox.verify_latency = 0.5
        started = time.monotonic()
        page = shop.client.get("/" + location.split("/", 3)[3])
        assert time.monotonic() - started < 0.4, "the callback does not wait on Nagad"
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and 'data-status="confirming"' in html
        progress = re.search(r'hx-get="(/payments/nagad/progress\?payment_ref_id=[^"]+)"', html).group(1).replace("&amp;", "&")

        said_down, deadline = False, time.monotonic() + 60
        while 'data-status="completed"' not in html:
            assert time.monotonic() < deadline, html
            time.sleep(0.2)  # the page's own rhythm is every 2 s; a condition polled, not a sleep to sync
            html = shop.client.get(progress).get_data(as_text=True)
            said_down = said_down or "Nagad is not answering right now" in html
        # between the retries (1 s, then 2 s apart) the page said why it waits
        assert said_down
        assert sandbox.count("verify") == 3  # two refused by the outage, then the answer
        assert shop.get("/api/sms/balance").json["balance"] == "500.00"
        with app.app_context():
            assert service.ledger_sum(shop.site_id) == Decimal("500")
