"""follow_orders records no sale for a change whose stored version already sold the same items
at the same time (a status change, a refund), and still does when the items, the order's time
or its counting as a sale move; the last sale itself is written in one statement per batch."""
from datetime import datetime

import pytest

from backend.inventory import sales
from backend.orders.signals import OrderChange

CREATED = datetime(2026, 5, 1, 10, 0)


def version(status="processing", created=CREATED, product=11, excluded=False, deleted=None, quantity=1):
    return ({"status": status, "date_created_gmt": created, "excluded_from_sales": excluded, "deleted_at": deleted},
            [{"product_id": product, "variation_id": None, "quantity": quantity}])


def recorded(monkeypatch, change):
    seen = []
    monkeypatch.setattr(sales, "record_sales", lambda site_id, pairs: seen.extend(pairs))
    monkeypatch.setattr(sales, "move_units_sold", lambda site_id, units: None)
    sales.follow_orders(1, [change])
    return seen


def test_a_status_change_records_no_sale(monkeypatch):
    assert recorded(monkeypatch, OrderChange(1, version(), version(status="completed"))) == []
    assert recorded(monkeypatch, OrderChange(1, version(), version(quantity=3))) == []


@pytest.mark.parametrize("old, new", [
    (None, version()),
    (version(), version(created=datetime(2026, 5, 2))),
    (version(), version(product=12)),
    (version(excluded=True), version()),
    (version(deleted=datetime(2026, 5, 3)), version()),
])
def test_a_change_of_what_it_reads_records_the_sale(monkeypatch, old, new):
    assert recorded(monkeypatch, OrderChange(1, old, new)) == [(new[1][0]["product_id"], new[0]["date_created_gmt"])]
