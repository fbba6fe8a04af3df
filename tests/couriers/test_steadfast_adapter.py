"""The Steadfast adapter against the sandbox over real HTTP: auth, validation, single and bulk
booking with per-item results, status lookups, balance, 429, 5xx, slow answers, dropped answers."""
import time
from decimal import Decimal

import pytest

from backend.integrations.couriers import (
    BookedParcel, ConsignmentNotFound, CourierAuthFailed, CourierRateLimited, CourierTimeout, CourierUnavailable,
    CourierValidationError, DuplicateInvoice, ParcelRequest, courier_class, enabled_couriers, get_courier,
)
from backend.integrations.couriers.base import COURIERS, Courier, register_courier
from backend.sandbox.steadfast import API_KEY, SECRET_KEY


def parcel(invoice="1001", **kw):
    fields = dict(invoice=invoice, recipient_name="Rahima Akter", recipient_phone="+880 1711-234567",
                  recipient_address="House 12, Road 5, Dhanmondi, Dhaka", cod_amount=Decimal("1250"))
    fields.update(kw)
    return ParcelRequest(**fields)


@pytest.fixture
def courier(steadfast):
    return get_courier("steadfast", {"api_key": API_KEY, "secret_key": SECRET_KEY}, base_url=steadfast.url, timeout=2)


def test_registry_offers_steadfast_only():
    assert courier_class("steadfast").enabled
    assert [cls.key for cls in enabled_couriers()] == ["steadfast"]
    with pytest.raises(KeyError):
        courier_class("no-such-courier")


def test_missing_keys_are_refused_before_any_call():
    with pytest.raises(CourierAuthFailed) as refused:
        get_courier("steadfast", {"api_key": "x", "secret_key": "  "})
    assert "Secret key" in refused.value.message


def test_balance_is_exact_and_bad_keys_get_auth_failed(courier, steadfast):
    assert courier.validate_credentials() == Decimal("15250.50")
    wrong = get_courier("steadfast", {"api_key": API_KEY, "secret_key": "wrong"}, base_url=steadfast.url)
    with pytest.raises(CourierAuthFailed) as refused:
        wrong.balance()
    assert "API key or secret key" in refused.value.message and not refused.value.retryable


def test_create_sends_steadfasts_fields_and_reads_the_consignment(courier, steadfast):
    booked = courier.create_consignment(parcel(note="Call first", alternative_phone="01811111111", delivery_type="hub"))
    assert isinstance(booked, BookedParcel)
    assert booked.invoice == "1001" and booked.consignment_id and booked.tracking_code
    assert booked.status.status == "in_review" and booked.cod_amount == Decimal("1250")
    stored = steadfast.parcel(booked.consignment_id).fields
    # the local 11-digit form, a whole-taka amount as a JSON integer, hub pick-up as 1
    assert stored["recipient_phone"] == "01711234567" and stored["alternative_phone"] == "01811111111"
    assert stored["cod_amount"] == 1250 and stored["delivery_type"] == 1 and stored["note"] == "Call first"


def test_a_fractional_amount_travels_as_an_exact_string(courier, steadfast):
    booked = courier.create_consignment(parcel(cod_amount=Decimal("99.50")))
    assert steadfast.parcel(booked.consignment_id).fields["cod_amount"] == "99.50"


def test_bad_parcels_are_refused_locally_with_owner_words(courier, steadfast):
    with pytest.raises(CourierValidationError) as refused:
        courier.create_consignment(parcel(invoice="order #7", recipient_phone="0171123", recipient_address=" ",
                                          cod_amount=Decimal("-5"), recipient_name="x" * 101))
    errors = refused.value.field_errors
    assert set(errors) == {"invoice", "recipient_phone", "recipient_address", "cod_amount", "recipient_name"}
    assert "11 digits" in errors["recipient_phone"][0] and "has 7" in errors["recipient_phone"][0]
    assert "at most 100" in errors["recipient_name"][0]
    assert steadfast.calls == {}  # nothing was sent


def test_float_amounts_are_refused(courier):
    with pytest.raises(CourierValidationError) as refused:
        courier.create_consignment(parcel(cod_amount=12.5))
    assert "cod_amount" in refused.value.field_errors


def test_steadfasts_own_validation_answer_is_read(courier, steadfast, monkeypatch):
    # Skip our checks to see Steadfast's: an address over its limit comes back field by field.
    monkeypatch.setattr(type(courier), "parcel_errors", lambda self, p: {})
    with pytest.raises(CourierValidationError) as refused:
        courier.create_consignment(parcel(recipient_address="a" * 251))
    assert refused.value.field_errors == {"recipient_address": ["The recipient address may not be greater than 250 characters."]}
    assert not isinstance(refused.value, DuplicateInvoice)


def test_a_repeated_invoice_is_a_duplicate_invoice(courier):
    courier.create_consignment(parcel())
    with pytest.raises(DuplicateInvoice) as refused:
        courier.create_consignment(parcel())
    assert refused.value.field_errors["invoice"] == ["The invoice has already been taken."]


def test_statuses_by_consignment_invoice_and_tracking_code(courier, steadfast):
    booked = courier.create_consignment(parcel())
    assert courier.status_by_consignment_id(booked.consignment_id).status == "in_review"
    steadfast.advance(3600 * 2)
    assert courier.status_by_invoice("1001").status == "pending"
    steadfast.set_status(booked.consignment_id, "delivered_approval_pending")
    status = courier.status_by_tracking_code(booked.tracking_code)
    assert status.status == "delivered_approval_pending" and status.is_approval_pending and not status.is_final
    with pytest.raises(ConsignmentNotFound):
        courier.status_by_invoice("no-such-order")


def test_another_accounts_parcels_are_not_found(courier, steadfast):
    steadfast.add_account("other-key", "other-secret")
    other = get_courier("steadfast", {"api_key": "other-key", "secret_key": "other-secret"}, base_url=steadfast.url)
    booked = other.create_consignment(parcel("OTHER-1"))
    with pytest.raises(ConsignmentNotFound):
        courier.status_by_consignment_id(booked.consignment_id)


def test_bulk_gives_one_result_per_parcel_in_order(courier, steadfast):
    courier.create_consignment(parcel("B-3"))  # booked before: Steadfast refuses it again
    results = courier.create_many([
        parcel("B-1"),
        parcel("B-2", recipient_phone="12345"),   # ours: refused before sending
        parcel("B-3"),                             # Steadfast's: no reason given
        parcel("B-1"),                             # twice in one batch
        parcel("B-4", cod_amount=Decimal("0")),
    ])
    assert [r.invoice for r in results] == ["B-1", "B-2", "B-3", "B-1", "B-4"]
    assert [r.ok for r in results] == [True, False, False, False, True]
    assert results[0].parcel.consignment_id and results[4].parcel.tracking_code
    assert not results[1].attempted and "recipient_phone" in results[1].error.field_errors
    assert results[2].attempted and "without saying why" in results[2].error.message
    assert not results[3].attempted and "twice" in results[3].error.field_errors["invoice"][0]
    assert steadfast.calls["bulk_order"] == 1


def test_bulk_splits_at_500(courier, steadfast):
    results = courier.create_many([parcel(f"S-{n}") for n in range(501)])
    assert all(r.ok for r in results) and steadfast.calls["bulk_order"] == 2


def test_a_failed_bulk_call_reports_every_parcel(courier, steadfast):
    steadfast.fail_next(status=502)
    results = courier.create_many([parcel("F-1"), parcel("F-2")])
    assert all(isinstance(r.error, CourierUnavailable) and r.error.retryable for r in results)


def test_429_carries_retry_after(courier, steadfast):
    steadfast.set_rate(1, burst=1)
    courier.balance()
    with pytest.raises(CourierRateLimited) as limited:
        courier.balance()
    assert limited.value.retryable and 1 <= limited.value.retry_after <= 2


def test_5xx_is_unavailable_and_retryable(courier, steadfast):
    steadfast.fail_next(status=503)
    with pytest.raises(CourierUnavailable) as down:
        courier.balance()
    assert down.value.retryable and down.value.http_status == 503
    assert courier.balance() == Decimal("15250.50")  # back again


def test_a_slow_answer_times_out_as_retryable(courier, steadfast):
    courier.timeout = 0.3
    steadfast.slow_next(1.0)
    started = time.monotonic()
    with pytest.raises(CourierTimeout) as slow:
        courier.balance()
    assert slow.value.retryable and time.monotonic() - started < 0.9


def test_a_dropped_answer_after_creating_leaves_the_parcel_findable_by_invoice(courier, steadfast):
    steadfast.drop_next_create()
    with pytest.raises(CourierUnavailable) as dropped:
        courier.create_consignment(parcel("DROP-1"))
    assert dropped.value.retryable
    # what booking must do next: look the invoice up instead of booking again
    assert courier.status_by_invoice("DROP-1").status == "in_review"
    with pytest.raises(DuplicateInvoice):
        courier.create_consignment(parcel("DROP-1"))
    assert len([p for p in steadfast.parcels.values() if p.invoice == "DROP-1"]) == 1


def test_switched_off_couriers_are_not_offered():
    @register_courier
    class Parcelwala(Courier):
        key, name, enabled = "parcelwala", "Parcelwala", False

    try:
        assert "parcelwala" not in [cls.key for cls in enabled_couriers()]
    finally:
        del COURIERS["parcelwala"]
