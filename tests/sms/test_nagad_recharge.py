"""Nagad recharges end to end against the Nagad sandbox over real sockets: the callback is never
believed by itself, a worker asks Nagad's verify, and the wallet is credited exactly once."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from backend.extensions import db
from backend.licensing.models import Site
from backend.integrations.payments.nagad import new_private_key_pem
from backend.sandbox.nagad import SANDBOX_WALLET, NagadSandbox
from backend.sandbox.server import SandboxServer
from backend.sms import recharges, service
from backend.sms.models import PaymentGatewaySetting, Recharge, WalletEntry
from backend.clock import utcnow
from tests.sms.payments import (
    balance, callback, callbacks_at_once, credits, forged_success, outcome, payment_id, verifications_at_once,
    verify_due_again,
)
from tests.sync.helpers import hold_tasks, transactions_while_asked


@pytest.fixture(scope="module")
def merchant_key():
    return new_private_key_pem()


@pytest.fixture
def nagad(app, merchant_key):
    """The sandbox Nagad on a real socket, switched on in the console's settings."""
    sandbox = NagadSandbox()
    with SandboxServer(sandbox) as url:
        sandbox.url = url
        with app.app_context():
            service.configure_payment_gateway("nagad", sandbox.gateway_config(url, merchant_key), enabled=True, by="test")
            db.session.commit()
        yield sandbox


def start(shop, amount=500):
    response = shop.post("/api/sms/recharge", json={"amount": amount, "method": "nagad"})
    assert response.status_code == 202, response.json
    recharge = shop.get(response.headers["Location"]).json
    assert recharge["method"] == "nagad" and recharge["status"] == "pending" and recharge["payment_url"], recharge
    return recharge


def pay(recharge, action="pay"):
    """The shop owner on Nagad's page; returns where Nagad sends the browser."""
    assert requests.get(recharge["payment_url"], timeout=5).status_code == 200
    answer = requests.post(recharge["payment_url"], data={"action": action, "wallet": SANDBOX_WALLET},
                           allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def test_pay_with_nagad_credits_once_and_a_replayed_callback_changes_nothing(app, shop, client, nagad):
    recharge = start(shop)
    assert recharge["payment_url"].startswith(nagad.url + "/check-out/")
    location = pay(recharge)
    assert location.startswith("http://bikri.test/payments/nagad/callback?") and "status=Success" in location
    page = callback(client, location)  # the unit tests' inline queue runs the verify task at once
    assert page.status_code == 200 and outcome(page) == "completed"
    assert "Nagad transaction" in page.get_data(as_text=True)
    assert balance(shop) == "500.00" and nagad.count("verify") == 1
    # reload, back button, a replay by someone who saw the address: nothing more, Nagad not even asked
    for _ in range(3):
        assert outcome(callback(client, location)) == "completed"
    assert balance(shop) == "500.00" and nagad.count("verify") == 1
    history = shop.get("/api/sms/recharge-history").json["items"]
    assert (history[0]["method"], history[0]["status"]) == ("nagad", "completed") and history[0]["reference"]
    with app.app_context():
        assert service.balance_of(shop.site_id) == service.ledger_sum(shop.site_id) == Decimal("500")


def test_nagad_opens_the_payment_with_no_transaction_open(app, shop, nagad, monkeypatch):
    """The worker opening the payment only reads (the recharge, the gateway's settings) before it
    asks Nagad, and ends that reading transaction first: none waits open on the gateway."""
    held = hold_tasks(monkeypatch, recharges)
    with app.app_context():
        recharge_id = recharges.start_recharge(db.session.get(Site, shop.site_id), Decimal("500"), "nagad").id
        db.session.commit()
    with transactions_while_asked(app, nagad) as found:
        held.run(app)
    assert found == [] and nagad.count("initialize") == nagad.count("complete") == 1
    with app.app_context():
        recharge = db.session.get(Recharge, recharge_id)
        assert recharge.status == "pending" and recharge.payment_url.startswith(nagad.url + "/check-out/")


def test_the_callback_asks_nagad_nothing_and_a_worker_verifies(app, shop, client, nagad, held_verifies):
    recharge = start(shop)
    location = pay(recharge)
    page = callback(client, location)
    assert outcome(page) == "confirming" and nagad.count("verify") == 0
    assert held_verifies == [("sms.verify_nagad_payment", shop.site_id, {"recharge_id": recharge["id"]})]
    assert outcome(callback(client, location)) == "confirming" and len(held_verifies) == 1  # a reload queues nothing more
    held_verifies.run()
    progress = re.search(r'hx-get="(/payments/nagad/progress\?payment_ref_id=[^"]+)"', page.get_data(as_text=True)).group(1)
    assert outcome(client.get(progress.replace("&amp;", "&"))) == "completed"
    assert nagad.count("verify") == 1 and balance(shop) == "500.00"


def test_a_forged_success_callback_before_paying_credits_nothing(app, shop, client, nagad):
    recharge = start(shop)
    reference = payment_id(app, recharge)
    forged = f"/payments/nagad/callback?payment_ref_id={reference}&status=Success&order_id=BIKRI{recharge['id']}"
    # Nagad says it is not paid: still waiting, and Nagad is asked once however many forged callbacks come
    page = forged_success(client, shop, forged, lambda: nagad.count("verify"), 1)
    assert "Confirming your payment with Nagad" in page.get_data(as_text=True)
    # an unknown payment reference is not found, and Nagad is not asked
    assert client.get("/payments/nagad/callback?payment_ref_id=made-up&status=Success").status_code == 404
    assert nagad.count("verify") == 1
    # the payer then pays for real: credited once
    verify_due_again(app, recharge)
    assert outcome(callback(client, pay(recharge))) == "completed" and balance(shop) == "500.00"


def test_cancelled_on_nagads_page_credits_nothing(shop, client, nagad):
    location = pay(start(shop), action="cancel")
    assert "status=Aborted" in location
    assert outcome(callback(client, location)) == "cancelled" and balance(shop) == "0.00"


def test_a_merchant_key_nagad_does_not_know_is_refused_and_said(app, shop, nagad):
    """The operator pasted another private key than the one registered at Nagad: Nagad refuses the
    signature, the recharge fails with Nagad's reason, nothing is credited."""
    with app.app_context():
        _on, settings = service.payment_gateway_settings("nagad")
        service.configure_payment_gateway("nagad", {**settings, "merchant_private_key": new_private_key_pem()},
                                          enabled=True, by="test")
        db.session.commit()
    response = shop.post("/api/sms/recharge", json={"amount": 500, "method": "nagad"})
    recharge = shop.get(response.headers["Location"]).json
    assert recharge["status"] == "failed" and recharge["payment_url"] is None
    assert "Nagad did not open the payment" in recharge["error"] and "INVALID_SIGNATURE" in recharge["error"]
    assert balance(shop) == "0.00"


def test_amount_mismatch_is_held_for_an_operator_and_never_credited(app, shop, client, operator_client, nagad):
    recharge = start(shop)
    nagad.report_next_verify(amount="5.00")  # Nagad reports a payment of another sum
    location = pay(recharge)
    page = callback(client, location)
    assert outcome(page) == "held" and "does not match this recharge" in page.get_data(as_text=True)
    assert outcome(callback(client, location)) == "held"  # a second callback does not retry into a credit
    assert balance(shop) == "0.00" and nagad.count("verify") == 1
    with app.app_context():
        row = db.session.get(Recharge, recharge["id"])
        assert row.status == "held" and "reports 5.00 paid for a 500.0000 recharge" in row.note
        assert db.session.execute(select(WalletEntry).where(WalletEntry.site_id == shop.site_id)).first() is None
    api = shop.get(f"/api/sms/recharges/{recharge['id']}").json
    assert api["status"] == "held" and "held for an operator" in api["error"]
    # the console lists it until an operator closes it with what they found
    console = operator_client.get("/operator/sms/").get_data(as_text=True)
    assert f'<tr data-recharge="{recharge["id"]}">' in console and "Online payments held for a check" in console
    close = f"/operator/sms/recharges/{recharge['id']}/close"
    assert "Say what was found" in operator_client.post(close, data={"csrf_token": operator_client.csrf},
                                                        follow_redirects=True).get_data(as_text=True)
    operator_client.post(close, data={"csrf_token": operator_client.csrf, "reason": "Paid 5 taka; refunded by Nagad"})
    with app.app_context():
        row = db.session.get(Recharge, recharge["id"])
        assert row.status == "failed" and row.note == "Checked by ops@bikri.test: Paid 5 taka; refunded by Nagad"
    assert "Online payments held for a check" not in operator_client.get("/operator/sms/").get_data(as_text=True)
    assert balance(shop) == "0.00"


def test_a_payment_for_another_order_is_not_credited(app, shop, client, nagad):
    """Verify answers about a paid payment whose order id is not this recharge's."""
    recharge = start(shop)
    location = pay(recharge)
    reference = payment_id(app, recharge)
    nagad.payments[reference]["orderId"] = "BIKRI999999"
    assert outcome(callback(client, location)) == "held" and balance(shop) == "0.00"


def test_nagad_down_says_so_credits_nothing_and_is_asked_again(app, shop, client, nagad):
    recharge = start(shop)
    location = pay(recharge)
    nagad.fail_next_verify(times=1)  # Nagad answers verify with a 503
    page = callback(client, location)
    text = page.get_data(as_text=True)
    assert outcome(page) == "confirming" and "Nagad is not answering right now" in text
    assert "Do not pay a second time" in text and balance(shop) == "0.00"
    # the page polls its progress; still waiting
    progress = re.search(r'hx-get="(/payments/nagad/progress\?payment_ref_id=[^"]+)"', text).group(1)
    assert outcome(client.get(progress.replace("&amp;", "&"))) == "confirming"
    # the reconcile job (every 5 minutes) asks again; Nagad is back: credited once
    with app.app_context():
        db.session.get(Recharge, recharge["id"]).created_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert service.reconcile_pending_recharges() == 1
        assert db.session.get(Recharge, recharge["id"]).status == "completed"
        assert service.reconcile_pending_recharges() == 0
    assert outcome(client.get(progress.replace("&amp;", "&"))) == "completed"
    assert outcome(callback(client, location)) == "completed" and balance(shop) == "500.00"


def test_concurrent_verifications_credit_once(app, shop, nagad):
    """Two workers (two callbacks, or a callback and the reconcile job) settle the same paid
    payment at the same moment: one credit."""
    recharge = start(shop)
    pay(recharge)
    nagad.verify_latency = 0.3  # both are inside Nagad's verify at once
    errors = verifications_at_once(app, shop, recharge["id"], "nagad")
    assert not errors, errors
    assert nagad.count("verify") == 4
    assert credits(app, shop) == [("recharge", Decimal("500"))]
    with app.app_context():
        assert service.balance_of(shop.site_id) == Decimal("500")
        assert db.session.get(Recharge, recharge["id"]).status == "completed"


def test_nagad_switched_off_refuses_before_writing(app, shop, nagad):
    with app.app_context():
        _on, settings = service.payment_gateway_settings("nagad")
        service.configure_payment_gateway("nagad", settings, enabled=False, by="test")
        db.session.commit()
    response = shop.post("/api/sms/recharge", json={"amount": 500, "method": "nagad"})
    assert response.status_code == 503 and response.json["error"]["code"] == "recharge_unavailable"
    assert "Nagad" in response.json["error"]["message"]
    assert shop.get("/api/sms/recharge-history").json["items"] == []


def test_the_sms_page_offers_nagad_and_opens_its_payment(shop, nagad):
    _page, session = shop.open_page("sms")
    headers = {"X-Bikri-Embed-Session": session}
    html = shop.client.get("/embed/sms/balance", headers=headers).get_data(as_text=True)
    assert 'value="nagad"' in html and "Recharge with Nagad" in html
    answer = shop.client.post("/embed/sms/recharge", data={"amount": "300", "method": "nagad"}, headers=headers)
    html = answer.get_data(as_text=True)
    assert "Pay with Nagad" in html and f'href="{nagad.url}/check-out/' in html


def test_the_console_stores_nagad_encrypted_and_reports_revenue_by_method(app, shop, client, operator_client, nagad,
                                                                          merchant_key):
    form = {"csrf_token": operator_client.csrf, "enabled": "on", "base_url": nagad.url + "/remote-payment-gateway-1.0/api/dfs",
            "merchant_id": "683002007104225", "merchant_number": "01711428036", "nagad_public_key": nagad.public_key_pem,
            "merchant_private_key": "", "server_ip": "203.0.113.9"}
    # the private key left blank keeps the stored one
    assert operator_client.post("/operator/sms/payments/nagad", data=form).status_code == 302
    with app.app_context():
        enabled, settings = service.payment_gateway_settings("nagad")
        assert enabled and settings["server_ip"] == "203.0.113.9" and settings["merchant_private_key"] == merchant_key
        stored = db.session.execute(select(PaymentGatewaySetting.settings_enc)).scalar_one()
        assert "PRIVATE KEY" not in stored and "683002007104225" not in stored  # encrypted at rest
    console = operator_client.get("/operator/sms/").get_data(as_text=True)
    assert "BEGIN PUBLIC KEY" in console and merchant_key.splitlines()[1] not in console
    # a bad key is refused with the reason, and nothing changes
    bad = operator_client.post("/operator/sms/payments/nagad", data={**form, "merchant_private_key": "nonsense"},
                               follow_redirects=True).get_data(as_text=True)
    assert "merchant_private_key" in bad
    with app.app_context():
        assert service.payment_gateway_settings("nagad")[1]["merchant_private_key"] == merchant_key

    # revenue by payment method: a Nagad recharge paid, an operator credit; bKash none
    assert outcome(callback(client, pay(start(shop, 700)))) == "completed"
    with app.app_context():
        service.operator_credit(db.session.get(Site, shop.site_id), Decimal("250"), operator="ops@bikri.test")
        db.session.commit()
    console = operator_client.get("/operator/sms/").get_data(as_text=True)
    table = console[console.index('id="revenue-by-method"'):]
    rows = dict(re.findall(r'<tr data-method="(\w+)">.*?<td>(\d+)</td>', table))
    assert rows == {"bkash": "0", "nagad": "1", "manual": "1"}
    assert "700" in table[table.index('data-method="nagad"'):table.index('data-method="manual"')]
    # a period before today has none
    old = operator_client.get("/operator/sms/?start=2020-01-01&end=2020-01-31").get_data(as_text=True)
    assert dict(re.findall(r'<tr data-method="(\w+)">.*?<td>(\d+)</td>', old[old.index('id="revenue-by-method"'):])) == \
        {"bkash": "0", "nagad": "0", "manual": "0"}



def test_the_recharge_buttons_in_bangla(shop, nagad):
    _page, session = shop.open_page("sms", locale="bn_BD")
    html = shop.client.get("/embed/sms/balance", headers={"X-Bikri-Embed-Session": session}).get_data(as_text=True)
    assert "নগদ দিয়ে রিচার্জ করুন" in html and "Recharge with" not in html


def test_online_recharges_a_shop_may_start_are_limited(app, shop, nagad):
    from backend.sms.recharges import ONLINE_HOURLY_LIMIT

    with app.app_context():
        for _ in range(ONLINE_HOURLY_LIMIT):
            db.session.add(Recharge(site_id=shop.site_id, amount=Decimal("100"), method="nagad", status="failed"))
        db.session.commit()
    response = shop.post("/api/sms/recharge", json={"amount": 500, "method": "nagad"})
    assert response.status_code == 429 and response.json["error"]["code"] == "rate_limited"
    assert nagad.count("initialize") == 0
    with app.app_context():  # an hour later the shop may again
        db.session.execute(Recharge.__table__.update().values(created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    assert shop.post("/api/sms/recharge", json={"amount": 500, "method": "nagad"}).status_code == 202


def test_nagad_down_when_opening_the_payment_is_said_and_nothing_is_credited(app, shop, nagad):
    with app.app_context():
        _on, settings = service.payment_gateway_settings("nagad")
        service.configure_payment_gateway("nagad", {**settings, "base_url": "http://127.0.0.1:9/api/dfs"},  # nobody listens
                                          enabled=True, by="test")
        db.session.commit()
    response = shop.post("/api/sms/recharge", json={"amount": 500, "method": "nagad"})
    assert response.status_code == 202
    recharge = shop.get(response.headers["Location"]).json
    assert recharge["status"] == "failed" and recharge["payment_url"] is None
    assert recharge["error"] == "Nagad did not open the payment: The connection to Nagad failed during the initialize call."
    assert balance(shop) == "0.00"


def test_concurrent_callbacks_credit_once(app, shop, nagad, monkeypatch):
    """The payer's browser and a replay hit the callback at the same moment, each queueing its own
    verify (the throttle off): one credit, every page answered."""
    from backend.sms import recharges

    monkeypatch.setattr(recharges, "VERIFY_EVERY", timedelta(0))
    location = pay(start(shop))
    nagad.verify_latency = 0.2
    pages = callbacks_at_once(app, location)
    assert [page.status_code for page in pages] == [200] * 6
    assert {outcome(page) for page in pages} <= {"completed", "confirming"}
    assert nagad.count("verify") >= 2  # several verifications really ran side by side
    assert credits(app, shop) == [("recharge", Decimal("500"))]
    with app.app_context():
        assert service.balance_of(shop.site_id) == Decimal("500")
