"""Benchmark: the plugin's order export on real WordPress + MariaDB.

1. A throwaway WordPress (scripts/wp/setup.sh, plugin symlinked), WooCommerce's order tables
   from wp-plugin/tests/fixtures/woocommerce-order-tables.sql, and N orders from the sandbox
   generator written into BOTH storages (posts/postmeta and HPOS, items shared, as with HPOS
   sync on) with multi-row INSERTs through the mysql client.
2. The export walked in PHP (bench/export-walk.php): queries per page and ms per 100 orders,
   per storage. Targets: <= 10 queries per page, <= 50 ms per 100 orders.
3. End to end (--e2e): WordPress served by PHP, the service's backfill (PostgreSQL) pulling
   every order through the signed export; orders/s against >= 900/s (20x wc/v3's ~45/s).

    .venv/bin/python bench/export.py --orders 10000 --orders 100000 --e2e
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MYSQL = ["mysql", "-h", os.environ.get("DB_HOST", "127.0.0.1"), "-u", os.environ.get("DB_USER", "root")]
TOKEN = "bench-site-token-" + uuid.uuid4().hex


def q(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class Inserts:
    """Buffers rows per table and writes multi-row INSERTs of ~1,000 rows."""

    def __init__(self, out):
        self.out, self.rows = out, {}

    def add(self, table, columns, row):
        key = (table, columns)
        batch = self.rows.setdefault(key, [])
        batch.append("(" + ",".join(q(v) for v in row) + ")")
        if len(batch) >= 1000:
            self.flush(key)

    def flush(self, key=None):
        for k in ([key] if key else list(self.rows)):
            batch = self.rows.get(k)
            if batch:
                self.out.write(f"INSERT INTO {k[0]} ({','.join(k[1])}) VALUES {','.join(batch)};\n")
                self.rows[k] = []


def write_orders(out, n: int, prefix: str = "wp_") -> None:
    from backend.sandbox.woocommerce import Store

    store = Store(n, seed=3)
    ins = Inserts(out)
    out.write("SET autocommit=0; SET unique_checks=0; SET foreign_key_checks=0;\n")
    post_cols = ("ID", "post_author", "post_date", "post_date_gmt", "post_content", "post_title", "post_excerpt",
                 "post_status", "comment_status", "ping_status", "post_name", "to_ping", "pinged", "post_modified",
                 "post_modified_gmt", "post_content_filtered", "post_parent", "post_type")
    meta_cols = ("post_id", "meta_key", "meta_value")
    offset = 1000  # product ids stay below it
    for pid, product in store.products.items():
        ins.add(prefix + "posts", post_cols, (pid, 1, "2024-01-01", "2024-01-01", "", product["name"], "", "publish",
                                              "closed", "closed", f"p{pid}", "", "", "2024-01-01", "2024-01-01", "", 0, "product"))
        ins.add(prefix + "postmeta", meta_cols, (pid, "_sku", product["sku"]))
    for i in range(1, n + 1):
        o = store.order(i)
        oid = o["id"] + offset
        status = o["status"] if o["status"] == "trash" else "wc-" + o["status"]
        created, modified = o["date_created_gmt"].replace("T", " "), o["date_modified_gmt"].replace("T", " ")
        ins.add(prefix + "posts", post_cols, (oid, 1, created, created, "", f"Order {oid}", o["customer_note"], status,
                                              "closed", "closed", f"order-{oid}", "", "", modified, modified, "", 0,
                                              "shop_order"))
        paid = o["date_paid_gmt"]
        done = o["date_completed_gmt"]
        meta = {"_order_total": o["total"], "_cart_discount": o["discount_total"], "_order_shipping": o["shipping_total"],
                "_order_tax": o["cart_tax"], "_order_shipping_tax": o["shipping_tax"], "_order_currency": o["currency"],
                "_payment_method": o["payment_method"], "_payment_method_title": o["payment_method_title"],
                "_customer_user": o["customer_id"], "_created_via": o["created_via"], "_order_key": o["order_key"],
                "_date_paid": int(datetime.fromisoformat(paid + "+00:00").timestamp()) if paid else "",
                "_date_completed": int(datetime.fromisoformat(done + "+00:00").timestamp()) if done else "",
                "_customer_ip_address": o["customer_ip_address"], "_prices_include_tax": "no",
                "_order_version": "8.9.1", "_cart_discount_tax": "0"}
        for kind in ("billing", "shipping"):
            for field, value in o[kind].items():
                meta[f"_{kind}_{field}"] = value
        for m in o["meta_data"]:
            meta[m["key"]] = m["value"]
        for key, value in meta.items():
            ins.add(prefix + "postmeta", meta_cols, (oid, key, value))
        # HPOS
        ins.add(prefix + "wc_orders", ("id", "status", "currency", "type", "tax_amount", "total_amount", "customer_id",
                                       "billing_email", "date_created_gmt", "date_updated_gmt", "parent_order_id",
                                       "payment_method", "payment_method_title", "transaction_id", "ip_address",
                                       "user_agent", "customer_note"),
                (oid, status, o["currency"], "shop_order", o["cart_tax"], o["total"], o["customer_id"],
                 o["billing"]["email"], created, modified, 0, o["payment_method"], o["payment_method_title"], "",
                 o["customer_ip_address"], o["customer_user_agent"], o["customer_note"]))
        ins.add(prefix + "wc_order_operational_data",
                ("order_id", "created_via", "woocommerce_version", "order_key", "date_paid_gmt", "date_completed_gmt",
                 "shipping_tax_amount", "shipping_total_amount", "discount_tax_amount", "discount_total_amount"),
                (oid, o["created_via"], "8.9.1", o["order_key"], paid.replace("T", " ") if paid else None,
                 done.replace("T", " ") if done else None, o["shipping_tax"], o["shipping_total"], "0", o["discount_total"]))
        for kind in ("billing", "shipping"):
            a = o[kind]
            ins.add(prefix + "wc_order_addresses", ("order_id", "address_type", "first_name", "last_name", "company",
                                                    "address_1", "address_2", "city", "state", "postcode", "country",
                                                    "email", "phone"),
                    (oid, kind, a["first_name"], a["last_name"], a["company"], a["address_1"], a["address_2"], a["city"],
                     a["state"], a["postcode"], a["country"], a.get("email"), a["phone"]))
        for m in o["meta_data"]:
            ins.add(prefix + "wc_orders_meta", ("order_id", "meta_key", "meta_value"), (oid, m["key"], m["value"]))
        for item in o["line_items"]:
            item_id = item["id"] + offset * 10
            ins.add(prefix + "woocommerce_order_items", ("order_item_id", "order_item_name", "order_item_type", "order_id"),
                    (item_id, item["name"], "line_item", oid))
            for key, value in (("_product_id", item["product_id"]), ("_variation_id", item["variation_id"]),
                               ("_qty", item["quantity"]), ("_tax_class", ""), ("_line_subtotal", item["subtotal"]),
                               ("_line_subtotal_tax", "0"), ("_line_total", item["total"]), ("_line_tax", "0")):
                ins.add(prefix + "woocommerce_order_itemmeta", ("order_item_id", "meta_key", "meta_value"),
                        (item_id, key, value))
        for line in o["shipping_lines"]:
            ins.add(prefix + "woocommerce_order_items", ("order_item_id", "order_item_name", "order_item_type", "order_id"),
                    (line["id"] + offset * 10, line["method_title"], "shipping", oid))
    ins.flush()
    out.write("COMMIT;\n")


def mysql(db: str, sql: str | None = None, path: Path | None = None) -> str:
    if path:
        with open(path, "rb") as f:
            return subprocess.run(MYSQL + [db], stdin=f, check=True, capture_output=True).stdout.decode()
    return subprocess.run(MYSQL + [db, "-N", "-e", sql], check=True, capture_output=True).stdout.decode()


def make_wordpress(work: Path, n: int, port: int) -> tuple[Path, str]:
    db = f"bikri_bench_wp_{uuid.uuid4().hex[:8]}"
    site = work / f"wp{n}"
    env = {**os.environ, "WP_HOME": f"http://127.0.0.1:{port}"}
    env.pop("BIKRI_SERVICE_URL", None)
    subprocess.run(["bash", str(ROOT / "scripts/wp/setup.sh"), str(site), db], env=env, check=True, capture_output=True)
    schema = (ROOT / "wp-plugin/tests/fixtures/woocommerce-order-tables.sql").read_text().replace("{prefix}", "wp_")
    mysql(db, schema)
    started = time.monotonic()
    sql_path = work / f"orders{n}.sql"
    with open(sql_path, "w") as out:
        write_orders(out, n)
    generated = time.monotonic() - started
    mysql(db, path=sql_path)
    sql_path.unlink()
    print(f"  {n:,} orders generated in {generated:.0f} s, loaded in {time.monotonic() - started - generated:.0f} s",
          flush=True)
    return site, db


def walk(site: Path, storage: str) -> dict:
    out = subprocess.run(["php", str(ROOT / "bench/export-walk.php"), str(site), storage, "100"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def e2e(site: Path, db: str, port: int, n: int) -> dict:
    """Serve WordPress, backfill every order through the signed export into PostgreSQL."""
    from bench.common import throwaway_database

    mysql(db, f"REPLACE INTO wp_options (option_name, option_value, autoload) VALUES ('bikri_token', '{TOKEN}', 'no')")
    server = subprocess.Popen(["bash", str(ROOT / "scripts/wp/serve.sh"), str(site), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        with throwaway_database() as url:
            os.environ.update(DATABASE_URL=url, BIKRI_SECRET_KEY="bench-secret", BIKRI_ALLOW_PRIVATE_SHOP_HOSTS="1",
                              BIKRI_INSTANCE_DIR=tempfile.mkdtemp(prefix="bikri-bench-"))
            from backend.app import create_app
            from backend.extensions import db as sa
            from backend.sync import service
            from backend.sync.models import SyncKind, SyncStatus
            from flask_migrate import upgrade

            app = create_app()
            with app.app_context():
                upgrade()
                site_row = _make_site(app, f"http://127.0.0.1:{port}")
                # the key the plugin's config pull would have brought
                from backend.security import export_key
                key = export_key(hashlib.sha256(TOKEN.encode()).hexdigest())
                mysql(db, "REPLACE INTO wp_options (option_name, option_value, autoload) "
                          f"VALUES ('bikri_export_key', '{key}', 'no')")
                state = service.state_for(site_row, SyncKind.BACKFILL)
                # products come from wc/v3, which this WooCommerce-less WordPress lacks: the walk is what is measured
                state.cursor = json.dumps({"until": "2100-01-01T00:00:00", "products_done": True, "mode": "export",
                                           "after_id": 0})
                state.status, state.total = SyncStatus.QUEUED, n
                sa.session.commit()
                started = time.monotonic()
                state = service.run_backfill(site_row)
                seconds = time.monotonic() - started
                from sqlalchemy import func, select

                from backend.orders.models import Order
                stored = sa.session.execute(select(func.count()).select_from(Order)).scalar_one()
                return {"orders": stored, "seconds": seconds, "status": state.status, "error": state.last_error}
    finally:
        server.terminate()
        server.wait(timeout=20)


def _make_site(app, url: str) -> int:
    """A licensed, activated site whose token is TOKEN, through the service's own activation."""
    from backend.extensions import db as sa
    from backend.licensing.models import Site

    client = app.test_client()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["licenses", "create", "--email", "bench@example.com"])
    key = result.output.strip().splitlines()[-1].strip() if result.exit_code == 0 else None
    if not key:
        raise SystemExit("could not create a license: " + result.output)
    response = client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": url,
                                                          "wc_consumer_key": "ck_bench", "wc_consumer_secret": "cs_bench"})
    assert response.status_code == 201, response.json
    site = sa.session.get(Site, response.json["site_id"])
    site.token_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
    sa.session.commit()
    return site.id


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, action="append")
    parser.add_argument("--e2e", action="store_true", help="also backfill the largest store end to end")
    args = parser.parse_args()
    sizes = args.orders or [10_000, 100_000]
    work = Path(tempfile.mkdtemp(prefix="bikri-bench-export-"))
    port = 18000 + os.getpid() % 1000
    made = []
    try:
        for n in sizes:
            print(f"{n:,} orders:", flush=True)
            site, db = make_wordpress(work, n, port)
            made.append((site, db))
            for storage in ("posts", "hpos"):
                r = walk(site, storage)
                ok = r["queries_per_page"][1] <= 10 and r["ms_per_100"] <= 50
                print(f"  {storage:5}: {r['orders']:,} orders in {r['pages']:,} pages, queries/page "
                      f"{r['queries_per_page'][0]}-{r['queries_per_page'][1]} (target <= 10), "
                      f"{r['ms_per_100']:.1f} ms per 100 orders (target <= 50), peak {r['peak_mb']:.0f} MB "
                      f"{'OK' if ok else 'MISSED'}", flush=True)
        if args.e2e:
            site, db = made[-1]
            r = e2e(site, db, port, sizes[-1])
            rate = r["orders"] / r["seconds"]
            print(f"end to end ({sizes[-1]:,} orders, posts storage, served by php -S, into PostgreSQL): "
                  f"{r['orders']:,} stored in {r['seconds']:.1f} s = {rate:,.0f} orders/s (target >= 900; "
                  f"wc/v3 ~45) {r['status']} {r['error'] or ''}", flush=True)
    finally:
        for site, db in made:
            subprocess.run(["bash", str(ROOT / "scripts/wp/teardown.sh"), str(site), db], capture_output=True)
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
