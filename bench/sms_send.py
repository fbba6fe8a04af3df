"""Benchmark: POST /api/sms/send with the work model (issue 19): the request debits and queues
(202), `flask worker` processes of the transactional lane ask the sandbox gateway, which takes
--latency-ms per send (500 ms: Bangladesh's operators). Every process runs on its own: the
sandbox gateway, gunicorn as shipped (gunicorn.conf.py) and the workers, on PostgreSQL and Redis.

Load: arrivals paced at --rate sends a second for --seconds (open loop, as wrk2 makes it: each
request is due at its time whatever the ones before it did, and its latency counts from then;
plain wrk cannot pace). Targets: the answer's p99 <= 100 ms; every message reaches the gateway
and the gateway gets >= 90 sends a second sustained; the ledger exact. A timeout or a socket
error makes the run MISSED.

    .venv/bin/python bench/sms_send.py --latency-ms 500
"""
import argparse
import json
import os
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ROOT, activate_site, cpu_seconds, database_cpu, flask, free_port, machine_busy, paced_load, percentile, service_env, start_sms_gateway,
    start_worker, stop_process, throwaway_database, verdict, web_process, WEB_PIDS,
)

TARGET_P99_MS, TARGET_SENT_PER_S = 100.0, 90.0
SITE = "https://bench.example.com"


def prepare(env: dict, gateway_url: str) -> None:
    import subprocess

    subprocess.run([str(ROOT / ".venv/bin/python"), "-c", f"""
from backend.app import create_app
from backend.extensions import db
from backend.sms import service
app = create_app()
with app.app_context():
    service.configure_gateway("ssl_wireless", {{"base_url": "{gateway_url}", "sid": "BIKRIDEMO", "api_token": "sandbox-api-token"}})
    service.sms_settings().sends_per_minute = 1_000_000  # one shop sending for the whole run
    db.session.commit()
"""], cwd=ROOT, env=env, check=True)


def wait_for_delivery(database_url: str, seconds: float) -> int:
    """Wait until no message is queued or being sent (the workers caught up); how many are left."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            left = conn.execute("SELECT count(*) FROM sms_messages WHERE status IN ('queued', 'sending')").fetchone()[0]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0, help="sends a second arriving")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--latency-ms", type=int, default=500, help="the sandbox gateway's time per send")
    parser.add_argument("--threads", type=int, default=64, help="threads of the transactional worker (sends in flight)")
    parser.add_argument("--workers", type=int, default=1, help="transactional worker processes")
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="run the workers at this niceness (the web's answers first on a shared machine)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    port = free_port(args.port or None)
    namespace = f"bikri-bench-{uuid.uuid4().hex[:8]}"
    with throwaway_database() as database_url:
        env = service_env(database_url, port, BIKRI_BROKER_URL="redis://127.0.0.1:6379/0",
                          BIKRI_REDIS_URL="redis://127.0.0.1:6379/0", BIKRI_QUEUE_NAMESPACE=namespace,
                          BIKRI_LOG_LEVEL="WARNING")
        gateway, gateway_url = start_sms_gateway(env, args.latency_ms)
        workers = []
        try:
            with web_process(env) as base:
                token = activate_site(env, base, SITE)
                prepare(env, gateway_url)
                flask(env, "sms", "credit", SITE, "1000000")
                # INFO: the worker says when it consumes
                workers = [start_worker({**env, "BIKRI_LOG_LEVEL": "INFO"}, ["transactional"], args.threads, args.worker_nice)
                           for _ in range(args.workers)]
                web_pid = WEB_PIDS[base]
                headers = {"Authorization": f"Bearer {token}"}

                def body(i, prefix="Your order"):
                    return json.dumps({"phone": f"017{i % 100_000_000:08d}",
                                       "content": f"{prefix} #{i} is confirmed. Thank you!"}).encode()

                # warm the processes (connections, caches), then wait for the gateway to finish them
                paced_load(f"{base}/api/sms/send", rate=min(args.rate, 50), seconds=2, headers=headers,
                           body=lambda i: body(i, "Warm-up"))
                wait_for_delivery(database_url, 30)
                with psycopg.connect(database_url) as conn:
                    first_id = conn.execute("SELECT coalesce(max(id), 0) FROM sms_messages").fetchone()[0]

                cpu_before = {"web": cpu_seconds(web_pid),
                              "workers": sum(cpu_seconds(w.pid) for w in workers), "gateway": cpu_seconds(gateway.pid),
                              "bench": cpu_seconds(os.getpid(), descendants=False)}
                busy_before, database_before = machine_busy(), database_cpu(database_url)
                result = paced_load(f"{base}/api/sms/send", rate=args.rate, seconds=args.seconds, headers=headers, body=body)
                left = wait_for_delivery(database_url, 120)
                busy_after, database_after = machine_busy(), database_cpu(database_url)
                cpu_database = sum(seconds - database_before.get(pid, 0.0) for pid, seconds in database_after.items())
                cpu = {"web": cpu_seconds(web_pid) - cpu_before["web"],
                       "workers": sum(cpu_seconds(w.pid) for w in workers) - cpu_before["workers"],
                       "gateway": cpu_seconds(gateway.pid) - cpu_before["gateway"],
                       "bench": cpu_seconds(os.getpid(), descendants=False) - cpu_before["bench"]}
                gateway_sent = requests.post(f"{gateway_url}/__sandbox__/control", json={}, timeout=10).json()
        finally:
            for worker in workers:
                stop_process(worker)
            stop_process(gateway)
        with psycopg.connect(database_url) as conn:
            balance = conn.execute("SELECT balance FROM wallets").fetchone()[0]
            ledger = conn.execute("SELECT sum(amount) FROM wallet_entries").fetchone()[0]
            debits = conn.execute("SELECT count(*) FROM wallet_entries WHERE kind = 'sms'").fetchone()[0]
            refunds = conn.execute("SELECT count(*) FROM wallet_entries WHERE kind = 'refund'").fetchone()[0]
            by_status = dict(conn.execute("SELECT status, count(*) FROM sms_messages GROUP BY status").fetchall())
            run = conn.execute("SELECT count(*), min(created_at), max(finished_at) FROM sms_messages "
                               "WHERE id > %s AND status = 'sent'", (first_id,)).fetchone()
            # the steady state: sends the gateway finished in each second of the run (its first
            # and last seconds ramp up and drain)
            per_second = [n for _s, n in conn.execute(
                "SELECT date_trunc('second', finished_at) AS s, count(*) FROM sms_messages WHERE id > %s "
                "AND status = 'sent' GROUP BY s ORDER BY s", (first_id,)).fetchall()]

    accepted = result["statuses"].get(202, 0)
    sent_in_run, first_created, last_finished = run
    span = (last_finished - first_created).total_seconds() if sent_in_run else 0.0
    overall_rate = sent_in_run / span if span else 0.0
    steady = sorted(per_second[1:-1]) if len(per_second) > 2 else per_second
    steady_low = steady[len(steady) // 20] if steady else 0  # the 5th percentile second
    p50, p99 = percentile(result["latencies"], 0.50), percentile(result["latencies"], 0.99)
    failures = result["timeouts"] + result["socket_errors"]
    every_one = accepted == result["sent"] and sent_in_run == accepted and left == 0
    exact = (balance == ledger and debits == gateway_sent["sent"] == by_status.get("sent", 0) and refunds == 0
             and set(by_status) == {"sent"})
    cores = os.cpu_count()
    busy = (busy_after[0] - busy_before[0]) / max(1e-9, busy_after[1] - busy_before[1])

    print(f"bench/sms_send.py  POST /api/sms/send  gunicorn (gunicorn.conf.py) + {args.workers} `flask worker` "
          f"(transactional lane, {args.threads} threads{f', nice {args.worker_nice}' if args.worker_nice else ''})  PostgreSQL  Redis broker  sandbox gateway {args.latency_ms} ms  "
          f"{cores} cores shared with everything")
    print(f"  load       : {args.rate:.0f} sends/s paced for {args.seconds:.0f}s (open loop, latency from each request's due "
          f"time): {result['sent']} requests, {accepted} answered 202, statuses {result['statuses']}")
    print(f"  failures   : {result['timeouts']} timeouts, {result['socket_errors']} socket errors   "
          f"{verdict(failures == 0)}")
    print(f"  answer p50 : {p50:8.2f} ms")
    print(f"  answer p99 : {p99:8.2f} ms   target <= {TARGET_P99_MS:.0f} ms   {verdict(p99 <= TARGET_P99_MS and failures == 0)}")
    print(f"  delivered  : {sent_in_run} of {accepted} accepted reached the gateway; {left} left queued   "
          f"{verdict(every_one)}")
    print(f"  sustained  : {overall_rate:8.1f} sends/s at the gateway (first accepted to last sent); steady seconds: "
          f"median {steady[len(steady) // 2] if steady else 0}/s, 5th percentile {steady_low}/s   "
          f"target >= {TARGET_SENT_PER_S:.0f}   {verdict(overall_rate >= TARGET_SENT_PER_S)}")
    print(f"  ledger     : balance {Decimal(balance) / 10000} = ledger sum {Decimal(ledger) / 10000} taka; {debits} debits, gateway sent "
          f"{gateway_sent['sent']} (asked {gateway_sent['asked']}), {refunds} refunds, statuses {by_status}   {verdict(exact)}")
    met = (failures == 0 and p99 <= TARGET_P99_MS and every_one and overall_rate >= TARGET_SENT_PER_S and exact)
    print(f"  the run    : {verdict(met)}")
    per = max(1, result["sent"])
    print(f"  CPU/send   : web {cpu['web'] / per * 1000:.2f} ms, worker {cpu['workers'] / per * 1000:.2f} ms, "
          f"gateway sandbox {cpu['gateway'] / per * 1000:.2f} ms, PostgreSQL {cpu_database / per * 1000:.2f} ms, load generator {cpu['bench'] / per * 1000:.2f} ms; "
          f"the machine was {busy * 100:.0f}% busy over the run ({cores} cores, PostgreSQL and other helpers included)")


if __name__ == "__main__":
    main()
