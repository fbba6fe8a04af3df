"""Inventory (issue 23) on PostgreSQL.

1. A batch of 5,000 SKUs against the sandbox WooCommerce store (its own thread, real socket):
   WooCommerce calls counted at the store (target <= 50), a result per row (5,000 recorded), and
   memory flat (see below), for 1,000 and for 5,000 rows.
2. The stock list (first page and a deep page, and a search), the aging report (buckets and a page
   of slow movers: the totals the stock_items triggers keep, folded) and the low-stock list (days
   of cover from each item's stored 30 days' sales, kept from the units sold per item and day), at
   50,000 products / 1,000,000 orders (rows inserted directly with generate_series): p95 of the
   service call the JSON API and the embed page make, beside the target (<= 50 ms). Before
   migration 1030 (same machine, loaded): aging p95 45.8-136 ms (it read every item on hand),
   low-stock list p95 1,001 ms (it summed 30 days of order lines).
Memory: the worker's Python heap peak (tracemalloc) over all the job's tasks, 100 rows each in a
fresh session as a worker runs them; "flat" means it does not grow with the batch (1,000 vs 5,000).

Run: .venv/bin/python bench/inventory.py [--products N] [--orders N] [--skus N] [--runs R]
"""
import gc
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_app, sizes_parser, verdict  # noqa: E402

TARGET_CALLS, TARGET_MS = 50, 50.0
WC_KEY, WC_SECRET = "ck_bench_0123456789abcdef0123456789abcdef01234567", "cs_bench_0123456789abcdef0123456789abcdef01234567"


# the service as the inventory benches (and the wishlist's) run it: the sandbox store on
# 127.0.0.1, tasks run inline
APP_CONFIG = {"ALLOW_PRIVATE_SHOP_HOSTS": True, "BROKER_URL": "inline://",
              "QUEUE_NAMESPACE": f"bench-inventory-{os.getpid()}"}


def activate(app, site_url, **keys):
    from backend.extensions import db
    from backend.licensing.service import create_license

    with app.app_context():
        _license, key = create_license(f"bench{time.time_ns()}@shop.test", sites=1, days=30, plan="standard")
        db.session.commit()
    response = app.test_client().post("/api/v1/sites/activate", json={"license_key": key, "site_url": site_url, **keys})
    assert response.status_code == 201, response.json
    return response.json["site_id"]


def batch_part(app, skus_list):
    from backend.extensions import db
    from backend.inventory import batches, product_sync
    from backend.sandbox.server import SandboxServer
    from backend.sandbox.woocommerce import ApiKey, SandboxWooCommerce, generate
    from backend.tasks.models import WorkJob, WorkJobItem
    from sqlalchemy import func, select

    results = []
    for skus in skus_list:
        sandbox = SandboxWooCommerce(generate(0, 1, [ApiKey(WC_KEY, WC_SECRET)]))
        sandbox.store.add_products(skus)
        with SandboxServer(sandbox) as url:
            site_id = activate(app, url, wc_consumer_key=WC_KEY, wc_consumer_secret=WC_SECRET)
            with app.app_context():
                started = time.perf_counter()
                product_sync.backfill(site_id)
                db.session.commit()
                backfill_s = time.perf_counter() - started
            rows = [{"sku": p["sku"], "stock": str((p["stock_quantity"] or 0) + 3), "price": str(int(p["price"]) + 10)}
                    for p in sandbox.store.products.values() if p["sku"].startswith("GEN-")]
            calls_before = sum(sandbox.store.calls.values())
            import backend.tasks.service as work
            enqueue_items, work._enqueue_items = work._enqueue_items, lambda job, items: None
            gc.collect()
            tracemalloc.start()
            try:
                with app.test_request_context():
                    started = time.perf_counter()
                    _batch, job, _checked = batches.start_batch(site_id, rows, source="csv", user="bench")
                    job_id = job.id
                    db.session.commit()
                    _current, request_peak = tracemalloc.get_traced_memory()
            finally:
                work._enqueue_items = enqueue_items
            del _checked, _batch, job
            gc.collect()
            tracemalloc.reset_peak()
            # the job's tasks as one worker runs them: 100 rows each, a fresh session per task
            with app.test_request_context():
                items = [str(i) for i in work._items_of(db.session.get(WorkJob, job_id))]
                db.session.remove()
                for start in range(0, len(items), 100):
                    batches.apply_rows(site_id, job_id, items[start:start + 100])
                    db.session.commit()
                    db.session.remove()
                elapsed = time.perf_counter() - started
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                job = db.session.get(WorkJob, job_id)
                recorded = db.session.execute(select(func.count()).select_from(WorkJobItem).where(WorkJobItem.job_id == job.id)).scalar_one()
                done = db.session.execute(select(func.count()).select_from(WorkJobItem).where(
                    WorkJobItem.job_id == job.id, WorkJobItem.outcome == "done")).scalar_one()
            calls = sum(sandbox.store.calls.values()) - calls_before
            results.append({"skus": len(rows), "calls": calls, "recorded": recorded, "done": done, "status": job.status,
                            "seconds": elapsed, "peak_mb": peak / 1e6, "request_mb": request_peak / 1e6, "backfill_s": backfill_s,
                            "by_route": dict(sandbox.store.calls)})
    return results


def fill(app, products: int, orders: int) -> int:
    from sqlalchemy import text

    from backend.extensions import db

    site_id = activate(app, "https://bench-inventory.example")
    with app.app_context():
        started = time.perf_counter()
        # products: every 10th a variable product's variation (parent the one before), stock 0-60,
        # a cost price on two in three
        db.session.execute(text("""
            INSERT INTO stock_items (site_id, wc_id, parent_wc_id, type, name, sku, status, price, regular_price,
                sale_price, cost_price, manage_stock, stock_quantity, stock_status, categories, image_url,
                low_stock_threshold, date_modified_gmt, stock_version, synced_at)
            SELECT :s, i, 0, 'simple', 'Product ' || lpad(((i * 7919) % :n)::text, 6, '0'), 'SKU-' || i, 'publish',
                   100 + i % 900, 100 + i % 900, NULL, CASE WHEN i % 3 = 0 THEN NULL ELSE 60 + i % 500 END, true,
                   (i * 13) % 61, CASE WHEN (i * 13) % 61 = 0 THEN 'outofstock' ELSE 'instock' END, '["Saree"]',
                   NULL, CASE WHEN i % 50 = 0 THEN 3 ELSE NULL END, timestamp '2025-01-01', 1, now()
            FROM generate_series(1, :n) i"""), {"s": site_id, "n": products})
        db.session.execute(text("""
            INSERT INTO orders (site_id, wc_id, number, status, excluded_from_sales, currency, total, subtotal,
                discount_total, shipping_total, total_tax, payment_method, payment_method_title, created_via,
                wc_customer_id, billing_name, billing_phone, phone, district, date_created_gmt,
                date_modified_gmt, content_hash, synced_at)
            SELECT :s, i, i::text, 'completed', false, 'BDT', 500, 440, 0, 60, 0, 'cod', 'Cash on delivery', 'checkout',
                   0, 'Bench', '01700000000', '+8801700000000', 'Dhaka',
                   now() - (:orders - i) * interval '60 seconds', now() - (:orders - i) * interval '60 seconds', 'bench', now()
            FROM generate_series(1, :orders) i"""), {"s": site_id, "orders": orders})
        # one line per order; products sell unevenly (a skewed pick), so aging has every bucket
        db.session.execute(text("""
            INSERT INTO order_items (order_id, site_id, product_id, variation_id, name, sku, quantity, price, subtotal, total)
            SELECT o.id, :s, p, 0, 'Product', 'SKU-' || p, 1 + o.wc_id % 3, 500, 500, 500
            FROM (SELECT id, wc_id, 1 + ((wc_id * 104729) % :n) * ((wc_id * 104729) % :n) / :n AS p
                  FROM orders WHERE site_id = :s) o"""), {"s": site_id, "n": products})
        # the last sale, as the order_stored listener keeps it
        db.session.execute(text("""
            UPDATE stock_items si SET last_sold_at = x.last FROM (
                SELECT oi.product_id, max(o.date_created_gmt) AS last FROM order_items oi JOIN orders o ON o.id = oi.order_id
                WHERE o.site_id = :s GROUP BY oi.product_id) x
            WHERE si.site_id = :s AND si.wc_id = x.product_id"""), {"s": site_id})
        # the units sold per item and Dhaka day, as the order_stored listener keeps them
        db.session.execute(text("""
            INSERT INTO item_sales_days (site_id, wc_id, day, quantity)
            SELECT :s, oi.product_id, (o.date_created_gmt + interval '6 hours')::date, sum(oi.quantity)
            FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.site_id = :s GROUP BY 2, 3"""), {"s": site_id})
        db.session.commit()
        # the aging totals the stock_items triggers appended, folded as the job does every 5 minutes,
        # and each item's 30 days' sales summed, as the hourly roll does
        from backend.inventory import aging, sales
        aging.fold_aging_totals()
        sales.roll_sales_window(site_id)
        db.session.commit()
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    print(f"filled {products:,} products, {orders:,} orders in {time.perf_counter() - started:.0f} s", flush=True)
    return site_id


def timed(fn, runs):
    fn()  # warm the plan cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def main():
    parser = sizes_parser(products=50_000, orders=1_000_000, skus=5_000, runs=40)
    parser.add_argument("--skip-batch", action="store_true", help="only the stock list and aging timings")
    args = parser.parse_args()
    with bench_app("inventory", **APP_CONFIG) as app:
        print("== batch of SKUs against the sandbox store (PostgreSQL, tasks inline)")
        for result in ([] if args.skip_batch else batch_part(app, [1_000, args.skus])):
            print(f"  {result['skus']:5,} SKUs: WooCommerce calls {result['calls']:3d} (target <= {TARGET_CALLS} for 5,000) "
                  f"{verdict(result['calls'] <= TARGET_CALLS)}; results recorded {result['recorded']:,} "
                  f"({result['done']:,} done, job {result['status']}); {result['seconds']:.1f} s; "
                  f"worker heap peak {result['peak_mb']:.1f} MB (the request that checks and stores the rows: "
                  f"{result['request_mb']:.1f} MB); (backfill {result['backfill_s']:.1f} s)")
        from backend.inventory import aging, service

        site_id = fill(app, args.products, args.orders)
        with app.test_request_context():
            default = service.settings_for(site_id).default_threshold

            def page(n, **kw):
                def run():
                    result = service.stock_page(site_id, n, 50, **kw)
                    return [service.item_view(item, default) for item in result["items"]]
                return run

            cases = {
                "stock list, page 1": page(1),
                "stock list, page 900 (deep)": page(900),
                "stock list, low stock only": page(1, show="low"),
                "stock list, search SKU": page(1, q="SKU-4242"),
                "aging report (buckets + 50 slowest)": lambda: aging.aging(site_id),
                "aging report, page 500 of slow movers": lambda: aging.aging(site_id, page=500),
                "low-stock list (30 days' sales)": lambda: service.low_stock(site_id),
            }
            print(f"== {args.products:,} products / {args.orders:,} orders (PostgreSQL)")
            print(f"  {'case':40} {'p50 ms':>8} {'p95 ms':>8}  target <= {TARGET_MS:.0f} ms")
            for name, fn in cases.items():
                p50, p95 = timed(fn, args.runs)
                print(f"  {name:40} {p50:8.1f} {p95:8.1f}  {verdict(p95 <= TARGET_MS)}", flush=True)


if __name__ == "__main__":
    main()
