"""Benchmark: POST /api/v1/events, batches of 50 full wc/v3 orders, against gunicorn on PostgreSQL.

Starts the web process as shipped (gunicorn.conf.py) on a throwaway PostgreSQL database,
activates a site, then a separate load-generator process posts batches in two phases (5,000
orders created, then updated: a quarter of the updates change the order's status, the rest only
its modification time, as WooCommerce re-saving an order for a note does) and
prints the figures beside the targets (issue 5: >= 500 events/s, p99 <= 50 ms per request):

1. saturation: N connections post back to back (closed loop): the most events/s it takes;
2. paced: requests start on a fixed schedule at the target rate (open loop), latency counted
   from each request's scheduled start, so a stall is not hidden by the requests it delays.

Requests carry `Prefer: respond-async`, as the plugin sends them: the answer comes once the
events are validated and stored, and a worker applies them right after. So the paced phase also
reports when each batch became visible (its 50 events committed, polled in the database every
20 ms), from the same scheduled start. `--sync` measures the synchronous answer instead.

Both phases also print the CPU an event cost: the web process's and the task worker's (user +
system, from /proc), and in the saturation phase this database's PostgreSQL backends'. On a
shared machine wall-time figures move with the other load; CPU per event much less.

A third phase compares applying events as the plugin sent them until issue 17 (no order body:
the service reads the orders back from the shop through wc/v3) with events that carry the
order in the export route's shape (applied as sent). A sandbox WooCommerce store runs in its own
process for the first; both are paced at the target rate, each on orders new to the read model,
and the p50/p99 from each request's scheduled start to its events being applied are printed
side by side, with the requests the store received. `--store-latency-ms` makes the store answer
like a remote one (a real store read ~100 orders per 2 s through wc/v3).

    .venv/bin/python bench/events.py                  # 15 s each phase, 2 connections
    .venv/bin/python bench/events.py --seconds 10 --connections 4
    .venv/bin/python bench/events.py --sync            # without Prefer: respond-async
    .venv/bin/python bench/events.py --body-seconds 0  # without the body/no-body comparison
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from common import ROOT, WEB_PIDS, activated_site, cpu_mark, cpu_since, loadavg, running_service, start_worker, stop_process

TARGET_EVENTS, TARGET_P99_MS = 500, 50.0
BATCH = 50


STATUS_STEPS = ("processing", "shipped", "completed", "on-hold", "cancelled")


def bodies(count: int, seed: int = 3, first: int = 0) -> list[bytes]:
    """`count` request bodies of BATCH events; orders come back with newer times (updates) as the run goes on."""
    sys.path.insert(0, str(ROOT))
    from backend.sandbox.woocommerce import generate

    store = generate(5000, seed)
    out, sequence = [], first
    for _ in range(count):
        events = []
        for _ in range(BATCH):
            order_id = sequence % 5000 + 1
            order = store.order(order_id)
            modified = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_790_000_000 + sequence))
            order["date_modified_gmt"] = modified
            if sequence >= 5000 and sequence % 4 == 0:
                # a quarter of the updates change the order (its status moves on); the rest are
                # WooCommerce re-saving it for things Bikri does not keep (a note, a meta field)
                order["status"] = STATUS_STEPS[(sequence // 5000) % len(STATUS_STEPS)]
            events.append({"idempotency_key": f"bench-{seed}-{sequence}", "type": "created" if sequence < 5000 else "updated",
                           "order_id": order_id, "date_modified_gmt": modified, "order": order})
            sequence += 1
        out.append(json.dumps({"events": events}).encode())
    return out


def request_headers(token: str, respond_async: bool) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return {**headers, "Prefer": "respond-async"} if respond_async else headers


def load(url: str, token: str, seconds: float, connections: int, respond_async: bool, before_measured=None) -> dict:
    """`before_measured()` is called between the warm-up and the measured run."""
    payloads = bodies(int(seconds * 40) + 200)
    position, lock = [0], threading.Lock()
    latencies, statuses, applied = [], {}, [0]
    stop_at = [0.0]

    def next_body():
        with lock:
            position[0] += 1
            return payloads[(position[0] - 1) % len(payloads)]

    def worker(record: bool):
        session = requests.Session()
        headers = request_headers(token, respond_async)
        while time.monotonic() < stop_at[0]:
            body = next_body()
            started = time.perf_counter()
            response = session.post(f"{url}/api/v1/events", data=body, headers=headers, timeout=30)
            elapsed = time.perf_counter() - started
            if record:
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code in (200, 202):
                        applied[0] += sum(r["status"] in ("applied", "accepted") for r in response.json()["results"])

    for record, duration in ((False, 3.0), (True, seconds)):  # warm-up, then the measured run
        if record and before_measured is not None:
            before_measured()
        latencies.clear()
        stop_at[0] = time.monotonic() + duration
        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(record,)) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"requests": len(latencies), "seconds": elapsed, "started": started, "statuses": statuses, "applied": applied[0],
            "p50": latencies[len(latencies) // 2] * 1000, "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def paced(url: str, token: str, seconds: float, per_second: float, respond_async: bool, database_url: str | None,
          payloads: list[bytes] | None = None, full_changes: bool = False) -> dict:
    """Requests scheduled every 1/per_second s from a pool of connections; latency from the
    scheduled start. Answered "accepted", a batch is visible once all its events' keys are
    committed: each connection then polls for them, every 20 ms, before its next request (the
    target is 2 s; a finer probe would only add its own load to the machine under test). A batch
    not applied within 60 s is counted as never applied."""
    import psycopg

    # newer versions than anything the saturation phase sent: every event is applied, none skipped.
    # The same store (seed 3) as the orders stored: a quarter move their status, the rest are
    # re-saves. With full_changes, a store of another seed: every event changes its order's
    # customer, items and totals (the worst case, not a shop's day)
    payloads = payloads or bodies(int(seconds * per_second) + 10, seed=4 if full_changes else 3, first=10_000_000)
    headers = request_headers(token, respond_async)
    lock, latencies, visible, statuses, applied, lost = threading.Lock(), [], [], {}, [0], [0]
    total = min(int(seconds * per_second), len(payloads))
    counter = [0]
    start = time.monotonic() + 0.5

    def worker():
        session = requests.Session()
        database = psycopg.connect(database_url, autocommit=True) if respond_async and database_url else None
        while True:
            with lock:
                index = counter[0]
                counter[0] += 1
            if index >= total:
                break
            scheduled = start + index / per_second
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            response = session.post(f"{url}/api/v1/events", data=payloads[index], headers=headers, timeout=30)
            answered = time.monotonic() - scheduled
            accepted = [r["idempotency_key"] for r in response.json()["results"] if r["status"] == "accepted"]
            give_up, never = time.monotonic() + 60, False
            while database is not None and accepted and database.execute(
                    "SELECT count(*) FROM seen_events WHERE idempotency_key = ANY(%s)", (accepted,)).fetchone()[0] < len(accepted):
                if time.monotonic() > give_up:
                    never = True
                    break
                time.sleep(0.02)
            with lock:
                latencies.append(answered)
                if never:
                    lost[0] += 1
                elif database is not None:
                    visible.append(time.monotonic() - scheduled)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                applied[0] += sum(r["status"] in ("applied", "accepted") for r in response.json()["results"])
        if database is not None:
            database.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    visible.sort()
    result = {"requests": len(latencies), "statuses": statuses, "applied": applied[0], "never_applied": lost[0],
              "p50": latencies[len(latencies) // 2] * 1000, "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000}
    if visible:
        result["visible_p50"], result["visible_p99"] = visible[len(visible) // 2] * 1000, visible[int(len(visible) * 0.99) - 1] * 1000
    return result


def store_events(orders: range, store_orders: int, with_body: bool) -> list[bytes]:
    """Request bodies of BATCH events for these orders of the sandbox store (the same seed makes
    the same orders here as in the store's process): without a body, as the plugin sent them
    before issue 17, or with the export route's record of the order."""
    sys.path.insert(0, str(ROOT))
    from backend.sandbox.woocommerce import export_record, generate

    store, out, ids = generate(store_orders, STORE_SEED), [], list(orders)
    for start in range(0, len(ids) - BATCH + 1, BATCH):
        events = []
        for order_id in ids[start:start + BATCH]:
            order = store.order(order_id)
            event = {"idempotency_key": f"bench-store-{order_id}-{with_body}", "type": "created", "order_id": order_id,
                     "date_modified_gmt": order["date_modified_gmt"]}
            if with_body:
                event.update(order=export_record(order), order_shape="export")
            events.append(event)
        out.append(json.dumps({"events": events}).encode())
    return out


def store_requests(store_url: str) -> int:
    return requests.get(f"{store_url}/__sandbox/stats", timeout=5).json()["requests"]


def with_and_without_body(url: str, token: str, seconds: float, database_url: str, store_url: str, store_orders: int) -> dict:
    """Both cases paced at the target rate, each on its own half of the store's orders (new to the read model)."""
    per_second = TARGET_EVENTS / BATCH
    half = store_orders // 2
    cases = {}
    for name, with_body, orders in (("without", False, range(1, half + 1)), ("with", True, range(half + 1, store_orders + 1))):
        asked = store_requests(store_url)
        cases[name] = paced(url, token, seconds, per_second, True, database_url,
                            payloads=store_events(orders, store_orders, with_body))
        cases[name]["store_requests"] = store_requests(store_url) - asked
    return cases


def print_body_cases(cases: dict, seconds: float, latency_ms: int) -> None:
    print(f"  applying events, issue 17 item 4: paced at {TARGET_EVENTS} events/s, {seconds:g}s each, {BATCH} new orders per "
          f"request, Prefer: respond-async; sandbox store in its own process answering after {latency_ms} ms:")
    for name, label in (("without", "without a body (read back, wc/v3)"), ("with", "with the export body            ")):
        case = cases[name]
        if "visible_p99" not in case:
            print(f"    {label}: no batch was applied ({case['statuses']}, {case['never_applied']} never applied)")
            continue
        print(f"    {label}: applied p50 {case['visible_p50']:8.2f} ms, p99 {case['visible_p99']:8.2f} ms   "
              f"({case['requests']} requests, {case['never_applied']} never applied, "
              f"{case['store_requests']} requests to the store)")


def print_cpu(cpu: dict, events: int) -> None:
    """CPU per event: the service's processes (web and task worker), and PostgreSQL's backends when counted."""
    if not events:
        return
    database = f", PostgreSQL backends {cpu['database'] * 1000 / events:.3f} ms" if cpu["database"] else ""
    print(f"    CPU      : service (web + worker) {cpu['service'] * 1000 / events:.3f} ms per event{database}  "
          f"({cpu['service']:.1f} s over {events:,} events)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15, help="per phase")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1,
                        help="`flask worker` processes for the transactional lane (production runs as many as the load needs)")
    parser.add_argument("--port", type=int, default=None, help="default: any free port")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--database-url")
    parser.add_argument("--no-analyze", action="store_true",
                        help="skip ANALYZE between the phases (planner statistics of the empty tables)")
    parser.add_argument("--sync", action="store_true", help="without Prefer: respond-async (answered once applied)")
    parser.add_argument("--full-changes", action="store_true",
                        help="paced phase: every update changes its order's customer, items and totals "
                             "(default: a quarter move their status, the rest are re-saves)")
    parser.add_argument("--body-seconds", type=float, default=10,
                        help="each case of the with/without order body comparison (0: skip it)")
    parser.add_argument("--store-latency-ms", type=int, default=0,
                        help="the sandbox store answers each request after this long (the body-less case reads from it)")
    parser.add_argument("--store-url")
    parser.add_argument("--store-token")
    parser.add_argument("--cpu-pids", help="the service's processes whose CPU is counted (with their descendants)")
    args = parser.parse_args()
    respond_async = not args.sync
    started_load = loadavg()
    if args.child:
        import psycopg

        # CPU of the service's processes (the web process and its workers, the task worker) and of
        # this database's PostgreSQL backends, per phase: on a shared machine the events/s and
        # latencies move with the other load, the CPU an event costs much less
        pids = [int(pid) for pid in args.cpu_pids.split(",")] if args.cpu_pids else []
        marks = {}

        def drained(conn) -> None:
            # accepted is not applied: until the last accepted batch is applied
            give_up = time.monotonic() + 120
            while conn.execute("SELECT count(*) FROM event_inbox").fetchone()[0]:
                if time.monotonic() > give_up:
                    sys.exit("accepted events were still not applied 2 minutes after the phase (see the web log)")
                time.sleep(0.005)

        def before_measured() -> None:
            if respond_async:  # the warm-up's events are applied before the measured run
                with psycopg.connect(args.database_url, autocommit=True) as conn:
                    drained(conn)
            marks["saturated"] = cpu_mark(pids, args.database_url)

        saturated = load(args.url, args.token, args.seconds, args.connections, respond_async, before_measured)
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            if respond_async:
                drained(conn)
                saturated["seconds"] = time.monotonic() - saturated["started"]
            saturated["cpu"] = cpu_since(marks["saturated"])
            if not args.no_analyze:
                # The saturation phase filled empty tables seconds ago; a live database has planner
                # statistics (autovacuum refreshes them within a minute, and the tables are shared
                # by every shop), so the paced phase measures with them.
                conn.execute("ANALYZE")
        mark = cpu_mark(pids)  # the paced phase's own polling keeps its backends busy: the service only
        at_target = paced(args.url, args.token, args.seconds, TARGET_EVENTS / BATCH, respond_async, args.database_url,
                          full_changes=args.full_changes)
        at_target["cpu"] = cpu_since(mark)
        body_cases = with_and_without_body(args.url, args.store_token, args.body_seconds, args.database_url,
                                           args.store_url, store_orders(args.body_seconds)) if args.store_url else None
        print(json.dumps({"saturated": saturated, "paced": at_target, "bodies": body_cases}))
        return

    # the sandbox store is on loopback: allowed for benches and tests only (issue 17, item 6)
    with running_service(args.port, BIKRI_ALLOW_PRIVATE_SHOP_HOSTS="1",
                         BIKRI_QUEUE_NAMESPACE=f"bikri-bench-events-{os.getpid()}") as (base, env):
        token = activated_site(base, env)
        store, store_args = None, []
        # accepted events are applied by a worker (the transactional lane), as in production
        workers = [start_worker(env, ["transactional"], threads=16) for _ in range(args.workers)]
        try:
            if args.body_seconds > 0:
                store_url, store_token, store = connected_store(base, env, args.body_seconds, args.store_latency_ms)
                store_args = [f"--store-url={store_url}", f"--store-token={store_token}", f"--body-seconds={args.body_seconds}"]
            # the load comes from a separate process, as the plugin's queue runners would
            cpu_pids = ",".join(str(pid) for pid in (WEB_PIDS[base], *(worker.pid for worker in workers)))
            out = subprocess.run([sys.executable, __file__, "--child", f"--url={base}", f"--token={token}",
                                  f"--cpu-pids={cpu_pids}",
                                  f"--seconds={args.seconds}", f"--connections={args.connections}",
                                  f"--database-url={env['DATABASE_URL']}", *(["--no-analyze"] if args.no_analyze else []),
                                  *(["--sync"] if args.sync else []), *(["--full-changes"] if args.full_changes else []),
                                  *store_args],
                                 cwd=Path(__file__).parent, capture_output=True, text=True)
        finally:
            for worker in workers:
                stop_process(worker)
            if store is not None:
                store.terminate()
                store.wait(timeout=20)
        if out.returncode != 0:
            sys.exit(out.stderr[-3000:])
        both = json.loads(out.stdout.strip().splitlines()[-1])
    result, at_target = both["saturated"], both["paced"]
    rate = result["requests"] * BATCH / result["seconds"]
    workers = os.environ.get("BIKRI_WEB_WORKERS", f"{4 * os.cpu_count()} (4 per core)")
    mode = "Prefer: respond-async (as the plugin sends)" if respond_async else "synchronous (no Prefer header)"
    print(f"bench/events.py  POST /api/v1/events, {BATCH} full orders per request, {mode}  gunicorn sync workers={workers}, task worker processes={args.workers}  "
          f"PostgreSQL  {os.cpu_count()} cores shared with the load generator  load average {started_load} at the start, "
          f"{loadavg()} at the end")
    print(f"  saturation, {args.connections} connections back to back, {args.seconds:g}s"
          f"{' (until the last accepted batch was applied)' if respond_async else ''}:")
    print(f"    events/s : {rate:8.0f}   target >= {TARGET_EVENTS}   {'OK' if rate >= TARGET_EVENTS else 'MISSED'}")
    print(f"    p50, p99 : {result['p50']:8.2f} ms, {result['p99']:.2f} ms per answer  "
          f"({result['statuses']}, {result['applied']:,} events {'accepted' if respond_async else 'applied'})")
    print_cpu(result["cpu"], result["applied"])
    changes = "every update a full change" if args.full_changes else "a quarter status moves, the rest re-saves"
    print(f"  paced at the target, {TARGET_EVENTS} events/s ({TARGET_EVENTS // BATCH} requests/s), {changes}, {args.seconds:g}s"
          f"{' (no ANALYZE before)' if args.no_analyze else ', after ANALYZE'}:")
    print(f"    p50      : {at_target['p50']:8.2f} ms per answer")
    print(f"    p99      : {at_target['p99']:8.2f} ms per answer   target <= {TARGET_P99_MS:.0f} ms   "
          f"{'OK' if at_target['p99'] <= TARGET_P99_MS else 'MISSED'}   ({at_target['statuses']}, "
          f"{at_target['applied']:,} events {'accepted' if respond_async else 'applied'})")
    if "visible_p50" in at_target:
        print(f"    applied  : p50 {at_target['visible_p50']:.2f} ms, p99 {at_target['visible_p99']:.2f} ms after the "
              f"scheduled start (on the order desk; issue 5: within 2 s of checkout)   "
              f"{'OK' if at_target['visible_p99'] <= 2000 else 'MISSED'}")
    print_cpu(at_target["cpu"], at_target["applied"])
    if both.get("bodies"):
        print_body_cases(both["bodies"], args.body_seconds, args.store_latency_ms)


STORE_SEED = 7
STORE_KEY, STORE_SECRET = "ck_bench_events_00000000000000000000000000000000", "cs_bench_events_00000000000000000000000000000000"


def store_orders(seconds: float) -> int:
    """Enough orders for both cases: each sends seconds × the target rate, all new to the read model."""
    return 2 * (int(seconds * TARGET_EVENTS) + BATCH * 10)


def connected_store(base: str, env: dict, seconds: float, latency_ms: int):
    """A sandbox store in its own process and a site activated at it with its REST key, as the
    plugin hands it over: (store URL, the site's token, the store's process)."""
    from common import flask, free_port, start_sandbox

    port = free_port()
    store_env = {**env, "BIKRI_SANDBOX_WC_ORDERS": str(store_orders(seconds)), "BIKRI_SANDBOX_WC_SEED": str(STORE_SEED),
                 "BIKRI_SANDBOX_WC_KEY": STORE_KEY, "BIKRI_SANDBOX_WC_SECRET": STORE_SECRET}
    process = start_sandbox("woocommerce", port, store_env, "/__sandbox/latency", {"ms": latency_ms})
    url = f"http://127.0.0.1:{port}"
    key = flask(env, "licenses", "create", "--email", "bench-store@bikri.test").strip().splitlines()[-1]
    answer = requests.post(f"{base}/api/v1/sites/activate", json={
        "license_key": key, "site_url": url, "wc_consumer_key": STORE_KEY, "wc_consumer_secret": STORE_SECRET}, timeout=10)
    if answer.status_code != 201:
        process.terminate()
        sys.exit(f"activation at the sandbox store failed: {answer.status_code} {answer.text[:500]}")
    return url, answer.json()["token"], process

if __name__ == "__main__":
    main()
