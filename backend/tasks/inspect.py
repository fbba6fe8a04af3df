"""What waits in the broker, for the operator console's "Work queue" page: per lane the tasks
waiting, the delayed ones (a retry's backoff, `RetryLater`), those a worker holds, the age of
the oldest waiting one, and per shop how many wait.

One function, `queue_state()`, with an adapter per broker. Redis keeps every message in a hash
beside its queue's list, so the messages themselves are read (their args are
`(task_name, site_id, kwargs)`); RabbitMQ lets nobody read a queue without taking its messages,
so there only the depth is known (a passive queue_declare) and the rest is shown as unknown.
Reading is bounded (`limit` messages per queue): a queue longer than that is counted exactly,
but its backlog per shop and its oldest message come from the first `limit` messages.
"""
import logging
import time
from dataclasses import dataclass, field

import dramatiq
import pika
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name
from flask import current_app

from backend.tasks.queue import current_broker, queue_name
from backend.tasks.registry import LANES

log = logging.getLogger(__name__)

READ_LIMIT = 5000


@dataclass
class LaneState:
    lane: str
    waiting: int = 0
    delayed: int = 0
    held: int | None = 0  # fetched by a worker and not finished yet (None: the broker does not say)
    oldest_seconds: float | None = None  # how long the oldest waiting task has waited


@dataclass
class QueueState:
    broker: str  # "redis", "rabbitmq" or "inline"
    lanes: list[LaneState]
    # site_id (None: work for no shop) -> lane -> tasks waiting or delayed
    per_shop: dict[int | None, dict[str, int]] = field(default_factory=dict)
    per_shop_known: bool = True
    partial: bool = False  # a queue was longer than the messages read
    error: str | None = None

    def lane(self, name: str) -> LaneState:
        return next(lane for lane in self.lanes if lane.lane == name)


def queue_state(limit: int = READ_LIMIT) -> QueueState:
    """The broker's queues as they stand now. Never raises for a broker that does not answer:
    the page says so instead (`error`)."""
    url = current_app.config["BROKER_URL"]
    namespace = current_app.config["QUEUE_NAMESPACE"]
    if url.startswith("inline"):
        return QueueState("inline", [LaneState(lane) for lane in LANES])
    try:
        broker = current_broker()
        if isinstance(broker, RedisBroker):
            return _redis_state(broker, namespace, limit)
        return _rabbitmq_state(url, namespace)
    except Exception as error:  # the console still shows the dead letters and the database's side
        log.warning("could not read the broker's queues", exc_info=True)
        kind = "redis" if url.startswith("redis") else "rabbitmq"
        return QueueState(kind, [LaneState(lane, held=None) for lane in LANES], per_shop_known=False,
                          error=f"{type(error).__name__}: {error}")


# --- Redis ---------------------------------------------------------------------------------------
# dramatiq's Redis layout: "<ns>:<queue>" is the list of waiting message ids, "<ns>:<queue>.msgs"
# the hash of every message not yet acknowledged (waiting or held by a worker); a delayed
# message sits in the same pair for "<queue>.DQ" until its time comes.

def _redis_state(broker: RedisBroker, namespace: str, limit: int) -> QueueState:
    client, prefix = broker.client, broker.namespace
    now_ms = time.time() * 1000
    state = QueueState("redis", [])
    for lane in LANES:
        name = queue_name(namespace, lane)
        ready_key, delayed_key = f"{prefix}:{name}", f"{prefix}:{dq_name(name)}"
        pipe = client.pipeline(transaction=False)
        pipe.llen(ready_key).hlen(f"{ready_key}.msgs").hlen(f"{delayed_key}.msgs").lrange(ready_key, 0, limit - 1)
        waiting, unacked, delayed, waiting_ids = pipe.execute()
        lane_state = LaneState(lane, waiting=waiting, delayed=delayed, held=max(0, unacked - waiting))
        waiting_messages = _redis_messages(client, f"{ready_key}.msgs", waiting_ids)
        if waiting_messages:
            oldest = min(message.message_timestamp for message in waiting_messages)
            lane_state.oldest_seconds = max(0.0, (now_ms - oldest) / 1000)
        delayed_data = [data for (_id, data), _ in zip(client.hscan_iter(f"{delayed_key}.msgs"), range(limit))]
        delayed_messages = _decoded(f"{delayed_key}.msgs", delayed_data)
        state.partial = state.partial or waiting > len(waiting_ids) or delayed > len(delayed_data)
        for message in (*waiting_messages, *delayed_messages):
            _count_for_shop(state.per_shop, message, lane)
        state.lanes.append(lane_state)
    return state


def _redis_messages(client, hash_key: str, ids: list) -> list[dramatiq.Message]:
    return _decoded(hash_key, client.hmget(hash_key, ids) if ids else [])


def _decoded(hash_key: str, encoded: list) -> list[dramatiq.Message]:
    messages = []
    for data in encoded:
        if data is None:  # taken and finished between the two reads
            continue
        try:
            messages.append(dramatiq.Message.decode(data))
        except Exception:  # a message we cannot read is counted in the depth, not per shop
            log.warning("could not decode a message in %s", hash_key)
    return messages


def _count_for_shop(per_shop: dict, message: dramatiq.Message, lane: str) -> None:
    try:
        _task_name, site_id, _kwargs = message.args
    except (TypeError, ValueError):  # not one of ours: no shop to put it under
        site_id = None
    shop = per_shop.setdefault(site_id, {})
    shop[lane] = shop.get(lane, 0) + 1


# --- RabbitMQ ------------------------------------------------------------------------------------

def _rabbitmq_state(url: str, namespace: str) -> QueueState:
    """Depths only: a passive queue_declare answers how many messages are ready without taking
    any. Its own short connection: a passive declare of a queue not made yet closes the channel,
    and the broker's channels belong to the threads that send."""
    state = QueueState("rabbitmq", [], per_shop_known=False)
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        for lane in LANES:
            name = queue_name(namespace, lane)
            lane_state = LaneState(lane, held=None)
            lane_state.waiting = _rabbitmq_depth(connection, name)
            lane_state.delayed = _rabbitmq_depth(connection, dq_name(name))
            state.lanes.append(lane_state)
    finally:
        connection.close()
    return state


def _rabbitmq_depth(connection, name: str) -> int:
    channel = connection.channel()
    try:
        return channel.queue_declare(queue=name, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker as closed:
        if closed.reply_code == 404:  # no worker or sender has declared it yet: nothing waits
            return 0
        raise
    finally:
        if channel.is_open:
            channel.close()
