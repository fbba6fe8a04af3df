"""Booking write-back and the courier status write-back meet an order deleted in WooCommerce
without the hooks that tell Bikri: the order is marked deleted, the owner reads "This order no
longer exists in WooCommerce.", and it is not asked about again."""
from sqlalchemy import select

from backend.extensions import db
from backend.orders.models import Order
from tests.couriers.helpers import complete_delivered_orders, deliver, write_statuses
from tests.couriers.test_booking import book, bookable, shop  # noqa: F401  (fixture)

GONE = "This order no longer exists in WooCommerce."


def deleted_at(app, site_id, wc_id):
    with app.app_context():
        return db.session.execute(select(Order.deleted_at).where(Order.site_id == site_id, Order.wc_id == wc_id)).scalar_one()


def test_booking_an_order_deleted_in_woocommerce(app, shop, steadfast):
    [wc_id] = bookable(app, shop)
    shop.store.data.delete(wc_id, force=True)
    [item] = book(shop, [wc_id])["items"]
    # the courier took the parcel (Bikri could not know); writing it to WooCommerce found no order
    assert item["outcome"] == "booked" and item["woocommerce_updated"] is False
    assert GONE in item["woocommerce_problem"] and "Invalid ID" not in item["woocommerce_problem"]
    assert deleted_at(app, shop.site_id, wc_id) is not None
    asked = shop.store.data.requests
    [again] = book(shop, [wc_id])["items"]
    assert again["outcome"] == "not_attempted" and again["message"] == GONE
    assert shop.store.data.requests == asked and len(steadfast.parcels) == 1


def test_status_write_back_marks_a_deleted_order_and_leaves_it(app, shop, steadfast):
    ids = bookable(app, shop, 2)
    assert book(shop, ids)["booked"] == 2
    complete_delivered_orders(shop)
    deliver(app, ids)
    shop.store.data.delete(ids[1], force=True)
    with app.app_context():
        report = write_statuses()
    assert (report["written"], report["refused"]) == (1, 1)
    assert deleted_at(app, shop.site_id, ids[1]) is not None and deleted_at(app, shop.site_id, ids[0]) is None
    asked = shop.store.data.requests
    with app.app_context():
        assert write_statuses() == {"sites": 1, "written": 0, "refused": 0}
    assert shop.store.data.requests == asked, "not asked about again"
