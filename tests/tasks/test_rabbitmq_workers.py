"""The work model on RabbitMQ (BIKRI_BROKER_URL=amqp://...): the operator sends a shop's failed
tasks again from the console, a real worker consuming from RabbitMQ runs that job and the tasks
it sends, and the console reads the depths with passive declares. The broker is
BIKRI_TEST_RABBITMQ (default: the local RabbitMQ that `make services` starts, guest/guest)."""
import json
import os
import re
import time

import pika
import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.tasks.inspect import queue_state
from backend.tasks.models import DeadTask, WorkJob, WorkJobItem
from backend.tasks.service import RETRY_DEAD_LETTERS
from backend.clock import utcnow

RABBITMQ = os.environ.get("BIKRI_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
def rabbitmq(workers):
    if not RABBITMQ:
        pytest.skip("BIKRI_TEST_RABBITMQ is empty: no RabbitMQ for this run")
    pika.BlockingConnection(pika.URLParameters(RABBITMQ)).close()  # it must answer: `make services` starts it
    workers.use_broker(RABBITMQ)
    return workers


def _until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds}s: {what}")


def test_a_job_runs_on_a_rabbitmq_worker(app, rabbitmq, operator_client, make_shop):
    shop, other = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    with app.app_context():
        # A retry job of the shop's whose task failed (the broker was away): it was to send
        # another shop's failed task, which it must skip. Sending it again finishes that job.
        theirs = DeadTask(site_id=other.site_id, task="sms.deliver", lane="transactional", attempts=7,
                          arguments="{}", error="ConnectionError()", created_at=utcnow())
        earlier = WorkJob(site_id=shop.site_id, kind="retry_dead_letters", task="tasks.retry_dead_letters", total=1, status="running", created_at=utcnow())
        db.session.add_all([theirs, earlier])
        db.session.flush()
        mine = DeadTask(site_id=shop.site_id, task=RETRY_DEAD_LETTERS, lane="transactional", attempts=4,
                        arguments=json.dumps({"job_id": earlier.id, "items": [str(theirs.id)]}),
                        error="ConnectionError()", created_at=utcnow())
        db.session.add(mine)
        db.session.commit()
        ids = {"theirs": theirs.id, "earlier": earlier.id, "mine": mine.id}

    page = operator_client.post(f"/operator/queue/shops/{shop.site_id}/retry", data={"csrf_token": operator_client.csrf},
                                follow_redirects=True).get_data(as_text=True)
    assert "Broker: RabbitMQ" in page and "Sending 1 failed tasks of https://a.example.com again" in page
    waiting = re.search(r'<tr data-lane="transactional">.*?data-figure="waiting">(\d+)<', page, re.S).group(1)
    assert waiting == "1", "the job's task waits in RabbitMQ: no worker yet"

    rabbitmq.start(lanes=("transactional",), threads=4)

    def both_done():
        with app.app_context():
            jobs = db.session.execute(select(WorkJob).order_by(WorkJob.id)).scalars().all()
            return all(job.status == "done" for job in jobs) and jobs
    earlier, job = _until(both_done, 30, "the worker runs the retry job, then the task it sent")
    with app.app_context():
        outcomes = dict(db.session.execute(select(WorkJobItem.job_id, WorkJobItem.outcome)).all())
        assert outcomes == {job.id: "retried", earlier.id: "skipped"}, "each task ran once, on the worker"
        assert db.session.get(DeadTask, ids["mine"]).retried_at is not None
        assert db.session.get(DeadTask, ids["theirs"]).retried_at is None, "another shop's is left alone"
        state = queue_state()
        assert state.broker == "rabbitmq" and state.error is None
        assert [(lane.waiting, lane.delayed) for lane in state.lanes] == [(0, 0)] * 3
