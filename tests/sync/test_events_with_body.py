"""Events that carry the order's body in the export shape (issue 17, item 4): applied as sent,
without one request to the shop; checked as strictly as the export path; an older body never
overwrites a newer order; events without a body (older plugins) still read the order."""
from decimal import Decimal

import pytest

from backend.sandbox.woocommerce import export_record
from tests.sync.helpers import stored
from tests.sync.test_events_async import ASYNC


def with_body(record: dict, *, type="updated", key=None) -> dict:
    """An event as the plugin sends it now: the export route's record of the order."""
    return {"idempotency_key": key or f"{type}-{record['id']}-{record['date_modified_gmt']}", "type": type,
            "order_id": record["id"], "date_modified_gmt": record["date_modified_gmt"],
            "order": record, "order_shape": "export"}


def post(shop, events, headers=None):
    response = shop.post("/api/v1/events", json={"events": events}, headers=headers or {})
    assert response.status_code in (200, 202), response.json
    results = response.json["results"]
    response.close()  # Prefer: respond-async: the events are applied once the answer is closed
    return [r["status"] for r in results], results


@pytest.mark.parametrize("headers", [{}, ASYNC], ids=["answered-once-applied", "respond-async"])
def test_events_with_the_body_are_applied_without_a_request_to_the_shop(app, store, connected, headers):
    shop = store.data
    shop.touch(3, status="shipped")
    shop.delete(4, force=False)  # trashed: the export renders it with status "trash"
    records = [export_record(shop.order(i)) for i in (1, 2, 3, 4)]
    events = [with_body(records[0], type="created"), with_body(records[1]),
              with_body(records[2], type="status_changed"), with_body(records[3], type="deleted")]
    asked = shop.requests

    statuses, _ = post(connected, events, headers)

    assert statuses == (["accepted"] * 4 if headers else ["applied"] * 4)
    assert shop.requests == asked, "not one request to the shop (wc/v3 or the export)"
    rows = stored(app, connected.site_id)
    for record in records:
        row = rows[record["id"]]
        assert row.status == record["status"]
        assert row.total == Decimal(record["total"])
        assert row.date_modified_gmt.isoformat() == record["date_modified_gmt"]
    assert rows[3].status == "shipped" and rows[4].status == "trash" and rows[4].deleted_at is None


def test_a_malformed_body_is_that_events_error_and_the_shop_is_not_asked(app, store, connected):
    shop = store.data
    good = export_record(shop.order(5))
    no_items = export_record(shop.order(6))
    del no_items["line_items"], no_items["refunds"]
    bad_total = {**export_record(shop.order(7)), "total": "twelve"}
    billing_list = {**export_record(shop.order(8)), "billing": ["01711223344"]}
    not_dated = {**export_record(shop.order(9)), "date_created_gmt": "yesterday"}
    unknown_shape = {**with_body(export_record(shop.order(10))), "order_shape": "wc/v2"}
    without_order = {**with_body(export_record(shop.order(11))), "order": None}
    asked = shop.requests

    statuses, results = post(connected, [with_body(good), with_body(no_items), with_body(bad_total),
                                         with_body(billing_list), with_body(not_dated), unknown_shape,
                                         without_order])

    assert statuses == ["applied"] + ["error"] * 6
    assert shop.requests == asked, "an incomplete body is refused, not completed from WooCommerce"
    errors = [r["error"] for r in results[1:]]
    assert errors[0] == {"code": "invalid_order",
                         "message": "order: missing line_items, refunds (the export shape carries the whole order)."}
    assert errors[1] == {"code": "invalid_order", "message": "order.total: not an amount of money: 'twelve'"}
    assert errors[2] == {"code": "invalid_order", "message": "order.billing: an object expected"}
    assert errors[3]["code"] == "invalid_order" and errors[3]["message"].startswith("order.date_created_gmt: not a date")
    assert errors[4]["code"] == "invalid_event" and "order_shape" in errors[4]["message"]
    assert errors[5] == {"code": "invalid_order",
                         "message": "order: the export shape needs the whole order as a JSON object."}
    assert sorted(stored(app, connected.site_id)) == [5]
    # keys of events that failed are let go: the same event, mended, applies
    mended = with_body(export_record(shop.order(6)), key=results[1]["idempotency_key"])
    assert post(connected, [mended])[0] == ["applied"]


def test_an_older_body_does_not_overwrite_a_newer_order(app, store, connected):
    shop = store.data
    older = export_record(shop.touch(12, status="processing", at=1_790_000_000))
    newer = export_record(shop.touch(12, status="completed", at=1_790_000_600))

    assert post(connected, [with_body(newer)])[0] == ["applied"]
    assert post(connected, [with_body(older)])[0] == ["ignored_older"]
    # and inside one batch, whatever the order of arrival
    later = export_record(shop.touch(12, status="refunded", at=1_790_001_200))
    assert post(connected, [with_body(later, key="k-later"), with_body(older, key="k-older")])[0] == \
        ["applied", "ignored_older"]
    row = stored(app, connected.site_id)[12]
    assert row.status == "refunded" and row.date_modified_gmt.isoformat() == later["date_modified_gmt"]


def test_events_without_a_body_still_read_the_order_from_woocommerce(app, store, connected):
    """An older plugin sends no body: its orders are read from wc/v3, while those that came with
    one in the same batch are not asked for."""
    shop = store.data
    asked = shop.requests
    bodyless = {"idempotency_key": "old-plugin-13", "type": "created", "order_id": 13,
                "date_modified_gmt": shop.order(13)["date_modified_gmt"]}

    statuses, _ = post(connected, [bodyless, with_body(export_record(shop.order(14)))])

    assert statuses == ["accepted", "applied"]  # the bodyless one is read by a worker
    assert shop.requests == asked + 1, "one request, for the order that came without a body"
    rows = stored(app, connected.site_id)
    assert rows[13].status == shop.order(13)["status"] and rows[14].status == shop.order(14)["status"]


def test_the_service_asks_for_every_key_the_export_renders():
    """The keys an export-shaped body must carry are the export's own (the sandbox renders them as
    wp-plugin/includes/class-bikri-order-export.php does), no more, no fewer."""
    from backend.sandbox.woocommerce import EXPORT_FIELDS
    from backend.sync.service import EXPORT_ORDER_FIELDS

    assert EXPORT_ORDER_FIELDS == EXPORT_FIELDS
