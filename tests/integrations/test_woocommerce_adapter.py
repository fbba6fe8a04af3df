"""The adapter against the sandbox store over real sockets."""
import random
from decimal import Decimal

import pytest
import requests

from backend.integrations.woocommerce import ModifiedCursor, WooCommerce, WooCommerceError, read_json
from backend.orders.wire import _money, normalise_order
from backend.sandbox.server import SandboxServer, self_signed_tls
from backend.sandbox.woocommerce import ApiKey, create_sandbox
from tests.conftest import WC_KEY as KEY, WC_SECRET as SECRET


class Clock:
    def __init__(self, now=1_790_000_000):
        self.now = now

    def __call__(self):
        return self.now


def adapter(url, **kw):
    return WooCommerce(url, KEY, SECRET, backoff=0.01, **kw)


def walk_ids(wc, cursor=None, until=None):
    ids = []
    for fresh, _cursor in wc.iter_orders_by_modified(cursor, until=until):
        ids += [o["id"] for o in fresh]
    return ids


def live_ids(store):
    return [i for i in range(1, len(store.alive) + 1) if store.exists(i) and store.status[i - 1] != 10]


def test_keyset_walk_hands_out_every_order_exactly_once(store):
    wc = adapter(store.url)
    ids = walk_ids(wc)
    assert sorted(ids) == live_ids(store.data)
    assert len(ids) == len(set(ids))


def test_a_second_holding_more_than_a_page(store):
    """A bulk action stamps 250 orders with one modified second; the walk must still get them all."""
    clock = Clock()
    store.data.clock = clock
    store.data.bulk_touch(range(20, 250), status="shipped")
    wc = adapter(store.url)
    ids = walk_ids(wc)
    assert sorted(ids) == live_ids(store.data) and len(ids) == len(set(ids))


def test_an_order_leaving_a_crowded_second_mid_walk_does_not_hide_another(store):
    """Offsets shift when an order leaves the crowded second between two of its pages;
    the sweep by id finds the order that slid onto an already-read page."""
    clock = Clock()
    store.data.clock = clock
    crowded = list(range(1, 231))
    store.data.bulk_touch(crowded)
    wc = adapter(store.url)
    got, touched = [], False
    for fresh, cursor in wc.iter_orders_by_modified(ModifiedCursor()):
        got += [o["id"] for o in fresh]
        if cursor.page == 2 and not touched:  # one page of the crowded second read
            clock.now += 5
            store.data.touch(got[-1])  # an order already read leaves the second: later ones shift left
            touched = True
    assert touched
    assert set(got) == set(live_ids(store.data))


def test_until_bounds_the_walk_and_a_cursor_resumes_it(store):
    wc = adapter(store.url)
    pages = wc.iter_orders_by_modified(ModifiedCursor())
    first, cursor = next(pages)
    rest = walk_ids(wc, ModifiedCursor.from_dict(cursor.to_dict()))
    assert sorted([o["id"] for o in first] + rest) == live_ids(store.data)
    assert not set(o["id"] for o in first) & set(rest)


def test_errors_carry_woocommerces_code_and_message(store):
    wrong = WooCommerce(store.url, KEY, "wrong-secret")
    with pytest.raises(WooCommerceError) as refused:
        wrong.get_order(1)
    assert refused.value.status == 401 and refused.value.code == "woocommerce_rest_authentication_error"
    assert not refused.value.retryable and "provided signature does not match" in str(refused.value)
    with pytest.raises(WooCommerceError) as missing:
        adapter(store.url).get_order(99999)
    assert missing.value.code == "woocommerce_rest_shop_order_invalid_id" and missing.value.status == 404


def test_server_errors_are_retried_then_raised_as_retryable(store):
    store.data.fail_remaining, store.data.fail_status = 2, 502
    assert adapter(store.url).get_order(1)["id"] == 1
    store.data.fail_remaining = 10
    with pytest.raises(WooCommerceError) as down:
        adapter(store.url, retries=2).get_order(1)
    assert down.value.retryable and down.value.status == 502
    store.data.fail_remaining = 0


def test_unreachable_shop():
    with pytest.raises(WooCommerceError) as error:
        WooCommerce("http://127.0.0.1:9", KEY, SECRET, retries=0, timeout=2).get_order(1)
    assert error.value.code == "unreachable" and error.value.retryable


def test_money_read_as_a_number_stays_exact(store):
    """orjson reads numbers as floats: the shortest text of each is the shop's own, so the
    read model's Decimal is what the shop sent (line_items[].price is a JSON number)."""
    wc = adapter(store.url)
    as_sent = wc.api.get("orders/1").json(parse_float=Decimal)  # the JSON's own digits
    assert [item["price"] for item in normalise_order(wc.get_order(1)).items] \
        == [_money(line["price"], "price", number=True) for line in as_sent["line_items"]]
    rng = random.Random(7)
    texts = ["0.1", "0.29", "449.5", "1234567.89", "9999999999.99", "0.005", "100"] + \
        [f"{rng.randrange(10**12) / 100:.2f}" for _ in range(2000)]
    answer = requests.Response()
    answer._content = ("[" + ",".join(texts) + "]").encode()
    assert [_money(value, "price", number=True) for value in read_json(answer)] == [_money(text, "price") for text in texts]


def test_json_behind_a_byte_order_mark_is_still_read():
    answer = requests.Response()
    answer._content, answer.encoding = b'\xef\xbb\xbf{"id": 7, "total": "10.50"}', None
    assert read_json(answer) == {"id": 7, "total": "10.50"}
    answer._content = b"<html>Maintenance</html>"
    assert read_json(answer) is None


def test_https_host_that_strips_authorization_falls_back_to_query_string(tmp_path):
    """Some hosts drop the Authorization header: WooCommerce then sees no credentials at all."""
    app = create_sandbox(orders=5, seed=1, keys=[ApiKey(KEY, SECRET)])

    def stripping(environ, start_response):
        environ.pop("HTTP_AUTHORIZATION", None)
        return app(environ, start_response)

    context, cert = self_signed_tls(tmp_path)
    with SandboxServer(stripping, ssl_context=context) as url:
        wc = adapter(url, verify=cert)
        assert wc.get_order(2)["id"] == 2
        assert wc.api.query_string_auth is True


def test_batch_updates_go_in_chunks_of_100_with_per_item_errors(store):
    wc = adapter(store.url)
    updates = [{"id": i, "status": "completed"} for i in range(1, 151)] + [{"id": 424242, "status": "completed"}]
    before = store.data.requests
    results = wc.batch_update_orders(updates)
    assert store.data.requests - before == 2
    assert len(results) == 151 and results[0]["status"] == "completed"
    assert results[-1]["error"]["code"] == "woocommerce_rest_shop_order_invalid_id"


def test_get_orders_by_ids(store):
    found = adapter(store.url).get_orders([5, 3, 99999, 3])
    assert sorted(o["id"] for o in found) == [3, 5]


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_a_whole_number_that_is_not_finite_is_an_invalid_order_not_a_crash(store, value):
    """int(Decimal("Infinity")) raises OverflowError, which the normaliser did not catch."""
    from backend.orders.wire import InvalidOrder

    order = adapter(store.url).get_order(1)
    order["line_items"][0]["product_id"] = value
    with pytest.raises(InvalidOrder, match="product_id"):
        normalise_order(order)


def test_both_shop_clients_retry_and_give_up_alike(store):
    """wc/v3 and the plugin's export share one retry rule (call_with_retries): a shop that is
    down twice is answered on the third request; one that stays down gets 1 + retries requests."""
    from backend.integrations.woocommerce_export import OrderExport

    store.data.export_secret = "secret"
    clients = {"wc/v3": lambda: adapter(store.url, retries=2).get_order(1),
               "export": lambda: OrderExport(store.url, "secret", retries=2, backoff=0.01).page(limit=1)}
    for name, call in clients.items():
        store.data.fail_remaining, store.data.fail_status = 2, 503
        before = store.data.requests
        assert call(), name
        assert store.data.requests - before == 3, name
        store.data.fail_remaining = 10
        before = store.data.requests
        with pytest.raises(WooCommerceError) as down:
            call()
        assert down.value.retryable and down.value.status == 503, name
        assert store.data.requests - before == 3, name
    store.data.fail_remaining = 0


def test_call_with_retries_waits_longer_each_time_and_repeats_a_recovered_call_at_once(monkeypatch):
    from backend.integrations import woocommerce

    waits = []
    monkeypatch.setattr(woocommerce.time, "sleep", waits.append)
    errors = iter([WooCommerceError("busy", status=503), WooCommerceError("nonce used", status=401),
                   WooCommerceError("busy", status=502), WooCommerceError("switch", status=401, code="switch")])

    def once():
        error = next(errors, None)
        if error is None:
            return "answered"
        raise error

    answer = woocommerce.call_with_retries(once, retries=3, backoff=0.5, recover=lambda e: e.code == "switch",
                                           at_once=lambda e: "nonce" in e.message)
    # the 4th failure is past the count but recovered (other credentials): repeated at once
    assert answer == "answered" and waits == [0.5, 0, 2.0]
    with pytest.raises(WooCommerceError) as refused:
        woocommerce.call_with_retries(lambda: (_ for _ in ()).throw(WooCommerceError("no", status=403)),
                                      retries=3, backoff=0.5)
    assert refused.value.status == 403 and waits == [0.5, 0, 2.0]
