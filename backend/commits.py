"""Where a transaction ends before its request or job does, and why.

A web request commits once, after it answered (`app.py`); a job run commits once, after it
returned (`jobs/runner.py`). Operations in between only flush. Some flows must commit in steps;
each such step calls one of the functions below, whose name says which reason applies, so a
reader sees why and a search finds every one:

- `before_remote_call()`: a shop, a courier, an SMS gateway or bKash is about to be asked.
  Nothing written may wait open while they answer: on SQLite an open write locks every shop
  out, on PostgreSQL it holds row locks that long (the store-side watcher in
  tests/sync/helpers.py fails a test that asks the sandbox store with a write open).
- `claim()`: a row others must see before this process acts on it (a booking's invoice lock,
  a message marked as sending, a spent ticket), so a second worker or a retry does not act too.
- `keep_progress()`: a step of long work that must survive a later failure in the same run
  (a backfill page, a batch of polled statuses, a remote answer already acted on).

Two cases need no step of their own: a request that answers an error but must keep what it
wrote raises `ApiError(keeps_writes=True)` (its boundary commits), and a request that waits for
a worker calls `tasks.service.wait_for_worker`, which commits before it waits.
"""
from backend.extensions import db


def before_remote_call() -> None:
    db.session.commit()


def claim() -> None:
    db.session.commit()


def keep_progress() -> None:
    db.session.commit()
