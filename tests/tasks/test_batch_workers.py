"""Bulk SMS through real workers: a batch's messages go out in the bulk lane, and a worker
SIGKILLed mid-batch loses nothing and sends nothing twice (the sandbox gateway counts).
Run on SQLite and on PostgreSQL (BIKRI_TEST_DB=postgresql)."""
import signal
from decimal import Decimal

from sqlalchemy import func, select

from backend.extensions import db
from backend.sms.models import SmsMessage, WalletEntry
from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)
from tests.wait import wait_until

MESSAGES = 30
# the second worker looks for dead workers on every broker call and calls a worker dead after
# 2 s without a heartbeat, so the killed worker's tasks come back within seconds
QUICK_REDELIVERY = {"BIKRI_TASK_HEARTBEAT_MS": 2000, "BIKRI_TASK_MAINTENANCE_CHANCE": 1_000_000}


def sent_count(app, site_id):
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(SmsMessage)
                                   .where(SmsMessage.site_id == site_id, SmsMessage.status == "sent")).scalar_one()
        db.session.rollback()
        return count


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(app, shop, gateway, fund, ledger, workers):
    fund(shop, 100)
    gateway.control(latency_ms=400)
    first = workers.start(lanes=("bulk",), threads=2)
    rows = [{"phone": f"0171100{n:04d}", "content": f"Eid offer {n}"} for n in range(MESSAGES)]
    answer = shop.post("/api/sms/batches", json={"messages": rows})
    assert answer.status_code == 202, answer.json
    job_url = answer.headers["Location"]
    wait_until(lambda: sum(gateway.attempts.values()) >= 4, what="the first sends", logs=[first])
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert shop.get(job_url).json["status"] != "done", "killed mid-batch"
    second = workers.start(lanes=("bulk",), threads=2, **QUICK_REDELIVERY)
    gateway.control(latency_ms=0)
    wait_until(lambda: shop.get(job_url).json["status"] == "done", seconds=90, what="the batch after the kill",
               logs=[second])
    job = shop.get(job_url).json
    assert job["done"] == job["total"] == MESSAGES
    assert {item["outcome"] for item in job["items"]} == {"sent"}
    # each message reached the gateway once: a repeat of one in flight at the kill is recognised
    assert len(gateway.sent) == MESSAGES
    assert sorted(m["msisdn"] for m in gateway.sent.values()) == [f"880171100{n:04d}" for n in range(MESSAGES)]
    assert all(1 <= attempts <= 2 for attempts in gateway.attempts.values())
    assert sent_count(app, shop.site_id) == MESSAGES
    balance, ledger_total = ledger(shop)
    assert balance == ledger_total == Decimal("100") - MESSAGES * Decimal("0.45")
    with app.app_context():
        assert db.session.query(WalletEntry).filter(WalletEntry.kind == "refund").count() == 0
