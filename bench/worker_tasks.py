"""The task bench/worker_threads.py runs: what a real outside call looks like from a worker (a
read, the adapter's announcement that ends the reading transaction, the call, and word that it
is done). The bench's workers import this module; product tasks live in the domains' tasks.py."""
import os

import requests
from sqlalchemy import text

from backend.extensions import db
from backend.integrations.signals import asking
from backend.tasks import coordination, task

CALL = "bench.call_the_gateway"
_http = requests.Session()


@task(CALL, lane="transactional", max_retries=0)
def call_the_gateway(run: str) -> None:
    db.session.execute(text("SELECT 1"))  # as a task reads its row first
    asking.send("the gateway")  # as every adapter does: commits.on_asking ends the reading transaction
    _http.post(f"{os.environ['BENCH_GATEWAY_URL']}/api/v3/balance", json={}, timeout=10)
    coordination.client().incr(coordination.key("bench", run))
