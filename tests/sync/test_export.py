"""Backfill and reconciliation through the plugin's order export, and the fallback to wc/v3.

The sandbox store answers the export as the plugin does (same signature check, same record
shape: backend/sandbox/woocommerce.py export_record); the PHP side is tested field by field
against WooCommerce's tables in wp-plugin/tests/test-order-export.php.
"""
import hashlib
import hmac
import time

import pytest
from sqlalchemy import select

from backend.app import create_app
from backend.extensions import db
from backend.integrations.woocommerce_export import ExportUnavailable, OrderExport, canonical_query, sign
from backend.licensing.models import Site
from backend.security import export_key
from backend.orders.models import Customer, Order, OrderItem
from backend.sync import service
from backend.sync.models import SyncKind
from tests.sync.helpers import assert_matches_store, stored, writes_while_asked

SKIP = {"id", "site_id", "customer_id", "synced_at"}


def offer_export(store, shop):
    """The shop's plugin offers the export, holding the key its config pull got, as the real one does."""
    store.data.export_secret = shop.get("/api/v1/checkout/config").json["export_key"]


def backfill(app, shop):
    shop.post("/api/v1/sync/backfill")
    with app.app_context():
        state = service.run_backfill(shop.site_id)
        assert state.status == "done", state.last_error
        return state


def read_model(app, site_id) -> dict:
    """Every stored order with its items and its customer's phone, minus ids that differ per site."""
    with app.app_context():
        orders = db.session.execute(select(Order).where(Order.site_id == site_id)).scalars().all()
        phones = dict(db.session.execute(select(Customer.id, Customer.phone).where(Customer.site_id == site_id)).all())
        counts = dict(db.session.execute(select(Customer.phone, Customer.order_count)
                                         .where(Customer.site_id == site_id)).all())
        items = {}
        for item in db.session.execute(select(OrderItem).where(OrderItem.site_id == site_id)).scalars():
            items.setdefault(item.order_id, []).append(
                {c.name: getattr(item, c.name) for c in OrderItem.__table__.columns if c.name not in ("id", "order_id", "site_id")})
        model = {}
        for order in orders:
            row = {c.name: getattr(order, c.name) for c in Order.__table__.columns if c.name not in SKIP}
            row["customer_phone"] = phones.get(order.customer_id)
            row["items"] = sorted(items.get(order.id, []), key=lambda i: i["wc_item_id"])
            model[order.wc_id] = row
        return {"orders": model, "customers": counts}


def test_signature_matches_the_plugin():
    # the same vector as wp-plugin/tests/test-order-export.php test_the_signature_is_the_one_the_service_computes
    params = {"modified_after": "2024-05-01 10:00:00", "limit": "100", "after_id": "5"}
    assert canonical_query(params) == "after_id=5&limit=100&modified_after=2024-05-01%2010%3A00%3A00"
    secret = hashlib.sha256(b"tok").hexdigest()
    message = "GET\n/bikri/v1/orders/export\nafter_id=5&limit=100&modified_after=2024-05-01%2010%3A00%3A00\n1714557600\nabcdefghijklmnop"
    assert sign(secret, "GET", "/bikri/v1/orders/export", params, "1714557600", "abcdefghijklmnop") == \
        hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_the_read_model_is_the_same_whichever_path_fed_it(app, make_store, connect_shop):
    by_wc, by_export = make_store(orders=300, seed=11), make_store(orders=300, seed=11)
    wc_shop, export_shop = connect_shop(by_wc), connect_shop(by_export)
    offer_export(by_export, export_shop)
    backfill(app, wc_shop)
    backfill(app, export_shop)
    assert by_export.data.export_requests >= 2 and by_wc.data.export_requests == 1  # the probe, answered 404
    listed = by_export.data.requests - by_export.data.export_requests
    assert listed <= 2, "only products came from wc/v3"
    wc_model, export_model = read_model(app, wc_shop.site_id), read_model(app, export_shop.site_id)
    assert len(wc_model["orders"]) > 250
    assert wc_model == export_model
    assert_matches_store(app, export_shop.site_id, by_export)

    # and after the shop changes things, reconciliation keeps them equal; both stores change them
    # at the same second (on a busy machine the second store's clock had moved on: another
    # date_modified, a false difference)
    same_second = int(time.time())
    for store in (by_wc, by_export):
        store.data.clock = lambda: same_second
        store.data.touch(5, status="shipped")
        store.data.delete(9, force=False)
        store.data.bulk_touch(range(20, 40), status="completed")
    with app.app_context():
        service.run_reconcile(wc_shop.site_id)
        service.run_reconcile(export_shop.site_id)
    wc_model, export_model = read_model(app, wc_shop.site_id), read_model(app, export_shop.site_id)
    assert wc_model["orders"][9]["status"] == "trash" and wc_model["orders"][5]["status"] == "shipped"
    assert wc_model == export_model


def test_backfill_resumes_from_the_export_cursor(app, store, connected):
    offer_export(store, connected)
    connected.post("/api/v1/sync/backfill")
    with app.app_context():
        app.config["SYNC_BACKFILL_BUDGET_SECONDS"] = 0
        import backend.integrations.woocommerce_export as module
        original = module.PAGE_SIZE
        module.PAGE_SIZE = 50
        try:
            first = service.run_backfill(connected.site_id, budget_seconds=0)
            assert first.status == "running" and 0 < first.done < first.total
            assert '"mode": "export"' in first.cursor
            done = service.run_backfill(connected.site_id)
        finally:
            module.PAGE_SIZE = original
    assert done.status == "done" and done.done == done.total
    assert_matches_store(app, connected.site_id, store)


def test_an_older_plugin_falls_back_to_wc_v3_and_is_remembered(app, store, connected):
    backfill(app, connected)  # the sandbox has no export yet: 404
    assert store.data.export_requests == 1
    assert_matches_store(app, connected.site_id, store)
    store.data.touch(3, status="returned")
    with app.app_context():
        service.run_reconcile(connected.site_id)
    assert store.data.export_requests == 1, "not asked again before the re-probe interval"
    assert stored(app, connected.site_id)[3].status == "returned"

    # the plugin is updated; after the interval the service asks again and switches
    offer_export(store, connected)
    store.data.touch(4, status="returned")
    with app.app_context():
        app.config["SYNC_EXPORT_REPROBE_SECONDS"] = 0
        wc_requests = store.data.requests - store.data.export_requests
        service.run_reconcile(connected.site_id)
        assert store.data.requests - store.data.export_requests == wc_requests, "no wc/v3 request"
        state = service.state_for(connected.site_id, SyncKind.EXPORT)
        assert '"available": true' in state.cursor
    assert stored(app, connected.site_id)[4].status == "returned"


def test_a_blocked_route_falls_back(app, store, connected):
    offer_export(store, connected)
    store.data.export_blocked = (403, "text/html", "<html><body>Blocked by a security plugin</body></html>")
    backfill(app, connected)
    assert_matches_store(app, connected.site_id, store)
    with app.app_context():
        state = service.state_for(connected.site_id, SyncKind.EXPORT)
        assert '"available": false' in state.cursor


def test_the_export_key_is_not_in_the_database(app, store, connected):
    """The key is an HMAC of the stored token hash under the service's secret key: what a leaked
    database holds (the token hash, which was the signing key before) signs nothing the plugin accepts."""
    activated = connected.post("/api/v1/sites/activate", json={"license_key": connected.key, "site_url": store.url})
    assert activated.status_code == 201
    connected.token, key = activated.json["token"], activated.json["export_key"]
    assert len(key) == 64 and int(key, 16) >= 0
    assert connected.get("/api/v1/checkout/config").json["export_key"] == key, "the config pull hands out the same key"
    with app.app_context():
        site = db.session.get(Site, connected.site_id)
        token_hash = site.token_hash
        assert OrderExport.for_site(site).secret == key
        row = [str(getattr(site, column.name)) for column in Site.__table__.columns]
        assert key not in " ".join(row)
    assert token_hash == hashlib.sha256(connected.token.encode()).hexdigest() != key
    # another service secret key computes another key from the same row
    with create_app({"SECRET_KEY": "another-secret", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
                    ).app_context():
        assert export_key(token_hash) != key

    # the plugin holding the key refuses a request keyed with the token hash and answers the right one
    store.data.export_secret = key
    with app.app_context():
        with pytest.raises(ExportUnavailable) as refused:
            OrderExport(store.url, token_hash, retries=0).page(limit=1)
        assert refused.value.status == 401
        assert OrderExport(store.url, key, retries=0).page(limit=1)["orders"]


def test_an_older_plugin_refuses_the_new_signature_and_falls_back(app, store, connected):
    # a plugin of before export keys verifies with the token's SHA-256: refused, wc/v3 serves
    store.data.export_secret = hashlib.sha256(connected.token.encode()).hexdigest()
    backfill(app, connected)
    assert store.data.export_requests == 1
    assert_matches_store(app, connected.site_id, store)


def test_a_plugin_waiting_for_its_key_is_asked_again_soon(app, store, connected):
    """A plugin updated to export keys refuses until its next config pull brings the key:
    that refusal is not remembered for SYNC_EXPORT_REPROBE_SECONDS like a missing route."""
    store.data.export_secret = "x" * 64
    store.data.export_blocked = (401, "application/json",
                                 '{"code":"bikri_export_key_missing","message":"no key","data":{"status":401}}')
    backfill(app, connected)
    assert_matches_store(app, connected.site_id, store)
    with app.app_context():
        assert '"available"' not in (service.state_for(connected.site_id, SyncKind.EXPORT).cursor or "")
    # the config pull brings the key; the next job uses the export, without waiting 6 hours
    store.data.export_blocked = None
    offer_export(store, connected)
    store.data.touch(4, status="returned")
    asked = store.data.export_requests
    with app.app_context():
        wc_requests = store.data.requests - store.data.export_requests
        service.run_reconcile(connected.site_id)
        assert store.data.requests - store.data.export_requests == wc_requests, "no wc/v3 request"
        assert '"available": true' in service.state_for(connected.site_id, SyncKind.EXPORT).cursor
    assert store.data.export_requests > asked
    assert stored(app, connected.site_id)[4].status == "returned"


def test_a_wrong_secret_is_refused_and_falls_back(app, store, connected):
    store.data.export_secret = hashlib.sha256(b"another site's token").hexdigest()
    backfill(app, connected)
    assert_matches_store(app, connected.site_id, store)


def test_the_export_refused_mid_backfill_switches_to_wc_v3(app, store, connected):
    offer_export(store, connected)
    import backend.integrations.woocommerce_export as module

    original, calls = module.OrderExport.page, {"n": 0}

    def flaky(self, **params):
        calls["n"] += 1
        if calls["n"] == 4:  # probe, count, first page, then refused
            store.data.export_blocked = (401, "application/json", '{"code":"bikri_signature_invalid"}')
        return original(self, **params)

    module.OrderExport.page = flaky
    try:
        module_size, module.PAGE_SIZE = module.PAGE_SIZE, 50
        state = backfill(app, connected)
    finally:
        module.OrderExport.page = original
        module.PAGE_SIZE = module_size
    assert state.status == "done"
    assert_matches_store(app, connected.site_id, store)


def test_no_write_transaction_is_open_while_the_shop_is_asked(app, store, connected):
    offer_export(store, connected)
    with writes_while_asked(app, store) as writing:
        backfill(app, connected)
    # The walk's pages are downloaded by their own thread while the writer stores the page before
    # (by design); what the writer asks for itself (the probe, the count, the products) must
    # find nothing written and waiting.
    assert [path for path in writing if "after_id=" not in path] == []
    store.data.touch(3, status="returned")
    with writes_while_asked(app, store) as writing, app.app_context():
        app.config["SYNC_EXPORT_REPROBE_SECONDS"] = 0
        service.run_reconcile(connected.site_id)  # the probe again, then every page in turn
    assert store.data.export_requests > 4 and writing == []
