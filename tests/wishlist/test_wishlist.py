"""The wishlist (U3): the plugin's events applied once whatever arrives twice or late, the reports
(most wished; wished but never bought, matched by account, phone or email), inventory's
items_changed, and the back-in-stock / price-drop SMS: once per change per shopper, from the
shop's wallet, opt-outs and the day's cap honoured."""
from decimal import Decimal

from sqlalchemy import func, select

from backend.customers.campaigns import opt_out
from backend.extensions import db
from backend.inventory import product_sync as inventory
from backend.inventory.signals import items_changed
from backend.notifications.opt_outs import inbound_reply
from backend.orders.service import upsert_orders
from backend.sms.models import SmsMessage
from backend.clock import utcnow
from backend.wishlist import service
from backend.wishlist.models import Wish, WishlistAlert
from tests.customers.test_customers import order

PHONE = "+8801711000001"
T0 = inventory.version_of(utcnow())


def _event(kind="added", product=11, version=1, key=None, **extra):
    return {"idempotency_key": key or f"{kind}-{product}-{version}", "type": kind, "product_id": product,
            "version": T0 + version, **extra}


def _post(shop, *events):
    response = shop.post("/api/v1/wishlist/events", json={"events": list(events)})
    assert response.status_code == 200, response.json
    return [result["status"] for result in response.json["results"]]


def _item(wc_id, *, price="1000.00", status="instock", version=1, name="Jamdani saree"):
    return {"wc_id": wc_id, "parent_wc_id": 0, "type": "simple", "name": name, "sku": f"SKU-{wc_id}", "status": "publish",
            "price": Decimal(price), "regular_price": Decimal(price), "sale_price": None, "cost_price": None,
            "manage_stock": True, "stock_quantity": 5 if status == "instock" else 0, "stock_status": status,
            "categories": "[]", "image_url": None, "date_modified_gmt": None, "stock_version": T0 + version, "deleted_at": None}


def _store_items(app, shop, *items):
    with app.app_context():
        inventory.upsert_items(shop.site_id, list(items))
        db.session.commit()


def _stock_push(shop, wc_id, version, quantity):
    response = shop.post("/api/v1/inventory/events", json={"events": [{
        "idempotency_key": f"s-{wc_id}-{version}", "type": "stock", "product_id": wc_id, "stock_quantity": quantity,
        "stock_status": "instock" if quantity else "outofstock", "manage_stock": True, "version": T0 + version}]})
    assert response.status_code == 200, response.json
    return response.json["results"][0]["status"]


def _switch_on(shop, **values):
    response = shop.client.put("/api/v1/wishlist/settings", headers=shop.auth,
                               json={"back_in_stock_sms": True, "price_drop_sms": True, **values})
    assert response.status_code == 200, response.json


def _alert_sms(app, shop):
    with app.app_context():
        return db.session.execute(select(SmsMessage.phone, SmsMessage.content).where(
            SmsMessage.site_id == shop.site_id, SmsMessage.purpose == "wishlist").order_by(SmsMessage.id)).all()


def _alerts(app, shop):
    with app.app_context():
        return db.session.execute(select(WishlistAlert.kind, WishlistAlert.state, WishlistAlert.detail).where(
            WishlistAlert.site_id == shop.site_id).order_by(WishlistAlert.id)).all()


# --- events --------------------------------------------------------------------------------------

def test_events_are_idempotent_and_the_newest_wins(app, shop):
    added = _event(version=2, user_id=7, email="Karim@Shop.test")
    assert _post(shop, added) == ["applied"]
    assert _post(shop, added) == ["ignored_older"]  # the same batch again: nothing changes
    # removed later, then an older "added" arrives late: still removed
    assert _post(shop, _event("removed", version=5, user_id=7), _event(version=3, user_id=7, key="late")) == [
        "applied", "ignored_older"]
    with app.app_context():
        wish = db.session.execute(select(Wish).where(Wish.site_id == shop.site_id)).scalar_one()
        assert wish.removed_at is not None and wish.email == "karim@shop.test" and wish.shopper == "user:7"
    assert shop.get("/api/v1/wishlist/report").json["wishes"] == 0
    assert _post(shop, _event(version=9, user_id=7)) == ["applied"]
    report = shop.get("/api/v1/wishlist/report").json
    assert report["wishes"] == 1 and report["most_wished"][0]["product_id"] == 11


def test_bad_events_are_refused_with_the_field_named(shop):
    guest_without_phone = _event()
    response = shop.post("/api/v1/wishlist/events", json={"events": [guest_without_phone]})
    assert response.status_code == 422 and "user_id" in str(response.json["error"]["details"])
    response = shop.post("/api/v1/wishlist/events", json={"events": [_event("subscribed", phone="12345")]})
    assert response.status_code == 422 and "phone" in str(response.json["error"]["details"])
    response = shop.post("/api/v1/wishlist/events", json={"events": [_event(colour="red", user_id=1)]})
    assert response.status_code == 422
    assert shop.client.post("/api/v1/wishlist/events", json={"events": [_event(user_id=1)]}).status_code == 401


def test_reports_most_wished_and_wished_but_never_bought(app, shop):
    _store_items(app, shop, _item(11, name="Jamdani saree"), _item(12, name="Panjabi"))
    _post(shop, _event(product=11, user_id=1), _event(product=11, user_id=2, key="b"), _event(product=11, phone="01711000003", key="c"),
          _event(product=12, user_id=1, key="d"))
    with app.app_context():
        # shopper 1 bought the saree (by account), the guest by phone; shopper 2 never did
        upsert_orders(shop.site_id, [order(1, "01811000009", customer_id=1, product=11),
                                     order(2, "01711000003", product=11)])
        db.session.commit()
    report = shop.get("/api/v1/wishlist/report").json
    assert [(row["name"], row["shoppers"]) for row in report["most_wished"]] == [("Jamdani saree", 3), ("Panjabi", 1)]
    assert [(row["product_id"], row["shoppers"]) for row in report["wished_not_bought"]] == [(11, 1), (12, 1)]
    assert report["shoppers"] == 3
    # bought before it was wished (here by email, as a guest): not a wish to win back
    with app.app_context():
        upsert_orders(shop.site_id, [{**order(3, "01911000001", product=12), "billing": {
            "first_name": "Mina", "phone": "01911000001", "email": "Mina@Shop.test"}}])
        db.session.commit()
    _post(shop, _event(product=12, user_id=9, email="mina@shop.test", key="e"))
    report = shop.get("/api/v1/wishlist/report").json
    assert [(row["product_id"], row["shoppers"]) for row in report["wished_not_bought"]] == [(11, 1), (12, 1)]
    assert report["most_wished"][1]["shoppers"] == 2
    # a cancelled order is no purchase
    with app.app_context():
        upsert_orders(shop.site_id, [order(4, "01811000009", customer_id=2, product=11, status="cancelled")])
        db.session.commit()
    assert shop.get("/api/v1/wishlist/report").json["wished_not_bought"][0] == {**report["wished_not_bought"][0]}


def test_reports_are_the_shops_own(app, make_shop):
    first, second = make_shop(), make_shop(url="https://shop-b.example.com")
    _post(first, _event(user_id=1))
    assert second.get("/api/v1/wishlist/report").json["wishes"] == 0


# --- inventory's signal ------------------------------------------------------------------------------

def test_inventory_announces_a_restock_and_a_price_move_not_a_new_item(app, shop):
    heard = []

    def listener(site_id, *, changes):
        heard.extend(changes)
    items_changed.connect(listener)
    try:
        _store_items(app, shop, _item(21, status="outofstock"))
        assert heard == []  # first stored: not a change
        assert _stock_push(shop, 21, 2, 4) == "applied"
        assert [(c.wc_id, c.back_in_stock, c.price_dropped) for c in heard] == [(21, True, False)]
        _store_items(app, shop, _item(21, price="800.00", version=3))
        assert (heard[-1].old_price, heard[-1].new_price, heard[-1].price_dropped) == (Decimal("1000.00"), Decimal("800.00"), True)
        count = len(heard)
        _store_items(app, shop, _item(21, price="800.00", version=4))  # nothing moved
        assert len(heard) == count
    finally:
        items_changed.disconnect(listener)


# --- alerts -----------------------------------------------------------------------------------------

def test_back_in_stock_sms_goes_once_per_restock(app, shop, gateway, fund):
    fund(shop, 100)
    _switch_on(shop)
    _store_items(app, shop, _item(31, status="outofstock"))
    assert _post(shop, _event("subscribed", product=31, phone="01711-000001")) == ["applied"]
    assert _stock_push(shop, 31, 2, 3) == "applied"
    sent = _alert_sms(app, shop)
    assert len(sent) == 1 and sent[0].phone == PHONE and "Jamdani saree" in sent[0].content
    assert _stock_push(shop, 31, 2, 3) == "ignored_older"  # the same push again
    assert _stock_push(shop, 31, 3, 9) == "applied"  # more stock: still in stock, no news
    _store_items(app, shop, _item(31, status="instock", version=4))  # the reconciliation reads it: no news
    assert len(_alert_sms(app, shop)) == 1
    # sold out and back again: a new restock, a new SMS
    _stock_push(shop, 31, 5, 0)
    _stock_push(shop, 31, 6, 2)
    assert len(_alert_sms(app, shop)) == 2
    with app.app_context():
        sms = db.session.execute(select(func.count()).select_from(SmsMessage).where(
            SmsMessage.site_id == shop.site_id, SmsMessage.status == "sent")).scalar_one()
    assert sms == 2 and [a.state for a in _alerts(app, shop)] == ["queued", "queued"]


def test_price_drop_sms_only_below_the_price_last_told(app, shop, gateway, fund, ledger):
    fund(shop, 100)
    _switch_on(shop, language="en")
    _store_items(app, shop, _item(41, price="1500.00"))
    _post(shop, _event("subscribed", product=41, phone=PHONE, back_in_stock=False))
    balance_before, _sum = ledger(shop)
    _store_items(app, shop, _item(41, price="1200.00", version=2))
    sent = _alert_sms(app, shop)
    assert len(sent) == 1 and "now costs 1,200 taka" in sent[0].content and "?post_type=product&p=41" in sent[0].content
    balance_after, ledger_sum = ledger(shop)
    assert balance_after < balance_before and balance_after == ledger_sum  # charged to the shop's wallet
    _store_items(app, shop, _item(41, price="1400.00", version=3))  # up
    _store_items(app, shop, _item(41, price="1200.00", version=4))  # down to the price already told
    assert len(_alert_sms(app, shop)) == 1
    _store_items(app, shop, _item(41, price="999.00", version=5))
    assert len(_alert_sms(app, shop)) == 2


def test_opted_out_cancelled_capped_and_switched_off_shoppers_get_nothing(app, shop, gateway, fund):
    fund(shop, 100)
    _switch_on(shop, alerts_per_phone_per_day=1, price_drop_sms=False)
    _store_items(app, shop, *[_item(wc_id, status="outofstock") for wc_id in (51, 52, 53, 54, 55)])
    _post(shop, _event("subscribed", product=51, phone="01711000005", key="a"),  # opted out of offers
          _event("subscribed", product=55, phone="01711000008", key="f"),  # replied STOP to the shop's SMS
          _event("subscribed", product=52, phone="01711000006", key="b"),  # cancels
          _event("subscribed", product=53, phone="01711000007", key="c"),  # two restocks, a cap of one a day
          _event("subscribed", product=54, phone="01711000007", key="d"))
    _post(shop, _event("unsubscribed", product=52, phone="01711000006", version=2, key="e"))
    with app.app_context():
        opt_out(shop.site_id, "+8801711000005")
        inbound_reply("01711000008", "STOP", site_id=shop.site_id)
        db.session.commit()
    for wc_id in (51, 52, 53, 54, 55):
        _stock_push(shop, wc_id, 2, 1)
    assert [row.phone for row in _alert_sms(app, shop)] == ["+8801711000007"]
    assert sorted((a.state, a.detail) for a in _alerts(app, shop)) == [
        ("queued", None), ("skipped", "daily_limit"), ("skipped", "opted_out"), ("skipped", "opted_out")]
    # price drops are switched off: a cheaper item texts nobody
    _store_items(app, shop, _item(53, price="10.00", version=3))
    assert len(_alert_sms(app, shop)) == 1


def test_switching_alerts_on_needs_an_sms_balance(shop):
    response = shop.client.put("/api/v1/wishlist/settings", headers=shop.auth, json={"back_in_stock_sms": True})
    assert response.status_code == 409 and response.json["error"]["code"] == "sms_balance_required"
    response = shop.client.put("/api/v1/wishlist/settings", headers=shop.auth, json={"alerts_per_phone_per_day": 99})
    assert response.status_code == 422


def test_the_plugins_copy_says_whether_to_offer_the_alerts(shop, fund):
    assert shop.get("/api/v1/checkout/config").json["wishlist"] == {"alerts": False}
    fund(shop, 10)
    _switch_on(shop, back_in_stock_sms=True, price_drop_sms=False)
    assert shop.get("/api/v1/checkout/config").json["wishlist"] == {"alerts": True}


def test_the_sms_speaks_the_shops_language(app):
    with app.test_request_context():
        bangla = service.alert_text("back_in_stock", shop="Rongdhonu", product="Jamdani saree", price=None,
                                    link="https://shop.test/?p=1", language="bn")
        english = service.alert_text("price_drop", shop="Rongdhonu", product="Jamdani saree", price=Decimal("1250.50"),
                                     link="https://shop.test/?p=1", language="en")
    # (the Bangla comes with the translations built from scripts/translate_bn.py)
    assert "আবার স্টকে" in bangla and "STOP" in bangla and bangla.startswith("Rongdhonu: Jamdani saree")
    assert english == "Rongdhonu: Jamdani saree now costs 1,250.50 taka. https://shop.test/?p=1\nReply STOP to stop offers"
