"""Inventory (issue 23): products in step, low stock once per crossing, batches, aging."""
import io
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from backend.extensions import db
from backend.inventory import batches, product_sync, service
from backend.inventory.models import LowStockCrossing, StockBatchRow, StockItem
from backend.sms.models import SmsMessage
from backend.tasks.models import WorkJob
from backend.clock import utcnow
from tests.sync.helpers import transactions_while_asked


def _backfill(app, shop):
    with app.app_context():
        count = product_sync.backfill(shop.site_id)
        db.session.commit()
        return count


def _item(app, site_id, wc_id):
    with app.app_context():
        item = db.session.execute(select(StockItem).where(StockItem.site_id == site_id, StockItem.wc_id == wc_id)).scalar_one()
        db.session.expunge(item)
        return item


def _event(wc_id, version, quantity, key=None, parent=0, kind="stock"):
    return {"idempotency_key": key or f"{wc_id}-{version}", "type": kind, "product_id": wc_id, "parent_id": parent,
            "stock_quantity": quantity, "stock_status": "instock" if quantity else "outofstock", "manage_stock": True,
            "version": version}


def test_backfill_reads_products_and_variations_with_their_fields(app, connected, store, catalogue):
    count = _backfill(app, connected)
    wc = store.app.store
    expected = len(wc.products) + sum(len(v) for v in wc.variations.values())
    assert count == expected
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(StockItem)).scalar_one() == expected
    simple = _item(app, connected.site_id, catalogue["simple"][0])
    source = wc.products[catalogue["simple"][0]]
    assert simple.sku == source["sku"] and simple.stock_quantity == source["stock_quantity"] and simple.manage_stock
    assert simple.regular_price == Decimal(source["regular_price"]) and simple.cost_price == Decimal(source["meta_data"][0]["value"])
    assert simple.image_url.endswith(".jpg") and "Category" not in (simple.categories or "") or simple.categories
    parent = catalogue["variable"][0]
    vid = next(iter(wc.variations[parent]))
    variation = _item(app, connected.site_id, vid)
    assert variation.parent_wc_id == parent and variation.type == "variation"
    assert variation.sku == wc.variations[parent][vid]["sku"] and variation.stock_quantity == wc.variations[parent][vid]["stock_quantity"]
    assert variation.name.startswith(wc.products[parent]["name"]) and "S0" in variation.name


def test_stock_hooks_out_of_order_leave_the_newest_value(app, connected, store, catalogue):
    _backfill(app, connected)
    wc_id = catalogue["simple"][1]
    base = product_sync.version_of(utcnow()) + 10_000_000
    newer, older = _event(wc_id, base + 2, 7), _event(wc_id, base + 1, 9)
    answer = connected.post("/api/v1/inventory/events", json={"events": [newer]})
    assert answer.status_code == 200 and answer.json["results"][0]["status"] == "applied"
    answer = connected.post("/api/v1/inventory/events", json={"events": [older]})
    assert answer.json["results"][0]["status"] == "ignored_older"
    assert _item(app, connected.site_id, wc_id).stock_quantity == 7
    # a reconciliation bringing an older copy of the product does not undo the hook either
    with app.app_context():
        product_sync.upsert_items(connected.site_id, [product_sync.normalise_item(store.app.store.products[wc_id])])
        db.session.commit()
    assert _item(app, connected.site_id, wc_id).stock_quantity == 7


def test_variation_stock_hook_and_unknown_item_is_fetched(app, connected, store, catalogue):
    _backfill(app, connected)
    parent = catalogue["variable"][1]
    vid = list(store.app.store.variations[parent])[2]
    version = product_sync.version_of(utcnow()) + 5_000_000
    answer = connected.post("/api/v1/inventory/events", json={"events": [_event(vid, version, 3, parent=parent)]})
    assert answer.json["results"][0]["status"] == "applied"
    assert _item(app, connected.site_id, vid).stock_quantity == 3
    # a product added in WooCommerce after the backfill: its first hook reads it (inline worker)
    [new_id] = store.app.store.add_products(1, first_sku=900)
    answer = connected.post("/api/v1/inventory/events", json={"events": [_event(new_id, version, 1)]})
    assert answer.json["results"][0]["status"] == "fetching"
    assert _item(app, connected.site_id, new_id).sku == "GEN-000900"


def test_an_unknown_item_is_fetched_with_no_transaction_open(app, connected, store):
    """fetch_items only reads (the site) before it asks WooCommerce for the products, and ends
    that reading transaction first: none waits open on the shop. Run in an app context of its
    own, as a worker runs it: inline after a hook, the request's session already holds the site
    and reads nothing."""
    [new_id] = store.app.store.add_products(1, first_sku=900)
    with transactions_while_asked(app, store.app) as found, app.app_context():
        product_sync.request_fetch(connected.site_id, [(new_id, 0)])
    assert found == [] and _item(app, connected.site_id, new_id).sku == "GEN-000900"


def test_reconciliation_catches_a_change_the_push_missed(app, connected, store, catalogue):
    _backfill(app, connected)
    wc = store.app.store
    wc_id = catalogue["simple"][2]
    with app.app_context():
        settings = service.settings_for(connected.site_id)
        settings.reconciled_until = utcnow() - timedelta(minutes=2)
        db.session.commit()
    wc.clock = lambda: utcnow().replace(tzinfo=__import__("datetime").timezone.utc).timestamp() + 5
    with wc.lock:
        wc.edit_product(wc.products[wc_id], {"stock_quantity": 41, "regular_price": "555"})
    with app.app_context():
        assert product_sync.reconcile(connected.site_id) >= 1
        db.session.commit()
    item = _item(app, connected.site_id, wc_id)
    assert item.stock_quantity == 41 and item.regular_price == Decimal("555.00")


def test_one_alert_per_crossing_reset_when_stock_rises(app, connected, store, catalogue, gateway, fund):
    fund(connected, 100)
    _backfill(app, connected)
    with app.app_context():
        service.update_settings(connected.site_id, {"default_threshold": 5, "alert_phone": "+8801711234567"})
        db.session.commit()
    wc_id = next(i for i in catalogue["simple"] if store.app.store.products[i]["stock_quantity"] > 10)
    version = product_sync.version_of(utcnow()) + 1_000_000

    def push(quantity):
        nonlocal version
        version += 1
        assert connected.post("/api/v1/inventory/events", json={"events": [_event(wc_id, version, quantity)]}).status_code == 200

    def counts():
        with app.app_context():
            crossings = db.session.execute(select(LowStockCrossing).join(StockItem, StockItem.id == LowStockCrossing.item_id)
                                           .where(StockItem.wc_id == wc_id)).scalars().all()
            sent = db.session.execute(select(func.count()).select_from(SmsMessage).where(
                SmsMessage.site_id == connected.site_id, SmsMessage.purpose == "stock_alert")).scalar_one()
            return [(c.reset_at is None, c.alert) for c in crossings], sent

    before = counts()[1]
    push(4)   # crosses: one alert
    push(3)   # another order: still the same crossing, no alert
    push(2)
    assert counts() == ([(True, "sms")], before + 1)
    push(20)  # restocked: the crossing is closed
    assert counts()[0] == [(False, "sms")]
    push(1)   # a new crossing: a new alert
    crossings, sent = counts()
    assert sorted(crossings) == [(False, "sms"), (True, "sms")] and sent == before + 2
    low = connected.get("/api/v1/inventory/low-stock").json["items"]
    assert any(row["item"]["product_id"] == wc_id and row["below_threshold"] for row in low)


def test_csv_with_unknown_skus_and_bad_numbers_is_previewed_row_by_row(app, connected, store, catalogue):
    _backfill(app, connected)
    sku = store.app.store.products[catalogue["simple"][0]]["sku"]
    text = f"SKU,Stock,Price\n{sku},12,250.50\nNO-SUCH-SKU,3,10\n{sku}-x,abc,10\n,1,1\n"
    with app.app_context():
        rows = batches.parse_csv(text.encode())
        checked = batches.preview(connected.site_id, rows)
    assert [r["ok"] for r in checked] == [True, False, False, False]
    assert checked[0]["new_stock"] == 12 and checked[0]["new_price"] == Decimal("250.50")
    assert "NO-SUCH-SKU" in checked[1]["errors"][0]
    assert any("not a number" in e for e in checked[2]["errors"])
    with app.app_context():
        bad = batches.preview(connected.site_id, [{"sku": sku, "stock": "1.5", "price": "-3"}])[0]
    assert not bad["ok"] and len(bad["errors"]) == 2
    # the page's upload answers the same preview
    from tests.embed_helpers import embed
    headers = embed(connected, "inventory")
    page = connected.client.post("/embed/inventory/batch/preview", headers=headers,
                                 data={"file": (io.BytesIO(text.encode()), "stock.csv")}, content_type="multipart/form-data")
    assert page.status_code == 200 and "NO-SUCH-SKU" in page.get_data(as_text=True)


def _run_batch(connected, rows):
    answer = connected.post("/api/v1/inventory/batches", json={"rows": rows})
    assert answer.status_code == 202, answer.json
    return answer.json["job_id"]


def test_batch_applies_products_and_variations_refuses_a_conflict_and_undoes(app, connected, store, catalogue):
    _backfill(app, connected)
    wc = store.app.store
    a, b, c = catalogue["simple"][3:6]
    parent = catalogue["variable"][2]
    vid = list(wc.variations[parent])[0]
    loaded = {i: _item(app, connected.site_id, i) for i in (a, b, c, vid)}
    stamp = lambda i: loaded[i].date_modified_gmt.strftime("%Y-%m-%dT%H:%M:%S")  # noqa: E731
    # b changes in WooCommerce (and its push arrives) after the editor loaded it
    with wc.lock:
        wc.edit_product(wc.products[b], {"stock_quantity": 99})
    with app.app_context():
        product_sync.upsert_items(connected.site_id, [product_sync.normalise_item(wc.products[b])])
        db.session.commit()
    calls_before = sum(wc.calls.values())
    job_id = _run_batch(connected, [
        {"product_id": a, "stock": "11", "price": "300", "loaded_modified": stamp(a)},
        {"product_id": b, "stock": "12", "loaded_modified": stamp(b)},
        {"product_id": c, "sale_price": "50", "loaded_modified": stamp(c)},
        {"product_id": vid, "stock": "8", "loaded_modified": stamp(vid)},
    ])
    with app.app_context():
        job = db.session.get(WorkJob, job_id)
        assert job.status == "done" and job.done == 4
    assert sum(wc.calls.values()) - calls_before == 2  # products/batch and the parent's variations/batch
    assert wc.calls["POST products/batch"] == 1 and wc.calls["POST products/<id>/variations/batch"] == 1
    assert wc.products[a]["stock_quantity"] == 11 and wc.products[a]["regular_price"] == "300.00"
    assert wc.products[b]["stock_quantity"] == 99  # refused, not overwritten
    assert wc.products[c]["sale_price"] == "50.00" and wc.variations[parent][vid]["stock_quantity"] == 8
    outcomes = connected.get(f"/api/v1/jobs/{job_id}").json["items"]
    by_id = {row["product_id"]: row for row in outcomes}
    assert by_id[b]["outcome"] == "refused" and "since it was loaded" in by_id[b]["message"]
    assert {by_id[i]["outcome"] for i in (a, c, vid)} == {"done"}
    assert _item(app, connected.site_id, a).stock_quantity == 11  # the answer is stored at once

    undo = connected.post("/api/v1/inventory/batches/undo")
    assert undo.status_code == 202, undo.json
    assert wc.products[a]["stock_quantity"] == loaded[a].stock_quantity
    assert wc.products[a]["regular_price"] == f"{loaded[a].regular_price:.2f}"
    assert wc.products[c]["sale_price"] == "" and wc.variations[parent][vid]["stock_quantity"] == loaded[vid].stock_quantity
    assert wc.products[b]["stock_quantity"] == 99
    # nothing left to undo: the undo itself is not undone by a second press
    assert connected.post("/api/v1/inventory/batches/undo").status_code == 404


def test_a_batch_of_unknown_rows_is_refused_whole(app, connected, store, catalogue):
    _backfill(app, connected)
    answer = connected.post("/api/v1/inventory/batches", json={"rows": [{"sku": "NOPE", "stock": "1"}]})
    assert answer.status_code == 422 and answer.json["error"]["code"] == "nothing_to_apply"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(StockBatchRow)).scalar_one() == 0


def test_aging_buckets_by_last_sale_and_value(app, connected):
    now = utcnow()
    with app.app_context():
        rows = []
        for n, (days, quantity, cost, price) in enumerate([(5, 2, "10", "20"), (45, 3, None, "7"), (75, 1, "4", "9"),
                                                           (200, 5, "2", "3"), (None, 4, None, "5"), (10, 0, "1", "1")]):
            rows.append({**product_sync.normalise_item({"id": 1000 + n, "name": f"P{n}", "sku": f"P{n}", "manage_stock": True,
                                                   "stock_quantity": quantity, "price": price, "regular_price": price,
                                                   "date_modified_gmt": "2026-01-01T00:00:00"}),
                         "cost_price": Decimal(cost) if cost else None})
        product_sync.upsert_items(connected.site_id, rows)
        for n, (days, *_rest) in enumerate([(5,), (45,), (75,), (200,), (None,), (10,)]):
            if days is not None:
                db.session.execute(StockItem.__table__.update().where(StockItem.wc_id == 1000 + n)
                                   .values(last_sold_at=now - timedelta(days=days)))
        db.session.commit()
    report = connected.get("/api/v1/inventory/aging").json
    buckets = {b["bucket"]: b for b in report["buckets"]}
    assert (buckets["0-30"]["units"], buckets["0-30"]["value"]) == (2, "20.00")
    assert (buckets["31-60"]["units"], buckets["31-60"]["value"]) == (3, "21.00")  # no cost price: the price
    assert buckets["61-90"]["value"] == "4.00"
    assert (buckets["90+"]["items"], buckets["90+"]["value"]) == (2, "30.00")  # 200 days and never sold
    slow = [row["item"]["sku"] for row in report["slow_movers"]]
    assert slow == ["P4", "P3", "P2", "P1", "P0"]  # never sold first; nothing out of stock
    pages = [connected.get(f"/api/v1/inventory/aging?per_page=2&page={n}").json for n in (1, 2, 3)]
    assert [row["item"]["sku"] for page in pages for row in page["slow_movers"]] == slow
    assert (pages[0]["total"], pages[0]["pages"]) == (5, 3)


def test_orders_move_the_last_sale(app, connected, store, catalogue):
    """Products read first, orders after (the listener), and orders first, products after (the fill)."""
    from backend.sync import service as sync

    _backfill(app, connected)
    with app.app_context():
        sync.run_backfill(connected.site_id)
        db.session.commit()
        sold = dict(db.session.execute(select(StockItem.wc_id, StockItem.last_sold_at).where(
            StockItem.site_id == connected.site_id, StockItem.last_sold_at.is_not(None))).all())
    assert sold and set(sold) <= set(store.app.store.products)
    with app.app_context():
        db.session.execute(StockItem.__table__.delete())
        db.session.commit()
    _backfill(app, connected)
    with app.app_context():
        again = dict(db.session.execute(select(StockItem.wc_id, StockItem.last_sold_at).where(
            StockItem.site_id == connected.site_id, StockItem.last_sold_at.is_not(None))).all())
    assert again == sold


def test_raising_the_default_threshold_opens_crossings_quietly(app, connected, store, catalogue, gateway, fund):
    """Products already low when the owner sets the alert up are listed, not texted about."""
    fund(connected, 100)
    _backfill(app, connected)
    answer = connected.client.put("/api/v1/inventory/settings", headers=connected.auth,
                                  json={"default_threshold": 30, "alert_phone": "01711-234567"})
    assert answer.status_code == 200 and answer.json["alert_phone"] == "+8801711234567"
    with app.app_context():
        opened = db.session.execute(select(func.count()).select_from(LowStockCrossing).where(
            LowStockCrossing.site_id == connected.site_id, LowStockCrossing.reset_at.is_(None))).scalar_one()
        texted = db.session.execute(select(func.count()).select_from(SmsMessage).where(
            SmsMessage.purpose == "stock_alert")).scalar_one()
    assert opened > 0 and texted == 0
    assert connected.client.put("/api/v1/inventory/settings", headers=connected.auth,
                                json={"alert_phone": "12"}).status_code == 422


def _order(wc_id, when, lines, status="completed"):
    """A wc/v3 order with (product id, variation id, quantity) lines."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    return {"id": wc_id, "status": status, "date_created_gmt": stamp, "date_modified_gmt": stamp, "total": "100.00",
            "billing": {"first_name": "Karim", "phone": "01711234567"},
            "line_items": [{"id": wc_id * 10 + n, "name": "Saree", "product_id": product, "variation_id": variation,
                            "quantity": quantity, "price": "100", "subtotal": "100", "total": "100"}
                           for n, (product, variation, quantity) in enumerate(lines)]}


def test_days_of_cover_warns_before_the_stock_is_low(app, connected):
    """10 left, 90 sold in the last 30 days (3 a day): "runs out in 3 days" while above the threshold.
    A cancelled order takes its units back."""
    from backend.orders.service import upsert_orders
    from backend.clock import dhaka_midnight_utc, dhaka_today

    noon = dhaka_midnight_utc(dhaka_today()) + timedelta(hours=12)  # noon in Dhaka: each order on its own day
    with app.app_context():
        product_sync.upsert_items(connected.site_id, [
            product_sync.normalise_item({"id": 501, "name": "Fast", "sku": "FAST", "manage_stock": True, "stock_quantity": 10,
                                    "price": "100", "date_modified_gmt": "2026-01-01T00:00:00"}),
            product_sync.normalise_item({"id": 502, "name": "Slow", "sku": "SLOW", "manage_stock": True, "stock_quantity": 10,
                                    "price": "100", "date_modified_gmt": "2026-01-01T00:00:00"})])
        upsert_orders(connected.site_id, [_order(9000 + n, noon - timedelta(days=n), [(501, 0, 3)]) for n in range(30)]
                      + [_order(9999, noon - timedelta(days=40), [(502, 0, 300)])])
        db.session.commit()
    rows = {row["item"]["sku"]: row for row in connected.get("/api/v1/inventory/low-stock").json["items"]}
    assert set(rows) == {"FAST"}  # SLOW's sales are older than 30 days
    assert rows["FAST"]["sold_30"] == 90 and rows["FAST"]["days_of_cover"] == 3.3 and not rows["FAST"]["below_threshold"]
    with app.app_context():
        later = noon + timedelta(hours=1)
        upsert_orders(connected.site_id, [{**_order(9000 + n, noon - timedelta(days=n), [(501, 0, 3)], status="cancelled"),
                                           "date_modified_gmt": later.strftime("%Y-%m-%dT%H:%M:%S")} for n in range(20)])
        db.session.commit()
    rows = {row["item"]["sku"]: row for row in connected.get("/api/v1/inventory/low-stock").json["items"]}
    assert rows == {}  # 30 left sold: 10 in stock last 10 days, above the 7 days' warning
    # a product stored after its orders: its 30 days' sales from the units sold per day
    with app.app_context():
        upsert_orders(connected.site_id, [_order(9500 + n, noon - timedelta(days=n), [(503, 0, 2)]) for n in range(3)])
        product_sync.upsert_items(connected.site_id, [
            product_sync.normalise_item({"id": 503, "name": "New", "sku": "NEW", "manage_stock": True, "stock_quantity": 1,
                                    "price": "100", "date_modified_gmt": "2026-01-01T00:00:00"})])
        db.session.commit()
    rows = {row["item"]["sku"]: row for row in connected.get("/api/v1/inventory/low-stock").json["items"]}
    assert rows["NEW"]["sold_30"] == 6 and rows["NEW"]["days_of_cover"] == 5.0  # 1 left, 0.2 a day


def test_reconciliation_catches_a_variation_changed_alone(app, connected, store, catalogue):
    """WooCommerce saves a variation without touching its product's date_modified: products?modified_after
    does not list the product, so each variable product's variations are asked for what changed."""
    _backfill(app, connected)
    wc = store.app.store
    parent = catalogue["variable"][0]
    vid = list(wc.variations[parent])[1]
    with app.app_context():
        settings = service.settings_for(connected.site_id)
        settings.reconciled_until = utcnow() + timedelta(minutes=2)  # after the catalogue was made
        db.session.commit()
    wc.clock = lambda: utcnow().replace(tzinfo=__import__("datetime").timezone.utc).timestamp() + 300
    parent_modified = wc.products[parent]["date_modified_gmt"]
    with wc.lock:
        wc.edit_product(wc.variations[parent][vid], {"stock_quantity": 17, "regular_price": "777"})
    assert wc.products[parent]["date_modified_gmt"] == parent_modified
    with app.app_context():
        assert product_sync.reconcile(connected.site_id) == 1
        db.session.commit()
    item = _item(app, connected.site_id, vid)
    assert item.stock_quantity == 17 and item.regular_price == Decimal("777.00") and item.parent_wc_id == parent
