"""What sold, for inventory: each item's last sale (aging) and its units sold per Dhaka day,
with the 30 days' total that days of cover read (low stock), kept from `order_stored`."""
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update

from backend.database import in_list, upsert_insert
from backend.extensions import db
from backend.inventory.models import InventorySettings, ItemSalesDay, StockItem
from backend.orders.models import Order, OrderItem
from backend.clock import dhaka_today, in_dhaka


SALES_WINDOW_DAYS = 30
# orders that are not sales, as the dashboard counts them: their lines take back what they sold
NOT_SOLD = frozenset({"pending", "failed", "cancelled", "refunded", "returned"})


# --- last sale ------------------------------------------------------------------------

def fill_last_sold(site_id: int, item_ids: list[int]) -> None:
    """Items stored for the first time: their last sale from the orders already stored (one
    grouped query per kind and 500 items)."""
    items = db.session.execute(select(StockItem.wc_id, StockItem.parent_wc_id).where(in_list(StockItem.id, item_ids))).all()
    sales = []
    for column, wanted in ((OrderItem.product_id, [i.wc_id for i in items if not i.parent_wc_id]),
                           (OrderItem.variation_id, [i.wc_id for i in items if i.parent_wc_id])):
        for start in range(0, len(wanted), 500):
            sales += db.session.execute(
                select(column, func.max(Order.date_created_gmt)).select_from(OrderItem)
                .join(Order, Order.id == OrderItem.order_id)
                .where(OrderItem.site_id == site_id, in_list(column, wanted[start:start + 500]),
                       Order.deleted_at.is_(None), Order.excluded_from_sales.is_(False))
                .group_by(column)).all()
    record_sales(site_id, [(wc_id, last) for wc_id, last in sales])


def follow_orders(site_id: int, changes) -> None:
    """Orders stored (the order_stored listener): their items' last sale moves forward, and the
    units sold per item and day move by what each order counted before and counts now (a
    cancellation, refund, return or deletion takes its units back)."""
    sales, units = [], {}
    for change in changes:
        if change.new is not None and not change.new[0].get("excluded_from_sales") and not _sold_before(change):
            created = change.new[0].get("date_created_gmt")
            sales += [(wc_id, created) for item in change.new[1] for wc_id in _item_ids(item)]
        for version, sign in ((change.old, -1), (change.new, 1)):
            if version is None or not counts_as_sold(version[0]):
                continue
            day = in_dhaka(version[0]["date_created_gmt"]).date()
            for item in version[1]:
                for wc_id in _item_ids(item):
                    units[(wc_id, day)] = units.get((wc_id, day), 0) + sign * int(item.get("quantity") or 0)
    record_sales(site_id, sales)
    move_units_sold(site_id, units)


def _sold_before(change) -> bool:
    """The stored version already sold these items at this time (a status change, a refund):
    its own change moved their last sale, which never moves back, so this one cannot."""
    old, new = change.old, change.new
    return (old is not None and not old[0].get("excluded_from_sales") and old[0].get("deleted_at") is None
            and old[0].get("date_created_gmt") == new[0].get("date_created_gmt")
            and {i for item in old[1] for i in _item_ids(item)} >= {i for item in new[1] for i in _item_ids(item)})


def _item_ids(item) -> set[int]:
    """An order line sells its product and, for a variable product, its variation."""
    return {wc_id for wc_id in (item.get("product_id"), item.get("variation_id")) if wc_id}


def counts_as_sold(order) -> bool:
    return (order.get("date_created_gmt") is not None and not order.get("excluded_from_sales")
            and order.get("deleted_at") is None and order.get("status") not in NOT_SOLD)


def move_units_sold(site_id: int, units: dict[tuple[int, date], int]) -> None:
    """Add {(wc id, day): units} to the units sold per day, in key order (concurrent writers
    take the rows' locks in the same order)."""
    rows = [{"site_id": site_id, "wc_id": wc_id, "day": day, "quantity": quantity}
            for (wc_id, day), quantity in sorted(units.items()) if quantity]
    if not rows:
        return
    statement = upsert_insert(ItemSalesDay).values(rows)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[ItemSalesDay.site_id, ItemSalesDay.wc_id, ItemSalesDay.day],
        set_={"quantity": ItemSalesDay.quantity + statement.excluded.quantity}))
    # and the items' 30 days' sums, for the days their sum holds (the days before leave it at the roll)
    start = sales_window_start()
    recent = [{"site": site_id, "item": row["wc_id"], "day": row["day"], "units": row["quantity"]}
              for row in rows if row["day"] >= start]
    if recent:
        items = StockItem.__table__
        db.session.execute(items.update().where(
            items.c.site_id == bindparam("site"), items.c.wc_id == bindparam("item"), items.c.sold_since <= bindparam("day"))
            .values(units_sold_30=items.c.units_sold_30 + bindparam("units")), recent)


def sales_window_start() -> date:
    """The first (Dhaka) day of the last 30, today included."""
    return dhaka_today() - timedelta(days=SALES_WINDOW_DAYS - 1)


def units_sold_since(start: date):
    return func.coalesce(select(func.sum(ItemSalesDay.quantity)).where(
        ItemSalesDay.site_id == StockItem.site_id, ItemSalesDay.wc_id == StockItem.wc_id, ItemSalesDay.day >= start)
        .scalar_subquery(), 0)


def roll_sales_window(site_id: int) -> int:
    """The shop's items whose 30 days began before today's 30: summed again from the units sold
    per day (at most 30 rows each). Their rows are locked first, so an order stored meanwhile
    either committed before the sum is read or adds its units after it."""
    start = sales_window_start()
    stale = and_(StockItem.site_id == site_id, or_(StockItem.sold_since.is_(None), StockItem.sold_since < start))
    if not db.session.execute(select(StockItem.id).where(stale).with_for_update()).first():
        return 0
    return db.session.execute(update(StockItem).where(stale).values(
        units_sold_30=units_sold_since(start), sold_since=start).execution_options(synchronize_session=False)).rowcount


def shops_with_windows_to_roll() -> list[int]:
    """The hourly job's shops (each shop's roll is its own task, committed at its end, so a
    shop's rows are locked only while its own are moved): those with an item whose 30 days
    began before today's."""
    start = sales_window_start()
    stale = select(StockItem.id).where(StockItem.site_id == InventorySettings.site_id,
                                       or_(StockItem.sold_since.is_(None), StockItem.sold_since < start))
    return list(db.session.execute(select(InventorySettings.site_id).where(stale.exists())
                                   .order_by(InventorySettings.site_id)).scalars())


def record_sales(site_id: int, sales: list[tuple[int, datetime]]) -> None:
    """(product or variation id, order time) pairs move those items' last sale forward."""
    sold = {}
    for wc_id, created in sales:
        if wc_id and created and (wc_id not in sold or sold[wc_id] < created):
            sold[wc_id] = created
    if not sold:
        return
    items = StockItem.__table__
    db.session.execute(items.update().where(
        items.c.site_id == bindparam("site"), items.c.wc_id == bindparam("item"),
        or_(items.c.last_sold_at.is_(None), items.c.last_sold_at < bindparam("at")))
        .values(last_sold_at=bindparam("at")),  # one statement for the batch, in item order
        [{"site": site_id, "item": wc_id, "at": created} for wc_id, created in sorted(sold.items())])
