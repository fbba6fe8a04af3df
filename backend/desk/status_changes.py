"""Status changes (O1): WooCommerce first, the source of truth; the read model changes only from
WooCommerce's answer, through `backend.orders.service.upsert_orders`. An order WooCommerce
refused therefore keeps its old status here, and its reason is reported.
"""
import logging

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from backend.commits import keep_progress
from backend.desk.fields import STATUS_RE, invalid, orders_by_wc_id, status_label
from backend.extensions import db
from backend.integrations.woocommerce import BATCH_LIMIT, WooCommerce, WooCommerceError, order_missing
from backend.orders.models import Order
from backend.orders.service import mark_missing, order_gone_message, upsert_orders

log = logging.getLogger(__name__)


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


def change_status(site, wc_ids: list[int], status: str, by: str | None = None) -> list[dict]:
    """Ask WooCommerce to set `status` on these orders; one result per order, in the order asked.
    Each order changed gets a note saying it came from Bikri and from whom (`by`, the staff
    member's name; WooCommerce's own note names no one).

    One order: PUT orders/<id>. Several: POST orders/batch, ≤ 100 per call; a chunk's
    answer is stored before the next chunk is sent, so a failure half-way leaves Bikri
    agreeing with WooCommerce about every order already changed.
    """
    status = (status or "").strip()
    if not STATUS_RE.match(status) or status in ("trash", "checkout-draft"):
        raise invalid({"status": _("Choose a status.")})
    wc_ids = list(dict.fromkeys(int(i) for i in wc_ids))
    if not wc_ids:
        raise invalid({"orders": _("Choose at least one order.")})
    if len(wc_ids) > 500:
        raise invalid({"orders": _("Choose at most 500 orders at a time.")})
    known = orders_by_wc_id(site.id, wc_ids)
    results = {}
    gone = _deleted_wc_ids(site.id, [i for i in wc_ids if i not in known])
    for wc_id in wc_ids:
        if wc_id in gone:  # a page opened before WooCommerce was found without it
            results[wc_id] = _gone_result(wc_id)
        elif wc_id not in known:
            results[wc_id] = {"wc_id": wc_id, "ok": False, "status": None, "error": _("No such order in this shop.")}
    to_send = [i for i in wc_ids if i in known]
    if to_send:
        wc = WooCommerce.for_site(site, retries=1)
        if len(to_send) == 1:
            try:
                answers = [wc.update_order(to_send[0], {"status": status})]
            except WooCommerceError as error:
                answers = [{"id": to_send[0], "error": {"code": error.code, "message": error.message}}]
            _store_answers(site.id, to_send, answers, known, results)
        else:
            for start in range(0, len(to_send), BATCH_LIMIT):
                chunk = to_send[start:start + BATCH_LIMIT]
                try:
                    answers = wc.batch_update_orders([{"id": i, "status": status} for i in chunk])
                except WooCommerceError as error:
                    # the whole call failed: WooCommerce changed none of this chunk
                    answers = [{"id": i, "error": {"code": error.code, "message": error.message}} for i in chunk]
                _store_answers(site.id, chunk, answers, known, results)
        _add_status_notes(wc, site, [i for i in to_send if results[i]["ok"]], status, by, results)
    return [results[i] for i in wc_ids]


def _add_status_notes(wc, site, changed: list[int], status: str, by: str | None, results: dict) -> None:
    """One note per changed order (wc/v3 has no batch for notes). After the answers were committed:
    no transaction stays open across these calls. A note that fails leaves the status changed;
    the result says the note is missing."""
    note = status_note(site, status, by)
    for wc_id in changed:
        try:
            wc.add_order_note(wc_id, note)
            results[wc_id]["note"] = True
        except WooCommerceError as error:
            log.warning("site %s order %s: the status note was not added: %s", site.id, wc_id, error)
            results[wc_id]["note"] = False


def _deleted_wc_ids(site_id: int, wc_ids: list[int]) -> set[int]:
    if not wc_ids:
        return set()
    return set(db.session.execute(select(Order.wc_id).where(
        Order.site_id == site_id, Order.wc_id.in_(wc_ids), Order.deleted_at.is_not(None))).scalars())


def _gone_result(wc_id: int) -> dict:
    return {"wc_id": wc_id, "ok": False, "status": None, "error": order_gone_message(),
            "code": "order_deleted", "deleted": True}


def _store_answers(site_id, asked, answers, known, results) -> None:
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
    keep_progress()  # each chunk WooCommerce accepted is kept, whatever happens to the next
