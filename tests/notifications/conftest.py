from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.licensing.models import Site
from backend.notifications.models import NotificationSend
from backend.sms.models import SmsMessage
from backend.clock import iso, utcnow
from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)

PHONE = "01711-234567"
E164 = "+8801711234567"


def order(wc_id, status, minutes=0, phone=PHONE, name="Rahima Akter", total="1250.00"):
    at = iso(utcnow() + timedelta(minutes=minutes)).removesuffix("Z")
    return {"id": wc_id, "number": str(wc_id), "status": status, "total": total, "date_created_gmt": at,
            "date_modified_gmt": at, "billing": {"first_name": name.split()[0], "last_name": name.split()[-1],
                                                 "phone": phone, "address_1": "House 1, Dhaka"}}


def created_event(wc_id):
    """What the plugin pushes to /api/v1/events when a checkout creates a processing order now:
    one Jamdani saree, cash on delivery."""
    at = datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S")
    return {"idempotency_key": f"e-{wc_id}", "type": "created", "order_id": wc_id, "date_modified_gmt": at,
            "order": {**order(wc_id, "processing"), "date_created_gmt": at, "date_modified_gmt": at, "payment_method": "cod",
                      "line_items": [{"id": wc_id * 10, "name": "Jamdani saree", "product_id": 11, "quantity": 1,
                                      "price": 1250, "subtotal": "1250.00", "total": "1250.00"}]}}


def store(app, shop, orders):
    """The one upsert stores the orders (as the sync and the desk do); order_stored follows."""
    from backend.orders.service import upsert_orders

    with app.app_context():
        upsert_orders(shop.site_id, orders)
        db.session.commit()


def configure(shop, **body):
    response = shop.client.put("/api/v1/notifications/settings", json=body, headers=shop.auth)
    assert response.status_code == 200, response.json
    return response.json


def status_sms(app, shop, wc_id=None):
    """The status SMS the SMS domain holds for the shop (what its workers deliver)."""
    with app.app_context():
        query = select(SmsMessage).where(SmsMessage.site_id == shop.site_id, SmsMessage.purpose == "order_status")
        return [(m.phone, m.content, m.status) for m in db.session.execute(query.order_by(SmsMessage.id)).scalars()
                if wc_id is None or f"#{wc_id}" in m.content]


def sends(app, shop, **where):
    with app.app_context():
        query = select(NotificationSend).where(NotificationSend.site_id == shop.site_id)
        for name, value in where.items():
            query = query.where(getattr(NotificationSend, name) == value)
        return [{c.name: getattr(row, c.name) for c in NotificationSend.__table__.columns}
                for row in db.session.execute(query.order_by(NotificationSend.id)).scalars()]


def count_sends(app, shop):
    with app.app_context():
        return db.session.execute(select(func.count(NotificationSend.id)).where(
            NotificationSend.site_id == shop.site_id)).scalar_one()


@pytest.fixture
def parcel(app):
    """parcel(shop, wc_id) -> consignment pk: a Steadfast parcel in review for the order."""
    def make(shop, wc_id, status="in_review"):
        from backend.couriers.service import register_consignment
        from backend.integrations.couriers import TrackedStatus

        with app.app_context():
            site = db.session.get(Site, shop.site_id)
            row = register_consignment(site, f"INV-{wc_id}", "steadfast", str(500000 + wc_id), f"SFR{wc_id}",
                                       Decimal("1250"), wc_id, status=TrackedStatus(status, status))
            db.session.commit()
            return row.id
    return make


def move_parcel(app, shop, pk, status, courier_word=None, minutes=1):
    from backend.couriers.service import apply_status
    from backend.integrations.couriers import TrackedStatus

    with app.app_context():
        apply_status(pk, shop.site_id, TrackedStatus(status, courier_word or status), utcnow() + timedelta(minutes=minutes),
                     source="poll", poll_minutes=60)
        db.session.commit()
