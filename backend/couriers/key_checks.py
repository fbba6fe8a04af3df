"""Connecting a courier account (C8) without holding a web worker on the courier.

The request checks the form (every key present, none overlong), keeps the typed keys encrypted
in `courier_key_checks` and starts a one-item job (kind `courier_keys`); a worker asks the
courier (`service.connect_account`: a balance call with the new keys) and saves them only when
the courier accepted them. The page or the API waits up to WAIT_SECONDS for the answer, as for a
balance, and otherwise shows that the courier is being asked and polls. The typed keys are
deleted once checked, accepted or not, and never written to a job's parameters or results.
"""
import json
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete

from backend.couriers import service
from backend.couriers.models import CourierKeyCheck
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.security import decrypt_secret, encrypt_secret
from backend.tasks.models import WorkJob
from backend.tasks.service import (
    asker_locale, in_language_of, open_job, params_of, record_item, shop_job, single_outcome, start_job, unrecorded,
    wait_for_job,
)
from backend.clock import utcnow

KIND = "courier_keys"
TASK = "couriers.check_keys"
WAIT_SECONDS = 5.0
STALE_AFTER = timedelta(hours=1)


def start_check(site: Site, courier: str, values: dict, *, started_by: str | None = None) -> WorkJob:
    """Queue the check of the keys typed for `courier`. An unknown courier (404) and a form with
    a key missing (422) are refused here, before anything is kept or queued."""
    credentials = service.keys_to_check(site, courier, values)
    # only the newest keys count: an older check still waiting finds its keys gone
    db.session.execute(delete(CourierKeyCheck).where(CourierKeyCheck.site_id == site.id,
                                                     CourierKeyCheck.courier == courier))
    check = CourierKeyCheck(site_id=site.id, courier=courier, credentials_enc=encrypt_secret(json.dumps(credentials)))
    db.session.add(check)
    db.session.flush()
    return start_job(site.id, KIND, [courier], TASK, started_by=started_by,
                     params={"check_id": check.id, "locale": asker_locale()})


def check_and_wait(site: Site, courier: str, values: dict, *, started_by: str | None = None) -> WorkJob:
    job = start_check(site, courier, values, started_by=started_by)
    job = wait_for_job(job, WAIT_SECONDS)
    db.session.expire_all()  # the account as the worker left it
    return job


def check_keys_of_job(site_id: int, job_id: int, items: list[str]) -> None:
    """The task: ask the courier with the typed keys; save them if it accepted them. Run again
    (a redelivered message), a recorded answer is not asked again."""
    job = open_job(site_id, job_id)
    if job is None:
        return
    check = db.session.get(CourierKeyCheck, params_of(job).get("check_id"))
    site = db.session.get(Site, site_id)
    with in_language_of(job):
        for courier in unrecorded(job_id, items):
            if check is None or check.site_id != site_id:
                record_item(job_id, courier, "failed", _("Newer keys were saved for this courier; these were not checked."),
                            {"code": "superseded", "http_status": 409})
                continue
            values = json.loads(decrypt_secret(check.credentials_enc))
            try:
                account = service.connect_account(site, courier, values)
            except ApiError as error:  # refused keys (422), the courier down (503)
                record_item(job_id, courier, "failed", error.message, {"code": error.code, "http_status": error.status})
            else:
                record_item(job_id, courier, "ok", "", {"account": account.id})
            db.session.delete(check)


def check_gave_up(site_id: int, job_id: int, items: list[str], error: str = "") -> None:
    """The worker's retries ran out (the courier never answered): nothing saved, keys forgotten."""
    job = db.session.get(WorkJob, job_id)
    if job is None:
        return
    db.session.execute(delete(CourierKeyCheck).where(CourierKeyCheck.id == params_of(job).get("check_id")))
    service.record_not_answered(job_id, items, lambda name: _(
        "We could not check the keys with %(courier)s just now, so nothing was saved. %(reason)s",
        courier=name, reason="").strip())


def outcome(job: WorkJob) -> dict:
    """{"done": False} while the courier is being asked; then {"done": True} (saved) or
    {"done": True, "error": ApiError} (nothing saved)."""
    now = single_outcome(job, "courier_unavailable")
    return {"done": True} if "item" in now else now


def job_of(site: Site, job_id) -> WorkJob:
    """A page's poll of its check: the shop's own key-check job, else 404."""
    return shop_job(site.id, job_id, KIND)


def forget_stale_checks() -> int:
    """The hourly job: keys whose check never ran (a job lost before any worker took it) are not
    kept longer than STALE_AFTER."""
    return db.session.execute(delete(CourierKeyCheck).where(CourierKeyCheck.created_at < utcnow() - STALE_AFTER)).rowcount
