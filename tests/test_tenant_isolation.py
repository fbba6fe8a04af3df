"""Walk every registered route with shop A's credentials and look for shop B's data.

Shop B's rows carry marker strings; any of them in a response to shop A is a leak. B's rows
must also be unchanged after the walk (A may not deactivate or alter B).
"""
import pytest
from sqlalchemy import text

from backend.extensions import db
from tests.walk import OTHER_SHOP_MARKERS, SEED_OTHER_SHOP, fill_path, tenant_routes

B_URL = "https://shop-b-private-marker.example"  # carries walk.MARKER too
B_USER = "Nasrin B-Private-Marker"


def _snapshot_b(app, site_id):
    with app.app_context():
        site = db.session.execute(text("SELECT * FROM sites WHERE id = :id"), {"id": site_id}).mappings().one()
        license = db.session.execute(text("SELECT * FROM licenses WHERE id = :id"), {"id": site["license_id"]}).mappings().one()
        return dict(site), dict(license)


def test_no_route_leaks_or_changes_another_shops_data(app, client, make_shop):
    shop_b = make_shop(url=B_URL, plan="plan-b-marker")
    b_page, b_session = shop_b.open_page(name=B_USER)
    assert B_USER in b_page.get_data(as_text=True)  # the marker is real: B sees it
    with app.app_context():
        for seed in SEED_OTHER_SHOP:
            seed(shop_b.site_id)
        db.session.commit()
    shop_a = make_shop(url="https://shop-a.example.com", plan="standard")
    before = _snapshot_b(app, shop_b.site_id)

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


def test_walk_refuses_unclassified_routes(app):
    """The walker must fail loudly on a route it does not know how to classify."""
    from flask import Flask

    from tests import walk

    stray = Flask("stray")
    stray.add_url_rule("/somewhere-else", "stray", lambda: "")
    with pytest.raises(pytest.fail.Exception, match="classify it"):
        walk.tenant_routes(stray)
