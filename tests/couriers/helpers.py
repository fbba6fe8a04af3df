"""Set-up shared by the courier tests and the real-worker tests of booking and status checks."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from backend import commits
from backend.clock import utcnow
from backend.couriers import service
from backend.couriers.models import Consignment
from backend.extensions import db
from backend.integrations.couriers import ParcelRequest
from backend.jobs.runner import every_shop
from backend.jobs.table import JOBS_BY_NAME
from backend.orders.models import Order
from backend.phones import is_valid_phone


def bookable(app, shop, count=1):
    """WooCommerce ids of orders the checks accept (processing, a good phone, a name and an address)."""
    with app.app_context():
        orders = db.session.execute(select(Order).where(Order.site_id == shop.site_id, Order.status == "processing")
                                    .order_by(Order.wc_id)).scalars().all()
        ids = [o.wc_id for o in orders if is_valid_phone(o.billing_phone) and (o.billing_address or "").strip()
               and (o.billing_name or "").strip()]
    assert len(ids) >= count
    return ids[:count]


def complete_delivered_orders(shop):
    """The shop's courier settings: a delivered parcel completes its WooCommerce order."""
    assert shop.client.put("/api/v1/couriers/settings", json={"wc_status_map": {"delivered": "completed"}},
                           headers=shop.auth).status_code == 200


def deliver(app, wc_ids):
    """The courier delivers these orders' parcels (as a status check would record it)."""
    with app.app_context():
        db.session.execute(update(Consignment).where(Consignment.order_wc_id.in_(wc_ids)).values(status="delivered"))
        db.session.commit()


def book_at_sandbox(site, n, prefix="P") -> list[int]:
    """`n` parcels booked at the sandbox Steadfast with the shop's account and recorded as
    booking records them, two hours ago: their consignments' ids. Inside an app context; each
    parcel's record is kept before the next is asked for, as booking keeps each answer (no
    transaction with writes stays open while the courier answers: backend/commits.py)."""
    courier = service.courier_for(service.get_account(site, "steadfast"))
    pks = []
    for i in commits.one_at_a_time(range(n)):
        parcel = courier.create_consignment(ParcelRequest(
            invoice=f"{prefix}{i}", recipient_name="Karim", recipient_phone="01711234567",
            recipient_address="Mirpur 10, Dhaka", cod_amount=Decimal("500")))
        pks.append(service.register_consignment(site, parcel.invoice, "steadfast", parcel.consignment_id,
                                                parcel.tracking_code, Decimal("500"), 1000 + i, status=parcel.status,
                                                booked_at=utcnow() - timedelta(hours=2)).id)
    return pks


def write_statuses() -> dict:
    """The courier status write-back job's whole run in this process (`flask jobs run-once`),
    summed over the shops it wrote for."""
    outcomes = [o for o in every_shop(JOBS_BY_NAME["write_courier_statuses"]).values() if o is not None]
    return {"sites": len(outcomes), "written": sum(o["written"] for o in outcomes),
            "refused": sum(o["refused"] for o in outcomes)}
