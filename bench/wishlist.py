"""Wishlist (U3) on PostgreSQL.

1. The Wishlist page's report (totals, most wished, wished but never bought) at 50,000 wishes
   from 30,000 shoppers, 20,000 products, 300,000 orders (rows inserted directly with
   generate_series, the wishes' bought_at then set as the listeners keep it): p50/p95 of the
   service call the page and the JSON API make (target <= 200 ms).
2. A restock told by a stock push (the plugin's hook, through inventory's write path and its
   items_changed signal) of an item 5,000 shoppers subscribed to: p50/p95 of the push with its
   5,000 alert rows written (target <= 1,000 ms). The SMS batch that follows runs on a worker and
   is measured by the SMS benches; here it is not queued.

Run: .venv/bin/python bench/wishlist.py [--wishes N] [--orders N] [--subscribers N] [--runs R]
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_app, sizes_parser, verdict  # noqa: E402
from bench.inventory import APP_CONFIG, activate, timed  # noqa: E402

TARGET_REPORT_MS, TARGET_RESTOCK_MS = 200.0, 1000.0
PRODUCTS = 20_000


def fill(app, wishes: int, orders: int, subscribers: int) -> int:
    from sqlalchemy import text

    from backend.extensions import db

    site_id = activate(app, "https://bench-wishlist.example")
    started = time.perf_counter()
    with app.app_context():
        db.session.execute(text("""
            INSERT INTO stock_items (site_id, wc_id, parent_wc_id, type, name, sku, status, price, regular_price,
                manage_stock, stock_quantity, stock_status, categories, stock_version, synced_at)
            SELECT :s, i, 0, 'simple', 'Product ' || i, 'SKU-' || i, 'publish', 100 + i % 900, 100 + i % 900, true,
                   CASE WHEN i = 1 THEN 0 ELSE 5 END, CASE WHEN i = 1 THEN 'outofstock' ELSE 'instock' END, '[]', 1, now()
            FROM generate_series(1, :n) i"""), {"s": site_id, "n": PRODUCTS})
        # orders from 40,000 accounts and phones; one line each, products picked unevenly
        db.session.execute(text("""
            INSERT INTO orders (site_id, wc_id, number, status, excluded_from_sales, currency, total, subtotal,
                discount_total, shipping_total, total_tax, wc_customer_id, billing_name, billing_phone, phone,
                billing_email, date_created_gmt, date_modified_gmt, content_hash, synced_at)
            SELECT :s, i, i::text, 'completed', false, 'BDT', 500, 440, 0, 60, 0, i % 40000, 'Bench', '',
                   '+88017' || lpad((i % 40000)::text, 8, '0'), 'shopper' || (i % 40000) || '@bench.test',
                   now() - (:o - i) * interval '60 seconds', now() - (:o - i) * interval '60 seconds', 'bench', now()
            FROM generate_series(1, :o) i"""), {"s": site_id, "o": orders})
        db.session.execute(text("""
            INSERT INTO order_items (order_id, site_id, product_id, variation_id, name, quantity, price, subtotal, total)
            SELECT o.id, :s, 1 + (o.wc_id * 7919) % :n, 0, 'Product', 1, 500, 500, 500
            FROM orders o WHERE o.site_id = :s"""), {"s": site_id, "n": PRODUCTS})
        # wishes: 30,000 shoppers (accounts, some also with a phone), products skewed to the first thousand
        db.session.execute(text("""
            INSERT INTO wishes (site_id, shopper, wp_user_id, email, phone, product_wc_id, variation_wc_id, wished_at,
                removed_at, version)
            SELECT :s, 'user:' || (i % 30000), i % 30000, 'shopper' || (i % 30000) || '@bench.test',
                   CASE WHEN i % 3 = 0 THEN '+88017' || lpad((i % 30000)::text, 8, '0') END,
                   1 + ((i::bigint * 104729) % 1000) * ((i::bigint * 104729) % 1000) % :n, 0, now(),
                   CASE WHEN i % 10 = 0 THEN now() END, i
            FROM generate_series(1, :w) i
            ON CONFLICT DO NOTHING"""), {"s": site_id, "w": wishes, "n": PRODUCTS})
        db.session.execute(text("""
            INSERT INTO wishlist_alert_subscriptions (site_id, item_wc_id, product_wc_id, phone, back_in_stock, price_drop,
                price_seen, version, created_at)
            SELECT :s, 1, 1, '+88018' || lpad(i::text, 8, '0'), true, true, 100, 1, now()
            FROM generate_series(1, :n) i"""), {"s": site_id, "n": subscribers})
        db.session.execute(text("""
            INSERT INTO wishlist_settings (site_id, back_in_stock_sms, price_drop_sms, language, alerts_per_phone_per_day,
                updated_at) VALUES (:s, true, true, 'bn', 2, now())"""), {"s": site_id})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    print(f"filled {wishes:,} wishes, {orders:,} orders, {subscribers:,} subscribers in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return site_id


def main():
    args = sizes_parser(wishes=50_000, orders=300_000, subscribers=5_000, runs=20).parse_args()
    with bench_app("wishlist", **APP_CONFIG) as app:
        site_id = fill(app, args.wishes, args.orders, args.subscribers)
        from backend.extensions import db
        from backend.inventory import product_sync as inventory
        from backend.wishlist import service

        print(f"== {args.wishes:,} wishes / {args.orders:,} orders (PostgreSQL)")
        with app.test_request_context():
            # the wishes' bought_at, as the order_stored listener and the wish's arrival keep it
            from sqlalchemy import update

            from backend.wishlist.models import Wish
            started = time.perf_counter()
            marked = db.session.execute(update(Wish).where(Wish.site_id == site_id, service.BOUGHT)
                                        .values(bought_at=db.func.now())).rowcount
            db.session.commit()
            print(f"  (bought wishes marked: {marked:,} in {time.perf_counter() - started:.1f} s, once, for the fill)")
            p50, p95 = timed(lambda: service.report(site_id), args.runs)
            print(f"  {'the report (page and API)':40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  target <= "
                  f"{TARGET_REPORT_MS:.0f} ms {verdict(p95 <= TARGET_REPORT_MS)}", flush=True)

            # the send is a worker's (not queued here: the inline broker would run it in this process)
            service.enqueue = lambda *_args, **_kwargs: None
            version = [inventory.version_of(None) + 10**15]

            def restock():
                version[0] += 2
                inventory.apply_stock_events(site_id, [
                    {"product_id": 1, "stock_quantity": 0, "stock_status": "outofstock", "version": version[0]}])
                inventory.apply_stock_events(site_id, [
                    {"product_id": 1, "stock_quantity": 9, "stock_status": "instock", "version": version[0] + 1}])
                db.session.commit()

            p50, p95 = timed(restock, max(3, args.runs // 4))
            alerts = db.session.execute(db.text("SELECT count(*) FROM wishlist_alerts")).scalar_one()
            print(f"  {'a restock, %d subscribers' % args.subscribers:40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  target <= "
                  f"{TARGET_RESTOCK_MS:.0f} ms {verdict(p95 <= TARGET_RESTOCK_MS)}  ({alerts:,} alert rows)", flush=True)


if __name__ == "__main__":
    main()
