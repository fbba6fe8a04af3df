"""The web process as shipped (gunicorn.conf.py) on a throwaway PostgreSQL database, for benchmarks."""
import contextlib
import os
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


def free_port(port: int | None = None) -> int:
    """`port` if nothing listens on it (else exit: another service would answer our requests), or any free one."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port or 0))
        except OSError:
            sys.exit(f"port {port} is in use on 127.0.0.1; pass another --port")
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_service(port: int | None = None):
    """Yields (base URL, env); creates the database, starts gunicorn, and removes both afterwards."""
    port = free_port(port)
    name = f"bikri_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    instance = tempfile.mkdtemp(prefix="bikri-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{name}",
        "BIKRI_SECRET_KEY": "bench-secret",
        "BIKRI_INSTANCE_DIR": instance,
        "BIKRI_BIND": f"127.0.0.1:{port}",
        "BIKRI_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    web = None
    try:
        web = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "backend.wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start: " + web.stderr.read1().decode(errors="replace"))
        yield base, env
    finally:
        if web:
            web.terminate()
            web.wait(timeout=20)
        shutil.rmtree(instance, ignore_errors=True)
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def activated_site(base: str, env: dict, site_url: str = "https://bench.example.com") -> str:
    """A license made with the CLI, activated on a site; returns the site's bearer token."""
    key = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "licenses", "create", "--email", "bench@bikri.test"],
                         cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return requests.post(f"{base}/api/v1/sites/activate", json={"license_key": key, "site_url": site_url}, timeout=5).json()["token"]
