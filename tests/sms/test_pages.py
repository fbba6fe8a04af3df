"""The SMS page inside wp-admin, the operators' SMS console, and the CLI."""
import re
from decimal import Decimal

import pytest

from backend.errors import ApiError
from backend.extensions import db
from backend.sms import service
from backend.sms.models import Recharge
from tests.embed_helpers import embed


@pytest.fixture
def bkash_on(app):
    from backend.sandbox.bkash import BkashSandbox

    previous = app.config["BKASH"]
    app.config["BKASH"] = BkashSandbox().gateway_config("http://127.0.0.1:9")
    yield
    app.config["BKASH"] = previous


def test_sms_page_shows_balance_and_recharge_for_the_owner(shop, fund, bkash_on):
    fund(shop, 12)
    page, _session = shop.open_page(page="sms")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-balance="12.0000"' in html and "Recharge with bKash" in html
    assert 'value="bkash"' in html and "Recharge with Nagad" not in html  # Nagad is not switched on
    assert 'id="sms-cost-chart"' in html


def test_no_online_recharge_set_up_says_so(shop):
    html = shop.open_page(page="sms")[0].get_data(as_text=True)
    assert "Recharge with bKash" not in html and "Online recharge is not set up" in html


def test_staff_cannot_open_the_sms_page_and_managers_cannot_recharge(shop, client, fund, bkash_on):
    fund(shop, 1)
    response = shop.post("/api/v1/embed/tickets", json={"wp_user_id": 3, "display_name": "S", "role": "editor", "page": "sms"})
    page = client.get(response.json["url"].removeprefix("http://bikri.test"))
    assert page.status_code == 403
    manager = embed(shop, "sms", role="shop_manager")
    balance = client.get("/embed/sms/balance", headers=manager).get_data(as_text=True)
    assert "Recharge with bKash" not in balance and "Ask the shop" in balance
    assert client.post("/embed/sms/recharge", data={"amount": "500"}, headers=manager).status_code == 403


def test_no_balance_disables_sending_and_says_why(shop):
    html = shop.open_page(page="sms")[0].get_data(as_text=True)
    assert "No SMS balance" in html
    assert re.search(r'<button class="button button-primary" type="submit" disabled>', html)


def test_live_quote_and_test_send(shop, client, gateway, fund):
    fund(shop, 5)
    headers = embed(shop, "sms")
    quote = client.post("/embed/sms/quote", data={"content": "আপনার অর্ডার"}, headers=headers).get_data(as_text=True)
    assert 'data-segments="1"' in quote and "Bangla" in quote and "0.45" in quote
    sent = client.post("/embed/sms/send", data={"phone": "01711234567", "content": "Hello", "idempotency_key": "k1"},
                       headers=headers).get_data(as_text=True)
    assert "Sent to +8801711234567" in sent
    bad = client.post("/embed/sms/send", data={"phone": "0171123", "content": "Hello"}, headers=headers).get_data(as_text=True)
    assert "Mobile number" in bad and "11 digits" in bad
    history = client.get("/embed/sms/messages", headers=headers).get_data(as_text=True)
    assert "Hello" in history and 'data-cost="0.4500"' in history


def test_usage_json_by_day_and_purpose(shop, client, gateway, fund):
    fund(shop, 5)
    for purpose in ("otp", "order_status", "order_status"):
        shop.post("/api/sms/send", json={"phone": "01711234567", "content": f"x {purpose}", "purpose": purpose})
    data = client.get("/embed/sms/usage.json", headers=embed(shop, "sms")).json
    assert len(data["days"]) == 30
    assert sum(data["purposes"]["order_status"]["count"]) == 2 and sum(data["purposes"]["otp"]["count"]) == 1
    assert data["totals"] == {"messages": 3, "segments": 3, "cost": "1.35"}
    bad = client.get("/embed/sms/usage.json?start=2026-05-01&end=2026-04-01", headers=embed(shop, "sms"))
    assert bad.status_code == 422


def test_sms_option_needs_a_balance(app, shop, fund):
    from backend.errors import ApiError
    from backend.licensing.models import Site

    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        with pytest.raises(ApiError) as refused:
            service.require_sms_balance(site)
        assert refused.value.code == "sms_balance_required"
    fund(shop, 1)
    with app.app_context():
        service.require_sms_balance(db.session.get(Site, shop.site_id))


def test_manual_recharge_waits_for_an_operator(app, shop, operator_client):
    response = shop.post("/api/sms/recharge", json={"amount": 1000, "method": "manual", "reference": "DBBL-TRX-42"})
    assert response.status_code == 201 and response.json["status"] == "pending" and response.json["method"] == "manual"
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"
    console = operator_client.get("/operator/sms/").get_data(as_text=True)
    assert "DBBL-TRX-42" in console
    approve = {"csrf_token": operator_client.csrf, "confirm": "yes"}
    operator_client.post(f"/operator/sms/recharges/{response.json['id']}/approve", data=approve)
    assert shop.get("/api/sms/balance").json["balance"] == "1000.00"
    # approving again cannot credit twice
    operator_client.post(f"/operator/sms/recharges/{response.json['id']}/approve", data=approve)
    assert shop.get("/api/sms/balance").json["balance"] == "1000.00"
    history = shop.get("/api/sms/recharge-history").json
    assert history["items"][0]["status"] == "completed" and history["items"][0]["reference"] == "DBBL-TRX-42"


def test_recharge_amounts_outside_the_range_are_refused(shop):
    for amount in (5, 1_000_000, "12.345"):
        response = shop.post("/api/sms/recharge", json={"amount": amount, "method": "manual"})
        assert response.status_code == 422, amount
        assert "amount" in response.json["error"]["details"]


HUGE_OR_NOT_A_NUMBER = ["1e30", 1e308, "1e308", "-1e30", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e-30"]


@pytest.mark.parametrize("method", ["bkash", "manual"])
@pytest.mark.parametrize("amount", HUGE_OR_NOT_A_NUMBER)
def test_huge_and_non_finite_recharge_amounts_are_a_422_not_a_500(shop, method, amount):
    """1e30 (as text or as the JSON number 1e308), NaN and Infinity: refused by the schema, and
    nothing computes with them (quantizing 1e30 raised InvalidOperation: a 500)."""
    response = shop.post("/api/sms/recharge", json={"amount": amount, "method": method})
    assert response.status_code == 422, (amount, response.json)
    assert response.json["error"]["details"]["amount"]
    assert shop.get("/api/sms/recharge-history").json["total"] == 0


def test_the_largest_recharge_is_bounded_in_the_schema(shop):
    ceiling = shop.post("/api/sms/recharge", json={"amount": "10000000.01", "method": "manual"})
    assert ceiling.status_code == 422
    assert ceiling.json["error"]["details"]["amount"] == ["A recharge is more than 0 and at most 10000000 taka."]


@pytest.mark.parametrize("amount", ["1e30", "1e308", "NaN", "Infinity", "-Infinity", "sNaN"])
def test_the_recharge_form_and_the_service_refuse_them_too(app, shop, client, amount):
    html = client.post("/embed/sms/recharge", data={"amount": amount}, headers=embed(shop, "sms"))
    # a number out of range is told the range; text that is not a finite number, how to write one
    expected = "Recharge between" if amount.startswith("1e") else "Enter an amount in taka"
    assert html.status_code == 200 and expected in html.get_data(as_text=True)
    with app.app_context():
        with pytest.raises(ApiError) as error:
            service.check_recharge_amount(Decimal(amount))
        assert error.value.status == 422


@pytest.mark.parametrize("amount", ["1e30", "Infinity", "NaN"])
def test_operator_amounts_that_are_huge_or_not_numbers_are_refused(shop, operator_client, amount):
    csrf = operator_client.csrf
    credit = operator_client.post("/operator/sms/credit", data={"site_id": shop.site_id, "amount": amount, "csrf_token": csrf},
                                  follow_redirects=True)
    assert credit.status_code == 200 and "amount in taka" in credit.get_data(as_text=True)
    limits = operator_client.post("/operator/sms/settings", data={"min_recharge": "10", "max_recharge": amount, "sends_per_minute": "60",
                                                                  "otp_per_phone_per_hour": "5", "csrf_token": csrf}, follow_redirects=True)
    assert limits.status_code == 200 and "amount in taka" in limits.get_data(as_text=True)
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"


def test_operator_sets_prices_and_gateway_with_secrets_masked(app, operator_client, gateway):
    csrf = operator_client.csrf
    operator_client.post("/operator/sms/rates", data={"plan": "pro", "gsm_rate": "0.30", "unicode_rate": "0.32",
                                                      "gsm_cost": "0.20", "unicode_cost": "0.21", "csrf_token": csrf,
                                                      "confirm": "yes"})
    with app.app_context():
        assert service.rate_for_plan("pro").unicode_rate == Decimal("0.32")
    bad = operator_client.post("/operator/sms/rates", data={"plan": "pro", "gsm_rate": "abc", "unicode_rate": "1",
                                                            "gsm_cost": "1", "unicode_cost": "1", "csrf_token": csrf}, follow_redirects=True)
    assert "English price must be an amount in taka" in bad.get_data(as_text=True)
    page = operator_client.get("/operator/sms/").get_data(as_text=True)
    assert "sandbox-api-token" not in page and "…oken" in page
    # saving with the secret left blank keeps the stored one
    operator_client.post("/operator/sms/gateway", data={"gateway_key": "ssl_wireless", "base_url": gateway.url, "sid": "BIKRIDEMO",
                                                        "api_token": "", "csrf_token": csrf})
    with app.app_context():
        assert service.gateway_settings()[1]["api_token"] == "sandbox-api-token"


def test_operator_credits_a_wallet_and_sees_revenue(app, shop, operator_client, gateway):
    operator_client.post("/operator/sms/credit", data={"site_id": shop.site_id, "amount": "50", "note": "cash",
                                                       "csrf_token": operator_client.csrf, "confirm": "yes"})
    assert shop.get("/api/sms/balance").json["balance"] == "50.00"
    shop.post("/api/sms/send", json={"phone": "01711234567", "content": "hi"})
    revenue = operator_client.get("/operator/sms/").get_data(as_text=True)
    assert re.search(r"<th>1</th><th>৳0.45</th><th>৳0.30</th><th>৳0.15</th>", revenue)


def test_cli_credit(app, runner, shop):
    result = runner.invoke(args=["sms", "credit", shop.url, "250.50", "--note", "bank transfer"])
    assert result.exit_code == 0, result.output
    assert shop.get("/api/sms/balance").json["balance"] == "250.50"
    with app.app_context():
        assert db.session.query(Recharge).one().note == "bank transfer"
    for args in (["sms", "credit", shop.url, "-5"], ["sms", "credit", "https://nope.example", "5"], ["sms", "credit", shop.url, "1.234"]):
        assert runner.invoke(args=args).exit_code != 0


def test_cli_sets_the_gateway(app, runner):
    assert runner.invoke(args=["sms", "gateway", "ssl_wireless", "base_url=http://127.0.0.1:9", "sid=X", "api_token=T"]).exit_code == 0
    with app.app_context():
        assert service.gateway_settings() == ("ssl_wireless", {"base_url": "http://127.0.0.1:9", "sid": "X", "api_token": "T"})
    missing = runner.invoke(args=["sms", "gateway", "ssl_wireless", "sid=X"])
    assert missing.exit_code != 0 and "missing settings" in missing.output
    assert runner.invoke(args=["sms", "gateway", "nope"]).exit_code != 0
