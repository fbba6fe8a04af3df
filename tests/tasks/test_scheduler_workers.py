"""The scheduler with real processes (issue 19): two `flask jobs run` processes run each job's
tick once per interval; a shop's work killed with its worker and its scheduler resumes at the
next tick once its shop lock (renewed while alive) has run out, not after a lease of minutes."""
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from sqlalchemy import select

from backend.extensions import db
from backend.sync.models import SyncState
from backend.tasks import coordination
from tests.sync.helpers import assert_matches_store


def start_scheduler(workers, **env):
    """A `flask jobs run` process on the test's database and queue namespace; killed after the test."""
    log_path = workers.tmp_path / f"scheduler-{len(workers.processes)}.log"
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "backend.app", "jobs", "run"],
                               env=workers.environment(**env), stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log_path
    workers.processes.append(process)
    wait_for(lambda: "jobs process" in log_path.read_text() or process.poll() is not None, 30)
    assert process.poll() is None, log_path.read_text()
    return process


def wait_for(condition, seconds, step=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(step)
    return condition()


RAN = re.compile(r"job prune_seen_events ran by (\S+) \(slot (\d+)\)")


def runs(*processes):
    return [match.groups() for process in processes for match in RAN.finditer(process.log_path.read_text())]


def test_two_scheduler_processes_run_each_tick_once(workers):
    env = {"BIKRI_JOB_INTERVALS": "prune_seen_events=1"}
    first, second = start_scheduler(workers, **env), start_scheduler(workers, **env)
    assert wait_for(lambda: len(runs(first, second)) >= 6, 30), (first.log_path.read_text(), second.log_path.read_text())
    first.kill(), second.kill()
    first.wait(10), second.wait(10)
    done = runs(first, second)
    per_slot = Counter(slot for _by, slot in done)
    assert len(per_slot) >= 6 and max(per_slot.values()) == 1, per_slot  # no interval ran twice


def backfill_state(app, site_id):
    with app.app_context():
        state = db.session.execute(select(SyncState.status, SyncState.done, SyncState.total).where(
            SyncState.site_id == site_id, SyncState.kind == "backfill")).one()
        db.session.remove()
    return state


@pytest.mark.parametrize("settings", [
    # "within" bounds the lock, the tick and a busy machine's slack for two processes to start (CI
    # runs the SQLite and PostgreSQL suites side by side), far below the sync lease's 5 minutes
    # a short lock and a short tick: the lock is seen to run out, nobody renewing it
    {"env": {"BIKRI_SHOP_LOCK_SECONDS": "3", "BIKRI_JOB_INTERVALS": "sync_backfill=2"}, "lock": 3, "within": 30},
    # as shipped (30 s lock, 15 s tick): within a minute and a half of the kill
    {"env": {}, "lock": 30, "within": 90},
], ids=["short lock", "as shipped"])
def test_a_backfill_killed_with_its_worker_and_scheduler_resumes_at_the_next_tick(app, workers, make_store,
                                                                                      connect_shop, settings):
    store = make_store(orders=1500, seed=31)
    shop = connect_shop(store)
    assert shop.post("/api/v1/sync/backfill").status_code == 202
    store.data.latency = 0.05  # slow enough to be killed half-way
    env = settings["env"]
    worker = workers.start(lanes=("bulk",), threads=4, **env)
    scheduler = start_scheduler(workers, **env)
    assert wait_for(lambda: backfill_state(app, shop.site_id).done >= 300, 60), worker.log_path.read_text()
    worker.send_signal(signal.SIGKILL), scheduler.send_signal(signal.SIGKILL)
    worker.wait(10), scheduler.wait(10)
    killed = time.monotonic()
    killed_at = backfill_state(app, shop.site_id)
    assert killed_at.status == "running" and killed_at.done < killed_at.total

    with app.app_context():
        lock = coordination.shop_lock_key(shop.site_id, "sync_backfill")
        ttl_ms = coordination.client().pttl(lock)
        assert 0 < ttl_ms <= settings["lock"] * 1000  # the dead worker's lock is there, for the lock's time at most
        if settings["lock"] < 10:  # ... and nobody renews it: it goes
            assert wait_for(lambda: not coordination.client().exists(lock), settings["lock"] + 2)

    workers.start(lanes=("bulk",), threads=4, **env)
    start_scheduler(workers, **env)
    assert wait_for(lambda: backfill_state(app, shop.site_id).done > killed_at.done, settings["within"] + 10, step=0.2)
    resumed_after = time.monotonic() - killed
    print(f"backfill resumed {resumed_after:.1f} s after the kill (lock {settings['lock']} s)")
    # the next tick once the lock is gone, not the sync lease's 5 minutes (nor the old job lease's 10)
    assert resumed_after < settings["within"], resumed_after
    store.data.latency = 0
    assert wait_for(lambda: backfill_state(app, shop.site_id).status == "done", 60, step=0.2)
    assert_matches_store(app, shop.site_id, store)  # resumed from its cursor: every order once
