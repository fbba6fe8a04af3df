"""The console's "Work queue" page: what waits in the broker per lane and per shop, the failed
tasks (dead letters) and sending them again. The broker is real (Redis, the `workers`
fixture's namespace, whatever BIKRI_TEST_BROKER says) and no worker runs, so what was sent stays where the page reads it."""
import json
import re
import time

import dramatiq
from sqlalchemy import select

from backend.extensions import db
from backend.tasks import enqueue
from backend.tasks.models import DeadTask, WorkJob, WorkJobItem
from backend.tasks.queue import current_broker, queue_name
from backend.tasks.service import RETRY_DEAD_LETTERS
from backend.clock import utcnow


def _row(html, table, attribute, value):
    match = re.search(rf'<table class="list" id="{table}">.*?</table>', html, re.S)
    assert match, f"no table {table}"
    row = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', match.group(0), re.S)
    return row.group(1) if row else None


def _figure(row, name):
    return re.search(rf'data-(?:figure|lane)="{name}">([^<]*)<', row).group(1).strip()


def _send(app, lane, site_id, task="sms.deliver", delay_ms=None, age_seconds=0):
    """A message as backend.tasks.queue builds it, straight to the broker (the page reads the
    args; the task need not exist)."""
    message = dramatiq.Message(queue_name=queue_name(app.config["QUEUE_NAMESPACE"], lane), actor_name=f"bikri_{lane}",
                               args=(task, site_id, {"message_id": 1}), kwargs={}, options={},
                               message_timestamp=int((time.time() - age_seconds) * 1000))
    current_broker().enqueue(message, delay=delay_ms)


def _dead(site_id, task=RETRY_DEAD_LETTERS, arguments=None, lane="transactional"):
    row = DeadTask(site_id=site_id, task=task, lane=lane, error="ConnectionError('gateway down')", attempts=7,
                   arguments=json.dumps(arguments if arguments is not None else {"job_id": 0, "items": []}),
                   created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row.id


def test_the_page_needs_an_operator(client):
    for response in (client.get("/operator/queue"), client.post("/operator/queue/dead/1/retry")):
        assert response.status_code in (302, 400)
    response = client.get("/operator/queue")
    assert response.status_code == 302 and "/operator/login" in response.headers["Location"]


def test_the_page_shows_what_waits_per_lane_and_per_shop(app, workers, operator_client, make_shop):
    workers.use_broker(app.config["REDIS_URL"])
    shop_a, shop_b = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    with app.app_context():
        for _ in range(2):
            _send(app, "otp", shop_a.site_id)
        _send(app, "otp", shop_a.site_id, age_seconds=600)  # waited ten minutes
        for _ in range(3):
            _send(app, "bulk", shop_a.site_id)
        _send(app, "bulk", shop_b.site_id)
        _send(app, "transactional", shop_b.site_id, delay_ms=600_000)  # a retry's backoff
        _send(app, "transactional", None)
        # and one the ordinary way: sent when the transaction commits
        enqueue(RETRY_DEAD_LETTERS, site_id=shop_a.site_id, job_id=0, items=[])
        db.session.commit()
        _dead(shop_b.site_id)
        db.session.commit()

    html = operator_client.get("/operator/queue").get_data(as_text=True)
    expected = {"otp": ("3", "0"), "transactional": ("2", "1"), "bulk": ("4", "0")}
    for lane, (waiting, delayed) in expected.items():
        row = _row(html, "lanes", "data-lane", lane)
        assert (_figure(row, "waiting"), _figure(row, "delayed"), _figure(row, "held")) == (waiting, delayed, "0"), lane
    assert _figure(_row(html, "lanes", "data-lane", "otp"), "oldest") == "10 min"
    assert re.fullmatch(r"\d+ s", _figure(_row(html, "lanes", "data-lane", "bulk"), "oldest"))

    row_a = _row(html, "backlog", "data-site", shop_a.site_id)
    assert "https://a.example.com" in row_a
    assert [_figure(row_a, lane) for lane in ("otp", "transactional", "bulk", "total")] == ["3", "1", "3", "7"]
    row_b = _row(html, "backlog", "data-site", shop_b.site_id)
    assert [_figure(row_b, lane) for lane in ("otp", "transactional", "bulk", "total")] == ["0", "1", "1", "2"]
    assert _figure(_row(html, "backlog", "data-site", ""), "total") == "1"  # work for no shop
    assert html.index("https://a.example.com") < html.index("https://b.example.com"), "the largest backlog first"
    assert re.search(r'id="dead-counts">1 failed tasks wait for a decision; 1 failed in the last 24 hours', html)


def test_send_again_requeues_the_task_and_marks_the_row(app, workers, operator_client, shop):
    workers.use_broker(app.config["REDIS_URL"])
    with app.app_context():
        dead_id = _dead(shop.site_id, arguments={"job_id": 5, "items": ["9"]})
        db.session.commit()
    html = operator_client.get("/operator/queue").get_data(as_text=True)
    assert _row(html, "dead", "data-dead", dead_id) is not None
    path = f"/operator/queue/dead/{dead_id}/retry"
    assert operator_client.post(path).status_code == 400, "no form token, no retry"
    with app.app_context():
        assert db.session.get(DeadTask, dead_id).retried_at is None

    response = operator_client.post(path, data={"csrf_token": operator_client.csrf}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"{RETRY_DEAD_LETTERS} sent again" in html
    assert _row(html, "dead", "data-dead", dead_id) is None, "a retried task leaves the list"
    assert _figure(_row(html, "lanes", "data-lane", "transactional"), "waiting") == "1"
    with app.app_context():
        assert db.session.get(DeadTask, dead_id).retried_at is not None
        broker = current_broker()
        name = queue_name(app.config["QUEUE_NAMESPACE"], "transactional")
        waiting = [dramatiq.Message.decode(data) for data in broker.client.hvals(f"{broker.namespace}:{name}.msgs")]
    assert [list(message.args) for message in waiting] == [[RETRY_DEAD_LETTERS, shop.site_id, {"job_id": 5, "items": ["9"]}]]

    again = operator_client.post(path, data={"csrf_token": operator_client.csrf}, follow_redirects=True)
    assert "sent again already" in again.get_data(as_text=True)
    with app.app_context():
        assert current_broker().client.llen(f"{broker.namespace}:{name}") == 1, "sent once"


def test_a_shops_failed_tasks_are_sent_again_as_one_job(app, operator_client, make_shop):
    """Inline broker: the job and the tasks it sends run at once, in this process."""
    shop, other = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    with app.app_context():
        first_job = WorkJob(site_id=shop.site_id, kind="retry_dead_letters", task="tasks.retry_dead_letters", total=0, status="done", created_at=utcnow())
        db.session.add(first_job)
        db.session.flush()
        mine = [_dead(shop.site_id, arguments={"job_id": first_job.id, "items": []}) for _ in range(2)]
        theirs = _dead(other.site_id)
        db.session.commit()
    response = operator_client.post(f"/operator/queue/shops/{shop.site_id}/retry",
                                    data={"csrf_token": operator_client.csrf}, follow_redirects=True)
    assert "Sending 2 failed tasks of https://a.example.com again" in response.get_data(as_text=True)
    with app.app_context():
        job = db.session.execute(select(WorkJob).where(WorkJob.kind == "retry_dead_letters", WorkJob.id != first_job.id)).scalar_one()
        assert (job.site_id, job.status, job.total, job.done, job.started_by) == (shop.site_id, "done", 2, 2, "ops@bikri.test")
        items = db.session.execute(select(WorkJobItem.item, WorkJobItem.outcome).where(WorkJobItem.job_id == job.id)).all()
        assert sorted(items) == sorted((str(dead_id), "retried") for dead_id in mine)
        assert all(db.session.get(DeadTask, dead_id).retried_at for dead_id in mine)
        assert db.session.get(DeadTask, theirs).retried_at is None, "another shop's stay"


def test_the_page_says_when_the_broker_does_not_answer(app, operator_client):
    app.config["BROKER_URL"] = "redis://127.0.0.1:9/0"
    app.config["QUEUE_NAMESPACE"] = "bikri-test-nobroker"
    html = operator_client.get("/operator/queue").get_data(as_text=True)
    assert "The work queue is not answering" in html
    assert _figure(_row(html, "lanes", "data-lane", "otp"), "waiting") == "—"
