"""An event whose order the service reads back from WooCommerce, for an order WooCommerce
deleted for good without sending a deletion: WooCommerce's 404 `woocommerce_rest_shop_order_invalid_id`
marks the order deleted (it leaves the desk and the dashboard) instead of failing the event."""
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerceError, order_missing
from backend.sync import service as sync
from tests.sync.helpers import stored, writes_while_asked


def test_the_order_of_an_event_that_woocommerce_no_longer_has_is_marked_deleted(app, store, connected):
    with app.app_context():
        sync.run_backfill(connected.site_id)
        db.session.commit()
    wc_id = 12
    modified = store.data.order(wc_id)["date_modified_gmt"]
    stored_before = connected.get("/api/v1/sync/status").json["orders_stored"]
    assert stored(app, connected.site_id)[wc_id].deleted_at is None
    store.data.delete(wc_id, force=True)  # from the database: no hook, no deletion event
    event = {"idempotency_key": f"status-{wc_id}", "type": "status_changed", "order_id": wc_id,
             "date_modified_gmt": modified}
    with writes_while_asked(app, store) as writing:
        answer = connected.post("/api/v1/events", json={"events": [event]})
    assert answer.status_code == 200 and answer.json["results"][0]["status"] == "accepted", answer.json
    assert writing == [], "WooCommerce was asked before anything was written"
    row = stored(app, connected.site_id)[wc_id]
    assert row.deleted_at is not None and row.excluded_from_sales
    assert connected.get("/api/v1/sync/status").json["orders_stored"] == stored_before - 1
    assert all(o["wc_id"] != wc_id for o in connected.get("/api/v1/orders", query_string={"q": str(wc_id)}).json["orders"])


def test_only_woocommerces_own_answer_says_an_order_is_gone():
    """A 404 from something in front of the REST API (a security plugin's `rest_no_route`) or a
    refusal for another reason says nothing about the order."""
    assert order_missing(WooCommerceError("Invalid ID.", code="woocommerce_rest_shop_order_invalid_id", status=404))
    assert order_missing(WooCommerceError("Invalid ID.", code="woocommerce_rest_shop_order_invalid_id", status=400))
    assert order_missing({"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                          "data": {"status": 400}})
    assert not order_missing(WooCommerceError("No route", code="rest_no_route", status=404))
    assert not order_missing(WooCommerceError("Not found", code="http_404", status=404))
    assert not order_missing({"code": "woocommerce_rest_invalid_status", "message": "Locked."})
    assert not order_missing(None)


def test_a_shop_clock_running_ahead_does_not_keep_a_deleted_order(app, store, connected):
    """The stored version's time comes from the shop's clock; should it be ahead of ours, the
    deletion is stamped with it, or it would be older than the version and not take."""
    from datetime import timedelta

    from backend.clock import utcnow

    ahead = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    body = {**store.data.order(15), "date_modified_gmt": ahead}
    sent = connected.post("/api/v1/events", json={"events": [
        {"idempotency_key": "ahead-15", "type": "updated", "order_id": 15, "date_modified_gmt": ahead, "order": body}]})
    assert sent.json["results"][0]["status"] == "applied"
    store.data.delete(15, force=True)
    answer = connected.post("/api/v1/events", json={"events": [
        {"idempotency_key": "later-15", "type": "status_changed", "order_id": 15, "date_modified_gmt": ahead}]})
    assert answer.json["results"][0]["status"] == "accepted", answer.json  # a worker reads it
    assert stored(app, connected.site_id)[15].deleted_at is not None
