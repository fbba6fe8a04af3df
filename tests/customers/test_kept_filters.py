"""The filters by tag and by product bought walk kept tables (customer_tags with copies of the
customer's sort keys, customer_products): after random order streams and tag edits they equal
a recomputation from the raw orders, a rebuild gives the same rows, and every sort's page walk
through them gives exactly the matching customers once, in the order the raw rows sort to."""
import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from backend.customers import segments, service, stats
from backend.customers.models import CustomerProduct, CustomerStats, CustomerTag
from backend.database import on_postgresql
from backend.extensions import db
from backend.orders.service import delete_orders, upsert_orders
from backend.clock import utcnow
from tests.customers.test_customers import customer_orders, order, wc
from tests.dashboard.test_widgets import BASE, PHONES, history
from tests.properties import SEEDS, database_property, new_shop

KEYS = ("last_order_gmt", "spend", "orders")


def kept(site_id):
    products = sorted((r.customer_id, r.product_id, r.last_order_gmt, r.spend, r.orders) for r in db.session.execute(
        select(CustomerProduct).where(CustomerProduct.site_id == site_id)).scalars())
    tags = sorted((r.customer_id, r.tag, r.last_order_gmt, r.spend, r.orders) for r in db.session.execute(
        select(CustomerTag).where(CustomerTag.site_id == site_id)).scalars())
    return products, tags


def bought_from_raw(final) -> dict[str, set]:
    """Per phone, the products of its sales orders (not drafts, trash or deleted), from the raw orders."""
    out = {}
    for phone, o in customer_orders(final):
        out.setdefault(phone, set()).update(line["product_id"] for line in o.get("line_items", []))
    return out


def check_against_raw(site_id, final):
    customers = {r.customer_id: r for r in db.session.execute(
        select(CustomerStats).where(CustomerStats.site_id == site_id)).scalars()}
    keys = {i: tuple(getattr(r, k) for k in KEYS) for i, r in customers.items()}
    products, tags = kept(site_id)
    want = bought_from_raw(final)
    by_phone = {r.phone: i for i, r in customers.items()}
    assert {(c, p) for c, p, *_ in products} == {(by_phone[phone], p) for phone, ps in want.items() for p in ps}
    for customer_id, _product, *copied in products:
        assert tuple(copied) == keys[customer_id]
    for customer_id, _tag, *copied in tags:
        assert tuple(copied) == keys.get(customer_id, (None, None, None))
    return customers


def walk(site_id, filters, sort, limit=2):
    seen, cursor = [], None
    while True:
        page = segments.list_customers(site_id, filters, sort=sort, cursor=cursor, limit=limit)
        seen += [row.customer_id for row in page["customers"]]
        cursor = page["next"]
        if not cursor:
            return seen


def check_walks(site_id, customers, final):
    bought = bought_from_raw(final)
    tagged = {}
    for customer_id, tag in db.session.execute(select(CustomerTag.customer_id, CustomerTag.tag)
                                               .where(CustomerTag.site_id == site_id)):
        tagged.setdefault(tag, set()).add(customer_id)
    cases = [({"product_id": p}, lambda r, p=p: p in bought.get(r.phone, ())) for p in (11, 12, 13, 14, 99)]
    cases += [({"tag": t}, lambda r, t=t: r.customer_id in tagged.get(t, ())) for t in ("vip", "eid", "none")]
    cases += [({"tag": "vip", "product_id": 12}, lambda r: r.customer_id in tagged.get("vip", ()) and 12 in bought.get(r.phone, ())),
              ({"tag": "eid", "orders_min": 2}, lambda r: r.customer_id in tagged.get("eid", ()) and r.orders >= 2)]
    for sort in segments.SORTS:
        key = segments.sort_key(sort).key
        for filters, matches in cases:
            want = [r.customer_id for r in sorted((r for r in customers.values() if matches(r)),
                                                  key=lambda r: (getattr(r, key), r.customer_id), reverse=True)]
            assert walk(site_id, filters, sort) == want, (filters, sort)
            assert segments.count(site_id, filters) == len(want)


def tag_some(rng, site_id):
    ids = db.session.execute(select(CustomerStats.customer_id).where(CustomerStats.site_id == site_id)).scalars().all()
    for customer_id in ids:
        if rng.random() < 0.6:
            service.set_tags(site_id, customer_id, rng.sample(["vip", "eid", "cod"], rng.randint(0, 2)))


@database_property(15, seed=SEEDS)
def test_kept_tables_equal_raw_orders_a_rebuild_and_the_walks(app, make_shop, seed):
    rng = random.Random(seed)
    shop = new_shop(make_shop, "kept-filters")
    with app.app_context():
        final = history(seed, shop.site_id)
        tag_some(rng, shop.site_id)  # tags set before the later versions: their copies must follow
        later = wc(BASE + timedelta(days=60))
        for wc_id, o in list(final.items()):  # newer versions: another phone, product or status
            if o is not None and rng.random() < 0.4:
                final[wc_id] = dict(o, date_modified_gmt=later, status=rng.choice(["processing", "completed", "trash"]),
                                    billing={"first_name": "Test", "phone": rng.choice(PHONES)},
                                    line_items=[dict(o["line_items"][0], product_id=rng.choice([11, 12, 13, 14]))])
                upsert_orders(shop.site_id, [final[wc_id]])
        for wc_id in range(100, 100 + rng.randint(0, 4)):  # new orders of new and known phones
            final[wc_id] = order(wc_id, rng.choice(PHONES[:2] + ["01711000077"]), product=rng.choice([12, 99]),
                                 days_ago=rng.randint(0, 9))
            upsert_orders(shop.site_id, [final[wc_id]])
        db.session.commit()
        customers = check_against_raw(shop.site_id, final)
        check_walks(shop.site_id, customers, final)
        incremental = kept(shop.site_id)
        stats.rebuild_site(shop.site_id)
        assert kept(shop.site_id) == incremental


def test_products_and_keys_follow_line_items_phone_moves_and_deletions(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01711000001", product=11, total="500.00", days_ago=3),
                                     order(2, "01711000002", product=12, total="900.00", days_ago=2)])
        one = service.customer_by_phone(shop.site_id, "+8801711000001").customer_id
        service.set_tags(shop.site_id, one, ["vip"])
        db.session.commit()
        assert [r.customer_id for r in segments.list_customers(shop.site_id, {"product_id": 11})["customers"]] == [one]
        # the order's line item changes product; then the order moves to the other phone
        later = wc(utcnow())
        upsert_orders(shop.site_id, [dict(order(1, "01711000001", product=13, total="700.00", days_ago=3),
                                          date_modified_gmt=later)])
        db.session.commit()
        assert segments.list_customers(shop.site_id, {"product_id": 11})["customers"] == []
        assert [r.customer_id for r in segments.list_customers(shop.site_id, {"product_id": 13})["customers"]] == [one]
        tag = db.session.execute(select(CustomerTag).execution_options(populate_existing=True)).scalar_one()
        assert (tag.spend, tag.orders) == (700, 1)
        upsert_orders(shop.site_id, [dict(order(1, "01711000002", product=13, total="700.00", days_ago=3),
                                          date_modified_gmt=wc(utcnow() + timedelta(seconds=5)))])
        db.session.commit()
        two = service.customer_by_phone(shop.site_id, "+8801711000002")
        assert service.customer_by_phone(shop.site_id, "+8801711000001") is None
        tag = db.session.execute(select(CustomerTag).execution_options(populate_existing=True)).scalar_one()  # the tagged customer has no order left
        assert (tag.last_order_gmt, tag.spend, tag.orders) == (None, None, None)
        assert segments.list_customers(shop.site_id, {"tag": "vip"})["customers"] == []
        assert [r.customer_id for r in segments.list_customers(shop.site_id, {"product_id": 13})["customers"]] == [two.customer_id]
        delete_orders(shop.site_id, [(1, utcnow() + timedelta(minutes=1))])
        db.session.commit()
        assert segments.list_customers(shop.site_id, {"product_id": 13})["customers"] == []
        assert db.session.execute(select(CustomerProduct.product_id)).scalars().all() == [12]


def list_plan(site_id: int, filters: dict, sort: str) -> str:
    """PostgreSQL's plan for the page query the customer list runs (its last statement)."""
    from sqlalchemy import event

    captured = []
    listen = lambda conn, cursor, statement, params, context, many: captured.append((statement, params))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        segments.list_customers(site_id, filters, sort=sort, limit=5)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    statement, params = captured[-1]
    connection = db.session.connection().connection.driver_connection
    return "\n".join(row[0] for row in connection.execute("EXPLAIN " + statement, params).fetchall())


@pytest.mark.parametrize("sort", segments.SORTS)
@pytest.mark.parametrize("filters", [{"tag": "vip"}, {"product_id": 11}, {"segment": "new"}])
def test_the_list_walks_the_kept_tables_index_in_the_sorts_order(app, shop, sort, filters):
    """PostgreSQL: the page is an index walk of the kept table (or of the segment's index) in the
    sort's order (no sort node, no scan of every matching customer), stopping after the page."""
    with app.app_context():
        if not on_postgresql():
            pytest.skip("the plan is PostgreSQL's")
        upsert_orders(shop.site_id, [order(i, f"0171100{i:04d}", product=11 if i % 2 else 12, days_ago=i % 40)
                                     for i in range(1, 121)])
        for row in db.session.execute(select(CustomerStats).where(CustomerStats.site_id == shop.site_id)).scalars():
            service.set_tags(shop.site_id, row.customer_id, ["vip"] if row.customer_id % 3 else [])
        db.session.commit()
        db.session.execute(text("ANALYZE customer_stats, customer_tags, customer_products"))
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: the plan a big shop gets
        plan = list_plan(shop.site_id, filters, sort)
        index = {"last_order": "last", "spend": "spend", "orders": "orders"}[sort]
        index = {"tag": "ix_customer_tags_site_tag_", "product_id": "ix_customer_products_site_product_",
                 "segment": "ix_customer_stats_site_segment_"}[next(iter(filters))] + index
        assert re.search(f"Index (Only )?Scan Backward using {index} ", plan), plan
        assert "Sort" not in plan, plan


@pytest.mark.parametrize("sort", ["spend", "orders"])
@pytest.mark.parametrize("filters", [{"not_ordered_for_days": 5}, {"ordered_within_days": 30}])
def test_a_last_order_filter_by_spend_or_orders_is_tested_in_the_index(app, shop, sort, filters):
    """PostgreSQL: the page's ids come from an index-only walk of (site, key, id) INCLUDE
    (last_order_gmt) in the sort's order (the customers it skips are not read), and only the
    page's rows are fetched; the pages still give every matching customer once, in order."""
    with app.app_context():
        if not on_postgresql():
            pytest.skip("the plan is PostgreSQL's")
        upsert_orders(shop.site_id, [order(i, f"0171100{i:04d}", total=f"{100 + i * 7 % 50}.00", days_ago=i % 40)
                                     for i in range(1, 121)])
        db.session.commit()
        db.session.execute(text("ANALYZE customer_stats"))
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: the plan a big shop gets
        db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
        plan = list_plan(shop.site_id, filters, sort)
        assert re.search(f"Index Only Scan Backward using ix_customer_stats_site_{sort}_id ", plan), plan
        # the only sorts are of the page's rows (the ids' subquery, anon_1), never of the customers it skips
        assert all(line.split("Sort Key:")[1].strip().startswith("anon_1.")
                   for line in plan.splitlines() if "Sort Key" in line), plan
        customers = db.session.execute(select(CustomerStats).where(CustomerStats.site_id == shop.site_id)).scalars()
        matches = [r for r in customers if segments.count(shop.site_id, dict(filters, phone=r.phone))]
        key = segments.sort_key(sort).key
        want = [r.customer_id for r in sorted(matches, key=lambda r: (getattr(r, key), r.customer_id), reverse=True)]
        assert walk(shop.site_id, filters, sort, limit=7) == want
        assert 0 < len(want) < 120
