import pytest


@pytest.fixture
def synced(make_synced):
    return make_synced()
