"""Benchmark: bearer-authenticated GET /api/v1/license against gunicorn on PostgreSQL.

Starts the web process exactly as shipped (gunicorn.conf.py) on a throwaway PostgreSQL
database, activates a site, then loads it from a separate process (wrk) and prints
requests/s and p50/p99 beside the targets (issue 3: >= 800 requests/s, p99 <= 20 ms).

    make bench                      # or: .venv/bin/python bench/auth.py --seconds 15 --connections 8
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BIKRI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
TARGET_RPS, TARGET_P99_MS = 800, 20.0


def wrk_ms(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=5791)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `make system-deps`")

    name = f"bikri_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    instance = tempfile.mkdtemp(prefix="bikri-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{name}",
        "BIKRI_SECRET_KEY": "bench-secret",
        "BIKRI_INSTANCE_DIR": instance,
        "BIKRI_BIND": f"127.0.0.1:{args.port}",
        "BIKRI_PUBLIC_URL": f"http://127.0.0.1:{args.port}",
    }
    web = None
    try:
        web = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "backend.wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start: " + web.stderr.read1().decode(errors="replace"))

        key = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "licenses", "create", "--email", "bench@bikri.test"],
                             cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        token = requests.post(f"{base}/api/v1/sites/activate", json={"license_key": key, "site_url": "https://bench.example.com"}, timeout=5).json()["token"]
        assert requests.get(f"{base}/api/v1/license", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200

        command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency", "-H", f"Authorization: Bearer {token}", f"{base}/api/v1/license"]
        subprocess.run(command[:3] + ["-d3s"] + command[3:], capture_output=True, check=True)  # warm-up
        out = subprocess.run(command[:3] + [f"-d{args.seconds}s"] + command[3:], capture_output=True, check=True, text=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50, p99 = wrk_ms(out, "50%"), wrk_ms(out, "99%")
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        workers = env.get("BIKRI_WEB_WORKERS", f"{os.cpu_count() + 1} (cpu+1)")
        print(f"bench/auth.py  GET /api/v1/license (bearer)  gunicorn sync workers={workers}  PostgreSQL  "
              f"wrk {args.connections} connections, {args.seconds}s, {os.cpu_count()} cores shared with the load generator")
        print(f"  requests/s : {rps:8.0f}   target >= {TARGET_RPS}   {'OK' if rps >= TARGET_RPS else 'MISSED'}")
        print(f"  p50        : {p50:8.2f} ms")
        print(f"  p99        : {p99:8.2f} ms   target <= {TARGET_P99_MS:.0f} ms   {'OK' if p99 <= TARGET_P99_MS else 'MISSED'}")
        if non2xx:
            print(f"  errors     : {non2xx.group(1)} non-2xx responses")
    finally:
        if web:
            web.terminate()
            web.wait(timeout=20)
        shutil.rmtree(instance, ignore_errors=True)
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
