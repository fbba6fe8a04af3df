"""bKash recharge end to end against the bKash sandbox over real sockets: the callback only
queues bKash's execute for a worker (it never waits on bKash), and the wallet is credited exactly
once, whatever the callback, its replays and the network do."""
import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests

from backend.clock import utcnow
from backend.extensions import db
from backend.sandbox.bkash import BkashSandbox
from backend.sandbox.server import SandboxServer
from backend.sms import service
from backend.sms.models import Recharge
from tests.sms.payments import (
    balance, callback, callbacks_at_once, credits, forged_success, outcome, payment_id, verifications_at_once,
    verify_due_again,
)
from tests.sync.helpers import writes_while_asked


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


def asked(bkash):
    """bKash's payment calls so far (tokens aside)."""
    return {name: bkash.count(name) for name in ("execute", "status")}


def test_recharge_pays_and_credits_once(shop, client, bkash):
    recharge = start(shop)
    assert recharge["status"] == "pending" and recharge["method"] == "bkash"
    assert recharge["payment_url"].startswith(bkash.url + "/pay/")
    location = pay(recharge)
    assert location.startswith("http://bikri.test/payments/bkash/callback?paymentID=")
    page = callback(client, location)  # the unit tests' inline queue runs the worker's execute at once
    assert page.status_code == 200 and outcome(page) == "completed"
    assert "bKash transaction" in page.get_data(as_text=True)
    assert balance(shop) == "500.00" and asked(bkash) == {"execute": 1, "status": 0}
    # the browser comes back again (reload, back button, a replay): no second credit, bKash not even asked
    for _ in range(3):
        assert outcome(callback(client, location)) == "completed"
    assert balance(shop) == "500.00" and asked(bkash) == {"execute": 1, "status": 0}
    history = shop.get("/api/sms/recharge-history").json["items"]
    assert history[0]["status"] == "completed" and history[0]["reference"]


def test_the_callback_answers_at_once_and_a_worker_executes_the_payment(app, shop, client, bkash, held_verifies):
    """The callback request asks bKash nothing: it records the return, queues one execute and shows
    "confirming…"; the page's progress turns to the result once the worker ran."""
    recharge = start(shop)
    location = pay(recharge)
    page = callback(client, location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and outcome(page) == "confirming"
    assert "Confirming your payment with bKash" in html
    assert asked(bkash) == {"execute": 0, "status": 0}  # nothing remote inside the request
    assert held_verifies == [("sms.verify_bkash_payment", shop.site_id, {"recharge_id": recharge["id"]})]
    with app.app_context():
        row = db.session.get(Recharge, recharge["id"])
        assert row.status == "pending" and row.verify_queued_at is not None
    # a reload or a replay while the worker has not run yet queues nothing more
    assert outcome(callback(client, location)) == "confirming" and len(held_verifies) == 1
    progress = re.search(r'hx-get="(/payments/bkash/progress\?paymentID=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert outcome(client.get(progress)) == "confirming" and asked(bkash) == {"execute": 0, "status": 0}
    assert balance(shop) == "0.00"

    held_verifies.run()  # a worker takes it
    finished = client.get(progress)
    assert outcome(finished) == "completed" and "Recharge complete" in finished.get_data(as_text=True)
    assert asked(bkash) == {"execute": 1, "status": 0} and balance(shop) == "500.00"
    assert callback(client, location).status_code == 200 and held_verifies == []  # completed: nothing queued


def test_the_worker_asks_bkash_with_no_write_open(app, shop, client, bkash, monkeypatch):
    """The execute reaches bKash while no transaction holds writes on the service's database."""
    location = pay(start(shop))
    store = SimpleNamespace(app=SimpleNamespace(dispatch=lambda request: None))
    record = bkash._record
    monkeypatch.setattr(bkash, "_record", lambda endpoint, request, body: (store.app.dispatch(request),
                                                                           record(endpoint, request, body)))
    with writes_while_asked(app, store) as found:
        assert outcome(callback(client, location)) == "completed"
    assert found == [] and asked(bkash)["execute"] == 1


def test_cancel_credits_nothing(shop, client, bkash):
    location = pay(start(shop), action="cancel")
    assert "status=cancel" in location
    page = callback(client, location)
    assert outcome(page) == "cancelled" and "Payment cancelled" in page.get_data(as_text=True)
    assert balance(shop) == "0.00"


def test_a_forged_cancel_for_a_paid_recharge_still_credits_the_payment(app, shop, client, bkash):
    """The payer paid, but a forged "cancel" reaches us before (or instead of) bKash's redirect: the
    URL is not believed; the worker's execute finds the payment authorised and completes it, once."""
    recharge = start(shop)
    location = pay(recharge)
    assert outcome(callback(client, location.replace("status=success", "status=cancel"))) == "completed"
    with app.app_context():
        assert db.session.get(Recharge, recharge["id"]).status == "completed"
    assert outcome(callback(client, location)) == "completed"
    assert balance(shop) == "500.00" and credits(app, shop) == [("recharge", Decimal("500"))]


def test_a_forged_success_before_paying_credits_nothing(app, shop, client, bkash):
    recharge = start(shop)
    paid = payment_id(app, recharge)
    forged = f"/payments/bkash/callback?paymentID={paid}&status=success"
    # bKash refuses the execute (not paid), and is asked once however many forged callbacks come
    forged_success(client, shop, forged, lambda: asked(bkash), {"execute": 1, "status": 1})
    # unknown, malformed or made-up addresses are refused, and bKash is not asked
    assert client.get("/payments/bkash/callback?paymentID=made-up&status=success").status_code == 404
    assert client.get(f"/payments/bkash/callback?paymentID={paid}&status=paid").status_code == 400
    assert client.get("/payments/bkash/callback?paymentID=%3Cscript%3E&status=success").status_code == 404
    assert client.get("/payments/bkash/callback?status=success").status_code == 404
    assert asked(bkash) == {"execute": 1, "status": 1}
    # the payer then pays for real: credited once
    verify_due_again(app, recharge)
    assert outcome(callback(client, pay(recharge))) == "completed" and balance(shop) == "500.00"


def test_execute_timeout_then_query_credits_once(app, shop, client, bkash):
    bkash.drop_next_execute_response()  # bKash completes the payment but the answer never arrives
    location = pay(start(shop))
    assert outcome(callback(client, location)) == "completed"  # the worker's status query says so
    assert balance(shop) == "500.00"
    callback(client, location)
    assert balance(shop) == "500.00" and credits(app, shop) == [("recharge", Decimal("500"))]


def test_bkash_not_answering_leaves_the_recharge_pending_and_it_is_executed_later(app, shop, client, bkash):
    """bKash does not answer the worker's execute in time (and has not executed it): the recharge
    stays pending, the page says why it waits, nothing is credited; the reconcile job executes it later."""
    app.config["BKASH"] = {**app.config["BKASH"], "timeout": 0.5}
    recharge = start(shop)
    location = pay(recharge)
    bkash.delay_next_execute(2, complete=False)
    page = callback(client, location)
    html = page.get_data(as_text=True)
    assert outcome(page) == "confirming" and "bKash is not answering right now" in html
    assert "Do not pay a second time" in html and balance(shop) == "0.00"
    with app.app_context():
        row = db.session.get(Recharge, recharge["id"])
        assert row.status == "pending" and "bKash is not answering" in row.note
        assert bkash.payment(row.payment_id)["status"] == "Authorized"  # paid by the payer, not executed yet
        # the reconcile job (every 5 minutes) asks again; bKash answers: executed and credited once
        row.created_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert service.reconcile_pending_recharges() == 1
        assert db.session.get(Recharge, recharge["id"]).status == "completed"
        assert service.reconcile_pending_recharges() == 0
    assert outcome(callback(client, location)) == "completed"
    assert balance(shop) == "500.00" and credits(app, shop) == [("recharge", Decimal("500"))]


def test_concurrent_callbacks_credit_once(app, shop, bkash, monkeypatch):
    """The payer's browser and replays hit the callback at the same moment, each queueing its own
    execute (the throttle off): one credit, every page answered."""
    from backend.sms import recharges

    monkeypatch.setattr(recharges, "VERIFY_EVERY", timedelta(0))
    pages = callbacks_at_once(app, pay(start(shop)))
    assert [page.status_code for page in pages] == [200] * 6
    assert {outcome(page) for page in pages} <= {"completed", "confirming"}
    assert bkash.count("execute") >= 1
    assert credits(app, shop) == [("recharge", Decimal("500"))]
    with app.app_context():
        assert service.balance_of(shop.site_id) == Decimal("500")


def test_concurrent_workers_credit_once(app, shop, bkash):
    """Workers (two callbacks' tasks, or a callback's and the reconcile job's) execute the same paid
    payment at the same moment: bKash executes one, refuses the others (2117), one credit."""
    recharge = start(shop)
    pay(recharge)
    errors = verifications_at_once(app, shop, recharge["id"], "bkash")
    assert not errors, errors
    assert bkash.count("execute") == 4
    assert credits(app, shop) == [("recharge", Decimal("500"))]
    with app.app_context():
        assert db.session.get(Recharge, recharge["id"]).status == "completed"
        assert service.balance_of(shop.site_id) == Decimal("500")


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
    page = callback(client, location)
    assert outcome(page) == "failed" and "Payment not completed" in page.get_data(as_text=True)
    assert balance(shop) == "0.00"


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


def test_the_callback_pages_in_bangla(app, shop, client, bkash, held_verifies):
    bangla = {"Accept-Language": "bn-BD,bn;q=0.9"}
    location = pay(start(shop))
    page = client.get("/" + location.split("/", 3)[3], headers=bangla).get_data(as_text=True)
    assert "বিকাশ-এর কাছে আপনার পেমেন্ট যাচাই করা হচ্ছে" in page and "Confirming" not in page
    cancelled = pay(start(shop), action="cancel")
    client.get("/" + cancelled.split("/", 3)[3])
    held_verifies.run()  # the worker asks bKash about both
    page = client.get("/" + cancelled.split("/", 3)[3], headers=bangla).get_data(as_text=True)
    assert "পেমেন্ট বাতিল হয়েছে" in page and "cancelled" not in page.lower().replace('data-status="cancelled"', "")
