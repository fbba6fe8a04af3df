"""Jobs with progress and a result per item, and the dead-letter list.

A job is started in the request (a row, its tasks queued after the commit) and answered at
once; its tasks record each item's result here, idempotently, so a task run twice (a killed
worker, a redelivered message) counts each item once."""
import json
from datetime import timedelta

from flask import g
from flask_babel import force_locale, get_locale, gettext as _
from sqlalchemy import func, select, update

from backend.commits import claim
from backend.database import upsert_insert
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.tasks import coordination
from backend.tasks.models import DeadTask, WorkJob, WorkJobItem
from backend.tasks.queue import announce_after_commit, enqueue, require_queue
from backend.tasks.registry import task_named
from backend.clock import utcnow

ITEMS_PER_TASK = 25
STALLED_AFTER = timedelta(minutes=10)


def start_job(site_id: int, kind: str, items: list, task, *, params: dict | None = None,
              started_by: str | None = None, per_task: int = ITEMS_PER_TASK) -> WorkJob:
    """A job over `items` (ids), its tasks (`task(site_id=, job_id=, items=[...])`, `per_task`
    items each) queued once the caller commits. Refused with 503 before anything is written
    when the broker is down."""
    require_queue()
    items = [str(item) for item in items]
    job = WorkJob(site_id=site_id, kind=kind, task=task_named(task).name, per_task=per_task, total=len(items),
                  params=json.dumps({**(params or {}), "_items": items}), started_by=started_by,
                  created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    _enqueue_items(job, items)
    if not items:
        job.status, job.finished_at = "done", utcnow()
    return job


def _enqueue_items(job: WorkJob, items: list[str]) -> None:
    for start in range(0, len(items), job.per_task):
        enqueue(job.task, site_id=job.site_id, job_id=job.id, items=items[start:start + job.per_task])


def resume_stalled_jobs() -> int:
    """Jobs with no result recorded for STALLED_AFTER (their messages never reached the broker,
    or a broker lost them): send their unfinished items again. Their tasks skip what is recorded,
    so a job that was only slow loses nothing and does nothing twice."""
    now = utcnow()
    last_result = (select(func.max(WorkJobItem.created_at)).where(WorkJobItem.job_id == WorkJob.id)
                   .correlate(WorkJob).scalar_subquery())
    stalled = db.session.execute(
        select(WorkJob).where(WorkJob.status.in_(("queued", "running")), WorkJob.created_at < now - STALLED_AFTER,
                              func.coalesce(last_result, WorkJob.created_at) < now - STALLED_AFTER)
        .order_by(WorkJob.id).limit(100)).scalars().all()
    for job in stalled:
        done = recorded_items(job.id)
        _enqueue_items(job, [item for item in _items_of(job) if item not in done])
    return len(stalled)


def _items_of(job: WorkJob) -> list[str]:
    return [str(item) for item in json.loads(job.params or "{}").get("_items", [])]


def params_of(job: WorkJob) -> dict:
    """What the job was asked, without its item list."""
    params = json.loads(job.params or "{}")
    params.pop("_items", None)
    return params


def recorded_items(job_id: int) -> set[str]:
    """Items of the job that already have their result (a retried task skips them)."""
    return set(db.session.execute(select(WorkJobItem.item).where(WorkJobItem.job_id == job_id)).scalars())


def open_job(site_id: int, job_id: int) -> WorkJob | None:
    """A task's job, or None when there is nothing left to do: gone, another shop's, or finished
    already (a redelivered task)."""
    job = db.session.get(WorkJob, job_id)
    if job is None or job.site_id != site_id or job.status in ("done", "failed"):
        return None
    return job


def unrecorded(job_id: int, items: list[str]) -> list[str]:
    """The task's items still without a result, in the order given (a retried task skips the rest)."""
    done = recorded_items(job_id)
    return [item for item in items if item not in done]


def numbered_items_to_run(site_id: int, job_id: int, items: list[str]) -> tuple[WorkJob | None, list[int]]:
    """A task's share of a job whose items are numbers (orders, positions in a list): the job and
    the items still without a result, as numbers, in the order given, the job marked running
    (the caller's next commit keeps it, before anyone outside is asked). (None, []) or (job, [])
    when there is nothing left to do."""
    job = open_job(site_id, job_id)
    if job is None:
        return None, []
    numbers = [int(item) for item in unrecorded(job_id, items)]
    if numbers:
        mark_running(job_id)
    return job, numbers


def record_unanswered(job_id: int, items: list[str], result_of) -> None:
    """A task's retries are used up: every item still without a result gets `result_of(item)`,
    an (outcome, message, data) worded in the asker's language, so the job finishes and says
    which items to try again."""
    job = db.session.get(WorkJob, job_id)
    if job is None:
        return
    with in_language_of(job):
        for item in unrecorded(job_id, items):
            record_item(job_id, item, *result_of(item))


def mark_running(job_id: int) -> None:
    db.session.execute(update(WorkJob).where(WorkJob.id == job_id, WorkJob.status == "queued").values(status="running"))


def record_item(job_id: int, item, outcome: str, message: str = "", data: dict | None = None) -> bool:
    """Record one item's result, once; the job is done when its last item is. False if the item
    had its result already."""
    # INSERT ... ON CONFLICT DO NOTHING, not a savepoint: on SQLite a savepoint that is a
    # transaction's first write commits on its own, so a run that failed after it left the item
    # recorded but the job's count not moved (a job that could never finish)
    inserted = db.session.execute(
        upsert_insert(WorkJobItem.__table__)
        .values(job_id=job_id, item=str(item), outcome=outcome, message=message or "",
                data=json.dumps(data or {}, default=str), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["job_id", "item"]).returning(WorkJobItem.__table__.c.id)).first()
    if inserted is None:  # (rowcount is -1 here on PostgreSQL: RETURNING says it)
        return False
    db.session.execute(update(WorkJob).where(WorkJob.id == job_id)
                       .values(done=WorkJob.done + 1, status="running"))
    finished = db.session.execute(
        update(WorkJob).where(WorkJob.id == job_id, WorkJob.done >= WorkJob.total, WorkJob.status != "done")
        .values(status="done", finished_at=utcnow())).rowcount
    if finished:
        _announce_after_commit(job_id)
    return True


def fail_job(job_id: int, error: str) -> None:
    db.session.execute(update(WorkJob).where(WorkJob.id == job_id, WorkJob.status != "done")
                       .values(status="failed", error=error[:2000], finished_at=utcnow()))
    _announce_after_commit(job_id)


def _announce_after_commit(job_id: int) -> None:
    announce_after_commit(f"job:{job_id}")


def job_for_site(site_id: int, job_id: int) -> WorkJob | None:
    return db.session.execute(select(WorkJob).where(WorkJob.id == job_id, WorkJob.site_id == site_id)).scalar_one_or_none()


def shop_job(site_id: int, job_id, kind: str) -> WorkJob:
    """A page's poll of its own job: the shop's job of this kind, else 404."""
    job = job_for_site(site_id, int(job_id)) if str(job_id).isdigit() else None
    if job is None or job.kind != kind:
        raise NotFound(_("This shop has no such job."), code="job_not_found")
    return job


def single_outcome(job: WorkJob, unavailable: str, *, status: int = 503, detail: str | None = None) -> dict:
    """What a one-item job (asking one outside service one thing) says now: {"done": False}
    while it runs; then {"done": True, "item": ...} or {"done": True, "error": ApiError} (the
    item's code and HTTP status; `unavailable` with `status` when the job ended without its
    item). `detail`: a field of the failed item carried into the error's details (the service's
    own error codes)."""
    if job.status not in ("done", "failed"):
        return {"done": False}
    items = job_view(job)["items"]
    if not items:
        return {"done": True, "error": ApiError(job.error or "", code=unavailable, status=status)}
    item = items[0]
    if item["outcome"] != "ok":
        details = {detail: item[detail]} if detail and detail in item else None
        return {"done": True, "error": ApiError(item["message"], code=item.get("code") or unavailable,
                                                 status=item.get("http_status") or status, details=details)}
    return {"done": True, "item": item}


def wait_for_worker(subject: str, seconds: float) -> None:
    """Wait up to `seconds` for a worker to announce `subject` (`announce_after_commit`). What
    the request wrote is committed first: its tasks reach the broker only at a commit (the
    outbox), the worker must find the rows they name, and nothing stays locked meanwhile."""
    claim()
    coordination.wait_done(subject, seconds)


def wait_for_job(job: WorkJob, seconds: float) -> WorkJob:
    """Wait up to `seconds` for the job to finish (a single action's outcome is worth a short
    wait before showing progress); the job as it stands then."""
    if job.status in ("done", "failed") or seconds <= 0:
        return job
    wait_for_worker(f"job:{job.id}", seconds)
    db.session.expire(job)
    return db.session.get(WorkJob, job.id)


def job_view(job: WorkJob) -> dict:
    items = db.session.execute(select(WorkJobItem).where(WorkJobItem.job_id == job.id).order_by(WorkJobItem.id)).scalars()
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "total": job.total, "done": job.done,
        "error": job.error, "created_at": job.created_at, "finished_at": job.finished_at,
        "items": [{"item": row.item, "outcome": row.outcome, "message": row.message, **json.loads(row.data or "{}")}
                  for row in items],
    }


# --- dead letters ------------------------------------------------------------------------------

def dead_letters(limit: int = 200) -> list[DeadTask]:
    return list(db.session.execute(
        select(DeadTask).where(DeadTask.retried_at.is_(None)).order_by(DeadTask.id.desc()).limit(limit)).scalars())


def retry_dead_letter(dead_id: int) -> DeadTask | None:
    """Send a dead task again, with its retries afresh."""
    dead = db.session.get(DeadTask, dead_id)
    if dead is None or dead.retried_at is not None:
        return None
    declared = task_named(dead.task)  # LookupError before anything changes: the task is gone
    require_queue()
    dead.retried_at = utcnow()
    enqueue(declared, site_id=dead.site_id, **json.loads(dead.arguments))
    return dead


def dead_letter_count() -> int:
    return db.session.execute(select(func.count(DeadTask.id)).where(DeadTask.retried_at.is_(None))).scalar_one()


def dead_letter_counts() -> dict:
    """Dead letters waiting for a decision: in all, in the last day, and per shop."""
    since = utcnow() - timedelta(days=1)
    waiting = DeadTask.retried_at.is_(None)
    per_shop = dict(db.session.execute(
        select(DeadTask.site_id, func.count(DeadTask.id)).where(waiting).group_by(DeadTask.site_id)).all())
    return {"waiting": sum(per_shop.values()),
            "last_day": db.session.execute(select(func.count(DeadTask.id))
                                           .where(DeadTask.created_at >= since)).scalar_one(),
            "per_shop": per_shop}


RETRY_DEAD_LETTERS = "tasks.retry_dead_letters"


def retry_dead_letters_of_shop(site_id: int, started_by: str | None = None) -> WorkJob:
    """Send every dead letter of one shop again, as a job (one result per dead letter): after
    an outage (a gateway down for an hour) a shop can have hundreds."""
    dead_ids = db.session.execute(select(DeadTask.id).where(DeadTask.site_id == site_id, DeadTask.retried_at.is_(None))
                                  .order_by(DeadTask.id)).scalars().all()
    return start_job(site_id, "retry_dead_letters", dead_ids, RETRY_DEAD_LETTERS, started_by=started_by)


# --- the language a job's results are worded in -------------------------------------------------

def asker_locale() -> str:
    """The language of whoever starts a job now (the staff member's, the API caller's), kept in
    the job's params as "locale" so its results read as they did when the request wrote them."""
    return str(get_locale() or "en")


def in_language_of(job: WorkJob):
    """Word what the job writes in its asker's language (`params["locale"]`). flask_babel
    switches language only where `g` holds something — a request's does, a worker's bare app
    context does not — so the job is named there first; without it a worker words everything
    (results, a shop's order notes) in English."""
    g.work_job_id = job.id
    return force_locale(params_of(job).get("locale") or "en")
