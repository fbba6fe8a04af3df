"""The bKash adapter against the bKash sandbox, over real sockets.

The sandbox and the adapter share a fake clock, so token expiry is tested without sleeping.
The shopper's part is played by `requests` on the sandbox's pay page, and bKash's redirect
lands on a small callback server of our own, as it would on the service.
"""
import time
from decimal import Decimal

import pytest
import requests
from werkzeug.wrappers import Request, Response

from backend.integrations.payments import (
    CANCELLED, COMPLETED, FAILED, PAYMENT_GATEWAYS, PENDING, BkashGateway, PaymentError, PaymentResult,
    get_payment_gateway,
)
from backend.integrations.payments.bkash import TokenCache
from backend.sandbox.bkash import PREFIX, SANDBOX_WALLET, BkashSandbox
from backend.sandbox.server import SANDBOXES, SandboxServer
from tests.threads import errors_at_once


class FakeClock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class CallbackApp:
    """Where bKash sends the shopper's browser back: records each callback's query string."""

    def __init__(self):
        self.hits = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.hits.append(dict(request.args))
        return Response("back at the shop")(environ, start_response)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sandbox(clock):
    return BkashSandbox(clock=clock)


@pytest.fixture
def bkash_url(sandbox):
    server = SandboxServer(sandbox)
    url = server.start()
    yield url
    sandbox.reset()  # wakes an execute still sleeping in a delay test
    server.stop()


@pytest.fixture
def callback():
    app = CallbackApp()
    with SandboxServer(app) as url:
        app.url = url + "/sms/recharge/bkash/callback?recharge=42"
        yield app


@pytest.fixture
def tokens():
    return TokenCache()


@pytest.fixture
def make_gateway(sandbox, bkash_url, clock, tokens):
    def make(**overrides):
        return BkashGateway(sandbox.gateway_config(bkash_url, **overrides), tokens=tokens, clock=clock)
    return make


@pytest.fixture
def gateway(make_gateway):
    return make_gateway()


def create(gateway, callback, amount=Decimal("500.00"), invoice="BIKRI-R-42"):
    return gateway.create_payment(amount=amount, invoice=invoice, callback_url=callback.url,
                                  payer_reference="01711000000")


def shopper(redirect_url, action="pay", wallet=SANDBOX_WALLET):
    """Open bKash's page as a browser would, press a button, follow the redirect home."""
    page = requests.get(redirect_url, timeout=5)
    assert page.status_code == 200
    assert 'name="viewport" content="width=device-width' in page.text  # usable on a 360 px phone
    assert '<button class="pay" name="action" value="pay">Pay</button>' in page.text
    assert '<button class="cancel" name="action" value="cancel">Cancel</button>' in page.text
    return requests.post(redirect_url, data={"wallet": wallet, "action": action}, timeout=5)


def test_registry_and_sandbox_registration(sandbox, bkash_url):
    assert PAYMENT_GATEWAYS["bkash"] is BkashGateway
    assert SANDBOXES["bkash"] is BkashSandbox
    gateway = get_payment_gateway("bkash", sandbox.gateway_config(bkash_url))
    assert isinstance(gateway, BkashGateway) and gateway.key == "bkash" and gateway.name == "bKash"
    with pytest.raises(KeyError, match="no payment gateway 'rocket'"):
        get_payment_gateway("rocket", {})
    with pytest.raises(PaymentError, match="app_secret, username") as error:
        get_payment_gateway("bkash", {"base_url": "https://x.test", "app_key": "k"})
    assert error.value.code == "not_configured" and not error.value.retryable


def test_full_payment_create_pay_callback_execute(gateway, sandbox, callback):
    created = create(gateway, callback)
    assert created.payment_id.startswith("TR0011")
    assert created.redirect_url.endswith(f"/pay/{created.payment_id}")
    assert created.raw["transactionStatus"] == "Initiated"

    home = shopper(created.redirect_url)
    assert home.status_code == 200 and home.text == "back at the shop"
    assert callback.hits == [{"recharge": "42", "paymentID": created.payment_id, "status": "success"}]

    result = gateway.execute_payment(created.payment_id)
    assert result.status == COMPLETED and result.is_completed
    assert result.payment_id == created.payment_id
    assert result.amount == Decimal("500.00")
    assert result.invoice == "BIKRI-R-42"
    assert result.transaction_id == sandbox.payment(created.payment_id)["trxID"]
    assert result.raw["customerMsisdn"] == SANDBOX_WALLET

    queried = gateway.query_payment(created.payment_id)
    assert queried.status == COMPLETED and queried.transaction_id == result.transaction_id


def test_wire_format_of_every_call(gateway, sandbox, callback):
    created = create(gateway, callback, amount=Decimal("99.5"))
    shopper(created.redirect_url)
    gateway.execute_payment(created.payment_id)
    gateway.query_payment(created.payment_id)

    grant, create_call, execute, status = sandbox.calls
    assert grant["path"] == f"{PREFIX}/token/grant"
    assert grant["headers"]["username"] == sandbox.username
    assert grant["headers"]["password"] == sandbox.password
    assert grant["json"] == {"app_key": sandbox.app_key, "app_secret": sandbox.app_secret}

    id_token = next(iter(sandbox.id_tokens))
    for call in (create_call, execute, status):
        assert call["headers"]["Authorization"] == id_token  # the bare token, no "Bearer"
        assert call["headers"]["X-APP-Key"] == sandbox.app_key
        assert call["headers"]["Content-Type"] == "application/json"
        assert "password" not in call["headers"]
    assert create_call["json"] == {
        "mode": "0011", "payerReference": "01711000000", "callbackURL": callback.url,
        "amount": "99.50", "currency": "BDT", "intent": "sale", "merchantInvoiceNumber": "BIKRI-R-42",
    }
    assert execute["path"] == f"{PREFIX}/execute" and execute["json"] == {"paymentID": created.payment_id}
    assert status["path"] == f"{PREFIX}/payment/status" and status["json"] == {"paymentID": created.payment_id}


@pytest.mark.parametrize("amount, sent", [
    (Decimal("500"), "500.00"), (Decimal("10.5"), "10.50"), (Decimal("0.01"), "0.01"), (100, "100.00"),
    ("1500.25", "1500.25"),
])
def test_amount_is_a_string_with_two_decimals(gateway, sandbox, callback, amount, sent):
    created = create(gateway, callback, amount=amount)
    assert sandbox.calls[-1]["json"]["amount"] == sent
    assert created.raw["amount"] == sent


@pytest.mark.parametrize("amount, why", [
    (10.5, "not a float"), (Decimal("1.005"), "more than two decimals"), (Decimal("0"), "more than zero"),
    (Decimal("-5.00"), "more than zero"), ("ten", "not a number"), (Decimal("NaN"), "more than zero"),
])
def test_bad_amounts_are_refused_before_calling_bkash(gateway, sandbox, callback, amount, why):
    with pytest.raises(PaymentError, match=why) as error:
        create(gateway, callback, amount=amount)
    assert error.value.code == "invalid_amount" and not error.value.retryable
    assert sandbox.calls == []


def test_token_is_granted_once_and_cached_across_gateways(make_gateway, sandbox, callback):
    first, second = make_gateway(), make_gateway()  # routes build one per request
    for gateway in (first, second, first):
        create(gateway, callback)
    assert sandbox.count("grant") == 1
    assert sandbox.count("create") == 3


def test_default_cache_is_process_wide(sandbox, bkash_url, callback):
    # get_payment_gateway() is what the recharge routes call: no token store passed in.
    for _ in range(3):
        create(get_payment_gateway("bkash", sandbox.gateway_config(bkash_url)), callback)
    assert sandbox.count("grant") == 1


def test_concurrent_first_payments_share_one_grant(make_gateway, sandbox, callback):
    assert errors_at_once(lambda: create(make_gateway(), callback), 8) == []
    assert sandbox.count("grant") == 1 and sandbox.count("create") == 8


def test_token_is_refreshed_shortly_before_it_expires(gateway, sandbox, callback, clock):
    create(gateway, callback)
    clock.advance(3000)  # 50 minutes: still good
    create(gateway, callback)
    assert (sandbox.count("grant"), sandbox.count("refresh")) == (1, 0)

    clock.advance(400)  # 3400 s: within 5 minutes of expiry, renew before bKash refuses it
    create(gateway, callback)
    assert (sandbox.count("grant"), sandbox.count("refresh")) == (1, 1)
    refresh = [c for c in sandbox.calls if c["endpoint"] == "refresh"][0]
    assert set(refresh["json"]) == {"app_key", "app_secret", "refresh_token"}
    assert refresh["json"]["refresh_token"] in sandbox.refresh_tokens

    create(gateway, callback)
    assert (sandbox.count("grant"), sandbox.count("refresh")) == (1, 1)


def test_regrant_when_the_refresh_token_has_expired_too(gateway, sandbox, callback, clock):
    create(gateway, callback)
    clock.advance(29 * 86400)  # past the refresh token's life as well
    create(gateway, callback)
    assert (sandbox.count("grant"), sandbox.count("refresh")) == (2, 1)
    assert sandbox.count("create") == 2


def test_a_token_bkash_drops_early_is_renewed_and_the_call_repeated(gateway, sandbox, callback):
    create(gateway, callback)
    sandbox.expire_tokens()  # bKash refuses the token although its expires_in has not run out

    created = create(gateway, callback)

    assert created.payment_id
    assert sandbox.count("create") == 3  # refused once with 401, then repeated
    assert sandbox.count("refresh") == 1 and sandbox.count("grant") == 1


def test_wrong_username_or_password_is_a_clear_error(make_gateway, sandbox, callback):
    gateway = make_gateway(password="not-the-password")
    with pytest.raises(PaymentError) as error:
        create(gateway, callback)
    assert error.value.code == "auth_failed" and not error.value.retryable
    assert "refused the merchant credentials" in error.value.message
    assert "username, password, app key and app secret" in error.value.message
    assert "not-the-password" not in error.value.message
    assert sandbox.count("create") == 0


def test_wrong_app_secret_is_a_clear_error(make_gateway, callback):
    with pytest.raises(PaymentError, match=r"Invalid App Key \(2001\)") as error:
        create(make_gateway(app_secret="nope"), callback)
    assert error.value.code == "auth_failed"


def test_wrong_app_key_header_on_create(make_gateway, sandbox, callback, tokens):
    create(make_gateway(), callback)  # a good token in the cache
    gateway = make_gateway()
    gateway.config["app_key"] = "another-key"  # same cache entry, wrong header
    with pytest.raises(PaymentError, match=r"refused to create the payment: Invalid App Key \(2001\)") as error:
        create(gateway, callback)
    assert error.value.code == "bkash_2001" and not error.value.retryable


def test_cancel_on_the_pay_page(gateway, callback, sandbox):
    created = create(gateway, callback)
    shopper(created.redirect_url, action="cancel")
    assert callback.hits[-1]["status"] == "cancel"

    assert gateway.query_payment(created.payment_id).status == CANCELLED
    # A forged "success" callback for it leads to execute, which bKash refuses: still cancelled.
    result = gateway.execute_payment(created.payment_id)
    assert result.status == CANCELLED and not result.is_completed
    assert sandbox.payment(created.payment_id)["status"] == "Cancelled"


def test_declined_payment_sends_failure(gateway, callback, sandbox):
    sandbox.decline_next_payment()
    created = create(gateway, callback)
    shopper(created.redirect_url)
    assert callback.hits[-1]["status"] == "failure"
    assert gateway.execute_payment(created.payment_id).status == FAILED


def test_callback_without_paying_is_not_trusted(gateway, callback):
    created = create(gateway, callback)
    requests.get(callback.url + f"&paymentID={created.payment_id}&status=success", timeout=5)  # typed by hand
    result = gateway.execute_payment(created.payment_id)
    assert result.status == PENDING and not result.is_completed


def test_execute_timeout_then_query_says_completed(make_gateway, sandbox, callback):
    # the token grant and the create with the usual timeout (on a loaded machine the grant alone
    # can take over 0.5 s); only the execute is asked with the short one, with the same token
    created = create(make_gateway(), callback)
    gateway = make_gateway(timeout=0.5)
    shopper(created.redirect_url)
    sandbox.delay_next_execute(3, complete=True)

    started = time.monotonic()
    with pytest.raises(PaymentError) as error:
        gateway.execute_payment(created.payment_id)
    assert time.monotonic() - started < 2.5
    assert error.value.code == "timeout" and error.value.retryable

    queried = gateway.query_payment(created.payment_id)
    assert queried.status == COMPLETED
    assert queried.transaction_id == sandbox.payment(created.payment_id)["trxID"]
    assert sandbox.count("grant") == 1  # the short-timeout gateway used the token already granted


def test_execute_answer_lost_then_execute_again_does_not_double_complete(gateway, sandbox, callback):
    created = create(gateway, callback)
    shopper(created.redirect_url)
    sandbox.drop_next_execute_response()

    with pytest.raises(PaymentError) as error:
        gateway.execute_payment(created.payment_id)
    assert error.value.code == "unreachable" and error.value.retryable
    trx = sandbox.payment(created.payment_id)["trxID"]

    retried = gateway.execute_payment(created.payment_id)  # bKash: 2117, already executed → query
    assert retried.status == COMPLETED and retried.transaction_id == trx
    assert sandbox.payment(created.payment_id)["trxID"] == trx
    assert sandbox.count("execute") == 2 and sandbox.count("status") == 1


def test_second_execute_of_a_completed_payment(gateway, sandbox, callback):
    created = create(gateway, callback)
    shopper(created.redirect_url)
    first = gateway.execute_payment(created.payment_id)
    second = gateway.execute_payment(created.payment_id)
    assert first.status == second.status == COMPLETED
    assert first.transaction_id == second.transaction_id
    assert second.amount == Decimal("500.00")
    assert [c["endpoint"] for c in sandbox.calls[-3:]] == ["execute", "execute", "status"]


def test_payer_side_failure_keeps_bkash_reason(gateway, sandbox, callback):
    created = create(gateway, callback)
    shopper(created.redirect_url)
    sandbox.fail_next_execute("2023", "Insufficient Balance")
    result = gateway.execute_payment(created.payment_id)
    assert isinstance(result, PaymentResult)
    assert result.status == FAILED
    assert result.message == "Insufficient Balance (2023)"


def test_bkash_system_error_on_execute_is_retryable(gateway, sandbox, callback):
    created = create(gateway, callback)
    shopper(created.redirect_url)
    sandbox.fail_next_execute("503", "System is undergoing maintenance. Please try again later",
                              http_status=503, payment_status=None)
    with pytest.raises(PaymentError) as error:
        gateway.execute_payment(created.payment_id)
    assert error.value.retryable and error.value.code == "bkash_http_503"
    assert gateway.query_payment(created.payment_id).status == PENDING
    assert gateway.execute_payment(created.payment_id).status == COMPLETED


def test_unknown_payment(gateway):
    with pytest.raises(PaymentError, match=r"Invalid Payment ID \(2002\)") as error:
        gateway.query_payment("TR0011NOSUCHPAYMENT")
    assert error.value.code == "bkash_2002" and not error.value.retryable


def test_unreachable_bkash_is_retryable(clock, tokens):
    gateway = BkashGateway({"base_url": "http://127.0.0.1:9/v1.2.0-beta/tokenized/checkout", "app_key": "k",
                            "app_secret": "s", "username": "u", "password": "p", "timeout": 2},
                           tokens=tokens, clock=clock)
    with pytest.raises(PaymentError) as error:
        gateway.query_payment("TR0011X")
    assert error.value.retryable and error.value.code in ("unreachable", "timeout")


def test_pay_page_checks_the_wallet_and_closes_after_use(gateway, callback):
    created = create(gateway, callback)
    bad = requests.post(created.redirect_url, data={"wallet": "0171", "action": "pay"}, timeout=5)
    assert bad.status_code == 400 and "11 digits" in bad.text
    assert callback.hits == []

    shopper(created.redirect_url, wallet="+880 1711-000000")
    again = requests.get(created.redirect_url, timeout=5)
    assert again.status_code == 409 and "already authorized" in again.text
    assert requests.get(created.redirect_url + "X", timeout=5).status_code == 404


def test_http_controls_for_a_sandbox_in_another_process(gateway, sandbox, bkash_url, callback):
    created = create(gateway, callback)
    shopper(created.redirect_url)
    assert requests.post(f"{bkash_url}/__sandbox__/execute/fail", json={"statusCode": "2023"}, timeout=5).ok
    assert gateway.execute_payment(created.payment_id).status == FAILED

    state = requests.get(f"{bkash_url}/__sandbox__/state", timeout=5).json()
    assert state["calls"]["execute"] == 1
    assert state["payments"][0]["status"] == "Failed"

    assert requests.post(f"{bkash_url}/__sandbox__/reset", timeout=5).ok
    assert sandbox.payments == {} and sandbox.calls == []
