"""The order desk's orders as CSV, with the desk's filters (issue 20, item 3).

- The orders are the list's orders: the same `parse_filters` and `filter_orders`
  (backend/desk/service.py), so the file and the desk never disagree.
- Streamed: keyset batches of BATCH orders on (date_created_gmt DESC, id DESC), the list's
  own order and index, selecting columns (no ORM objects), each batch written and handed to
  the WSGI server before the next is read. Memory stays flat whatever the number of orders,
  and no transaction stays open while the client reads (each batch's read ends with it).
- Excel-friendly: UTF-8 with a BOM (Excel reads Bangla names right only then), CRLF rows,
  every cell through backend/csvfile.py (nothing a spreadsheet would run as a formula).
"""
from collections.abc import Iterator
from io import StringIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, any_, bindparam, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from backend import csvfile
from backend.couriers.labels import status_label as delivery_label
from backend.couriers.models import Consignment
from backend.desk import service
from backend.desk.models import OrderTag, OrderTagLink
from backend.extensions import db
from backend.orders.models import Order, OrderItem
from backend.clock import in_dhaka

BATCH = 1000
BOM = "\ufeff"
PURPOSE = "orders-export"  # the download ticket's purpose (backend/embed/service.py)

COLUMNS = (
    _l("Order number"), _l("Date"), _l("Status"), _l("Customer name"), _l("Phone"), _l("District / city"),
    _l("Address"), _l("Items"), _l("Total"), _l("Discount"), _l("Shipping"), _l("Payment method"), _l("Courier"),
    _l("Consignment ID"), _l("Courier status"), _l("Tags"), _l("Note"),
)

PAYMENT_LABELS = {"cod": _l("Cash on delivery"), "bkash": _l("bKash"), "nagad": _l("Nagad"), "bacs": _l("Bank transfer")}

_FIELDS = (Order.id, Order.wc_id, Order.number, Order.date_created_gmt, Order.status, Order.billing_name, Order.phone,
           Order.billing_phone, Order.district, Order.billing_city, Order.billing_address, Order.total,
           Order.discount_total, Order.shipping_total, Order.payment_method, Order.payment_method_title, Order.courier,
           Order.customer_note)


def filters_from(args) -> service.ListFilters:
    """The desk's filters from a request's arguments; a cursor or limit is the list's paging, not the export's."""
    filters = service.parse_filters(args)
    filters.cursor = None
    return filters


def _phone(normalised: str | None, typed: str | None) -> str:
    """01XXXXXXXXX, the way shops and courier panels write a number (the stored normalised
    phone less +88); what the shopper typed when it is not a Bangladeshi mobile."""
    return normalised.removeprefix("+88") if normalised else (typed or "")


def _among(column, values: list[int]):
    """column IN values. On PostgreSQL one array parameter (= ANY): a thousand placeholders made
    psycopg parse each batch's query text anew (too long for its cache), a third of the export's time."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(BigInteger)))
    return column.in_(values)


def _items(site_id: int, order_ids: list[int]) -> dict[int, str]:
    found: dict[int, list] = {}
    rows = db.session.execute(select(OrderItem.order_id, OrderItem.name, OrderItem.quantity)
                              .where(OrderItem.site_id == site_id, _among(OrderItem.order_id, order_ids))
                              .order_by(OrderItem.order_id, OrderItem.id))
    for order_id, name, quantity in rows:
        found.setdefault(order_id, []).append(f"{name} x {quantity}")
    return {order_id: "; ".join(lines) for order_id, lines in found.items()}


def _tags(site_id: int, order_ids: list[int]) -> dict[int, str]:
    found: dict[int, list] = {}
    rows = db.session.execute(select(OrderTagLink.order_id, OrderTag.name)
                              .join(OrderTag, OrderTag.id == OrderTagLink.tag_id)
                              .where(OrderTagLink.site_id == site_id, _among(OrderTagLink.order_id, order_ids))
                              .order_by(OrderTag.name))
    for order_id, name in rows:
        found.setdefault(order_id, []).append(name)
    return {order_id: ", ".join(names) for order_id, names in found.items()}


def _parcels(site_id: int, wc_ids: list[int]) -> dict[int, tuple]:
    """wc_id → (consignment id, Bikri delivery status) of the order's latest parcel."""
    if not wc_ids:
        return {}
    found = {wc_id: (cid, status) for wc_id, cid, status in db.session.execute(
        select(Consignment.order_wc_id, Consignment.consignment_id, Consignment.status)
        .where(Consignment.site_id == site_id, _among(Consignment.order_wc_id, wc_ids))
        .order_by(Consignment.booked_at, Consignment.id))}
    missing = [i for i in wc_ids if i not in found]
    if missing:  # booked, but only the booking lock knows its id (as on the desk)
        for wc_id, cid in service.consignments_of_orders(site_id, missing).items():
            found[wc_id] = (cid, None)
    return found


def rows(site_id: int, filters: service.ListFilters) -> Iterator[list]:
    """The header, then one list of cells per order, newest first, BATCH orders per query."""
    # not at the top: the desk's views import this module (the export route), and the labels live there
    from backend.desk.views import courier_name, order_status_label

    yield [str(title) for title in COLUMNS]
    # each label translated once per export, not once per row (gettext per cell was a third of the time)
    labels: dict[tuple, str] = {}

    def label(kind, key, make):
        found = labels.get((kind, key))
        if found is None:
            found = labels[(kind, key)] = make(key)
        return found

    def payment(row):
        if row.payment_method in PAYMENT_LABELS:
            return str(PAYMENT_LABELS[row.payment_method])
        return row.payment_method_title or row.payment_method

    after = None
    while True:
        query = service.filter_orders(select(*_FIELDS), site_id, filters)
        if after is not None:
            query = query.where(tuple_(Order.date_created_gmt, Order.id) < tuple_(*after))
        batch = db.session.execute(
            query.order_by(Order.date_created_gmt.desc(), Order.id.desc()).limit(BATCH)).all()
        if not batch:
            return
        ids = [r.id for r in batch]
        items = _items(site_id, ids)
        tags = _tags(site_id, ids)
        parcels = _parcels(site_id, [r.wc_id for r in batch if r.courier])
        # end the read transaction before handing the rows out: the client may read slowly, and
        # the connection goes back to the pool meanwhile (nothing was written, nothing to commit)
        db.session.rollback()
        for r in batch:
            consignment_id, delivery = parcels.get(r.wc_id, (None, None))
            yield [
                r.number or r.wc_id,
                in_dhaka(r.date_created_gmt).strftime("%Y-%m-%d %H:%M"),
                label("status", r.status, order_status_label),
                r.billing_name,
                _phone(r.phone, r.billing_phone),
                r.district or r.billing_city,
                r.billing_address,
                items.get(r.id, ""),
                r.total, r.discount_total, r.shipping_total,
                label("payment", (r.payment_method, r.payment_method_title), lambda _key: payment(r)),
                label("courier", r.courier, courier_name) if r.courier else None,
                consignment_id,
                label("delivery", delivery, delivery_label) if delivery else None,
                tags.get(r.id, ""),
                r.customer_note,
            ]
        if len(batch) < BATCH:
            return
        last = batch[-1]
        after = (last.date_created_gmt, last.id)


def csv_chunks(table: Iterator[list], rows_per_chunk: int | None = None) -> Iterator[bytes]:
    """UTF-8 bytes with a BOM first and CRLF rows: the header at once (the first byte does not
    wait for the first query), then a chunk every `rows_per_chunk` rows."""
    rows_per_chunk = rows_per_chunk or BATCH
    buffer = StringIO()
    buffer.write(BOM)
    writer = csvfile.writer(buffer, lineterminator="\r\n")
    pending, header_sent = 0, False
    for row in table:
        writer.writerow(row)
        pending += 1
        if pending >= rows_per_chunk or not header_sent:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending, header_sent = 0, True
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
