import pytest

from backend.sandbox.steadfast import API_KEY, SECRET_KEY


@pytest.fixture
def keys():
    return {"api_key": API_KEY, "secret_key": SECRET_KEY}


@pytest.fixture
def connected(app, shop, steadfast, keys):
    """`shop` with its Steadfast account connected through the API."""
    response = shop.client.put("/api/v1/couriers/steadfast/account", json=keys, headers=shop.auth)
    assert response.status_code == 200, response.json
    return shop
