"""Shared by the benchmarks: a throwaway PostgreSQL database, the web process as shipped
(gunicorn.conf.py), and wrk as the load generator in a separate process."""
import contextlib
import os
import re
import shutil
import socket
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


@contextlib.contextmanager
def throwaway_database():
    name = f"bikri_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_env(database_url: str, port: int, **extra) -> dict:
    instance = tempfile.mkdtemp(prefix="bikri-bench-")
    return {**os.environ, "DATABASE_URL": database_url, "BIKRI_SECRET_KEY": "bench-secret", "BIKRI_INSTANCE_DIR": instance,
            "BIKRI_BIND": f"127.0.0.1:{port}", "BIKRI_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BIKRI_ALLOW_PRIVATE_SHOP_HOSTS": "1", **extra}  # the sandbox shops are on 127.0.0.1


@contextlib.contextmanager
def web_process(env: dict):
    process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "backend.wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = env["BIKRI_PUBLIC_URL"]
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start: " + process.stderr.read1().decode(errors="replace"))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(env["BIKRI_INSTANCE_DIR"], ignore_errors=True)


def start_sandbox(name: str, port: int, env: dict, control_path: str, control: dict) -> subprocess.Popen:
    """A sandbox in a process of its own, as the outside service it stands in for is (in the
    bench's process it would share the interpreter with the load), once its control URL answers."""
    process = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "sandbox", "run", name,
                                "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            requests.post(f"http://127.0.0.1:{port}{control_path}", json=control, timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    sys.exit(f"the {name} sandbox did not start")


def flask(env: dict, *args) -> str:
    return subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout


def activate_site(env: dict, base: str, url: str = "https://bench.example.com") -> str:
    key = flask(env, "licenses", "create", "--email", "bench@bikri.test").strip().splitlines()[-1]
    return requests.post(f"{base}/api/v1/sites/activate", json={"license_key": key, "site_url": url}, timeout=5).json()["token"]


def free_port(port: int | None = None) -> int:
    """`port` if nothing listens on it (else exit: another service would answer our requests), or any free one."""
    with socket.socket() as probe:
        # a port a previous run just closed (TIME_WAIT) is free to listen on again
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port or 0))
        except OSError:
            sys.exit(f"port {port} is in use on 127.0.0.1; pass another --port")
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_service(port: int | None = None, **env_extra):
    """Yields (base URL, env): a throwaway database and gunicorn as shipped, both removed afterwards."""
    port = free_port(port)
    with throwaway_database() as database_url:
        env = service_env(database_url, port, **env_extra)
        with web_process(env) as base:
            yield base, env


def activated_site(base: str, env: dict, site_url: str = "https://bench.example.com") -> str:
    return activate_site(env, base, site_url)


def wrk_ms(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, *, connections: int, seconds: int, headers: dict, script: str | None = None, warmup: int = 3) -> dict:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `make system-deps`")
    command = ["wrk", "-t1", f"-c{connections}", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    if warmup:
        subprocess.run(command + ["-d", f"{warmup}s", url], capture_output=True, check=True)
    out = subprocess.run(command + ["-d", f"{seconds}s", url], capture_output=True, check=True, text=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": wrk_ms(out, "50%"),
            "p99": wrk_ms(out, "99%"), "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "errors": int(non2xx.group(1)) if non2xx else 0}


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"
