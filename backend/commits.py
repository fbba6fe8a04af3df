"""Where a transaction ends before its request or job does, and why.

A web request commits once, after it answered (`app.py`); a job run commits once, after it
returned (`jobs/runner.py`); a task run once, when it returns (`tasks/execution.py`). Operations
in between only flush. Some flows must commit in steps; each such step goes through this module,
whose names say which reason applies, so a reader sees why and a search finds every one
(`tests/test_commit_steps.py` counts them and refuses more):

- `one_at_a_time(items)`: a walk whose every item is kept on its own — a page of a backfill or
  of a reconciliation, a batch of products, a courier's answer to a booking, a call of a status
  change. It commits before it takes each item and after the last: what the previous
  item wrote survives whatever the next one does, and when taking the next item asks a shop
  (a remote walk's next page), nothing written waits open while it answers.
- `remote_step()`: a block that asks a shop, a courier, an SMS gateway, an e-mail server or
  bKash/Nagad. It commits on entry (nothing written may wait open while they answer: on SQLite an
  open write locks every shop out, on PostgreSQL it holds row locks that long; the sandbox-side
  watcher in tests/sync/helpers.py, `transactions_while_asked`, fails a test that asks a sandbox
  with a write open), and, when the block ends without raising, on exit: the answer and what was
  done with it are kept, so a retry or a later failure never asks twice.
- `before_remote_call()`: the same first half, where what was written before the call is kept
  and the answer by the boundary (or by a step after it) rather than at once.
- `claim()`: a row others must see before this process acts on it (a booking's invoice lock,
  a message marked as sending, a spent ticket), so a second worker or a retry does not act too.
- `with lease(let_go=...)`: a claim held for a block and let go at its end (a sync run's lease
  on its state row): what the caller wrote to take it is committed on entry, and `let_go()` is
  committed with the block's outcome on exit (after a rollback when the block raised).
- `keep_progress()`: a step of long work that must survive a later failure in the same run
  where none of the shapes above fits (a failure recorded just before the task raises to be
  retried, a page kept before its progress is reported).

Some cases need no step of their own. A flow that has only read before it asks: every adapter
announces its call (`backend.integrations.signals.asking`) and `on_asking`, below, ends a reading
transaction there (left open, it would hold its connection and, on PostgreSQL, its snapshot
while the other side answers; the sandbox-side watcher sees one); it refuses one holding
writes in the tests, so a flow that forgot its step fails there. A request that answers an
error but must keep what it wrote raises `ApiError(keeps_writes=True)` (its boundary commits);
a request that waits for a worker calls `tasks.service.wait_for_worker`, which commits before
it waits; a walk whose every item is a `remote_step` (a bulk send's messages through
`sms.sending.deliver`) is kept by those steps; a per-shop job run whole in one process commits
after each shop in the runner's tenant walk (`jobs.runner.every_shop`).
"""
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import current_app, has_app_context

from backend.extensions import db
from backend.integrations.signals import asking

T = TypeVar("T")
log = logging.getLogger(__name__)


class WritesOpenAcrossRemoteCall(RuntimeError):
    """A transaction holding writes was open when an adapter was about to ask the outside world."""


def connect() -> None:
    """Called by `backend.app.create_app`: every adapter's call goes through `on_asking` first."""
    asking.connect(on_asking)


def on_asking(whom: str, **_) -> None:
    """An adapter is about to ask `whom`: end a transaction that has only read (see the module's
    text); one holding writes is never committed behind its writer's back (they belong in a step
    above): refused where `REFUSE_WRITES_ACROSS_REMOTE_CALLS` is set (the tests), logged
    elsewhere. Outside an app context (the backfill's download thread, the poller's courier
    threads) there is no session of this thread's to end."""
    if not has_app_context() or not db.session().in_transaction():
        return
    if not _holds_writes():
        db.session.commit()
        return
    problem = f"a transaction with writes is open while asking {whom}; keep them with a step of backend/commits.py first"
    if current_app.config.get("REFUSE_WRITES_ACROSS_REMOTE_CALLS"):
        raise WritesOpenAcrossRemoteCall(problem)
    log.warning(problem)


def _holds_writes() -> bool:
    """Whether the session's transaction wrote (or has writes waiting to be flushed), asked of
    the database itself so that Core statements count as much as the ORM's: PostgreSQL assigns a
    transaction id at the first write; SQLite's driver begins its transaction at the first write."""
    session = db.session()
    if session.in_nested_transaction():
        return True  # a savepoint's block is under way: committing here would end it under its owner
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return connection.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is not None
    return connection.connection.dbapi_connection.in_transaction


def before_remote_call() -> None:
    db.session.commit()


def claim() -> None:
    db.session.commit()


def keep_progress() -> None:
    db.session.commit()


def one_at_a_time(items: Iterable[T], *, forget: bool = False) -> Iterator[T]:
    """The items, each taken after a commit: before the first (what the caller wrote, and nothing
    left open while a remote walk is asked for its first page), between two (the previous
    item's work is kept), and after the last. `forget` empties the session after each commit,
    so a long walk holds one item's rows in memory, not every item's."""
    iterator = iter(items)
    while True:
        db.session.commit()
        if forget:
            db.session.expunge_all()
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield item


@contextmanager
def remote_step():
    """Commit, run the block (which asks the remote service), and commit again unless it raised:
    nothing written waits open while the service answers, and its answer is kept at once."""
    db.session.commit()
    yield
    db.session.commit()


@contextmanager
def lease(*, let_go: Callable[[], None]):
    """Commit what the caller wrote to take a lease (every other process sees it taken), run the
    block, then `let_go()` and commit it with what the block wrote last (its outcome); when the
    block raised, what it wrote is rolled back first and the lease is let go all the same."""
    db.session.commit()
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    finally:
        let_go()
        db.session.commit()
