"""The fraud check (F1) over the API: the three sources, the verdict, the stored history, the
customer's record, the cache and forced re-checks, a courier failing, and the network counts
across two shops (counts only)."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.extensions import db
from backend.fraud import checks, service
from backend.fraud.models import FraudCheck
from backend.licensing.models import Site
from backend.orders.models import Customer
from backend.tasks import service as task_service
from backend.clock import utcnow
from tests.sync.helpers import hold_tasks, transactions_while_asked

PHONE = "01711000000"


def check(shop, phone=PHONE, **body):
    return shop.post("/api/v1/fraud/check", json={"phone": phone, **body})


def customer(app, shop, phone="+8801711000000"):
    with app.app_context():
        return db.session.execute(select(Customer).where(Customer.site_id == shop.site_id, Customer.phone == phone)).scalar_one()


@pytest.fixture
def history_shop(connected, steadfast, add_orders):
    """A shop with Steadfast connected and six orders of PHONE: two parcels delivered, one returned,
    one order completed without a parcel, one cancelled before shipping, one still processing."""
    steadfast.set_history(PHONE, total=22, delivered=15, cancelled=5)
    add_orders(connected, [(1, "completed", PHONE, "delivered"), (2, "completed", PHONE, "partial_delivered"),
                           (3, "processing", PHONE, "cancelled"), (4, "completed", PHONE, None),
                           (5, "cancelled", PHONE, None), (6, "processing", PHONE, "pending"),
                           (7, "completed", "01811000000", "delivered")])
    return connected


@pytest.mark.parametrize("delivered, returned, risk", [
    (0, 0, "new"), (8, 2, "low"), (4, 1, "low"), (7, 3, "medium"), (5, 5, "medium"), (1, 1, "medium"),
    (0, 2, "medium"), (0, 3, "high"), (4, 6, "high"),
])
def test_risk_thresholds(delivered, returned, risk):
    assert service.risk_of(delivered, returned) == risk


def test_a_check_combines_courier_shop_and_network_and_is_stored(app, history_shop, steadfast):
    response = check(history_shop, "+880 1711-000000", checked_by="Karim (#4)")
    assert response.status_code == 200, response.json
    result = response.json
    assert result["couriers"] == [{"courier": "steadfast", "name": "Steadfast", "ok": True, "total": 22, "delivered": 15,
                                   "cancelled": 5, "success_percent": 75}]
    assert result["shop"] == {"orders": 6, "delivered": 3, "returned": 1, "cancelled": 1, "success_percent": 75}
    assert result["network"] == {"delivered": 3, "returned": 1, "success_percent": 75}
    # the largest history decides (Steadfast's 20 finished parcels), not the sum of overlapping ones
    assert (result["delivered"], result["returned"], result["success_percent"], result["risk"]) == (15, 5, 75, "medium")
    assert result["cached"] is False and result["checked_by"] == "Karim (#4)" and result["phone"] == "+8801711000000"

    with app.app_context():
        stored = db.session.execute(select(FraudCheck)).scalar_one()
        assert (stored.site_id, stored.phone, stored.checked_by, stored.risk) == (history_shop.site_id, "+8801711000000",
                                                                                  "Karim (#4)", "medium")
        assert json.loads(stored.sources)["shop"]["orders"] == 6
    record = customer(app, history_shop)
    assert (record.fraud_risk, record.fraud_success_percent) == ("medium", 75)
    assert abs(record.fraud_checked_at - utcnow()) < timedelta(minutes=1)
    assert customer(app, history_shop, "+8801811000000").fraud_risk is None  # another customer is untouched


def test_the_courier_is_asked_with_no_transaction_open(app, history_shop, steadfast, monkeypatch):
    """The worker's check only reads (the job, the latest check, the accounts) before it asks
    Steadfast, and ends that reading transaction first: none waits open on the courier."""
    held = hold_tasks(monkeypatch, task_service)
    monkeypatch.setattr(checks, "WAIT_SECONDS", 0)  # the worker runs below, not while the asker waits
    with app.app_context():
        assert checks.check_or_start(db.session.get(Site, history_shop.site_id), PHONE, user="Karim")[0] is None
        db.session.commit()
    with transactions_while_asked(app, steadfast.app) as found:
        held.run(app)
    assert found == [] and customer(app, history_shop).fraud_risk == "medium"


def test_a_recent_check_is_shown_again_and_a_forced_one_asks_afresh(app, history_shop, steadfast):
    first = check(history_shop).json
    steadfast.set_history(PHONE, total=30, delivered=10, cancelled=20)
    again = check(history_shop, "8801711000000").json
    assert again["cached"] is True and again["id"] == first["id"] and again["risk"] == "medium"
    assert steadfast.calls["fraud_check"] == 1

    forced = check(history_shop, force=True, checked_by="Rahima").json
    assert forced["cached"] is False and forced["forced"] is True and forced["id"] != first["id"]
    assert (forced["couriers"][0]["cancelled"], forced["risk"]) == (20, "high")
    assert steadfast.calls["fraud_check"] == 2
    assert customer(app, history_shop).fraud_risk == "high"

    history = history_shop.get("/api/v1/fraud/history", query_string={"phone": PHONE}).json
    assert history["total"] == 2  # a check shown again is not a new check
    assert [(h["id"], h["checked_by"], h["risk"]) for h in history["items"]] == [
        (forced["id"], "Rahima", "high"), (first["id"], "API", "medium")]

    with app.app_context():  # older than the cache time: asked afresh without forcing
        db.session.execute(update(FraudCheck).values(checked_at=utcnow() - timedelta(hours=13)))
        db.session.commit()
    assert check(history_shop).json["cached"] is False
    assert steadfast.calls["fraud_check"] == 3


def test_forced_checks_are_limited_per_shop_and_hour(app, history_shop, steadfast):
    app.config["FRAUD_FORCED_CHECKS_PER_HOUR"] = 2
    try:
        assert check(history_shop, force=True).status_code == 200
        assert check(history_shop, "01811000000", force=True).status_code == 200
        refused = check(history_shop, force=True)
        assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
        assert check(history_shop).json["cached"] is True  # the latest result is still there
        assert steadfast.calls["fraud_check"] == 2
    finally:
        app.config["FRAUD_FORCED_CHECKS_PER_HOUR"] = 20


def test_a_courier_failing_never_fails_the_check(app, history_shop, steadfast):
    steadfast.fraud_limit = 0
    limited = check(history_shop).json
    assert limited["couriers"] == [{"courier": "steadfast", "name": "Steadfast", "ok": False, "error": "search_limit",
                                    "message": limited["couriers"][0]["message"]}]
    assert "daily allowance" in limited["couriers"][0]["message"]
    assert (limited["delivered"], limited["returned"], limited["risk"]) == (3, 1, "medium")  # from the network counts
    assert check(history_shop).json["cached"] is True  # a used-up allowance stays used up: no point asking again

    steadfast.fraud_limit = 20
    steadfast.fail_next(1, status=503)
    down = check(history_shop, "01811000000").json
    assert down["couriers"][0]["error"] == "unavailable" and down["shop"]["delivered"] == 1
    again = check(history_shop, "01811000000").json  # Steadfast was only down: asked again, not cached
    assert again["cached"] is False and again["couriers"][0]["ok"] is True


def test_no_courier_connected_means_shop_and_network_only(app, shop, add_orders):
    add_orders(shop, [(1, "completed", PHONE, None), (2, "returned", PHONE, None)])
    result = check(shop).json
    assert result["couriers"] == [] and result["shop"]["returned"] == 1 and result["risk"] == "medium"


def test_bad_phones_are_refused_naming_the_field(shop):
    for body in ({"phone": "12345"}, {"phone": ""}, {}, {"phone": "01711000000", "force": "maybe"}):
        response = shop.post("/api/v1/fraud/check", json=body)
        assert response.status_code == 422, body
        assert set(response.json["error"]["details"]) <= {"phone", "force"} and response.json["error"]["details"]
    bad = shop.get("/api/v1/fraud/history", query_string={"phone": "0123"})
    assert bad.status_code == 422 and "phone" in bad.json["error"]["details"]


MARKER_NAME = "Shop-B Secret Customer"
MARKER_ADDRESS = "House 99, Secret Road"


def test_network_counts_cross_shops_as_counts_only(app, make_shop, add_orders, client):
    shop_b = make_shop(url="https://shop-b-secret.example")
    add_orders(shop_b, [(901, "completed", PHONE, "delivered"), (902, "completed", PHONE, "delivered"),
                        (903, "processing", PHONE, "returned"), (904, "processing", PHONE, None)], name=MARKER_NAME)
    shop_a = make_shop(url="https://shop-a.example.com")
    add_orders(shop_a, [(1, "returned", PHONE, None)])

    response = check(shop_a)
    result, body = response.json, response.get_data(as_text=True)
    assert result["network"] == {"delivered": 2, "returned": 2, "success_percent": 50}
    assert result["shop"] == {"orders": 1, "delivered": 0, "returned": 1, "cancelled": 0, "success_percent": 0}
    for secret in ("shop-b-secret", MARKER_NAME, MARKER_ADDRESS, "INV-90", "Secret"):
        assert secret not in body
    assert set(result["network"]) == {"delivered", "returned", "success_percent"}

    # B's own history and customer record know nothing of A's check; A's history has no B check
    check(shop_b, checked_by="B's manager")
    assert [h["checked_by"] for h in shop_a.get("/api/v1/fraud/history").json["items"]] == ["API"]
    assert shop_b.get("/api/v1/fraud/history").json["total"] == 1
    assert "B's manager" not in shop_a.get("/api/v1/fraud/history", query_string={"phone": PHONE}).get_data(as_text=True)
    assert customer(app, shop_a).fraud_risk == "medium"  # 2 of 4 network parcels delivered
    assert customer(app, shop_b).fraud_risk == "medium"
    with app.app_context():
        assert db.session.execute(select(FraudCheck.site_id).order_by(FraudCheck.id)).scalars().all() == [
            shop_a.site_id, shop_b.site_id]


def test_the_network_count_uses_the_phone_index(app):
    with app.app_context():
        from sqlalchemy import inspect

        indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("orders")}
        assert indexes["ix_orders_phone"] == ["phone"]


def test_a_re_check_that_cannot_reach_the_courier_keeps_its_earlier_numbers(app, history_shop, steadfast, add_orders):
    """Steadfast's allowance used up (or Steadfast down) at a re-check: the verdict still counts the
    numbers it gave last time, so a known returner never turns into a "new customer"."""
    add_orders(history_shop, [(20, "processing", "01911000000", None)])
    steadfast.set_history("01911000000", total=9, delivered=1, cancelled=8)
    assert check(history_shop, "01911000000").json["risk"] == "high"
    steadfast.fraud_limit = 0
    again = check(history_shop, "01911000000", force=True).json
    courier = again["couriers"][0]
    assert (courier["ok"], courier["error"]) == (False, "search_limit")
    assert (courier["earlier"]["delivered"], courier["earlier"]["cancelled"]) == (1, 8)
    assert (again["delivered"], again["returned"], again["risk"]) == (1, 8, "high")
    assert customer(app, history_shop, "+8801911000000").fraud_risk == "high"
    # a third check, failing too, still carries them (from the second's carried numbers)
    third = check(history_shop, "01911000000", force=True).json
    assert third["couriers"][0]["earlier"]["delivered"] == 1 and third["risk"] == "high"
    steadfast.fraud_limit = 20
