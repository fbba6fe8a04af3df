"""The courier balance asked now (C5) without holding a web worker on the courier (issue 19).

A worker asks the courier (`service.refresh_balance`) for a one-item job (kind
`courier_balance`); the page or API waits up to WAIT_SECONDS for it and otherwise answers with
the last known balance, marked as being refreshed, and the job to follow. Several asks for the
same account while one is under way share it: hovering over "Book" on every tab does not send
the courier a request each.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from backend.couriers import service
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.tasks.models import WorkJob
from backend.tasks.service import (
    asker_locale, in_language_of, open_job, params_of, record_item, shop_job, single_outcome, start_job, unrecorded,
    wait_for_job,
)
from backend.clock import iso, utcnow

KIND = "courier_balance"
WAIT_SECONDS = 3.0
SHARE_SECONDS = 60  # an ask still under way after this is not joined: its worker may be gone


def start_refresh(site: Site, courier: str, *, started_by: str | None = None) -> WorkJob:
    """Queue a balance refresh (or join the one under way). An unknown courier (404) or one the
    shop has not connected (404 courier_not_connected) is refused before anything is queued."""
    service.offered_courier(courier)
    if service.get_account(site, courier) is None:
        service.refresh_balance(site, courier)  # raises its "connect first" error, asks nothing
    under_way = _under_way(site.id, courier)
    if under_way is not None:
        return under_way
    return start_job(site.id, KIND, [courier], "couriers.refresh_balance",
                     params={"courier": courier, "locale": asker_locale()}, started_by=started_by)


def _under_way(site_id: int, courier: str) -> WorkJob | None:
    candidates = db.session.execute(
        select(WorkJob).where(WorkJob.site_id == site_id, WorkJob.kind == KIND, WorkJob.status.in_(("queued", "running")),
                              WorkJob.created_at >= utcnow() - timedelta(seconds=SHARE_SECONDS))
        .order_by(WorkJob.id.desc())).scalars()
    return next((job for job in candidates if params_of(job).get("courier") == courier), None)


def refresh_and_wait(site: Site, courier: str, *, started_by: str | None = None) -> WorkJob:
    """Start (or join) the refresh, let the workers see it, and wait a little for its answer."""
    job = start_refresh(site, courier, started_by=started_by)
    job = wait_for_job(job, WAIT_SECONDS)
    db.session.expire_all()  # the account as the worker left it, not as this request first read it
    return job


def refresh_of_job(site_id: int, job_id: int, items: list[str]) -> None:
    """The task: ask the courier, keep the balance on the account, record the answer. Asking a
    balance twice is harmless; a recorded answer is not asked again."""
    job = open_job(site_id, job_id)
    if job is None:
        return
    site = db.session.get(Site, site_id)
    with in_language_of(job):
        for courier in unrecorded(job_id, items):
            try:
                account = service.refresh_balance(site, courier)
            except ApiError as error:  # refused keys (422), the courier down (503), disconnected (404)
                db.session.flush()
                record_item(job_id, courier, "failed", error.message, {"code": error.code, "http_status": error.status})
            else:
                record_item(job_id, courier, "ok", "", {"balance": str(account.balance),
                                                        "checked_at": iso(account.balance_checked_at)})


def refresh_gave_up(site_id: int, job_id: int, items: list[str], error: str = "") -> None:
    service.record_not_answered(job_id, items, lambda name: _(
        "%(courier)s did not tell us the balance just now. %(reason)s", courier=name, reason="").strip())


def outcome(job: WorkJob) -> dict:
    """What the job says now: {"done": False} while the courier is being asked; then
    {"done": True, "balance", "checked_at"} or {"done": True, "error": ApiError}."""
    now = single_outcome(job, "courier_unavailable")
    if "item" not in now:
        return now
    item, checked_at = now["item"], now["item"]["checked_at"]
    return {"done": True, "balance": Decimal(item["balance"]) if item["balance"] not in (None, "None") else None,
            "checked_at": datetime.fromisoformat(checked_at.removesuffix("Z")) if checked_at else None}


def job_of(site: Site, job_id) -> WorkJob:
    """A page's poll of its refresh: the shop's own balance job, else 404."""
    return shop_job(site.id, job_id, KIND)


def polled_or_refreshed(site: Site, courier: str, job_id, started_by: str) -> WorkJob:
    """What a page showing the balance asks for: the job it polls (`?job=`), or else a new
    refresh, waited on for a few seconds."""
    return job_of(site, job_id) if job_id else refresh_and_wait(site, courier, started_by=started_by)
