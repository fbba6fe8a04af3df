"""The on-demand status check (C6) as a job (issue 19): the request says what to ask about and
answers at once; a worker asks the couriers (`polling.check_consignments`, paced per account like
the scheduled poll) and records one result per thing asked, in the order asked.

The job's items are positions in the list asked ("0", "1", …): the same parcel may be asked by
its id and by its order number, and each ask gets its own result, as before. A redelivered task
asks again only about positions without a result; asking a courier twice is harmless (an answer
already applied is ignored) and a parcel checked in the last minute is answered from what we know.
"""
from flask_babel import gettext as _

from backend.couriers import polling, service
from backend.extensions import db
from backend.licensing.models import Site
from backend.tasks.models import WorkJob
from backend.clock import iso
from backend.tasks.service import (
    asker_locale, in_language_of, numbered_items_to_run, params_of, record_item, record_unanswered, start_job,
)

KIND = "status_check"


def start_status_check(site: Site, ids: list[int], invoices: list[str], *, started_by: str | None = None) -> WorkJob:
    """Queue a check of these parcels (ids first, then order numbers): one job item per ask."""
    asks = [["id", int(pk)] for pk in ids] + [["invoice", str(invoice)] for invoice in invoices]
    return start_job(site.id, KIND, [str(position) for position in range(len(asks))], "couriers.check_statuses",
                     params={"asks": asks, "locale": asker_locale()}, started_by=started_by,
                     per_task=max(1, len(asks)))  # one task: one paced run, a parcel asked by id and invoice once


def check_statuses_of_job(site_id: int, job_id: int, items: list[str]) -> None:
    job, positions = numbered_items_to_run(site_id, job_id, items)
    if not positions:
        return
    asks = params_of(job)["asks"]
    site = db.session.get(Site, site_id)
    with in_language_of(job):
        results = check(site, [asks[position] for position in positions])
        for position, result in zip(positions, results):
            result = {**result, "last_checked_at": iso(result.get("last_checked_at"))}
            record_item(job_id, position, "checked" if result["checked"] else "not_checked",
                        result.get("error") or result.get("note") or "", result)


def check_gave_up(site_id: int, job_id: int, items: list[str], error: str = "") -> None:
    """The retries are used up: the asks without a result say they were not checked, so the job
    finishes; the scheduled poll still asks about every open parcel."""
    job = db.session.get(WorkJob, job_id)
    if job is None:
        return
    asks = params_of(job)["asks"]

    def not_checked(item):
        message = _("The courier is not answering; it is asked again later.")
        kind, value = asks[int(item)]
        return "not_checked", message, {"id": value if kind == "id" else None,
                                        "invoice": value if kind == "invoice" else "",
                                        "checked": False, "changed": False, "error": message}
    record_unanswered(job_id, items, not_checked)


def check(site: Site, asks: list[list]) -> list[dict]:
    """Ask the couriers about these parcels of one shop now; one result per ask. Unknown ones
    say so; final ones and ones checked in the last minute are not asked again."""
    ids = [value for kind, value in asks if kind == "id"]
    invoices = [value for kind, value in asks if kind == "invoice"]
    found = service.consignments_of(site, ids=ids) if ids else []
    found += service.consignments_of(site, invoices=invoices) if invoices else []
    unique = list({c.id: c for c in found}.values())
    checked = {item["id"]: item for item in polling.check_consignments(site, unique)}
    by_invoice = {c.invoice: c.id for c in unique}
    results = []
    for kind, value in asks:
        pk = value if kind == "id" else by_invoice.get(value)
        if pk in checked:
            results.append(checked[pk])
        elif kind == "id":
            results.append({"id": value, "invoice": "", "checked": False, "changed": False,
                            "error": _("No consignment of this shop has this id.")})
        else:
            results.append({"id": None, "invoice": value, "checked": False, "changed": False,
                            "error": _("No consignment of this shop has this order number.")})
    return results


def results_of_job(view: dict) -> list[dict]:
    """A finished check's results in the order asked, as the check-result template reads them."""
    items = sorted(view["items"], key=lambda item: int(item["item"]))
    return [{key: value for key, value in item.items() if key not in ("item", "outcome", "message")} for item in items]
