"""Benchmark: one scheduler cycle over 2,000 shops with courier polling and reconciliation due,
on PostgreSQL, Redis as the broker, real `flask worker` processes (bulk lane).

Rows are inserted directly: N connected shops, each with a Steadfast account and one open
parcel whose check is due, and a finished backfill. The per-shop work is the real job functions:
- polling asks the Steadfast sandbox (its own process, --latency-ms per answer) about the
  shop's parcel and writes the answer (a status change, a history row);
- reconciliation runs `reconcile_site` for real with nothing to pull: no checkpoint yet, so it
  takes and lets go of its lease (two commits) without asking a store.

One cycle is the two jobs' ticks (`backend.jobs.runner.tick`, what `flask jobs run` calls),
started at the same moment. Printed beside their targets:
- fan-out: how long each tick takes to list its shops and hand one task per shop to the broker
  (target: a few seconds, far inside the 5-minute interval);
- tasks/s through the workers, and CPU seconds per task (the machine may be the bound);
- lateness: for each shop, from the cycle's start to its work done; the worst must stay under
  one interval (300 s): no shop waits for the next cycle.

    .venv/bin/python bench/jobs_scale.py [--shops 2000] [--workers 2] [--threads 16] [--latency-ms 100]
"""
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, cpu_seconds, flask, free_port, service_env, sizes_parser, throwaway_database, verdict  # noqa: E402

INTERVAL = 300  # both jobs' interval in the job table (seconds)
TARGET_FAN_OUT = 10.0  # seconds for one tick to queue every shop's task

SEED = """
import json, sys
from datetime import timedelta
from decimal import Decimal
from sqlalchemy import insert, select
from backend.app import create_app
from backend.couriers.models import Consignment, CourierAccount
from backend.extensions import db
from backend.licensing.models import License, Site
from backend.security import encrypt_secret, hash_token
from backend.sync.models import SyncState
from backend.clock import utcnow

data = json.load(sys.stdin)
app = create_app()
with app.app_context():
    now = utcnow()
    license = License(key_hash="bench" * 12 + "abcd", key_hint="BENCH", email="bench@bikri.test", sites_allowed=len(data["consignment_ids"]))
    db.session.add(license)
    db.session.flush()
    key, secret = encrypt_secret("ck_bench"), encrypt_secret("cs_bench")
    n = len(data["consignment_ids"])
    db.session.execute(insert(Site), [dict(license_id=license.id, url=f"https://shop-{i}.example.com",
                                           url_key=f"shop-{i}.example.com", token_hash=hash_token(f"bench-token-{i}"),
                                           wc_consumer_key_enc=key, wc_consumer_secret_enc=secret, activated_at=now)
                                      for i in range(n)])
    site_ids = db.session.execute(select(Site.id).order_by(Site.id)).scalars().all()
    credentials = encrypt_secret(json.dumps(data["credentials"]))
    db.session.execute(insert(CourierAccount), [dict(site_id=s, courier="steadfast", next_request_us=0,
                                                     credentials_enc=credentials) for s in site_ids])
    accounts = dict(db.session.execute(select(CourierAccount.site_id, CourierAccount.id)).all())
    booked, due = now - timedelta(hours=2), now - timedelta(minutes=1)
    db.session.execute(insert(Consignment), [
        dict(site_id=s, order_wc_id=1, invoice=invoice, courier="steadfast", consignment_id=str(cid),
             tracking_code=code, cod_amount=Decimal("1000"), status="in_review", courier_status="in_review",
             status_observed_at=booked, status_changed_at=booked, booked_at=booked, next_check_at=due,
             check_failures=0, created_at=booked)
        for s, cid, invoice, code in zip(site_ids, data["consignment_ids"], data["invoices"], data["tracking_codes"])])
    # a finished backfill: reconciliation is due (not a first backfill to queue)
    db.session.execute(insert(SyncState), [dict(site_id=s, kind="backfill", status="done", done=0,
                                                cursor=json.dumps({"until": "2026-01-01T00:00:00"}),
                                                updated_at=now) for s in site_ids])
    db.session.commit()
"""

TICK = """
import json, sys, threading, time
from backend.app import create_app
from backend.jobs import runner
from backend.jobs.table import JOBS_BY_NAME

app = create_app()
names = ("poll_courier_statuses", "sync_reconcile")
results = {}

def tick(name):
    started = time.monotonic()
    cpu = time.thread_time()
    results[name] = {"result": runner.tick(app, JOBS_BY_NAME[name], worker="bench"),
                     "seconds": time.monotonic() - started, "cpu": time.thread_time() - cpu}

threads = [threading.Thread(target=tick, args=(name,)) for name in names]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(results))
"""


def main():
    parser = sizes_parser(shops=2000)
    parser.add_argument("--workers", type=int, default=2, help="bulk-lane worker processes")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker")
    parser.add_argument("--latency-ms", type=int, default=100, help="the Steadfast sandbox's answer time")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    n = args.shops
    port = free_port(args.port)
    sandbox = f"http://127.0.0.1:{port}"
    namespace = f"bikri-bench-{uuid.uuid4().hex[:8]}"

    with throwaway_database() as database_url:
        env = service_env(database_url, port + 1, BIKRI_STEADFAST_BASE_URL=f"{sandbox}/api/v1",
                          BIKRI_STEADFAST_RATE="1000", BIKRI_QUEUE_NAMESPACE=namespace, BIKRI_LOG_LEVEL="WARNING")
        processes = [subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "sandbox", "run",
                                       "steadfast", "--port", str(port)], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        try:
            for _ in range(150):
                try:
                    requests.get(f"{sandbox}/__sandbox__/state", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            flask(env, "db", "upgrade")
            seeded = requests.post(f"{sandbox}/__sandbox__/seed", json={"count": n}, timeout=60).json()
            sys.path.insert(0, str(ROOT))
            from backend.sandbox.steadfast import API_KEY, SECRET_KEY

            seeded["credentials"] = {"api_key": API_KEY, "secret_key": SECRET_KEY}
            subprocess.run([str(ROOT / ".venv/bin/python"), "-c", SEED], cwd=ROOT, env=env, input=json.dumps(seeded),
                           text=True, check=True)
            requests.post(f"{sandbox}/__sandbox__/control", timeout=5, json={
                "latency_ms": args.latency_ms, "rate_per_second": 100_000, "advance_seconds": 2 * 3600,
                "reset_counters": True})

            workers = []
            for index in range(args.workers):
                log = open(f"/tmp/{namespace}-worker-{index}.log", "w")
                workers.append(subprocess.Popen(
                    [str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "worker", "--lane", "bulk",
                     "--threads", str(args.threads)], cwd=ROOT, env={**env, "BIKRI_LOG_LEVEL": "INFO"},
                    stdout=log, stderr=subprocess.STDOUT))
            processes += workers
            for index in range(args.workers):
                path = Path(f"/tmp/{namespace}-worker-{index}.log")
                for _ in range(300):
                    if "started with" in path.read_text():
                        break
                    time.sleep(0.1)
                else:
                    sys.exit(f"worker {index} did not start:\n{path.read_text()}")
            cpu_before = sum(cpu_seconds(w.pid, descendants=False) for w in workers)

            cycle_start = datetime.now(timezone.utc).replace(tzinfo=None)
            started = time.monotonic()
            ticks = json.loads(subprocess.run([str(ROOT / ".venv/bin/python"), "-c", TICK], cwd=ROOT, env=env,
                                              text=True, check=True, capture_output=True).stdout.strip().splitlines()[-1])
            fanned_out = time.monotonic() - started

            with psycopg.connect(database_url) as conn:
                deadline = time.monotonic() + 2 * INTERVAL
                while time.monotonic() < deadline:
                    polled = conn.execute("SELECT count(*) FROM consignments WHERE last_checked_at IS NOT NULL").fetchone()[0]
                    reconciled = conn.execute(
                        "SELECT count(*) FROM sync_state WHERE kind = 'reconcile' AND lease_owner IS NULL "
                        "AND updated_at >= %s", (cycle_start,)).fetchone()[0]
                    conn.commit()
                    if polled >= n and reconciled >= n:
                        break
                    time.sleep(0.25)
                wall = time.monotonic() - started
                cpu_workers = sum(cpu_seconds(w.pid, descendants=False) for w in workers) - cpu_before
                poll_late = conn.execute("SELECT max(extract(epoch FROM last_checked_at - %s)) FROM consignments",
                                         (cycle_start,)).fetchone()[0]
                reconcile_late = conn.execute(
                    "SELECT max(extract(epoch FROM updated_at - %s)) FROM sync_state WHERE kind = 'reconcile'",
                    (cycle_start,)).fetchone()[0]
                statuses = dict(conn.execute("SELECT status, count(*) FROM consignments GROUP BY status").fetchall())
                dead = conn.execute("SELECT count(*) FROM dead_tasks").fetchone()[0]
            state = requests.get(f"{sandbox}/__sandbox__/state", timeout=5).json()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)

    tasks = polled + reconciled
    rate = tasks / wall if wall else 0.0
    late = max(float(poll_late or 0), float(reconcile_late or 0))
    asked = state["calls"].get("status_by_cid", 0)
    print(f"shops: {n}, workers: {args.workers} x {args.threads} threads (bulk lane), "
          f"Steadfast sandbox {args.latency_ms} ms per answer; cores: {os.cpu_count()} (shared)")
    for name, tick in ticks.items():
        print(f"fan-out {name}: {tick['seconds']:.2f} s ({tick['result']}, {tick['cpu']:.2f} s CPU)  "
              f"(target <= {TARGET_FAN_OUT:g} s)  {verdict(tick['seconds'] <= TARGET_FAN_OUT)}")
    print(f"both ticks, process start included: {fanned_out:.2f} s")
    print(f"tasks done: {polled} polls + {reconciled} reconciliations in {wall:.1f} s = {rate:.0f} tasks/s "
          f"(target: the cycle's {tasks} tasks inside the {INTERVAL} s interval, >= {tasks / INTERVAL:.1f}/s)  "
          f"{verdict(rate >= tasks / INTERVAL)}")
    print(f"worker CPU: {cpu_workers:.1f} s = {1000 * cpu_workers / max(tasks, 1):.1f} ms per task "
          f"(2 cores give at most {2 * wall:.0f} CPU-s in {wall:.0f} s)")
    print(f"max lateness: polling {float(poll_late or 0):.1f} s, reconciliation {float(reconcile_late or 0):.1f} s "
          f"(target <= one interval, {INTERVAL} s)  {verdict(late <= INTERVAL and polled >= n and reconciled >= n)}")
    correct = statuses == {"pending": n} and asked == n and dead == 0
    print(f"courier asked {asked} times for {n} parcels, statuses {statuses}, dead tasks {dead}  {verdict(correct)}")
    sys.exit(0 if late <= INTERVAL and polled >= n and reconciled >= n and correct else 1)


if __name__ == "__main__":
    main()
