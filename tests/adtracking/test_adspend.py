"""Ad spend per campaign (typed, or Meta Ads Manager's CSV export) and D11: ordered and
delivered revenue by campaign beside the spend, and return on ad spend."""
from datetime import date
from decimal import Decimal

from backend.dashboard import adspend, service
from backend.extensions import db
from backend.orders.service import upsert_orders
from tests.embed_helpers import SESSION_HEADER

MARCH = service.Period(date(2026, 3, 1), date(2026, 3, 31))

META_EXPORT = "\ufeff" + "\n".join([
    "Reporting starts,Reporting ends,Campaign name,Campaign delivery,Results,Amount spent (BDT),Cost per result",
    "2026-03-01,2026-03-31,eid-sale,active,40,4000.00,100",
    "2026-03-01,2026-03-31,winter-shawl,inactive,0,0,",        # no spend: skipped, not an error
    "2026-03-01,2026-03-31,broken-amount,active,3,lots,",       # bad amount
    "2026-03-31,2026-03-01,backwards,active,3,100,",            # ends before it starts
    "03/01/2026,2026-03-31,bad-date,active,3,100,",             # not Meta's date format
    ",2026-03-31",                                              # too few columns
    "2026-03-16,2026-03-31,\"Boost, March\",active,5,\"1,600.00\",",
])


def order(wc_id, campaign, total, status="processing", medium="paid"):
    created = "2026-03-10T06:00:00"
    return {"id": wc_id, "status": status, "date_created_gmt": created, "date_modified_gmt": created, "total": total,
            "meta_data": [{"key": "_wc_order_attribution_utm_source", "value": "facebook"},
                          {"key": "_wc_order_attribution_utm_medium", "value": medium},
                          {"key": "_wc_order_attribution_utm_campaign", "value": campaign}]}


def test_meta_csv_import_keeps_good_rows_and_names_bad_ones(app, shop):
    with app.app_context():
        result = adspend.import_csv(shop.site_id, META_EXPORT, by="test")
        db.session.commit()
        assert result["imported"] == 2 and result["currency"] == "BDT"
        assert [e["line"] for e in result["errors"]] == [4, 5, 6, 7]
        rows = {r.campaign: r.amount for r in adspend.list_spend(shop.site_id, date(2026, 3, 1), date(2026, 3, 31))}
        assert rows == {"eid-sale": Decimal("4000.00"), "Boost, March": Decimal("1600.00")}
        # the same export again replaces, it does not double
        adspend.import_csv(shop.site_id, META_EXPORT, by="test")
        assert len(adspend.list_spend(shop.site_id, date(2026, 3, 1), date(2026, 3, 31))) == 2


def test_an_export_in_another_currency_or_without_the_columns_is_refused(app, shop):
    with app.app_context():
        usd = adspend.import_csv(shop.site_id, "Campaign name,Amount spent (USD),Reporting starts,Reporting ends\n"
                                               "x,10,2026-03-01,2026-03-02\n", by="t")
        assert usd["imported"] == 0 and "USD" in usd["errors"][0]["message"]
        other = adspend.import_csv(shop.site_id, "name,amount\nx,10\n", by="t")
        assert other["imported"] == 0 and "Campaign name" in other["errors"][0]["message"]
        assert adspend.import_csv(shop.site_id, "", by="t")["errors"][0]["line"] == 1


def test_d11_shows_delivered_revenue_and_return_on_ad_spend_by_campaign(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "eid-sale", "1000.00"), order(2, "eid-sale", "3000.00"),
                                     order(3, "winter", "500.00"), order(4, "eid-sale", "700.00", medium="organic")])
        # order 1 delivered (a later version with the delivered status)
        upsert_orders(shop.site_id, [dict(order(1, "eid-sale", "1000.00"), status="delivered",
                                          date_modified_gmt="2026-03-12T06:00:00")])
        adspend.add_spend(shop.site_id, campaign="EID-SALE", start=date(2026, 3, 1), end=date(2026, 4, 30),
                          amount=Decimal("6100.00"), by="t")  # 31 of 61 days in March: 3100
        adspend.add_spend(shop.site_id, campaign="no-orders", start=date(2026, 3, 5), end=date(2026, 3, 5),
                          amount=Decimal("50.00"), by="t")
        db.session.commit()
        ads = service.ads(shop.site_id, MARCH)
        by_key = {c["key"]: c for c in ads["campaigns"]}
        eid = by_key["facebook / eid-sale"]
        assert (eid["orders"], eid["revenue"]) == (2, Decimal("4000.00"))
        assert (eid["delivered_orders"], eid["delivered_revenue"]) == (1, Decimal("1000.00"))
        assert eid["spend"] == Decimal("3100.00")
        assert eid["roas"] == "1.29" and eid["delivered_roas"] == "0.32"
        assert by_key["facebook / winter"]["spend"] == Decimal("0") and by_key["facebook / winter"]["roas"] is None
        assert by_key["- / no-orders"]["spend"] == Decimal("50.00")
        assert ads["spend"] == Decimal("3150.00")


def test_d11_endpoint_carries_spend_and_hides_money_from_staff(client, shop):
    _page, session = shop.open_page("dashboard", role="administrator")
    answer = client.get("/embed/dashboard/ads.json?start=2026-03-01&end=2026-03-31", headers={SESSION_HEADER: session})
    assert answer.status_code == 200 and "spend" in answer.json
    _page, staff = shop.open_page("dashboard", role="editor")
    hidden = client.get("/embed/dashboard/ads.json?start=2026-03-01&end=2026-03-31", headers={SESSION_HEADER: staff})
    assert hidden.json["money_hidden"] is True and "spend" not in hidden.json


def test_the_ads_page_adds_imports_and_removes_spend(client, shop):
    page, session = shop.open_page("ads", role="administrator")
    assert page.status_code == 200 and "Conversions API" in page.get_data(as_text=True)
    headers = {SESSION_HEADER: session}
    added = client.post("/embed/ads/spend", data={"campaign": "eid-sale", "start": "2026-03-01", "end": "2026-03-31",
                                                  "amount": "1500"}, headers=headers)
    assert added.status_code == 200 and "eid-sale" in added.get_data(as_text=True)
    bad = client.post("/embed/ads/spend", data={"campaign": "x", "start": "2026-03-01", "end": "2026-03-31",
                                                "amount": "-1"}, headers=headers)
    assert bad.status_code == 422
    imported = client.post("/embed/ads/spend/import", data={"csv": META_EXPORT}, headers=headers)
    assert imported.status_code == 200 and 'id="spend-import-errors"' in imported.get_data(as_text=True)
    saved = client.post("/embed/ads/settings", data={"pixel_id": "123"}, headers=headers)
    assert saved.status_code == 422 and 'data-error-for="pixel_id"' in saved.get_data(as_text=True)


def test_the_ads_page_is_the_administrators(shop):
    page, _session = shop.open_page("ads", role="shop_manager")
    assert "ads-settings" not in page.get_data(as_text=True)
