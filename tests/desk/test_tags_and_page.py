"""Tags (O6), the embed page and its fragments, the new-order poll (O7) and who may do what."""
import re

from sqlalchemy import select

from backend.extensions import db
from backend.orders.models import Order
from tests.embed_helpers import open_embed


def first_ids(app, site_id, n):
    with app.app_context():
        return list(db.session.execute(select(Order.wc_id).where(Order.site_id == site_id).order_by(Order.wc_id).limit(n)).scalars())


def test_tags_create_rename_colour_tag_filter_untag_delete(app, synced):
    created = synced.post("/api/v1/order-tags", json={"name": "VIP", "colour": "#AA0000"})
    assert created.status_code == 201 and created.json["colour"] == "#aa0000"
    tag_id = created.json["id"]
    assert synced.post("/api/v1/order-tags", json={"name": "vip"}).json["error"]["details"] == {"name": ["A tag with this name exists."]}
    assert "colour" in synced.post("/api/v1/order-tags", json={"name": "Red", "colour": "red"}).json["error"]["details"]
    renamed = synced.client.patch(f"/api/v1/order-tags/{tag_id}", json={"name": "Very important", "colour": "#00aa00"},
                                  headers=synced.auth)
    assert renamed.json == {"id": tag_id, "name": "Very important", "colour": "#00aa00"}

    ids = first_ids(app, synced.site_id, 5)
    assert synced.post(f"/api/v1/order-tags/{tag_id}/orders", json={"orders": ids}).json == {"changed": 5}
    assert synced.post(f"/api/v1/order-tags/{tag_id}/orders", json={"orders": ids}).json == {"changed": 0}
    tagged = synced.get("/api/v1/orders", query_string={"tag": tag_id}).json["orders"]
    assert sorted(o["wc_id"] for o in tagged) == ids
    assert tagged[0]["tags"] == [{"id": tag_id, "name": "Very important", "colour": "#00aa00"}]
    assert synced.post(f"/api/v1/order-tags/{tag_id}/orders", json={"orders": ids[:2], "action": "remove"}).json == {"changed": 2}
    assert sorted(o["wc_id"] for o in synced.get("/api/v1/orders", query_string={"tag": tag_id}).json["orders"]) == ids[2:]

    assert synced.client.delete(f"/api/v1/order-tags/{tag_id}", headers=synced.auth).status_code == 204
    assert synced.get("/api/v1/order-tags").json == {"tags": []}
    assert synced.get("/api/v1/orders", query_string={"tag": tag_id}).json["orders"] == []


def test_a_tag_of_another_shop_is_not_found(app, synced, make_shop):
    other = make_shop(url="https://other.example")
    tag_id = other.post("/api/v1/order-tags", json={"name": "Theirs"}).json["id"]
    assert synced.client.patch(f"/api/v1/order-tags/{tag_id}", json={"name": "Mine"}, headers=synced.auth).status_code == 404
    assert synced.post(f"/api/v1/order-tags/{tag_id}/orders", json={"orders": [1]}).status_code == 404


def test_the_orders_page_and_its_list_fragment(app, synced):
    response, headers = open_embed(synced)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="order-rows"' in page and 'id="manual-order"' in page
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
    rows = synced.client.get("/embed/orders/list", query_string={"status": "processing"}, headers=headers)
    html = rows.get_data(as_text=True)
    assert rows.status_code == 200 and html.count('class="order-row"') > 0
    assert 'id="more-row"' in synced.client.get("/embed/orders/list", headers=headers).get_data(as_text=True)


def test_embed_status_change_and_manual_order_with_errors_next_to_fields(app, synced):
    _response, headers = open_embed(synced)
    wc_id = first_ids(app, synced.site_id, 1)[0]
    answer = synced.client.post("/embed/orders/status", data={"order": [wc_id], "status": "completed"}, headers=headers)
    assert "1 of 1 orders changed" in answer.get_data(as_text=True) and answer.headers["HX-Trigger"] == "orders-changed"
    bad = synced.client.post("/embed/orders/create", headers=headers, data={
        "name": "Karim", "phone": "12345", "address": "Road 1", "district": "BD-13", "product": ["101"], "quantity": ["0"],
        "shipping": "60", "payment_method": "cod"})
    html = bad.get_data(as_text=True)
    assert re.search(r'data-field="phone"', html) and re.search(r'data-field="items.0.quantity"', html)
    before = synced.store.data.total_orders()
    quote = synced.client.post("/embed/orders/quote", headers=headers, data={
        "product": ["101"], "quantity": ["2"], "discount_kind": ["percent", "fixed"], "discount_value": ["10", "5"], "shipping": "60"})
    assert 'id="quote-total"' in quote.get_data(as_text=True)
    good = synced.client.post("/embed/orders/create", headers=headers, data={
        "name": "Karim Uddin", "phone": "01811223344", "address": "Road 1", "district": "BD-13", "product": ["101"],
        "quantity": ["2"], "discount_kind": ["percent", "fixed"], "discount_value": ["10", "5"], "shipping": "60", "payment_method": "cod"})
    assert 'id="manual-created"' in good.get_data(as_text=True)
    assert synced.store.data.total_orders() == before + 1
    total = re.search(r'id="quote-total">৳([\d,.]+)<', quote.get_data(as_text=True)).group(1).replace(",", "")
    assert synced.store.data.order(before + 1)["total"] == total


def test_a_desk_status_change_notes_in_woocommerce_who_made_it_from_bikri(app, synced):
    """Issue 17, item 12: WooCommerce's own note ("Order status changed from ... to ...") names no
    one; Bikri adds one naming itself and the staff member, in the shop's language."""
    from backend.licensing.models import Site

    response, session = synced.open_page("orders", role="editor", name="Karim Uddin")
    headers = {"X-Bikri-Embed-Session": session}
    wc_id = first_ids(app, synced.site_id, 1)[0]
    assert synced.client.post("/embed/orders/status", data={"order": [wc_id], "status": "processing"},
                              headers=headers).status_code == 200
    notes = synced.store.data.notes_of(wc_id)
    assert notes[0]["note"] == "Status changed to Processing from Bikri by Karim Uddin."
    assert notes[0]["customer_note"] is False  # for the shop, never e-mailed to the shopper

    # a shop whose WordPress speaks Bangla gets the note in Bangla, whatever the staff member's language
    with app.app_context():
        db.session.get(Site, synced.site_id).locale = "bn_BD"
        db.session.commit()
    others = first_ids(app, synced.site_id, 3)[1:]
    synced.client.post("/embed/orders/status", data={"order": others, "status": "completed"}, headers=headers)
    for other in others:
        note = synced.store.data.notes_of(other)[0]["note"]
        assert "Karim Uddin" in note and "Bikri" not in note and "বিক্রি" in note, note


def test_a_note_woocommerce_refuses_leaves_the_status_changed_and_says_so(app, synced, monkeypatch):
    from backend.integrations.woocommerce import WooCommerce, WooCommerceError

    def refuse(self, order_id, note, **kwargs):
        raise WooCommerceError("Sorry, you cannot create resources.", code="woocommerce_rest_cannot_create", status=403)
    monkeypatch.setattr(WooCommerce, "add_order_note", refuse)
    _response, headers = open_embed(synced)
    wc_id = first_ids(app, synced.site_id, 1)[0]
    html = synced.client.post("/embed/orders/status", data={"order": [wc_id], "status": "completed"},
                              headers=headers).get_data(as_text=True)
    assert "1 of 1 orders changed" in html
    assert f"WooCommerce did not take the note saying who changed the status of: {wc_id}." in html
    assert synced.store.data.order(wc_id)["status"] == "completed" and synced.store.data.notes_of(wc_id) == []


def test_new_order_poll_sees_orders_stored_after_the_last_one(app, synced):
    _response, headers = open_embed(synced, role="editor")  # staff may watch the desk
    first = synced.client.get("/embed/orders/since?after=0", headers=headers).json
    latest = first["latest_id"]
    assert synced.client.get(f"/embed/orders/since?after={latest}", headers=headers).json == {"latest_id": latest, "orders": []}
    synced.post("/api/v1/orders", json={"name": "Nasrin Sultana", "phone": "01911000111", "address": "Sylhet", "district": "BD-60",
                                        "items": [{"product_id": 101, "quantity": 1}], "payment_method": "cod"})
    new = synced.client.get(f"/embed/orders/since?after={latest}", headers=headers).json
    assert [o["name"] for o in new["orders"]] == ["Nasrin Sultana"] and new["latest_id"] > latest


def test_staff_change_statuses_but_cannot_create_orders_or_manage_tags(app, synced):
    response, headers = open_embed(synced, role="editor")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="manual-order"' not in page
    wc_id = first_ids(app, synced.site_id, 1)[0]
    assert synced.client.post("/embed/orders/status", data={"order": [wc_id], "status": "completed"}, headers=headers).status_code == 200
    assert synced.client.post("/embed/orders/create", data={"name": "x"}, headers=headers).status_code == 403
    assert synced.client.post("/embed/orders/quote", data={}, headers=headers).status_code == 403
    assert synced.client.post("/embed/orders/tags", data={"name": "x"}, headers=headers).status_code == 403
    _r, manager = open_embed(synced, role="shop_manager")
    assert "VIP" in synced.client.post("/embed/orders/tags", data={"name": "VIP", "colour": "#ff0000"}, headers=manager).get_data(as_text=True)
