"""The wishlist's order listener skips changes that leave the same buyer with the same products
bought (a status move between purchase statuses), and marks the same wishes bought as
following every change."""
import itertools
from datetime import timedelta

from sqlalchemy import select

from backend.clock import utcnow
from backend.extensions import db
from backend.orders.service import upsert_orders
from backend.wishlist import listeners, service
from backend.wishlist.models import Wish
from tests.customers.test_customers import order
from tests.wishlist.test_wishlist import _event, _post

sites = itertools.count(1)
WISHES = [dict(product=11, user_id=1), dict(product=11, phone="01711000003"), dict(product=12, user_id=9, email="mina@shop.test"),
          dict(product=12, user_id=2), dict(product=13, phone="01711000004"), dict(product=11, user_id=5),
          dict(product=13, user_id=8, email="rupa@shop.test")]
# (order, phone, changes) in turn, each version newer than the one before
WALK = [
    (1, "01811000009", {"customer_id": 5, "status": "cancelled"}),
    (1, "01811000009", {"customer_id": 5, "status": "shipped", "product": 14}),
    (1, "01811000009", {"customer_id": 5, "status": "processing"}),
    (1, "01811000009", {"customer_id": 1}),
    (1, "01811000009", {"customer_id": 1, "status": "completed"}),
    (1, "01711000003", {"customer_id": 1, "status": "completed"}),
    (1, "01711000003", {"customer_id": 1, "product": 12, "email": "Mina@Shop.test"}),
    (2, "01711000004", {"status": "failed", "product": 13}),
    (2, "01711000004", {"status": "on-hold", "product": 13}),
    (1, "01711000003", {"customer_id": 2, "product": 12}),
    (2, "01711000004", {"status": "on-hold", "product": 13, "email": "Rupa@Shop.test"}),
]


def walk(app, shop):
    """Which wishes are bought after each step of WALK."""
    _post(shop, *[_event(key=f"w{n}", **wish) for n, wish in enumerate(WISHES)])
    states = []
    for minute, (wc_id, phone, change) in enumerate(WALK, start=1):
        change = dict(change)
        email = change.pop("email", None)
        body = order(wc_id, phone, **change)
        body["date_modified_gmt"] = (utcnow() - timedelta(hours=1) + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S")
        if email:
            body["billing"]["email"] = email
        with app.app_context():
            upsert_orders(shop.site_id, [body])
            db.session.commit()
            bought = db.session.execute(select(Wish.product_wc_id, Wish.wp_user_id, Wish.phone, Wish.email,
                                               Wish.bought_at.is_not(None)).where(Wish.site_id == shop.site_id)
                                        .order_by(Wish.id)).all()
        states.append(((wc_id, phone, change), bought))
    return states


def test_the_skip_marks_what_following_every_change_marks(app, make_shop, monkeypatch):
    skipping = walk(app, make_shop(url=f"https://wish-skip-{next(sites)}.example.com"))
    monkeypatch.setattr(listeners, "bought_key", lambda version: object())  # every change followed
    following = walk(app, make_shop(url=f"https://wish-all-{next(sites)}.example.com"))
    for (step, got), (_step, expected) in zip(skipping, following):
        assert got == expected, step
    assert all(row[-1] for row in skipping[-1][1])  # by the end every wish was bought, step by step


def test_a_status_move_between_purchases_looks_up_nothing(app, shop, monkeypatch):
    _post(shop, _event(product=11, user_id=1))
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01811000009", customer_id=7)])
        db.session.commit()
        calls = []
        monkeypatch.setattr(service, "record_orders", lambda site_id, changes: calls.append([c.wc_id for c in changes]))
        moved = order(1, "01811000009", customer_id=7, status="completed")
        moved["date_modified_gmt"] = utcnow().strftime("%Y-%m-%dT%H:%M:%S")
        upsert_orders(shop.site_id, [moved, order(2, "01811000008")])
        assert calls == [[2]]  # the new order only
