"""Capture (O9), when a checkout counts as abandoned, and what closes it."""
import json

import pytest

from backend.abandoned import service
from tests.abandoned.conftest import CART, E164, KEY, capture, place_order, row, run, set_abandoned


def test_capture_upserts_one_row_per_key(app, capturing):
    first = capture(capturing)
    assert first.status_code == 200, first.json
    assert first.json["status"] == "open"
    again = capture(capturing, name="Rahima A.", items=CART[:1], total="2400.00", phone="+880 1711 234567")
    assert again.json["id"] == first.json["id"]
    stored = row(app, first.json["id"])
    assert stored["phone"] == E164 and stored["name"] == "Rahima A."
    assert json.loads(stored["cart"]) == [CART[0]]
    assert str(stored["value"]) == "2400.0000"
    other = capture(capturing, key="z" * 32)
    assert other.json["id"] != first.json["id"]


def test_new_checkouts_are_capped_per_hour_updates_are_not(app, capturing, monkeypatch):
    monkeypatch.setitem(app.config, "ABANDONED_CAPTURES_PER_HOUR", 2)
    assert capture(capturing, key="a" * 32).status_code == 200
    assert capture(capturing, key="b" * 32).status_code == 200
    refused = capture(capturing, key="c" * 32)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "300"
    assert capture(capturing, key="a" * 32, name="Rahima A.").status_code == 200  # a known checkout still updates


@pytest.mark.parametrize("field, value", [
    ("phone", "12345"), ("phone", "01211234567"), ("capture_key", "short"), ("capture_key", "bad key with spaces!!"),
    ("total", "-5"), ("total", "lots"), ("items", [{"product_id": 1, "name": "x", "quantity": 1, "total": "x"}]),
    ("items", [{"product_id": 1, "name": "x", "quantity": 1, "total": "1"}] * 51),
])
def test_capture_names_the_bad_field(capturing, field, value):
    response = capture(capturing, **{field: value})
    assert response.status_code == 422
    assert field in response.json["error"]["details"] or any(field in key for key in response.json["error"]["details"])


def test_capture_caps_long_text_and_refuses_when_off(app, shop):
    assert capture(shop).status_code == 409
    set_abandoned(app, shop, capture_enabled=True)
    response = capture(shop, name="ন" * 400, address="a" * 1000)
    stored = row(app, response.json["id"])
    assert len(stored["name"]) == 200 and len(stored["address"]) == 500


def test_abandoned_after_the_shops_delay_only(app, capturing):
    checkout_id = capture(capturing).json["id"]
    set_abandoned(app, capturing, abandon_after_minutes=30)
    assert run(app, service.mark_abandoned, 29) == 0
    assert row(app, checkout_id)["status"] == "open"
    assert run(app, service.mark_abandoned, 31) == 1
    assert row(app, checkout_id)["status"] == "abandoned"
    # a later capture of a closed or abandoned checkout keeps the status
    capture(capturing)
    assert row(app, checkout_id)["status"] == "abandoned"


@pytest.mark.parametrize("status", ["processing", "on-hold", "pending"])
def test_a_cod_or_on_hold_order_is_an_order_not_an_abandoned_cart(app, capturing, status):
    checkout_id = capture(capturing).json["id"]
    place_order(capturing, 501, status)
    assert row(app, checkout_id)["status"] == "ordered"
    assert row(app, checkout_id)["wc_order_id"] == 501
    assert run(app, service.mark_abandoned, 24 * 60) == 0
    assert row(app, checkout_id)["status"] == "ordered"


@pytest.mark.parametrize("status", ["processing", "on-hold"])
def test_an_order_after_abandonment_recovers(app, capturing, status):
    checkout_id = capture(capturing).json["id"]
    run(app, service.mark_abandoned, 120)
    place_order(capturing, 777, status, minutes=130)
    stored = row(app, checkout_id)
    assert stored["status"] == "recovered" and stored["wc_order_id"] == 777 and stored["closed_at"] is not None


@pytest.mark.parametrize("status", ["failed", "cancelled", "checkout-draft"])
def test_failed_cancelled_and_draft_orders_do_not_close(app, capturing, status):
    checkout_id = capture(capturing).json["id"]
    place_order(capturing, 900, status)
    assert row(app, checkout_id)["status"] == "open"
    run(app, service.mark_abandoned, 120)
    assert row(app, checkout_id)["status"] == "abandoned"


def test_an_order_of_another_phone_or_before_the_checkout_does_not_close(app, capturing):
    checkout_id = capture(capturing).json["id"]
    place_order(capturing, 901, "processing", phone="01811234567")
    place_order(capturing, 902, "processing", minutes=-60)
    assert row(app, checkout_id)["status"] == "open"


def test_an_order_the_sync_stored_first_is_seen_by_the_abandon_step(app, capturing):
    """The shopper ordered, then a late capture of the same phone came in: never abandoned."""
    place_order(capturing, 950, "processing", minutes=0)
    checkout_id = capture(capturing, key="late" * 8).json["id"]
    run(app, service.mark_abandoned, 120)
    assert row(app, checkout_id)["status"] == "ordered"


def test_lost_after_n_days(app, capturing):
    checkout_id = capture(capturing).json["id"]
    set_abandoned(app, capturing, lost_after_days=3)
    run(app, service.mark_abandoned, 120)
    assert run(app, service.mark_lost, 2 * 24 * 60) == 0
    assert run(app, service.mark_lost, 3 * 24 * 60 + 180) == 1
    assert row(app, checkout_id)["status"] == "lost"
    assert KEY  # the key is per session: a new session is a new row


def test_the_scheduled_job_moves_each_shop_in_its_own_run(app, capturing, make_shop):
    """Per shop (issue 19): the job lists the shops with checkouts to follow, and one shop's run
    marks that shop's checkouts only."""
    other = make_shop("https://shop-b.example.com")
    set_abandoned(app, other, capture_enabled=True)
    mine, theirs = capture(capturing).json["id"], capture(other).json["id"]
    with app.app_context():
        assert service.sites_with_checkouts_to_follow() == sorted([capturing.site_id, other.site_id])
    run(app, lambda now: service.mark_abandoned(now, site_id=other.site_id), 24 * 60)
    assert row(app, theirs)["status"] == "abandoned" and row(app, mine)["status"] == "open"
    run(app, lambda now: service.mark_lost(now, site_id=other.site_id), 60 * 24 * 60)
    assert row(app, theirs)["status"] == "lost"
    with app.app_context():
        assert service.sites_with_checkouts_to_follow() == [capturing.site_id]
