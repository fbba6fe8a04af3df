"""The desk's status tabs and their counts, and the statuses a row's menu offers.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from backend.abandoned.service import incomplete_count
from backend.database import on_postgresql
from backend.desk.fields import CORE_STATUSES, STATUS_RE
from backend.extensions import db
from backend.orders.models import Order, OrderStatusDelta


# (key, label, statuses): the desk's tabs. "incomplete" lists abandoned checkouts, not orders.
TABS = (
    ("all", _l("All"), ()),
    ("pending", _l("Pending"), ("pending",)),
    ("processing", _l("Processing"), ("processing",)),
    ("on-hold", _l("On hold"), ("on-hold",)),
    ("shipped", _l("Shipped"), ("shipped",)),
    ("completed", _l("Completed"), ("completed",)),
    ("returned", _l("Returned"), ("returned",)),
    ("cancelled", _l("Cancelled"), ("cancelled",)),
    ("incomplete", _l("Incomplete"), ()),
)
NOT_LISTED = ("checkout-draft",)  # as list_orders: a block-checkout draft is not an order yet


def status_counts(site_id: int) -> dict[str, int]:
    """Live (not deleted) orders per WooCommerce status. On PostgreSQL the sum of the rows the
    orders triggers appended (migration 0810): a handful of rows per shop and status, where a
    grouped count read a million index entries (160-250 ms in bench/order_list.py). Elsewhere
    (SQLite: development and tests) the grouped count itself."""
    if on_postgresql():
        rows = db.session.execute(
            select(OrderStatusDelta.status, func.sum(OrderStatusDelta.delta)).where(OrderStatusDelta.site_id == site_id)
            .group_by(OrderStatusDelta.status).having(func.sum(OrderStatusDelta.delta) != 0)).all()
    else:
        rows = db.session.execute(
            select(Order.status, func.count()).where(Order.site_id == site_id, Order.deleted_at.is_(None))
            .group_by(Order.status)).all()
    return {status: int(n) for status, n in rows}


def fold_status_counts() -> int:
    """The job: fold each shop's appended count rows into one row per status, so reading the
    counts stays a few rows. Rows appended while this runs are kept for the next run."""
    if not on_postgresql():
        return 0
    folded = db.session.execute(text("""
        WITH gone AS (DELETE FROM order_status_deltas RETURNING site_id, status, delta),
             kept AS (INSERT INTO order_status_deltas (site_id, status, delta)
                      SELECT site_id, status, sum(delta) FROM gone GROUP BY site_id, status HAVING sum(delta) <> 0
                      RETURNING 1)
        SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)""")).scalar_one()
    return int(folded)


def tab_counts(site_id: int, counts: dict[str, int] | None = None, *, incomplete: bool = True) -> dict[str, int]:
    """The number beside each tab. "all" is what the desk lists without a status filter."""
    counts = status_counts(site_id) if counts is None else counts
    tabs = {"all": sum(n for status, n in counts.items() if status not in NOT_LISTED)}
    for key, _label, statuses in TABS[1:-1]:
        tabs[key] = sum(counts.get(s, 0) for s in statuses)
    if incomplete:
        tabs["incomplete"] = incomplete_count(site_id)
    return tabs


def settable_statuses(counts: dict[str, int]) -> list[str]:
    """Every status a row's menu offers: WooCommerce's core statuses, then each custom status
    the shop's orders carry ("shipped", "returned"): those exist in the shop, so WooCommerce
    accepts them. A custom status no order carries yet is unknown here and not offered."""
    custom = sorted(s for s in counts if s not in CORE_STATUSES and s not in NOT_LISTED and STATUS_RE.match(s))
    return list(CORE_STATUSES) + custom
