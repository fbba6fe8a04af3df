"""The worker process: `flask --app backend.app worker --lane otp` (one or more lanes).

Outside calls wait on the network, not the CPU, so a worker keeps many in flight with threads
(WORKER_THREADS each): the gateway's 500 ms are spent waiting, and a thread costs a few MB.
Each lane has its own processes, so bulk work never takes the threads a checkout code needs."""
import logging
import signal
import threading

import dramatiq
from flask import current_app

from backend.tasks import execution
from backend.tasks.queue import broker_for, queue_name
from backend.tasks.registry import LANES

log = logging.getLogger(__name__)


def _poll_ms(lanes: list[str]) -> int:
    """How long an idle worker may sleep between two looks at Redis (dramatiq backs off up to
    its worker_timeout): a message arriving then waits that long before a thread takes it. A
    checkout code's shopper is waiting for it (bench/otp.py measured 500 ms added to half a
    second of gateway); a look costs one small Redis script, a few a second per lane."""
    return 50 if "otp" in lanes else 100


def run_worker(lanes: list[str], threads: int) -> None:
    app = current_app._get_current_object()
    unknown = set(lanes) - set(LANES)
    if unknown:
        raise ValueError(f"unknown lanes: {', '.join(sorted(unknown))}; the lanes are {', '.join(LANES)}")
    namespace = app.config["QUEUE_NAMESPACE"]
    broker = broker_for(app.config["BROKER_URL"], namespace)
    dramatiq.set_broker(broker)
    execution.use_app(app)
    execution.use_broker(broker)
    worker = dramatiq.Worker(broker, queues={queue_name(namespace, lane) for lane in lanes},
                             worker_threads=threads, worker_timeout=_poll_ms(lanes))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # a script's background command starts with Ctrl-C ignored: its script stops it (TERM,
        # scripts/run-demo.sh), and the terminal's Ctrl-C must not stop it first
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, lambda *_: stop.set())
    worker.start()
    log.info("worker for %s started with %d threads", ", ".join(lanes), threads)
    stop.wait()
    log.info("worker for %s stopping: finishing the tasks in hand", ", ".join(lanes))
    worker.stop(timeout=30_000)
    broker.close()
