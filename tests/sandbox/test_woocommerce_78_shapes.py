"""The sandbox store answers the requests recorded from a real WooCommerce 7.8.2 store
(woocommerce-7.8-shapes.json, a copy of ../shared/reference/woocommerce-7.8-shapes.json;
its format is described at the end of ../shared/reference/woocommerce.md) as that store did:
same HTTP status, same X-WP-Total/X-WP-TotalPages presence, same error code, same shape
(keys and type names, three levels deep, lists by their first item).

Requests go over a real socket with the Python `woocommerce` client, OAuth 1.0a over http,
as they were recorded.

Some parts of a WooCommerce answer depend on the order's state, not on WooCommerce's
version: `_links.customer` only for a registered customer's order, `date_paid` only once the
order was paid, `coupon_lines` only with a coupon. The recording says in which state the
recorded orders were; `arrange_as_recorded` puts the sandbox's orders in those states through
the REST API (and one control that moves a modification time), as a shop's staff would.
No difference is allowed for below: the sandbox answers every recorded request exactly.
"""
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from woocommerce import API

from backend.sandbox.server import SandboxServer
from backend.sandbox.woocommerce import ApiKey, create_sandbox

RECORDING = json.loads((Path(__file__).with_name("woocommerce-7.8-shapes.json")).read_text())
KEY, SECRET = "ck_shapes_0123456789", "cs_shapes_0123456789"
MISSING = 999999999
# Differences the sandbox cannot remove, by request name, each with its reason. Empty: none.
ALLOWED_DIFFERENCES: dict[str, str] = {}


def shape(value, depth: int = 0):
    """The recording's shape: every value replaced by its Python type name, dicts opened three
    levels deep (deeper ones read "dict"), lists by their first item (an empty list stays [])."""
    if isinstance(value, dict):
        if depth >= 3:
            return "dict"
        return {key: shape(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0], depth + 1)] if value else []
    return type(value).__name__


def observe(response) -> dict:
    """What the recording keeps of one answer."""
    body = response.json()
    is_error = isinstance(body, dict) and "code" in body and response.status_code >= 400
    return {
        "status": response.status_code,
        "headers": {name: name in response.headers for name in ("X-WP-Total", "X-WP-TotalPages")},
        "error_code": body["code"] if is_error else None,
        "shape": shape(body),
    }


def differences(expected, actual, where="") -> list[str]:
    """Readable differences between two shapes (or two observations)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                found.append(f"{where}.{key}: missing (WooCommerce: {expected[key]!r})")
            elif key not in expected:
                found.append(f"{where}.{key}: not sent by WooCommerce (sandbox: {actual[key]!r})")
            else:
                found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if expected and actual:
            return differences(expected[0], actual[0], f"{where}[0]")
        return [] if expected == actual else [f"{where}: {actual!r} (WooCommerce: {expected!r})"]
    return [] if expected == actual else [f"{where}: {actual!r} (WooCommerce: {expected!r})"]


@pytest.fixture(scope="module")
def sandbox():
    app = create_sandbox(orders=100, seed=78, keys=[ApiKey(KEY, SECRET)])
    with SandboxServer(app) as url:
        yield app, url


def client(url, secret=SECRET):
    return API(url=url, consumer_key=KEY, consumer_secret=secret, version="wc/v3", timeout=10)


def arrange_as_recorded(api, url) -> dict:
    """The recorded store's orders, in the states the recording shows them in.

    - "orders page" (page 2 by id, so order 101) and "order one": a registered customer's order,
      completed (so paid and completed), one whole-taka line, a shipping line, no coupon, fee,
      refund or meta;
    - "orders modified_after gmt": the first order modified after 2026-01-01 is a registered
      customer's, not paid yet (on hold).
    """
    customer = api.get("customers", params={"per_page": 1}).json()[0]
    billing = {k: customer["billing"][k] for k in ("first_name", "last_name", "address_1", "city", "state", "phone")}

    def create(status):
        response = api.post("orders", {
            "status": status, "customer_id": customer["id"], "payment_method": "cod",
            "payment_method_title": "Cash on delivery", "billing": billing,
            "line_items": [{"product_id": 101, "quantity": 1}],
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat rate", "total": "60.00"}]})
        assert response.status_code == 201, response.text
        return response.json()

    completed, on_hold = create("completed"), create("on-hold")
    assert completed["id"] == 101, "the first order of page 2 by id"
    # Both last changed early in 2026 (whatever this machine's clock says), the unpaid one first.
    # The sandbox's controls are plain HTTP on loopback, without authentication.
    for order, at in ((on_hold, "2026-01-02T09:00:00"), (completed, "2026-01-02T10:00:00")):
        when = int(datetime.fromisoformat(at).replace(tzinfo=timezone.utc).timestamp())
        assert requests.post(f"{url}/__sandbox/orders/{order['id']}/touch", json={"at": when}, timeout=5).ok
    return {"order_id": completed["id"]}


def send_recorded_requests(url) -> dict:
    api = client(url)
    arranged = arrange_as_recorded(api, url)
    order_id = arranged["order_id"]
    return {
        "orders page": api.get("orders", params={"per_page": 100, "page": 2, "orderby": "id", "order": "asc"}),
        "orders per_page 101": api.get("orders", params={"per_page": 101}),
        "orders modified_after gmt": api.get("orders", params={
            "per_page": 5, "modified_after": "2026-01-01T00:00:00", "dates_are_gmt": "true",
            "orderby": "modified", "order": "asc"}),
        "order missing": api.get(f"orders/{MISSING}"),
        "order one": api.get(f"orders/{order_id}"),
        "order bad status": api.put(f"orders/{order_id}", {"status": "no-such-status"}),
        "batch 101": api.post("orders/batch", {"update": [{"id": i, "status": "completed"} for i in range(1, 102)]}),
        "batch mixed": api.post("orders/batch", {"update": [{"id": MISSING, "status": "completed"},
                                                            {"id": order_id, "customer_note": "Call before 5 pm"}]}),
        "products": api.get("products", params={"per_page": 3}),
        "customers": api.get("customers", params={"per_page": 3}),
        "bad secret": client(url, secret="cs_not_the_secret").get("orders"),
    }


def test_every_recorded_request_is_answered_as_woocommerce_7_8_answered_it(sandbox):
    _app, url = sandbox
    answers = send_recorded_requests(url)
    assert set(answers) == set(RECORDING), "every recorded request is sent"
    report = {}
    for name, recorded in sorted(RECORDING.items()):
        found = differences(recorded, observe(answers[name]))
        if found and name not in ALLOWED_DIFFERENCES:
            report[name] = found
    assert not report, "the sandbox answers differently from WooCommerce 7.8:\n" + "\n".join(
        f"{name}: {line}" for name, lines in report.items() for line in lines)


def test_the_shape_function_reads_answers_as_the_recording_does():
    """The recording's own conventions, on a known answer: a whole number is an int, dicts
    deeper than three levels read "dict", lists by their first item."""
    answer = {"line_items": [{"price": 500, "image": {"id": 1}, "taxes": []}, {"price": 1.5}],
              "_links": {"self": [{"href": "x"}]}, "date_paid": None, "total": "500.00"}
    assert shape(answer) == {"line_items": [{"price": "int", "image": "dict", "taxes": []}],
                             "_links": {"self": ["dict"]}, "date_paid": "NoneType", "total": "str"}
    assert shape([{"billing": {"phone": "017"}, "_links": {"collection": [{"href": "y"}]}}]) == \
        [{"billing": {"phone": "str"}, "_links": {"collection": ["dict"]}}]


def expected_for(order: dict, recorded: dict) -> dict:
    """The recorded order's shape as it would read for this order's state: no `_links.customer`
    for a guest, null dates for an order not (yet) paid or completed, the line's price an int
    only when whole. Lists the recording saw empty (coupons, fees, meta) say nothing of their
    items: this order's are taken as they come."""
    expected = json.loads(json.dumps(recorded))
    if not order["customer_id"]:
        del expected["_links"]["customer"]
    for name in ("date_paid", "date_paid_gmt", "date_completed", "date_completed_gmt"):
        if order[name] is None:
            expected[name] = "NoneType"
    price = order["line_items"][0]["price"]
    expected["line_items"][0]["price"] = "int" if price == int(price) else "float"
    actual = shape(order)
    for name, value in recorded.items():
        if value == [] and isinstance(actual.get(name), list):
            expected[name] = actual[name]
    return expected


def test_generated_orders_carry_woocommerce_7_8_types_in_every_state(sandbox):
    """Not only the arranged orders: every generated order, whatever its status, payment or
    customer, has the recorded order's keys and types (created_via a string, never a list)."""
    _app, url = sandbox
    api = client(url)
    orders = api.get("orders", params={"per_page": 100, "orderby": "id", "order": "asc", "status": "any"}).json()
    recorded = RECORDING["order one"]["shape"]
    problems = {}
    for order in orders:
        found = differences(expected_for(order, recorded), shape(order))
        if found:
            problems[order["id"]] = found
    assert not problems, problems
    assert all(isinstance(o["created_via"], str) for o in orders)
    # what the state-dependent parts depend on is there, as WooCommerce sets it
    for order in orders:
        if order["status"] in ("processing", "completed", "shipped", "returned", "refunded"):
            assert order["date_paid_gmt"], f"order {order['id']} ({order['status']}, {order['payment_method']}) was paid"
        if order["status"] == "completed":
            assert order["date_completed_gmt"], f"order {order['id']} is completed"
        if order["status"] in ("pending", "failed", "checkout-draft", "on-hold"):
            assert order["date_paid_gmt"] is None
    assert any(o["customer_id"] for o in orders) and any(not o["customer_id"] for o in orders)
    assert any(isinstance(item["price"], float) for o in orders for item in o["line_items"]), "1599.50 stays a float"
    assert any(type(item["price"]) is int for o in orders for item in o["line_items"])


def test_an_orders_customer_link_leads_to_that_customer(sandbox):
    _app, url = sandbox
    api = client(url)
    orders = api.get("orders", params={"per_page": 100, "orderby": "id", "order": "asc"}).json()
    registered = [o for o in orders if o["customer_id"]]
    assert registered
    for order in registered[:10]:
        href = order["_links"]["customer"][0]["href"]
        assert href.endswith(f"/wc/v3/customers/{order['customer_id']}")
        customer = api.get(f"customers/{order['customer_id']}")
        assert customer.status_code == 200
        assert (customer.json()["first_name"], customer.json()["last_name"]) == \
            (order["billing"]["first_name"], order["billing"]["last_name"])
    listed = api.get("customers", params={"per_page": 100})
    assert listed.status_code == 200 and int(listed.headers["X-WP-Total"]) >= len({o["customer_id"] for o in registered})


def test_a_status_change_stamps_date_paid_and_date_completed_as_woocommerce_does(sandbox):
    app, url = sandbox
    api = client(url)
    pending = next(o for o in api.get("orders", params={"status": "pending", "per_page": 1}).json())
    assert pending["date_paid_gmt"] is None and pending["date_completed_gmt"] is None
    processing = api.put(f"orders/{pending['id']}", {"status": "processing"}).json()
    assert processing["date_paid_gmt"] == processing["date_modified_gmt"] and processing["date_completed_gmt"] is None
    completed = app.store.touch(pending["id"], status="completed", at=app.store._now() + 60)
    assert completed["date_paid_gmt"] == processing["date_paid_gmt"], "paid once, not again"
    assert completed["date_completed_gmt"] == completed["date_modified_gmt"]
    cancelled = app.store.touch(pending["id"], status="cancelled", at=app.store._now() + 120)
    assert cancelled["date_paid_gmt"] == processing["date_paid_gmt"]
    assert cancelled["date_completed_gmt"] == completed["date_completed_gmt"], "WooCommerce never clears them"


def test_a_missing_order_is_refused_as_woocommerce_refuses_each_request(sandbox):
    """GET and DELETE answer 404, PUT 400 (WC_REST_CRUD_Controller::update_item), its notes 404
    'Invalid order ID.', a batch item an error inside the 200; always woocommerce_rest_shop_order_invalid_id."""
    _app, url = sandbox
    api = client(url)
    answers = {
        "get": api.get(f"orders/{MISSING}"), "put": api.put(f"orders/{MISSING}", {"status": "completed"}),
        "delete": api.delete(f"orders/{MISSING}"), "note": api.post(f"orders/{MISSING}/notes", {"note": "x"}),
    }
    assert {name: (r.status_code, r.json()["code"], r.json()["message"]) for name, r in answers.items()} == {
        "get": (404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
        "put": (400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
        "delete": (404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
        "note": (404, "woocommerce_rest_shop_order_invalid_id", "Invalid order ID."),
    }
    item = api.post("orders/batch", {"update": [{"id": MISSING, "status": "completed"}]}).json()["update"][0]
    assert item == {"id": MISSING, "error": {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                                             "data": {"status": 400}}}


def test_generated_products_keep_the_recorded_product_shape(sandbox):
    """Products the inventory tests and bench add (add_products) answer with the keys and types
    WooCommerce 7.8 gave a simple product, their images and meta as WooCommerce lists them."""
    app, url = sandbox
    [pid] = app.store.add_products(1, first_sku=777)
    answer = client(url).get(f"products/{pid}").json()
    recorded = RECORDING["products"]["shape"][0]
    expected, actual = json.loads(json.dumps(recorded)), shape([answer])[0]
    for name in ("images", "meta_data", "related_ids"):  # the recording's differ in length only
        expected[name] = actual[name]
    expected["stock_quantity"] = "int"  # the recorded product did not manage stock (null); these do
    assert set(actual) == set(expected)
    assert {k: v for k, v in actual.items() if k not in ("images", "meta_data")} == \
        {k: v for k, v in expected.items() if k not in ("images", "meta_data")}
