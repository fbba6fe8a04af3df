"""The Nagad adapter against the Nagad sandbox, over real sockets: the RSA work (encrypt to
Nagad, sign with the merchant's key, open Nagad's sealed answer), the payer's page and verify."""
import json
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from backend.integrations.payments import (
    CANCELLED, COMPLETED, PAYMENT_GATEWAYS, PENDING, NagadGateway, PaymentError, get_payment_gateway,
)
from backend.integrations.payments.nagad import new_private_key_pem
from backend.sandbox.nagad import PREFIX, SANDBOX_WALLET, NagadSandbox
from backend.sandbox.server import SANDBOXES, SandboxServer
from backend.clock import DHAKA

CALLBACK = "http://bikri.test/payments/nagad/callback"


@pytest.fixture(scope="module")
def merchant_key():
    return new_private_key_pem()


@pytest.fixture
def nagad(merchant_key):
    sandbox = NagadSandbox()
    with SandboxServer(sandbox) as url:
        sandbox.url = url
        sandbox.config = sandbox.gateway_config(url, merchant_key)
        yield sandbox


def pay(redirect_url, action="pay"):
    assert requests.get(redirect_url, timeout=5).status_code == 200
    answer = requests.post(redirect_url, data={"action": action, "wallet": SANDBOX_WALLET}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text[:300]
    location = answer.headers["Location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_registered_by_name_and_sandbox(nagad):
    assert PAYMENT_GATEWAYS["nagad"] is NagadGateway and SANDBOXES["nagad"] is NagadSandbox
    assert isinstance(get_payment_gateway("nagad", nagad.config), NagadGateway)


def test_pay_then_verify_completes(nagad):
    gateway = NagadGateway(nagad.config)
    created = gateway.create_payment(amount=Decimal("500.00"), invoice="BIKRI42", callback_url=CALLBACK, payer_reference="site-1")
    assert created.redirect_url == f"{nagad.url}/check-out/{created.payment_id}"
    # the wire: the headers Nagad wants, the dateTime in Dhaka, the amount as a two-decimal string
    initialize = next(call for call in nagad.calls if call["endpoint"] == "initialize")
    assert initialize["headers"] == {"X-KM-Api-Version": "v-0.2.0", "X-KM-IP-V4": "127.0.0.1", "X-KM-Client-Type": "PC_WEB"}
    assert initialize["path"] == f"{PREFIX}/check-out/initialize/683002007104225/BIKRI42"
    sent = datetime.strptime(initialize["json"]["dateTime"], "%Y%m%d%H%M%S").replace(tzinfo=DHAKA)
    assert abs(sent - datetime.now(DHAKA)) < timedelta(minutes=1)
    assert "BIKRI42" not in initialize["json"]["sensitiveData"]  # encrypted, not merely encoded
    assert nagad.payment(created.payment_id)["amount"] == "500.00"

    assert gateway.query_payment(created.payment_id).status == PENDING  # not paid yet
    location, query = pay(created.redirect_url)
    assert location.startswith(CALLBACK + "?")
    assert query["payment_ref_id"] == created.payment_id and query["status"] == "Success" and query["order_id"] == "BIKRI42"
    result = gateway.query_payment(created.payment_id)
    assert result.status == COMPLETED and result.amount == Decimal("500.00") and result.invoice == "BIKRI42"
    assert result.transaction_id and gateway.execute_payment(created.payment_id).status == COMPLETED


def test_cancel_on_the_pay_page_is_cancelled(nagad):
    gateway = NagadGateway(nagad.config)
    created = gateway.create_payment(amount=Decimal("100"), invoice="BIKRI7", callback_url=CALLBACK, payer_reference="x")
    _location, query = pay(created.redirect_url, action="cancel")
    assert query["status"] == "Aborted"
    assert gateway.query_payment(created.payment_id).status == CANCELLED


def test_a_merchant_key_nagad_does_not_know_is_refused(nagad):
    """Signed with another private key than the one registered at Nagad: the signature fails."""
    config = {**nagad.config, "merchant_private_key": new_private_key_pem()}
    with pytest.raises(PaymentError) as error:
        NagadGateway(config).create_payment(amount=Decimal("100"), invoice="BIKRI8", callback_url=CALLBACK, payer_reference="x")
    assert error.value.code == "nagad_INVALID_SIGNATURE" and not error.value.retryable
    # the sandbox decrypted it (our encryption was right) and refused only the signature
    assert nagad.count("initialize") == 1 and nagad.count("complete") == 0


def test_a_nagad_public_key_that_is_not_nagads_is_refused(nagad):
    """Encrypted to a key Nagad does not hold: Nagad cannot read it (OpenSSL's implicit rejection
    turns the decryption into noise), so the signature over it fails."""
    impostor = NagadSandbox()
    config = {**nagad.config, "nagad_public_key": impostor.public_key_pem}
    with pytest.raises(PaymentError) as error:
        NagadGateway(config).create_payment(amount=Decimal("100"), invoice="BIKRI9", callback_url=CALLBACK, payer_reference="x")
    assert error.value.code in ("nagad_DECRYPTION_FAILED", "nagad_INVALID_SIGNATURE")


def test_an_answer_not_signed_by_nagad_is_refused(nagad):
    """An answer sealed for us but signed by someone else than Nagad is not opened."""
    gateway = NagadGateway(nagad.config)
    impostor = NagadSandbox()
    impostor.merchants = nagad.merchants  # it knows our public key, not Nagad's private key
    forged = json.loads(impostor._sealed("683002007104225", {"paymentReferenceId": "x", "challenge": "y"}).get_data())
    with pytest.raises(PaymentError) as error:
        gateway.open_sealed(forged)
    assert error.value.code == "bad_signature"
    genuine = json.loads(nagad._sealed("683002007104225", {"paymentReferenceId": "x", "challenge": "y"}).get_data())
    assert gateway.open_sealed(genuine) == {"paymentReferenceId": "x", "challenge": "y"}


def test_stale_datetime_is_refused(nagad):
    gateway = NagadGateway(nagad.config, clock=lambda: datetime.now(DHAKA) - timedelta(hours=1))
    with pytest.raises(PaymentError) as error:
        gateway.create_payment(amount=Decimal("100"), invoice="BIKRI10", callback_url=CALLBACK, payer_reference="x")
    assert error.value.code == "nagad_INVALID_DATETIME"


def test_nagad_down_is_retryable(nagad):
    gateway = NagadGateway(nagad.config)
    created = gateway.create_payment(amount=Decimal("100"), invoice="BIKRI11", callback_url=CALLBACK, payer_reference="x")
    nagad.fail_next_verify()
    with pytest.raises(PaymentError) as error:
        gateway.query_payment(created.payment_id)
    assert error.value.retryable and error.value.code == "nagad_http_503"
    assert gateway.query_payment(created.payment_id).status == PENDING
    unreachable = NagadGateway({**nagad.config, "base_url": "http://127.0.0.1:9" + PREFIX})
    with pytest.raises(PaymentError) as error:
        unreachable.query_payment(created.payment_id)
    assert error.value.retryable and error.value.code == "unreachable"


def test_unknown_reference_is_refused_not_retried(nagad):
    with pytest.raises(PaymentError) as error:
        NagadGateway(nagad.config).query_payment("nope")
    assert error.value.code == "nagad_INVALID_PAYMENT_REFERENCE" and not error.value.retryable


@pytest.mark.parametrize("change, word", [
    ({"merchant_private_key": "not a key"}, "merchant_private_key"),
    ({"nagad_public_key": ""}, "nagad_public_key"),
    ({"merchant_id": "abc"}, "merchant_id"),
    ({"base_url": "ftp://x"}, "base_url"),
])
def test_bad_configuration_is_said(nagad, change, word):
    with pytest.raises(PaymentError) as error:
        NagadGateway({**nagad.config, **change})
    assert error.value.code == "not_configured" and word in error.value.message
    assert "PRIVATE KEY" not in error.value.message


def test_bare_base64_keys_as_nagad_hands_them_out(nagad):
    """Nagad's portal and samples give keys as one base64 line, without the PEM frame."""
    def bare(pem):
        return "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    gateway = NagadGateway({**nagad.config, "merchant_private_key": bare(nagad.config["merchant_private_key"]),
                            "nagad_public_key": bare(nagad.public_key_pem)})
    created = gateway.create_payment(amount=Decimal("1"), invoice="BIKRI12", callback_url=CALLBACK, payer_reference="x")
    assert created.payment_id
