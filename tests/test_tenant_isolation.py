"""Walk every registered route with shop A's credentials and look for shop B's data.

Shop B's rows carry marker strings; any of them in a response to shop A is a leak. B's rows
must also be unchanged after the walk (A may not deactivate or alter B).
"""
import pytest
from sqlalchemy import select, text

from backend.extensions import db
from tests.walk import OTHER_SHOP_MARKERS, SEED_OTHER_SHOP, fill_path, tenant_routes

B_URL = "https://shop-b-private-marker.example"  # carries walk.MARKER too
B_USER = "Nasrin B-Private-Marker"


def _snapshot_b(app, site_id):
    """B's site and license, and B's rows in every table that carries site_id (orders, customers, sync ...)."""
    with app.app_context():
        site = db.session.execute(text("SELECT * FROM sites WHERE id = :id"), {"id": site_id}).mappings().one()
        license = db.session.execute(text("SELECT * FROM licenses WHERE id = :id"), {"id": site["license_id"]}).mappings().one()
        rows = {}
        for table in db.metadata.sorted_tables:
            if "site_id" in table.c:
                query = select(table).where(table.c.site_id == site_id).order_by(*table.primary_key.columns)
                rows[table.name] = [dict(r) for r in db.session.execute(query).mappings()]
        return dict(site), dict(license), rows


def _give_b_orders(shop_b):
    """B's orders carry the markers too: a route answering A with them would leak."""
    events = [{"idempotency_key": f"b-{n}", "type": "created", "order_id": n, "date_modified_gmt": "2026-03-01T10:00:00",
               "order": {"id": n, "status": "processing", "date_created_gmt": "2026-03-01T09:00:00",
                         "date_modified_gmt": "2026-03-01T10:00:00", "total": "999.00", "line_items": [
                             {"id": n * 10, "name": "plan-b-marker saree", "product_id": 5, "quantity": 1,
                              "price": 999, "subtotal": "999.00", "total": "999.00"}],
                         "billing": {"first_name": B_USER, "phone": "01799999999", "address_1": B_URL}}}
              for n in (1, 2, 3)]
    response = shop_b.post("/api/v1/events", json={"events": events})
    assert [r["status"] for r in response.json["results"]] == ["applied"] * 3


def test_no_route_leaks_or_changes_another_shops_data(app, client, make_shop):
    shop_b = make_shop(url=B_URL, plan="plan-b-marker")
    b_page, b_session = shop_b.open_page(name=B_USER)
    assert B_USER in b_page.get_data(as_text=True)  # the marker is real: B sees it
    with app.app_context():
        for seed in SEED_OTHER_SHOP:
            seed(shop_b.site_id)
        db.session.commit()
    _give_b_orders(shop_b)
    shop_a = make_shop(url="https://shop-a.example.com", plan="standard")
    before = _snapshot_b(app, shop_b.site_id)
    assert before[2]["orders"] and before[2]["customers"] and before[2]["seen_events"]

    routes = tenant_routes(app)
    assert any(rule.rule == "/api/v1/license" for rule, _m in routes), "the walk found no routes"
    walked = []
    for rule, method in routes:
        # fresh credentials for A before every call: some routes (deactivate) end them
        again = client.post("/api/v1/sites/activate", json={"license_key": shop_a.key, "site_url": shop_a.url})
        shop_a.token = again.json["token"]
        _page, a_session = shop_a.open_page()
        headers = {**shop_a.auth, "X-Bikri-Embed-Session": a_session}
        path = fill_path(rule, shop_b)
        response = client.open(path, method=method, headers=headers, json={})
        body = response.get_data(as_text=True)
        for marker in (B_URL, B_USER, "plan-b-marker", *OTHER_SHOP_MARKERS):
            assert marker not in body, f"{method} {rule.rule} leaked shop B's data ({marker})"
        walked.append(f"{method} {rule.rule} -> {response.status_code}")

    assert _snapshot_b(app, shop_b.site_id) == before, "a route changed shop B's rows"
    assert shop_b.get("/api/v1/license").status_code == 200
    assert client.get("/embed/home/license", headers={"X-Bikri-Embed-Session": b_session}).status_code == 200
    print("\n".join(walked))


def test_orders_and_events_are_per_shop(app, make_shop):
    """A shop pushing events for the same WooCommerce ids and keys as another touches only its own rows."""
    shop_b = make_shop(url=B_URL)
    _give_b_orders(shop_b)
    shop_a = make_shop(url="https://shop-a.example.com")
    before = _snapshot_b(app, shop_b.site_id)
    same_ids = [{"idempotency_key": f"b-{n}", "type": "updated", "order_id": n, "date_modified_gmt": "2027-01-01T00:00:00",
                 "order": {"id": n, "status": "cancelled", "date_created_gmt": "2026-01-01T00:00:00",
                           "date_modified_gmt": "2027-01-01T00:00:00", "total": "1.00", "line_items": [],
                           "billing": {"first_name": "A", "phone": "01799999999"}}} for n in (1, 2)]
    same_ids.append({"idempotency_key": "b-3", "type": "deleted", "order_id": 3, "date_modified_gmt": "2027-01-01T00:00:00"})
    results = shop_a.post("/api/v1/events", json={"events": same_ids}).json["results"]
    assert [r["status"] for r in results] == ["applied"] * 3  # B's keys are not A's duplicates
    assert _snapshot_b(app, shop_b.site_id) == before
    assert shop_a.get("/api/v1/sync/status").json["orders_stored"] == 2
    assert shop_b.get("/api/v1/sync/status").json["orders_stored"] == 3


def test_walk_refuses_unclassified_routes(app):
    """The walker must fail loudly on a route it does not know how to classify."""
    from flask import Flask

    from tests import walk

    stray = Flask("stray")
    stray.add_url_rule("/somewhere-else", "stray", lambda: "")
    with pytest.raises(pytest.fail.Exception, match="classify it"):
        walk.tenant_routes(stray)
