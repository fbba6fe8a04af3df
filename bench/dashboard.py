"""Benchmark: the dashboard's widgets on a store of 1,000,000 orders (PostgreSQL), and what
keeping the rollups current costs the order upsert.

How the store is made (say it plainly, it matters for the figures):
- 1,000,000 orders over two years, 60,000 customers, 2,000 products are bulk-loaded with
  SQL (generate_series) straight into `orders`, `customers`, `products` — not through the
  upsert, which would take far longer than this benchmark's budget. Line items are not
  stored (no widget reads them); 1–2 products per order are drawn in SQL for the product rollup.
- The rollups are then built with SQL GROUP BYs that mirror backend/dashboard/rollups.py's
  contributions (the tests prove the Python upsert path equals its own rebuild; this SQL is
  the benchmark's shortcut to the same row counts and shapes).
- Widgets are timed through the real Flask app (test client, embed session header, JSON
  rendering included), each range several times; p95 per widget and for the whole page
  (all widgets one after another, as a browser would see the slowest case).
- Ingest cost: the real upsert, in-process, batches of 50 sandbox orders (new, then updated),
  with rollups and with the rollup hooks switched off.

    .venv/bin/python bench/dashboard.py              # 1,000,000 orders
    .venv/bin/python bench/dashboard.py --orders 200000 --repeat 10
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import PG, throwaway_database, verdict  # noqa: E402

TARGET_P95_MS = 100.0
WIDGETS = ["sales", "sources", "cycle", "statuses", "products", "amounts", "returning", "customers", "ads", "recent",
           "target"]


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
            {m('subtotal')}, {m('discount_total')}, {m('shipping_total')}, {m('refunded_total')}
            FROM orders WHERE {live} GROUP BY 1, 2, 3""")
    run(f"""INSERT INTO dash_day_source SELECT site_id, {day}, coalesce(source_type, ''), coalesce(utm_source, ''),
            coalesce(utm_medium, ''), coalesce(utm_campaign, ''),
            coalesce(substring(referrer from '://(?:www\\.)?([^/:]+)'), ''), coalesce(created_via, ''),
            coalesce(click_source, ''), count(*), {m('total - refunded_total')}
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
    run("ANALYZE")


def time_widgets(app, client, session, repeat: int) -> dict:
    from backend.timeutil import dhaka_today

    today = dhaka_today()
    results = {}
    for days in (30, 365):
        start = (today - timedelta(days=days - 1)).isoformat()
        per_widget = {w: [] for w in WIDGETS}
        pages = []
        for _ in range(repeat):
            page = 0.0
            for widget in WIDGETS:
                extra = "&limit=10" if widget == "products" else ""
                began = time.perf_counter()
                response = client.get(f"/embed/dashboard/{widget}.json?start={start}&end={today.isoformat()}{extra}",
                                      headers={"X-Bikri-Embed-Session": session})
                took = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, (widget, response.status_code, response.get_data(as_text=True)[:300])
                per_widget[widget].append(took)
                page += took
            pages.append(page)
        results[days] = ({w: p95(v) for w, v in per_widget.items()}, p95(pages))
    return results


def ingest(app, site_id: int, orders: int, with_rollups: bool) -> float:
    """Orders per second through the real upsert (batches of 50): first as new, then as updates."""
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
            began = time.perf_counter()
            for version in (0, 1):
                for start in range(0, orders, 50):
                    batch = bodies[start:start + 50]
                    if version:
                        batch = [dict(o, status="completed", date_modified_gmt="2026-06-01T00:00:00") for o in batch]
                    order_service.upsert_orders(site_id, batch)
                    db.session.commit()
            return 2 * orders / (time.perf_counter() - began)
    finally:
        for name, function in saved.items():
            setattr(rollups, name, function)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=60_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--ingest", type=int, default=3000, help="orders for the ingest comparison")
    args = parser.parse_args()
    os.environ.setdefault("BIKRI_INSTANCE_DIR", tempfile.mkdtemp(prefix="bikri-bench-"))

    from flask_migrate import upgrade

    from backend.app import create_app
    from backend.embed import service as embed
    from backend.extensions import db
    from backend.licensing.models import Site
    from backend.licensing.service import create_license

    with throwaway_database() as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                          "SECRET_KEY": "bench", "PUBLIC_URL": "http://bench.test"})
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
            with db.engine.begin() as connection:
                load_store(connection, sites[0], args.orders, args.customers, args.products)
            loaded = time.perf_counter() - began
            with db.engine.begin() as connection:
                build_rollups(connection, sites[0], args.products)
            built = time.perf_counter() - began - loaded
            counts = {table: db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar()
                      for table in ("orders", "dash_day_status", "dash_day_source", "dash_day_product", "dash_month_product",
                                                                    "dash_day_cycle")}
            ticket, raw = embed.issue_ticket(db.session.get(Site, sites[0]), wp_user_id=1, display_name="Bench",
                                             role="administrator", page="dashboard")
            db.session.commit()
            session = embed.redeem_ticket(raw, "dashboard").session
        print(f"store: {counts['orders']:,} orders loaded in {loaded:.0f} s; rollups built in {built:.0f} s "
              f"({', '.join(f'{t} {n:,}' for t, n in counts.items() if t != 'orders')} rows)")

        client = app.test_client()
        with app.app_context():
            time_widgets(app, client, session, 2)  # warm caches and connections
        results = time_widgets(app, client, session, args.repeat)
        print(f"\nwidget p95 over {args.repeat} runs (PostgreSQL; target ≤ {TARGET_P95_MS:.0f} ms per widget at 365 days)")
        print(f"{'widget':<12} {'30 days':>10} {'365 days':>10}")
        for widget in WIDGETS:
            at_year = results[365][0][widget]
            print(f"{widget:<12} {results[30][0][widget]:>8.1f}ms {at_year:>8.1f}ms  {verdict(at_year <= TARGET_P95_MS)}")
        print(f"{'whole page':<12} {results[30][1]:>8.1f}ms {results[365][1]:>8.1f}ms  (all widgets one after another)")

        without = ingest(app, sites[1], args.ingest, with_rollups=False)
        with_ = ingest(app, sites[2], args.ingest, with_rollups=True)
        print(f"\ningest through the upsert, batches of 50 ({args.ingest:,} new + {args.ingest:,} updated orders, in-process):")
        print(f"  without rollups {without:,.0f} orders/s; with rollups {with_:,.0f} orders/s "
              f"({(1 - with_ / without) * 100:.0f}% slower)")


if __name__ == "__main__":
    main()
