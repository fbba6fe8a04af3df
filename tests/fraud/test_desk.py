"""The fraud check on the order desk: a badge per order from the stored risk (no courier call while
the list renders), the panel with each source, the history and a re-check, and who may do what."""
import re

import pytest

from tests.fraud.test_check import PHONE, check
from tests.embed_helpers import embed


@pytest.fixture
def desk_shop(connected, steadfast, add_orders):
    steadfast.set_history(PHONE, total=10, delivered=2, cancelled=8)
    steadfast.set_history("01811000000", None)
    add_orders(connected, [(1, "processing", PHONE, None), (2, "processing", "01811000000", None),
                           (3, "processing", "not a phone", None)])
    return connected


def rows_html(shop, headers):
    response = shop.client.get("/embed/orders/list", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def badge_of(html, number):
    row = next(row for row in html.split('<tr class="order-row"') if f"#{number}</strong>" in row)
    found = re.search(r'class="badge fraud-badge fraud-(\w+)">([^<]*)<', row)
    return found.groups() if found else None


def test_badges_come_from_the_stored_risk_without_asking_the_courier(app, desk_shop, steadfast):
    headers = embed(desk_shop)
    html = rows_html(desk_shop, headers)
    assert badge_of(html, 1) == ("unchecked", "Not checked") and badge_of(html, 2) == ("unchecked", "Not checked")
    assert badge_of(html, 3) is None  # no valid number: nothing to check
    assert check(desk_shop).json["risk"] == "high"
    check(desk_shop, "01811000000")
    html = rows_html(desk_shop, headers)
    assert badge_of(html, 1) == ("high", "High risk · 20%")
    assert badge_of(html, 2) == ("new", "New customer")
    assert steadfast.calls["fraud_check"] == 2  # the two checks; rendering the list asked nothing


def test_the_json_order_list_carries_the_stored_risk(app, desk_shop, steadfast):
    def risks():
        orders = desk_shop.get("/api/v1/orders").json["orders"]
        return {int(o["number"]): o["fraud"] and (o["fraud"]["risk"], o["fraud"]["success_percent"]) for o in orders}

    assert risks() == {1: (None, None), 2: (None, None), 3: None}
    check(desk_shop)
    assert risks() == {1: ("high", 20), 2: (None, None), 3: None}
    assert steadfast.calls["fraud_check"] == 1


def test_the_panel_shows_each_source_the_history_and_a_re_check(app, desk_shop, steadfast):
    headers = embed(desk_shop, name="Karim")
    opened = desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE}, headers=headers)
    html = opened.get_data(as_text=True)
    assert opened.status_code == 200 and 'class="fraud-panel" open' in html
    assert "Steadfast" in html and "This shop" in html and "All Bikri shops" in html
    assert "Karim (#1)" in html and "High risk · 20%" in html and "fraud-recheck" in html
    assert "A recent check, shown again." not in html
    again = desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE}, headers=headers).get_data(as_text=True)
    assert "A recent check, shown again." in again and steadfast.calls["fraud_check"] == 1

    steadfast.set_history(PHONE, total=10, delivered=9, cancelled=1)
    forced = desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE, "force": "1"}, headers=headers)
    html = forced.get_data(as_text=True)
    assert "Low risk · 90%" in html and steadfast.calls["fraud_check"] == 2
    assert html.count("<li>") == 2  # the history: both checks, newest first
    assert html.index("Low risk") < html.rindex("High risk")


def test_a_bad_number_answers_in_the_panel(desk_shop):
    response = desk_shop.client.post("/embed/fraud/check", data={"phone": "12"}, headers=embed(desk_shop))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "notice-error" in html and "01" in html


def test_staff_check_but_do_not_force_and_too_many_re_checks_still_show_the_latest(app, desk_shop, steadfast):
    staff = embed(desk_shop, role="editor")
    html = desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE}, headers=staff).get_data(as_text=True)
    assert "High risk" in html and "fraud-recheck" not in html
    refused = desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE, "force": "1"}, headers=staff)
    assert refused.status_code == 403 and steadfast.calls["fraud_check"] == 1

    app.config["FRAUD_FORCED_CHECKS_PER_HOUR"] = 0
    try:
        limited = desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE, "force": "1"}, headers=embed(desk_shop))
        html = limited.get_data(as_text=True)
        assert limited.status_code == 200 and "notice-error" in html and "High risk" in html
    finally:
        app.config["FRAUD_FORCED_CHECKS_PER_HOUR"] = 20


def test_without_an_embed_session_nothing_is_checked(desk_shop, steadfast):
    assert desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE}).status_code == 401
    assert steadfast.calls["fraud_check"] == 0


def test_the_panel_in_bangla(desk_shop):
    _response, session = desk_shop.open_page("orders", locale="bn")
    html = desk_shop.client.post("/embed/fraud/check", data={"phone": PHONE},
                                 headers={"X-Bikri-Embed-Session": session}).get_data(as_text=True)
    assert "উচ্চ ঝুঁকি" in html and "বিক্রির সব দোকান" in html and "আবার যাচাই করুন" in html
