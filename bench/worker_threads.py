"""Benchmark: why the workers use threads. N tasks that each wait on an outside call (the
sandbox SMS gateway answering in 500 ms, a process of its own) go through one real worker
process (`flask worker --lane transactional`) with 8, 32 and 64 threads, on Redis and
PostgreSQL. Prints tasks/s (ideal: threads / 0.5 s) and the worker's resident memory.

    .venv/bin/python bench/worker_threads.py --tasks 256 --latency-ms 500
"""
import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, free_port, service_env, start_sandbox, throwaway_database  # noqa: E402

sys.path.insert(0, str(ROOT))
import worker_tasks  # noqa: E402
from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.tasks.queue import build_message, current_broker, send_now  # noqa: E402
from backend.tasks.registry import task_named  # noqa: E402

BOOTSTRAP = ("import importlib, sys; sys.path.insert(0, 'bench'); importlib.import_module('worker_tasks'); "
             "from flask.cli import main; sys.argv[0] = 'flask'; main()")


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak) in MB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run_once(env: dict, threads: int, tasks: int) -> dict:
    run = uuid.uuid4().hex[:8]
    log = open(Path(env["BIKRI_INSTANCE_DIR"]) / f"worker-{threads}.log", "w")
    worker = subprocess.Popen([sys.executable, "-c", BOOTSTRAP, "--app", "backend.app", "worker", "--lane", "transactional",
                               "--threads", str(threads)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        log_path = Path(log.name)
        deadline = time.monotonic() + 30
        while "started with" not in log_path.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the worker did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        idle_rss, _ = rss_mb(worker.pid)
        app = create_app()
        with app.app_context():
            broker, declared = current_broker(), task_named(worker_tasks.CALL)
            counter = redis.Redis.from_url(env["BIKRI_REDIS_URL"])
            key = f"{env['BIKRI_QUEUE_NAMESPACE']}:bench:{run}"
            started = time.monotonic()
            for _ in range(tasks):
                send_now(broker, build_message(declared, None, {"run": run}))
            while int(counter.get(key) or 0) < tasks:
                if time.monotonic() - started > 300:
                    sys.exit(f"only {counter.get(key)} of {tasks} tasks ran in 300 s")
                time.sleep(0.02)
            elapsed = time.monotonic() - started
            db.engine.dispose()
        rss, peak = rss_mb(worker.pid)
        return {"threads": threads, "tasks": tasks, "seconds": elapsed, "per_second": tasks / elapsed,
                "ideal": threads / (float(env["BENCH_LATENCY_MS"]) / 1000), "rss_idle": idle_rss, "rss": rss, "rss_peak": peak}
    finally:
        worker.terminate()
        worker.wait(40)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=256)
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--threads", type=int, nargs="+", default=[8, 32, 64])
    args = parser.parse_args()

    namespace = f"bikri-bench-{uuid.uuid4().hex[:8]}"
    gateway_port = free_port()
    with throwaway_database() as database_url:
        env = service_env(database_url.replace("postgresql://", "postgresql+psycopg://"), free_port(), BIKRI_QUEUE_NAMESPACE=namespace,
                          BIKRI_BROKER_URL=os.environ.get("BIKRI_BROKER_URL", "redis://127.0.0.1:6379/0"),
                          BIKRI_REDIS_URL=os.environ.get("BIKRI_REDIS_URL", "redis://127.0.0.1:6379/0"),
                          BENCH_GATEWAY_URL=f"http://127.0.0.1:{gateway_port}", BENCH_LATENCY_MS=str(args.latency_ms),
                          BIKRI_LOG_LEVEL="INFO")
        os.environ.update({name: value for name, value in env.items() if name.startswith(("BIKRI_", "DATABASE_URL", "BENCH_"))})
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        gateway = start_sandbox("sms", gateway_port, env, "/__sandbox__/control", {"latency_ms": args.latency_ms})
        try:
            results = [run_once(env, threads, args.tasks) for threads in args.threads]
        finally:
            gateway.terminate()
            client = redis.Redis.from_url(env["BIKRI_REDIS_URL"])
            for key in client.scan_iter(f"{namespace}*"):
                client.delete(key)
    print(f"{args.tasks} tasks, each waiting {args.latency_ms} ms on the sandbox SMS gateway; one worker process")
    print(f"{'threads':>7} {'tasks/s':>8} {'ideal':>6} {'seconds':>8} {'RSS idle MB':>12} {'RSS after MB':>13} {'peak MB':>8}")
    for r in results:
        print(f"{r['threads']:>7} {r['per_second']:>8.1f} {r['ideal']:>6.0f} {r['seconds']:>8.2f} {r['rss_idle']:>12.1f} "
              f"{r['rss']:>13.1f} {r['rss_peak']:>8.1f}")


if __name__ == "__main__":
    main()
