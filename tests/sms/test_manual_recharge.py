"""A shop asks for a manual recharge from its SMS page (paid by bank transfer or bKash send
money); an operator approves it (credited exactly once, after a confirmation) or rejects it with
a reason the shop sees. Scoped by site, validated, rate-limited."""
import re

import pytest

from backend.extensions import db
from backend.sms import service
from backend.sms.models import Recharge
from tests.embed_helpers import embed


def ask(client, headers, amount="1500", reference="DBBL-778812"):
    return client.post("/embed/sms/manual-recharge", data={"amount": amount, "reference": reference}, headers=headers)


def only_recharge(app, site_id):
    with app.app_context():
        return db.session.query(Recharge).filter_by(site_id=site_id).one()


def test_the_sms_page_offers_the_request_to_the_owner_only(shop, client):
    html = shop.open_page(page="sms")[0].get_data(as_text=True)
    assert 'id="sms-manual"' in html and 'name="reference"' in html
    manager = shop.open_page(page="sms", role="shop_manager")[0].get_data(as_text=True)
    assert 'id="sms-manual"' not in manager
    assert ask(client, embed(shop, "sms", role="shop_manager")).status_code == 403


def test_request_approve_with_confirmation_credits_exactly_once(app, shop, client, operator_client):
    answer = ask(client, embed(shop, "sms"))
    assert answer.status_code == 200 and "notice-success" in answer.get_data(as_text=True)
    assert answer.headers["HX-Trigger"] == "recharged"
    recharge = only_recharge(app, shop.site_id)
    assert (recharge.method, recharge.status, recharge.transaction_id) == ("manual", "pending", "DBBL-778812")
    listing = client.get("/embed/sms/recharges", headers=embed(shop, "sms")).get_data(as_text=True)
    assert "Waiting for Bikri to check the payment" in listing and "DBBL-778812" in listing

    console = operator_client.get("/operator/sms/").get_data(as_text=True)
    assert "DBBL-778812" in console and shop.url in console
    path = f"/operator/sms/recharges/{recharge.id}/approve"
    asked = operator_client.post(path, data={"csrf_token": operator_client.csrf})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm"' in html and "৳1,500.00" in html and "DBBL-778812" in html
    assert 'name="confirm" value="yes"' in html
    assert shop.get("/api/sms/balance").json["balance"] == "0.00", "asking credits nothing"
    assert only_recharge(app, shop.site_id).status == "pending"

    done = operator_client.post(path, data={"csrf_token": operator_client.csrf, "confirm": "yes"}, follow_redirects=True)
    assert "approved" in done.get_data(as_text=True)
    assert shop.get("/api/sms/balance").json["balance"] == "1500.00"
    again = operator_client.post(path, data={"csrf_token": operator_client.csrf, "confirm": "yes"}, follow_redirects=True)
    assert "decided already" in again.get_data(as_text=True)
    assert shop.get("/api/sms/balance").json["balance"] == "1500.00"
    with app.app_context():
        assert service.ledger_sum(shop.site_id) == service.balance_of(shop.site_id)
    assert "Completed" in client.get("/embed/sms/recharges", headers=embed(shop, "sms")).get_data(as_text=True)


def test_a_second_approval_racing_the_first_credits_nothing(app, shop, client):
    ask(client, embed(shop, "sms"))
    recharge_id = only_recharge(app, shop.site_id).id
    with app.app_context():
        first = db.session.get(Recharge, recharge_id)
        service.approve_manual_recharge(first, "ops-a@bikri.test")
        db.session.commit()
    with app.app_context():
        stale = db.session.get(Recharge, recharge_id)
        stale.status = "pending"  # what a second operator's page read before the first approved
        db.session.expunge(stale)
        with pytest.raises(service.AlreadyDecided):
            service.approve_manual_recharge(stale, "ops-b@bikri.test")
        db.session.rollback()
    assert shop.get("/api/sms/balance").json["balance"] == "1500.00"


def test_reject_needs_a_reason_and_the_shop_sees_it(app, shop, client, operator_client):
    ask(client, embed(shop, "sms"))
    recharge = only_recharge(app, shop.site_id)
    path = f"/operator/sms/recharges/{recharge.id}/reject"
    blank = operator_client.post(path, data={"csrf_token": operator_client.csrf, "reason": "  "}, follow_redirects=True)
    assert "Say why" in blank.get_data(as_text=True) and only_recharge(app, shop.site_id).status == "pending"
    operator_client.post(path, data={"csrf_token": operator_client.csrf, "reason": "No transfer DBBL-778812 reached us"})
    assert only_recharge(app, shop.site_id).status == "rejected"
    listing = client.get("/embed/sms/recharges", headers=embed(shop, "sms")).get_data(as_text=True)
    assert 'data-status="rejected"' in listing and "No transfer DBBL-778812 reached us" in listing
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"
    # a rejected request cannot be approved afterwards
    operator_client.post(f"/operator/sms/recharges/{recharge.id}/approve", data={"csrf_token": operator_client.csrf, "confirm": "yes"})
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"


@pytest.mark.parametrize("amount, reference, field", [
    ("", "TRX-1", "Amount"), ("abc", "TRX-1", "Amount"), ("5", "TRX-1", "Amount"), ("12.345", "TRX-1", "Amount"),
    ("NaN", "TRX-1", "Amount"), ("Infinity", "TRX-1", "Amount"), ("-500", "TRX-1", "Amount"),
    ("1000", "", "Payment reference"), ("1000", "x" * 81, "Payment reference"),
])
def test_bad_requests_say_what_to_fix_and_store_nothing(app, shop, client, amount, reference, field):
    answer = ask(client, embed(shop, "sms"), amount=amount, reference=reference).get_data(as_text=True)
    assert "notice-error" in answer and field in answer
    with app.app_context():
        assert db.session.query(Recharge).count() == 0


def test_the_same_reference_is_not_sent_twice(app, shop, client):
    headers = embed(shop, "sms")
    ask(client, headers)
    answer = ask(client, headers, reference=" DBBL-778812 ").get_data(as_text=True)
    assert "sent already" in answer
    with app.app_context():
        assert db.session.query(Recharge).count() == 1


def test_a_shop_cannot_flood_the_operators(app, shop, client, operator_client):
    headers = embed(shop, "sms")
    for n in range(service.MANUAL_WAITING_LIMIT):
        assert "notice-success" in ask(client, headers, reference=f"TRX-{n}").get_data(as_text=True)
    refused = ask(client, headers, reference="TRX-extra").get_data(as_text=True)
    assert "waiting for Bikri already" in refused
    # decided requests free a place, but not more than the daily limit
    with app.app_context():
        ids = [r.id for r in db.session.query(Recharge).all()]
    for recharge_id in ids:
        operator_client.post(f"/operator/sms/recharges/{recharge_id}/reject", data={"csrf_token": operator_client.csrf, "reason": "test"})
    n = len(ids)
    while n < service.MANUAL_DAILY_LIMIT:
        assert "notice-success" in ask(client, headers, reference=f"TRX-more-{n}").get_data(as_text=True)
        with app.app_context():
            pending = db.session.query(Recharge).filter_by(status="pending").one()
            service.reject_manual_recharge(pending, "ops", "test")
            db.session.commit()
        n += 1
    assert "requests a day" in ask(client, headers, reference="TRX-one-too-many").get_data(as_text=True)
    api = shop.post("/api/sms/recharge", json={"amount": 500, "method": "manual", "reference": "TRX-api"})
    assert api.status_code == 429 and api.headers["Retry-After"]
    with app.app_context():
        assert db.session.query(Recharge).count() == service.MANUAL_DAILY_LIMIT


def test_requests_are_scoped_by_site(app, make_shop, client, operator_client):
    shop_a, shop_b = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    ask(client, embed(shop_a, "sms"), reference="A-ONLY-TRX")
    assert "A-ONLY-TRX" not in client.get("/embed/sms/recharges", headers=embed(shop_b, "sms")).get_data(as_text=True)
    assert shop_b.get("/api/sms/recharge-history").json["items"] == []
    # B may use the same bank reference (another shop's transfer); A's limits are A's own
    assert "notice-success" in ask(client, embed(shop_b, "sms"), reference="A-ONLY-TRX").get_data(as_text=True)
    recharge = only_recharge(app, shop_a.site_id)
    operator_client.post(f"/operator/sms/recharges/{recharge.id}/approve", data={"csrf_token": operator_client.csrf, "confirm": "yes"})
    assert shop_a.get("/api/sms/balance").json["balance"] == "1500.00"
    assert shop_b.get("/api/sms/balance").json["balance"] == "0.00"


def test_credit_by_hand_and_new_prices_ask_first(app, shop, operator_client):
    credit = {"site_id": shop.site_id, "amount": "75", "note": "cash", "csrf_token": operator_client.csrf}
    asked = operator_client.post("/operator/sms/credit", data=credit).get_data(as_text=True)
    assert 'id="confirm"' in asked and shop.url in asked and "75" in asked
    assert re.search(r'name="amount" value="75"', asked), "the confirmation re-sends the same fields"
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"
    operator_client.post("/operator/sms/credit", data={**credit, "confirm": "yes"})
    assert shop.get("/api/sms/balance").json["balance"] == "75.00"

    prices = {"plan": "*", "gsm_rate": "0.50", "unicode_rate": "0.60", "gsm_cost": "0.30", "unicode_cost": "0.31",
              "csrf_token": operator_client.csrf}
    asked = operator_client.post("/operator/sms/rates", data=prices).get_data(as_text=True)
    assert 'id="confirm"' in asked and "all other plans" in asked
    with app.app_context():
        assert service.rate_for_plan("standard").gsm_rate != service.taka("0.50")
    operator_client.post("/operator/sms/rates", data={**prices, "confirm": "yes"})
    with app.app_context():
        assert service.rate_for_plan("standard").gsm_rate == service.taka("0.50")


@pytest.mark.parametrize("amount", ["Infinity", "NaN", "-Infinity"])
def test_the_bkash_recharge_form_refuses_amounts_that_are_not_numbers(shop, client, amount):
    answer = client.post("/embed/sms/recharge", data={"amount": amount}, headers=embed(shop, "sms"))
    assert answer.status_code == 200 and "Enter an amount in taka" in answer.get_data(as_text=True)
