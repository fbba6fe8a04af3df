import pytest

from backend.extensions import db
from backend.sync import service as sync


@pytest.fixture
def make_synced(app, make_store, connect_shop):
    """A shop connected to a sandbox store of `orders` orders, its history and products backfilled."""
    def make(orders=120, seed=7):
        store = make_store(orders=orders, seed=seed)
        shop = connect_shop(store)
        with app.app_context():
            sync.run_backfill(shop.site_id)
            db.session.commit()
        shop.store = store
        return shop
    return make


@pytest.fixture
def synced(make_synced):
    return make_synced()
