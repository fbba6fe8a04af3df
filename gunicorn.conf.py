"""gunicorn settings for Bikri's web process (the worker setup we ship and benchmark)."""
import multiprocessing
import os

bind = os.environ.get("BIKRI_BIND", "127.0.0.1:5000")
# Sync workers, one per core plus one (to hide database waits): most requests are short and
# CPU-bound, and sync workers keep their tail latency low (bench/auth.py on 2 cores: 3 workers
# ~890 requests/s with p99 15 ms; 5 workers fewer requests and p99 22 ms). gunicorn's gthread
# workers served more requests a second but with p99 near a second under the same load (kept-
# alive connections waiting behind busy threads), so threads are opt-in (BIKRI_WEB_THREADS)
# for deployments whose traffic waits mostly on outside services (SMS gateways, couriers).
workers = int(os.environ.get("BIKRI_WEB_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("BIKRI_WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 30
graceful_timeout = 20
keepalive = int(os.environ.get("BIKRI_WEB_KEEPALIVE", "5"))
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("BIKRI_ACCESS_LOG") or None
errorlog = "-"


def on_starting(server):
    """Apply the database migrations once, in the master, before any worker serves a request."""
    from flask_migrate import upgrade

    from backend.app import create_app

    with create_app().app_context():
        upgrade()
