"""Running one task: in a worker (from the broker) or inline (the unit tests' mode).

A task run is a job boundary, like a request: it commits once when it returns and rolls back
when it raises. It starts with nothing written: a worker runs it in a fresh app context (its own
session), and inline mode commits the caller's work before it runs (`queue.enqueue`). A task
that asks an outside service after reading still ends its reading transaction first
(`commits.before_remote_call`): no transaction, not even a reading one, stays open while the
outside service answers.

Work that asked to come back later (`RetryLater`: a 429, a shop's bulk cap) is sent again with
that delay without counting as a failure; anything else raised is retried with backoff by
dramatiq's Retries middleware, and when the retries are used up, `GaveUp` writes a dead letter
(the operator console lists it, with a retry button) and tells the domain.
"""
import dataclasses
import json
import logging
import uuid

from dramatiq.middleware import CurrentMessage, Middleware
from flask import g

from backend.extensions import db
from backend.tasks import coordination
from backend.tasks.models import DeadTask
from backend.tasks.registry import RetryLater, Task, task_named
from backend.clock import utcnow

log = logging.getLogger(__name__)

# the worker process's app (backend/tasks/worker.py sets it); tasks run inside its context
_worker_app = None
INLINE_RETRY_LATER = 3


def use_app(app) -> None:
    global _worker_app
    _worker_app = app


def _call(declared: Task, site_id, kwargs) -> None:
    if site_id is not None:
        kwargs = {**kwargs, "site_id": site_id}
    # the activity log (T2) says who wrote: this task, for the job's starter (g, not an import:
    # tasks imports no domain); restored after, as inline runs share their caller's context
    outer = g.get("activity_task"), g.pop("activity_who", None)
    g.activity_task = (declared.name, kwargs.get("job_id"))
    try:
        declared.fn(**kwargs)
    finally:
        g.activity_task = outer[0]
        g.pop("activity_who", None)
        if outer[1] is not None:
            g.activity_who = outer[1]


def run_from_broker(task_name: str, site_id: int | None, kwargs: dict) -> None:
    declared = task_named(task_name)
    with _worker_app.app_context():
        if declared.lane == "bulk" and site_id is not None:
            with coordination.bulk_slot(site_id) as held:
                if not held:  # the shop has its share of bulk workers busy: wait a moment, not a failure
                    _send_again(RetryLater(coordination.bulk_wait_seconds(), "bulk cap"))
                    return
                _run_committing(declared, site_id, kwargs)
        else:
            _run_committing(declared, site_id, kwargs)


def _run_committing(declared: Task, site_id, kwargs) -> None:
    try:
        _call(declared, site_id, kwargs)
        db.session.commit()
    except RetryLater as later:
        db.session.rollback()
        _send_again(later)
    except Exception:
        db.session.rollback()
        raise


def _send_again(later: RetryLater) -> None:
    message = CurrentMessage.get_current_message()
    options = {key: value for key, value in message.options.items() if key not in ("redis_message_id", "eta")}
    later_count = options.get("later_count", 0) + 1
    original = getattr(message, "_message", message)  # the broker's proxy around the message
    copy = dataclasses.replace(original, message_id=str(uuid.uuid4()), options={**options, "later_count": later_count})
    _worker_broker.enqueue(copy, delay=int(later.seconds * 1000))
    log.info("task %s comes back in %.1fs (%s)", message.args[0], later.seconds, later)


_worker_broker = None


def use_broker(broker) -> None:
    global _worker_broker
    _worker_broker = broker


def run_inline(declared: Task, site_id, kwargs) -> None:
    """The unit tests' mode: run now, in this process, committing like a worker would."""
    for _attempt in range(INLINE_RETRY_LATER):
        try:
            _call(declared, site_id, kwargs)
            db.session.commit()
            return
        except RetryLater:
            db.session.rollback()
        except Exception as error:  # as a worker would after its retries: a dead letter, the domain told
            db.session.rollback()
            log.exception("task %s failed", declared.name)
            give_up(declared, site_id, kwargs, repr(error), attempts=1)
            db.session.commit()
            return
    give_up(declared, site_id, kwargs, "asked to come back later too often", attempts=INLINE_RETRY_LATER)
    db.session.commit()


def give_up(declared: Task, site_id, kwargs, error: str, attempts: int) -> None:
    db.session.add(DeadTask(site_id=site_id, task=declared.name, lane=declared.lane,
                            arguments=json.dumps(kwargs, sort_keys=True), error=error[:2000], attempts=attempts,
                            created_at=utcnow()))
    if declared.gave_up is not None:
        declared.gave_up(error=error, **({**kwargs, "site_id": site_id} if site_id is not None else kwargs))


class GaveUp(Middleware):
    """After dramatiq's Retries middleware marked a message failed (its retries used up)."""

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None or not message.failed or _worker_app is None:
            return
        task_name, site_id, kwargs = message.args
        with _worker_app.app_context():
            try:
                give_up(task_named(task_name), site_id, kwargs, repr(exception),
                        attempts=message.options.get("retries", 1))
                db.session.commit()
            except Exception:  # never let the bookkeeping of a failure kill the worker thread
                db.session.rollback()
                log.exception("could not record the dead letter of %s", task_name)
