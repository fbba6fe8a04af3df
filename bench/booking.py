"""Benchmark: a bulk booking of 500 orders answered at once, booked by real worker processes
(issue 19), on PostgreSQL.

The sandbox Steadfast runs in its own process and answers every call in 500 ms; the sandbox
WooCommerce store runs in another; the web process is gunicorn as shipped; two `flask worker`
processes serve the bulk lane on Redis. It prints each figure beside its target:

- the booking request (POST /api/v1/couriers/bookings, 500 orders) answers in <= 300 ms;
- all 500 booked exactly once: 500 parcels at the sandbox Steadfast, one per invoice (the
  sandbox refuses a repeated invoice per account, as Steadfast does), 500 distinct consignments;
- WooCommerce is asked <= 10 times for the meta (counted at the sandbox store: orders/batch);

and the total time from the request to the job's last result.

    .venv/bin/python bench/booking.py [--orders 500] [--latency-ms 500] [--workers 2] [--threads 4]
"""
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, flask, free_port, service_env, sizes_parser, start_worker, throwaway_database, verdict, web_process  # noqa: E402

TARGET_ANSWER_MS, TARGET_WC_CALLS = 300, 10
WC_KEY = "ck_sandbox_0000000000000000000000000000000000000000"
WC_SECRET = "cs_sandbox_0000000000000000000000000000000000000000"


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def wait_until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except requests.RequestException:
            pass
        time.sleep(0.1)
    sys.exit(f"{what} did not happen within {seconds:.0f} s")


def main():
    parser = sizes_parser(orders=500)
    parser.add_argument("--latency-ms", type=int, default=500, help="the sandbox Steadfast's time per call")
    parser.add_argument("--workers", type=int, default=2, help="bulk worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    args = parser.parse_args()
    n = args.orders
    steadfast_port, store_port, web_port = free_port(), free_port(), free_port()
    steadfast, store = f"http://127.0.0.1:{steadfast_port}", f"http://127.0.0.1:{store_port}"
    logs = Path(tempfile.mkdtemp(prefix="bikri-bench-booking-"))
    processes = []

    with throwaway_database() as database_url:
        env = service_env(database_url, web_port, BIKRI_STEADFAST_BASE_URL=f"{steadfast}/api/v1",
                          BIKRI_QUEUE_NAMESPACE=f"bikri-bench-{uuid.uuid4().hex[:8]}",
                          BIKRI_SANDBOX_WC_ORDERS=str(n + n // 4 + 10), BIKRI_SANDBOX_WC_KEY=WC_KEY, BIKRI_SANDBOX_WC_SECRET=WC_SECRET)
        try:
            processes.append(start([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "sandbox", "run", "steadfast",
                                    "--port", str(steadfast_port)], env, logs / "steadfast.log"))
            processes.append(start([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "sandbox", "run", "woocommerce",
                                    "--port", str(store_port)], env, logs / "store.log"))
            wait_until(lambda: requests.get(f"{steadfast}/__sandbox__/state", timeout=1).ok, 30, "the Steadfast sandbox")
            wait_until(lambda: requests.get(f"{store}/__sandbox/stats", timeout=1).ok, 30, "the WooCommerce sandbox")
            flask(env, "db", "upgrade")
            with web_process(env) as base:
                key = flask(env, "licenses", "create", "--email", "bench@bikri.test").strip().splitlines()[-1]
                activated = requests.post(f"{base}/api/v1/sites/activate", timeout=10, json={
                    "license_key": key, "site_url": store, "wc_consumer_key": WC_KEY, "wc_consumer_secret": WC_SECRET}).json()
                auth = {"Authorization": f"Bearer {activated['token']}"}
                flask(env, "sync", "backfill", str(activated["site_id"]))
                # every order bookable: processing, a good phone, an address and a name
                with psycopg.connect(database_url) as conn:
                    conn.execute("UPDATE orders SET status = 'processing', billing_phone = '01711' || lpad(wc_id::text, 6, '0'), "
                                 "billing_address = 'House ' || wc_id || ', Road 5, Dhanmondi', billing_name = 'Customer ' || wc_id, "
                                 "deleted_at = NULL")
                    ids = [row[0] for row in conn.execute("SELECT wc_id FROM orders ORDER BY wc_id LIMIT %s", (n,))]
                assert len(ids) == n, f"the store gave {len(ids)} orders"
                sys.path.insert(0, str(ROOT))
                from backend.sandbox.steadfast import API_KEY, SECRET_KEY

                # a worker on the transactional lane checks the keys with the courier before they
                # are saved (the request waits for it up to 5 s; without it the account stays unsaved)
                key_checker = start_worker(env, ["transactional"], threads=2)
                processes.append(key_checker)
                connected = requests.put(f"{base}/api/v1/couriers/steadfast/account", headers=auth, timeout=10,
                                         json={"api_key": API_KEY, "secret_key": SECRET_KEY})
                assert connected.status_code == 200, connected.text
                assert requests.put(f"{base}/api/v1/couriers/settings", headers=auth, timeout=10,
                                    json={"default_courier": "steadfast"}).ok
                for number in range(args.workers):
                    worker = start([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "worker", "--lane", "bulk",
                                    "--threads", str(args.threads)], env, logs / f"worker-{number}.log")
                    processes.append(worker)
                    wait_until(lambda: "started with" in (logs / f"worker-{number}.log").read_text(), 60, "a worker")
                requests.post(f"{steadfast}/__sandbox__/control", timeout=5,
                              json={"latency_ms": args.latency_ms, "reset_counters": True})
                store_before = requests.get(f"{store}/__sandbox/stats", timeout=5).json()
                requests.get(f"{base}/api/v1/couriers/settings", headers=auth, timeout=5)  # a warm connection

                started = time.monotonic()
                answer = requests.post(f"{base}/api/v1/couriers/bookings", headers=auth, timeout=60, json={"order_ids": ids})
                answered_ms = (time.monotonic() - started) * 1000
                assert answer.status_code == 202, answer.text
                location = base + answer.headers["Location"]
                job = wait_until(lambda: (lambda j: j if j["status"] in ("done", "failed") else None)(
                    requests.get(location, headers=auth, timeout=10).json()), 600, "the booking job")
                total_s = time.monotonic() - started
                store_after = requests.get(f"{store}/__sandbox/stats", timeout=5).json()
                state = requests.get(f"{steadfast}/__sandbox__/state", timeout=5).json()
        finally:
            for process in reversed(processes):
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
            import redis  # the bench's queues and keys, all under its own namespace

            client = redis.Redis.from_url(env.get("BIKRI_REDIS_URL", "redis://127.0.0.1:6379/0"))
            for name in client.scan_iter(f"{env['BIKRI_QUEUE_NAMESPACE']}*"):
                client.delete(name)

    outcomes = {}
    for item in job["items"]:
        outcomes[item["outcome"]] = outcomes.get(item["outcome"], 0) + 1
    consignments = {item.get("consignment_id") for item in job["items"] if item.get("consignment_id")}
    once = state["parcels"] == n and len(consignments) == n and outcomes == {"booked": n}
    batch_calls = store_after["calls"].get("POST orders/batch", 0) - store_before["calls"].get("POST orders/batch", 0)
    wc_calls = store_after["requests"] - store_before["requests"]
    print(f"orders: {n}; sandbox Steadfast: {args.latency_ms} ms per call, its own process; web: gunicorn; "
          f"{args.workers} bulk worker processes x {args.threads} threads; PostgreSQL")
    print(f"booking request answered in {answered_ms:.0f} ms  (target <= {TARGET_ANSWER_MS} ms)  "
          f"{verdict(answered_ms <= TARGET_ANSWER_MS)}")
    print(f"booked: {outcomes}; parcels at the sandbox: {state['parcels']}; distinct consignments: {len(consignments)}; "
          f"Steadfast calls: {state['calls']}  (target: {n} booked exactly once)  {verdict(once)}")
    print(f"WooCommerce calls during the booking: {wc_calls} ({batch_calls} orders/batch)  "
          f"(target <= {TARGET_WC_CALLS})  {verdict(wc_calls <= TARGET_WC_CALLS)}")
    print(f"all {n} booked {total_s:.1f} s after the request (job {job['status']}, {job['done']}/{job['total']})")
    sys.exit(0 if answered_ms <= TARGET_ANSWER_MS and once and wc_calls <= TARGET_WC_CALLS else 1)


if __name__ == "__main__":
    main()
