"""gunicorn settings for Bikri's web process (the worker setup we ship and benchmark)."""
import multiprocessing
import os

bind = os.environ.get("BIKRI_BIND", "127.0.0.1:5000")
# Sync workers, four per core. Most requests are short and CPU-bound, and sync workers keep
# their tail latency low; but an SMS send (and the OTP send inside it) holds its worker while
# the gateway answers (~20 ms), so the worker count, not the CPU, capped sends at workers / wait
# (cores + 1 = 3 workers: ~105 sends/s, p99 ~190 ms). Measured on 2 cores (bench/sms_send.py,
# bench/auth.py; the same code varied by 30 % over a day, so the auth figures are from runs
# taken in turn, 3 / 8 / 12 workers, twice):
#   workers   SMS sends/s, p99       authenticated GETs/s, p99
#   3         106, 188-200 ms         775-865, 30-33 ms
#   8         194-256, 95-155 ms      794-884, 25-29 ms
#   12        245-276, 106-135 ms     662-721, 36-37 ms
# Beyond ~4 per core the CPU-bound requests lose more to the extra processes than the waits
# gain. At most 32, so that the workers' database connections stay well inside PostgreSQL's
# default max_connections (100) on a big machine. gunicorn's gthread and gevent workers were
# tried too: both served more SMS, but CPU-bound requests then share a core mid-request and
# their p99 grew (gthread ~54 ms, gevent 120-200 ms on the authenticated GET), so threads stay
# opt-in (BIKRI_WEB_THREADS).
workers = int(os.environ.get("BIKRI_WEB_WORKERS", min(4 * multiprocessing.cpu_count(), 32)))
threads = int(os.environ.get("BIKRI_WEB_THREADS", "1"))
# The sync worker, made to ignore connections that have sent nothing yet (backend/web_worker.py).
# gunicorn's own sync worker blocks reading the request line as soon as it accepts: each of a
# browser's idle pre-opened sockets held a worker until the 30 s timeout killed it ("WORKER
# TIMEOUT ... no URI read"). Measured with bench/idle_sockets.py on 2 cores, 8 workers: behind 8
# idle sockets GET /healthz took 31.3 s with "sync" (0.2 s with this worker), behind 16 it got no
# answer within 60 s (0.04 s). Requests that do send are served as before (wrk on /healthz, 16
# connections: 216-230 requests/s with "sync", 194-386 with this worker, within this machine's noise).
# BIKRI_WEB_WORKER_CLASS=sync gives gunicorn's own back. In production a reverse proxy stands in
# front anyway (deploy/nginx/bikri.conf, README "Production"): it also absorbs slow clients.
worker_class = "gthread" if threads > 1 else os.environ.get("BIKRI_WEB_WORKER_CLASS",
                                                             "backend.web_worker.IdleSafeSyncWorker")
timeout = 30
graceful_timeout = 20
# gthread: how long a kept-alive connection may wait for its next request; the sync worker
# above: how long a new connection may stay silent before it is closed.
keepalive = int(os.environ.get("BIKRI_WEB_KEEPALIVE", "5"))
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("BIKRI_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("BIKRI_LOG_LEVEL", "info").lower()


def on_starting(server):
    """Apply the database migrations once, in the master, before any worker serves a request."""
    from flask_migrate import upgrade

    from backend.app import create_app

    with create_app().app_context():
        upgrade()
