"""The task bench/worker_threads.py runs: what a real outside call looks like from a worker (a
read, the commit before the call, the call, and word that it is done). The bench's workers
import this module; product tasks live in the domains' tasks.py."""
import os

import requests
from sqlalchemy import text

from backend import commits
from backend.extensions import db
from backend.tasks import coordination, task

CALL = "bench.call_the_gateway"
_http = requests.Session()


@task(CALL, lane="transactional", max_retries=0)
def call_the_gateway(run: str) -> None:
    db.session.execute(text("SELECT 1"))  # as a task reads its row first
    commits.before_remote_call()  # and lets its connection go while the gateway answers
    _http.post(f"{os.environ['BENCH_GATEWAY_URL']}/api/v3/balance", json={}, timeout=10)
    coordination.client().incr(coordination.key("bench", run))
