"""A campaign through real workers (`flask worker --lane bulk` on the test database and a real
Redis broker): paused mid-way it stops sending, resumed it finishes, and no recipient is sent
twice; a worker killed mid-campaign loses nobody and doubles nobody. SQLite and PostgreSQL."""
import signal
import time
from decimal import Decimal

from sqlalchemy import func, select

from backend.customers.models import Campaign, CampaignRecipient
from backend.extensions import db
from backend.orders.service import upsert_orders
from backend.tasks.models import WorkJob
from tests.customers.test_customers import order
from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)
from tests.tasks.test_redis_workers import QUICK_REDELIVERY
from tests.wait import wait_until

N = 40


def seed(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(i, f"0171100{i:04d}", days_ago=2) for i in range(1, N + 1)])
        db.session.commit()


def recipients(app, site_id):
    with app.app_context():
        rows = dict(db.session.execute(select(CampaignRecipient.status, func.count())
                                       .where(CampaignRecipient.site_id == site_id)
                                       .group_by(CampaignRecipient.status)).all())
        db.session.rollback()
        return rows


def test_a_campaign_paused_mid_way_and_resumed_sends_everyone_once(app, shop, gateway, fund, ledger, workers):
    seed(app, shop)
    fund(shop, 100)
    gateway.control(latency_ms=60)
    worker = workers.start(lanes=("bulk",), threads=2)
    created = shop.post("/api/v1/customers/campaigns", json={"name": "Eid", "content": "Eid sale", "audience": {"segment": "new"}})
    assert created.status_code == 202, created.json
    campaign = f"/api/v1/customers/campaigns/{created.json['id']}"
    wait_until(lambda: len(gateway.sent) >= 5, what="the first sends", logs=[worker])
    assert shop.post(f"{campaign}/pause").json["status"] == "paused"
    time.sleep(1.0)  # a send already at the gateway finishes
    stopped = len(gateway.sent)
    time.sleep(1.5)
    assert len(gateway.sent) == stopped < N, "a paused campaign kept sending"
    assert shop.get(campaign).json["status"] == "paused"
    with app.app_context():  # the job waits as paused: the stalled-job sweeper leaves it alone
        job = db.session.execute(select(WorkJob).join(Campaign, Campaign.job_id == WorkJob.id)).scalar_one()
        assert job.status == "paused"
        db.session.rollback()
    assert shop.post(f"{campaign}/resume").json["status"] == "sending"
    wait_until(lambda: shop.get(campaign).json["status"] == "done", seconds=60, what="the campaign", logs=[worker])
    report = shop.get(campaign).json
    assert (report["sent"], report["failed"], report["waiting"]) == (N, 0, 0)
    assert len(gateway.sent) == N and set(gateway.attempts.values()) == {1}
    assert recipients(app, shop.site_id) == {"sent": N}
    assert ledger(shop) == (Decimal("100") - Decimal(report["cost"]),) * 2


def test_a_worker_killed_mid_campaign_loses_and_doubles_nobody(app, shop, gateway, fund, ledger, workers):
    seed(app, shop)
    fund(shop, 100)
    gateway.control(latency_ms=60)
    workers.use_broker(app.config["REDIS_URL"])  # Redis's heartbeat hands the killed worker's tasks on
    first = workers.start(lanes=("bulk",), threads=2, **QUICK_REDELIVERY)
    created = shop.post("/api/v1/customers/campaigns", json={"name": "Eid", "content": "Eid sale", "audience": {"segment": "new"}})
    campaign = f"/api/v1/customers/campaigns/{created.json['id']}"
    wait_until(lambda: len(gateway.sent) >= 5, what="the first sends", logs=[first])
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    second = workers.start(lanes=("bulk",), threads=2, **QUICK_REDELIVERY)
    wait_until(lambda: shop.get(campaign).json["status"] == "done", seconds=90, what="the campaign", logs=[second])
    assert len(gateway.sent) == N  # a send asked twice (the killed one) is one message at the gateway
    assert recipients(app, shop.site_id) == {"sent": N}
    report = shop.get(campaign).json
    assert ledger(shop) == (Decimal("100") - Decimal(report["cost"]),) * 2
