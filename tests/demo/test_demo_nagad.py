"""`make run` sets Nagad up against its stand-in as an operator would for real: the merchant key
pair made once, its public half registered with the stand-in, the stand-in's key stored."""
from decimal import Decimal

from backend.demo.service import _set_up_nagad
from backend.sandbox.nagad import NagadSandbox
from backend.sandbox.server import SandboxServer
from backend.sms import service
from backend.sms.config import configured_payment_gateway


def test_the_demo_sets_up_nagad_each_run_with_the_same_merchant_key(app, monkeypatch):
    keys = []
    for _run in range(2):  # the stand-in starts with a new key pair each `make run`
        sandbox = NagadSandbox()
        with SandboxServer(sandbox) as url:
            monkeypatch.setenv("BIKRI_DEMO_NAGAD_URL", url)
            with app.app_context():
                _set_up_nagad()
                enabled, settings = service.payment_gateway_settings("nagad")
                assert enabled and settings["nagad_public_key"] == sandbox.public_key_pem
                created = configured_payment_gateway("nagad").create_payment(
                    amount=Decimal("500"), invoice="BIKRI1", callback_url="http://localhost:5000/payments/nagad/callback",
                    payer_reference="site-1")
                assert created.redirect_url.startswith(url + "/check-out/")
                keys.append(settings["merchant_private_key"])
    assert keys[0] == keys[1]
