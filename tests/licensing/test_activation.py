from datetime import timedelta

from sqlalchemy import select, text

from backend.extensions import db
from backend.licensing.models import License, Site
from backend.clock import utcnow


def activate(client, key, url="https://shop.example.com", **extra):
    return client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": url, **extra})


def test_activation_answers_a_token_and_the_license(client, make_license):
    _id, key = make_license(plan="pro", sites=2)
    response = activate(client, key)
    assert response.status_code == 201
    body = response.json
    assert set(body) == {"site_id", "token", "export_key", "license"}
    assert body["license"]["status"] == "active" and body["license"]["plan"] == "pro"
    assert body["license"]["expires_at"].endswith("Z")
    assert len(body["token"]) >= 40


def test_key_and_token_are_stored_only_as_hashes(app, client, make_license):
    _id, key = make_license()
    answer = activate(client, key, wc_consumer_key="ck_live_secret_1234", wc_consumer_secret="cs_live_secret_5678").json
    token, export_key = answer["token"], answer["export_key"]
    with app.app_context():
        dump = " ".join(str(row) for table in ("licenses", "sites") for row in db.session.execute(text(f"SELECT * FROM {table}")))
        assert key not in dump and token not in dump
        assert export_key not in dump, "the order export key is computed, never stored"
        assert "ck_live_secret_1234" not in dump and "cs_live_secret_5678" not in dump
        from backend.security import decrypt_secret
        site = db.session.execute(select(Site)).scalar_one()
        assert decrypt_secret(site.wc_consumer_key_enc) == "ck_live_secret_1234"
        assert decrypt_secret(site.wc_consumer_secret_enc) == "cs_live_secret_5678"


def test_key_is_accepted_with_lowercase_and_spaces(client, make_license):
    _id, key = make_license()
    assert activate(client, f"  {key.lower()} ").status_code == 201


def test_wrong_key_is_license_invalid(client, make_license):
    make_license()
    response = activate(client, "BIKRI-AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "license_invalid"


def _set_license(app, license_id, **values):
    with app.app_context():
        license = db.session.get(License, license_id)
        for name, value in values.items():
            setattr(license, name, value)
        db.session.commit()


def test_suspended_and_expired_licenses_are_inactive(app, client, make_license):
    suspended_id, suspended = make_license()
    _set_license(app, suspended_id, status="suspended")
    expired_id, expired = make_license()
    _set_license(app, expired_id, expires_at=utcnow() - timedelta(minutes=1))
    for key, status in ((suspended, "suspended"), (expired, "expired")):
        response = activate(client, key)
        assert response.status_code == 403
        assert response.json["error"]["code"] == "license_inactive"
        assert response.json["error"]["details"]["status"] == status


def test_more_sites_than_allowed_is_409(client, make_license):
    _id, key = make_license(sites=2)
    assert activate(client, key, "https://one.example.com").status_code == 201
    assert activate(client, key, "https://two.example.com").status_code == 201
    response = activate(client, key, "https://three.example.com")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "license_site_limit"
    assert response.json["error"]["details"] == {"sites_allowed": 2, "sites_used": 2}


def test_a_deactivated_site_frees_its_slot(client, make_license):
    _id, key = make_license(sites=1)
    token = activate(client, key, "https://one.example.com").json["token"]
    assert client.post("/api/v1/sites/deactivate", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert activate(client, key, "https://two.example.com").status_code == 201


def test_same_site_again_gets_a_new_token_and_the_old_one_stops(client, make_license):
    _id, key = make_license(sites=1)
    first = activate(client, key, "http://shop.example.com/").json
    # the same shop, now on https and with a trailing slash, is still one site
    second = activate(client, key, "https://SHOP.example.com").json
    assert first["site_id"] == second["site_id"] and first["token"] != second["token"]
    old = client.get("/api/v1/license", headers={"Authorization": f"Bearer {first['token']}"})
    assert old.status_code == 401
    new = client.get("/api/v1/license", headers={"Authorization": f"Bearer {second['token']}"})
    assert new.status_code == 200 and new.json["site_url"] == "https://shop.example.com"


def test_bad_fields_are_422_with_the_field_named(client):
    response = client.post("/api/v1/sites/activate", json={"site_url": "shop.example.com", "license_key": 12})
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert response.json["error"]["code"] == "validation_error"
    assert "license_key" in details and "site_url" in details
    missing = client.post("/api/v1/sites/activate", json={})
    assert set(missing.json["error"]["details"]) == {"license_key", "site_url"}


def test_activation_is_rate_limited_per_ip(app, client):
    app.config["ACTIVATION_RATE_LIMIT"] = "5 per minute"
    try:
        responses = [activate(client, "BIKRI-AAAAA-BBBBB-CCCCC-DDDDD-EEEEE") for _ in range(7)]
        # another client IP is not affected
        other = client.post("/api/v1/sites/activate", json={"license_key": "x" * 12, "site_url": "https://a.b"},
                            environ_base={"REMOTE_ADDR": "10.9.8.7"})
    finally:
        app.config["ACTIVATION_RATE_LIMIT"] = "1000 per minute"
    assert [r.status_code for r in responses] == [403] * 5 + [429, 429]
    assert responses[-1].json["error"]["code"] == "rate_limited"
    assert other.status_code == 403


def test_license_endpoint_reports_the_site_and_its_license(shop, make_shop):
    response = shop.get("/api/v1/license")
    assert response.status_code == 200
    assert response.json == {
        "status": "active", "plan": "standard", "expires_at": response.json["expires_at"],
        "site_url": "https://shop-a.example.com", "sites_used": 1, "sites_allowed": 1,
    }


def test_bearer_routes_refuse_missing_unknown_and_malformed_tokens(client, shop):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {shop.token}"}, {"Authorization": "Bearer "}):
        response = client.get("/api/v1/license", headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_or_expired_license_makes_bearer_routes_403(app, client, shop):
    with app.app_context():
        license_id = db.session.execute(select(Site.license_id)).scalar_one()
    _set_license(app, license_id, status="revoked")
    response = shop.get("/api/v1/license")
    assert response.status_code == 403 and response.json["error"]["code"] == "license_inactive"
    _set_license(app, license_id, status="active", expires_at=utcnow() - timedelta(seconds=1))
    response = shop.get("/api/v1/license")
    assert response.status_code == 403 and response.json["error"]["details"]["status"] == "expired"


def test_deactivate_stops_the_token(shop):
    assert shop.post("/api/v1/sites/deactivate").status_code == 204
    assert shop.get("/api/v1/license").status_code == 401


def test_last_seen_is_recorded_but_not_written_on_every_call(app, shop):
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        site.last_seen_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    shop.get("/api/v1/license")
    with app.app_context():
        first = db.session.get(Site, shop.site_id).last_seen_at
    assert utcnow() - first < timedelta(seconds=5)
    shop.get("/api/v1/license")
    with app.app_context():
        assert db.session.get(Site, shop.site_id).last_seen_at == first


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_openapi_is_served(client):
    spec = client.get("/api/docs/openapi.json").json
    assert "/api/v1/sites/activate" in spec["paths"]


def test_concurrent_activations_never_exceed_the_site_limit(app, make_license):
    """Ten shops race for the last two slots of one license; exactly two win."""
    from concurrent.futures import ThreadPoolExecutor

    _id, key = make_license(sites=2)

    def attempt(n):
        with app.test_client() as client:
            return activate(client, key, f"https://racer-{n}.example.com").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = sorted(pool.map(attempt, range(10)))
    assert codes.count(201) == 2, codes
    assert set(codes) <= {201, 409}, codes
    with app.app_context():
        assert db.session.query(Site).filter(Site.token_hash.is_not(None)).count() == 2


def test_a_double_click_on_activate_never_errors_or_makes_two_sites(app, make_license):
    from concurrent.futures import ThreadPoolExecutor

    _id, key = make_license(sites=3)

    def attempt(_n):
        with app.test_client() as client:
            response = activate(client, key, "https://same.example.com")
            return response.status_code, (response.json or {}).get("error", {}).get("code")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert all(code == 201 or (code == 409 and error == "activation_in_progress") for code, error in results), results
    assert any(code == 201 for code, _e in results)
    with app.app_context():
        assert db.session.query(Site).count() == 1
