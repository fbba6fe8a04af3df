"""The one way orders enter the read model, whichever path brought them (push event,
backfill page, reconciliation pull, a fetch after a partial event).

Rules:
- an order is keyed by (site_id, wc_id);
- a version older than the stored one (`date_modified_gmt`) is ignored; the same version
  again is a no-op (same content hash); an equal-time version with other content wins,
  because WooCommerce's clock has one-second resolution and the later copy we receive is
  at least as fresh — and reconciliation re-reads from WooCommerce, the source of truth;
- a tombstone (order deleted for good) yields only to a strictly newer version;
- work is set-based (one statement per table per batch), so a page of 100 orders costs a
  handful of queries; operations flush, the caller commits.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, update

from backend.database import in_list, insert_rows, update_rows, upsert_insert
from backend.extensions import db
from backend.orders import versions
from backend.orders.models import Customer, Order, OrderItem, Product
from backend.orders.signals import OrderChange, bulk_loaded, first_orders_moved, order_stored
from backend.orders.wire import ATTRIBUTION_META, NormalOrder, normalise_order, product_columns
from backend.clock import utcnow

APPLIED = "applied"          # the read model now holds this version
UNCHANGED = "unchanged"      # it already held exactly this version
IGNORED_OLDER = "ignored_older"  # it holds a newer version

DELETED_HASH = "deleted"
# columns an update may change; site_id and wc_id are the key, id stays
UPDATE_COLUMNS = (
    "number", "status", "excluded_from_sales", "currency", "total", "subtotal", "discount_total", "shipping_total",
    "total_tax", "refunded_total", "refunds", "click_source", "shipped_gmt", "delivered_gmt", "payment_method", "payment_method_title", "created_via", "wc_customer_id", "customer_id",
    "billing_name", "billing_phone", "phone", "billing_email", "billing_address", "billing_city", "billing_state",
    "district", "customer_note", *ATTRIBUTION_META.values(), "date_created_gmt", "date_modified_gmt",
    "date_paid_gmt", "date_completed_gmt", "content_hash", "deleted_at", "synced_at",
)


# --- writing ---------------------------------------------------------------------------------

def upsert_orders(site_id: int, orders: list[dict]) -> list[str]:
    """Store wc/v3 order dicts; one outcome per order (APPLIED, UNCHANGED, IGNORED_OLDER).
    Raises `wire.InvalidOrder` for the first malformed order; callers that must go on per item
    normalise first and call `upsert_normalised`."""
    return upsert_normalised(site_id, [normalise_order(order) for order in orders])


def _newer_version(incoming):
    """The upsert's condition: the incoming version is newer, or as new and different (and not deleted)."""
    table = Order.__table__
    return or_(table.c.date_modified_gmt < incoming.date_modified_gmt,
               and_(table.c.date_modified_gmt == incoming.date_modified_gmt, table.c.deleted_at.is_(None),
                    table.c.content_hash != incoming.content_hash))


def _only_time_moved(record: NormalOrder, old) -> bool:
    """Whether storing `record` over the stored order `old` would change nothing but its time
    (date_modified_gmt, synced_at): a newer version with the same content hash, whose customer
    is already linked and whose milestones the stored ones already give. The full upsert would
    write exactly that, and leave its items, customers, rollups and listeners as they are."""
    if old is None or old["deleted_at"] is not None or old["content_hash"] != record.values["content_hash"] \
            or not old["date_modified_gmt"] < record.modified:
        return False  # new, a tombstone, a changed order; or as old or older (UNCHANGED/IGNORED_OLDER below)
    if (old["customer_id"] is None) != (record.values["phone"] is None):
        return False  # a customer to make (or to unlink): the full path does it
    milestones = {"status": record.values["status"], "date_modified_gmt": record.modified,
                  "date_completed_gmt": record.values["date_completed_gmt"]}
    versions.carry_milestones(milestones, (old,))
    return (milestones["shipped_gmt"], milestones["delivered_gmt"]) == (old["shipped_gmt"], old["delivered_gmt"])


def _split(items: list, test) -> tuple[list, list]:
    """(the items that pass `test`, the others), each in the order given."""
    passed, failed = [], []
    for item in items:
        (passed if test(item) else failed).append(item)
    return passed, failed


def _older_stored(table, incoming):
    """The re-save's guard: only over an older stored time (the orders' locks already ensure it)."""
    return table.c.date_modified_gmt < incoming.c.date_modified_gmt


def upsert_normalised(site_id: int, records: list[NormalOrder], *, recount: bool = True,
                      rollups_now: bool = True) -> list[str]:
    """`recount=False` leaves customers' order counts, and `rollups_now=False` what listeners
    recompute from the stored orders (the dashboard's rollups; sent as `bulk_load`), to one
    `finish_bulk_load` at the end (a backfill writes thousands of pages; counting once is
    cheaper than per page, and halves the time a page takes). The orders whose content changed
    are announced in one `order_stored` for the batch."""
    if not records:
        return []
    connection = db.session.connection()  # Core statements: no ORM bookkeeping per page
    now = utcnow()
    # Several versions of one order in a batch: the newest (then the last sent) is the candidate.
    winner: dict[int, int] = {}
    for index, record in enumerate(records):
        best = winner.get(record.wc_id)
        if best is None or record.modified >= records[best].modified:
            winner[record.wc_id] = index
    chosen = sorted(winner.values(), key=lambda i: records[i].wc_id)  # one lock order for every writer
    outcomes = [IGNORED_OLDER] * len(records)
    versions.lock_orders(site_id, [records[i].wc_id for i in chosen])  # first, so every writer takes its locks in one order

    # The stored orders first, without their items: a version saved again with nothing we keep
    # changed (a note, a meta field: the same content hash, a newer time) only moves its time,
    # in one statement for the batch; the rest below is for the versions that may change more.
    stored_orders = versions.read_orders(site_id, [records[i].wc_id for i in chosen])
    resaved, chosen = _split(chosen, lambda i: _only_time_moved(records[i], stored_orders.get(records[i].wc_id)))
    if resaved:
        update_rows(Order.__table__, [{"id": stored_orders[records[i].wc_id]["id"], "date_modified_gmt": records[i].modified,
                                       "synced_at": now} for i in resaved], key="id", where=_older_stored)
        for i in resaved:
            outcomes[i] = APPLIED
        if not chosen:
            return outcomes
    wc_ids = [records[i].wc_id for i in chosen]

    # the stored versions, whole: listeners (the dashboard's rollups) move by (new − old)
    stored = versions.with_items({wc_id: stored_orders[wc_id] for wc_id in wc_ids if wc_id in stored_orders})
    before = {wc_id: version[0] for wc_id, version in stored.items()}
    # with their customers, whose counts a changed phone moves (locked with the others, in one order)
    customers = _ensure_customers(site_id, {records[i].values["phone"]: records[i].customer_name
                                            for i in chosen if records[i].values["phone"]}, now,
                                  also_lock={old["customer_id"] for old in before.values() if old["customer_id"]}
                                  if recount else ())

    rows = [{**records[i].values, "site_id": site_id, "customer_id": customers.get(records[i].values["phone"]),
             "synced_at": now} for i in chosen]
    for row in rows:
        versions.carry_milestones(row, stored.get(row["wc_id"]))
        versions.date_refunds(row, stored.get(row["wc_id"]))
    # The rows the upsert wrote are the versions that won. What it compared them with is
    # `before`: lock_orders keeps every other writer of these orders out until commit.
    written = {row.wc_id: row.id for row in insert_rows(
        Order.__table__, rows, conflict=("site_id", "wc_id"), update=UPDATE_COLUMNS, where=_newer_version,
        returning=("id", "wc_id"))}
    applied = {}  # wc_id → order id, for versions whose content changed (not only their time)
    for i in chosen:
        record, old = records[i], before.get(records[i].wc_id)
        if record.wc_id not in written:
            same = old is not None and (old["date_modified_gmt"], old["content_hash"]) == \
                (record.modified, record.values["content_hash"])
            outcomes[i] = UNCHANGED if same else IGNORED_OLDER
        else:
            outcomes[i] = APPLIED
            if old is None or old["content_hash"] != record.values["content_hash"]:
                applied[record.wc_id] = written[record.wc_id]
            # else saved again with nothing we keep changed: the upsert moved its time, and its
            # items, rollups, customer counts and checkouts stay as they are
    if applied:
        connection.execute(delete(OrderItem.__table__).where(in_list(OrderItem.order_id, applied.values())))
        item_rows = [{**item, "order_id": applied[records[i].wc_id], "site_id": site_id}
                     for i in chosen if records[i].wc_id in applied for item in records[i].items]
        if item_rows:
            insert_rows(OrderItem.__table__, item_rows)
        rows_by_wc_id = {row["wc_id"]: row for row in rows}
        order_stored.send(site_id, bulk_load=not rollups_now, changes=[
            OrderChange(records[i].wc_id, stored.get(records[i].wc_id),
                        (rows_by_wc_id[records[i].wc_id], records[i].items))
            for i in chosen if records[i].wc_id in applied])
        if recount:
            touched = {customers.get(records[i].values["phone"]) for i in chosen if records[i].wc_id in applied}
            touched |= {before[w]["customer_id"] for w in applied if w in before}
            recount_customers(touched)
    return outcomes


def delete_orders(site_id: int, deletions: list[tuple[int, datetime]]) -> list[str]:
    """WooCommerce deleted these orders for good: keep a tombstone (deleted_at) stamped with
    the deletion's time, so an older event arriving late cannot bring the order back."""
    now = utcnow()
    outcomes, touched = [], set()
    versions.lock_orders(site_id, [wc_id for wc_id, _when in deletions])
    stored, gone = versions.read_versions(site_id, {wc_id for wc_id, _when in deletions}), []
    for wc_id, when in deletions:
        result = db.session.execute(
            update(Order)
            .where(Order.site_id == site_id, Order.wc_id == wc_id, Order.date_modified_gmt <= when)
            .values(deleted_at=now, excluded_from_sales=True, date_modified_gmt=when, content_hash=DELETED_HASH,
                    synced_at=now)
            .returning(Order.customer_id)
        ).all()
        if result:
            touched.update(row.customer_id for row in result)
            outcomes.append(APPLIED)
            # a tombstone counts for nothing: listeners take back what the stored version gave
            gone.append(OrderChange(wc_id, stored.pop(wc_id, None), None))
            continue
        inserted = db.session.execute(
            upsert_insert(Order).values(
                site_id=site_id, wc_id=wc_id, number=str(wc_id), status="deleted", excluded_from_sales=True,
                total=0, subtotal=0, discount_total=0, shipping_total=0, total_tax=0, date_created_gmt=when,
                date_modified_gmt=when, content_hash=DELETED_HASH, deleted_at=now, synced_at=now,
            ).on_conflict_do_nothing(index_elements=[Order.site_id, Order.wc_id]).returning(Order.id)
        ).all()
        outcomes.append(APPLIED if inserted else IGNORED_OLDER)
    if gone:
        order_stored.send(site_id, bulk_load=False, changes=gone)
    recount_customers(touched)
    db.session.flush()
    return outcomes


def order_gone_message() -> str:
    """What the owner reads about an order WooCommerce no longer has (instead of its "Invalid ID.")."""
    return _("This order no longer exists in WooCommerce.")


def mark_missing(site_id: int, wc_ids) -> list[int]:
    """WooCommerce answered that it has no such orders: they were deleted for good without the
    hooks that tell Bikri (straight from the database, by another plugin). Each becomes a
    deletion as of now (a tombstone: gone from the desk's lists, its sales taken out of the
    dashboard, its customer recounted), or as of its stored version should the shop's clock
    run ahead of ours. Returns the ids marked. Flushes; the caller commits."""
    when = missing_since(site_id, wc_ids, stored_only=True)
    deletions = sorted(when.items())
    outcomes = delete_orders(site_id, deletions)
    return [wc_id for (wc_id, _when), outcome in zip(deletions, outcomes) if outcome == APPLIED]


def missing_since(site_id: int, wc_ids, *, stored_only: bool = False) -> dict[int, datetime]:
    """The time to stamp on the deletion of orders WooCommerce says it does not have: now, or
    the stored version's time should the shop's clock run ahead of ours (a deletion older than
    the stored version would not take). Only reads."""
    wc_ids = sorted({int(i) for i in wc_ids})
    if not wc_ids:
        return {}
    now = utcnow()
    stored = dict(db.session.execute(select(Order.wc_id, Order.date_modified_gmt).where(
        Order.site_id == site_id, in_list(Order.wc_id, wc_ids), Order.deleted_at.is_(None))).all())
    return {wc_id: max(now, stored[wc_id]) if wc_id in stored else now
            for wc_id in wc_ids if wc_id in stored or not stored_only}


def _ensure_customers(site_id: int, names_by_phone: dict, now: datetime, also_lock=()) -> dict[str, int]:
    """Customer ids by phone, creating the missing ones. Their rows, and those of `also_lock`
    (customer ids, e.g. an order's customer before its phone changed), are locked (PostgreSQL)
    until commit, so two writers counting one customer's orders take turns.

    All of them are locked in one statement, in id order, after the missing ones exist: a
    writer that locked its known customers first and a new one later could take them out of
    order and deadlock with another (seen with 8 workers applying events at once)."""
    phones = sorted(names_by_phone)
    if not phones and not also_lock:
        return {}
    connection = db.session.connection()
    known = set()
    if phones:
        known.update(connection.execute(select(Customer.phone).where(Customer.site_id == site_id,
                                                                       in_list(Customer.phone, phones))).scalars())
    missing = [phone for phone in phones if phone not in known]
    if missing:  # in phone order: two writers creating the same customers wait for each other in one order
        insert_rows(Customer.__table__, [{"site_id": site_id, "phone": phone, "name": names_by_phone[phone],
                                          "order_count": 0, "created_at": now} for phone in missing],
                    conflict=("site_id", "phone"))
    wanted = in_list(Customer.phone, phones) if phones else None
    if also_lock:
        ids = in_list(Customer.id, sorted(also_lock))
        wanted = ids if wanted is None else or_(wanted, ids)
    rows = connection.execute(select(Customer.id, Customer.phone).where(Customer.site_id == site_id, wanted)
                              .order_by(Customer.id).with_for_update())
    return {phone: customer_id for customer_id, phone in rows if phone in names_by_phone}


def recount_customers(customer_ids) -> None:
    """Order count and first/last order of these customers, from their orders that count as sales.
    A moved first order is announced (`first_orders_moved`: the new-customer rollup follows)."""
    ids = sorted(i for i in customer_ids if i)
    if ids:
        before = versions.first_orders(ids)
        first_orders_moved.send(None, before=before, after=_recount(ids=ids))


def finish_bulk_load(site_id: int, *, rebuild_rollups: bool = True) -> None:
    """After a backfill: every customer of the site counted at once, then `bulk_loaded`: the
    dashboard's rollups are rebuilt from the stored orders (events that came meanwhile
    included). With `rebuild_rollups=False` (no page was stored with `rollups_now=False`) only
    the new-customer rollup, which follows the count, is rebuilt."""
    versions.lock_site(site_id, exclusive=True)
    _recount(site_id=site_id)
    bulk_loaded.send(site_id, pages_skipped=rebuild_rollups)


def _recount(*, ids=None, site_id=None) -> dict:
    """Count these customers' (or a whole site's) sales in one pass over their orders: one
    aggregate joined in, not three lookups per customer. With `ids`, returns
    {customer id: (site id, first order time)} as it now stands."""
    customers, placed = Customer.__table__.alias("counted"), Order.__table__
    tally = (
        select(customers.c.id, func.count(placed.c.id).label("order_count"),
               func.min(placed.c.date_created_gmt).label("first"), func.max(placed.c.date_created_gmt).label("last"))
        .select_from(customers.outerjoin(placed, and_(placed.c.customer_id == customers.c.id,
                                                      placed.c.excluded_from_sales.is_(False))))
        .where(in_list(customers.c.id, ids) if ids is not None else customers.c.site_id == site_id)
        .group_by(customers.c.id)
        .subquery("tally")
    )
    table = Customer.__table__
    statement = update(table).where(table.c.id == tally.c.id).values(
        order_count=tally.c.order_count, first_order_gmt=tally.c.first, last_order_gmt=tally.c.last)
    if ids is None:
        db.session.connection().execute(statement)
        return {}
    return {row.id: (row.site_id, row.first_order_gmt) for row in db.session.connection().execute(
        statement.returning(table.c.id, table.c.site_id, table.c.first_order_gmt))}


def upsert_products(site_id: int, products: list[dict]) -> int:
    """Store wc/v3 product dicts (newer or equal versions win); returns how many were written."""
    now = utcnow()
    rows = {}
    for product in products:
        row = product_columns(product)
        rows[row["wc_id"]] = {"site_id": site_id, **row, "synced_at": now}
    if not rows:
        return 0
    statement = upsert_insert(Product).values([rows[k] for k in sorted(rows)])
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[Product.site_id, Product.wc_id],
        set_={c: excluded[c] for c in ("name", "sku", "type", "status", "price", "stock_status", "stock_quantity",
                                       "date_modified_gmt", "synced_at")},
        where=or_(Product.date_modified_gmt.is_(None), excluded.date_modified_gmt.is_(None),
                  Product.date_modified_gmt <= excluded.date_modified_gmt),
    )
    return db.session.execute(statement).rowcount


def orders_stored(site_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(Order).where(Order.site_id == site_id, Order.deleted_at.is_(None))
    ).scalar_one()
