import pytest

from backend.sandbox.server import SandboxServer
from backend.sandbox.steadfast import API_KEY, SECRET_KEY, create_steadfast_app


@pytest.fixture
def steadfast(app):
    """The sandbox Steadfast on a real socket; the service's Steadfast address points at it."""
    sandbox_app = create_steadfast_app()
    with SandboxServer(sandbox_app) as url:
        sandbox = sandbox_app.sandbox
        sandbox.url = f"{url}/api/v1"
        before = dict(app.config["COURIERS"]["steadfast"])
        app.config["COURIERS"]["steadfast"].update(base_url=sandbox.url, requests_per_second=50.0)
        try:
            yield sandbox
        finally:
            app.config["COURIERS"]["steadfast"] = before


@pytest.fixture
def keys():
    return {"api_key": API_KEY, "secret_key": SECRET_KEY}


@pytest.fixture
def connected(app, shop, steadfast, keys):
    """`shop` with its Steadfast account connected through the API."""
    response = shop.client.put("/api/v1/couriers/steadfast/account", json=keys, headers=shop.auth)
    assert response.status_code == 200, response.json
    return shop
