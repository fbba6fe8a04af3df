"""Courier adapters. Callers look one up with `get_courier(key, credentials)`; only couriers
whose class says `enabled = True` are offered to shops (C9)."""
from backend.integrations.couriers.base import (  # noqa: F401
    APPROVAL_PENDING_STATUSES, COURIERS, FINAL_STATUSES, STATUSES, BookedParcel, BulkItemResult, ConsignmentNotFound,
    Courier, CourierAuthFailed, CourierError, CourierHistory, CourierRateLimited, CourierTimeout, CourierUnavailable,
    CourierValidationError, DuplicateInvoice, FraudCheckLimitReached, ParcelRequest, TrackedStatus, courier_class, enabled_couriers, get_courier,
)
from backend.integrations.couriers import steadfast  # noqa: F401  (registers itself)
