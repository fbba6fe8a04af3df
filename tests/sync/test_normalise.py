"""The order normaliser takes WooCommerce's types as they are: where wc/v3 sends a string, a
list, number, true/false or object is refused with the field's name, never stored as its
Python text (the sandbox once sent created_via as ["checkout"] and it was stored "['checkout']")."""
import copy

import pytest

from backend.orders.service import UPDATE_COLUMNS
from backend.orders.wire import InvalidOrder, normalise_order
from backend.sandbox.woocommerce import generate


def an_order() -> dict:
    return generate(20, seed=3).order(7)


@pytest.mark.parametrize("path, value", [
    (("created_via",), ["checkout"]),
    (("status",), 5),
    (("number",), 1001),
    (("currency",), {"code": "BDT"}),
    (("payment_method",), True),
    (("payment_method_title",), ["Cash on delivery"]),
    (("customer_note",), 0),
    (("total",), 1250.0),
    (("discount_total",), 0),
    (("date_created_gmt",), 1767225600),
    (("date_paid_gmt",), ["2026-01-01T00:00:00"]),
    (("billing", "phone"), 1711000000),
    (("billing", "first_name"), ["Rahim"]),
    (("billing", "state"), 13),
    (("line_items", 0, "name"), 42),
    (("line_items", 0, "sku"), ["JMD-001"]),
    (("line_items", 0, "total"), 4500),
    (("refunds", 0, "total"), -100.0),
])
def test_a_non_string_where_woocommerce_sends_a_string_is_refused_naming_the_field(path, value):
    order = an_order()
    order["refunds"] = [{"id": 9, "reason": "", "total": "-100.00"}]
    target = order
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(InvalidOrder) as refused:
        normalise_order(order)
    field = "order." + ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
    assert str(refused.value).startswith(f"{field}: "), str(refused.value)
    assert "string expected" in str(refused.value) or "date" in str(refused.value)


def test_woocommerces_own_types_pass():
    """Strings where it sends strings, null where it may (dates not reached, a deleted product's
    SKU), and the line's price as a JSON number, whole (an int) or not."""
    order = an_order()
    order["line_items"][0]["price"] = 4500
    order["line_items"][0]["sku"] = None
    order["date_paid_gmt"] = order["date_completed_gmt"] = None
    record = normalise_order(order)
    assert record.values["created_via"] == order["created_via"] and isinstance(order["created_via"], str)
    assert str(record.items[0]["price"]) == "4500.00" and record.items[0]["sku"] is None
    with_float = copy.deepcopy(order)
    with_float["line_items"][0]["price"] = 1599.5
    assert str(normalise_order(with_float).items[0]["price"]) == "1599.50"


def test_the_columns_keep_their_order_as_content_hash_reads_them():
    """content_hash serialises the columns in the order normalise_order builds them: a change of
    that order would change every stored order's hash, and the next sync would rewrite them all."""
    keys = [key for key in normalise_order(an_order()).values if key not in ("wc_id", "content_hash")]
    assert keys == [column for column in UPDATE_COLUMNS if column in keys]
    assert len(keys) > 30
