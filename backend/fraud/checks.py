"""A fraud check that asks the couriers runs in a worker (issue 19): a courier's look-up can take
seconds, and a web worker must not wait on it.

`check_or_start` answers at once what needs no courier (a recent check shown again, a shop with
no courier offering the look-up); otherwise it starts a one-item job (kind `fraud_check`, the
phone), waits up to WAIT_SECONDS for it, and gives the check if it came, else the job to follow.
A second ask for the same number while one is under way joins it: each look-up spends the shop's
small daily allowance at the courier.
"""
from datetime import timedelta

from sqlalchemy import select

from backend.errors import ApiError
from backend.extensions import db
from backend.fraud import service
from backend.fraud.models import FraudCheck
from backend.licensing.models import Site
from backend.tasks.models import WorkJob
from backend.tasks.service import (
    asker_locale, in_language_of, job_view, open_job, params_of, record_item, recorded_items, start_job, wait_for_job,
)
from backend.clock import iso, utcnow

KIND = "fraud_check"
WAIT_SECONDS = 3.0
SHARE_SECONDS = 60  # an ask still under way after this is not joined: its worker may be gone


def check_or_start(site: Site, phone, *, user: str, force: bool = False) -> tuple[FraudCheck | None, bool, WorkJob | None]:
    """(the check, whether it is a recent one shown again, the job if a worker was asked). The
    check is None while the worker still asks the couriers. Bad numbers (422) and too many forced
    re-checks (429) are refused before anything is queued."""
    phone = service.read_phone(phone)
    recent = service.latest_check(site.id, phone)
    if not force and service.reusable(recent):
        return recent, True, None
    if not service.lookup_accounts(site.id):  # no courier to ask: the shop's and network's counts, now
        check, cached = service.check_phone(site, phone, user=user, force=force)
        return check, cached, None
    job = _under_way(site.id, phone, force)
    if job is None:
        if force:
            service.allow_forced(site.id, under_way=_forced_under_way(site.id))
        job = start_job(site.id, KIND, [phone], "fraud.check_phone", started_by=user,
                        params={"phone": phone, "user": user, "force": force, "locale": asker_locale()})
    job = wait_for_job(job, WAIT_SECONDS)
    return check_of(job), False, job


def _under_way(site_id: int, phone: str, force: bool) -> WorkJob | None:
    """A check of this number a worker is doing now (a forced ask joins only a forced one)."""
    return next((job for job in _running(site_id) if params_of(job).get("phone") == phone
                 and (params_of(job).get("force") or not force)), None)


def _forced_under_way(site_id: int) -> int:
    return sum(1 for job in _running(site_id) if params_of(job).get("force"))


def _running(site_id: int) -> list[WorkJob]:
    return list(db.session.execute(
        select(WorkJob).where(WorkJob.site_id == site_id, WorkJob.kind == KIND, WorkJob.status.in_(("queued", "running")),
                              WorkJob.created_at >= utcnow() - timedelta(seconds=SHARE_SECONDS))
        .order_by(WorkJob.id.desc())).scalars())


def check_of(job: WorkJob) -> FraudCheck | None:
    """The job's check once it is done; None while it runs. A check that failed raises its error."""
    if job.status not in ("done", "failed"):
        return None
    items = job_view(job)["items"]
    if not items or items[0]["outcome"] != "checked":
        message = items[0]["message"] if items else (job.error or "")
        raise ApiError(message, code=(items[0].get("code") if items else None) or "check_failed",
                       status=(items[0].get("http_status") if items else None) or 503)
    return db.session.get(FraudCheck, items[0]["check_id"])


def pending_phone(job: WorkJob) -> str:
    return params_of(job).get("phone", "")


def check_of_job(site_id: int, job_id: int, items: list[str]) -> None:
    """The task: ask the couriers and store the check, with the job's item, in one commit (a
    redelivered task finds the item and asks nothing)."""
    job = open_job(site_id, job_id)
    if job is None or recorded_items(job_id):
        return
    params = params_of(job)
    site = db.session.get(Site, site_id)
    with in_language_of(job):
        try:
            check, cached = service.check_phone(site, params["phone"], user=params.get("user") or "",
                                                force=bool(params.get("force")))
        except ApiError as error:  # too many forced re-checks by the time it ran
            record_item(job_id, params["phone"], "refused", error.message, {"code": error.code, "http_status": error.status})
            return
        view = service.check_view(check, cached)
        record_item(job_id, params["phone"], "checked", "",
                    {**view, "check_id": check.id, "checked_at": iso(view["checked_at"])})


def check_gave_up(site_id: int, job_id: int, items: list[str], error: str = "") -> None:
    job = db.session.get(WorkJob, job_id)
    if job is None or recorded_items(job_id):
        return
    with in_language_of(job):
        message = service.not_checked_message()
        for phone in items:
            record_item(job_id, phone, "failed", message, {"code": "check_failed", "http_status": 503})
