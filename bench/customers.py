"""Customers (U1) and campaigns on PostgreSQL at 1,000,000 orders / 300,000 customers.

1. The customer list (by latest order, by spend, by orders) and every segment and filter, first
   page and a deep page (keyset cursor ~80 % down; 5 pages down for a filter), through the
   function the JSON API and the embed page call (`segments.list_customers` + the page's tags +
   the row dicts): p95 beside the target (≤ 50 ms).
2. A campaign to 100,000 recipients (a tag held by 100,000 customers): the audience resolved
   into campaign_recipients, the whole cost debited and the job's tasks handed to the broker
   (Redis, a namespace of its own, emptied after) — ≤ 30 s, with the process's RSS printed
   before, after and at its peak (flat: no per-recipient Python objects beyond the id list).

How the store is made: customers, orders (one line item each) and customer tags are inserted
inside PostgreSQL with generate_series (no Python loop); `customer_stats` is then built by the
product's own `stats.rebuild_site` (its time is printed: the rebuild an existing shop runs once).
Run: .venv/bin/python bench/customers.py [--orders N] [--customers N] [--runs R] [--keep NAME] [--lists-only]
(--keep NAME: the store is made once in database NAME and kept; later runs with the same NAME
reuse it — to time two versions of the code against the same data, one after the other.)
"""
import argparse
import contextlib
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench.common import PG, migrated_app, throwaway_database, timed_reads  # noqa: E402

TARGET_MS = 50.0
CAMPAIGN_TARGET_S = 30.0
DISTRICTS = ["Dhaka", "Chattogram", "Khulna", "Rajshahi", "Sylhet", "Barishal", "Rangpur", "Mymensingh", "Cumilla",
             "Gazipur", "Narayanganj", "Bogura"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(app, n: int, customers: int) -> int:
    from sqlalchemy import text

    from backend.extensions import db
    from backend.licensing.service import create_license

    client = app.test_client()
    with app.app_context():
        _license, key = create_license("bench@shop.test", sites=1, days=30, plan="standard")
        db.session.commit()
    site_id = client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": "https://bench.example"}).json["site_id"]
    districts = "ARRAY[" + ",".join(f"'{d}'" for d in DISTRICTS) + "]"
    with app.app_context():
        started = time.perf_counter()
        db.session.execute(text("""INSERT INTO customers (site_id, phone, name, order_count, created_at)
            SELECT :site, '+88017' || lpad(c::text, 8, '0'), 'Customer ' || c, 0, now()
            FROM generate_series(1, :customers) c"""), {"site": site_id, "customers": customers})
        base = db.session.execute(text("SELECT min(id) - 1 FROM customers WHERE site_id = :s"), {"s": site_id}).scalar()
        # orders over two years up to now; statuses spread like a real shop; a customer's orders spread out
        db.session.execute(text(f"""
            INSERT INTO orders (site_id, wc_id, number, status, excluded_from_sales, currency, total, subtotal,
                discount_total, shipping_total, total_tax, refunded_total, created_via, wc_customer_id, customer_id,
                billing_name, billing_phone, phone, district, date_created_gmt, date_modified_gmt, content_hash, synced_at)
            SELECT :site, i, i::text,
                (ARRAY['processing','completed','completed','completed','completed','pending','on-hold','cancelled',
                       'shipped','returned'])[1 + (i * 7919) % 10],
                false, 'BDT', 300 + (i * 31) % 4000, 240 + (i * 31) % 4000, 0, 60, 0, 0, 'checkout',
                CASE WHEN i % 3 = 0 THEN c ELSE 0 END, {base} + c, 'Customer ' || c,
                '017' || lpad(c::text, 8, '0'), '+88017' || lpad(c::text, 8, '0'),
                ({districts})[1 + c % {len(DISTRICTS)}],
                (now() AT TIME ZONE 'utc') - (:n - i) * interval '63 seconds',
                (now() AT TIME ZONE 'utc') - (:n - i) * interval '63 seconds', 'bench', now()
            FROM (SELECT i, (1 + (i * 104729) % :customers)::int AS c FROM generate_series(1::bigint, :n) i) g"""),
            {"site": site_id, "n": n, "customers": customers})
        db.session.execute(text("""INSERT INTO order_items (order_id, site_id, product_id, name, quantity, price, subtotal, total)
            SELECT id, site_id, 1 + (wc_id * 13) % 2000, 'Product', 1, total, total, total FROM orders WHERE site_id = :s"""),
            {"s": site_id})
        # tags: "VIP" on 0.5 % of customers; "bench-100k" on 100,000 (the campaign's audience)
        db.session.execute(text("""INSERT INTO customer_tags (site_id, customer_id, tag, created_at)
            SELECT :s, id, 'VIP', now() FROM customers WHERE site_id = :s AND id % 200 = 3
            UNION ALL SELECT :s, id, 'bench-100k', now() FROM customers WHERE site_id = :s AND id - :base <= 100000"""),
            {"s": site_id, "base": base})
        db.session.commit()
        print(f"filled {n:,} orders, {customers:,} customers in {time.perf_counter() - started:.0f} s", flush=True)
        from backend.customers import stats
        started = time.perf_counter()
        written = stats.rebuild_site(site_id)
        db.session.commit()
        print(f"stats.rebuild_site: {written:,} customers in {time.perf_counter() - started:.0f} s", flush=True)
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return site_id


def time_lists(app, site_id, runs) -> int:
    from backend.customers import segments, service
    from backend.customers.stats import SEGMENTS
    from backend.extensions import db

    cases = {"no filter": {}, "no filter, by spend": {"sort": "spend"}, "no filter, by orders": {"sort": "orders"}}
    cases.update({f"segment {s}": {"segment": s} for s in SEGMENTS})
    cases.update({
        "spend ≥ 20,000 ৳": {"spend_min": 20000},
        "orders ≥ 5": {"orders_min": 5},
        "ordered in the last 30 days": {"ordered_within_days": 30},
        "no order for 180 days": {"not_ordered_for_days": 180},
        "district Sylhet": {"district": "Sylhet"},
        "bought product 77": {"product_id": 77},
        "delivered ≥ 90 %": {"delivered_ratio_min": 90},
        "tag VIP": {"tag": "VIP"},
        "tag VIP, by spend": {"tag": "VIP", "sort": "spend"},
        "tag VIP, by orders": {"tag": "VIP", "sort": "orders"},
        "bought product 77, by spend": {"product_id": 77, "sort": "spend"},
        "bought product 77, by orders": {"product_id": 77, "sort": "orders"},
        "tag bench-100k (a third of the shop)": {"tag": "bench-100k"},
        "phone search": {"phone": "01700012345"},
        "saved: Dhaka, 3+ orders, 5,000 ৳+": {"district": "Dhaka", "orders_min": 3, "spend_min": 5000},
    })

    def one(filters, cursor=None):
        filters = dict(filters)
        page = segments.list_customers(site_id, filters, sort=filters.pop("sort", "last_order"), cursor=cursor)
        tags = service.tags_of(site_id, [r.customer_id for r in page["customers"]])
        return [service.customer_view(r, tags[r.customer_id]) for r in page["customers"]], page["next"]

    failures = 0
    print(f"{'case':38} {'page':6} {'rows':>4} {'p50 ms':>8} {'p95 ms':>8}  target ≤ {TARGET_MS:.0f} ms")
    with app.app_context():
        for name, filters in cases.items():
            # a deep page: walk the cursor ~80 % down for the unfiltered list, 5 pages for the others
            rows, cursor = one(filters)
            deep = None
            if name.startswith("no filter"):
                from sqlalchemy import select
                from backend.customers.models import CustomerStats
                key = segments.sort_key(filters.get("sort", "last_order"))
                total = db.session.execute(select(key, CustomerStats.customer_id)
                                           .where(CustomerStats.site_id == site_id)
                                           .order_by(key.desc(), CustomerStats.customer_id.desc())
                                           .offset(240_000 if site_id else 0).limit(1)).first()
                deep = f"{total[0].isoformat() if hasattr(total[0], 'isoformat') else total[0]}|{total[1]}" if total else None
            else:
                for _ in range(4):
                    if cursor:
                        deep = cursor
                        _rows, cursor = one(filters, cursor)
            for page, start in (("first", None), ("deep", deep)):
                if page == "deep" and not start:
                    continue
                (rows, _next), median, p95 = timed_reads(lambda filters=filters, start=start: one(filters, start), runs)
                failures += p95 > TARGET_MS
                print(f"{name:38} {page:6} {len(rows):>4} {median:8.1f} {p95:8.1f}  "
                      f"{'ok' if p95 <= TARGET_MS else 'OVER'}", flush=True)
        counts = []
        for _ in range(runs):
            began = time.perf_counter()
            segments.segment_counts(site_id)
            counts.append((time.perf_counter() - began) * 1000)
        print(f"{'segment counts (all six)':38} {'':6} {'':>4} {statistics.median(counts):8.1f} "
              f"{statistics.quantiles(counts, n=20)[18]:8.1f}  (shown beside the list; not in the target)")
    return failures


def time_campaign(app, site_id) -> bool:
    from decimal import Decimal

    from backend.customers import campaigns
    from backend.extensions import db
    from backend.licensing.models import Site
    from backend.sms import service as sms

    with app.app_context():
        sms.credit(site_id, Decimal("100000"), kind="operator_credit", reference="bench")
        db.session.commit()
    with app.app_context():
        before = rss_mb()
        site = db.session.get(Site, site_id)
        began = time.perf_counter()
        preview = campaigns.preview(site, content="ঈদ মোবারক! সব পণ্যে ২০% ছাড়", audience={"filters": {"tag": "bench-100k"}})
        previewed = time.perf_counter() - began
        campaign = campaigns.create(site, name="bench", content="ঈদ মোবারক! সব পণ্যে ২০% ছাড়",
                                    audience={"filters": {"tag": "bench-100k"}})
        db.session.commit()  # the outbox hands the tasks to Redis here
        took = time.perf_counter() - began
        after = rss_mb()
        print(f"campaign: preview {preview['recipients']:,} recipients, {preview['segments']} SMS each, "
              f"{preview['total_cost']:.2f} ৳ in {previewed:.2f} s")
        print(f"campaign to {campaign.recipients:,} recipients: resolved, charged {campaign.total_cost:.2f} ৳ and queued "
              f"({-(-campaign.recipients // campaigns.RECIPIENTS_PER_TASK)} tasks) in {took:.1f} s  target ≤ "
              f"{CAMPAIGN_TARGET_S:.0f} s  {'ok' if took <= CAMPAIGN_TARGET_S else 'OVER'}")
        print(f"RSS: {before:.0f} MB before, {after:.0f} MB after, peak {peak_mb():.0f} MB")
        return took <= CAMPAIGN_TARGET_S


@contextlib.contextmanager
def kept_database(name: str):
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG}/{name}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", help="make the store once in this database and keep it (reused when it exists)")
    parser.add_argument("--lists-only", action="store_true", help="time the lists only (no campaign)")
    args = parser.parse_args()
    namespace = f"bench-customers-{uuid.uuid4().hex[:8]}"
    with (kept_database(args.keep) if args.keep else throwaway_database()) as url:
        os.environ.setdefault("BIKRI_INSTANCE_DIR", "/tmp/bikri-bench-customers")
        from sqlalchemy import text

        from backend.extensions import db
        app = migrated_app(url, QUEUE_NAMESPACE=namespace)
        with app.app_context():
            site_id = db.session.execute(text("SELECT min(site_id) FROM customer_stats")).scalar() if args.keep else None
            db.session.rollback()
        if site_id is None:
            site_id = fill(app, args.orders, args.customers)
        print(f"load {Path('/proc/loadavg').read_text().strip()}", flush=True)
        failures = time_lists(app, site_id, args.runs)
        print(f"load {Path('/proc/loadavg').read_text().strip()}", flush=True)
        ok = True if args.lists_only else time_campaign(app, site_id)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        import redis
        client = redis.Redis.from_url(app.config["REDIS_URL"])
        for key in client.scan_iter(f"*{namespace}*"):
            client.delete(key)
        print(f"{failures} list case(s) over the target; campaign {'ok' if ok else 'OVER'}")


if __name__ == "__main__":
    main()
