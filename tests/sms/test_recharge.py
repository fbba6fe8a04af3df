"""bKash recharge end to end against the bKash sandbox over real sockets: the wallet is
credited exactly once, whatever the callback and the network do."""
import pytest
import requests

from backend.extensions import db
from backend.sandbox.bkash import BkashSandbox
from backend.sandbox.server import SandboxServer
from backend.sms import service
from backend.sms.models import Recharge


@pytest.fixture
def bkash(app):
    sandbox = BkashSandbox()
    with SandboxServer(sandbox) as url:
        previous = app.config["BKASH"]
        app.config["BKASH"] = sandbox.gateway_config(url)
        sandbox.url = url
        yield sandbox
        app.config["BKASH"] = previous


def start(shop, amount=500):
    """Start a bKash recharge: 202 at once, then its address shows the payment_url once a worker
    opened the payment (at once in the tests' inline mode)."""
    response = shop.post("/api/sms/recharge", json={"amount": amount})
    assert response.status_code == 202, response.json
    assert response.headers["Location"] == f"/api/sms/recharges/{response.json['id']}"
    recharge = shop.get(response.headers["Location"]).json
    assert recharge["id"] == response.json["id"] and recharge["payment_url"]
    return recharge


def pay(recharge, action="pay"):
    """The shop owner on bKash's page: press Pay (or Cancel); returns where bKash sends the browser."""
    page = requests.get(recharge["payment_url"], timeout=5)
    assert page.status_code == 200
    answer = requests.post(recharge["payment_url"], data={"action": action, "wallet": "01770618575"},
                           allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["Location"]


def callback(client, location):
    """The browser following bKash's redirect back to the service."""
    return client.get("/" + location.split("/", 3)[3])


def test_recharge_pays_and_credits_once(shop, client, bkash):
    recharge = start(shop)
    assert recharge["status"] == "pending" and recharge["method"] == "bkash"
    assert recharge["payment_url"].startswith(bkash.url + "/pay/")
    location = pay(recharge)
    assert location.startswith("http://bikri.test/payments/bkash/callback?paymentID=")
    page = callback(client, location)
    assert page.status_code == 200 and 'data-status="completed"' in page.get_data(as_text=True)
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"
    # the browser comes back twice (reload, back button): no second credit
    callback(client, location)
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"
    history = shop.get("/api/sms/recharge-history").json["items"]
    assert history[0]["status"] == "completed" and history[0]["reference"]


def test_cancel_credits_nothing(shop, client, bkash):
    location = pay(start(shop), action="cancel")
    assert "status=cancel" in location
    page = callback(client, location)
    assert 'data-status="cancelled"' in page.get_data(as_text=True)
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"


def test_forged_cancel_for_a_paid_recharge_is_not_believed(app, shop, client, bkash):
    """The payer paid, but a forged "cancel" reaches us before (or instead of) bKash's redirect."""
    recharge = start(shop)
    location = pay(recharge)
    callback(client, location.replace("status=success", "status=cancel"))
    with app.app_context():
        assert db.session.get(Recharge, recharge["id"]).status == "pending"  # bKash says it is not over
    callback(client, location)
    with app.app_context():
        assert db.session.get(Recharge, recharge["id"]).status == "completed"
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"


def test_execute_timeout_then_query_credits_once(app, shop, client, bkash):
    bkash.drop_next_execute_response()  # bKash completes the payment but the answer never arrives
    location = pay(start(shop))
    callback(client, location)
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"
    callback(client, location)
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"


def test_a_lost_callback_is_found_by_the_reconcile_job(app, shop, bkash):
    from datetime import timedelta

    from backend.clock import utcnow

    recharge = start(shop)
    pay(recharge)  # the browser never comes back to us
    with app.app_context():
        row = db.session.get(Recharge, recharge["id"])
        row.created_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert service.reconcile_pending_recharges() == 1
        assert db.session.get(Recharge, recharge["id"]).status == "completed"
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"


def test_declined_payment_is_failed_and_credits_nothing(shop, client, bkash):
    bkash.fail_next_execute("2023", "Insufficient Balance")
    location = pay(start(shop))
    page = callback(client, location).get_data(as_text=True)
    assert 'data-status="failed"' in page
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"


def test_recharge_without_bkash_configured_says_so(shop, app):
    app.config["BKASH"] = {**app.config["BKASH"], "base_url": ""}
    response = shop.post("/api/sms/recharge", json={"amount": 500})
    assert response.status_code == 503 and response.json["error"]["code"] == "recharge_unavailable"


def test_bkash_not_opening_the_payment_is_said_and_kept_on_record(shop, app, bkash):
    app.config["BKASH"] = {**app.config["BKASH"], "base_url": "http://127.0.0.1:9/tokenized/checkout"}  # nobody listens
    response = shop.post("/api/sms/recharge", json={"amount": 500})
    assert response.status_code == 202
    recharge = shop.get(response.headers["Location"]).json
    assert recharge["status"] == "failed" and recharge["payment_url"] is None
    assert "bKash did not open the payment" in recharge["error"]
    history = shop.get("/api/sms/recharge-history").json["items"]
    assert [(item["status"], item["amount"]) for item in history] == [("failed", "500.00")]
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"


def test_unknown_payment_on_the_callback_is_404(client, bkash):
    assert client.get("/payments/bkash/callback?paymentID=nope&status=success").status_code == 404
