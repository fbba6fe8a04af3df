import pytest

from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)


@pytest.fixture
def catalogue(connected, store):
    """The sandbox store with 30 more simple products and 3 variable ones (4 variations each)."""
    simple = store.app.store.add_products(30)
    variable = store.app.store.add_products(3, variations=4, first_sku=500)
    return {"simple": simple, "variable": variable}
