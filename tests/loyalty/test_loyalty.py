"""Loyalty points (U2): earned once when an order is delivered, taken back on return or refund
(never below zero, what was spent recorded as uncollected), expiry, holds at checkout that become
redemptions when the order is stored, the settings page and the points on a customer's page."""
import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from backend.activity.models import Activity
from backend.checkout.codes import make_proof
from backend.couriers import service as couriers
from backend.customers.models import CustomerStats
from backend.extensions import db
from backend.integrations.couriers import TrackedStatus
from backend.licensing.models import Site
from backend.loyalty import ledger, service
from backend.loyalty.models import LoyaltyEntry, LoyaltyHold
from backend.orders.service import normalise_order, upsert_normalised, upsert_orders
from backend.sms.models import SmsMessage
from backend.clock import utcnow
from tests.embed_helpers import SESSION_HEADER

PHONE = "+8801711000001"


def wc(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def order(wc_id, *, status="processing", total="1250.00", shipping="50.00", phone="01711000001", refunds=(), minutes=0):
    created = utcnow() - timedelta(days=1)
    return {"id": wc_id, "status": status, "date_created_gmt": wc(created),
            "date_modified_gmt": wc(created + timedelta(minutes=minutes)), "total": total, "shipping_total": shipping,
            "billing": {"first_name": "Karim", "phone": phone},
            "refunds": [{"id": n + 1, "total": f"-{amount}"} for n, amount in enumerate(refunds)],
            "line_items": [{"id": wc_id * 10, "name": "Saree", "product_id": 11, "quantity": 1, "price": total,
                            "subtotal": total, "total": total}]}


def turn_on(site_id, **values):
    service.save_settings(site_id, {"enabled": True, "points_per_100": 1, "point_value": "1.00", "min_redeem": 5,
                                    "expiry_days": 30, "earn_sms": False, "earn_sms_text": "", **values})
    db.session.commit()


def balance(site_id, phone=PHONE):
    return ledger.balance_of(site_id, phone), ledger.ledger_sum(site_id, phone)


def earn_120_points(site_id):
    """The programme on (10 points per 100 taka) and order 1 delivered: 120 points (its 1200
    taka without shipping) to spend. Inside an app context."""
    turn_on(site_id, points_per_100=10)
    upsert_orders(site_id, [order(1, status="completed")])
    db.session.commit()


def test_an_order_earns_once_when_delivered_and_a_return_takes_it_back(app, shop):
    with app.app_context():
        turn_on(shop.site_id)
        upsert_orders(shop.site_id, [order(1)])
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)  # placed, not delivered: nothing yet
        upsert_orders(shop.site_id, [order(1, status="completed", minutes=5)])
        db.session.commit()
        assert balance(shop.site_id) == (12, 12)  # 1,250 less 50 shipping: 12 full hundreds
        # the same delivery again (a repeated push, a reconciliation with a new modified time): once
        upsert_orders(shop.site_id, [order(1, status="completed", minutes=5)])
        upsert_orders(shop.site_id, [order(1, status="completed", minutes=9)])
        db.session.commit()
        assert balance(shop.site_id) == (12, 12)
        upsert_orders(shop.site_id, [order(1, status="returned", minutes=20)])
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)
        kinds = [e.kind for e in reversed(ledger.entries_of(shop.site_id, PHONE))]
        assert kinds == ["earn", "reverse"]


def test_a_parcel_delivered_or_returned_moves_points_once(app, shop):
    with app.app_context():
        turn_on(shop.site_id, points_per_100=2)
        upsert_orders(shop.site_id, [order(1, status="processing"), order(2, status="completed")])
        site = db.session.get(Site, shop.site_id)
        first = couriers.register_consignment(site, "1", "steadfast", "C1", None, Decimal("1250"), order_wc_id=1).id
        second = couriers.register_consignment(site, "2", "steadfast", "C2", None, Decimal("1250"), order_wc_id=2).id
        db.session.commit()
        assert balance(shop.site_id) == (24, 24)  # order 2, completed by the shop
        couriers.apply_status(first, shop.site_id, TrackedStatus("delivered", "delivered"), utcnow(), source="poll",
                              poll_minutes=30)
        db.session.commit()
        assert balance(shop.site_id) == (48, 48)
        # the courier's write-back completes the WooCommerce order: the same delivery, no second earn
        upsert_orders(shop.site_id, [order(1, status="completed", minutes=30)])
        db.session.commit()
        assert balance(shop.site_id) == (48, 48)
        # order 2's parcel comes back: the latest parcel decides, its points go
        couriers.apply_status(second, shop.site_id, TrackedStatus("returned", "returned"), utcnow(), source="poll",
                              poll_minutes=30)
        db.session.commit()
        assert balance(shop.site_id) == (24, 24)
        # a refund of order 1 (WooCommerce's "refunded") takes back the rest
        upsert_orders(shop.site_id, [order(1, status="refunded", refunds=["1250.00"], minutes=40)])
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)


def test_a_partial_refund_takes_back_its_share_and_spent_points_stay_spent(app, shop):
    with app.app_context():
        turn_on(shop.site_id, points_per_100=10)
        upsert_orders(shop.site_id, [order(1, status="completed"), order(2, status="completed")])
        db.session.commit()
        assert balance(shop.site_id) == (240, 240)  # 120 each
        upsert_orders(shop.site_id, [order(1, status="completed", refunds=["600.00"], minutes=5)])
        db.session.commit()
        assert balance(shop.site_id) == (180, 180)  # half of order 1's goods refunded: 60 back
        site = db.session.get(Site, shop.site_id)
        service.take_hold(site, phone=PHONE, points=150, idempotency_key="k1")
        db.session.commit()
        assert balance(shop.site_id) == (30, 30)
        upsert_orders(shop.site_id, [order(2, status="returned", minutes=5)])
        db.session.commit()
        # order 2 earned 120; 30 were left: those go, 90 are recorded as already spent
        reverse = ledger.entries_of(shop.site_id, PHONE, 1)[0]
        assert (reverse.kind, reverse.points, reverse.uncollected) == ("reverse", -30, 90)
        assert balance(shop.site_id) == (0, 0)
        # the next points pay that debt first, once: the same return again takes nothing more
        upsert_orders(shop.site_id, [order(3, status="completed")])
        upsert_orders(shop.site_id, [order(2, status="returned", minutes=9)])
        db.session.commit()
        assert balance(shop.site_id) == (30, 30)


def test_a_returned_orders_points_do_not_come_back_through_a_cancelled_checkout(app, shop):
    with app.app_context():
        earn_120_points(shop.site_id)
    token = _hold(shop, 120, "all-of-it").json["hold"]
    shop.post(f"/api/v1/loyalty/holds/{token}/order", json={"order_id": 2})
    with app.app_context():
        upsert_orders(shop.site_id, [order(2, status="processing", total="900.00")])
        upsert_orders(shop.site_id, [order(1, status="returned", minutes=5)])
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)  # all 120 spent on order 2: nothing to take back yet
        upsert_orders(shop.site_id, [order(2, status="cancelled", total="900.00", minutes=5)])
        db.session.commit()
        # the redemption is given back, and pays the returned order's debt at once
        assert balance(shop.site_id) == (0, 0)
        assert [(e.kind, e.points, e.uncollected) for e in reversed(ledger.entries_of(shop.site_id, PHONE))] == [
            ("earn", 120, 0), ("redeem", -120, 0), ("reverse", 0, 120), ("release", 120, 0), ("reverse", -120, -120)]


def test_nothing_is_earned_while_the_programme_is_off_or_for_a_backfill(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, status="completed")])
        db.session.commit()
        turn_on(shop.site_id)
        upsert_normalised(shop.site_id, [normalise_order(order(2, status="completed"))], rollups_now=False)
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)
        assert db.session.execute(select(LoyaltyEntry).where(LoyaltyEntry.site_id == shop.site_id)).first() is None


def test_points_expire_oldest_first(app, shop):
    with app.app_context():
        earn_120_points(shop.site_id)
        site = db.session.get(Site, shop.site_id)
        service.take_hold(site, phone=PHONE, points=100, idempotency_key="spend")
        db.session.commit()
        turn_on(shop.site_id, points_per_100=10, expiry_days=90)
        upsert_orders(shop.site_id, [order(2, status="completed")])
        db.session.commit()
        assert balance(shop.site_id) == (140, 140)
        now = utcnow()
        assert ledger.balance_of(shop.site_id, PHONE, now + timedelta(days=31)) == 120  # 20 of the first lot unspent
        assert ledger.expire_all(now + timedelta(days=31)) == 20
        db.session.commit()
        assert balance(shop.site_id) == (120, 120)
        assert ledger.expire_all(now + timedelta(days=31)) == 0  # once
        assert ledger.expire_all(now + timedelta(days=91)) == 120
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)


def _hold(shop, points, key, **extra):
    return shop.post("/api/v1/loyalty/holds", json={"phone": "01711000001", "points": points, "idempotency_key": key,
                                                    "account": True, **extra})


def test_a_hold_becomes_a_redemption_when_its_order_is_stored_and_comes_back_if_cancelled(app, shop):
    with app.app_context():
        earn_120_points(shop.site_id)
    answer = shop.post("/api/v1/loyalty/balance", json={"phone": "01711000001", "account": True})
    assert answer.status_code == 200 and answer.json["points"] == 120 and answer.json["can_redeem"]
    assert _hold(shop, 500, "too-many").json["error"]["code"] == "insufficient_points"
    assert _hold(shop, 2, "too-few").json["error"]["code"] == "below_minimum"
    assert _hold(shop, 100, "worth-more", cart_total="50.00").json["error"]["code"] == "more_than_order"
    hold = _hold(shop, 100, "checkout-1")
    assert hold.status_code == 201 and hold.json["value"] == "100.00" and hold.json["status"] == "held"
    again = _hold(shop, 100, "checkout-1")
    assert again.json["hold"] == hold.json["hold"]  # the same key: the same hold, debited once
    assert shop.post("/api/v1/loyalty/balance", json={"phone": "01711000001", "account": True}).json["points"] == 20
    token = hold.json["hold"]
    attached = shop.post(f"/api/v1/loyalty/holds/{token}/order", json={"order_id": 7})
    assert attached.status_code == 200 and attached.json["status"] == "held"
    assert shop.client.delete(f"/api/v1/loyalty/holds/{token}", headers=shop.auth).json["error"]["code"] == "hold_used"
    with app.app_context():
        upsert_orders(shop.site_id, [order(7, status="processing", total="500.00")])
        db.session.commit()
    assert shop.get(f"/api/v1/loyalty/holds/{token}").json["status"] == "redeemed"
    with app.app_context():
        upsert_orders(shop.site_id, [order(7, status="cancelled", total="500.00", minutes=3)])
        upsert_orders(shop.site_id, [order(7, status="cancelled", total="500.00", minutes=4)])
        db.session.commit()
        assert balance(shop.site_id) == (120, 120)
    assert shop.get(f"/api/v1/loyalty/holds/{token}").json["status"] == "cancelled"


def test_an_unused_hold_is_released_when_it_expires_or_taken_off(app, shop):
    with app.app_context():
        earn_120_points(shop.site_id)
    first = _hold(shop, 50, "a").json["hold"]
    second = _hold(shop, 50, "b").json["hold"]
    assert shop.client.delete(f"/api/v1/loyalty/holds/{first}", headers=shop.auth).json["status"] == "released"
    assert shop.client.delete(f"/api/v1/loyalty/holds/{first}", headers=shop.auth).json["status"] == "released"  # once
    with app.app_context():
        assert service.release_expired_holds(utcnow() + timedelta(minutes=5)) == 0
        assert service.release_expired_holds(utcnow() + timedelta(minutes=service.HOLD_MINUTES + 1)) == 1
        db.session.commit()
        assert balance(shop.site_id) == (120, 120)
        assert db.session.execute(select(LoyaltyHold.status).where(LoyaltyHold.token == second)).scalar_one() == "released"


def test_a_guest_proves_the_phone_with_a_verified_checkout_code(app, shop):
    with app.app_context():
        turn_on(shop.site_id)
        site = db.session.get(Site, shop.site_id)
        verified, _ = make_proof(site, PHONE, "sess-1", "verified", 2)
        trusted, _ = make_proof(site, PHONE, "sess-1", "trusted", 2)
        other, _ = make_proof(site, "+8801711000002", "sess-1", "verified", 2)
    ask = lambda proof: shop.post("/api/v1/loyalty/balance", json={"phone": "01711000001", "proof": proof})  # noqa: E731
    assert ask(None).status_code == 403 and ask(None).json["error"]["code"] == "phone_not_proven"
    assert ask(trusted).status_code == 403  # given without a code
    assert ask(other).status_code == 403
    assert ask(verified + "x").status_code == 403
    assert ask(verified).status_code == 200


def test_the_earn_sms_goes_through_the_wallet_once(app, shop, fund, gateway):
    fund(shop, 10)
    with app.app_context():
        turn_on(shop.site_id, earn_sms=True, earn_sms_text="আপনি {points} পয়েন্ট পেয়েছেন। মোট {balance}")
        upsert_orders(shop.site_id, [order(1, status="completed")])
        db.session.commit()
        assert service.queue_due_sms(older_than=timedelta(0)) == 1
        db.session.commit()
        assert service.queue_due_sms(older_than=timedelta(0)) == 0
        sent = db.session.execute(select(SmsMessage).where(SmsMessage.site_id == shop.site_id)).scalars().all()
        assert [(m.purpose, m.content, m.encoding) for m in sent] == [("loyalty", "আপনি 12 পয়েন্ট পেয়েছেন। মোট 12", "unicode")]


def test_the_settings_page_saves_and_refuses_bad_values(app, shop, client):
    page, session = shop.open_page(page="loyalty")
    assert page.status_code == 200 and 'name="points_per_100"' in page.get_data(as_text=True)
    good = {"enabled": "1", "points_per_100": "5", "point_value": "0.50", "min_redeem": "100", "expiry_days": "180",
            "earn_sms_text": "Thanks"}
    saved = client.post("/embed/loyalty/settings", data=good, headers={SESSION_HEADER: session})
    assert saved.status_code == 200 and "Saved." in saved.get_data(as_text=True)
    assert saved.headers["HX-Trigger"] == "bikri-checkout-changed"  # wp-admin pulls the checkout copy at once
    bad = client.post("/embed/loyalty/settings", data={**good, "point_value": "abc", "min_redeem": "0"},
                      headers={SESSION_HEADER: session})
    assert bad.status_code == 422 and 'data-error-for="point_value"' in bad.get_data(as_text=True)
    assert 'data-error-for="min_redeem"' in bad.get_data(as_text=True)
    assert shop.get("/api/v1/loyalty/settings").json["point_value"] == "0.50"
    with app.app_context():
        logged = db.session.execute(select(Activity).where(Activity.site_id == shop.site_id,
                                                           Activity.subject == "loyalty_settings")).scalars().all()
        # one entry: the refused save logged nothing
        assert len(logged) == 1 and json.loads(logged[0].after)["point_value"] == "0.50"
    _manager_page, manager = shop.open_page(page="home", role="shop_manager", user_id=2)
    assert client.post("/embed/loyalty/settings", data=good, headers={SESSION_HEADER: manager}).status_code == 403


def test_the_customer_page_shows_points_and_the_ledger(app, shop, client):
    with app.app_context():
        turn_on(shop.site_id, points_per_100=3)
        upsert_orders(shop.site_id, [order(1, status="completed")])
        db.session.commit()
        customer_id = db.session.execute(select(CustomerStats.customer_id).where(
            CustomerStats.site_id == shop.site_id)).scalar_one()
    _page, session = shop.open_page(page="customers")
    html = client.get(f"/embed/customers/c/{customer_id}", headers={SESSION_HEADER: session}).get_data(as_text=True)
    assert 'id="loyalty-points"' in html and "<strong>36</strong>" in html and "Earned (order delivered)" in html
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, status="returned", minutes=5)])
        db.session.commit()
    html = client.get(f"/embed/customers/c/{customer_id}", headers={SESSION_HEADER: session}).get_data(as_text=True)
    assert "<strong>0</strong>" in html and "Taken back (return or refund)" in html and "already spent" not in html


def test_the_plugin_learns_with_its_checkout_copy_whether_points_are_on(app, shop):
    assert shop.get("/api/v1/checkout/config").json["loyalty"] == {"enabled": False}
    with app.app_context():
        turn_on(shop.site_id, point_value="0.25", min_redeem=50)
    assert shop.get("/api/v1/checkout/config").json["loyalty"] == {"enabled": True, "point_value": "0.25",
                                                                   "min_redeem": 50}


def test_a_hold_that_ran_out_before_its_order_was_told_is_taken_again(app, shop):
    with app.app_context():
        earn_120_points(shop.site_id)
    token = _hold(shop, 100, "late").json["hold"]
    with app.app_context():
        assert service.release_expired_holds(utcnow() + timedelta(minutes=service.HOLD_MINUTES + 1)) == 1
        db.session.commit()
        assert balance(shop.site_id) == (120, 120)
    # WP-cron ran late: the order used the discount, the points are still there, so they are taken
    attached = shop.post(f"/api/v1/loyalty/holds/{token}/order", json={"order_id": 9})
    assert attached.status_code == 200 and attached.json["status"] == "held"
    with app.app_context():
        assert balance(shop.site_id) == (20, 20)
        upsert_orders(shop.site_id, [order(9, status="cancelled", total="500.00")])
        db.session.commit()
        assert balance(shop.site_id) == (120, 120)  # cancelled: given back again, once
        assert service.release_expired_holds(utcnow() + timedelta(days=2)) == 0
    # spent meanwhile: the hold cannot be taken again, and says so
    second = _hold(shop, 120, "all").json["hold"]
    other = _hold(shop, 60, "gone")
    assert other.json["error"]["code"] == "insufficient_points"
    with app.app_context():
        db.session.execute(update(LoyaltyHold).where(LoyaltyHold.token == second).values(expires_at=utcnow()))
        db.session.commit()
        assert service.release_expired_holds() == 1
        db.session.commit()
    assert _hold(shop, 100, "other-checkout").status_code == 201
    late = shop.post(f"/api/v1/loyalty/holds/{second}/order", json={"order_id": 10})
    assert late.status_code == 409 and late.json["error"]["code"] == "hold_ended"


def test_the_api_saves_the_programme_and_shows_a_customers_ledger(app, shop):
    bad = shop.client.put("/api/v1/loyalty/settings", headers=shop.auth,
                          json={"points_per_100": 5, "point_value": "0.001", "min_redeem": 10, "expiry_days": 30})
    assert bad.status_code == 422 and "point_value" in bad.json["error"]["details"]
    saved = shop.client.put("/api/v1/loyalty/settings", headers=shop.auth,
                            json={"enabled": True, "points_per_100": 5, "point_value": "2.50", "min_redeem": 10,
                                  "expiry_days": 0})
    assert saved.status_code == 200 and saved.json["point_value"] == "2.50" and saved.json["expiry_days"] == 0
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, status="completed")])
        db.session.commit()
        assert ledger.entries_of(shop.site_id, PHONE)[0].expires_at is None  # 0 days: never expires
    answer = shop.get("/api/v1/loyalty/ledger?phone=01711-000001")
    assert answer.status_code == 200 and answer.json["points"] == 60
    assert [(e["kind"], e["points"], e["order_id"]) for e in answer.json["entries"]] == [("earn", 60, 1)]
    assert shop.get("/api/v1/loyalty/ledger?phone=12345").status_code == 422


def test_delivered_again_after_a_return_gives_back_only_what_was_taken(app, shop):
    with app.app_context():
        earn_120_points(shop.site_id)
        service.take_hold(db.session.get(Site, shop.site_id), phone=PHONE, points=100, idempotency_key="spent")
        upsert_orders(shop.site_id, [order(1, status="returned", minutes=5)])
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)  # 20 taken back, 100 already spent
        upsert_orders(shop.site_id, [order(1, status="completed", minutes=10)])
        db.session.commit()
        assert balance(shop.site_id) == (20, 20)  # one delivered order of 120 with 100 spent
        upsert_orders(shop.site_id, [order(1, status="completed", minutes=15)])
        upsert_orders(shop.site_id, [order(1, status="returned", minutes=20)])
        upsert_orders(shop.site_id, [order(1, status="returned", minutes=25)])
        db.session.commit()
        assert balance(shop.site_id) == (0, 0)
