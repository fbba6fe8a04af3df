import re
from datetime import timedelta

import pytest

from backend.checkout import codes, service
from backend.extensions import db
from backend.sms import service as sms
from backend.clock import utcnow
from tests.shop_settings import set_shop_settings
from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)

SESSION = "s" * 32
PHONE = "01711-234567"
E164 = "+8801711234567"
IP = "203.0.113.10"


class Clock:
    """The checkout rules' clock, moved by hand (the SMS wallet keeps real time)."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(codes, "utcnow", clock)  # the codes' and proofs' clock
    return clock


def set_checkout(app, shop, **values):
    set_shop_settings(app, shop, service, **values)


@pytest.fixture
def otp_shop(app, shop, gateway, fund):
    """A shop with money in its wallet and checkout codes on; the operators' cross-shop cap on
    codes per number is lifted so the shop's own limits are what the tests meet."""
    fund(shop, 50)
    set_checkout(app, shop, otp_enabled=True)
    with app.app_context():
        sms.sms_settings().otp_per_phone_per_hour = 1000
        db.session.commit()
    return shop


def send(shop, phone=PHONE, session=SESSION, ip=IP, proof_version=None):
    """proof_version=2: as a plugin that holds its export key asks; None: as one that does not."""
    body = {"phone": phone, "session_id": session, "ip": ip}
    if proof_version is not None:
        body["proof_version"] = proof_version
    return shop.post("/api/v1/otp/send", json=body)


def verify(shop, code, phone=PHONE, session=SESSION, proof_version=None):
    body = {"phone": phone, "session_id": session, "code": code}
    if proof_version is not None:
        body["proof_version"] = proof_version
    return shop.post("/api/v1/otp/verify", json=body)


def last_code(gateway, msisdn="8801711234567"):
    texts = [m["sms"] for m in gateway.sent.values() if m["msisdn"] == msisdn]
    assert texts, "no SMS reached the gateway"
    return re.search(r"\d{6}", texts[-1]).group(0)
