"""bKash and Nagad recharges through real workers: the worker opens the payment, the callback
answers at once with "confirming…" (it never waits on bKash or Nagad), a worker executes (bKash)
or verifies (Nagad) the payment, retried while the gateway is down, and the page's progress turns
to "completed" with one credit. Run on SQLite and on PostgreSQL (BIKRI_TEST_DB=postgresql)."""
import re
import time
from decimal import Decimal

import requests

from backend.extensions import db
from backend.integrations.payments.nagad import new_private_key_pem
from backend.sandbox.bkash import SANDBOX_WALLET as BKASH_WALLET, BkashSandbox
from backend.sandbox.nagad import SANDBOX_WALLET, NagadSandbox
from backend.sandbox.server import SandboxServer
from backend.sms import service


def pay_through_workers(shop, method, wallet):
    """Start a recharge, wait for a worker to open it, pay on the gateway's page; where the browser is sent."""
    answer = shop.post("/api/sms/recharge", json={"amount": 500, "method": method})
    assert answer.status_code == 202 and answer.json["status"] == "creating"
    deadline = time.monotonic() + 30
    while (recharge := shop.get(answer.headers["Location"]).json)["status"] == "creating":
        assert time.monotonic() < deadline, recharge
        time.sleep(0.1)
    assert recharge["status"] == "pending" and recharge["payment_url"]
    paid = requests.post(recharge["payment_url"], data={"action": "pay", "wallet": wallet},
                         allow_redirects=False, timeout=5)
    return paid.headers["Location"]


def follow_until_completed(app, shop, location, gateway):
    """The callback answers "confirming" at once; its progress is followed until "completed".
    Whether the page said the gateway was not answering on the way."""
    started = time.monotonic()
    page = shop.client.get("/" + location.split("/", 3)[3])
    assert time.monotonic() - started < 0.4, f"the callback does not wait on {gateway}"
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-status="confirming"' in html
    progress = re.search(r'hx-get="(/payments/\w+/progress\?[^"]+)"', html).group(1).replace("&amp;", "&")

    said_down, deadline = False, time.monotonic() + 60
    while 'data-status="completed"' not in html:
        assert time.monotonic() < deadline, html
        time.sleep(0.2)  # the page's own rhythm is every 2 s; a condition polled, not a sleep to sync
        html = shop.client.get(progress).get_data(as_text=True)
        said_down = said_down or f"{gateway} is not answering right now" in html
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"
    with app.app_context():
        assert service.ledger_sum(shop.site_id) == Decimal("500")
    return said_down


def test_a_nagad_payment_is_verified_by_a_worker_retried_while_nagad_is_down(app, shop, workers):
    sandbox = NagadSandbox()
    with SandboxServer(sandbox) as url:
        with app.app_context():
            service.configure_payment_gateway("nagad", sandbox.gateway_config(url, new_private_key_pem()),
                                              enabled=True, by="test")
            db.session.commit()
        workers.start(lanes=("transactional",), threads=2)
        location = pay_through_workers(shop, "nagad", SANDBOX_WALLET)
        sandbox.fail_next_verify(times=2)  # Nagad is down for the worker's first two questions
        sandbox.verify_latency = 0.5
        # between the retries (1 s, then 2 s apart) the page said why it waits
        assert follow_until_completed(app, shop, location, "Nagad")
        assert sandbox.count("verify") == 3  # two refused by the outage, then the answer


def test_a_bkash_payment_is_executed_by_a_worker_retried_while_bkash_is_down(app, shop, workers):
    sandbox = BkashSandbox()
    with SandboxServer(sandbox) as url:
        app.config["BKASH"] = sandbox.gateway_config(url)
        workers.start(lanes=("transactional",), threads=2, BIKRI_BKASH_BASE_URL=app.config["BKASH"]["base_url"],
                      **{f"BIKRI_BKASH_{name.upper()}": app.config["BKASH"][name]
                         for name in ("app_key", "app_secret", "username", "password")})
        location = pay_through_workers(shop, "bkash", BKASH_WALLET)
        for _ in range(2):  # bKash is down for the worker's first two executes (its system error, nothing done)
            sandbox.fail_next_execute("9999", "System Error", payment_status=None)
        sandbox.delay_next_execute(0.5)  # then slow: the callback would have waited this long
        assert follow_until_completed(app, shop, location, "bKash")
        assert sandbox.count("execute") == 3 and sandbox.payment(location.split("paymentID=")[1].split("&")[0])["status"] == "Completed"
