"""SMS through real workers (`flask worker` processes on the test database and a real Redis
broker, the `workers` fixture): the request queues, a worker asks the sandbox gateway over
HTTP. Run on SQLite and on PostgreSQL (BIKRI_TEST_DB=postgresql)."""
import signal
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from backend.checkout import service as checkout
from backend.extensions import db
from backend.sms import service
from backend.sms.models import SmsMessage, WalletEntry
from tests.shop_settings import set_shop_settings
from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)
from tests.wait import wait_until


def send(shop, n=0, **headers):
    return shop.post("/api/sms/send", json={"phone": "01711234567", "content": f"Your order #{1000 + n} is confirmed."},
                     headers=headers)


def statuses(app, site_id):
    with app.app_context():
        rows = db.session.execute(select(SmsMessage.status, func.count()).where(SmsMessage.site_id == site_id)
                                  .group_by(SmsMessage.status)).all()
        db.session.rollback()
        return dict(rows)


def test_a_send_reaches_the_gateway_through_a_worker(app, shop, gateway, fund, ledger, workers):
    fund(shop, 10)
    worker = workers.start(lanes=("transactional",), threads=4)
    accepted = send(shop)
    assert accepted.status_code == 202 and accepted.json["status"] == "queued"
    message_id = accepted.json["id"]
    wait_until(lambda: shop.get(f"/api/sms/messages/{message_id}").json["status"] == "sent", what="the send", logs=[worker])
    assert gateway.attempts == {f"bikri-{message_id}": 1}
    assert list(gateway.sent.values())[0]["sms"] == "Your order #1000 is confirmed."
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))


def test_prefer_wait_gets_201_sent_from_the_worker(shop, gateway, fund, ledger, workers):
    fund(shop, 10)
    workers.start(lanes=("transactional",), threads=4)
    gateway.control(latency_ms=300)  # the gateway takes its time; the answer waits for it
    answer = send(shop, Prefer="wait=5")
    assert answer.status_code == 201, answer.json
    assert answer.headers["Preference-Applied"] == "wait=5"
    assert (answer.json["status"], answer.json["balance"]) == ("sent", "9.55")
    assert len(gateway.sent) == 1


def test_a_worker_killed_mid_send_never_sends_twice(app, shop, gateway, fund, ledger, workers):
    """SIGKILL while the gateway holds four sends (four more wait in that worker's hands or the
    queue); another worker and the sweeper finish all eight, each reaching the gateway once."""
    fund(shop, 10)
    gateway.control(latency_ms=2000)
    first = workers.start(lanes=("transactional",), threads=4)
    ids = [send(shop, n).json["id"] for n in range(8)]
    wait_until(lambda: gateway.in_flight == 4, what="four sends at the gateway", logs=[first])
    assert statuses(app, shop.site_id) == {"sending": 4, "queued": 4}
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    # the gateway finishes what it was asked before the kill (its answers go nowhere)
    wait_until(lambda: sum(gateway.attempts.values()) >= 4, seconds=10, what="the gateway's four sends")
    second = workers.start(lanes=("transactional",), threads=4)
    gateway.control(latency_ms=0)
    with app.app_context():
        # STUCK_AFTER later: the dead worker's claims and the messages it had taken are old
        old = timedelta(minutes=5)
        db.session.execute(update(SmsMessage).where(SmsMessage.status.in_(["queued", "sending"]))
                           .values(created_at=SmsMessage.created_at - old, claimed_at=SmsMessage.claimed_at - old))
        db.session.commit()
        service.resume_stuck_messages()  # the jobs process's sweeper; hands them to the workers
        db.session.commit()
    wait_until(lambda: statuses(app, shop.site_id) == {"sent": 8}, what="all eight sent", logs=[second])
    assert sorted(gateway.sent) == sorted(f"bikri-{n}" for n in ids)  # each once: the gateway counted
    assert sorted(m["sms"] for m in gateway.sent.values()) == sorted(f"Your order #{1000 + n} is confirmed." for n in range(8))
    assert all(1 <= gateway.attempts[f"bikri-{n}"] <= 2 for n in ids)  # a repeat is recognised, not sent
    assert ledger(shop) == (Decimal("10") - 8 * Decimal("0.45"),) * 2
    with app.app_context():
        assert db.session.query(WalletEntry).filter(WalletEntry.kind == "refund").count() == 0


def test_a_checkout_code_goes_through_the_otp_lane(app, shop, gateway, fund, workers):
    fund(shop, 10)
    set_shop_settings(app, shop, checkout, otp_enabled=True)
    worker = workers.start(lanes=("otp",), threads=2)  # no transactional worker runs
    other = send(shop)  # an order SMS waits for the transactional lane
    answer = shop.post("/api/v1/otp/send", json={"phone": "01811234567", "session_id": "s" * 32, "ip": "203.0.113.10"})
    assert answer.status_code == 200 and answer.json["status"] == "sent"
    wait_until(lambda: any(m["msisdn"] == "8801811234567" for m in gateway.sent.values()), what="the code's SMS",
               logs=[worker])
    assert shop.get(f"/api/sms/messages/{other.json['id']}").json["status"] == "queued"
    assert len(gateway.sent) == 1
