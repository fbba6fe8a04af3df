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

import requests

from _service import activated_site, running_service

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
    parser.add_argument("--port", type=int, default=None, help="default: any free port")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `make system-deps`")

    with running_service(args.port) as (base, env):
        token = activated_site(base, env)
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


if __name__ == "__main__":
    main()
