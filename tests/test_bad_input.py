"""Every JSON route answers bad input with a 4xx in the one error shape, never a 500 or a trace."""
import json

import pytest

from tests.walk import json_routes

WRONG_TYPE = {"string": 12345, "integer": "not-a-number", "number": "x", "boolean": "maybe", "object": "text", "array": "text"}


def _wrong_typed_body(app, rule, method):
    """A body with every declared field of the wrong type, from the route's OpenAPI schema."""
    with app.test_request_context():
        from backend.extensions import api
        spec = api.spec.to_dict()
    operation = spec["paths"].get(rule.rule.replace("<", "{").replace(">", "}"), {}).get(method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    properties = schema.get("properties", {})
    return {name: WRONG_TYPE.get(prop.get("type"), []) for name, prop in properties.items()} or {"unexpected": []}


def _bodies(app, rule, method):
    return {
        "malformed JSON": (b'{"phone": "01711', "application/json"),
        "JSON that is not an object": (b"[1, 2, 3]", "application/json"),
        "wrong types": (json.dumps(_wrong_typed_body(app, rule, method)).encode(), "application/json"),
        "a body over 1 MB": (b'{"x": "' + b"a" * (1024 * 1024 + 16) + b'"}', "application/json"),
        "not JSON at all": (b"license_key=abc", "application/x-www-form-urlencoded"),
    }


@pytest.mark.parametrize("case", ["malformed JSON", "JSON that is not an object", "wrong types", "a body over 1 MB", "not JSON at all"])
def test_every_json_route_refuses_bad_bodies_cleanly(app, client, make_shop, case):
    shop = make_shop()
    routes = json_routes(app)
    assert routes, "no JSON routes found"
    for rule, method in routes:
        again = client.post("/api/v1/sites/activate", json={"license_key": shop.key, "site_url": shop.url})
        token = again.json["token"]
        data, content_type = _bodies(app, rule, method)[case]
        response = client.open(rule.rule, method=method, data=data, content_type=content_type,
                               headers={"Authorization": f"Bearer {token}"})
        where = f"{method} {rule.rule} with {case}"
        if response.status_code in (200, 201, 202, 204):
            # routes without a body (deactivate) may ignore it; nothing may crash
            continue
        assert 400 <= response.status_code < 500, f"{where}: {response.status_code}"
        body = response.json
        assert body and set(body) == {"error"}, f"{where}: {response.get_data(as_text=True)[:200]}"
        assert set(body["error"]) == {"code", "message", "details"}, where
        assert "Traceback" not in response.get_data(as_text=True)


def test_wrong_types_on_activation_name_each_field(client):
    response = client.post("/api/v1/sites/activate", json={"license_key": 123, "site_url": ["x"], "wc_consumer_key": {}})
    assert response.status_code == 422
    assert set(response.json["error"]["details"]) == {"license_key", "site_url", "wc_consumer_key"}
