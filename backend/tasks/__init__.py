"""The work model (issue 19): whatever waits on someone outside Bikri (an SMS gateway, a courier,
bKash, a shop's WooCommerce) runs in worker processes, never in a web request.

- `registry`: `@task(name, lane=...)` declares a domain's task (each domain's `tasks.py`);
- `queue`: `enqueue()` hands a task to the broker once the caller's transaction commits, and
  `require_queue()` refuses work (503 `queue_unavailable`) before anything is written when the
  broker is down;
- `worker`: the worker process, one lane each (`flask --app backend.app worker --lane otp`);
- `coordination`: what all processes share in Redis: per-shop locks renewed while work runs,
  scheduler ticks that run once however many schedulers there are, per-shop caps on bulk work,
  outside rate limits;
- `service`: jobs with progress and a result per item (`GET /api/v1/jobs/<id>`), and the
  dead-letter list the operator console shows.
"""
from backend.tasks.registry import LANES, RetryLater, task  # noqa: F401
from backend.tasks.queue import QueueUnavailable, enqueue, queue_ready, require_queue  # noqa: F401
