"""A batch whose retries ran out (WooCommerce never answered): the rows without a result fail,
so the job finishes and says which rows to try again; a row that had its result keeps it."""
import json

from backend.extensions import db
from backend.inventory import batches
from backend.inventory.models import StockBatch, StockBatchRow
from backend.tasks import service as jobs
from backend.tasks.models import WorkJob
from backend.clock import utcnow


def test_the_rows_left_fail_and_the_job_finishes(app, shop):
    with app.app_context():
        batch = StockBatch(site_id=shop.site_id, source="grid")
        db.session.add(batch)
        db.session.flush()
        rows = [StockBatchRow(batch_id=batch.id, site_id=shop.site_id, wc_id=wc_id, sku=f"SKU-{wc_id}", new_stock=5)
                for wc_id in (11, 12, 13)]
        db.session.add_all(rows)
        db.session.flush()
        items = [str(row.id) for row in rows]
        job = WorkJob(site_id=shop.site_id, kind="inventory_batch", task="inventory.apply_batch", total=3,
                      created_at=utcnow(), params=json.dumps({"batch_id": batch.id, "locale": "en", "_items": items}))
        db.session.add(job)
        db.session.flush()
        batches._finish(job.id, rows[0], "done", "")
        batches.batch_gave_up(shop.site_id, job.id, items, error="timeout")
        db.session.commit()
        assert db.session.get(WorkJob, job.id).status == "done"
        outcomes = {item["product_id"]: item for item in jobs.job_view(db.session.get(WorkJob, job.id))["items"]}
        assert outcomes[11]["outcome"] == "done"
        for wc_id in (12, 13):
            assert outcomes[wc_id]["outcome"] == "failed" and outcomes[wc_id]["ok"] is False
            assert outcomes[wc_id]["message"] == "WooCommerce did not answer; try again."
        assert [db.session.get(StockBatchRow, row.id).outcome for row in rows] == ["done", "failed", "failed"]
