"""Benchmark: bearer-authenticated GET /api/v1/license against gunicorn on PostgreSQL.

Starts the web process exactly as shipped (gunicorn.conf.py) on a throwaway PostgreSQL
database, activates a site, then loads it from a separate process (wrk) and prints
requests/s and p50/p99 beside the targets (issue 3: >= 800 requests/s, p99 <= 20 ms).

    make bench          # or: .venv/bin/python bench/auth.py --seconds 15 --connections 8
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import activated_site, run_wrk, running_service, sizes_parser, verdict  # noqa: E402

TARGET_RPS, TARGET_P99_MS = 800, 20.0


def main():
    args = sizes_parser(seconds=15, connections=8, port=5791).parse_args()
    with running_service(args.port) as (base, env):
        token = activated_site(base, env)
        result = run_wrk(f"{base}/api/v1/license", connections=args.connections, seconds=args.seconds,
                         headers={"Authorization": f"Bearer {token}"})
    workers = os.environ.get("BIKRI_WEB_WORKERS", "default")
    print(f"bench/auth.py  GET /api/v1/license (bearer)  gunicorn (gunicorn.conf.py, workers={workers})  PostgreSQL  "
          f"wrk {args.connections} connections, {args.seconds}s, {os.cpu_count()} cores shared with the load generator")
    print(f"  requests/s : {result['rps']:8.0f}   target >= {TARGET_RPS}   {verdict(result['rps'] >= TARGET_RPS)}")
    print(f"  p50        : {result['p50']:8.2f} ms")
    print(f"  p99        : {result['p99']:8.2f} ms   target <= {TARGET_P99_MS:.0f} ms   {verdict(result['p99'] <= TARGET_P99_MS)}")
    print(f"  non-2xx    : {result['errors']}")


if __name__ == "__main__":
    main()
