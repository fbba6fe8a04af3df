"""The customers' listener skips order changes that move nothing `stats.compute` reads, and
still follows a change of each field it reads (the row then equals a recomputation)."""
import itertools

import pytest

from backend.customers import stats
from backend.extensions import db
from backend.orders.service import upsert_orders
from tests.customers.test_customers import order, rows

sites = itertools.count(1)


def _store(site_id, body):
    upsert_orders(site_id, [body])
    db.session.flush()


def _refreshed(monkeypatch):
    calls = []
    real = stats.refresh
    monkeypatch.setattr(stats, "refresh", lambda ids: (calls.append(set(ids)), real(ids)))
    return calls


def _recomputed(site_id):
    kept = rows(site_id)
    fresh = stats.compute([r.customer_id for r in kept.values()])
    keep = ("orders", "delivered", "returned", "cancelled", "spend", "name", "district", "wc_customer_id",
            "first_order_gmt", "last_order_gmt")
    for phone, row in kept.items():
        assert {k: getattr(row, k) for k in keep} == {k: fresh[row.customer_id][k] for k in keep}, phone


def test_a_change_nothing_reads_does_not_refresh(app, make_shop, monkeypatch):
    shop = make_shop(url=f"https://skips-{next(sites)}.example.com")
    with app.app_context():
        first = order(1, "01711000001")
        _store(shop.site_id, first)
        calls = _refreshed(monkeypatch)
        # the same order (a second order() could fall in the next second: another creation time,
        # which the row reads), on hold: no outcome either way
        body = {**first, "status": "on-hold", "date_modified_gmt": "2099-01-01T00:00:00", "customer_note": "call first"}
        _store(shop.site_id, body)
        assert calls == [] or calls == [set()]
        _recomputed(shop.site_id)


@pytest.mark.parametrize("change", [
    {"status": "completed"}, {"status": "cancelled"}, {"total": "1500.00"}, {"district": "Dhaka"},
    {"name": "Rahim"}, {"customer_id": 7}, {"product": 12}, {"days_ago": 3}, {"status": "trash"},
    {"phone": "01711000002"},
])
def test_a_change_of_a_read_field_moves_the_row(app, make_shop, change):
    shop = make_shop(url=f"https://moves-{next(sites)}.example.com")
    with app.app_context():
        _store(shop.site_id, order(1, "01711000001"))
        before = {p: (r.orders, r.delivered, r.cancelled, r.spend, r.district, r.name, r.wc_customer_id, r.last_order_gmt)
                  for p, r in rows(shop.site_id).items()}
        phone = change.pop("phone", "01711000001")
        body = order(1, phone, **change)
        body["date_modified_gmt"] = "2099-01-01T00:00:00"
        _store(shop.site_id, body)
        after = {p: (r.orders, r.delivered, r.cancelled, r.spend, r.district, r.name, r.wc_customer_id, r.last_order_gmt)
                 for p, r in rows(shop.site_id).items()}
        if "product" not in change:
            assert after != before
        _recomputed(shop.site_id)
        if "product" in change:
            from backend.customers.models import CustomerProduct
            from sqlalchemy import select
            products = set(db.session.execute(select(CustomerProduct.product_id)
                                              .where(CustomerProduct.site_id == shop.site_id)).scalars())
            assert products == set(stats.products_of([r.customer_id for r in rows(shop.site_id).values()]).get(
                next(iter(rows(shop.site_id).values())).customer_id, set()))
            assert products  # the new product


def test_a_parcel_change_refreshes_only_when_its_outcome_moves(app, make_shop, monkeypatch):
    from datetime import timedelta
    from decimal import Decimal

    from backend.clock import utcnow
    from backend.couriers import service as couriers
    from backend.integrations.couriers import TrackedStatus
    from backend.licensing.models import Site

    shop = make_shop(url=f"https://parcels-{next(sites)}.example.com")
    with app.app_context():
        _store(shop.site_id, order(1, "01711000001"))
        site = db.session.get(Site, shop.site_id)
        parcel = couriers.register_consignment(site, "1", "steadfast", "C1", None, Decimal("1000"), order_wc_id=1).id
        calls = _refreshed(monkeypatch)
        moment = utcnow()
        couriers.apply_status(parcel, shop.site_id, TrackedStatus("in_review", "in_review"), moment, source="poll",
                              poll_minutes=60)
        assert calls == []  # booked either way: no outcome
        couriers.apply_status(parcel, shop.site_id, TrackedStatus("delivered", "delivered"), moment + timedelta(seconds=1),
                              source="poll", poll_minutes=60)
        assert len(calls) == 1
        assert next(iter(rows(shop.site_id).values())).delivered == 1
        _recomputed(shop.site_id)
