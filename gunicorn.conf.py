"""gunicorn settings for Bikri's web process (the worker setup we ship and benchmark)."""
import multiprocessing
import os

bind = os.environ.get("BIKRI_BIND", "127.0.0.1:5000")
# A worker per core (plus one, to hide database waits), each with threads: most requests are
# short and CPU-bound, but some wait on outside services (an SMS gateway, bKash, WooCommerce)
# and must not hold a whole process while they wait.
workers = int(os.environ.get("BIKRI_WEB_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("BIKRI_WEB_THREADS", "8"))
worker_class = "gthread" if threads > 1 else "sync"
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
