"""Backfill over real HTTP from the sandbox store: complete, resumable, progress reported."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from backend.extensions import db
from backend.jobs import runner
from backend.licensing.models import Site
from backend.jobs.table import JOBS
from backend.sandbox.server import SandboxServer, self_signed_tls
from backend.sync import backfill, service
from backend.sync.models import SyncState
from backend.tasks import coordination
from tests.conftest import WC_KEY, WC_SECRET
from tests.sync.helpers import assert_matches_store, customer_counts, expected_customer_counts, live_orders

ROOT = Path(__file__).resolve().parents[2]


def job(name):
    return next(j for j in JOBS if j.name == name)


def test_backfill_is_queued_by_the_api_and_run_by_the_jobs_process(app, store, connected):
    queued = connected.post("/api/v1/sync/backfill", json={})
    assert queued.status_code == 202
    assert queued.json["backfill"]["status"] == "queued" and queued.json["connected"] is True
    assert connected.post("/api/v1/sync/backfill").json["backfill"]["status"] == "queued"  # asking twice is fine
    runner.run_job(app, job("sync_backfill"))
    status = connected.get("/api/v1/sync/status").json
    total = len(live_orders(store))
    assert status["backfill"]["status"] == "done", status
    assert status["backfill"]["done"] == status["backfill"]["total"] == total
    assert status["backfill"]["progress"] == f"{total:,} of {total:,} orders"
    assert status["orders_stored"] == total
    assert status["reconcile"]["checkpoint"] is not None
    assert_matches_store(app, connected.site_id, store)


def test_customers_are_recognised_across_phone_formats(app, store, connected):
    connected.post("/api/v1/sync/backfill")
    with app.app_context():
        service.run_backfill(connected.site_id)
    expected = expected_customer_counts(live_orders(store))
    assert customer_counts(app, connected.site_id) == dict(expected)
    assert max(expected.values()) >= 3, "the generator makes repeat customers"


def test_products_are_stored(app, store, connected):
    from backend.orders.models import Product

    connected.post("/api/v1/sync/backfill")
    with app.app_context():
        service.run_backfill(connected.site_id)
        products = db.session.execute(select(Product).where(Product.site_id == connected.site_id)).scalars().all()
        assert len(products) == len(store.data.products)
        assert all(p.price is not None for p in products)


def test_crash_mid_backfill_resumes_from_the_cursor_without_duplicates(app, make_store, connect_shop):
    store = make_store(orders=700, seed=9)
    connected = connect_shop(store)
    connected.post("/api/v1/sync/backfill")
    pages = []

    def crash_after_three(state):
        pages.append(state.done)
        if len(pages) == 3:
            raise KeyboardInterrupt("power cut")

    with app.app_context():
        try:
            service.run_backfill(connected.site_id, on_page=crash_after_three)
        except KeyboardInterrupt:
            pass
    middle = connected.get("/api/v1/sync/status").json["backfill"]
    # three pages, less the orders re-read at each page edge (same modified second)
    assert middle["status"] == "running" and 280 <= middle["done"] <= 300
    requests_before = store.data.requests
    with app.app_context():
        state = service.run_backfill(connected.site_id)
        assert state.status == "done"
    # resumed at the cursor: it did not read the first 300 orders again
    assert store.data.requests - requests_before <= 5
    assert_matches_store(app, connected.site_id, store)
    assert customer_counts(app, connected.site_id) == dict(expected_customer_counts(live_orders(store)))


def test_killed_backfill_process_resumes_without_duplicates(app, make_store, connect_shop, tmp_path):
    """A real crash: the CLI backfill is SIGKILLed mid-way, its lease runs out, a new run finishes."""
    store = make_store(orders=900, seed=21)
    shop = connect_shop(store)
    store.data.latency = 0.03  # slow enough to be killed half-way
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "BIKRI_SECRET_KEY": app.config["SECRET_KEY"], "BIKRI_INSTANCE_DIR": str(tmp_path),
           # the backfill's shop lock lives in this test run's namespace, not in a shared one
           "BIKRI_QUEUE_NAMESPACE": app.config["QUEUE_NAMESPACE"]}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "backend.app", "sync", "backfill",
                                str(shop.site_id)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and done < 300:
            time.sleep(0.05)
            with app.app_context():
                done = db.session.execute(select(SyncState.done).where(SyncState.site_id == shop.site_id,
                                                                       SyncState.kind == "backfill")).scalar() or 0
                db.session.remove()
            assert process.poll() is None, process.stderr.read().decode()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert 300 <= done < 900
    with app.app_context():
        # the dead CLI's shop lock runs out within a minute (tests/tasks/test_scheduler_workers.py);
        # this test is about its lease row, and the next test's shop may have the same id
        coordination.client().delete(coordination.shop_lock_key(shop.site_id, "sync_backfill"))
    store.data.latency = 0
    with app.app_context():
        busy = None
        try:
            service.run_backfill(shop.site_id)
        except service.SyncBusy as error:
            busy = error
        assert busy is not None, "the dead process's lease still holds the site"
        db.session.execute(update(SyncState).values(lease_until=None))  # ... until it runs out
        db.session.commit()
        assert service.run_backfill(shop.site_id).status == "done"
    assert_matches_store(app, shop.site_id, store)


def test_a_shop_that_is_down_is_retried_and_a_refusal_waits(app, store, connected, connect_shop, make_store):
    connected.post("/api/v1/sync/backfill")
    store.data.fail_remaining = 100
    with app.app_context():
        state = service.run_backfill(connected.site_id)
        assert state.status == "running" and "critical error" in state.last_error
    store.data.fail_remaining = 0
    runner.run_job(app, job("sync_backfill"))
    assert connected.get("/api/v1/sync/status").json["backfill"]["status"] == "done"

    # another shop (one address is one site), whose key WooCommerce refuses
    refused = connect_shop(make_store(orders=20), secret="cs_wrong")
    refused.post("/api/v1/sync/backfill")
    runner.run_job(app, job("sync_backfill"))
    status = refused.get("/api/v1/sync/status").json["backfill"]
    assert status["status"] == "failed"
    assert "Invalid signature" in status["last_error"]


def test_backfill_over_https(app, connect_shop, tmp_path):
    from backend.sandbox.woocommerce import ApiKey, create_sandbox
    from tests.conftest import WC_KEY, WC_SECRET, SandboxStore

    context, cert = self_signed_tls(tmp_path)
    sandbox = create_sandbox(orders=120, seed=8, keys=[ApiKey(WC_KEY, WC_SECRET)])
    with SandboxServer(sandbox, ssl_context=context) as url:
        store = SandboxStore(sandbox, url)
        shop = connect_shop(store)
        shop.post("/api/v1/sync/backfill")
        app.config["WOOCOMMERCE_CA_BUNDLE"] = cert
        try:
            with app.app_context():
                assert service.run_backfill(shop.site_id).status == "done"
        finally:
            app.config["WOOCOMMERCE_CA_BUNDLE"] = None
    assert_matches_store(app, shop.site_id, store)


def test_backfill_needs_the_woocommerce_key(shop):
    response = shop.post("/api/v1/sync/backfill", json={})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "woocommerce_not_connected"
    status = shop.get("/api/v1/sync/status").json
    assert status["connected"] is False and status["backfill"]["status"] == "idle"


def test_restart_starts_over_and_cannot_interrupt_a_running_one(app, store, connected):
    connected.post("/api/v1/sync/backfill")
    with app.app_context():
        service.run_backfill(connected.site_id)
    again = connected.post("/api/v1/sync/backfill", json={"restart": True})
    assert again.status_code == 202 and again.json["backfill"]["done"] == 0
    with app.app_context():
        service.claim(connected.site_id, "backfill")  # someone is running it
        db.session.commit()
    busy = connected.post("/api/v1/sync/backfill", json={"restart": True})
    assert busy.status_code == 409 and busy.json["error"]["code"] == "backfill_running"


def test_cli_backfill_and_status(app, runner, store, connected):
    result = runner.invoke(args=["sync", "backfill", str(connected.site_id)])
    assert result.exit_code == 0, result.output
    total = len(live_orders(store))
    assert f"backfill done: {total:,} of {total:,} orders" in result.output
    status = runner.invoke(args=["sync", "status", str(connected.site_id)])
    assert '"status": "done"' in status.output
    assert runner.invoke(args=["sync", "backfill", "99999"]).exit_code != 0


@pytest.mark.parametrize("writer", ["waits for the shop", "is behind"])
def test_rollups_after_a_backfill_equal_a_rebuild_from_the_orders(app, store, connected, monkeypatch, writer):
    """Pages the writer waited for write their own rollups and the backfill ends without a
    rebuild; once pages queue up, rollups are left to one rebuild at the end. Either way the
    rollups are what a rebuild gives, and an event arriving mid-walk is counted once."""
    from backend.dashboard import rollups
    from backend.dashboard.models import DayCustomers
    from backend.orders import service as orders

    if writer == "waits for the shop":
        monkeypatch.setattr(backfill, "ROLLUPS_NOW_AFTER_WAIT", 0.0)
    else:
        monkeypatch.setattr(backfill, "ROLLUPS_NOW_AFTER_WAIT", float("inf"))
        monkeypatch.setattr(backfill, "WRITER_BEHIND_AFTER_PAGES", 1)
    rebuilds = []
    real_rebuild = rollups.rebuild_site

    def counted_rebuild(site_id, **kw):
        rebuilds.append(site_id)
        real_rebuild(site_id, **kw)

    monkeypatch.setattr(rollups, "rebuild_site", counted_rebuild)

    def snapshot():
        tables = (*rollups.ROLLUPS, DayCustomers)
        with app.app_context():
            return {model.__tablename__: sorted(tuple(row) for row in db.session.execute(
                select(*[c for c in model.__table__.c if c.name != "site_id"])
                .where(model.site_id == connected.site_id)).all()) for model in tables}

    connected.post("/api/v1/sync/backfill")
    with app.app_context():
        # an event for an order the walk will also read, while the backfill has begun
        service.run_backfill(connected.site_id, budget_seconds=0)
        orders.upsert_orders(connected.site_id, [live_orders(store)[-1]])
        db.session.commit()
        service.run_backfill(connected.site_id)
    after_backfill = snapshot()
    assert after_backfill["dash_day_status"], "the backfill filled the rollups"
    assert len(rebuilds) == (0 if writer == "waits for the shop" else 1)
    with app.app_context():
        real_rebuild(connected.site_id)
        db.session.commit()
    assert snapshot() == after_backfill


def test_starting_over_an_unfinished_walk_keeps_its_rollups_to_be_rebuilt(app, connected):
    """Orders an unfinished walk stored without rollups get them only from a rebuild at the end
    of the walk that replaces it; a finished walk left none."""
    from backend.sync.models import SyncKind, SyncStatus

    with app.app_context():
        site = db.session.get(Site, connected.site_id)
        for status, left, carried in ((SyncStatus.FAILED, True, '{"rollups_deferred": true}'),
                                      (SyncStatus.FAILED, False, None),
                                      (SyncStatus.DONE, True, None)):
            state = service.state_for(site.id, SyncKind.BACKFILL)
            state.status, state.lease_until = status, None
            state.cursor = json.dumps({"until": "2026-11-01T00:00:00", "products_done": True, "rollups_deferred": left})
            service.request_backfill(site, restart=True)
            assert state.cursor == carried, (status, left)
        db.session.rollback()


def test_activation_queues_the_first_backfill_for_the_next_jobs_tick(app, client, store, make_license):
    """Issue 17: the first import starts on the backfill job's next tick (every 15 s), not when
    the 5-minute reconciliation gets round to it; the activation itself calls nobody."""
    _license_id, key = make_license()
    requests_before = store.data.requests
    answer = client.post("/api/v1/sites/activate", json={
        "license_key": key, "site_url": store.url, "wc_consumer_key": WC_KEY, "wc_consumer_secret": WC_SECRET})
    assert answer.status_code == 201
    assert store.data.requests == requests_before  # queued for the jobs process, not run in the request
    headers = {"Authorization": f"Bearer {answer.json['token']}"}
    status = client.get("/api/v1/sync/status", headers=headers).json
    assert status["backfill"]["status"] == "queued"
    backfill_job = job("sync_backfill")
    assert backfill_job.interval_seconds <= 30

    runner.run_job(app, backfill_job)  # the next tick; no reconciliation ran
    status = client.get("/api/v1/sync/status", headers=headers).json
    assert status["backfill"]["status"] == "done" and status["orders_stored"] == len(live_orders(store))

    # activating again (same key, new REST key) does not import everything again
    again = client.post("/api/v1/sites/activate", json={
        "license_key": key, "site_url": store.url, "wc_consumer_key": WC_KEY, "wc_consumer_secret": WC_SECRET})
    status = client.get("/api/v1/sync/status", headers={"Authorization": f"Bearer {again.json['token']}"}).json
    assert status["backfill"]["status"] == "done"


def test_activation_without_a_woocommerce_key_queues_nothing(shop):
    assert shop.get("/api/v1/sync/status").json["backfill"]["status"] == "idle"
