"""The desk's status tabs (counts exact against the raw rows, deleted orders left out, per
shop), the status menu on every row, the New-order dialog and tags usable at once (issue 20)."""
import json
import re
from collections import Counter

from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from backend.desk import service
from backend.extensions import db
from backend.orders.models import Order
from backend.clock import utcnow
from tests.desk.test_tags_and_page import first_ids
from tests.embed_helpers import open_embed

TAB_STATUSES = {"pending": "pending", "processing": "processing", "on-hold": "on-hold", "shipped": "shipped",
                "completed": "completed", "returned": "returned", "cancelled": "cancelled"}


def tab_counts_shown(shop, headers, **args):
    answer = shop.client.get("/embed/orders/list", query_string=args, headers=headers)
    assert answer.status_code == 200
    return json.loads(answer.headers["HX-Trigger-After-Swap"])["desk-counts"]


def raw_counts(app, site_id):
    with app.app_context():
        return Counter(db.session.execute(select(Order.status).where(
            Order.site_id == site_id, Order.deleted_at.is_(None))).scalars())


def test_tab_counts_match_the_raw_rows_leave_out_deleted_orders_and_stay_in_their_shop(app, make_synced):
    shop = make_synced(orders=120, seed=7)
    other = make_synced(orders=80, seed=3)
    with app.app_context():
        # a custom status the shop uses, and two orders deleted in WooCommerce
        ids = list(db.session.execute(select(Order.id).where(Order.site_id == shop.site_id).order_by(Order.id)).scalars())
        db.session.execute(update(Order).where(Order.id.in_(ids[:5])).values(status="shipped"))
        db.session.execute(update(Order).where(Order.id.in_(ids[5:7])).values(deleted_at=utcnow(), status="returned"))
        db.session.execute(update(Order).where(Order.id.in_(ids[7:9])).values(status="returned"))
        db.session.commit()
    _page, headers = open_embed(shop)
    shown = tab_counts_shown(shop, headers)
    raw = raw_counts(app, shop.site_id)
    assert raw["shipped"] >= 5 and raw["returned"] >= 2
    expected = {tab: raw.get(status, 0) for tab, status in TAB_STATUSES.items()}
    expected["all"] = sum(n for status, n in raw.items() if status != "checkout-draft")
    expected["incomplete"] = 0
    expected["mine"] = 0  # "My orders" (T3): nothing is assigned to this user
    assert shown == expected
    # "All" is exactly what the list walks through without a status filter
    with app.app_context():
        listed = 0
        filters = service.parse_filters(MultiDict({"limit": "100"}))
        while True:
            page = service.list_orders(shop.site_id, filters)
            listed += len(page["orders"])
            if not page["next_cursor"]:
                break
            filters = service.parse_filters(MultiDict({"limit": "100", "cursor": page["next_cursor"]}))
    assert listed == expected["all"]
    # the other shop's tabs count only its own orders
    _page, other_headers = open_embed(other)
    other_raw = raw_counts(app, other.site_id)
    assert tab_counts_shown(other, other_headers)["all"] == sum(n for s, n in other_raw.items() if s != "checkout-draft")
    assert tab_counts_shown(other, other_headers)["processing"] == other_raw["processing"]
    # the page draws the tabs with the same numbers
    page_html = shop.open_page("orders")[0].get_data(as_text=True)
    for key, count in expected.items():
        assert re.search(rf'data-tab="{re.escape(key)}" data-status="[^"]*" data-count="{count}"', page_html), key


def test_every_row_offers_every_status_and_one_order_changes_from_its_row(app, synced):
    with app.app_context():
        first = db.session.execute(select(Order).where(Order.site_id == synced.site_id).order_by(Order.id)).scalars().first()
        first.status = "shipped"  # a custom status the shop registered: offered on every row
        db.session.commit()
    _page, headers = open_embed(synced)
    html = synced.client.get("/embed/orders/list", headers=headers).get_data(as_text=True)
    menus = re.findall(r'<select name="status" class="row-status".*?</select>', html, re.S)
    assert len(menus) == 50
    for menu in menus:
        offered = re.findall(r'<option value="([^"]+)"', menu)
        assert set(offered) >= set(service.CORE_STATUSES) | {"shipped"}, offered
        assert len(re.findall(r"selected", menu)) == 1
    with app.app_context():
        wc_id = db.session.execute(select(Order.wc_id).where(Order.site_id == synced.site_id, Order.status == "processing")
                                   .order_by(Order.wc_id.desc())).scalars().first()
    before = tab_counts_shown(synced, headers)
    # what the row's menu sends (hx-vals order + the chosen status)
    answer = synced.client.post("/embed/orders/status", data={"order": str(wc_id), "status": "on-hold"}, headers=headers)
    assert "1 of 1 orders changed in WooCommerce" in answer.get_data(as_text=True)
    assert answer.headers["HX-Trigger"] == "orders-changed"
    assert synced.store.data.order(wc_id)["status"] == "on-hold"
    after = tab_counts_shown(synced, headers)
    assert after["processing"] == before["processing"] - 1 and after["on-hold"] == before["on-hold"] + 1
    # WooCommerce's refusal is still reported per order
    answer = synced.client.post("/embed/orders/status", data={"order": str(wc_id), "status": "teleported"}, headers=headers)
    assert "0 of 1 orders changed" in answer.get_data(as_text=True)


def test_new_order_dialog_opens_from_the_top_and_bulk_booking_sits_in_the_bulk_bar(app, synced):
    html = synced.open_page("orders")[0].get_data(as_text=True)
    assert html.index('id="new-order-open"') < html.index('id="order-rows"')
    dialog = re.search(r'<dialog id="new-order-dialog".*?</dialog>', html, re.S).group(0)
    assert 'id="manual-order"' in dialog
    assert "<details" not in html.split('id="desk-bulk"')[1].split("</form>")[0]


def test_a_new_tag_is_usable_at_once_in_the_filter_and_the_bulk_bar(app, synced):
    _page, headers = open_embed(synced, role="shop_manager")
    answer = synced.client.post("/embed/orders/tags", data={"name": "Call back", "colour": "#aa5500"}, headers=headers)
    html = answer.get_data(as_text=True)
    filter_menu = re.search(r'<select id="f-tag"[^>]*hx-swap-oob="true".*?</select>', html, re.S).group(0)
    bulk = re.search(r'<span id="bulk-tags"[^>]*hx-swap-oob="true".*?</span>', html, re.S).group(0)
    with app.app_context():
        tag_id = service.list_tags(synced.site_id)[0].id
    assert f'<option value="{tag_id}">Call back</option>' in filter_menu
    assert f'<option value="{tag_id}">Call back</option>' in bulk and 'id="bulk-tag-add"' in bulk
    # and it works at once: tag an order with it, filter by it
    wc_id = first_ids(app, synced.site_id, 1)[0]
    tagged = synced.client.post("/embed/orders/tagging", data={"tag": tag_id, "order": [wc_id], "action": "add"}, headers=headers)
    assert "Tag added to 1 orders." in tagged.get_data(as_text=True)
    rows = synced.client.get("/embed/orders/list", query_string={"tag": tag_id}, headers=headers).get_data(as_text=True)
    assert re.findall(r'data-wc-id="(\d+)"', rows) == [str(wc_id)]


def test_counts_stay_exact_through_inserts_status_changes_deletions_and_the_fold_job(app, make_synced):
    """On PostgreSQL the counts are kept by triggers on orders (0810) and folded by a job; they
    must equal a grouped count of the rows after every kind of write, before and after folding."""
    shop = make_synced(orders=60, seed=5)
    other = make_synced(orders=30, seed=9)

    def check():
        with app.app_context():
            for site_id in (shop.site_id, other.site_id):
                assert service.status_counts(site_id) == dict(raw_counts(app, site_id))

    check()
    with app.app_context():
        ids = list(db.session.execute(select(Order.id).where(Order.site_id == shop.site_id).order_by(Order.id)).scalars())
        db.session.execute(update(Order).where(Order.id.in_(ids[:10])).values(status="returned"))  # many rows, one statement
        db.session.execute(update(Order).where(Order.id == ids[10]).values(deleted_at=utcnow()))  # deleted in WooCommerce
        db.session.execute(update(Order).where(Order.id == ids[11]).values(billing_name="Renamed"))  # no status change
        db.session.execute(update(Order).where(Order.id == ids[10]).values(status="cancelled"))  # a deleted one changes
        db.session.commit()
    check()
    # a new order through the real write path (WooCommerce first, then the read model)
    synced_answer = shop.post("/api/v1/orders", json={
        "name": "Nasrin Sultana", "phone": "01911000111", "address": "Sylhet", "district": "BD-60",
        "items": [{"product_id": 101, "quantity": 1}], "payment_method": "cod"})
    assert synced_answer.status_code == 201
    check()
    with app.app_context():
        db.session.execute(Order.__table__.delete().where(Order.id.in_(ids[12:14])))
        db.session.commit()
        service.fold_status_counts()
        db.session.commit()  # as the job runner does after the job returns
    check()
    with app.app_context():
        assert service.fold_status_counts() == 0  # nothing left to fold
        if db.engine.dialect.name == "postgresql":
            from backend.orders.models import OrderStatusDelta
            rows = db.session.execute(select(OrderStatusDelta.site_id, OrderStatusDelta.status)).all()
            assert len(rows) == len(set(rows)), "one row per shop and status once folded"
