"""What inventory keeps instead of reading every row (issue 23): the aging report's totals per day
of the last sale (kept by triggers on PostgreSQL) and the units sold per item and day (kept from
order_stored). Each is held, after random changes, to a recomputation from the raw rows."""
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from hypothesis import strategies as st
from sqlalchemy import select

from backend.extensions import db
from backend.inventory import aging, product_sync, sales
from backend.inventory.models import ItemSalesDay, StockItem
from backend.jobs.runner import every_shop
from backend.jobs.table import JOBS_BY_NAME
from backend.orders.models import Order, OrderItem
from backend.orders.service import delete_orders, upsert_orders
from backend.clock import in_dhaka, utcnow
from tests.properties import database_property

PRODUCTS = (701, 702, 703)  # 703 is a variable product: its variations 704 and 705
VARIATIONS = {704: 703, 705: 703}
STATUSES = ("processing", "completed", "cancelled", "refunded", "on-hold", "pending", "returned", "trash")


def _stamp(when):
    return when.strftime("%Y-%m-%dT%H:%M:%S")


# --- the aging totals ---------------------------------------------------------------------

def recomputed_aging(site_id: int) -> Counter:
    """{(day or None, "items"|"units"|"value"): total} from the stock_items rows, in Python."""
    totals = Counter()
    for item in db.session.execute(select(StockItem).where(StockItem.site_id == site_id)).scalars():
        if item.deleted_at is not None or not item.stock_quantity or item.stock_quantity <= 0 or item.type == "variable":
            continue
        day = None if item.last_sold_at is None else in_dhaka(item.last_sold_at).date()
        unit = item.cost_price if item.cost_price is not None else (item.price or Decimal(0))
        totals[(day, "items")] += 1
        totals[(day, "units")] += item.stock_quantity
        totals[(day, "value")] += int(unit * 100) * item.stock_quantity
    return +totals


def kept_aging(site_id: int) -> Counter:
    totals = Counter()
    for day, items, units, value in aging.aging_days(site_id):
        totals.update({(day, "items"): items, (day, "units"): units, (day, "value"): value})
    return +totals


item_change = st.fixed_dictionaries({
    "wc_id": st.sampled_from((*PRODUCTS, *VARIATIONS)),
    "how": st.sampled_from(("upsert", "stock_event", "delete_event", "sold", "remove")),
    "quantity": st.one_of(st.none(), st.integers(-3, 40)),
    "price": st.sampled_from(("", "99.99", "120", "0.5")),
    "cost": st.sampled_from((None, "40.25", "61")),
    "days_ago": st.integers(0, 200),
})


@database_property(15, changes=st.lists(item_change, min_size=1, max_size=12))
def test_aging_totals_stay_the_sums_of_the_items(app, shop, changes):
    now = utcnow()
    with app.app_context():
        for n, change in enumerate(changes):
            wc_id, version = change["wc_id"], product_sync.version_of(now) + n + 1
            parent = VARIATIONS.get(wc_id)
            if change["how"] == "upsert":
                body = {"id": wc_id, "name": f"P{wc_id}", "type": "variable" if wc_id == 703 else "simple",
                        "manage_stock": True, "stock_quantity": change["quantity"], "price": change["price"],
                        "date_modified_gmt": _stamp(now + timedelta(seconds=n)),
                        "meta_data": [{"key": "_wc_cog_cost", "value": change["cost"]}] if change["cost"] else []}
                row = product_sync.normalise_item(body, {"id": parent, "name": "Parent"} if parent else None)
                product_sync.upsert_items(shop.site_id, [{**row, "stock_version": version}])
            elif change["how"] in ("stock_event", "delete_event") and not db.session.execute(select(StockItem.id).where(
                    StockItem.site_id == shop.site_id, StockItem.wc_id == wc_id)).first():
                continue  # an item not stored yet is read from WooCommerce (another test)
            elif change["how"] == "stock_event":
                product_sync.apply_stock_events(shop.site_id, [{"product_id": wc_id, "stock_quantity": change["quantity"],
                                                           "manage_stock": True, "version": version}])
            elif change["how"] == "delete_event":
                product_sync.apply_events(shop.site_id, [{"idempotency_key": f"d{n}", "type": "deleted", "product_id": wc_id,
                                                     "version": version}])
            elif change["how"] == "sold":
                sales.record_sales(shop.site_id, [(wc_id, now - timedelta(days=change["days_ago"]))])
            else:
                db.session.execute(StockItem.__table__.delete().where(StockItem.site_id == shop.site_id,
                                                                      StockItem.wc_id == wc_id))
        db.session.flush()
        assert kept_aging(shop.site_id) == recomputed_aging(shop.site_id)
        db.session.commit()
        aging.fold_aging_totals()
        assert kept_aging(shop.site_id) == recomputed_aging(shop.site_id)
        report = aging.aging(shop.site_id)
        db.session.commit()
    with app.app_context():
        raw = recomputed_aging(shop.site_id)
    assert sum(b["items"] for b in report["buckets"]) == sum(v for (_d, kind), v in raw.items() if kind == "items")
    assert sum(b["value"] for b in report["buckets"]) == Decimal(sum(v for (_d, kind), v in raw.items() if kind == "value")) / 100


# --- units sold per item and day ------------------------------------------------------------

def recomputed_sales(site_id: int) -> dict:
    """{(wc id, Dhaka day): units} from the orders and their lines as stored."""
    units = Counter()
    for order, line in db.session.execute(select(Order, OrderItem).join(OrderItem, OrderItem.order_id == Order.id)
                                          .where(Order.site_id == site_id)):
        if order.deleted_at is not None or order.excluded_from_sales or order.status in sales.NOT_SOLD:
            continue
        for wc_id in {line.product_id, line.variation_id} - {0, None}:
            units[(wc_id, in_dhaka(order.date_created_gmt).date())] += line.quantity
    return {key: value for key, value in units.items() if value}


def kept_sales(site_id: int) -> dict:
    return {(row.wc_id, row.day): row.quantity for row in db.session.execute(
        select(ItemSalesDay).where(ItemSalesDay.site_id == site_id)).scalars() if row.quantity}


order_change = st.fixed_dictionaries({
    "order": st.integers(1, 6),
    "status": st.sampled_from(STATUSES),
    "days_ago": st.integers(0, 45),
    "lines": st.lists(st.tuples(st.sampled_from((701, 702, 704, 705)), st.integers(1, 5)), min_size=1, max_size=3),
    "delete": st.booleans(),
})


@database_property(15, changes=st.lists(order_change, min_size=1, max_size=10))
def test_units_sold_per_day_follow_the_orders(app, shop, changes):
    """(The examples share the shop: each compares everything stored, whatever came before.)"""
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        _store_items(shop.site_id)  # (products stored before or after their orders: see test_inventory)
        for n, change in enumerate(changes):
            modified = now + timedelta(seconds=n + 1)
            if change["delete"]:
                delete_orders(shop.site_id, [(change["order"], modified)])
                continue
            created = now - timedelta(days=change["days_ago"], hours=change["order"])
            lines = [{"id": change["order"] * 100 + i, "name": "Saree", "quantity": quantity, "price": "10", "subtotal": "10",
                      "total": "10", "product_id": VARIATIONS.get(wc_id, wc_id), "variation_id": wc_id if wc_id in VARIATIONS else 0}
                     for i, (wc_id, quantity) in enumerate(change["lines"])]
            upsert_orders(shop.site_id, [{"id": change["order"], "status": change["status"], "total": "10",
                                          "date_created_gmt": _stamp(created), "date_modified_gmt": _stamp(modified),
                                          "billing": {"first_name": "Rahim", "phone": "01711234567"}, "line_items": lines}])
        db.session.commit()
        raw = recomputed_sales(shop.site_id)
        assert kept_sales(shop.site_id) == raw
        # and each item's 30 days' sum, which days of cover read
        start = sales.sales_window_start()
        for item in db.session.execute(select(StockItem).where(StockItem.site_id == shop.site_id)).scalars():
            assert item.sold_since == start
            assert item.units_sold_30 == sum(units for (wc_id, day), units in raw.items() if wc_id == item.wc_id and day >= start)


def test_a_day_leaving_the_30_days_is_summed_out(app, shop):
    """The hourly roll: an item whose 30 days began before today's is summed again from the days."""
    with app.app_context():
        _store_items(shop.site_id)
        start = sales.sales_window_start()
        db.session.add_all([ItemSalesDay(site_id=shop.site_id, wc_id=701, day=start - timedelta(days=1), quantity=5),
                            ItemSalesDay(site_id=shop.site_id, wc_id=701, day=start, quantity=2)])
        db.session.execute(StockItem.__table__.update().where(StockItem.site_id == shop.site_id, StockItem.wc_id == 701)
                           .values(sold_since=start - timedelta(days=1), units_sold_30=7))
        db.session.commit()
        assert sales.shops_with_windows_to_roll() == [shop.site_id]
        assert every_shop(JOBS_BY_NAME["roll_sales_windows"]) == {shop.site_id: 1}
        item = db.session.execute(select(StockItem).where(StockItem.site_id == shop.site_id, StockItem.wc_id == 701)).scalar_one()
        assert (item.units_sold_30, item.sold_since) == (2, start)
        assert sales.roll_sales_window(shop.site_id) == 0  # nothing left to move today
        assert sales.shops_with_windows_to_roll() == []


def _store_items(site_id):
    product_sync.upsert_items(site_id, [product_sync.normalise_item(
        {"id": wc_id, "name": f"P{wc_id}", "manage_stock": True, "stock_quantity": 50, "price": "10",
         "date_modified_gmt": "2026-01-01T00:00:00"}, {"id": VARIATIONS[wc_id], "name": "Parent"} if wc_id in VARIATIONS else None)
        for wc_id in (701, 702, 704, 705)])
