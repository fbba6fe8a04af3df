"""No transaction stays open across a remote call: every adapter announces a call before it sends
(backend/integrations/signals.py, `asking`), and backend/commits.py ends a transaction that only
read, or refuses one that holds writes (logs it in production), so no flow needs a step of its own
for the reading case and none can ask with a write open unnoticed."""
import logging

import pytest
import requests
from sqlalchemy import select, update

from backend import commits
from backend.extensions import db
from backend.integrations import meta_graph
from backend.integrations.couriers.base import CourierError
from backend.integrations.couriers.steadfast import Steadfast
from backend.integrations.mail import Email, MailError, SmtpMailer
from backend.integrations.payments.base import PaymentError, send
from backend.integrations.shop_http import ShopSession
from backend.integrations.signals import asking
from backend.integrations.sms.base import SmsGatewayError
from backend.integrations.sms.ssl_wireless import SslWirelessGateway
from backend.licensing.models import Site

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there, the call fails at once


def _name(site_id) -> str:
    return db.session.execute(select(Site.name).where(Site.id == site_id)).scalar_one()


def test_a_reading_transaction_ends_when_an_adapter_asks(app, shop):
    with app.app_context():
        _name(shop.site_id)
        assert db.session().in_transaction()
        asking.send("the shop")
        assert not db.session().in_transaction()


def test_nothing_happens_without_a_transaction_or_outside_an_app(app):
    asking.send("the shop")  # a download thread: no app context
    with app.app_context():
        assert not db.session().in_transaction()
        asking.send("the shop")
        assert not db.session().in_transaction()


def test_a_savepoint_under_way_is_not_ended(app, shop):
    with app.app_context():
        _name(shop.site_id)
        with db.session.begin_nested():
            with pytest.raises(commits.WritesOpenAcrossRemoteCall):
                asking.send("the shop")
        assert db.session().in_transaction()
        db.session.rollback()


@pytest.mark.parametrize("how", ["orm", "core", "unflushed"])
def test_writes_open_are_refused_and_not_committed(app, shop, how):
    with app.app_context():
        before = _name(shop.site_id)
        site = db.session.get(Site, shop.site_id)
        if how == "core":
            db.session.execute(update(Site).where(Site.id == shop.site_id).values(name="renamed"))
        else:
            site.name = "renamed"
            if how == "orm":
                db.session.flush()
        with pytest.raises(commits.WritesOpenAcrossRemoteCall, match="while asking Steadfast"):
            asking.send("Steadfast")
        assert db.session().in_transaction()
        db.session.rollback()
        assert _name(shop.site_id) == before


def test_production_logs_writes_open_and_leaves_the_transaction(app, shop, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "REFUSE_WRITES_ACROSS_REMOTE_CALLS", False)
    with app.app_context(), caplog.at_level(logging.WARNING, logger="backend.commits"):
        before = _name(shop.site_id)
        db.session.execute(update(Site).where(Site.id == shop.site_id).values(name="renamed"))
        asking.send("bKash")
        assert db.session().in_transaction()
        db.session.rollback()
        assert _name(shop.site_id) == before
    assert "a transaction with writes is open while asking bKash" in caplog.text


def _mail():
    SmtpMailer("127.0.0.1", 9, sender="shop@example.com", security="none", timeout=2).send(
        Email(to="owner@example.com", subject="s", text="t"), message_id="m-1")


TRANSPORTS = {
    "the shop": (lambda: ShopSession(allow_private=True).get(CLOSED + "/wp-json/wc/v3/orders", timeout=2),
                 requests.ConnectionError),
    "Steadfast": (lambda: Steadfast({"api_key": "k", "secret_key": "s"}, base_url=CLOSED, timeout=2).balance(),
                  CourierError),
    "bKash": (lambda: send("bKash", "grant", "POST", CLOSED + "/token/grant", timeout=2), PaymentError),
    "SSL Wireless SMS Plus": (lambda: SslWirelessGateway({"base_url": CLOSED, "sid": "s", "api_token": "t"}, timeout=2)
                              .send(msisdn="8801711000000", text="t", message_id="m-1"), SmsGatewayError),
    "Meta": (lambda: meta_graph.send_events(base_url=CLOSED, version="v19.0", pixel_id="1", access_token="t", events=[]),
             meta_graph.MetaGraphError),
    "the mail server": (_mail, MailError),
}


@pytest.mark.parametrize("whom", TRANSPORTS)
def test_every_transport_announces_before_it_sends(app, shop, whom):
    """Each way out of the service (the shops' session, the couriers', the payment and SMS
    gateways', Meta's, SMTP) is announced, so a reading transaction open in its caller is ended."""
    call, failure = TRANSPORTS[whom]
    heard = []
    with app.app_context(), asking.connected_to(lambda sender, **_: heard.append(sender)):
        _name(shop.site_id)
        with pytest.raises(failure):
            call()
        assert heard[:1] == [whom]
        assert not db.session().in_transaction()
