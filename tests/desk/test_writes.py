"""Status changes, manual orders and sequential discounts, against the sandbox store over real HTTP."""
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests
from sqlalchemy import func, select

from backend.desk.service import Discount, apply_discounts
from backend.extensions import db
from backend.orders.models import Order, Product
from tests.desk.jobs import status_change


def status_of(app, site_id, wc_id):
    with app.app_context():
        return db.session.execute(select(Order.status).where(Order.site_id == site_id, Order.wc_id == wc_id)).scalar_one()


def some_orders(app, site_id, n, status="processing"):
    with app.app_context():
        return list(db.session.execute(select(Order.wc_id).where(Order.site_id == site_id, Order.status == status)
                                       .order_by(Order.wc_id).limit(n)).scalars())


def test_single_status_change_is_written_to_woocommerce_and_read_back(app, synced):
    wc_id = some_orders(app, synced.site_id, 1)[0]
    results = status_change(synced, [wc_id], "completed")
    assert results == [{"wc_id": wc_id, "ok": True, "status": "completed", "error": None, "note": True}]
    # a caller with the site's token is no staff member: the note says only where the change came from
    assert synced.store.data.notes_of(wc_id)[0]["note"] == "Status changed to Completed from Bikri."
    assert synced.store.data.order(wc_id)["status"] == "completed"
    assert status_of(app, synced.site_id, wc_id) == "completed"


def test_bulk_change_reports_per_order_and_a_refused_order_keeps_its_status(app, synced):
    ids = some_orders(app, synced.site_id, 6)
    refused = ids[2]
    requests.post(f"{synced.store.url}/__sandbox/orders/{refused}/refuse-status",
                  json={"code": "courier_locked", "message": "Order is with the courier; status is locked."}).raise_for_status()
    before = synced.store.data.requests
    answer = status_change(synced, ids, "on-hold")
    assert synced.store.data.requests - before == 1 + 5, "one batch call for six orders, a note on each changed"
    results = {r["wc_id"]: r for r in answer}
    assert results[refused] == {"wc_id": refused, "ok": False, "status": "processing",
                                "error": "Order is with the courier; status is locked.", "code": "courier_locked"}
    for wc_id in ids:
        expected = "processing" if wc_id == refused else "on-hold"
        assert synced.store.data.order(wc_id)["status"] == expected
        assert status_of(app, synced.site_id, wc_id) == expected


def test_bulk_over_a_hundred_orders_goes_in_batches_of_a_hundred(app, make_synced):
    shop = make_synced(orders=260, seed=3)
    store = shop.store
    with app.app_context():
        ids = list(db.session.execute(select(Order.wc_id).where(Order.site_id == shop.site_id).limit(230)).scalars())
    before = store.data.requests
    results = status_change(shop, ids, "completed")
    assert store.data.requests - before == 3 + 230  # three batches, then a note on each order
    assert all(r["ok"] for r in results)
    with app.app_context():
        assert db.session.execute(select(func.count()).where(Order.site_id == shop.site_id, Order.wc_id.in_(ids),
                                                             Order.status == "completed")).scalar() == 230


def test_unknown_status_is_refused_by_woocommerce_per_order(app, synced):
    wc_id = some_orders(app, synced.site_id, 1)[0]
    [result] = status_change(synced, [wc_id], "teleported")
    assert result["ok"] is False and "status" in result["error"] and result["status"] == "processing"


def manual(**changes):
    body = {"name": "Rahima Akter", "phone": "+880 1711-234567", "address": "House 4, Road 2, Dhanmondi",
            "district": "BD-13", "items": [{"product_id": 101, "quantity": 2}, {"product_id": 102, "quantity": 1}],
            "shipping": "60", "payment_method": "cod", "note": "Call before delivery",
            "discounts": [{"kind": "percent", "value": "10"}, {"kind": "fixed", "value": "50"}, {"kind": "percent", "value": "3.5"}]}
    body.update(changes)
    return body


def test_manual_order_is_created_in_woocommerce_with_bikris_total(app, synced):
    before = synced.store.data.total_orders()
    response = synced.post("/api/v1/orders", json=manual())
    assert response.status_code == 201, response.json
    assert response.json["total_matches"] is True
    assert response.json["bikri_total"] == response.json["woocommerce_total"]
    wc = synced.store.data.order(response.json["order"]["wc_id"])
    assert synced.store.data.total_orders() == before + 1
    assert wc["total"] == response.json["bikri_total"]
    assert [f["total"][0] for f in wc["fee_lines"]] == ["-", "-", "-"]
    assert {"key": "_bikri_source", "value": "order-desk"} in [{k: m[k] for k in ("key", "value")} for m in wc["meta_data"]]
    assert wc["billing"]["phone"] == "01711234567" and wc["billing"]["state"] == "BD-13"
    listed = synced.get("/api/v1/orders", query_string={"q": "01711234567"}).json["orders"]
    assert [o["wc_id"] for o in listed] == [wc["id"]]


@pytest.mark.parametrize("changes, fields", [
    ({"phone": "0171123"}, {"phone"}),
    ({"name": " ", "address": ""}, {"name", "address"}),
    ({"district": "Atlantis"}, {"district"}),
    ({"items": [{"product_id": 101, "quantity": 0}]}, {"items.0.quantity"}),
    ({"items": [{"product_id": 999, "quantity": 1}]}, {"items.0.product"}),
    ({"items": []}, {"items"}),
    ({"items": [{"product_id": 108, "quantity": 1}]}, {"items.0.product"}),  # the sandbox's out-of-stock product
    ({"items": [{"product_id": 101, "quantity": 5000}]}, {"items.0.quantity"}),  # more than in stock
    ({"payment_method": "cheque", "discounts": [{"kind": "percent", "value": "120"}]}, {"payment_method", "discounts.0"}),
])
def test_invalid_manual_order_creates_nothing_and_names_each_field(app, synced, changes, fields):
    before, calls = synced.store.data.total_orders(), synced.store.data.requests
    response = synced.post("/api/v1/orders", json=manual(**changes))
    assert response.status_code == 422, response.json
    assert set(response.json["error"]["details"]) == fields
    assert synced.store.data.total_orders() == before and synced.store.data.requests == calls


def test_sandbox_products_are_what_the_stock_cases_assume(app, synced):
    with app.app_context():
        products = {p.wc_id: p for p in db.session.execute(select(Product).where(Product.site_id == synced.site_id)).scalars()}
    assert products[108].stock_status == "outofstock" and products[101].stock_quantity is not None


# --- sequential discounts ----------------------------------------------------------------------

def reference(subtotal, discounts, shipping):
    """The rule in plain words: each discount on what is left, rounded half up to the poisha, never below zero."""
    left = subtotal
    for kind, value in discounts:
        cut = left * value / 100 if kind == "percent" else value
        cut = min(cut.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), left)
        left -= cut
    return left + shipping


def test_discounts_apply_one_after_another():
    quote = apply_discounts(Decimal("1000"), [Discount("percent", Decimal("10")), Discount("percent", Decimal("10"))])
    assert [s["amount"] for s in quote.steps] == [Decimal("100.00"), Decimal("90.00")]
    assert quote.total == Decimal("810.00")  # not 800: the second 10% is of what the first left


def test_discount_rounding_half_up_to_the_poisha():
    quote = apply_discounts(Decimal("0.25"), [Discount("percent", Decimal("50"))])  # 0.125 → 0.13
    assert quote.steps[0]["amount"] == Decimal("0.13") and quote.total == Decimal("0.12")
    quote = apply_discounts(Decimal("333.33"), [Discount("percent", Decimal("33.333"))], Decimal("60"))
    assert quote.total == Decimal("333.33") - Decimal("111.11") + 60


def test_a_fixed_discount_never_takes_more_than_is_left():
    quote = apply_discounts(Decimal("100"), [Discount("fixed", Decimal("80")), Discount("fixed", Decimal("50"))], Decimal("60"))
    assert [s["amount"] for s in quote.steps] == [Decimal("80.00"), Decimal("20.00")]
    assert quote.total == Decimal("60.00")


def test_discount_properties_over_many_random_cases():
    rng = random.Random(2026)
    for _ in range(2000):
        subtotal = Decimal(rng.randint(0, 10_000_000)) / 100
        shipping = Decimal(rng.choice([0, 60, 120, 150]))
        discounts = [("percent", Decimal(rng.randint(0, 10000)) / 100) if rng.random() < 0.6
                     else ("fixed", Decimal(rng.randint(0, 500000)) / 100) for _ in range(rng.randint(0, 5))]
        quote = apply_discounts(subtotal, [Discount(k, v) for k, v in discounts], shipping)
        assert quote.total == reference(subtotal, discounts, shipping)
        assert shipping <= quote.total <= subtotal + shipping
        assert quote.total == quote.total.quantize(Decimal("0.01"))
        assert subtotal - sum(s["amount"] for s in quote.steps) + shipping == quote.total


@pytest.mark.parametrize("seed", range(6))
def test_woocommerces_total_equals_bikris_for_awkward_discounts(app, synced, seed):
    rng = random.Random(seed)
    items = [{"product_id": pid, "quantity": rng.randint(1, 3)} for pid in rng.sample([101, 102, 103, 104, 105, 106], 2)]
    discounts = [{"kind": rng.choice(["percent", "fixed"]), "value": str(Decimal(rng.randint(1, 3333)) / 100)}
                 for _ in range(rng.randint(1, 4))]
    response = synced.post("/api/v1/orders", json=manual(items=items, discounts=discounts, shipping=str(rng.choice([60, 120, 99.5]))))
    assert response.status_code == 201, response.json
    wc_total = synced.store.data.order(response.json["order"]["wc_id"])["total"]
    assert wc_total == response.json["bikri_total"] == response.json["order"]["total"]


def test_manual_order_discounts_are_the_dashboards_discounts(app, synced):
    """The desk sends its discounts as negative fee lines (WooCommerce's discount_total stays 0):
    the dashboard still counts them as discounts, so its figures add up to the order's total,
    whether the order came back in WooCommerce's answer or later in the plugin's export (no fee lines)."""
    from backend.dashboard import service as dashboard
    from backend.dashboard.rollups import dhaka_day
    from backend.orders.service import upsert_orders

    def amounts(day):
        with app.app_context():
            return dashboard.amounts(synced.site_id, dashboard.Period(day, day), "day")["current"]

    response = synced.post("/api/v1/orders", json=manual())
    assert response.status_code == 201, response.json
    wc = synced.store.data.order(response.json["order"]["wc_id"])
    discounts = sum((-Decimal(f["total"]) for f in wc["fee_lines"]), Decimal("0"))
    assert Decimal(wc["discount_total"]) == 0 and discounts > 0
    with app.app_context():
        stored = db.session.execute(select(Order).where(Order.site_id == synced.site_id, Order.wc_id == wc["id"])).scalar_one()
        day, modified = dhaka_day(stored.date_created_gmt), stored.date_modified_gmt
        assert stored.discount_total == discounts
    after = amounts(day)

    def again(minutes, **changes):
        later = (modified + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S")
        with app.app_context():
            upsert_orders(synced.site_id, [{**{k: v for k, v in wc.items() if k != "fee_lines"},
                                            "date_modified_gmt": later, **changes}])
            db.session.commit()

    again(1, customer_note="Call after 5 pm")  # as the plugin's export sends it: no fee lines
    assert amounts(day) == after
    again(2, status="trash")  # out of the figures: what the order alone added to its day
    without = amounts(day)
    added = {k: after[k] - without[k] for k in ("orders", "subtotal", "discount", "shipping", "revenue")}
    assert added == {"orders": 1, "subtotal": Decimal(wc["total"]) + discounts - 60, "discount": discounts,
                     "shipping": Decimal("60.00"), "revenue": Decimal(wc["total"])}
    assert added["subtotal"] - added["discount"] + added["shipping"] == added["revenue"]
