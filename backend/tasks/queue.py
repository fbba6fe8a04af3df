"""The broker, and handing work to it.

`enqueue()` never talks to the broker inside the caller's transaction: the message is held on
the session and sent when that transaction commits (a worker must find the rows it was told
about; a rolled-back request sends nothing). If the broker fails at that moment, the rows are
still there in their waiting state and the domain's sweeper (a scheduled job) sends them again.

Brokers (BROKER_URL): `redis://...` (the default), `amqp://...` (RabbitMQ), and `inline://`,
which runs each task in the calling process right after the caller's work is committed — the
unit tests' mode; the tests of the work model itself run real workers on a real broker.
"""
import logging
import threading

import dramatiq
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, Callbacks, CurrentMessage, Pipelines, Retries, ShutdownNotifications, TimeLimit
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.errors import ApiError
from backend.extensions import db
from backend.tasks import coordination, execution
from backend.tasks.registry import LANES, task_named

log = logging.getLogger(__name__)

_OUTBOX = "bikri_outbox"
_brokers: dict[tuple[str, str], dramatiq.Broker] = {}
_brokers_lock = threading.Lock()


class QueueUnavailable(ApiError):
    def __init__(self):
        super().__init__(_("Bikri cannot take this work right now: its work queue is not answering. "
                           "Nothing was charged. Try again in a minute."), code="queue_unavailable", status=503)


def queue_name(namespace: str, lane: str) -> str:
    return f"{namespace}.{lane}"


def actor_name(lane: str) -> str:
    return f"bikri_{lane}"


def broker_for(url: str, namespace: str) -> dramatiq.Broker:
    """One broker per URL and namespace in a process, with one actor per lane declared on it."""
    with _brokers_lock:
        broker = _brokers.get((url, namespace))
        if broker is None:
            broker = _brokers[(url, namespace)] = _make_broker(url, namespace)
        return broker


def _make_broker(url: str, namespace: str) -> dramatiq.Broker:
    config = current_app.config
    # Retries (with backoff), time limits and dead letters; no Prometheus, no results backend.
    # After-hooks run in reverse order: GaveUp, first here, sees what Retries decided.
    middleware = [execution.GaveUp(), AgeLimit(), TimeLimit(time_limit=15 * 60 * 1000), ShutdownNotifications(),
                  Callbacks(), CurrentMessage(), Pipelines(), Retries(max_retries=6, min_backoff=2_000, max_backoff=300_000)]
    if url.startswith("redis"):
        # a connect timeout, so a broker that never answers fails a request fast (503) instead of hanging it
        client = redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
        broker = RedisBroker(client=client, namespace=namespace, middleware=middleware,
                             # a killed worker's messages go back to the queue after this (ms)
                             heartbeat_timeout=config.get("TASK_HEARTBEAT_MS", 30_000),
                             maintenance_chance=config.get("TASK_MAINTENANCE_CHANCE", 1000))
    elif url.startswith("amqp"):
        broker = RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    else:
        raise ValueError(f"BIKRI_BROKER_URL must be redis://, amqp:// or inline://, not {url!r}")
    for lane in LANES:
        dramatiq.actor(execution.run_from_broker, actor_name=actor_name(lane),
                       queue_name=queue_name(namespace, lane), broker=broker)
    return broker


def current_broker() -> dramatiq.Broker | None:
    url = current_app.config["BROKER_URL"]
    if url.startswith("inline"):
        return None
    return broker_for(url, current_app.config["QUEUE_NAMESPACE"])


def queue_ready() -> bool:
    """Whether the broker answers now (inline mode always does)."""
    broker = current_broker()
    if broker is None:
        return True
    try:
        if isinstance(broker, RedisBroker):
            broker.client.ping()
        else:
            broker.channel  # noqa: B018 (opens the connection and a channel, or raises)
        return True
    except Exception:  # any failure to reach it means "not now"
        log.warning("the broker at %s is not answering", current_app.config["BROKER_URL"], exc_info=True)
        return False


def require_queue() -> None:
    """Refuse work that would be queued (503 queue_unavailable) before anything is written."""
    if not queue_ready():
        raise QueueUnavailable()


def enqueue(task, *, site_id: int | None = None, delay_seconds: float | None = None, **kwargs) -> None:
    """Run `task` (a function declared with @task, or its name) with `kwargs` in its lane, once
    the current transaction commits. `site_id` names the shop the work is for (bulk caps, the
    console's backlog per shop, dead letters)."""
    declared = task_named(task)
    if current_app.config["BROKER_URL"].startswith("inline"):
        db.session.commit()  # what the task will read is written, as it would be for a worker
        execution.run_inline(declared, site_id, kwargs)
        return
    message = build_message(declared, site_id, kwargs)
    db.session.info.setdefault(_OUTBOX, []).append((current_broker(), message, delay_seconds))


def build_message(declared, site_id, kwargs, namespace: str | None = None) -> dramatiq.Message:
    namespace = namespace or current_app.config["QUEUE_NAMESPACE"]
    return dramatiq.Message(
        queue_name=queue_name(namespace, declared.lane), actor_name=actor_name(declared.lane),
        args=(declared.name, site_id, kwargs), kwargs={},
        options={"max_retries": declared.max_retries, "min_backoff": declared.min_backoff_ms,
                 "max_backoff": declared.max_backoff_ms})


def send_now(broker: dramatiq.Broker, message: dramatiq.Message, delay_seconds: float | None = None) -> None:
    broker.enqueue(message, delay=int(delay_seconds * 1000) if delay_seconds else None)


ANNOUNCE = "bikri_announce"  # subjects whose waiters hear about it once the commit is done


@event.listens_for(Session, "after_commit")
def _send_outbox(session):
    for broker, message, delay in session.info.pop(_OUTBOX, []):
        try:
            send_now(broker, message, delay)
        except Exception:  # the rows wait in their queued state; the domain's sweeper sends them again
            log.exception("could not hand %s to the broker; its sweeper will", message.args[0])
    for subject in session.info.pop(ANNOUNCE, []):
        try:
            coordination.announce_done(subject)
        except Exception:  # a waiter then waits its full time and reads the row: slower, not wrong
            log.warning("could not announce %s", subject, exc_info=True)


def announce_after_commit(subject: str) -> None:
    """Wake whoever waits on `subject` (`coordination.wait_done`) once this transaction commits."""
    db.session.info.setdefault(ANNOUNCE, []).append(subject)


@event.listens_for(Session, "after_rollback")
def _drop_outbox(session):
    session.info.pop(_OUTBOX, None)
    session.info.pop(ANNOUNCE, None)
