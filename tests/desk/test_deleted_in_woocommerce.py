"""An order deleted in WooCommerce without the hooks that tell Bikri (straight from the
database, by another plugin) stays on the desk until the service asks WooCommerce about it.
The first read or write that WooCommerce answers with `woocommerce_rest_shop_order_invalid_id`
marks it deleted: off the desk's lists and counts, out of the dashboard, and the owner reads
"This order no longer exists in WooCommerce." instead of WooCommerce's "Invalid ID."."""
from sqlalchemy import select

from backend.dashboard import rollups
from backend.extensions import db
from backend.orders.models import Order
from tests.dashboard.test_widgets import rollup_rows
from tests.desk.jobs import status_change

GONE = "This order no longer exists in WooCommerce."
GONE_BN = "এই অর্ডারটি আর WooCommerce-এ নেই।"


def processing(app, site_id, n):
    with app.app_context():
        return list(db.session.execute(select(Order.wc_id).where(Order.site_id == site_id, Order.status == "processing")
                                       .order_by(Order.wc_id).limit(n)).scalars())


def delete_behind_our_back(shop, wc_id):
    """As a database clean-up or another plugin does it: gone, and no event sent."""
    shop.store.data.delete(wc_id, force=True)


def on_the_desk(shop, wc_id) -> bool:
    return any(o["wc_id"] == wc_id for o in shop.get("/api/v1/orders", query_string={"q": str(wc_id)}).json["orders"])


def assert_dashboard_consistent(app, site_id):
    """The rollups the dashboard reads equal a rebuild from the stored orders."""
    with app.app_context():
        incremental = rollup_rows(site_id)
        rollups.rebuild_site(site_id)
        assert rollup_rows(site_id) == incremental
        db.session.rollback()


def test_a_status_change_on_an_order_deleted_in_woocommerce_marks_it_deleted(app, synced):
    [wc_id] = processing(app, synced.site_id, 1)
    stored_before = synced.get("/api/v1/sync/status").json["orders_stored"]
    assert on_the_desk(synced, wc_id)
    delete_behind_our_back(synced, wc_id)

    [result] = status_change(synced, [wc_id], "completed")
    assert result == {"wc_id": wc_id, "ok": False, "status": None, "error": GONE, "code": "order_deleted",
                      "deleted": True}
    assert not on_the_desk(synced, wc_id)
    assert synced.get("/api/v1/sync/status").json["orders_stored"] == stored_before - 1
    with app.app_context():
        row = db.session.execute(select(Order).where(Order.site_id == synced.site_id, Order.wc_id == wc_id)).scalar_one()
        assert row.deleted_at is not None and row.excluded_from_sales
    assert_dashboard_consistent(app, synced.site_id)

    asked = synced.store.data.requests
    [again] = status_change(synced, [wc_id], "completed")
    assert again["error"] == GONE and again["deleted"] is True
    assert synced.store.data.requests == asked, "an order known to be gone is not asked about again"


def test_bulk_status_change_reports_the_deleted_order_on_its_own_line(app, synced):
    ids = processing(app, synced.site_id, 3)
    delete_behind_our_back(synced, ids[1])
    results = status_change(synced, ids, "on-hold")
    assert [(r["wc_id"], r["ok"], r["error"]) for r in results] == [(ids[0], True, None), (ids[1], False, GONE),
                                                                     (ids[2], True, None)]
    assert "Invalid ID" not in str(results)
    assert not on_the_desk(synced, ids[1]) and on_the_desk(synced, ids[0])
    assert synced.store.data.order(ids[0])["status"] == synced.store.data.order(ids[2])["status"] == "on-hold"
    assert_dashboard_consistent(app, synced.site_id)


def test_the_desk_page_says_so_in_bangla(app, synced):
    ids = processing(app, synced.site_id, 2)
    delete_behind_our_back(synced, ids[0])
    _response, session = synced.open_page("orders", locale="bn")
    answer = synced.client.post("/embed/orders/status", data={"order": ids, "status": "completed"},
                                headers={"X-Bikri-Embed-Session": session})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and GONE_BN in html and "Invalid ID" not in html
    def listed(wc_id):
        return synced.client.get("/embed/orders/list", query_string={"q": str(wc_id)},
                                 headers={"X-Bikri-Embed-Session": session}).get_data(as_text=True)
    assert f'data-wc-id="{ids[0]}"' not in listed(ids[0]) and f'data-wc-id="{ids[1]}"' in listed(ids[1])
