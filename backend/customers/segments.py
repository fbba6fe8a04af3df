"""Filters over the customer read model: the list, the RFM segments and the shop's saved
segments (a name and a set of filters). Every query is one indexed statement over
customer_stats, or over customer_tags / customer_products joined to it by id when a tag or a
product filters (bench/customers.py: p95 ≤ 50 ms at 300,000 customers)."""
import json
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, tuple_

from backend.customers.models import CustomerProduct, CustomerStats, CustomerTag, SavedSegment
from backend.customers.stats import SEGMENTS
from backend.errors import ApiError
from backend.extensions import db
from backend.phones import InvalidPhone, normalise_phone
from backend.clock import utcnow

# what a filter set may hold (schemas.FiltersSchema validates the same names)
FILTERS = ("segment", "spend_min", "spend_max", "orders_min", "orders_max", "ordered_within_days",
           "not_ordered_for_days", "district", "product_id", "delivered_ratio_min", "tag", "phone")
PAGE_SIZE = 50
# the filters on the last order (a range of ix_customer_stats_site_last)
RECENCY = frozenset({"ordered_within_days", "not_ordered_for_days"})


def conditions(site_id: int, filters: dict, now: datetime | None = None, *, driven_by: str | None = None) -> list:
    s, now = CustomerStats, now or utcnow()
    where = [s.site_id == site_id]
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if "segment" in f:
        where.append(s.segment == f["segment"])
    if "spend_min" in f:
        where.append(s.spend >= f["spend_min"])
    if "spend_max" in f:
        where.append(s.spend <= f["spend_max"])
    if "orders_min" in f:
        where.append(s.orders >= f["orders_min"])
    if "orders_max" in f:
        where.append(s.orders <= f["orders_max"])
    if "ordered_within_days" in f:
        where.append(s.last_order_gmt >= now - timedelta(days=int(f["ordered_within_days"])))
    if "not_ordered_for_days" in f:
        where.append(s.last_order_gmt < now - timedelta(days=int(f["not_ordered_for_days"])))
    if "district" in f:
        where.append(s.district == f["district"])
    if "delivered_ratio_min" in f:  # delivered / (delivered + returned), in percent; no finished order: left out
        where.append(and_(s.delivered + s.returned > 0,
                          s.delivered * 100 >= f["delivered_ratio_min"] * (s.delivered + s.returned)))
    # a tag or a product bought: a probe of the kept table by its key (counts, a campaign's
    # phones, and the list when the other of the two drives it; `list_customers` walks the kept
    # table itself in the sort's order)
    if "tag" in f and driven_by != "tag":
        where.append(exists().where(CustomerTag.customer_id == s.customer_id, CustomerTag.tag == f["tag"],
                                    CustomerTag.site_id == site_id))
    if "product_id" in f and driven_by != "product_id":
        where.append(exists().where(CustomerProduct.customer_id == s.customer_id,
                                    CustomerProduct.product_id == f["product_id"], CustomerProduct.site_id == site_id))
    if "phone" in f:  # a whole number: the unique (site, phone) index; part of one: a scan of the shop's customers
        try:
            where.append(s.phone == normalise_phone(f["phone"]))
        except InvalidPhone:
            where.append(s.phone.like(f"%{f['phone'][-10:].lstrip('+')}%"))
    return where


# how the list may be sorted, each descending with ties broken by id: latest order first, biggest
# spenders, most orders. Each has an index (site, key, id), so a page — however deep — starts at
# its cursor in the index and reads `limit` rows.
SORTS = ("last_order", "spend", "orders")


def sort_key(sort: str):
    return {"last_order": CustomerStats.last_order_gmt, "spend": CustomerStats.spend, "orders": CustomerStats.orders}[sort]


def list_customers(site_id: int, filters: dict, *, sort: str = "last_order", cursor: str | None = None,
                   limit: int = PAGE_SIZE) -> dict:
    """A page of customers in the sort's order (keyset: the sort key, then id; never OFFSET, which
    reads and drops every row before the page), and the cursor of the next.

    Filtered by a tag or a product bought, the page walks that kept table's (site, tag or
    product, key, id) index instead — its rows carry copies of the customers' sort keys — and
    joins each customer by id: a page reads about `limit` rows however rare or common the tag or
    product is (probing customer_stats' order for a rare one read hundreds of rows per match;
    fetching all its customers and sorting them grew with the tag)."""
    s = CustomerStats
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    driver = "tag" if "tag" in f else "product_id" if "product_id" in f else None
    statement = select(s)
    if driver is None:
        key, customer_id = sort_key(sort), s.customer_id
    else:
        kept = CustomerTag if driver == "tag" else CustomerProduct
        key, customer_id = getattr(kept, sort_key(sort).key), kept.customer_id
        statement = statement.select_from(kept).join(s, s.customer_id == kept.customer_id).where(
            kept.site_id == site_id, (kept.tag == f["tag"]) if driver == "tag" else (kept.product_id == f["product_id"]))
    where = conditions(site_id, f, driven_by=driver)
    if cursor:  # a row value, so the (site, [tag | product,] key, id) index starts right there
        value, after = _read_cursor(cursor, sort)
        where.append(tuple_(key, customer_id) < tuple_(value, after))
    if driver is None and sort != "last_order" and RECENCY.intersection(f):
        # a last-order range by spend or by orders: the page's ids come from the (site, key, id)
        # index alone — it carries last_order_gmt — and only the page's rows are read. Walking it
        # and reading every row to test its last order read 22,000 rows for "no order for 180
        # days" by spend (the biggest spenders are the recent buyers); the index entries of those
        # rows are about 120 pages. An index-only scan needs the visibility map: customer_stats
        # is vacuumed often (migration 1080).
        page = (select(customer_id.label("id"), key.label("key")).where(*where)
                .order_by(key.desc(), customer_id.desc()).limit(limit + 1).subquery())
        statement = statement.join(page, page.c.id == s.customer_id)
        rows = db.session.execute(statement.order_by(page.c.key.desc(), page.c.id.desc())).scalars().all()
    else:
        rows = db.session.execute(statement.where(*where).order_by(key.desc(), customer_id.desc())
                                  .limit(limit + 1)).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"customers": rows, "next": _cursor_of(rows[-1], sort) if more and rows else None}


def _cursor_of(row: CustomerStats, sort: str) -> str:
    value = getattr(row, sort_key(sort).key)
    return f"{value.isoformat() if isinstance(value, datetime) else value}|{row.customer_id}"


def _read_cursor(cursor: str, sort: str):
    read = {"last_order": datetime.fromisoformat, "spend": Decimal, "orders": int}[sort]
    try:
        value, customer_id = cursor.split("|")
        value = read(value)
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(value)
        return value, int(customer_id)
    except (ValueError, ArithmeticError):
        raise ApiError(_("The page cursor is not valid."), code="validation_error", status=422,
                       details={"cursor": ["not valid"]}) from None


def segment_counts(site_id: int) -> dict:
    counts = dict(db.session.execute(select(CustomerStats.segment, func.count()).where(CustomerStats.site_id == site_id)
                                     .group_by(CustomerStats.segment)).all())
    return {name: counts.get(name, 0) for name in SEGMENTS}


def count(site_id: int, filters: dict) -> int:
    return db.session.execute(select(func.count()).select_from(CustomerStats)
                              .where(*conditions(site_id, filters))).scalar_one()


def phones_query(site_id: int, filters: dict):
    """The audience's phones (a campaign inserts them with INSERT ... SELECT)."""
    return select(CustomerStats.phone).where(*conditions(site_id, filters))


def saved_segments(site_id: int) -> list[SavedSegment]:
    return list(db.session.execute(select(SavedSegment).where(SavedSegment.site_id == site_id)
                                   .order_by(SavedSegment.name)).scalars())


def saved_segment(site_id: int, segment_id: int) -> SavedSegment | None:
    return db.session.execute(select(SavedSegment).where(SavedSegment.site_id == site_id,
                                                         SavedSegment.id == segment_id)).scalar_one_or_none()


def filters_of(segment: SavedSegment) -> dict:
    filters = json.loads(segment.filters or "{}")
    return {k: (Decimal(v) if k.startswith("spend") else v) for k, v in filters.items()}
