"""The loyalty listener skips order changes that cannot move points or holds (a status move
between statuses that mean the same there, a field it does not read), and gives the same
ledger and holds as following every change."""
import itertools

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.loyalty import listeners, service
from backend.loyalty.models import LoyaltyEntry, LoyaltyHold
from backend.orders.service import upsert_orders
from tests.loyalty.test_loyalty import _hold, order, turn_on

sites = itertools.count(1)

# (order, changes) in turn; each version is newer than the one before
WALK = [
    (1, {}), (2, {"status": "completed"}), (3, {}), (7, {}),
    (1, {"status": "shipped"}), (1, {"status": "on-hold"}), (1, {"status": "completed"}),
    (1, {"status": "completed", "total": "850.00"}), (1, {"status": "delivered", "total": "850.00"}),
    (1, {"status": "completed", "total": "850.00", "refunds": ["300.00"]}),
    (2, {"status": "completed", "shipping": "150.00"}), (2, {"status": "returned"}), (2, {"status": "completed"}),
    (2, {"status": "completed", "phone": "01711000002"}), (2, {"status": "refunded"}),
    (3, {"status": "shipped"}), (3, {"status": "cancelled"}), (3, {"status": "completed"}),
    (7, {"status": "shipped", "total": "500.00"}), (7, {"status": "failed", "total": "500.00"}),
    (7, {"status": "processing", "total": "500.00"}),
]


def walk(app, shop):
    """Ledger and holds after each step of WALK (a hold waits for order 7)."""
    with app.app_context():
        turn_on(shop.site_id, points_per_100=10)
        upsert_orders(shop.site_id, [order(9, status="completed")])
        db.session.commit()
    token = _hold(shop, 100, f"hold-{shop.site_id}").json["hold"]
    assert shop.post(f"/api/v1/loyalty/holds/{token}/order", json={"order_id": 7}).status_code == 200
    states = []
    for minute, (wc_id, change) in enumerate(WALK, start=1):
        with app.app_context():
            upsert_orders(shop.site_id, [order(wc_id, minutes=minute, **change)])
            db.session.commit()
            entries = db.session.execute(select(LoyaltyEntry.order_wc_id, LoyaltyEntry.kind, LoyaltyEntry.points,
                                                LoyaltyEntry.uncollected, LoyaltyEntry.phone)
                                         .where(LoyaltyEntry.site_id == shop.site_id).order_by(LoyaltyEntry.id)).all()
            holds = db.session.execute(select(LoyaltyHold.status, LoyaltyHold.order_wc_id)
                                       .where(LoyaltyHold.site_id == shop.site_id)).all()
            states.append(((wc_id, change), entries, holds))
    return states


def test_the_skips_give_what_following_every_change_gives(app, make_shop, monkeypatch):
    skipping = walk(app, make_shop(url=f"https://loyalty-skip-{next(sites)}.example.com"))
    monkeypatch.setattr(listeners, "settle_key", lambda version: object())  # every change followed
    monkeypatch.setattr(listeners, "hold_key", lambda version: object())
    following = walk(app, make_shop(url=f"https://loyalty-all-{next(sites)}.example.com"))
    for (step, *got), (_step, *expected) in zip(skipping, following):
        assert got == expected, step
    kinds = {kind for _step, entries, _holds in skipping for _o, kind, *_rest in entries}
    assert {"earn", "reverse"} <= kinds  # the walk moved points both ways


def test_a_status_move_that_means_nothing_to_loyalty_reads_nothing(app, shop, monkeypatch):
    with app.app_context():
        turn_on(shop.site_id)
        upsert_orders(shop.site_id, [order(1)])
        db.session.commit()
        calls = []
        monkeypatch.setattr(service, "settle_orders", lambda site_id, ids: calls.append(("settle", sorted(ids))))
        monkeypatch.setattr(service, "follow_orders", lambda site_id, ids: calls.append(("follow", sorted(ids))))
        upsert_orders(shop.site_id, [order(1, status="shipped", minutes=1)])
        upsert_orders(shop.site_id, [order(1, status="on-hold", minutes=2)])
        assert calls == []
        upsert_orders(shop.site_id, [order(1, status="completed", minutes=3)])
        assert calls == [("settle", [1])]
        upsert_orders(shop.site_id, [order(1, status="cancelled", minutes=4)])
        assert calls[1:] == [("follow", [1]), ("settle", [1])]


@pytest.mark.parametrize("change", [{"total": "900.00"}, {"shipping": "80.00"}, {"refunds": ["100.00"]},
                                    {"phone": "01711000002"}, {"status": "returned"}, {"status": "refunded"}])
def test_a_change_of_what_points_depend_on_is_settled(app, shop, monkeypatch, change):
    with app.app_context():
        turn_on(shop.site_id)
        upsert_orders(shop.site_id, [order(1, status="completed")])
        db.session.commit()
        calls = []
        monkeypatch.setattr(service, "settle_orders", lambda site_id, ids: calls.append(sorted(ids)))
        upsert_orders(shop.site_id, [order(1, **{"status": "completed", **change}, minutes=1)])
        assert calls == [[1]]


# (parcel, status) in turn, as polls apply them: parcels of orders 1 and 2 (completed by the shop:
# booked, the parcel decides), of order 3 (processing), and a second parcel for order 1
PARCEL_WALK = [
    ("a", "pending"), ("b", "pending"), ("c", "pending"), ("a", "hold"), ("b", "hold"), ("a", "pending"),
    ("a", "delivered_approval_pending"), ("a", "delivered"), ("b", "returned"), ("c", "hold"), ("c", "delivered"),
    ("d", "pending"), ("d", "cancelled_approval_pending"), ("d", "returned"),
]


def parcel_walk(app, shop):
    """The ledger after each step of PARCEL_WALK (parcel d is booked for order 1 after a is delivered)."""
    from datetime import timedelta
    from decimal import Decimal

    from backend.clock import utcnow
    from backend.couriers import service as couriers
    from backend.integrations.couriers import TrackedStatus
    from backend.licensing.models import Site

    with app.app_context():
        turn_on(shop.site_id, points_per_100=10)
        upsert_orders(shop.site_id, [order(1, status="completed"), order(2, status="completed"), order(3)])
        site = db.session.get(Site, shop.site_id)
        pks = {name: couriers.register_consignment(site, name, "steadfast", f"C{name}", None, Decimal("1250"),
                                                   order_wc_id=wc_id).id
               for name, wc_id in (("a", 1), ("b", 2), ("c", 3))}
        db.session.commit()
    states, start = [], utcnow()
    for minute, (name, status) in enumerate(PARCEL_WALK, start=1):
        with app.app_context():
            if name not in pks:
                site = db.session.get(Site, shop.site_id)
                pks[name] = couriers.register_consignment(site, name, "steadfast", f"C{name}", None, Decimal("1250"),
                                                          order_wc_id=1).id
            couriers.apply_status(pks[name], shop.site_id, TrackedStatus(status, status), start + timedelta(minutes=minute),
                                  source="poll", poll_minutes=30)
            db.session.commit()
            states.append(((name, status), db.session.execute(
                select(LoyaltyEntry.order_wc_id, LoyaltyEntry.kind, LoyaltyEntry.points, LoyaltyEntry.uncollected)
                .where(LoyaltyEntry.site_id == shop.site_id).order_by(LoyaltyEntry.id)).all()))
    return states


def test_parcel_moves_that_keep_the_outcome_are_skipped_and_give_the_same_ledger(app, make_shop, monkeypatch):
    settled = []
    real = service.settle_orders
    monkeypatch.setattr(service, "settle_orders", lambda site_id, ids: settled.append(sorted(ids)) or real(site_id, ids))
    skipping = parcel_walk(app, make_shop(url=f"https://loyalty-parcels-{next(sites)}.example.com"))
    # the orders stored, the three bookings, then only what moves an outcome: a delivered, b returned,
    # c delivered, d booked (its status now overrides order 1's), d returned
    assert settled == [[1, 2, 3], [1], [2], [3], [1], [2], [3], [1], [1]]
    monkeypatch.setattr(listeners, "parcel_key", lambda version: object())  # every change followed
    following = parcel_walk(app, make_shop(url=f"https://loyalty-parcels-all-{next(sites)}.example.com"))
    for (step, got), (_step, expected) in zip(skipping, following):
        assert got == expected, step
    kinds = {kind for _step, entries in skipping for _o, kind, *_rest in entries}
    assert {"earn", "reverse"} <= kinds  # the walk moved points both ways
