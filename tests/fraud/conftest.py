import pytest

from backend.extensions import db
from backend.licensing.models import Site
from tests.couriers.conftest import connected, keys  # noqa: F401  (the sandbox Steadfast fixtures; `steadfast` is everyone's, in tests/conftest.py)


@pytest.fixture
def add_orders(app):
    """add_orders(shop, [(wc_id, status, phone, parcel_status or None), ...]): orders in the read model,
    each with a Steadfast consignment at `parcel_status` when one is given."""
    def add(shop, rows, name="Rahima Akter"):
        from decimal import Decimal

        from backend.couriers.service import register_consignment
        from backend.integrations.couriers import TrackedStatus
        from backend.orders.service import upsert_orders

        with app.app_context():
            upsert_orders(shop.site_id, [{"id": wc_id, "number": str(wc_id), "status": status, "total": "1000.00",
                                          "date_created_gmt": "2026-03-02T09:00:00", "date_modified_gmt": "2026-03-02T09:00:00",
                                          "billing": {"first_name": name, "phone": phone, "address_1": "House 1, Dhaka"}}
                                         for wc_id, status, phone, _parcel in rows])
            site = db.session.get(Site, shop.site_id)
            for wc_id, _status, _phone, parcel in rows:
                if parcel:
                    register_consignment(site, f"INV-{wc_id}", "steadfast", str(500000 + wc_id), None, Decimal("1000"),
                                         wc_id, status=TrackedStatus(parcel, parcel))
            db.session.commit()
    return add
