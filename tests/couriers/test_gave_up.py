"""When a courier job's retries run out (the courier never answered), every item still without a
result says so, in the asker's language, and the job finishes: the page waiting on it stops.
The balance, the key check and the status check each word it their own way."""
import json

from sqlalchemy import select

from backend.couriers import balances, key_checks, status_checks
from backend.couriers.models import CourierKeyCheck
from backend.extensions import db
from backend.tasks import service as jobs
from backend.tasks.models import WorkJob
from backend.clock import utcnow


def _job(site_id, kind, items, params):
    job = WorkJob(site_id=site_id, kind=kind, task="test", total=len(items), created_at=utcnow(),
                  params=json.dumps({**params, "_items": items}))
    db.session.add(job)
    db.session.flush()
    return job


def _items(job_id):
    return {item["item"]: item for item in jobs.job_view(db.session.get(WorkJob, job_id))["items"]}


def test_a_balance_nobody_answered_fails_as_courier_unavailable(app, shop):
    with app.app_context():
        job = _job(shop.site_id, balances.KIND, ["steadfast"], {"courier": "steadfast", "locale": "en"})
        balances.refresh_gave_up(shop.site_id, job.id, ["steadfast"], error="timeout")
        db.session.commit()
        item = _items(job.id)["steadfast"]
        assert db.session.get(WorkJob, job.id).status == "done"
        assert (item["outcome"], item["code"], item["http_status"]) == ("failed", "courier_unavailable", 503)
        assert item["message"] == "Steadfast did not tell us the balance just now."
        assert balances.outcome(db.session.get(WorkJob, job.id))["error"].code == "courier_unavailable"


def test_keys_nobody_checked_are_forgotten_and_fail_as_courier_unavailable(app, shop):
    with app.app_context():
        check = CourierKeyCheck(site_id=shop.site_id, courier="steadfast", credentials_enc="x")
        db.session.add(check)
        db.session.flush()
        job = _job(shop.site_id, key_checks.KIND, ["steadfast"], {"check_id": check.id, "locale": "en"})
        key_checks.check_gave_up(shop.site_id, job.id, ["steadfast"], error="timeout")
        db.session.commit()
        item = _items(job.id)["steadfast"]
        assert (item["outcome"], item["code"], item["http_status"]) == ("failed", "courier_unavailable", 503)
        assert item["message"] == "We could not check the keys with Steadfast just now, so nothing was saved."
        assert db.session.execute(select(CourierKeyCheck)).scalars().all() == []


def test_status_checks_left_say_the_courier_is_asked_again_later(app, shop):
    with app.app_context():
        job = _job(shop.site_id, status_checks.KIND, ["0", "1"], {"asks": [["id", 7], ["invoice", "INV-9"]], "locale": "en"})
        jobs.record_item(job.id, "0", "checked", "", {"id": 7, "checked": True})
        status_checks.check_gave_up(shop.site_id, job.id, ["0", "1"], error="timeout")
        db.session.commit()
        items = _items(job.id)
        assert items["0"]["outcome"] == "checked", "a recorded result stays as it was"
        left = items["1"]
        assert left["outcome"] == "not_checked" and left["error"] == "The courier is not answering; it is asked again later."
        assert (left["id"], left["invoice"], left["checked"], left["changed"]) == (None, "INV-9", False, False)
        assert db.session.get(WorkJob, job.id).status == "done"


def test_a_gone_job_is_left_alone(app, shop):
    with app.app_context():
        balances.refresh_gave_up(shop.site_id, 999_999, ["steadfast"])
        status_checks.check_gave_up(shop.site_id, 999_999, ["0"])
        assert jobs.open_job(shop.site_id, 999_999) is None
