"""The wallet never overdraws and every debit ends as an SMS sent or a refund, under load."""
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import func, select

from backend.extensions import db
from backend.sms import service
from backend.sms.models import SmsMessage, WalletEntry


def _allow_bursts(app):
    with app.app_context():
        service.sms_settings().sends_per_minute = 10_000
        db.session.commit()


def _blast(app, shop, count, workers=16):
    """The status code of each send, and the status its message ended with (unit tests deliver
    right after the request's commit)."""
    def attempt(n):
        with app.test_client() as client:
            response = client.post("/api/sms/send", json={"phone": "01711234567", "content": f"Offer {n}"},
                                   headers=shop.auth)
            if response.status_code != 202:
                return response.status_code, None
            return 202, client.get(f"/api/sms/messages/{response.json['id']}", headers=shop.auth).json["status"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(attempt, range(count)))


def test_200_concurrent_sends_against_a_balance_for_100_send_exactly_100(app, shop, gateway, fund, ledger):
    _allow_bursts(app)
    fund(shop, Decimal("45.00"))  # exactly 100 SMS at 0.45
    results = _blast(app, shop, 200)
    assert results.count((202, "sent")) == 100, sorted(set(results))
    assert results.count((402, None)) == 100
    assert len(gateway.sent) == 100
    assert ledger(shop) == (Decimal("0"), Decimal("0"))


def test_gateway_stopped_mid_run_leaves_every_debit_sent_or_refunded(app, shop, gateway, fund, ledger):
    _allow_bursts(app)
    fund(shop, Decimal("45.00"))
    first = _blast(app, shop, 40)
    gateway.control(mode="down")  # the gateway goes away in the middle of the run
    second = _blast(app, shop, 40)
    gateway.control(mode="ok")
    third = _blast(app, shop, 20)
    statuses = [status for _code, status in first + second + third]
    assert statuses.count("sent") == 60 and statuses.count("failed") == 40
    with app.app_context():
        debits = db.session.execute(select(WalletEntry.reference).where(WalletEntry.kind == "sms")).scalars().all()
        refunds = set(db.session.execute(select(WalletEntry.reference).where(WalletEntry.kind == "refund")).scalars())
        sent = {str(i) for i in db.session.execute(select(SmsMessage.id).where(SmsMessage.status == "sent")).scalars()}
        assert len(debits) == 100
        for reference in debits:
            assert (reference in sent) != (reference in refunds), f"message {reference} is neither sent nor refunded (or both)"
        assert db.session.execute(select(func.count()).where(SmsMessage.status.in_(["queued", "sending"]))).scalar_one() == 0
    assert len(gateway.sent) == 60
    assert ledger(shop) == (Decimal("45.00") - 60 * Decimal("0.45"),) * 2
