"""Tasks are plain functions a domain declares with `@task`; the broker sees one actor per lane.

A lane is a queue with its own worker processes, so work in one lane never waits behind
another's: checkout codes first, one shop's single actions next, bulk work last (its per-shop
cap is in `coordination.bulk_slot`)."""
from dataclasses import dataclass
from typing import Callable

LANES = ("otp", "transactional", "bulk")


class RetryLater(Exception):
    """Raised by a task when the other side asked us to come back later (429, Retry-After, a
    shop's bulk cap): the task is sent again after `seconds`, and it does not count as a failure."""

    def __init__(self, seconds: float, reason: str = ""):
        super().__init__(reason or f"retry in {seconds:.1f}s")
        self.seconds = max(0.05, float(seconds))


@dataclass(frozen=True)
class Task:
    name: str
    fn: Callable
    lane: str
    max_retries: int
    min_backoff_ms: int
    max_backoff_ms: int
    # called (inside a transaction) once the retries are used up: the domain says, in the shop's
    # words, that the work failed (a message refunded, a booking marked failed)
    gave_up: Callable | None


TASKS: dict[str, Task] = {}


def task(name: str, *, lane: str, max_retries: int = 6, min_backoff_ms: int = 2_000,
         max_backoff_ms: int = 300_000, gave_up: Callable | None = None):
    """Declare a task. Its function takes keyword arguments that survive JSON (ids, strings) and
    must be idempotent: a broker delivers at least once, and a worker killed mid-task means the
    task runs again from the start."""
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")

    def register(fn):
        if name in TASKS and TASKS[name].fn is not fn:
            raise ValueError(f"task {name!r} declared twice")
        TASKS[name] = Task(name, fn, lane, max_retries, min_backoff_ms, max_backoff_ms, gave_up)
        fn.task_name = name
        return fn

    return register


def task_named(name_or_fn) -> Task:
    if isinstance(name_or_fn, Task):
        return name_or_fn
    name = getattr(name_or_fn, "task_name", name_or_fn)
    try:
        return TASKS[name]
    except KeyError:
        raise LookupError(f"no task {name!r}; is its domain's tasks.py imported?") from None
