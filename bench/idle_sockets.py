"""How long a request waits behind idle sockets, against gunicorn as shipped (gunicorn.conf.py).

Browsers open connections ahead of need (Chromium's preconnects) and may send nothing on them
for seconds. This opens N such sockets to the web process, then times GET /healthz on a new
connection, and once more after the idle sockets have waited a while.

    .venv/bin/python bench/idle_sockets.py --idle 16 [--workers 8] [--worker-class sync]
"""
import argparse
import socket
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import running_service  # noqa: E402


def timed_get(url: str, timeout: float) -> str:
    started = time.monotonic()
    try:
        status = requests.get(url, timeout=timeout).status_code
    except requests.RequestException as error:
        return f"no answer within {timeout:g} s ({error.__class__.__name__})"
    return f"HTTP {status} in {time.monotonic() - started:.2f} s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=16, help="idle sockets to open first")
    parser.add_argument("--workers", type=int, help="BIKRI_WEB_WORKERS (default: as shipped)")
    parser.add_argument("--worker-class", help="BIKRI_WEB_WORKER_CLASS (default: as shipped)")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    extra = {}
    if args.workers:
        extra["BIKRI_WEB_WORKERS"] = str(args.workers)
    if args.worker_class:
        extra["BIKRI_WEB_WORKER_CLASS"] = args.worker_class
    with running_service(**extra) as (base, _env):
        host, port = base.split("//")[1].split(":")
        print(f"no idle sockets: {timed_get(base + '/healthz', args.timeout)}", flush=True)
        idle = [socket.create_connection((host, int(port))) for _ in range(args.idle)]
        try:
            time.sleep(0.5)  # every worker that will take one has taken it
            print(f"{args.idle} idle sockets: {timed_get(base + '/healthz', args.timeout)}", flush=True)
            time.sleep(3)
            print(f"{args.idle} idle sockets, 3 s later: {timed_get(base + '/healthz', args.timeout)}", flush=True)
        finally:
            for s in idle:
                s.close()


if __name__ == "__main__":
    main()
