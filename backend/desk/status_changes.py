"""Status changes (O1): WooCommerce first, the source of truth; the read model changes only from
WooCommerce's answer, through `backend.orders.service.upsert_orders`. An order WooCommerce
refused therefore keeps its old status here, and its reason is reported.

The request only checks what was asked and starts a job (`start_status_change`); the workers
write to WooCommerce (`change_status_of_job`, declared in `desk/tasks.py`) and record one result
per order on the job, which the desk and `GET /api/v1/jobs/<id>` show.
"""
import logging

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from backend.commits import one_at_a_time
from backend.desk.fields import STATUS_RE, invalid, orders_by_wc_id, status_label
from backend.extensions import db
from backend.integrations.woocommerce import BATCH_LIMIT, WooCommerce, WooCommerceError, order_missing
from backend.orders.models import Order
from backend.licensing.models import Site
from backend.orders.service import mark_missing, order_gone_message, upsert_orders
from backend.tasks.models import WorkJob
from backend.tasks.service import (
    asker_locale, in_language_of, numbered_items_to_run, params_of, record_item, record_unanswered, start_job,
)

log = logging.getLogger(__name__)
MAX_ORDERS = 500


def shop_language(site) -> str:
    """The language of the shop's WordPress (its locale, as the plugin reports it), if the service
    speaks it; else English."""
    code = (site.locale or "en").replace("-", "_").split("_")[0].lower()
    return code if code in current_app.config["LANGUAGES"] else "en"


def status_note(site, status: str, by: str | None) -> str:
    """The order note that says a status change came from Bikri, and from whom. In the shop's
    language, not the staff member's: every reader of the order's notes sees the same text."""
    with force_locale(shop_language(site)):
        if by:
            return _("Status changed to %(status)s from Bikri by %(name)s.", status=status_label(status), name=by)
        return _("Status changed to %(status)s from Bikri.", status=status_label(status))


def checked_change(status: str, wc_ids) -> tuple[str, list[int]]:
    """The status and orders asked, refused (422) before anything is queued."""
    status = (status or "").strip()
    if not STATUS_RE.match(status) or status in ("trash", "checkout-draft"):
        raise invalid({"status": _("Choose a status.")})
    wc_ids = list(dict.fromkeys(int(i) for i in wc_ids))
    if not wc_ids:
        raise invalid({"orders": _("Choose at least one order.")})
    if len(wc_ids) > MAX_ORDERS:
        raise invalid({"orders": _("Choose at most 500 orders at a time.")})
    return status, wc_ids


def start_status_change(site, wc_ids, status: str, by: str | None = None) -> WorkJob:
    """Queue a status change (issue 19: the request never waits on WooCommerce): a job with one
    item per order, its results in `JOB_RESULTS["status_change"]`'s words. One order goes in the
    transactional lane (staff wait for it); several go in the bulk lane, a hundred per task — one
    batch call each, as WooCommerce allows."""
    status, wc_ids = checked_change(status, wc_ids)
    task = "desk.change_status" if len(wc_ids) == 1 else "desk.change_status_bulk"  # desk/tasks.py
    # the results are worded in the language of whoever asked, as they were when the request wrote them
    params = {"status": status, "by": by, "locale": asker_locale()}
    return start_job(site.id, "status_change", wc_ids, task, params=params, started_by=by, per_task=BATCH_LIMIT)


def change_status_of_job(site_id: int, job_id: int, items: list[str]) -> None:
    """A task's share of a status-change job. Idempotent: an order whose result is recorded is
    skipped, so a redelivered task neither sets a status twice nor adds a second note."""
    # marked running: committed before WooCommerce is asked (`change_status`'s steps)
    job, wc_ids = numbered_items_to_run(site_id, job_id, items)
    if not wc_ids:
        return
    params = params_of(job)
    site = db.session.get(Site, site_id)
    with in_language_of(job):
        change_status(site, wc_ids, params["status"], params.get("by"),
                      record=lambda result: _record_result(job_id, result))



def _record_result(job_id: int, result: dict) -> None:
    outcome = "changed" if result["ok"] else ("gone" if result.get("deleted") else "refused")
    # kept by `change_status`'s next step (before WooCommerce is asked again), or the task's end:
    # a redelivered task skips it, and the desk's progress bar moves order by order
    record_item(job_id, result["wc_id"], outcome, result.get("error") or "", result)


def status_change_gave_up(site_id: int, job_id: int, items: list[str], error: str = "") -> None:
    """The task's retries are used up: the orders without a result are reported as not changed,
    so the job finishes and the desk says which ones to try again."""
    def not_answered(item):
        message = _("WooCommerce did not answer; try again.")
        return "refused", message, {"wc_id": int(item), "ok": False, "status": None, "error": message,
                                    "code": "not_answered"}
    record_unanswered(job_id, items, not_answered)


def results_of_job(view: dict) -> list[dict]:
    """A finished job's results as the desk's results template reads them (one per order)."""
    return [{key: value for key, value in item.items() if key not in ("item", "outcome", "message")}
            for item in view["items"]]


def change_status(site, wc_ids: list[int], status: str, by: str | None = None, *, record=None) -> list[dict]:
    """Ask WooCommerce to set `status` on these orders; one result per order, in the order asked.
    Each order changed gets a note saying it came from Bikri and from whom (`by`, the staff
    member's name; WooCommerce's own note names no one). Runs in a worker (`change_status_of_job`).

    One order: PUT orders/<id>. Several: POST orders/batch, ≤ 100 per call; a chunk's
    answer is stored before the next chunk is sent, so a failure half-way leaves Bikri
    agreeing with WooCommerce about every order already changed. `record(result)` is called
    with each order's result as soon as it is final (a changed order's after its note).
    """
    status, wc_ids = checked_change(status, wc_ids)
    record = record or (lambda result: None)
    known = orders_by_wc_id(site.id, wc_ids)
    results = {}
    gone = _deleted_wc_ids(site.id, [i for i in wc_ids if i not in known])
    for wc_id in wc_ids:
        if wc_id in gone:  # a page opened before WooCommerce was found without it
            results[wc_id] = _gone_result(wc_id)
        elif wc_id not in known:
            results[wc_id] = {"wc_id": wc_id, "ok": False, "status": None, "error": _("No such order in this shop.")}
    for wc_id in results:
        record(results[wc_id])
    to_send = [i for i in wc_ids if i in known]
    if to_send:
        try:
            wc = WooCommerce.for_site(site, retries=1)
        except WooCommerceError as error:  # the shop's key is gone: no order can be changed
            for wc_id in to_send:
                results[wc_id] = {"wc_id": wc_id, "ok": False, "status": known[wc_id].status,
                                  "error": error.message, "code": error.code}
                record(results[wc_id])
            return [results[i] for i in wc_ids]
        # one call to WooCommerce at a time: each is made with nothing written open, and what it
        # answered is kept whatever happens to the next
        for _answered in one_at_a_time(_calls(wc, site, to_send, status, by, known, results, record)):
            pass
    return [results[i] for i in wc_ids]


def _calls(wc, site, to_send: list[int], status: str, by: str | None, known: dict, results: dict, record):
    """The calls to WooCommerce, each answer stored as it comes (yields the orders each call was
    about): the status, one order with PUT orders/<id> or ≤ 100 a call with POST orders/batch;
    then one note per changed order (wc/v3 has no batch for notes). A note that fails leaves the
    status changed; the result says the note is missing."""
    for start in range(0, len(to_send), BATCH_LIMIT):
        chunk = to_send[start:start + BATCH_LIMIT]
        try:
            if len(to_send) == 1:
                answers = [wc.update_order(chunk[0], {"status": status})]
            else:
                answers = wc.batch_update_orders([{"id": i, "status": status} for i in chunk])
        except WooCommerceError as error:
            # the whole call failed: WooCommerce changed none of this chunk
            answers = [{"id": i, "error": {"code": error.code, "message": error.message}} for i in chunk]
        _store_answers(site.id, chunk, answers, known, results, record)
        yield chunk
    note = status_note(site, status, by)
    for wc_id in [i for i in to_send if results[i]["ok"]]:
        try:
            wc.add_order_note(wc_id, note)
            results[wc_id]["note"] = True
        except WooCommerceError as error:
            log.warning("site %s order %s: the status note was not added: %s", site.id, wc_id, error)
            results[wc_id]["note"] = False
        record(results[wc_id])
        yield [wc_id]


def _deleted_wc_ids(site_id: int, wc_ids: list[int]) -> set[int]:
    if not wc_ids:
        return set()
    return set(db.session.execute(select(Order.wc_id).where(
        Order.site_id == site_id, Order.wc_id.in_(wc_ids), Order.deleted_at.is_not(None))).scalars())


def _gone_result(wc_id: int) -> dict:
    return {"wc_id": wc_id, "ok": False, "status": None, "error": order_gone_message(),
            "code": "order_deleted", "deleted": True}


def _store_answers(site_id, asked, answers, known, results, record) -> None:
    accepted, gone = [], []
    for wc_id, answer in zip(asked, answers):
        error = answer.get("error") if isinstance(answer, dict) else {"message": "no answer"}
        if error and order_missing(error):
            # deleted in WooCommerce without the hooks that tell us: off the desk, out of the dashboard
            gone.append(wc_id)
            results[wc_id] = _gone_result(wc_id)
        elif error:
            results[wc_id] = {"wc_id": wc_id, "ok": False, "status": known[wc_id].status,
                              "error": str(error.get("message") or error.get("code")), "code": error.get("code")}
        else:
            accepted.append(answer)
            results[wc_id] = {"wc_id": wc_id, "ok": True, "status": answer.get("status"), "error": None}
    if accepted:
        upsert_orders(site_id, accepted)
    if gone:
        mark_missing(site_id, gone)
    for wc_id in asked:
        if not results[wc_id]["ok"]:
            record(results[wc_id])  # a changed order's result waits for its note
