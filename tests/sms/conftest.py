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


@pytest.fixture
def held_verifies(app, monkeypatch):
    """The gateway questions a payment's callback queues, held instead of run at once (the unit
    tests' inline queue would run them inside the request): the callback is seen answering without
    asking anybody, then `held_verifies.run()` is the worker taking them."""
    from backend.sms import recharges
    from backend.tasks.execution import run_inline
    from backend.tasks.registry import task_named

    class Held(list):
        def run(self):
            with app.app_context():
                for name, site_id, kwargs in self:
                    run_inline(task_named(name), site_id, kwargs)
            self.clear()

    held, enqueue = Held(), recharges.enqueue

    def hold(task, *, site_id=None, **kwargs):
        if task in recharges.VERIFY_TASKS.values():
            held.append((task, site_id, kwargs))
        else:  # opening the payment runs as before
            enqueue(task, site_id=site_id, **kwargs)

    monkeypatch.setattr(recharges, "enqueue", hold)
    return held
