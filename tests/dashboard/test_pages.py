"""The dashboard page and its widget endpoints, as the iframe's JavaScript calls them."""
from datetime import date
from decimal import Decimal

import pytest

from backend.dashboard import costs
from backend.extensions import db
from backend.orders.service import upsert_orders

WIDGETS = ["sales", "sources", "cycle", "statuses", "products", "amounts", "returning", "customers", "ads", "recent",
           "target", "profit", "cash", "costs"]


@pytest.fixture
def with_orders(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [
            {"id": n, "status": "completed", "date_created_gmt": "2026-03-01T10:00:00", "date_modified_gmt": "2026-03-01T10:00:00",
             "total": "1000.00", "discount_total": "50.00", "billing": {"first_name": "Rina", "phone": "01711000001"},
             "meta_data": [{"key": "_wc_order_attribution_utm_source", "value": "facebook"},
                           {"key": "_wc_order_attribution_utm_medium", "value": "cpc"}],
             "line_items": [{"id": n, "product_id": 3, "name": "Jamdani Saree", "quantity": 1, "price": 1050,
                             "subtotal": "1050.00", "total": "1000.00"}]} for n in (1, 2)])
        db.session.commit()
    return shop


def get(client, session, widget, **args):
    query = "&".join(f"{k}={v}" for k, v in {"start": "2026-02-20", "end": "2026-03-05", **args}.items())
    return client.get(f"/embed/dashboard/{widget}.json?{query}", headers={"X-Bikri-Embed-Session": session})


def test_page_lists_every_widget_and_loads_them_separately(client, with_orders):
    page, session = with_orders.open_page("dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for widget in WIDGETS:
        assert f'data-widget="{widget}"' in html
    assert "chart.umd.min.js" in html and "dashboard.js" in html
    sales = get(client, session, "sales").json
    assert sales["current"] == {"orders": 2, "revenue": "2000.00"} and sales["money_hidden"] is False
    assert sales["previous_end"] == "2026-02-19"
    assert get(client, session, "products", limit=5).json["products"][0]["name"] == "Jamdani Saree"
    assert get(client, session, "ads").json["networks"][0] == {"key": "facebook", "orders": 2, "revenue": "2000.00",
                                                               "previous_orders": 0, "previous_revenue": "0.00"}
    assert get(client, session, "amounts").json["current"]["discount"] == "100.00"
    assert get(client, session, "recent").json["orders"][0]["url"].endswith("page=bikri-orders&order=2")
    for widget in WIDGETS:
        assert get(client, session, widget).status_code == 200, widget


def test_staff_see_counts_but_no_money(client, with_orders):
    _page, session = with_orders.open_page("dashboard", role="editor")
    sales = get(client, session, "sales").json
    assert sales["money_hidden"] is True and sales["current"] == {"orders": 2} and "revenue" not in sales
    assert get(client, session, "amounts").json == {"money_hidden": True}
    assert get(client, session, "target").json["money_hidden"] is True
    assert "revenue" not in get(client, session, "products").json["products"][0]
    for widget in WIDGETS:
        assert "1000.00" not in get(client, session, widget).get_data(as_text=True), widget
    refused = client.post("/embed/dashboard/target", data={"amount": "5000"}, headers={"X-Bikri-Embed-Session": session})
    assert refused.status_code == 403


def test_target_is_set_by_a_manager_and_checked(client, shop):
    _page, session = shop.open_page("dashboard", role="shop_manager")
    headers = {"X-Bikri-Embed-Session": session}
    assert client.post("/embed/dashboard/target", data={"amount": "abc"}, headers=headers).status_code == 422
    assert client.post("/embed/dashboard/target", data={"amount": "-5"}, headers=headers).status_code == 422
    saved = client.post("/embed/dashboard/target", data={"amount": "150000"}, headers=headers)
    assert saved.status_code == 200 and saved.json["target"] == "150000.00"
    assert client.get("/embed/dashboard/target.json", headers=headers).json["target"] == "150000.00"


def test_bad_ranges_are_explained(client, shop):
    _page, session = shop.open_page("dashboard")
    assert get(client, session, "sales", start="2026-03-05", end="2026-03-01").status_code == 422
    assert get(client, session, "sales", start="2025-01-01", end="2026-03-01").json["error"]["message"] == "Choose at most a year."
    assert get(client, session, "sales", start="nope").status_code == 422
    assert get(client, session, "products", limit=7).status_code == 422
    assert client.get("/embed/dashboard/sales.json").status_code == 401


def test_bangla_page(client, shop):
    page, _session = shop.open_page("dashboard", locale="bn_BD")
    assert page.status_code == 200


def test_the_page_says_while_the_first_sync_is_still_copying_orders(app, store, connected):
    from backend.sync import service as sync

    page, _session = connected.open_page("dashboard")
    assert 'id="dash-first-sync"' in page.get_data(as_text=True)  # activation queued the copy (issue 17)
    with app.app_context():
        sync.run_backfill(connected.site_id, budget_seconds=0)  # one page, then it waits for the next run
    html = connected.open_page("dashboard")[0].get_data(as_text=True)
    assert 'id="dash-first-sync"' in html and " of " in html and "orders" in html
    with app.app_context():
        sync.run_backfill(connected.site_id)
    assert 'id="dash-first-sync"' not in connected.open_page("dashboard")[0].get_data(as_text=True)


def test_the_page_says_when_an_accepted_order_change_could_not_be_stored(app, shop):
    from tests.sync.test_events import event, order

    assert 'id="dash-sync-problem"' not in shop.open_page("dashboard")[0].get_data(as_text=True)
    shop.post("/api/v1/events", json={"events": [event(order(41, total="twelve"))]},
              headers={"Prefer": "respond-async"}).close()  # accepted, then refused when applied
    html = shop.open_page("dashboard")[0].get_data(as_text=True)
    assert 'id="dash-sync-problem"' in html and "Order #41:" in html
    bangla = shop.open_page("dashboard", locale="bn_BD")[0].get_data(as_text=True)
    assert "সংরক্ষণ করতে পারেনি" in bangla and "Order #41:" in bangla

    # a second order given up on, then the first stored by a later change: the notice names the
    # one still missing, and goes once that one is stored too
    shop.post("/api/v1/events", json={"events": [event(order(42, total="twelve"))]},
              headers={"Prefer": "respond-async"}).close()
    shop.post("/api/v1/events", json={"events": [event(order(41, modified="2026-03-01T11:00:00"))]}).close()
    html = shop.open_page("dashboard")[0].get_data(as_text=True)
    assert 'id="dash-sync-problem"' in html and "Order #42:" in html and "Order #41:" not in html
    shop.post("/api/v1/events", json={"events": [event(order(42, modified="2026-03-01T11:00:00"))]}).close()
    assert 'id="dash-sync-problem"' not in shop.open_page("dashboard")[0].get_data(as_text=True)


def test_page_says_what_is_counted_and_offers_woocommerces_basis(app, client, shop):
    """Issue 17, item 11: the page says what its sales figures count, and `basis=woocommerce`
    counts like WooCommerce Analytics: a refunded order paid on 1 March is a sale of that day,
    and its refund is taken off on 3 March, the day it was made."""
    with app.app_context():
        upsert_orders(shop.site_id, [{
            "id": 5, "status": "refunded", "date_created_gmt": "2026-02-28T20:00:00",  # 1 March in Dhaka
            "date_paid_gmt": "2026-02-28T20:05:00", "date_modified_gmt": "2026-03-03T04:00:00", "total": "800.00",
            "refunds": [{"id": 6, "total": "-800.00", "date_created_gmt": "2026-03-03T04:00:00"}]}])
        db.session.commit()
    page, session = shop.open_page("dashboard")
    html = page.get_data(as_text=True)
    assert 'id="dash-basis"' in html and "Count like WooCommerce Analytics" in html
    assert "Sales are counted by the day the order was placed" in html
    mine = get(client, session, "sales", start="2026-03-01", end="2026-03-03").json
    assert mine["basis"] == "bikri" and mine["current"] == {"orders": 0, "revenue": "0.00"}
    like_wc = get(client, session, "sales", start="2026-03-01", end="2026-03-03", basis="woocommerce").json
    assert like_wc["basis"] == "woocommerce" and like_wc["current"] == {"orders": 1, "revenue": "0.00"}
    assert like_wc["revenue"] == ["800.00", "0.00", "-800.00"] and like_wc["orders"] == [1, 0, 0]
    amounts = get(client, session, "amounts", start="2026-03-03", end="2026-03-03", basis="woocommerce").json
    assert amounts["current"]["refunded"] == "800.00" and amounts["current"]["revenue"] == "-800.00"
    refused = get(client, session, "sales", basis="woo")
    assert refused.status_code == 422 and "WooCommerce Analytics" in refused.json["error"]["message"]
    bangla, _session = shop.open_page("dashboard", locale="bn_BD")
    assert "Count like WooCommerce Analytics" not in bangla.get_data(as_text=True)


def test_year_presets_and_their_comparison_periods(app, client, shop):
    """Issue 20, item 7: "Last 365 days" is compared with the 365 days before it; "This year"
    (compare=year) with the same dates a year earlier, leaving out the rest of last year."""
    def placed(wc_id, when, total, status="completed"):
        return {"id": wc_id, "status": status, "date_created_gmt": when, "date_modified_gmt": when, "total": total,
                "date_paid_gmt": when,
                "billing": {"phone": f"017110000{wc_id:02d}"},
                "line_items": [{"id": wc_id, "product_id": 3, "quantity": 1, "price": total, "subtotal": total, "total": total}]}

    with app.app_context():
        upsert_orders(shop.site_id, [
            placed(1, "2026-03-01T04:00:00", "1000.00"),  # this year
            placed(2, "2025-02-20T04:00:00", "300.00"),  # this year's dates, a year earlier
            placed(3, "2025-03-06T04:00:00", "50.00"),  # after them: in the previous 365 days, not in last year's dates
            placed(4, "2025-12-31T17:59:00", "7.00"),  # 23:59 on 31 December in Dhaka: last year
            placed(5, "2025-12-31T18:00:00", "20.00")])  # 00:00 on 1 January in Dhaka: this year
        for day, amount in ((date(2025, 2, 1), "40"), (date(2025, 6, 1), "900")):  # the second between the two
            costs.save_cost(shop.site_id, {"day": day, "category": "ads", "amount": Decimal(amount)}, "Owner")
        db.session.commit()
    page, session = shop.open_page("dashboard")
    html = page.get_data(as_text=True)
    assert '<option value="365">Last 365 days</option>' in html and '<option value="year">This year</option>' in html

    year = get(client, session, "sales", start="2026-01-01", end="2026-03-05", compare="year").json
    assert (year["previous_start"], year["previous_end"]) == ("2025-01-01", "2025-03-05")
    assert year["current"] == {"orders": 2, "revenue": "1020.00"}
    assert year["previous"] == {"orders": 1, "revenue": "300.00"}
    like_wc = get(client, session, "sales", start="2026-01-01", end="2026-03-05", compare="year", basis="woocommerce").json
    assert (like_wc["current"], like_wc["previous"]) == (year["current"], year["previous"])
    profit = get(client, session, "profit", start="2026-01-01", end="2026-03-05", compare="year").json["previous"]
    assert (profit["total_costs"], profit["profit"]) == ("40.00", "260.00")
    for widget, pick in [("amounts", lambda d: d["previous"]["subtotal"]), ("profit", lambda d: d["previous"]["revenue"]),
                         ("sources", lambda d: sum(s["previous_orders"] for s in d["source_types"])),
                         ("statuses", lambda d: sum(s["previous"] for s in d["statuses"])),
                         ("products", lambda d: d["products"][0]["previous_quantity"]),
                         ("returning", lambda d: d["previous"]["customer_orders"])]:
        assert pick(get(client, session, widget, start="2026-01-01", end="2026-03-05", compare="year").json) in (
            "300.00", 1), widget

    last_365 = get(client, session, "sales", start="2025-03-06", end="2026-03-05").json
    assert (last_365["previous_start"], last_365["previous_end"]) == ("2024-03-06", "2025-03-05")
    assert last_365["current"] == {"orders": 4, "revenue": "1077.00"} and last_365["previous"]["orders"] == 1
    # a whole leap year (366 days) is a year, and "This year" in it is compared with 1 January – 28 February
    leap = get(client, session, "sales", start="2028-01-01", end="2028-12-31", compare="year")
    assert leap.status_code == 200 and leap.json["group"] == "month"
    assert get(client, session, "sales", start="2028-01-01", end="2028-02-29", compare="year").json["previous_end"] == "2027-02-28"
    refused = get(client, session, "sales", compare="decade")
    assert refused.status_code == 422 and "a year earlier" in refused.json["error"]["message"]


def test_a_range_without_data_says_so_instead_of_an_empty_chart(client, with_orders, make_shop):
    """Each chart widget says whether its range has data (`empty`); the page draws a message,
    translated, in place of blank axes."""
    _page, session = with_orders.open_page("dashboard")
    charts = ["sales", "amounts", "statuses", "sources", "ads", "cycle", "returning"]
    with_data = {w: get(client, session, w).json for w in charts}
    assert {w: d["empty"] for w, d in with_data.items()} == dict.fromkeys(charts, False)
    # the days just after: nothing placed then, though the previous period has orders
    without = {w: get(client, session, w, start="2026-03-06", end="2026-03-10").json for w in charts}
    assert {w: d["empty"] for w, d in without.items()} == dict.fromkeys(charts, True)
    assert without["statuses"]["statuses"][0]["previous"] == 2  # the comparison is still listed
    assert get(client, session, "customers").json["frequency"]["empty"] is False
    _page, staff = with_orders.open_page("dashboard", role="editor")
    assert get(client, staff, "sales", start="2026-03-06", end="2026-03-10").json["empty"] is True

    new = make_shop(url="https://empty.example.com")
    page, session = new.open_page("dashboard")
    assert get(client, session, "customers").json["frequency"]["empty"] is True
    html = page.get_data(as_text=True)
    assert "No orders in this period." in html and "No sales in this period." in html
    bangla = new.open_page("dashboard", locale="bn_BD")[0].get_data(as_text=True)
    for english in ("No sales in this period.", "No customers yet.", "Last 365 days", "This year",
                    "No order from this period has been shipped or delivered yet."):
        assert english not in bangla, english
