"""The order desk's CSV export (issue 20, item 3) of 100,000 orders, end to end: gunicorn as
shipped (one worker, so its memory is the export's), PostgreSQL, the real routes a browser
takes (page ticket -> embed session -> POST /embed/orders/export -> the one-time download
URL). Measured: the worker's peak RSS while it streams (sampled from /proc every 20 ms),
time to first byte, rows/s. Targets: peak RSS <= 150 MB; the whole file well inside the
worker timeout (30 s).

The orders are made by bench/order_list.py's `fill` (generate_series inside PostgreSQL),
plus what the export reads and the list does not: 1-3 items per order, addresses, notes,
Bangla names on one order in ten, a formula-looking name, tags, and a parcel on a third of them.

Run: .venv/bin/python bench/export_orders.py [--orders N] [--port P]
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path
from threading import Event, Thread

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import free_port, service_env, throwaway_database, verdict, web_process  # noqa: E402
from bench.order_list import fill  # noqa: E402

TARGET_RSS_MB = 150.0
TARGET_SECONDS = 30.0  # gunicorn.conf.py's worker timeout: a sync worker must finish within it
TOKEN = "bench-export-site-token"


def enrich(app, site_id: int) -> None:
    from sqlalchemy import text

    from backend.extensions import db
    from backend.security import hash_token

    with app.app_context():
        started = time.perf_counter()
        db.session.execute(text("""
            UPDATE orders SET billing_address = 'House ' || (wc_id % 90 + 1) || ', Road ' || (wc_id % 27 + 1) || ', Mirpur',
                customer_note = CASE WHEN wc_id % 5 = 0 THEN 'Call before coming, "gate 2"' END,
                billing_name = CASE WHEN wc_id % 10 = 3 THEN 'রহিমা আক্তার' WHEN wc_id % 1000 = 1 THEN '=HYPERLINK("x")'
                                    ELSE billing_name END,
                courier = CASE WHEN wc_id % 3 = 0 THEN 'steadfast' END
            WHERE site_id = :s"""), {"s": site_id})
        db.session.execute(text("""
            INSERT INTO order_items (order_id, site_id, wc_item_id, product_id, name, quantity, price, subtotal, total)
            SELECT o.id, :s, o.wc_id * 10 + k, 100 + (o.wc_id + k) % 40,
                   (ARRAY['Cotton saree','Three-piece (lawn)','জামদানি শাড়ি','Panjabi','Kids frock'])[1 + (o.wc_id + k) % 5],
                   1 + k, 450, 450 * (1 + k), 450 * (1 + k)
            FROM orders o CROSS JOIN generate_series(0, 2) k
            WHERE o.site_id = :s AND k <= o.wc_id % 3"""), {"s": site_id})
        db.session.execute(text("""
            INSERT INTO consignments (site_id, order_wc_id, invoice, courier, consignment_id, cod_amount, status,
                                      booked_at, check_failures, created_at)
            SELECT :s, wc_id, number, 'steadfast', 'SF' || wc_id, total,
                   (ARRAY['pending','delivered','returned','in_review'])[1 + wc_id % 4], now(), 0, now()
            FROM orders WHERE site_id = :s AND courier = 'steadfast'"""), {"s": site_id})
        # the token the bench authenticates with (fill activated the site with one it did not keep)
        db.session.execute(text("UPDATE sites SET token_hash = :h WHERE id = :s"), {"h": hash_token(TOKEN), "s": site_id})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print(f"items, parcels, names added in {time.perf_counter() - started:.0f} s", flush=True)
        db.session.remove()
        db.engine.dispose()


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", text, re.M).group(1)) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    port = free_port(args.port)
    with throwaway_database() as url:
        os.environ.setdefault("BIKRI_INSTANCE_DIR", "/tmp/bikri-bench-export")
        from flask_migrate import upgrade

        from backend.app import create_app

        sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://")
        app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url, "SECRET_KEY": "bench",
                          "ACTIVATION_RATE_LIMIT": "1000 per minute"})
        with app.app_context():
            upgrade()
        site_id = fill(app, args.orders, max(args.orders // 10, 1))
        enrich(app, site_id)
        env = service_env(url, port, BIKRI_WEB_WORKERS="1")
        with web_process(env) as base:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            ticket = requests.post(f"{base}/api/v1/embed/tickets", headers=auth, timeout=10, json={
                "wp_user_id": 1, "display_name": "Bench owner", "role": "administrator", "page": "orders"}).json()
            page = requests.get(ticket["url"], timeout=30).text
            session = re.search(r'name="bikri-session" content="([^"]+)"', page).group(1)
            worker = _the_worker(base)
            before = rss_mb(worker)
            answer = requests.post(f"{base}/embed/orders/export", headers={"X-Bikri-Embed-Session": session}, timeout=10)
            download = base + answer.headers["HX-Redirect"]

            peak, done = [before], Event()

            def sample():
                while not done.is_set():
                    peak.append(rss_mb(worker))
                    time.sleep(0.02)

            sampler = Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            first_byte = None
            size = lines = 0
            with requests.get(download, stream=True, timeout=60) as response:
                assert response.status_code == 200, response.text[:300]
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    if first_byte is None:
                        first_byte = time.perf_counter() - started
                    size += len(chunk)
                    lines += chunk.count(b"\r\n")
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
            after = rss_mb(worker)
            # the same URL a second time: one use only
            refused = requests.get(download, timeout=10).status_code

        rows = lines - 1  # the header
        print(f"\nexport of {rows:,} orders ({size / 1e6:.1f} MB of CSV), gunicorn 1 sync worker, PostgreSQL")
        print(f"{'measure':32} {'value':>12}  target")
        print(f"{'worker RSS before':32} {before:10.1f} MB")
        print(f"{'worker RSS peak while streaming':32} {max(peak):10.1f} MB  <= {TARGET_RSS_MB:.0f} MB  "
              f"{verdict(max(peak) <= TARGET_RSS_MB)}")
        print(f"{'worker RSS after':32} {after:10.1f} MB")
        print(f"{'time to first byte':32} {first_byte * 1000:10.0f} ms")
        print(f"{'whole file':32} {elapsed:10.1f} s   < {TARGET_SECONDS:.0f} s (worker timeout)  "
              f"{verdict(elapsed < TARGET_SECONDS)}")
        print(f"{'rows/s':32} {rows / elapsed:10,.0f}")
        print(f"{'rows in the file':32} {rows:10,}   = {args.orders:,}  {verdict(rows == args.orders)}")
        print(f"{'same URL again':32} {refused:>10}   410  {verdict(refused == 410)}")


def _the_worker(base: str) -> int:
    """gunicorn's one worker: the child of the master whose listening port is ours."""
    port = base.rsplit(":", 1)[1]
    masters = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if b"gunicorn" in cmdline and f"BIKRI_BIND=127.0.0.1:{port}".encode() in environ:
            masters.append(int(pid))
    children = [pid for pid in masters if _parent(pid) in masters]
    if len(children) != 1:
        sys.exit(f"expected one gunicorn worker on port {port}, found {children}")
    return children[0]


def _parent(pid: int) -> int:
    return int(re.search(r"^PPid:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M).group(1))


if __name__ == "__main__":
    main()
