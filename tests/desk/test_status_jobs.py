"""Status changes as jobs (issue 19): a redelivered task writes nothing twice, and a shop never
sees another shop's job."""
import json

from flask import g
from flask_babel import force_locale, gettext
from sqlalchemy import select

from backend.desk import tasks
from backend.desk.status_changes import start_status_change
from backend.extensions import db
from backend.licensing.models import Site
from backend.orders.models import Order
from backend.tasks import service as jobs
from backend.tasks.models import WorkJob
from backend.clock import utcnow


def on_hold_job(site_id, total, *, by, locale):
    """The job of a bulk change to on-hold as the desk queues it, before its task runs (flushed
    in the caller's session)."""
    job = WorkJob(site_id=site_id, kind="status_change", task="desk.change_status_bulk", total=total, created_at=utcnow(),
                  params=json.dumps({"status": "on-hold", "by": by, "locale": locale}))
    db.session.add(job)
    db.session.flush()
    return job


def processing(site_id, n):
    return list(db.session.execute(select(Order.wc_id).where(Order.site_id == site_id, Order.status == "processing")
                                   .order_by(Order.wc_id).limit(n)).scalars())


def test_a_redelivered_task_skips_the_orders_it_already_changed(app, synced):
    store = synced.store.data
    with app.app_context():
        ids = processing(synced.site_id, 5)
        # a task that changed and noted two orders, then was killed before the rest
        job = on_hold_job(synced.site_id, 5, by="Karim", locale="en")
        for wc_id in ids[:2]:
            jobs.record_item(job.id, wc_id, "changed", "", {"wc_id": wc_id, "ok": True, "status": "on-hold", "note": True})
        db.session.commit()
        before = store.requests
        tasks.change_status_bulk(site_id=synced.site_id, job_id=job.id, items=[str(i) for i in ids])
        db.session.commit()
        assert store.requests - before == 1 + 3, "one batch call for the three left, a note on each"
        for wc_id in ids[:2]:
            assert store.notes_of(wc_id) == [] and store.order(wc_id)["status"] == "processing"
        for wc_id in ids[2:]:
            assert len(store.notes_of(wc_id)) == 1 and store.order(wc_id)["status"] == "on-hold"
        assert db.session.get(WorkJob, job.id).status == "done"

        # delivered once more after it finished: nothing is asked at all
        before = store.requests
        tasks.change_status_bulk(site_id=synced.site_id, job_id=job.id, items=[str(i) for i in ids])
        assert store.requests == before


def test_when_the_retries_are_used_up_the_orders_left_say_so(app, synced):
    with app.app_context():
        ids = processing(synced.site_id, 2)
        job = on_hold_job(synced.site_id, 2, by=None, locale="bn")
        jobs.record_item(job.id, ids[0], "changed", "", {"wc_id": ids[0], "ok": True, "status": "on-hold", "note": True})
        tasks.status_change_gave_up(site_id=synced.site_id, job_id=job.id, items=[str(i) for i in ids], error="boom")
        db.session.commit()
        view = jobs.job_view(db.session.get(WorkJob, job.id))
    assert view["status"] == "done"
    [left] = [item for item in view["items"] if item["wc_id"] == ids[1]]
    assert left["outcome"] == "refused" and left["code"] == "not_answered"
    # in the language of whoever asked (Bangla once the catalogue has the words: scripts/translate_bn.py)
    with app.test_request_context():
        g.asking = True  # flask_babel translates only where g holds something
        with force_locale("bn"):
            assert left["error"] == gettext("WooCommerce did not answer; try again.")


def test_another_shops_job_is_not_found(app, synced, make_store, connect_shop):
    other = connect_shop(make_store(orders=5, seed=2))
    with app.app_context():
        [wc_id] = processing(synced.site_id, 1)
        job = start_status_change(db.session.get(Site, synced.site_id), [wc_id], "on-hold")
        db.session.commit()
        job_id = job.id
    assert synced.get(f"/api/v1/jobs/{job_id}").status_code == 200
    assert other.get(f"/api/v1/jobs/{job_id}").status_code == 404
    _page, mine = synced.open_page("orders")
    assert synced.client.get(f"/embed/orders/jobs/{job_id}", headers={"X-Bikri-Embed-Session": mine}).status_code == 200
    _page, theirs = other.open_page("orders")
    assert other.client.get(f"/embed/orders/jobs/{job_id}", headers={"X-Bikri-Embed-Session": theirs}).status_code == 404
