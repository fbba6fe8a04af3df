"""The scheduler (issue 19): each job's tick runs once per interval however many schedulers
tick, per-shop work is one task per shop under that shop's lock, and no lease spans all shops.

These run with the inline broker (a task runs right after its caller commits); the same paths
with real worker and scheduler processes are in tests/tasks/test_scheduler_workers.py."""
import functools
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from backend.embed.models import EmbedTicket
from backend.extensions import db
from backend.jobs import runner, tasks
from backend.jobs.models import JobLock
from backend.jobs.table import JOBS, JOBS_BY_NAME, Job
from backend.sync import service as sync
from backend.sync.models import SyncState
from backend.tasks import coordination, registry
from backend.clock import utcnow

HOUR = 3600.0


@pytest.fixture
def clock(monkeypatch):
    """The schedulers' wall clock, set by the test: no interval boundary can fall between two
    calls by chance."""
    now = {"t": 1_800_000_000.0 + uuid.uuid4().int % 1000 * HOUR}
    monkeypatch.setattr(runner, "wall_clock", lambda: now["t"])
    return now


@pytest.fixture
def per_shop_job(monkeypatch):
    """A per-shop job of the test's own: the shops it lists, and the shops it ran for."""
    def make(shops, lane="bulk", work=None):
        ran = []
        name = f"test_{uuid.uuid4().hex[:8]}"
        job = Job(name, lambda: None, trigger_args={"hours": 1}, shops=lambda: list(shops),
                  for_shop=work or ran.append, lane=lane)
        monkeypatch.setitem(JOBS_BY_NAME, name, job)
        monkeypatch.setitem(registry.TASKS, tasks.task_of(job),
                            registry.Task(tasks.task_of(job), functools.partial(tasks.run_scheduled, name), lane, 0,
                                          2000, 300000, None))
        return job, ran
    return make


def test_two_schedulers_run_a_job_once_per_interval(app, clock):
    calls = []
    job = Job(f"test_{uuid.uuid4().hex[:8]}", lambda: calls.append(1) or "ran", trigger_args={"hours": 1})
    assert runner.tick(app, job, worker="scheduler-a") == "ran"
    assert runner.tick(app, job, worker="scheduler-b") is None  # the same interval: a's
    assert calls == [1]
    clock["t"] += HOUR  # the next interval: whichever ticks first runs it
    assert runner.tick(app, job, worker="scheduler-b") == "ran"
    assert runner.tick(app, job, worker="scheduler-a") is None
    assert calls == [1, 1]
    with app.app_context():
        row = db.session.get(JobLock, job.name)
        # the row says when and where it last ran; it leases nothing
        assert row.locked_by == "scheduler-b" and row.locked_until is None and row.last_error is None


def test_a_failing_job_is_recorded_and_the_next_interval_runs_it_again(app, clock):
    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("courier down")
    job = Job(f"test_{uuid.uuid4().hex[:8]}", broken, trigger_args={"minutes": 5})
    assert runner.tick(app, job) is None
    with app.app_context():
        assert "courier down" in db.session.get(JobLock, job.name).last_error
    clock["t"] += 300
    runner.tick(app, job)
    assert calls == [1, 1]


def test_schedulers_started_at_different_times_tick_on_the_same_grid():
    early = datetime(2026, 12, 7, 6, 0, 7, tzinfo=timezone.utc)
    late = datetime(2026, 12, 7, 6, 3, 41, tzinfo=timezone.utc)
    for interval in (15, 30, 60, 300, 3600, 21600):
        a, b = runner.first_tick(interval, early), runner.first_tick(interval, late)
        assert (b - a).total_seconds() % interval == 0
        assert 0 < a.timestamp() % interval <= 1  # just past a multiple: a late tick keeps its slot


def test_a_per_shop_job_queues_one_task_per_shop_with_work_due(app, clock, per_shop_job):
    job, ran = per_shop_job([3, 1, 2])
    assert runner.tick(app, job, worker="scheduler-a") == {"shops_due": 3, "queued": 3}
    assert ran == [3, 1, 2]
    assert runner.tick(app, job, worker="scheduler-b") is None  # once per interval
    assert ran == [3, 1, 2]


def test_a_shop_whose_run_holds_its_lock_is_skipped(app, clock, per_shop_job):
    job, ran = per_shop_job([1, 2])
    with app.app_context(), coordination.shop_lock(2, job.name) as held:
        assert held
        # the scheduler leaves shop 2 to the run in progress ...
        assert runner.tick(app, job) == {"shops_due": 2, "queued": 1}
        # ... and a task that was queued before the run began finds the lock and does nothing
        assert tasks.run_scheduled(job.name, site_id=2) is None
    assert ran == [1]
    clock["t"] += HOUR
    runner.tick(app, job)  # the lock is free again
    assert ran == [1, 1, 2]


def test_a_shop_whose_task_still_waits_in_the_queue_is_not_queued_again(app, clock, per_shop_job):
    job, ran = per_shop_job([1, 2])
    with app.app_context():
        coordination.client().set(tasks.waiting_key(job.name, 1), 1, ex=60)  # a backlog: shop 1's task waits
    assert runner.tick(app, job) == {"shops_due": 2, "queued": 1}
    assert ran == [2]
    with app.app_context():
        tasks.run_scheduled(job.name, site_id=1)  # the waiting task runs: its mark goes
        assert not coordination.client().exists(tasks.waiting_key(job.name, 1))
    assert ran == [2, 1]


def test_each_per_shop_task_runs_its_shops_work_only_under_a_lock_that_a_crash_frees_within_a_minute(
        app, clock, per_shop_job):
    seen = []

    def work(site_id):
        ttl_ms = coordination.client().pttl(coordination.shop_lock_key(site_id, job.name))
        seen.append((site_id, coordination.holding(site_id, job.name), 0 < ttl_ms <= 60_000))
    job, _ran = per_shop_job([7, 8], work=work)
    runner.tick(app, job)
    assert seen == [(7, True, True), (8, True, True)]  # each under its own shop's lock, for a minute at most
    assert app.config["SHOP_LOCK_SECONDS"] <= 60


def test_a_per_shop_job_run_whole_keeps_each_shops_work_before_the_next_shops_turn(app, shop, make_shop):
    """The tenant walk (`flask jobs run-once`, the tests): a later shop's failure takes nothing
    of an earlier shop's work with it."""
    other = make_shop(url="https://shop-b.example.com")

    def work(site_id):
        if site_id == other.site_id:
            raise RuntimeError("this shop's WooCommerce is down")
        db.session.execute(update(EmbedTicket).where(EmbedTicket.site_id == site_id).values(display_name="walked"))
        return "done"

    shop.post("/api/v1/embed/tickets", json={"wp_user_id": 1, "display_name": "A", "role": "editor", "page": "home"})
    job = Job("test_walk", None, trigger_args={"hours": 1}, shops=lambda: [shop.site_id, other.site_id],
              for_shop=work, lane="bulk")
    assert runner.run_job(app, job) is None  # the run failed, at the second shop
    with app.app_context():
        assert [t.display_name for t in db.session.query(EmbedTicket)] == ["walked"]
        assert runner.every_shop(Job("test_walk", None, trigger_args={"hours": 1}, shops=lambda: [shop.site_id],
                                     for_shop=work, lane="bulk")) == {shop.site_id: "done"}


def test_a_global_job_names_its_function():
    with pytest.raises(ValueError):
        Job("test_global", None, trigger_args={"hours": 1})


def test_a_backfill_left_by_a_killed_worker_resumes_at_the_next_tick(app, clock, store, connected):
    """The dead run's lease row says "running until five minutes from now"; its shop lock is
    gone (it died), so the scheduled run takes the backfill over at once and resumes it."""
    connected.post("/api/v1/sync/backfill")
    with app.app_context():
        sync.run_backfill(connected.site_id, budget_seconds=0)  # one page, then stopped half way
        db.session.execute(update(SyncState).where(SyncState.kind == "backfill").values(
            lease_owner="dead-host:4242:1", lease_until=utcnow() + timedelta(minutes=5)))
        db.session.commit()
        assert sync.backfill_site(connected.site_id) == "busy"  # without the shop's lock: the lease holds
    done_before = connected.get("/api/v1/sync/status").json["backfill"]["done"]
    assert done_before > 0
    assert runner.tick(app, JOBS_BY_NAME["sync_backfill"]) == {"shops_due": 1, "queued": 1}
    status = connected.get("/api/v1/sync/status").json["backfill"]
    assert status["status"] == "done" and status["done"] == status["total"]


def test_the_sync_jobs_lock_what_the_sync_leases_name():
    """sync.claim takes over a dead run's lease only under the shop lock of the job that runs it."""
    assert JOBS_BY_NAME["sync_backfill"].per_shop and sync.lock_name(sync.SyncKind.BACKFILL) == "sync_backfill"
    assert JOBS_BY_NAME["sync_reconcile"].per_shop and sync.lock_name(sync.SyncKind.RECONCILE) == "sync_reconcile"


def test_purge_job_removes_only_old_tickets(app, shop):
    shop.post("/api/v1/embed/tickets", json={"wp_user_id": 1, "display_name": "A", "role": "editor", "page": "home"})
    shop.post("/api/v1/embed/tickets", json={"wp_user_id": 1, "display_name": "B", "role": "editor", "page": "home"})
    with app.app_context():
        old = db.session.query(EmbedTicket).filter_by(display_name="A").one()
        old.expires_at = utcnow() - timedelta(days=2)
        db.session.commit()
    purge = JOBS_BY_NAME["purge_embed_tickets"]
    assert runner.run_job(app, purge) == 1
    with app.app_context():
        assert [t.display_name for t in db.session.query(EmbedTicket)] == ["B"]


def test_every_job_names_functions_that_exist_and_a_task_where_it_runs_in_a_worker():
    """Jobs name their functions ("module:function") so the runner imports no domain: a
    renamed or moved function must fail here, not at 3 a.m. in the jobs process."""
    for job in JOBS:
        if job.func is not None or not job.per_shop:  # else the runner walks the shops (every_shop)
            assert isinstance(job.func, str), job.name
            assert callable(job.target()), job.name
        if job.per_shop:
            assert isinstance(job.shops, str) and isinstance(job.for_shop, str), job.name
            assert callable(job.shops_due()) and callable(job.shop_target()), job.name
        if job.lane is not None:
            assert registry.task_named(tasks.task_of(job)).lane == job.lane


def test_every_per_shop_list_is_a_query_that_runs(app):
    with app.app_context():
        for job in JOBS:
            if job.per_shop:
                assert job.shops_due()() == [], job.name


def test_a_global_job_that_calls_outside_runs_once_per_interval_as_a_task(app, clock, monkeypatch):
    calls = []
    name = f"test_{uuid.uuid4().hex[:8]}"
    job = Job(name, lambda: calls.append(1) or "asked bKash", trigger_args={"minutes": 5}, lane="transactional")
    monkeypatch.setitem(JOBS_BY_NAME, name, job)
    monkeypatch.setitem(registry.TASKS, tasks.task_of(job), registry.Task(
        tasks.task_of(job), functools.partial(tasks.run_scheduled, name), "transactional", 0, 2000, 300000, None))
    assert runner.tick(app, job, worker="scheduler-a") == "queued"  # a worker's (inline here), not the scheduler's
    assert runner.tick(app, job, worker="scheduler-b") is None
    assert calls == [1]


def test_run_once_runs_a_job_now_and_names_the_jobs_when_asked_for_another(runner):
    result = runner.invoke(args=["jobs", "run-once", "purge_embed_tickets"])
    assert result.exit_code == 0 and result.output.strip() == "0", result.output
    unknown = runner.invoke(args=["jobs", "run-once", "no_such_job"])
    assert unknown.exit_code != 0 and "sync_backfill" in unknown.output
