"""What every Bikri process shares in Redis (REDIS_URL), whatever the broker is.

- `shop_lock`: one run of a shop's scheduled work at a time, on any machine; the lock lives
  LOCK_SECONDS and is renewed while the work runs, so a crashed process frees it within that.
- `claim_tick`: a scheduled run happens once per interval however many schedulers tick.
- `bulk_slot`: each shop holds at most BULK_CONCURRENCY_PER_SHOP bulk workers at once, so one
  shop's campaign leaves the bulk lane to the others too.
- `take_turn`: an outside service's rate limit (Steadfast, the SMS operator), held across all
  workers.
- `announce_done` / `wait_done`: a request that asked to wait (`Prefer: wait=N`) hears the
  worker finish instead of polling the database.
"""
import random
import threading
import time
import uuid
from contextlib import contextmanager

import redis
from flask import current_app

from backend.tasks.registry import RetryLater

LOCK_SECONDS = 60



def bulk_wait_seconds() -> float:
    """How long a bulk task that found its shop's share busy waits before asking again: long
    enough that hundreds of waiting tasks of one campaign do not keep the workers spinning,
    jittered so they do not all come back at once."""
    return random.uniform(1.0, 3.0)
_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()
_held = threading.local()  # the shop locks this thread holds now: {(site_id, work)}

# Delete or renew a key only if it still holds our token (a lock that expired and was taken by
# another process must not be freed or extended by us).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
          "else return 0 end")
# A counting semaphore: members are tokens scored by when they expire.
_ACQUIRE_SLOT = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('zadd', KEYS[1], ARGV[2], ARGV[4])
  redis.call('pexpire', KEYS[1], ARGV[5])
  return 1
end
return 0
"""
# A window of one second: at most ARGV[1] calls; answers how many ms to wait, 0 when it is our turn.
_TAKE_TURN = """
local n = redis.call('incr', KEYS[1])
if n == 1 then redis.call('pexpire', KEYS[1], 1000) end
if n <= tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('pttl', KEYS[1])
if ttl < 1 then ttl = 1 end
return ttl
"""


def client() -> redis.Redis:
    url = current_app.config["REDIS_URL"]
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=15, socket_connect_timeout=2,
                                                 health_check_interval=30)
        return _clients[url]


def key(*parts) -> str:
    return ":".join([current_app.config["QUEUE_NAMESPACE"], *map(str, parts)])


class _Renewer(threading.Thread):
    def __init__(self, connection, name, token, ttl_ms):
        super().__init__(daemon=True, name=f"renew {name}")
        self.connection, self.lock_key, self.token, self.ttl_ms = connection, name, token, ttl_ms
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.ttl_ms / 3000):
            try:
                self.connection.eval(_RENEW, 1, self.lock_key, self.token, self.ttl_ms)
            except redis.RedisError:  # a missed renewal is retried; the lock outlives two of them
                pass


def shop_lock_key(site_id: int, work: str) -> str:
    return key("lock", work, site_id)


@contextmanager
def shop_lock(site_id: int, work: str, seconds: int = LOCK_SECONDS):
    """Yields True while this process holds the shop's lock for `work`, False if another does."""
    connection, name, token = client(), shop_lock_key(site_id, work), uuid.uuid4().hex
    if not connection.set(name, token, nx=True, px=seconds * 1000):
        yield False
        return
    renewer = _Renewer(connection, name, token, seconds * 1000)
    renewer.start()
    held = _held.__dict__.setdefault("locks", set())
    held.add((site_id, work))
    try:
        yield True
    finally:
        held.discard((site_id, work))
        renewer.stopped.set()
        connection.eval(_RELEASE, 1, name, token)


def holding(site_id: int, work: str) -> bool:
    """Whether this thread holds the shop's lock for `work`: whatever a run of that work left
    behind elsewhere (a lease row of a killed process, say) belongs to no live run."""
    return (site_id, work) in _held.__dict__.get("locks", ())


def claim_tick(job: str, interval_seconds: float, now: float | None = None) -> bool:
    """True for exactly one caller per job and interval (the interval's number is the key);
    `now` is the caller's wall clock (epoch seconds), time.time() by default."""
    slot = int((time.time() if now is None else now) // interval_seconds)
    return bool(client().set(key("tick", job, slot), 1, nx=True, ex=max(1, int(interval_seconds * 2))))


@contextmanager
def bulk_slot(site_id: int):
    """Yields True while this task holds one of its shop's bulk slots, False when all are taken.
    A slot lives LOCK_SECONDS and is renewed while the task runs, so a killed worker's slots
    free within a minute."""
    connection, name, token = client(), key("bulk", site_id), uuid.uuid4().hex
    now_ms = int(time.time() * 1000)
    per_shop = current_app.config["BULK_CONCURRENCY_PER_SHOP"]
    if not connection.eval(_ACQUIRE_SLOT, 1, name, now_ms, now_ms + LOCK_SECONDS * 1000, per_shop, token,
                           LOCK_SECONDS * 1000):
        yield False
        return
    renewer = _SlotRenewer(connection, name, token, LOCK_SECONDS * 1000)
    renewer.start()
    try:
        yield True
    finally:
        renewer.stopped.set()
        connection.zrem(name, token)


class _SlotRenewer(_Renewer):
    def run(self):
        while not self.stopped.wait(self.ttl_ms / 3000):
            try:  # XX: only a slot we still hold (an expired one was cleared by another's acquire)
                self.connection.zadd(self.lock_key, {self.token: int(time.time() * 1000) + self.ttl_ms}, xx=True)
                self.connection.pexpire(self.lock_key, self.ttl_ms)
            except redis.RedisError:
                pass


def take_turn(service: str, per_second: float, *, max_wait: float = 2.0) -> None:
    """Wait for a turn at an outside service allowing `per_second` calls a second from all of
    Bikri; when the wait would exceed `max_wait`, the task comes back later instead of holding
    its worker."""
    if not per_second:
        return
    deadline = time.monotonic() + max_wait
    while True:
        wait_ms = client().eval(_TAKE_TURN, 1, key("rate", service, int(time.time())), max(1, int(per_second)))
        if not wait_ms:
            return
        if time.monotonic() + wait_ms / 1000 > deadline:
            raise RetryLater(wait_ms / 1000, f"{service} allows {per_second:g} calls a second")
        time.sleep(wait_ms / 1000)


def announce_done(subject: str) -> None:
    connection = client()
    name = key("done", subject)
    connection.pipeline().rpush(name, 1).expire(name, 120).execute()


def wait_done(subject: str, seconds: float) -> bool:
    if seconds <= 0:
        return False
    return client().blpop([key("done", subject)], timeout=seconds) is not None
