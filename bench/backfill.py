"""Benchmark: backfill 100,000 orders from the sandbox WooCommerce store into PostgreSQL.

The store runs in its own process (as a shop would), speaking wc/v3 over http with OAuth 1.0a.
In the same run we measure the store's raw page-read rate (the same keyset walk through the
same adapter, no database), then the backfill, each in a fresh process, and print
orders/s, their ratio and peak memory (VmHWM) at 10,000 and 100,000 orders beside the targets
(issue 5: ratio >= 0.85; memory flat, <= 250 MB).

    .venv/bin/python bench/backfill.py                 # 100,000 orders
    .venv/bin/python bench/backfill.py --orders 20000 --remote-orders 5000  # quicker
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BIKRI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
TARGET_RATIO, TARGET_MB = 0.85, 250
KEY, SECRET = "ck_bench_0000000000000000000000000000000000000000", "cs_bench_0000000000000000000000000000000000000000"


def peak_mb() -> float:
    """Peak resident memory of this process so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raw_read(url: str) -> dict:
    """The store's own rate: the keyset walk through the adapter, JSON parsed, nothing stored."""
    from backend.integrations.woocommerce import WooCommerce

    wc = WooCommerce(url, KEY, SECRET, timeout=60)
    started, count = time.monotonic(), 0
    for fresh, _cursor in wc.iter_orders_by_modified():
        count += len(fresh)
    return {"orders": count, "seconds": time.monotonic() - started}


def backfill(site_id: int) -> dict:
    from backend.app import create_app
    from backend.sync import service

    app = create_app()
    marks = {}
    with app.app_context():
        started = time.monotonic()

        def on_page(state):
            if state.done >= 10_000 and "10000" not in marks:
                marks["10000"] = peak_mb()

        state = service.run_backfill(site_id, on_page=on_page)
        seconds = time.monotonic() - started
        return {"orders": state.done, "seconds": seconds, "status": state.status, "error": state.last_error,
                "peak_10k_mb": marks.get("10000"), "peak_end_mb": peak_mb()}


def child(args) -> None:
    if os.environ.get("BIKRI_BENCH_PROFILE"):  # where the time goes: BIKRI_BENCH_PROFILE=/tmp/out.prof
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    result = raw_read(args.url) if args.child == "raw" else backfill(args.site)
    if os.environ.get("BIKRI_BENCH_PROFILE"):
        profiler.disable()
        profiler.dump_stats(f"{os.environ['BIKRI_BENCH_PROFILE']}.{args.child}")
    print(json.dumps(result))


def run_child(kind: str, env: dict, **extra) -> dict:
    command = [sys.executable, __file__, "--child", kind] + [f"--{k}={v}" for k, v in extra.items()]
    out = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_case(orders: int, latency_ms: int, port: int, pg_name: str, base_env: dict) -> dict:
    """A store of `orders` answering each request after `latency_ms`, a fresh database, raw read then backfill."""
    url = f"http://127.0.0.1:{port}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{pg_name}"')
    env = {**base_env, "DATABASE_URL": f"{PG}/{pg_name}", "BIKRI_SANDBOX_WC_ORDERS": str(orders)}
    store = None
    try:
        from common import start_sandbox

        store = start_sandbox("woocommerce", port, env, "/__sandbox/latency", {"ms": latency_ms})
        setup = subprocess.run([sys.executable, __file__, "--child", "setup", f"--url={url}"], env=env, cwd=ROOT,
                               capture_output=True, text=True)
        if setup.returncode != 0:
            sys.exit(f"setup failed:\n{setup.stderr[-3000:]}")
        site_id = json.loads(setup.stdout.strip().splitlines()[-1])["site"]
        raw = run_child("raw", env, url=url)
        result = run_child("backfill", env, site=site_id)
        if result["status"] != "done":
            sys.exit(f"backfill did not finish: {result}")
        return {"raw": raw, "backfill": result}
    finally:
        if store:
            store.terminate()
            store.wait(timeout=20)
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def setup_site(url: str) -> dict:
    """Migrate the fresh database and activate a site at the store with its REST key; queue its backfill."""
    from flask_migrate import upgrade

    from backend.app import create_app
    from backend.extensions import db
    from backend.licensing.service import activate_site, create_license
    from backend.sync.service import request_backfill

    with create_app().app_context():
        upgrade()
        _license, key = create_license("bench@bikri.test")
        site, _token = activate_site(key, url, KEY, SECRET)
        request_backfill(site)
        db.session.commit()
        return {"site": site.id}


def report(title: str, case: dict, memory: bool) -> None:
    raw, result = case["raw"], case["backfill"]
    raw_rate = raw["orders"] / raw["seconds"]
    rate = result["orders"] / result["seconds"]
    ratio = rate / raw_rate
    print(title)
    print(f"  store raw page reads : {raw_rate:8.0f} orders/s  ({raw['orders']:,} in {raw['seconds']:.1f} s)")
    print(f"  backfill             : {rate:8.0f} orders/s  ({result['orders']:,} in {result['seconds']:.1f} s)")
    print(f"  ratio                : {ratio:8.2f}   target >= {TARGET_RATIO}   {'OK' if ratio >= TARGET_RATIO else 'MISSED'}")
    if memory:
        flat = result["peak_10k_mb"] is not None and result["peak_end_mb"] - result["peak_10k_mb"] <= 25
        print(f"  peak RSS at 10,000 orders : {result['peak_10k_mb'] or 0:6.1f} MB")
        print(f"  peak RSS at {result['orders']:,} orders: {result['peak_end_mb']:6.1f} MB   target flat, <= {TARGET_MB} MB   "
              f"{'OK' if flat and result['peak_end_mb'] <= TARGET_MB else 'MISSED'}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--remote-orders", type=int, default=20_000,
                        help="orders in the second case, where the store answers like a remote shop")
    parser.add_argument("--remote-latency-ms", type=int, default=50)
    parser.add_argument("--port", type=int, default=None, help="the store's port (default: any free one)")
    parser.add_argument("--child", choices=["raw", "backfill", "setup"])
    parser.add_argument("--url")
    parser.add_argument("--site", type=int)
    args = parser.parse_args()
    if args.child == "setup":
        print(json.dumps(setup_site(args.url)))
        return
    if args.child:
        return child(args)

    instance = tempfile.mkdtemp(prefix="bikri-bench-")
    env = {**os.environ, "BIKRI_SECRET_KEY": "bench-secret", "BIKRI_INSTANCE_DIR": instance, "BIKRI_SANDBOX_WC_SEED": "1",
           "BIKRI_ALLOW_PRIVATE_SHOP_HOSTS": "1", "BIKRI_SANDBOX_WC_KEY": KEY, "BIKRI_SANDBOX_WC_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    from common import free_port

    args.port = free_port(args.port)
    tag = uuid.uuid4().hex[:8]
    full = run_case(args.orders, 0, args.port, f"bikri_bench_{tag}_a", env)
    remote = run_case(args.remote_orders, args.remote_latency_ms, args.port, f"bikri_bench_{tag}_b", env) \
        if args.remote_orders else None
    cores = os.cpu_count()
    report(f"bench/backfill.py  {args.orders:,} orders; sandbox store in its own process at full speed (http, OAuth 1.0a); "
           f"PostgreSQL; {cores} cores shared by store, backfill and database", full, memory=True)
    if remote:
        report(f"  … and {args.remote_orders:,} orders from a store answering each request after {args.remote_latency_ms} ms "
               f"(a remote shop; real WooCommerce measured ~2,100 ms per page)", remote, memory=False)


if __name__ == "__main__":
    main()
