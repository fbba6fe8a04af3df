"""Benchmark: the dashboard's widgets on a store of 1,000,000 orders (PostgreSQL or SQLite), and
what keeping the rollups current costs the order upsert.

How the store is made (say it plainly, it matters for the figures):
- 1,000,000 orders over two years, 60,000 customers, 2,000 products are bulk-loaded with
  SQL (generate_series) straight into `orders`, `customers`, `products` — not through the
  upsert, which would take far longer than this benchmark's budget. Line items are not
  stored (no widget reads them); 1–2 products per order are drawn in SQL for the product rollup.
- The rollups are then built with SQL GROUP BYs that mirror backend/dashboard/rollups.py's
  contributions (the tests prove the Python upsert path equals its own rebuild; this SQL is
  the benchmark's shortcut to the same row counts and shapes).
- SQLite (--db sqlite): the same store is generated in Python (same proportions) and written
  with executemany in one transaction on a loader connection with synchronous=OFF and a large
  cache (the generator's PRAGMAs only; the app keeps its own WAL/NORMAL settings); the rollups
  are the same GROUP BYs in SQLite's dialect, with rollups.referrer_host registered as an SQL
  function so the referrer hosts are the app's own.
- D12's data: three costs a day and 400,000 parcels (two-fifths of the orders) over two years,
  bulk-inserted likewise; the parcel rollup is filled with the GROUP BY migration 0730 uses.
- Widgets are timed through the real Flask app (test client, embed session header, JSON
  rendering included), each range several times; p95 per widget and for the whole page
  (all widgets one after another, as a browser would see the slowest case).
- Ingest cost: the real upsert, in-process, batches of 50 sandbox orders (new, then updated),
  with rollups and with the rollup hooks switched off; and courier status answers through
  couriers.apply_status as a poll applies them, with and without the parcel rollup.

    .venv/bin/python bench/dashboard.py              # 1,000,000 orders, PostgreSQL
    .venv/bin/python bench/dashboard.py --db sqlite  # the same on SQLite (target ≤ 200 ms)
    .venv/bin/python bench/dashboard.py --orders 200000 --repeat 10
    .venv/bin/python bench/dashboard.py --orders 20000 --parcels-only  # the courier answers alone
"""
import argparse
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import PG, cpu_mark, cpu_since, loadavg, throwaway_database, verdict  # noqa: E402

TARGET_P95_MS = {"postgresql": 100.0, "sqlite": 200.0}
WIDGETS = ["sales", "sources", "cycle", "statuses", "products", "amounts", "returning", "customers", "ads", "recent",
           "target", "profit", "cash", "costs", "sales-wc"]
# timed on their own, left out of the page's sum: the page shows one basis at a time
QUERIES = {"sales-wc": ("sales", "&basis=woocommerce")}


# rollups.contributions' delivered revenue of one order, in SQL
DELIVERED_REVENUE = "CASE WHEN delivered_gmt IS NOT NULL THEN total - refunded_total ELSE 0 END"
# the campaigns' ad spend (D11, the profit widget): three campaigns, a week a row, over two years
AD_CAMPAIGNS = (("eid_sale_1", 5000), ("brand", 6000), ("boishakh", 7000))


def p95(samples):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _runner(connection):
    # psycopg reads % as a placeholder even without parameters; the SQL here uses it as modulo
    return lambda sql: connection.exec_driver_sql(sql.replace("%", "%%"))


def load_store(connection, site_id: int, orders: int, customers: int, products: int) -> None:
    run = _runner(connection)
    run("SELECT setseed(0.42)")
    run(f"""INSERT INTO products (site_id, wc_id, name, sku, type, status, price, synced_at)
            SELECT {site_id}, g, 'Product ' || g, 'SKU-' || g, 'simple', 'publish', 100 + (g % 50) * 50, now()
            FROM generate_series(1, {products}) g""")
    run(f"""INSERT INTO customers (site_id, phone, name, order_count, created_at)
            SELECT {site_id}, '+88017' || lpad(g::text, 8, '0'), 'Customer ' || g, 0, now()
            FROM generate_series(1, {customers}) g""")
    first_customer = run(f"SELECT min(id) FROM customers WHERE site_id = {site_id}").scalar()
    # statuses in the sandbox store's proportions; a third of orders from 'regular' customers
    run(f"""
        INSERT INTO orders (site_id, wc_id, number, status, excluded_from_sales, currency, total, subtotal,
            discount_total, shipping_total, total_tax, refunded_total, created_via, customer_id, billing_name,
            source_type, utm_source, utm_medium, utm_campaign, referrer, click_source, date_created_gmt,
            date_modified_gmt, shipped_gmt, delivered_gmt, content_hash, synced_at)
        SELECT {site_id}, g, g::text, s.status, s.status = 'checkout-draft', 'BDT', sub - disc + 60, sub, disc, 60, 0,
            CASE WHEN s.status = 'refunded' THEN sub - disc + 60 WHEN r3 < 0.02 THEN 100 ELSE 0 END,
            CASE WHEN r3 < 0.8 THEN 'checkout' WHEN r3 < 0.9 THEN 'store-api' ELSE 'admin' END,
            CASE WHEN r4 < 0.05 THEN NULL WHEN r4 < 0.4 THEN {first_customer} + (g % 1500)
                 ELSE {first_customer} + (g % {customers}) END,
            'Bench',
            a.source_type, a.utm_source, a.utm_medium, a.utm_campaign, a.referrer,
            CASE WHEN a.utm_source = 'facebook' AND r4 < 0.5 THEN 'facebook' END,
            created, created + interval '3 days',
            CASE WHEN s.status IN ('shipped', 'completed', 'returned') THEN created + (r3 * interval '48 hours') END,
            CASE WHEN s.status = 'completed' THEN created + interval '48 hours' + (r4 * interval '96 hours') END,
            md5(g::text), now()
        FROM (SELECT g, now() AT TIME ZONE 'utc' - random() * interval '730 days' AS created, random() AS r1,
                     random() AS r2, random() AS r3, random() AS r4,
                     (1 + floor(random() * 4)) * 450 AS sub, CASE WHEN random() < 0.12 THEN 100 ELSE 0 END AS disc
              FROM generate_series(1, {orders}) g) o
        CROSS JOIN LATERAL (SELECT CASE
            WHEN r1 < .44 THEN 'completed' WHEN r1 < .60 THEN 'processing' WHEN r1 < .69 THEN 'shipped'
            WHEN r1 < .74 THEN 'on-hold' WHEN r1 < .79 THEN 'pending' WHEN r1 < .87 THEN 'cancelled'
            WHEN r1 < .89 THEN 'refunded' WHEN r1 < .92 THEN 'failed' WHEN r1 < .95 THEN 'returned'
            ELSE 'checkout-draft' END AS status) s
        CROSS JOIN LATERAL (SELECT
            (ARRAY['utm', 'utm', 'utm', 'organic', 'referral', 'typein', NULL, NULL])[1 + floor(r2 * 8)::int] AS source_type,
            (ARRAY['facebook', 'google', 'tiktok', 'google', 'm.facebook.com', '(direct)', NULL, NULL])[1 + floor(r2 * 8)::int] AS utm_source,
            (ARRAY['cpc', 'cpc', 'paid_social', NULL, NULL, NULL, NULL, NULL])[1 + floor(r2 * 8)::int] AS utm_medium,
            (ARRAY['eid_sale_' || (g % 7), 'brand', 'boishakh', NULL, NULL, NULL, NULL, NULL])[1 + floor(r2 * 8)::int] AS utm_campaign,
            (ARRAY[NULL, NULL, NULL, 'https://www.google.com/', 'https://m.facebook.com/', NULL, NULL, NULL])[1 + floor(r2 * 8)::int] AS referrer
        ) a""")
    run(f"""UPDATE customers c SET order_count = x.n, first_order_gmt = x.first, last_order_gmt = x.last
            FROM (SELECT customer_id, count(*) n, min(date_created_gmt) first, max(date_created_gmt) last
                  FROM orders WHERE site_id = {site_id} AND NOT excluded_from_sales AND customer_id IS NOT NULL
                  GROUP BY customer_id) x WHERE c.id = x.customer_id""")


def build_rollups(connection, site_id: int, products: int) -> None:
    """SQL twins of rollups.contributions (money in ten-thousandths, days in Dhaka)."""
    from backend.dashboard.rollups import BINS, MAX_HOURS, NOT_SALES

    run = _runner(connection)
    day = "(date_created_gmt + interval '6 hours')::date"
    not_sales = ", ".join(f"'{s}'" for s in sorted(NOT_SALES))
    live = f"site_id = {site_id} AND NOT excluded_from_sales AND deleted_at IS NULL"
    m = lambda col: f"(sum({col}) * 10000)::bigint"  # noqa: E731
    run(f"""INSERT INTO dash_day_status SELECT site_id, {day}, status, count(*), count(customer_id), {m('total')},
            {m('subtotal')}, {m('discount_total')}, {m('shipping_total')}, {m('refunded_total')}, {m(DELIVERED_REVENUE)}
            FROM orders WHERE {live} GROUP BY 1, 2, 3""")
    run(f"""INSERT INTO dash_day_source SELECT site_id, {day}, coalesce(source_type, ''), coalesce(utm_source, ''),
            coalesce(utm_medium, ''), coalesce(utm_campaign, ''),
            coalesce(substring(referrer from '://(?:www\\.)?([^/:]+)'), ''), coalesce(created_via, ''),
            coalesce(click_source, ''), count(*), {m('total - refunded_total')}, count(delivered_gmt),
            {m(DELIVERED_REVENUE)}
            FROM orders WHERE {live} AND status NOT IN ({not_sales}) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9""")
    run(f"""INSERT INTO dash_day_product
            SELECT site_id, {day}, p, count(DISTINCT wc_id), sum(1 + (wc_id + k) % 3),
                   (sum((1 + (wc_id + k) % 3) * (100 + (p % 50) * 50)) * 10000)::bigint
            FROM orders CROSS JOIN LATERAL generate_series(1, 1 + (wc_id % 3 = 0)::int) k
                 CROSS JOIN LATERAL (SELECT 1 + ((wc_id * 7919 + k * 104729) % {products})::int AS p) pick
            WHERE {live} AND status NOT IN ({not_sales}) GROUP BY 1, 2, 3""")
    run("""INSERT INTO dash_month_product SELECT site_id, date_trunc('month', day)::date, product_id, sum(orders),
           sum(quantity), sum(revenue) FROM dash_day_product GROUP BY 1, 2, 3""")
    h = lambda a, b: f"floor(extract(epoch FROM {b} - {a}) / 3600)::int"  # noqa: E731
    hours = lambda a, b: ("CASE " + " ".join(  # noqa: E731
        f"WHEN {h(a, b)} < {high} THEN {low} + ({h(a, b)} - {low}) / {width} * {width}" for low, high, width in BINS)
        + f" ELSE {MAX_HOURS} END")
    for stage, start, end in (("shipped", "date_created_gmt", "shipped_gmt"), ("delivered", "date_created_gmt", "delivered_gmt"),
                              ("transit", "shipped_gmt", "delivered_gmt")):
        run(f"""INSERT INTO dash_day_cycle SELECT site_id, {day}, '{stage}', {hours(start, end)}, count(*)
                FROM orders WHERE {live} AND {start} IS NOT NULL AND {end} IS NOT NULL AND {end} >= {start}
                GROUP BY 1, 2, 4""")
    run(f"""INSERT INTO dash_day_customers SELECT site_id, (first_order_gmt + interval '6 hours')::date, count(*)
            FROM customers WHERE site_id = {site_id} AND first_order_gmt IS NOT NULL GROUP BY 1, 2""")
    run(PAID.format(site_id=site_id, paid="date_created_gmt + interval '1 hour'"))
    run(paid_rollup(site_id, lambda c: f"({c} + interval '6 hours')::date"))
    run("ANALYZE")


# --- SQLite ------------------------------------------------------------------------------------

STATUS_CUTS = ((.44, "completed"), (.60, "processing"), (.69, "shipped"), (.74, "on-hold"), (.79, "pending"),
               (.87, "cancelled"), (.89, "refunded"), (.92, "failed"), (.95, "returned"), (1.0, "checkout-draft"))
ATTRIBUTIONS = (("utm", "facebook", "cpc", "eid_sale_", None), ("utm", "google", "cpc", "brand", None),
                ("utm", "tiktok", "paid_social", "boishakh", None), ("organic", "google", None, None, "https://www.google.com/"),
                ("referral", "m.facebook.com", None, None, "https://m.facebook.com/"), ("typein", "(direct)", None, None, None),
                (None, None, None, None, None), (None, None, None, None, None))


def _sqlite_time(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DATETIME format


def sqlite_load_store(path: str, site_id: int, orders: int, customers: int, products: int) -> None:
    """The PostgreSQL store's twin, generated in Python and bulk-written in one transaction."""
    import random
    import sqlite3
    from datetime import datetime

    rng = random.Random(42)
    now = datetime.utcnow().replace(microsecond=0)
    stamp = _sqlite_time(now)
    connection = sqlite3.connect(path)
    # for the generator only: nothing here must survive a crash, and the page cache is the bottleneck
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    connection.execute("PRAGMA temp_store=MEMORY")
    with connection:
        connection.executemany(
            "INSERT INTO products (site_id, wc_id, name, sku, type, status, price, synced_at) VALUES (?,?,?,?,?,?,?,?)",
            ((site_id, g, f"Product {g}", f"SKU-{g}", "simple", "publish", 100 + (g % 50) * 50, stamp)
             for g in range(1, products + 1)))
        connection.executemany(
            "INSERT INTO customers (site_id, phone, name, order_count, created_at) VALUES (?,?,?,?,?)",
            ((site_id, f"+88017{g:08d}", f"Customer {g}", 0, stamp) for g in range(1, customers + 1)))
        first_customer = connection.execute("SELECT min(id) FROM customers WHERE site_id = ?", (site_id,)).fetchone()[0]

        def rows():
            for g in range(1, orders + 1):
                created = now - timedelta(seconds=rng.random() * 730 * 86400)
                r1, r2, r3, r4 = rng.random(), rng.random(), rng.random(), rng.random()
                sub = (1 + int(rng.random() * 4)) * 450
                disc = 100 if rng.random() < 0.12 else 0
                status = next(name for cut, name in STATUS_CUTS if r1 < cut)
                source_type, utm_source, utm_medium, campaign, referrer = ATTRIBUTIONS[int(r2 * 8)]
                if campaign == "eid_sale_":
                    campaign += str(g % 7)
                total = sub - disc + 60
                refunded = total if status == "refunded" else 100 if r3 < 0.02 else 0
                via = "checkout" if r3 < 0.8 else "store-api" if r3 < 0.9 else "admin"
                customer = None if r4 < 0.05 else first_customer + (g % 1500) if r4 < 0.4 else first_customer + (g % customers)
                shipped = _sqlite_time(created + timedelta(hours=r3 * 48)) if status in ("shipped", "completed", "returned") else None
                delivered = _sqlite_time(created + timedelta(hours=48 + r4 * 96)) if status == "completed" else None
                yield (site_id, g, str(g), status, status == "checkout-draft", "BDT", total, sub, disc, 60, 0, refunded, via,
                       customer, "Bench", source_type, utm_source, utm_medium, campaign, referrer,
                       "facebook" if utm_source == "facebook" and r4 < 0.5 else None, _sqlite_time(created),
                       _sqlite_time(created + timedelta(days=3)), shipped, delivered, f"{g:040x}", stamp)

        connection.executemany(
            """INSERT INTO orders (site_id, wc_id, number, status, excluded_from_sales, currency, total, subtotal,
               discount_total, shipping_total, total_tax, refunded_total, created_via, customer_id, billing_name,
               source_type, utm_source, utm_medium, utm_campaign, referrer, click_source, date_created_gmt,
               date_modified_gmt, shipped_gmt, delivered_gmt, content_hash, synced_at)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows())
        connection.execute(f"""UPDATE customers SET order_count = x.n, first_order_gmt = x.first, last_order_gmt = x.last
            FROM (SELECT customer_id, count(*) n, min(date_created_gmt) first, max(date_created_gmt) last
                  FROM orders WHERE site_id = {site_id} AND NOT excluded_from_sales AND customer_id IS NOT NULL
                  GROUP BY customer_id) x WHERE customers.id = x.customer_id""")
    connection.close()


def sqlite_build_rollups(path: str, site_id: int, products: int) -> None:
    """The same rollups as build_rollups, in SQLite's dialect."""
    import sqlite3

    from backend.dashboard.rollups import BINS, MAX_HOURS, NOT_SALES, referrer_host

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    connection.create_function("referrer_host", 1, referrer_host, deterministic=True)
    day = "date(date_created_gmt, '+6 hours')"
    not_sales = ", ".join(f"'{s}'" for s in sorted(NOT_SALES))
    live = f"site_id = {site_id} AND NOT excluded_from_sales AND deleted_at IS NULL"
    sales = f"{live} AND status NOT IN ({not_sales})"
    m = lambda col: f"CAST(round(sum({col}) * 10000) AS INTEGER)"  # noqa: E731
    h = lambda a, b: f"CAST((julianday({b}) - julianday({a})) * 24 AS INTEGER)"  # noqa: E731
    hours = lambda a, b: ("CASE " + " ".join(  # noqa: E731
        f"WHEN {h(a, b)} < {high} THEN {low} + ({h(a, b)} - {low}) / {width} * {width}" for low, high, width in BINS)
        + f" ELSE {MAX_HOURS} END")
    lines = " UNION ALL ".join(
        f"SELECT site_id, {day} AS day, wc_id, {k} AS k, 1 + ((wc_id * 7919 + {k} * 104729) % {products}) AS p "
        f"FROM orders WHERE {sales}" + (" AND wc_id % 3 = 0" if k == 2 else "") for k in (1, 2))
    with connection:
        connection.execute(f"""INSERT INTO dash_day_status SELECT site_id, {day}, status, count(*), count(customer_id),
            {m('total')}, {m('subtotal')}, {m('discount_total')}, {m('shipping_total')}, {m('refunded_total')},
            {m(DELIVERED_REVENUE)} FROM orders WHERE {live} GROUP BY 1, 2, 3""")
        connection.execute(f"""INSERT INTO dash_day_source SELECT site_id, {day}, coalesce(source_type, ''),
            coalesce(utm_source, ''), coalesce(utm_medium, ''), coalesce(utm_campaign, ''), referrer_host(referrer),
            coalesce(created_via, ''), coalesce(click_source, ''), count(*), {m('total - refunded_total')},
            count(delivered_gmt), {m(DELIVERED_REVENUE)} FROM orders WHERE {sales} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9""")
        connection.execute(f"""INSERT INTO dash_day_product SELECT site_id, day, p, count(DISTINCT wc_id),
            sum(1 + (wc_id + k) % 3), sum((1 + (wc_id + k) % 3) * (100 + (p % 50) * 50)) * 10000
            FROM ({lines}) GROUP BY 1, 2, 3""")
        connection.execute("""INSERT INTO dash_month_product SELECT site_id, strftime('%Y-%m-01', day), product_id,
            sum(orders), sum(quantity), sum(revenue) FROM dash_day_product GROUP BY 1, 2, 3""")
        for stage, start, end in (("shipped", "date_created_gmt", "shipped_gmt"),
                                  ("delivered", "date_created_gmt", "delivered_gmt"), ("transit", "shipped_gmt", "delivered_gmt")):
            connection.execute(f"""INSERT INTO dash_day_cycle SELECT site_id, {day}, '{stage}', {hours(start, end)}, count(*)
                FROM orders WHERE {live} AND {start} IS NOT NULL AND {end} IS NOT NULL AND {end} >= {start}
                GROUP BY 1, 2, 4""")
        connection.execute(f"""INSERT INTO dash_day_customers SELECT site_id, date(first_order_gmt, '+6 hours'), count(*)
            FROM customers WHERE site_id = {site_id} AND first_order_gmt IS NOT NULL GROUP BY 1, 2""")
        connection.execute(PAID.format(site_id=site_id, paid="datetime(date_created_gmt, '+1 hour')"))
        connection.execute(paid_rollup(site_id, lambda c: f"date({c}, '+6 hours')"))
    connection.execute("ANALYZE")
    connection.close()


# orders past payment were paid an hour after they were placed (the loaders leave date_paid_gmt empty)
PAID = """UPDATE orders SET date_paid_gmt = {paid} WHERE site_id = {site_id}
    AND status IN ('processing', 'completed', 'shipped', 'refunded', 'returned')"""


def paid_rollup(site_id: int, day) -> str:
    """WooCommerce's basis (dash_day_paid) as migration 0790 fills it: orders by the day paid,
    refunds (no times in the bulk-loaded orders) by the order's modification day."""
    from backend.dashboard.rollups import WC_EXCLUDED

    counted = (f"site_id = {site_id} AND NOT excluded_from_sales AND deleted_at IS NULL AND status NOT IN "
               f"({', '.join(repr(s) for s in sorted(WC_EXCLUDED))})")
    m = lambda c: f"CAST(ROUND({c} * 10000) AS BIGINT)"  # noqa: E731
    return f"""INSERT INTO dash_day_paid SELECT site_id, day, sum(o), sum(t), sum(s), sum(d), sum(h), sum(r)
        FROM (SELECT site_id, {day('date_paid_gmt')} AS day, 1 AS o, {m('total')} AS t, {m('subtotal')} AS s,
                     {m('discount_total')} AS d, {m('shipping_total')} AS h, 0 AS r
              FROM orders WHERE {counted} AND date_paid_gmt IS NOT NULL
              UNION ALL
              SELECT site_id, {day('date_modified_gmt')}, 0, 0, 0, 0, 0, {m('refunded_total')}
              FROM orders WHERE {counted} AND refunded_total > 0) AS parts GROUP BY 1, 2"""


# the parcel rollup the cash widget reads, as migration 0730 fills it from existing consignments
PARCEL_ROLLUP = """INSERT INTO dash_day_parcels SELECT site_id, {day}, courier, status, count(*), sum(cod_amount),
    coalesce(sum(collected_amount), 0), count(collected_amount) FROM consignments GROUP BY 1, 2, 3, 4"""


def sqlite_extras(path: str, site_id: int, parcels: int, days: int = 730) -> None:
    """D12's data: three costs a day for two years, and `parcels` parcels booked over two years."""
    import random
    import sqlite3
    from datetime import datetime

    from backend.dashboard.models import COST_CATEGORIES
    from backend.integrations.couriers import STATUSES

    rng = random.Random(5)
    now = datetime.utcnow()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    with connection:
        connection.executemany(
            "INSERT INTO dash_costs (site_id, day, category, amount, note, created_by, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?)",
            ((site_id, (now - timedelta(days=d)).date().isoformat(), COST_CATEGORIES[(d + k) % 5], rng.randint(100, 50000) * 10000,
              "", "Bench", _sqlite_time(now), _sqlite_time(now)) for d in range(days) for k in range(3)))
        connection.executemany(
            "INSERT INTO consignments (site_id, order_wc_id, invoice, courier, consignment_id, cod_amount, collected_amount, "
            "status, booked_at, check_failures, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ((site_id, n, str(n), "steadfast", str(10_000_000 + n), 1860 * 10000,
              1860 * 10000 if status == "delivered" else None, status,
              _sqlite_time(now - timedelta(seconds=rng.random() * days * 86400)), 0, _sqlite_time(now))
             for n, status in ((n, rng.choice(STATUSES)) for n in range(1, parcels + 1))))
        connection.execute(PARCEL_ROLLUP.format(day="date(booked_at, '+6 hours')"))
        connection.executemany(
            "INSERT INTO dash_ad_spend (site_id, network, campaign, start_day, end_day, amount, source, created_by, created_at) "
            "VALUES (?, 'facebook', ?, ?, ?, ?, 'csv', 'Bench', ?)",
            ((site_id, campaign, (now - timedelta(days=d + 6)).date().isoformat(), (now - timedelta(days=d)).date().isoformat(),
              amount * 10000, _sqlite_time(now)) for d in range(0, days, 7) for campaign, amount in AD_CAMPAIGNS))
    connection.execute("ANALYZE")
    connection.close()


def time_widgets(app, client, session, repeat: int) -> dict:
    from backend.clock import dhaka_today

    today = dhaka_today()
    results = {}
    for days in (30, 365):
        start = (today - timedelta(days=days - 1)).isoformat()
        per_widget = {w: [] for w in WIDGETS}
        cpu_per_widget = {w: [] for w in WIDGETS}
        pages = []
        mark = cpu_mark([os.getpid()], _database_url(app))
        for _ in range(repeat):
            page = 0.0
            for widget in WIDGETS:
                path, extra = QUERIES.get(widget, (widget, "&limit=10" if widget == "products" else ""))
                began, began_cpu = time.perf_counter(), time.process_time()
                response = client.get(f"/embed/dashboard/{path}.json?start={start}&end={today.isoformat()}{extra}",
                                      headers={"X-Bikri-Embed-Session": session})
                took = (time.perf_counter() - began) * 1000
                cpu_per_widget[widget].append((time.process_time() - began_cpu) * 1000)
                assert response.status_code == 200, (widget, response.status_code, response.get_data(as_text=True)[:300])
                per_widget[widget].append(took)
                page += 0 if widget in QUERIES else took
            pages.append(page)
        # the CPU a widget took in this process (median), and a whole page's (all widgets but
        # those timed on their own) in this process and PostgreSQL's backends, per view
        cpu = cpu_since(mark)
        results[days] = ({w: p95(v) for w, v in per_widget.items()}, p95(pages),
                         {w: statistics.median(v) for w, v in cpu_per_widget.items()},
                         {k: v * 1000 / repeat for k, v in cpu.items()})
    return results


def ingest(app, site_id: int, orders: int, with_rollups: bool) -> tuple[float, dict]:
    """Orders per second through the real upsert (batches of 50): first as new, then as updates;
    and the CPU seconds it took (this process, and PostgreSQL's backends: `cpu_since`)."""
    from backend.dashboard import rollups
    from backend.extensions import db
    from backend.orders import service as order_service
    from backend.sandbox.woocommerce import generate

    store = generate(orders, seed=11)
    bodies = [store.order(i) for i in range(1, orders + 1)]
    saved = {name: getattr(rollups, name) for name in ("apply_changes", "apply_first_order_changes")}
    if not with_rollups:
        rollups.apply_changes = lambda *a, **k: None
        rollups.apply_first_order_changes = lambda *a, **k: None
    try:
        with app.app_context():
            began, mark = time.perf_counter(), cpu_mark([os.getpid()], _database_url(app))
            for version in (0, 1):
                for start in range(0, orders, 50):
                    batch = bodies[start:start + 50]
                    if version:
                        batch = [dict(o, status="completed", date_modified_gmt="2026-06-01T00:00:00") for o in batch]
                    order_service.upsert_orders(site_id, batch)
                    db.session.commit()
            return 2 * orders / (time.perf_counter() - began), cpu_since(mark)
    finally:
        for name, function in saved.items():
            setattr(rollups, name, function)


def status_ingest(app, site_id: int, parcels: int, with_rollups: bool) -> tuple[float, dict]:
    """Courier status answers per second through couriers.apply_status as a poll applies them
    (rollup deltas written at each commit of 100): two changes per parcel, pending then delivered;
    and the CPU seconds it took, as `ingest`."""
    from decimal import Decimal

    from backend.couriers import service as couriers
    from backend.dashboard import rollups
    from backend.extensions import db
    from backend.integrations.couriers import TrackedStatus
    from backend.licensing.models import Site
    from backend.clock import utcnow

    saved = {(module, name): getattr(module, name) for module, name in (
        (couriers, "lock_parcel"), (rollups, "apply_parcel_changes"), (rollups, "defer_parcel_changes"))}
    if not with_rollups:
        for module, name in saved:
            setattr(module, name, lambda *a, **k: None)
    try:
        with app.app_context():
            site = db.session.get(Site, site_id)
            pks = [couriers.register_consignment(site, f"B{n}", "steadfast", str(n), None, Decimal("1200"), n).id
                   for n in range(parcels)]
            db.session.commit()
            began, moment, mark = time.perf_counter(), utcnow(), cpu_mark([os.getpid()], _database_url(app))
            for step, status in enumerate(("pending", "delivered"), start=1):
                for n, pk in enumerate(pks, start=1):
                    couriers.apply_status(pk, site_id, TrackedStatus(status, status), moment + timedelta(seconds=step),
                                          source="poll", poll_minutes=60, defer_rollup=True)
                    if n % 100 == 0:
                        db.session.commit()
                db.session.commit()
            return 2 * parcels / (time.perf_counter() - began), cpu_since(mark)
    finally:
        for (module, name), function in saved.items():
            setattr(module, name, function)


def _database_url(app) -> str | None:
    """The PostgreSQL database's URL, whose backends' CPU is counted (None on SQLite: in-process)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return url if url.startswith("postgresql") else None


def _cpu_per(cpu: dict, operations: int) -> str:
    database = f" + PostgreSQL {cpu['database'] * 1000 / operations:.3f} ms" if cpu["database"] else ""
    return f"CPU {cpu['service'] * 1000 / operations:.3f} ms{database}"


def pg_extras(connection, site_id: int, parcels: int) -> None:
    """D12's data on PostgreSQL, as sqlite_extras: three costs a day and `parcels` parcels over two years."""
    from backend.integrations.couriers import STATUSES

    run = _runner(connection)
    statuses = "ARRAY[" + ", ".join(f"'{s}'" for s in STATUSES) + "]"
    run(f"""INSERT INTO dash_costs (site_id, day, category, amount, note, created_by, created_at, updated_at)
            SELECT {site_id}, (now() - d * interval '1 day')::date,
                   (ARRAY['ads', 'packaging', 'product', 'delivery', 'other'])[1 + (d + k) % 5],
                   (100 + floor(random() * 49900))::bigint * 10000, '', 'Bench', now(), now()
            FROM generate_series(0, 729) d, generate_series(0, 2) k""")
    run(f"""INSERT INTO consignments (site_id, order_wc_id, invoice, courier, consignment_id, cod_amount, collected_amount,
                status, booked_at, check_failures, created_at)
            SELECT {site_id}, n, n::text, 'steadfast', (10000000 + n)::text, 18600000,
                   CASE WHEN st = 'delivered' THEN 18600000 END, st,
                   now() AT TIME ZONE 'utc' - random() * interval '730 days', 0, now()
            FROM generate_series(1, {parcels}) n
            CROSS JOIN LATERAL (SELECT ({statuses})[1 + floor(random() * {len(STATUSES)})::int + (n * 0)] AS st) x""")
    run(PARCEL_ROLLUP.format(day="(booked_at + interval '6 hours')::date"))
    campaigns = ", ".join(f"('{campaign}', {amount * 10000})" for campaign, amount in AD_CAMPAIGNS)
    run(f"""INSERT INTO dash_ad_spend (site_id, network, campaign, start_day, end_day, amount, source, created_by, created_at)
            SELECT {site_id}, 'facebook', c.campaign, (now() - (d + 6) * interval '1 day')::date,
                   (now() - d * interval '1 day')::date, c.amount, 'csv', 'Bench', now()
            FROM generate_series(0, 729, 7) d, (VALUES {campaigns}) AS c (campaign, amount)""")
    run("ANALYZE")


def store(args, url: str):
    """Make the app on this database, three sites, the big store on the first; answer
    (app, session for the first site's dashboard, site ids)."""
    from flask_migrate import upgrade

    from backend.app import create_app
    from backend.embed import service as embed
    from backend.extensions import db
    from backend.licensing.models import Site
    from backend.licensing.service import create_license

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PUBLIC_URL": "http://bench.test"})
    with app.app_context():
        upgrade()
        license, _key = create_license("bench@bikri.test", sites=3, days=30, plan="standard")
        db.session.flush()
        sites = []
        for n in (1, 2, 3):
            site = Site(license_id=license.id, url=f"https://bench{n}.example.com",
                        url_key=f"bench{n}.example.com", token_hash=f"{n:064d}")
            db.session.add(site)
            db.session.flush()
            sites.append(site.id)
        db.session.commit()
        began = time.perf_counter()
        if args.db == "sqlite":
            path = url.removeprefix("sqlite:///")
            db.engine.dispose()  # the loader writes alone
            sqlite_load_store(path, sites[0], args.orders, args.customers, args.products)
            loaded = time.perf_counter() - began
            sqlite_build_rollups(path, sites[0], args.products)
            sqlite_extras(path, sites[0], args.orders * 2 // 5)
        else:
            with db.engine.begin() as connection:
                load_store(connection, sites[0], args.orders, args.customers, args.products)
            loaded = time.perf_counter() - began
            with db.engine.begin() as connection:
                build_rollups(connection, sites[0], args.products)
                pg_extras(connection, sites[0], args.orders * 2 // 5)
        built = time.perf_counter() - began - loaded
        counts = {table: db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("orders", "customers", "products", "dash_day_status", "dash_day_source", "dash_day_product",
                                "dash_month_product", "dash_day_cycle", "dash_day_paid", "dash_costs", "dash_ad_spend", "consignments",
                                "dash_day_parcels")}
        _ticket, raw = embed.issue_ticket(db.session.get(Site, sites[0]), wp_user_id=1, display_name="Bench",
                                          role="administrator", page="dashboard")
        db.session.commit()
        session = embed.redeem_ticket(raw, "dashboard").session
    print(f"store ({args.db}): {counts.pop('orders'):,} orders loaded in {loaded:.0f} s; rollups and D12 data in {built:.0f} s "
          f"({', '.join(f'{t} {n:,}' for t, n in counts.items())} rows)")
    return app, session, sites


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=60_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--ingest", type=int, default=3000, help="orders for the ingest comparison (0: skip)")
    parser.add_argument("--parcels-only", action="store_true",
                        help="only the courier status answers (no widgets, no order ingest): with --orders 20000, a few minutes")
    args = parser.parse_args()
    os.environ.setdefault("BIKRI_INSTANCE_DIR", tempfile.mkdtemp(prefix="bikri-bench-"))
    target = TARGET_P95_MS[args.db]
    started_load = loadavg()

    with contextlib.ExitStack() as stack:
        if args.db == "sqlite":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bikri-bench-sqlite-"))
            url = f"sqlite:///{folder}/bench.db"
        else:
            url = stack.enter_context(throwaway_database()).replace("postgresql://", "postgresql+psycopg://")
        app, session, sites = store(args, url)

        gc.freeze()  # as backend/wsgi.py does once the web process has started
        if args.parcels_only:
            parcel_answers(app, sites, args.ingest)
            print(f"load average {started_load} at the start, {loadavg()} at the end")
            return
        client = app.test_client()
        with app.app_context():
            time_widgets(app, client, session, 2)  # warm caches and connections
        results = time_widgets(app, client, session, args.repeat)
        print(f"\nwidget p95 over {args.repeat} runs ({args.db}; target ≤ {target:.0f} ms per widget at 365 days)")
        print(f"{'widget':<12} {'30 days':>10} {'365 days':>10}        {'CPU median (this process) 30, 365 days':>10}")
        for widget in WIDGETS:
            at_year = results[365][0][widget]
            print(f"{widget:<12} {results[30][0][widget]:>8.1f}ms {at_year:>8.1f}ms  {verdict(at_year <= target):<6}  "
                  f"{results[30][2][widget]:>6.1f}ms {results[365][2][widget]:>6.1f}ms")
        print(f"{'whole page':<12} {results[30][1]:>8.1f}ms {results[365][1]:>8.1f}ms  (all widgets one after another)")
        print(f"CPU per view of all {len(WIDGETS)} widget requests: 30 days {results[30][3]['service']:.1f} ms + "
              f"PostgreSQL {results[30][3]['database']:.1f} ms; 365 days {results[365][3]['service']:.1f} ms + PostgreSQL "
              f"{results[365][3]['database']:.1f} ms")

        if args.ingest:
            # CPU per operation beside the rates: on a shared machine the rates move with the other
            # load, the CPU an order costs much less (this process, and PostgreSQL's backends)
            (without, cpu_without), (with_, cpu_with) = (ingest(app, sites[1], args.ingest, with_rollups=False),
                                                         ingest(app, sites[2], args.ingest, with_rollups=True))
            print(f"\ningest through the upsert, batches of 50 ({args.ingest:,} new + {args.ingest:,} updated orders, in-process):")
            print(f"  without rollups {without:,.0f} orders/s; with rollups {with_:,.0f} orders/s "
                  f"({(1 - with_ / without) * 100:.0f}% slower)")
            print(f"  per order: without rollups {_cpu_per(cpu_without, 2 * args.ingest)}; "
                  f"with rollups {_cpu_per(cpu_with, 2 * args.ingest)}")
            parcel_answers(app, sites, args.ingest)
        print(f"load average {started_load} at the start, {loadavg()} at the end")


def parcel_answers(app, sites, parcels: int) -> None:
    """Courier status answers with and without the parcel rollup (sites 2 and 3: fresh parcels each)."""
    (without, cpu_without), (with_, cpu_with) = (status_ingest(app, sites[1], parcels, with_rollups=False),
                                                 status_ingest(app, sites[2], parcels, with_rollups=True))
    print(f"courier status answers through apply_status, commits of 100 ({parcels:,} parcels × 2 changes):")
    print(f"  without the parcel rollup {without:,.0f} answers/s; with it {with_:,.0f} answers/s "
          f"({(1 - with_ / without) * 100:.0f}% slower)")
    print(f"  per answer: without the parcel rollup {_cpu_per(cpu_without, 2 * parcels)}; "
          f"with it {_cpu_per(cpu_with, 2 * parcels)}")


if __name__ == "__main__":
    main()
