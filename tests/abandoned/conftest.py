from datetime import timedelta

import pytest

from backend.abandoned import service
from backend.abandoned.models import AbandonedCheckout
from backend.extensions import db
from backend.clock import iso, utcnow
from tests.shop_settings import set_shop_settings
from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)

KEY = "k" * 32
PHONE = "01711-234567"
E164 = "+8801711234567"
CART = [{"product_id": 11, "name": "Jamdani saree", "quantity": 2, "total": "2400.00"},
        {"product_id": 12, "name": "Panjabi", "quantity": 1, "total": "1100.00"}]


def set_abandoned(app, shop, **values):
    set_shop_settings(app, shop, service, **values)


@pytest.fixture
def capturing(app, shop):
    set_abandoned(app, shop, capture_enabled=True)
    return shop


def capture(shop, key=KEY, phone=PHONE, **extra):
    body = {"capture_key": key, "phone": phone, "name": "Rahima Akter", "email": "rahima@example.com",
            "address": "House 7, Road 3, Dhanmondi", "district": "Dhaka", "items": CART, "total": "3500.00",
            "currency": "BDT", **extra}
    return shop.post("/api/v1/abandoned/capture", json=body)


def row(app, checkout_id) -> dict:
    with app.app_context():
        found = db.session.get(AbandonedCheckout, checkout_id)
        return {c.name: getattr(found, c.name) for c in AbandonedCheckout.__table__.columns}


def later(minutes):
    return utcnow() + timedelta(minutes=minutes)


def run(app, fn, minutes):
    """A job step as the jobs process runs it, `minutes` from now."""
    with app.app_context():
        result = fn(later(minutes))
        db.session.commit()
        return result


def place_order(shop, wc_id, status, phone=PHONE, minutes=1):
    """The orders sync receives an order for this phone (a push event, as the plugin sends it)."""
    at = iso(later(minutes)).removesuffix("Z")
    event = {"idempotency_key": f"o-{wc_id}-{status}", "type": "created", "order_id": wc_id, "date_modified_gmt": at,
             "order": {"id": wc_id, "status": status, "date_created_gmt": at, "date_modified_gmt": at, "total": "3500.00",
                       "payment_method": "cod", "billing": {"first_name": "Rahima", "phone": phone},
                       "line_items": [{"id": wc_id * 10, "name": "Jamdani saree", "product_id": 11, "quantity": 1,
                                       "price": 3500, "subtotal": "3500.00", "total": "3500.00"}]}}
    response = shop.post("/api/v1/events", json={"events": [event]})
    assert response.json["results"][0]["status"] == "applied", response.json
