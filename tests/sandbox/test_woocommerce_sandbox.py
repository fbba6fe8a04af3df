"""The sandbox store must be indistinguishable from WooCommerce for the `woocommerce` client:
authentication as WooCommerce checks it, pagination headers, limits and error shapes."""
import time
from urllib.parse import urlencode

import pytest
import requests
from woocommerce import API
from woocommerce.oauth import OAuth

from backend.sandbox.server import SandboxServer, self_signed_tls
from backend.sandbox.woocommerce import ApiKey, create_sandbox, generate, oauth_signature

KEY, SECRET = "ck_a1b2c3", "cs_d4e5f6"
READ_KEY, READ_SECRET = "ck_readonly", "cs_readonly"


@pytest.fixture(scope="module")
def shop():
    app = create_sandbox(orders=230, seed=11, keys=[ApiKey(KEY, SECRET), ApiKey(READ_KEY, READ_SECRET, "read")])
    with SandboxServer(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def tls_shop(tmp_path_factory):
    app = create_sandbox(orders=30, seed=12, keys=[ApiKey(KEY, SECRET)])
    context, cert = self_signed_tls(tmp_path_factory.mktemp("tls"))
    with SandboxServer(app, ssl_context=context) as url:
        yield app, url, cert


def client(url, key=KEY, secret=SECRET, **kw):
    return API(url=url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=10, **kw)


def test_oauth1_over_http_with_the_python_client(shop):
    _app, url = shop
    response = client(url).get("orders", params={"per_page": 5})
    assert response.status_code == 200
    assert len(response.json()) == 5


def test_wrong_oauth_signature_is_refused_with_401(shop):
    _app, url = shop
    response = client(url, secret="not-the-secret").get("orders")
    assert response.status_code == 401
    assert response.json() == {"code": "woocommerce_rest_authentication_error",
                               "message": "Invalid signature - provided signature does not match.",
                               "data": {"status": 401}}
    unknown = client(url, key="ck_unknown").get("orders")
    assert unknown.status_code == 401 and unknown.json()["message"] == "Consumer key is invalid."


def test_hmac_sha1_signatures_are_checked_as_woocommerce_does(shop):
    """WooCommerce accepts HMAC-SHA1 and HMAC-SHA256; the client sends SHA256, so sign SHA1 by hand."""
    _app, url = shop
    endpoint = f"{url}/wp-json/wc/v3/orders"
    params = {"per_page": "2", "oauth_consumer_key": KEY, "oauth_timestamp": str(int(time.time())),
              "oauth_nonce": "sha1-nonce-1", "oauth_signature_method": "HMAC-SHA1"}
    params["oauth_signature"] = oauth_signature("GET", endpoint, params, SECRET, "sha1")
    assert requests.get(f"{endpoint}?{urlencode(params)}", timeout=5).status_code == 200
    params["oauth_nonce"] = "sha1-nonce-2"
    params["oauth_signature"] = oauth_signature("GET", endpoint, params, "wrong", "sha1")
    assert requests.get(f"{endpoint}?{urlencode(params)}", timeout=5).status_code == 401


def test_our_signature_matches_the_python_clients(shop):
    """The same base string and key: the client's own OAuth class and the server agree byte for byte."""
    url = "http://127.0.0.1:1/wp-json/wc/v3/orders?per_page=10&modified_after=2025-01-01T00:00:00"
    signed = OAuth(url, KEY, SECRET, version="wc/v3", method="GET", oauth_timestamp=1700000000).get_oauth_url()
    from urllib.parse import parse_qsl, urlsplit
    params = dict(parse_qsl(urlsplit(signed).query))
    assert oauth_signature("GET", url.split("?")[0], params, SECRET, "sha256") == params["oauth_signature"]


def test_replayed_nonce_and_stale_timestamp_are_refused(shop):
    _app, url = shop
    endpoint = f"{url}/wp-json/wc/v3/orders"
    params = {"oauth_consumer_key": KEY, "oauth_timestamp": str(int(time.time())), "oauth_nonce": "once-only",
              "oauth_signature_method": "HMAC-SHA256"}
    params["oauth_signature"] = oauth_signature("GET", endpoint, params, SECRET, "sha256")
    assert requests.get(endpoint, params=params, timeout=5).status_code == 200
    again = requests.get(endpoint, params=params, timeout=5)
    assert again.status_code == 401 and "nonce" in again.json()["message"]
    old = {**params, "oauth_nonce": "fresh", "oauth_timestamp": str(int(time.time()) - 16 * 60)}
    old["oauth_signature"] = oauth_signature("GET", endpoint, old, SECRET, "sha256")
    stale = requests.get(endpoint, params=old, timeout=5)
    assert stale.status_code == 401 and stale.json()["message"] == "Invalid timestamp."


def test_basic_auth_over_plain_http_is_not_authentication(shop):
    """WooCommerce only reads Basic credentials over https; over http the request is anonymous."""
    _app, url = shop
    response = requests.get(f"{url}/wp-json/wc/v3/orders", auth=(KEY, SECRET), timeout=5)
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_view"


def test_https_basic_and_query_string_auth(tls_shop):
    _app, url, cert = tls_shop
    basic = client(url, verify_ssl=cert).get("orders", params={"per_page": 3})
    assert basic.status_code == 200 and len(basic.json()) == 3
    query = client(url, verify_ssl=cert, query_string_auth=True).get("orders", params={"per_page": 3})
    assert query.status_code == 200
    wrong = client(url, secret="nope", verify_ssl=cert).get("orders")
    assert wrong.status_code == 401 and wrong.json()["message"] == "Consumer secret is invalid."


def test_read_only_key_cannot_write(shop):
    _app, url = shop
    response = client(url, READ_KEY, READ_SECRET).put("orders/1", {"status": "completed"})
    assert response.status_code == 401
    assert response.json()["message"] == "The API key provided does not have write permissions."


def test_pagination_headers_and_per_page_limit(shop):
    app, url = shop
    api = client(url)
    total = app.store.total_orders() - sum(1 for s in app.store.status if s == 10)  # "any" skips trash
    first = api.get("orders", params={"per_page": 100, "page": 1})
    assert first.headers["X-WP-Total"] == str(total)
    assert first.headers["X-WP-TotalPages"] == str(-(-total // 100))
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    last = api.get("orders", params={"per_page": 100, "page": 3})
    assert len(last.json()) == total - 200 and 'rel="prev"' in last.headers["Link"]
    too_many = api.get("orders", params={"per_page": 101})
    assert too_many.status_code == 400
    body = too_many.json()
    assert body["code"] == "rest_invalid_param" and body["data"]["status"] == 400 and "per_page" in body["data"]["params"]


def test_orderby_order_and_date_filters(shop):
    _app, url = shop
    api = client(url)
    by_id = api.get("orders", params={"orderby": "id", "order": "asc", "per_page": 20}).json()
    assert [o["id"] for o in by_id] == sorted(o["id"] for o in by_id)
    newest = api.get("orders", params={"per_page": 20}).json()  # default: date, desc
    created = [o["date_created_gmt"] for o in newest]
    assert created == sorted(created, reverse=True)
    pivot = by_id[10]["date_modified_gmt"]
    later = api.get("orders", params={"orderby": "modified", "order": "asc", "modified_after": pivot,
                                      "dates_are_gmt": "true", "per_page": 100}).json()
    assert later and all(o["date_modified_gmt"] > pivot for o in later)
    modified = [o["date_modified_gmt"] for o in later]
    assert modified == sorted(modified)
    window = api.get("orders", params={"after": by_id[5]["date_created_gmt"], "before": by_id[9]["date_created_gmt"],
                                       "dates_are_gmt": "true", "orderby": "id", "order": "asc"}).json()
    assert [o["id"] for o in window] == [7, 8, 9]
    # without dates_are_gmt the bounds are the shop's local time (Asia/Dhaka, GMT+6)
    local = api.get("orders", params={"after": by_id[5]["date_created"], "before": by_id[9]["date_created"],
                                      "orderby": "id", "order": "asc"}).json()
    assert [o["id"] for o in local] == [7, 8, 9]
    bad = api.get("orders", params={"orderby": "price"})
    assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_param"


def test_orders_look_like_woocommerce_orders(shop):
    _app, url = shop
    orders = client(url).get("orders", params={"per_page": 100, "orderby": "id", "order": "asc"}).json()
    order = orders[0]
    assert isinstance(order["total"], str) and order["total"].count(".") == 1
    assert isinstance(order["line_items"][0]["price"], (int, float))
    assert isinstance(order["line_items"][0]["total"], str)
    for name in ("date_created_gmt", "date_modified_gmt", "meta_data", "billing", "shipping_lines", "payment_method",
                 "created_via", "customer_id", "number", "currency"):
        assert name in order
    statuses = {o["status"] for o in orders}
    assert {"completed", "processing"} <= statuses
    assert statuses & {"shipped", "returned"}, "custom statuses appear"
    assert sum(o["payment_method"] == "cod" for o in orders) > len(orders) / 2
    assert any(not o["billing"]["phone"].isascii() for o in orders), "some numbers typed in Bangla digits"
    assert any(not o["billing"]["first_name"].isascii() or not o["billing"]["address_1"].isascii() for o in orders)
    assert any(m["key"].startswith("_wc_order_attribution_") for o in orders for m in o["meta_data"])
    drafts = client(url).get("orders", params={"status": "checkout-draft", "per_page": 100})
    assert int(drafts.headers["X-WP-Total"]) > 0


def test_generator_is_deterministic_and_compact():
    a, b = generate(2000, seed=3), generate(2000, seed=3)
    assert a.order(1234) == b.order(1234)
    assert generate(2000, seed=4).order(1234) != a.order(1234)
    started = time.monotonic()
    big = generate(100_000, seed=1)
    assert time.monotonic() - started < 5
    assert not big.materialised, "generated orders are not kept, only their compact columns"
    phones = {big.order(i)["billing"]["phone"] for i in range(1, 3000)}
    assert len(phones) < 2999, "customers come back"


def test_single_order_update_create_and_not_found(shop):
    app, url = shop
    api = client(url)
    before = api.get("orders/3").json()
    time.sleep(1.01)
    updated = api.put("orders/3", {"status": "shipped", "meta_data": [{"key": "_courier_data", "value": "x"}]}).json()
    assert updated["status"] == "shipped" and updated["date_modified_gmt"] > before["date_modified_gmt"]
    assert any(m["key"] == "_courier_data" for m in updated["meta_data"])
    bad_status = api.put("orders/3", {"status": "teleported"})
    assert bad_status.status_code == 400 and bad_status.json()["code"] == "rest_invalid_param"
    created = api.post("orders", {"payment_method": "cod", "billing": {"first_name": "Rina", "phone": "01711000000"},
                                  "line_items": [{"product_id": 101, "quantity": 2}],
                                  "shipping_lines": [{"method_id": "flat_rate", "total": "60.00"}]})
    assert created.status_code == 201
    body = created.json()
    assert body["created_via"] == "rest-api" and body["total"] == "9060.00" and body["status"] == "pending"
    missing = api.get("orders/999999")
    assert missing.status_code == 404
    assert missing.json() == {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                              "data": {"status": 404}}
    no_route = api.get("nothing-here")
    assert no_route.status_code == 404 and no_route.json()["code"] == "rest_no_route"


def test_batch_limit_and_per_item_errors(shop):
    _app, url = shop
    api = client(url)
    over = api.post("orders/batch", {"update": [{"id": i, "status": "completed"} for i in range(1, 102)]})
    assert over.status_code == 413 and over.json()["code"] == "woocommerce_rest_request_entity_too_large"
    mixed = api.post("orders/batch", {"update": [{"id": 4, "status": "completed"}, {"id": 987654, "status": "completed"},
                                                 {"id": 5, "status": "not-a-status"}]})
    assert mixed.status_code == 200
    first, missing, refused = mixed.json()["update"]
    assert first["id"] == 4 and first["status"] == "completed"
    assert missing["id"] == 987654 and missing["error"]["code"] == "woocommerce_rest_shop_order_invalid_id"
    assert refused["id"] == 5 and refused["error"]["code"] == "rest_invalid_param"


def test_trash_and_delete(shop):
    app, url = shop
    api = client(url)
    trashed = api.delete("orders/6")
    assert trashed.status_code == 200 and trashed.json()["status"] == "trash"
    assert 6 not in [o["id"] for o in api.get("orders", params={"include": "6,7"}).json()]  # "any" skips trash
    assert api.get("orders", params={"status": "trash"}).json()[0]["id"] == 6
    gone = api.delete("orders/8", params={"force": "true"})
    assert gone.status_code == 200 and api.get("orders/8").status_code == 404


def test_failure_and_latency_controls(shop):
    app, url = shop
    api = client(url)
    app.store.fail_remaining, app.store.fail_status = 2, 503
    assert api.get("orders").status_code == 503
    assert api.get("orders").status_code == 503
    assert api.get("orders").status_code == 200
    requests.post(f"{url}/__sandbox/latency", json={"ms": 200}, timeout=5)
    started = time.monotonic()
    api.get("orders", params={"per_page": 1})
    assert time.monotonic() - started >= 0.2
    requests.post(f"{url}/__sandbox/latency", json={"ms": 0}, timeout=5)


def test_a_key_added_through_the_control_authenticates(shop):
    _app, url = shop
    assert client(url, "ck_added_later", "cs_added_later").get("orders").status_code == 401
    answer = requests.post(f"{url}/__sandbox/keys", json={"consumer_key": "ck_added_later", "consumer_secret": "cs_added_later"},
                           timeout=5)
    assert answer.status_code == 200
    assert client(url, "ck_added_later", "cs_added_later").get("orders", params={"per_page": 1}).status_code == 200
