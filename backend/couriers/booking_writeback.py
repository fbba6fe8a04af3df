"""What a booking writes back to the shop's WooCommerce orders: `_courier_data` (the courier,
consignment id and tracking code, which themes and other plugins read) and a note the plugin
turns into an order note. Written in `orders/batch` calls after the courier answered; a write
that fails is remembered on the booking's claim and repaired by the next booking of the order.
"""
import json
import logging

from flask_babel import gettext as _
from sqlalchemy import select

from backend.commits import remote_step
from backend.couriers.models import BookingAttempt
from backend.couriers.service import offered_courier
from backend.extensions import db
from backend.integrations.woocommerce import BATCH_LIMIT, WooCommerce, WooCommerceError, order_missing
from backend.orders.service import mark_missing, order_gone_message

log = logging.getLogger(__name__)


def courier_data(result, booked_at) -> dict:
    return {"courier": result.courier, "consignment_id": result.consignment_id, "tracking_code": result.tracking_code,
            "booked_at": booked_at.strftime("%Y-%m-%dT%H:%M:%SZ") if booked_at else None}


NOTE_META = "_bikri_booking_note"


def booking_note(result) -> str:
    name = offered_courier(result.courier).name
    if result.consignment_id:
        return _("Booked with %(courier)s by Bikri: consignment %(id)s, tracking code %(code)s.", courier=name,
                 id=result.consignment_id, code=result.tracking_code or "-")
    return _("Booked with %(courier)s by Bikri (consignment id: see the %(courier)s portal).", courier=name)


def write_to_woocommerce(site, written: list) -> None:
    """`_courier_data` and the booking's note on each booked WooCommerce order (`written`: its
    order, its `BookingResult` and its invoice), through
    `orders/batch` (100 orders a call, not two calls per order). An order WooCommerce refused
    inside the batch, or a failed call, is reported on the order's result and remembered
    (wc_written stays False, the next booking of the order writes it); the booking stands. One
    already written (a task run again) is not sent again."""
    if not written:
        return
    rows = {row.invoice: row for row in db.session.execute(select(BookingAttempt).where(
        BookingAttempt.site_id == site.id, BookingAttempt.invoice.in_([invoice for _o, _r, invoice in written]))).scalars()}
    to_send = []
    for order, result, invoice in written:
        row = rows[invoice]
        if row.wc_written:
            result.woocommerce = True
        else:
            to_send.append((order, result, row))
    if not to_send:
        return
    try:
        api = WooCommerce.for_site(site)
    except WooCommerceError as error:
        for _order, result, _row in to_send:
            result.woocommerce = _("The order in WooCommerce was not updated: %(reason)s", reason=str(error))
        return
    updates = [{"id": order.wc_id, "meta_data": [
        {"key": "_courier_data", "value": json.dumps(courier_data(result, row.booked_at))},
        # wc/v3 has no batch for notes: the plugin turns this meta into the order note
        # (Bikri_Consignment::action_rest_insert_order) as WooCommerce saves each order of the batch
        {"key": NOTE_META, "value": booking_note(result)}]} for order, result, row in to_send]
    # nothing written waits open while WooCommerce answers, and what it answered is kept: a task
    # run again does not add the note twice
    with remote_step():
        answers = []
        for start in range(0, len(updates), BATCH_LIMIT):
            chunk = updates[start:start + BATCH_LIMIT]
            try:
                answers += api.batch_update_orders(chunk)
            except WooCommerceError as error:
                # the whole call failed: WooCommerce changed none of this chunk
                answers += [{"id": update["id"], "error": {"code": error.code, "message": error.message,
                                                         "status": error.status}} for update in chunk]
        gone = []
        for (order, result, row), answer in zip(to_send, answers):
            error = answer.get("error") if isinstance(answer, dict) else {"code": "unexpected_answer", "message": str(answer)}
            if not error:
                row.wc_written, row.last_error, result.woocommerce = True, None, True
            elif order_missing(error):
                # deleted in WooCommerce without the hooks that tell us: nothing to write to, ever
                result.woocommerce = _("The order in WooCommerce was not updated: %(reason)s", reason=order_gone_message())
                row.last_error = order_gone_message()[:300]
                gone.append(order.wc_id)
            else:
                reason = f"WooCommerce: {error.get('code')}: {error.get('message')}"
                log.warning("booking: writing order %s to WooCommerce failed: %s", order.wc_id, reason)
                result.woocommerce = _("Booked, but the order in WooCommerce was not updated (%(reason)s); Bikri "
                                       "tries again at the next booking.", reason=reason)
                row.last_error = reason[:300]
        if gone:
            mark_missing(site.id, gone)
