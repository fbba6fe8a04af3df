import pytest

from backend.extensions import db
from backend.sync import service as sync


@pytest.fixture
def synced(app, make_store, connect_shop):
    """A shop connected to a 120-order sandbox store, its history and products backfilled."""
    store = make_store(orders=120, seed=7)
    shop = connect_shop(store)
    with app.app_context():
        sync.run_backfill(shop.site_id)
        db.session.commit()
    shop.store = store
    return shop
