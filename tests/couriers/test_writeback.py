"""Courier status → WooCommerce order status, by the shop's mapping, against the sandbox store."""
from sqlalchemy import select, update

from backend.couriers.models import Consignment
from backend.couriers.writeback import sites_with_writes_due
from backend.extensions import db
from backend.jobs.runner import every_shop
from backend.jobs.table import JOBS_BY_NAME
from backend.orders.models import Order
from tests.couriers.test_booking import book, bookable, shop  # noqa: F401  (fixture)


def write_statuses() -> dict:
    """The job's whole run in this process (`flask jobs run-once`), summed over the shops it wrote for."""
    outcomes = [o for o in every_shop(JOBS_BY_NAME["write_courier_statuses"]).values() if o is not None]
    return {"sites": len(outcomes), "written": sum(o["written"] for o in outcomes),
            "refused": sum(o["refused"] for o in outcomes)}


def _deliver(app, wc_ids):
    with app.app_context():
        db.session.execute(update(Consignment).where(Consignment.order_wc_id.in_(wc_ids)).values(status="delivered"))
        db.session.commit()


def test_delivered_parcels_complete_their_orders_once(app, shop, steadfast):
    ids = bookable(app, shop, 3)
    assert book(shop, ids)["booked"] == 3
    assert shop.client.put("/api/v1/couriers/settings", json={"wc_status_map": {"delivered": "completed"}},
                           headers=shop.auth).status_code == 200
    with app.app_context():
        assert sites_with_writes_due() == []  # booked parcels: their status maps to nothing
        assert write_statuses()["written"] == 0  # nothing delivered yet
    _deliver(app, ids[:2])
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


def test_without_a_mapping_nothing_is_written(app, shop, steadfast):
    ids = bookable(app, shop, 1)
    book(shop, ids)
    _deliver(app, ids)
    with app.app_context():
        assert write_statuses() == {"sites": 0, "written": 0, "refused": 0}
    assert shop.store.data.order(ids[0])["status"] == "processing"
