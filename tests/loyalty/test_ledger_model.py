"""The points ledger against a model of the rules, over random histories: orders delivered,
refunded in part, returned, put back to processing, delivered again (in any order, repeated),
checkout holds taken, tied to orders that are placed or cancelled, released, run out. After every
step the balance equals the ledger's sum and is never negative; each order earned once; and the
balance is what the model says: what each order is owed now, plus what returns could not take
back, less the points held by live checkouts — with no debt left while the customer has points.
"""
import random
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select

from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.loyalty import ledger, service
from backend.loyalty.models import EARN, ORDER_KINDS, LoyaltyEntry, LoyaltyHold
from backend.orders.service import upsert_orders
from backend.clock import utcnow
from tests.loyalty.test_loyalty import PHONE, order, turn_on
from tests.properties import SEEDS, database_property, new_shop

ORDERS = (1, 2, 3)
TOTALS = {1: Decimal("1250.00"), 2: Decimal("860.00"), 3: Decimal("2410.00")}  # shipping 50 each


def goods(wc_id, refunded):
    return TOTALS[wc_id] - 50 - refunded


def points(amount):
    return int((amount / 100).to_integral_value(rounding=ROUND_DOWN)) * 10


def history(site_id, seed):
    """Random steps through the real upsert and service; yields the model after each."""
    rng = random.Random(seed)
    site = db.session.get(Site, site_id)
    state = {o: {"status": "processing", "refunded": Decimal("0"), "minutes": 0} for o in ORDERS}
    earned = {}  # order -> (points, goods when earned): the model's first earn
    owed = {o: 0 for o in ORDERS}
    holds = {}  # token -> order id it was placed with (None until placed)
    next_order = 100

    def store(o, **change):
        state[o].update(change)
        state[o]["minutes"] += 1
        s = state[o]
        upsert_orders(site_id, [order(o, status=s["status"], total=str(TOTALS[o]), minutes=s["minutes"],
                                      refunds=[str(s["refunded"])] if s["refunded"] else [])])
        if s["status"] == "completed":
            if o not in earned:
                earned[o] = (points(goods(o, s["refunded"])), goods(o, s["refunded"]))
            e, at = earned[o]
            owed[o] = min(e, int(e * goods(o, s["refunded"]) / at)) if at else e
        elif s["status"] == "returned" and o in earned:
            owed[o] = 0

    for _ in range(rng.randrange(6, 16)):
        step = rng.choice(("deliver", "deliver", "return", "refund", "processing", "hold", "place", "cancel", "release",
                           "expire"))
        o = rng.choice(ORDERS)
        if step == "deliver":
            store(o, status="completed")
        elif step == "return":
            store(o, status="returned")
        elif step == "refund" and state[o]["refunded"] == 0:
            store(o, status="completed", refunded=Decimal("300.00"))
        elif step == "processing":
            store(o, status="processing")
        elif step == "hold":
            try:
                token = service.take_hold(site, phone=PHONE, points=rng.randrange(5, 200),
                                          idempotency_key=f"k{rng.random()}").token
                holds[token] = None
            except ApiError as refused:
                assert refused.code == "insufficient_points"
                db.session.rollback()
        elif step == "place" and any(v is None for v in holds.values()):
            token = next(t for t, v in holds.items() if v is None)
            next_order += 1
            holds[token] = next_order
            try:
                service.attach_hold(site, token, next_order)
            except ApiError as ended:  # released meanwhile and the points spent since
                assert ended.code == "hold_ended"
                db.session.rollback()
            upsert_orders(site_id, [order(next_order, status="processing", total="500.00")])
        elif step == "cancel" and any(holds.values()):
            placed = rng.choice([v for v in holds.values() if v])
            upsert_orders(site_id, [order(placed, status="cancelled", total="500.00", minutes=1)])
        elif step == "release":
            for token, placed in holds.items():
                if placed is None:
                    service.release_hold(site, token)
        elif step == "expire":
            service.release_expired_holds(utcnow() + timedelta(minutes=service.HOLD_MINUTES + 1))
        db.session.commit()
        yield owed


@database_property(25, seed=SEEDS)
def test_the_ledger_matches_the_model_after_every_step(app, make_shop, seed):
    shop = new_shop(make_shop, "loyalty-model")
    with app.app_context():
        turn_on(shop.site_id, points_per_100=10, min_redeem=5, expiry_days=0)
        for owed in history(shop.site_id, seed):
            balance, total = ledger.balance_of(shop.site_id, PHONE), ledger.ledger_sum(shop.site_id, PHONE)
            assert balance == total >= 0
            earns = db.session.execute(select(LoyaltyEntry.order_wc_id, func.count()).where(
                LoyaltyEntry.site_id == shop.site_id, LoyaltyEntry.kind == EARN).group_by(LoyaltyEntry.order_wc_id)).all()
            assert all(count == 1 for _order, count in earns)
            debt = db.session.execute(select(func.coalesce(func.sum(LoyaltyEntry.uncollected), 0)).where(
                LoyaltyEntry.site_id == shop.site_id, LoyaltyEntry.kind.in_(ORDER_KINDS))).scalar_one()
            live = db.session.execute(select(func.coalesce(func.sum(LoyaltyHold.points), 0)).where(
                LoyaltyHold.site_id == shop.site_id, LoyaltyHold.status.in_(("held", "redeemed")))).scalar_one()
            assert debt >= 0 and (balance == 0 or debt == 0)
            assert balance == sum(owed.values()) + debt - live, (owed, debt, live)
