"""Courier status → WooCommerce order status, by the shop's mapping, against the sandbox store."""
from sqlalchemy import select

from backend.couriers.writeback import sites_with_writes_due
from backend.extensions import db
from backend.orders.models import Order
from tests.couriers.helpers import complete_delivered_orders, deliver, write_statuses
from tests.couriers.test_booking import book, bookable, shop  # noqa: F401  (fixture)
from tests.sync.helpers import transactions_while_asked


def test_delivered_parcels_complete_their_orders_once(app, shop, steadfast):
    ids = bookable(app, shop, 3)
    assert book(shop, ids)["booked"] == 3
    complete_delivered_orders(shop)
    with app.app_context():
        assert sites_with_writes_due() == []  # booked parcels: their status maps to nothing
        assert write_statuses()["written"] == 0  # nothing delivered yet
    deliver(app, ids[:2])
    with app.app_context():
        assert sites_with_writes_due() == [shop.site_id]
    shop.store.data.refuse_status[ids[1]] = ("woocommerce_rest_invalid_status", "Status locked by another plugin.")

    with app.app_context():
        report = write_statuses()
    assert (report["written"], report["refused"]) == (1, 1)
    assert shop.store.data.order(ids[0])["status"] == "completed"
    assert shop.store.data.order(ids[1])["status"] == "processing"  # refused: kept, tried again next run
    assert shop.store.data.order(ids[2])["status"] == "processing"  # not delivered
    with app.app_context():
        assert db.session.execute(select(Order.status).where(Order.site_id == shop.site_id, Order.wc_id == ids[0])).scalar_one() == "completed"

    del shop.store.data.refuse_status[ids[1]]
    with app.app_context():
        assert write_statuses()["written"] == 1
        assert write_statuses()["written"] == 0  # written once, not again
        assert sites_with_writes_due() == []
    assert shop.store.data.order(ids[1])["status"] == "completed"


def test_the_shop_is_written_with_no_transaction_open(app, shop, steadfast):
    """A shop's turn only reads (the shops with writes due, the site, its mapping, the parcels)
    before it sends WooCommerce the statuses, and ends that reading transaction first: none waits
    open on the shop."""
    ids = bookable(app, shop, 2)
    assert book(shop, ids)["booked"] == 2
    complete_delivered_orders(shop)
    deliver(app, ids)
    with transactions_while_asked(app, shop.store.app) as found, app.app_context():
        assert write_statuses()["written"] == 2
    assert found == [] and [shop.store.data.order(i)["status"] for i in ids] == ["completed", "completed"]


def test_without_a_mapping_nothing_is_written(app, shop, steadfast):
    ids = bookable(app, shop, 1)
    book(shop, ids)
    deliver(app, ids)
    with app.app_context():
        assert write_statuses() == {"sites": 0, "written": 0, "refused": 0}
    assert shop.store.data.order(ids[0])["status"] == "processing"
