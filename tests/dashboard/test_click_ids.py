"""D11 with ad click ids: the plugin stores `_bikri_<param>` order meta at checkout; the upsert
maps it to the order's ad network and the ad widget counts it as a paid click even without UTM tags."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.dashboard import service
from backend.extensions import db
from backend.orders.models import Order
from backend.orders.service import upsert_orders
from backend.orders.wire import normalise_order

DAY = service.Period(date(2026, 3, 2), date(2026, 3, 2))


def order(wc_id, meta, total="500.00", created="2026-03-01T18:00:00"):  # 00:00 on 2 March in Dhaka
    return {"id": wc_id, "status": "processing", "date_created_gmt": created, "date_modified_gmt": created,
            "total": total, "meta_data": meta}


@pytest.mark.parametrize("key, network", [("_bikri_fbclid", "facebook"), ("_bikri_gclid", "google"),
                                          ("_bikri_ttclid", "tiktok"), ("_bikri_msclkid", "microsoft")])
def test_click_id_meta_names_the_network(key, network):
    assert normalise_order(order(1, [{"key": key, "value": "abc123"}])).values["click_source"] == network


def test_empty_or_unknown_click_meta_names_nothing():
    assert normalise_order(order(1, [{"key": "_bikri_fbclid", "value": ""}])).values["click_source"] is None
    assert normalise_order(order(1, [{"key": "_bikri_yclid", "value": "x"}])).values["click_source"] is None
    assert normalise_order(order(1, [])).values["click_source"] is None


def test_a_changed_click_id_is_a_new_version():
    before = normalise_order(order(1, []))
    after = normalise_order(order(1, [{"key": "_bikri_gclid", "value": "Cj0"}]))
    assert before.values["content_hash"] != after.values["content_hash"]


def test_ads_count_click_ids_without_utm(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [
            order(1, [{"key": "_bikri_fbclid", "value": "IwAR1"}], total="100.00"),
            order(2, [{"key": "_bikri_gclid", "value": "Cj0K"}], total="200.00"),
            order(3, [{"key": "_bikri_ttclid", "value": "E.C.P.x"}], total="300.00"),
            # organic with UTM tags but no paid medium and no click id: not an ad
            order(4, [{"key": "_wc_order_attribution_utm_source", "value": "google"},
                      {"key": "_wc_order_attribution_utm_medium", "value": "organic"}], total="400.00"),
            # the click id decides the network even when the UTM tags name another
            order(5, [{"key": "_wc_order_attribution_utm_source", "value": "google"},
                      {"key": "_wc_order_attribution_utm_medium", "value": "cpc"},
                      {"key": "_wc_order_attribution_utm_campaign", "value": "eid"},
                      {"key": "_bikri_fbclid", "value": "IwAR5"}], total="50.00"),
            # 23:59:59 on 1 March in Dhaka: the day before
            order(6, [{"key": "_bikri_gclid", "value": "Cj0L"}], created="2026-03-01T17:59:59"),
        ])
        db.session.commit()
        stored = dict(db.session.execute(select(Order.wc_id, Order.click_source).where(Order.site_id == shop.site_id)).all())
        assert stored == {1: "facebook", 2: "google", 3: "tiktok", 4: None, 5: "facebook", 6: "google"}
        ads = service.ads(shop.site_id, DAY)
        assert {n["key"]: (n["orders"], n["revenue"], n["previous_orders"]) for n in ads["networks"]} == {
            "facebook": (2, Decimal("150.00"), 0), "google": (1, Decimal("200.00"), 1), "tiktok": (1, Decimal("300.00"), 0)}
        assert {c["key"]: c["orders"] for c in ads["campaigns"] if c["orders"]} == {
            "facebook / -": 1, "facebook / eid": 1, "google / -": 1, "tiktok / -": 1}
        # a later version that lost its click id (edited in admin) moves the order out of ads
        upsert_orders(shop.site_id, [dict(order(3, [], total="300.00"), date_modified_gmt="2026-03-03T10:00:00")])
        assert "tiktok" not in {n["key"] for n in service.ads(shop.site_id, DAY)["networks"]}
