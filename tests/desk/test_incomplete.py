"""The desk's Incomplete tab (issue 20 item 2): abandoned checkouts as work. Call (recorded),
an SMS from the shop's template through the wallet (priced, one debit per click), turned into
an order through the manual-order path (created in the sandbox WooCommerce), marked lost."""
import json
import re

import pytest
from sqlalchemy import func, select

from backend.abandoned import service as abandoned
from backend.abandoned.models import AbandonedCheckout, AbandonedCheckoutAction
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms.models import SmsMessage
from tests.abandoned.conftest import capture, run, set_abandoned
from tests.embed_helpers import open_embed
from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)

CART = [{"product_id": 101, "name": "Jamdani Saree", "quantity": 2, "total": "9000.00"},
        {"product_id": 102, "name": "Panjabi", "quantity": 1, "total": "1500.00"}]


@pytest.fixture
def incomplete(app, synced):
    """Two checkouts of the synced shop, abandoned an hour after the shoppers left."""
    set_abandoned(app, synced, capture_enabled=True, sms_language="en")
    first = capture(synced, key="a" * 32, phone="01755-000111", items=CART, total="10500.00").json["id"]
    second = capture(synced, key="b" * 32, phone="01755-000222", name="Karim Uddin", items=CART[:1], total="9000.00").json["id"]
    run(app, abandoned.mark_abandoned, 61)
    synced.checkouts = (first, second)
    return synced


def actions(app, checkout_id):
    with app.app_context():
        return [(a.action, a.by, a.detail) for a in db.session.execute(
            select(AbandonedCheckoutAction).where(AbandonedCheckoutAction.checkout_id == checkout_id)
            .order_by(AbandonedCheckoutAction.id)).scalars()]


def checkout(app, checkout_id):
    with app.app_context():
        found = db.session.get(AbandonedCheckout, checkout_id)
        return {"status": found.status, "wc_order_id": found.wc_order_id}


def test_the_incomplete_tab_lists_checkouts_with_a_call_link_and_counts_them(app, incomplete):
    _page, headers = open_embed(incomplete)
    counts = json.loads(incomplete.client.get("/embed/orders/list", headers=headers).headers["HX-Trigger-After-Swap"])
    assert counts["desk-counts"]["incomplete"] == 2
    html = incomplete.client.get("/embed/orders/incomplete", headers=headers).get_data(as_text=True)
    first, second = incomplete.checkouts
    assert f'id="checkout-{first}"' in html and f'id="checkout-{second}"' in html
    assert 'href="tel:+8801755000111"' in html
    # staff do not see shoppers' checkouts
    _page, staff = open_embed(incomplete, role="editor")
    assert incomplete.client.get("/embed/orders/incomplete", headers=staff).status_code == 403
    assert "incomplete" not in json.loads(incomplete.client.get("/embed/orders/list", headers=staff)
                                          .headers["HX-Trigger-After-Swap"])["desk-counts"]


def test_a_call_and_marking_lost_are_recorded_with_who_and_when(app, incomplete):
    _page, headers = open_embed(incomplete)
    first, second = incomplete.checkouts
    called = incomplete.client.post(f"/embed/orders/incomplete/{second}/called", headers=headers)
    assert called.status_code == 200 and "Called by Rahima Akter (#1)" in called.get_data(as_text=True)
    lost = incomplete.client.post(f"/embed/orders/incomplete/{second}/lost", headers=headers)
    assert "Marked lost by Rahima Akter (#1)" in lost.get_data(as_text=True)
    assert actions(app, second) == [("called", "Rahima Akter (#1)", "+8801755000222"), ("lost", "Rahima Akter (#1)", None)]
    assert checkout(app, second)["status"] == "lost"
    assert incomplete.client.post(f"/embed/orders/incomplete/{second}/lost", headers=headers).status_code == 200
    assert len(actions(app, second)) == 2, "a closed checkout is not marked twice"
    html = incomplete.client.get("/embed/orders/incomplete", headers=headers).get_data(as_text=True)
    assert f'id="checkout-{second}"' not in html and f'id="checkout-{first}"' in html
    # a checkout that is not this shop's is not found
    assert incomplete.client.post("/embed/orders/incomplete/999999/lost", headers=headers).status_code == 404


def test_an_sms_from_the_template_is_priced_debited_once_and_recorded(app, incomplete, gateway, fund, ledger):
    _page, headers = open_embed(incomplete)
    first, _second = incomplete.checkouts
    html = incomplete.client.get("/embed/orders/incomplete", headers=headers).get_data(as_text=True)
    key = re.search(rf'id="checkout-{first}".*?name="key" value="([^"]+)"', html, re.S).group(1)
    # no balance: refused with the wallet's reason, nothing recorded, nothing sent
    refused = incomplete.client.post(f"/embed/orders/incomplete/{first}/sms", data={"template": "1", "key": key}, headers=headers)
    assert "Not enough SMS balance" in refused.get_data(as_text=True)
    assert actions(app, first) == [] and gateway.sent == {}
    fund(incomplete, 20)
    before, _total = ledger(incomplete)
    for _click in range(2):  # a double click
        sent = incomplete.client.post(f"/embed/orders/incomplete/{first}/sms", data={"template": "1", "key": key}, headers=headers)
        assert "SMS sent. It cost" in sent.get_data(as_text=True)
    with app.app_context():
        messages = db.session.execute(select(SmsMessage).where(SmsMessage.site_id == incomplete.site_id)).scalars().all()
        assert len(messages) == 1 and messages[0].phone == "+8801755000111"
        row = db.session.get(AbandonedCheckout, first)
        assert messages[0].content == abandoned.desk_texts(db.session.get(Site, incomplete.site_id), row)[1]
        assert messages[0].content.startswith("Rahima, your cart at")
        cost = messages[0].cost
    balance, ledger_total = ledger(incomplete)
    assert cost > 0 and balance == before - cost == ledger_total
    assert [m["msisdn"] for m in gateway.sent.values()] == ["8801755000111"]
    assert actions(app, first) == [("sms", "Rahima Akter (#1)", f"1:{messages[0].id}")]


def test_turning_a_checkout_into_an_order_goes_through_the_manual_order_path(app, incomplete):
    _page, headers = open_embed(incomplete)
    first, _second = incomplete.checkouts
    form = incomplete.client.get(f"/embed/orders/incomplete/{first}/order-form", headers=headers).get_data(as_text=True)
    assert 'value="Rahima Akter"' in form and 'value="01755000111"' in form
    assert '<option value="BD-13" selected>' in form  # "Dhaka" as the shopper typed it
    assert f'name="checkout" value="{first}"' in form
    assert len(re.findall(r'<option value="101"\s+selected', form)) == 1 and len(re.findall(r'<option value="102"\s+selected', form)) == 1
    before = incomplete.store.data.total_orders()
    created = incomplete.client.post("/embed/orders/create", headers=headers, data={
        "name": "Rahima Akter", "phone": "01755000111", "address": "House 7, Road 3, Dhanmondi", "district": "BD-13",
        "product": ["101", "102"], "quantity": ["2", "1"], "shipping": "60", "payment_method": "cod", "checkout": str(first)})
    assert 'id="manual-created"' in created.get_data(as_text=True)
    assert incomplete.store.data.total_orders() == before + 1
    order = incomplete.store.data.order(before + 1)
    assert [(i["product_id"], i["quantity"]) for i in order["line_items"]] == [(101, 2), (102, 1)]
    assert {m["key"]: m["value"] for m in order["meta_data"]}["_bikri_source"] == "order-desk"
    assert checkout(app, first) == {"status": "recovered", "wc_order_id": order["id"]}
    assert actions(app, first) == [("ordered", "Rahima Akter (#1)", str(order["number"]))]
    with app.app_context():
        assert abandoned.incomplete_count(incomplete.site_id) == 1
        assert db.session.execute(select(func.count()).select_from(AbandonedCheckoutAction)).scalar() == 1
