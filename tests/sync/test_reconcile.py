"""Reconciliation pulls what changed since its checkpoint: a dropped push costs minutes, never an order."""
from sqlalchemy import delete

from backend.extensions import db
from backend.jobs import runner
from backend.jobs.table import JOBS
from backend.sync import service
from backend.sync.models import SyncState
from tests.sync.helpers import assert_matches_store, stored

RECONCILE = next(j for j in JOBS if j.name == "sync_reconcile")


def backfilled(app, shop):
    shop.post("/api/v1/sync/backfill")
    with app.app_context():
        assert service.run_backfill(shop.site_id).status == "done"


def test_reconciliation_catches_a_dropped_event(app, store, connected):
    backfilled(app, connected)
    before = connected.get("/api/v1/sync/status").json["reconcile"]["checkpoint"]
    store.data.touch(5, status="shipped")  # the shop changed it; the plugin's event never arrived
    created = store.data.create({"billing": {"first_name": "Nodi", "phone": "01555000111"}, "payment_method": "cod",
                                 "line_items": [{"product_id": 103, "quantity": 1}]})
    store.data.delete(7, force=False)  # to the trash
    assert stored(app, connected.site_id)[5].status != "shipped"
    runner.run_job(app, RECONCILE)
    rows = stored(app, connected.site_id)
    assert rows[5].status == "shipped"
    assert rows[created["id"]].billing_name == "Nodi" and rows[created["id"]].phone == "+8801555000111"
    assert rows[7].status == "trash" and rows[7].excluded_from_sales
    status = connected.get("/api/v1/sync/status").json["reconcile"]
    assert status["checkpoint"] >= before and status["last_changes"] >= 3 and status["status"] == "idle"
    # running again changes nothing
    runner.run_job(app, RECONCILE)
    assert_matches_store(app, connected.site_id, store)


def test_first_run_queues_the_backfill(app, store, connected):
    # activation queues it now (issue 17); a shop activated before that, or whose backfill
    # state was lost, still gets one from the reconciliation
    with app.app_context():
        db.session.execute(delete(SyncState).where(SyncState.site_id == connected.site_id))
        db.session.commit()
    assert runner.run_job(app, RECONCILE) == {connected.site_id: "queued_backfills"}
    assert connected.get("/api/v1/sync/status").json["backfill"]["status"] == "queued"


def test_one_broken_shop_does_not_stop_the_others(app, make_store, connect_shop):
    good_store, bad_store = make_store(orders=50, seed=1), make_store(orders=50, seed=2)
    good, bad = connect_shop(good_store), connect_shop(bad_store)
    backfilled(app, good)
    backfilled(app, bad)
    bad_store.data.fail_remaining = 1000
    good_store.data.touch(3, status="returned")
    report = runner.run_job(app, RECONCILE)  # each shop's outcome, committed before the next shop's turn
    assert report == {good.site_id: "reconciled", bad.site_id: "reconciled"}
    assert stored(app, good.site_id)[3].status == "returned"
    assert "critical error" in bad.get("/api/v1/sync/status").json["reconcile"]["last_error"]
    bad_store.data.fail_remaining = 0


def test_cli_reconcile(app, runner, store, connected):
    backfilled(app, connected)
    store.data.touch(2, status="completed")
    result = runner.invoke(args=["sync", "reconcile", str(connected.site_id)])
    assert result.exit_code == 0 and "reconciled" in result.output
    assert stored(app, connected.site_id)[2].status == "completed"
