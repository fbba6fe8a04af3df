"""Benchmark: one status-polling cycle over 10,000 open Steadfast consignments, on PostgreSQL,
against the sandbox Steadfast in its own process answering in 100 ms and allowing R requests a
second (a token bucket holding one second's worth: sustained excess is refused with 429).

It prints the cycle time beside the minimum the rate limit allows (N / R) and the ratio of the
two (target >= 0.8), and the status requests per consignment (target <= 1), and checks that every
consignment was updated exactly as the sandbox answered.

R: Steadfast publishes no rate limit and none has been observed (reference §1.5), so there is
no "real" figure to copy. The default, 100 requests a second, is a stand-in: a limit a courier
API of this kind could plausibly allow per merchant, and the highest that keeps the run under
the three minutes the machine allows (10,000 / 100 = 100 s). The poller paces itself by the
configured rate whatever it is; pass --rate to try others.

    .venv/bin/python bench/courier_poll.py [--consignments 10000] [--rate 100] [--latency-ms 100]
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, flask, service_env, throwaway_database, verdict, wait_for  # noqa: E402

TARGET_RATIO, TARGET_REQUESTS_PER_CONSIGNMENT = 0.8, 1.0

SEED = """
import json, sys
from datetime import timedelta
from decimal import Decimal
from sqlalchemy import insert
from backend.app import create_app
from backend.couriers.models import Consignment, CourierAccount
from backend.extensions import db
from backend.licensing import service as licensing
from backend.security import encrypt_secret
from backend.clock import utcnow

data = json.load(sys.stdin)
app = create_app()
with app.app_context():
    license, key = licensing.create_license("bench@bikri.test", sites=1, days=30)
    site, _token = licensing.activate_site(key, "https://bench-shop.example.com")
    db.session.add(CourierAccount(site_id=site.id, courier="steadfast", next_request_us=0,
                                  credentials_enc=encrypt_secret(json.dumps(data["credentials"]))))
    booked, due = utcnow() - timedelta(hours=2), utcnow() - timedelta(minutes=1)
    rows = [dict(site_id=site.id, order_wc_id=n, invoice=invoice, courier="steadfast", consignment_id=str(cid),
                 tracking_code=code, cod_amount=Decimal("1000"), status="in_review", courier_status="in_review",
                 status_observed_at=booked, status_changed_at=booked, booked_at=booked, next_check_at=due,
                 check_failures=0, created_at=booked)
            for n, (cid, invoice, code) in enumerate(zip(data["consignment_ids"], data["invoices"], data["tracking_codes"]))]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Consignment), rows[start:start + 2000])
    db.session.commit()
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--consignments", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="requests a second the sandbox allows")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--port", type=int, default=5794)
    args = parser.parse_args()
    n, rate = args.consignments, args.rate
    sandbox = f"http://127.0.0.1:{args.port}"

    with throwaway_database() as database_url:
        env = service_env(database_url, args.port + 1, BIKRI_STEADFAST_BASE_URL=f"{sandbox}/api/v1",
                          BIKRI_STEADFAST_RATE=str(rate), BIKRI_COURIER_POLL_SECONDS="900")
        server = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "sandbox", "run", "steadfast",
                                   "--port", str(args.port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_for(f"{sandbox}/__sandbox__/state")
            flask(env, "db", "upgrade")
            seeded = requests.post(f"{sandbox}/__sandbox__/seed", json={"count": n}, timeout=60).json()
            sys.path.insert(0, str(ROOT))
            from backend.sandbox.steadfast import API_KEY, SECRET_KEY

            seeded["credentials"] = {"api_key": API_KEY, "secret_key": SECRET_KEY}
            subprocess.run([str(ROOT / ".venv/bin/python"), "-c", SEED], cwd=ROOT, env=env, input=json.dumps(seeded),
                           text=True, check=True, capture_output=True)
            # Two hours on: every parcel has moved to "pending", so each answer is a change to write.
            requests.post(f"{sandbox}/__sandbox__/control", timeout=5, json={
                "latency_ms": args.latency_ms, "rate_per_second": rate,
                "advance_seconds": 2 * 3600, "reset_counters": True})

            started = time.monotonic()
            out = flask(env, "couriers", "poll")
            wall = time.monotonic() - started
            stats = json.loads(out.strip().splitlines()[-1])
            state = requests.get(f"{sandbox}/__sandbox__/state", timeout=5).json()
            with psycopg.connect(database_url) as conn:
                statuses = dict(conn.execute("SELECT status, count(*) FROM consignments GROUP BY status").fetchall())
                checked = conn.execute("SELECT count(*) FROM consignments WHERE last_checked_at IS NOT NULL").fetchone()[0]
                history = conn.execute("SELECT count(*) FROM consignment_status_changes").fetchone()[0]
        finally:
            server.terminate()
            server.wait(timeout=10)

    minimum = n / rate
    cycle = stats["seconds"]
    ratio = minimum / cycle if cycle else 0.0
    # every request to the status endpoint, answered or refused (429s count: they were sent)
    per_consignment = state["calls"].get("status_by_cid", 0) / n
    print(f"consignments: {n}, sandbox: {args.latency_ms} ms per answer, {rate:g} requests/s allowed")
    print(f"cycle: {cycle:.1f} s (whole command incl. start-up and the due query: {wall:.1f} s); "
          f"the rate limit allows {minimum:.1f} s at best")
    print(f"achieved rate / allowed rate: {ratio:.3f}  (target >= {TARGET_RATIO})  {verdict(ratio >= TARGET_RATIO)}")
    print(f"status requests per consignment: {per_consignment:.3f}  (target <= {TARGET_REQUESTS_PER_CONSIGNMENT})  "
          f"{verdict(per_consignment <= TARGET_REQUESTS_PER_CONSIGNMENT)}")
    print(f"429s from the sandbox: {state['rate_limited']}; poll stats: {json.dumps({k: v for k, v in stats.items() if k != 'seconds'})}")
    correct = checked == n and statuses == {"pending": n} and history == n  # one "pending" row each
    print(f"database: {checked} checked, statuses {statuses}, {history} history rows  {verdict(correct)}")
    sys.exit(0 if ratio >= TARGET_RATIO and per_consignment <= TARGET_REQUESTS_PER_CONSIGNMENT and correct else 1)


if __name__ == "__main__":
    main()
