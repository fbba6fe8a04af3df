"""Steadfast's customer history look-up (fraud_check) against the sandbox over real HTTP: the
numbers, key casing, no history (404), the daily allowance (429), and a courier that is down."""
import pytest

from backend.integrations.couriers import (
    Courier, CourierHistory, CourierUnavailable, FraudCheckLimitReached, courier_class, get_courier,
)
from backend.sandbox.steadfast import API_KEY, SECRET_KEY


@pytest.fixture
def courier(steadfast):
    return get_courier("steadfast", {"api_key": API_KEY, "secret_key": SECRET_KEY}, base_url=steadfast.url, timeout=2)


def test_history_is_read_whatever_the_form_of_the_number(courier, steadfast):
    steadfast.set_history("01711000000", total=12, delivered=8, cancelled=3)
    assert courier.fraud_check("+880 1711-000000") == CourierHistory(total=12, delivered=8, cancelled=3)
    assert courier.fraud_check("১৭১১০০০০০০") == CourierHistory(total=12, delivered=8, cancelled=3)
    assert steadfast.calls["fraud_check"] == 2


def test_keys_are_read_case_insensitively(courier, steadfast):
    steadfast.set_history("01711000001", total=5, delivered=4, cancelled=1)
    steadfast.fraud_key_style = "capitalised"
    assert courier.fraud_check("01711000001") == CourierHistory(5, 4, 1)


def test_no_history_is_zeros_not_an_error(courier, steadfast):
    steadfast.set_history("01711000002", None)
    assert courier.fraud_check("01711000002") == CourierHistory(0, 0, 0)


def test_unset_numbers_have_a_steady_history(courier, steadfast):
    first = [courier.fraud_check(f"0171100{n:04d}") for n in range(10, 20)]
    assert first == [courier.fraud_check(f"0171100{n:04d}") for n in range(10, 20)]
    assert any(h.total for h in first) and any(h == CourierHistory(0, 0, 0) for h in first)
    assert all(h.delivered + h.cancelled <= h.total for h in first)


def test_the_daily_allowance_runs_out_per_account(courier, steadfast):
    steadfast.fraud_limit = 2
    courier.fraud_check("01711000003")
    courier.fraud_check("01711000004")
    with pytest.raises(FraudCheckLimitReached) as limited:
        courier.fraud_check("01711000005")
    assert limited.value.code == "search_limit" and not limited.value.retryable
    assert "daily allowance" in limited.value.message
    other = steadfast.add_account("second-key", "second-secret")
    assert other.fraud_checks == {}
    fresh = get_courier("steadfast", {"api_key": "second-key", "secret_key": "second-secret"}, base_url=steadfast.url)
    fresh.fraud_check("01711000005")
    steadfast.advance(24 * 3600)  # the next day
    courier.fraud_check("01711000005")


def test_a_courier_that_is_down_is_unavailable_and_worth_retrying(courier, steadfast):
    steadfast.fail_next(1, status=503)
    with pytest.raises(CourierUnavailable) as down:
        courier.fraud_check("01711000006")
    assert down.value.retryable


def test_only_couriers_with_the_look_up_offer_it():
    class Plain(Courier):
        key = "plain"

    assert courier_class("steadfast").supports_fraud_check()
    assert not Plain.supports_fraud_check()


def test_a_sandbox_in_another_process_is_set_up_over_http(courier, steadfast):
    import requests

    control = steadfast.url.removesuffix("/api/v1") + "/__sandbox__/control"
    answer = requests.post(control, json={"fraud_limit": 1, "histories": {"01711000007": [3, 1, 2], "01711000008": None}},
                           timeout=5)
    assert answer.status_code == 200
    assert courier.fraud_check("01711000007") == CourierHistory(3, 1, 2)
    with pytest.raises(FraudCheckLimitReached):
        courier.fraud_check("01711000008")
