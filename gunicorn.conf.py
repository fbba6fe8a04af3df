"""gunicorn settings for Bikri's web process (the worker setup we ship and benchmark)."""
import multiprocessing
import os

bind = os.environ.get("BIKRI_BIND", "127.0.0.1:5000")
# Bearer checks are short CPU-bound requests with one database query: a sync worker per
# core (plus one, to hide the query's wait) beats threads under the GIL on this load.
workers = int(os.environ.get("BIKRI_WEB_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
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
