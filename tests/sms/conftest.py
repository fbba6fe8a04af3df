import pytest

from backend.extensions import db
from backend.sandbox.server import SandboxServer
from backend.sandbox.sms_gateway import API_TOKEN, SID, create_sms_gateway_app
from backend.sms import service


@pytest.fixture
def gateway(app):
    """The sandbox SSL Wireless gateway on a real socket, configured as the service's gateway."""
    sandbox = create_sms_gateway_app()
    with SandboxServer(sandbox) as url:
        with app.app_context():
            service.configure_gateway("ssl_wireless", {"base_url": url, "sid": SID, "api_token": API_TOKEN})
            db.session.commit()
        sandbox.sandbox.url = url
        yield sandbox.sandbox


@pytest.fixture
def fund(app):
    def fund(shop, amount):
        from decimal import Decimal

        with app.app_context():
            service.credit(shop.site_id, Decimal(str(amount)), kind="operator_credit", reference=f"test-{amount}-{id(shop)}")
            db.session.commit()
    return fund


@pytest.fixture
def ledger(app):
    def ledger(shop):
        with app.app_context():
            return service.balance_of(shop.site_id), service.ledger_sum(shop.site_id)
    return ledger
