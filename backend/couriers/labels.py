"""What people read for Bikri's delivery statuses and parcel fields, in their language."""
from flask_babel import lazy_gettext as _l

from backend.integrations.couriers import COURIERS, STATUSES
from backend.labels import register, register_resolver

STATUS_LABELS = {
    "in_review": _l("Waiting for the courier's review"),
    "pending": _l("On the way"),
    "hold": _l("On hold"),
    "delivered_approval_pending": _l("Delivered — awaiting the courier's approval"),
    "partial_delivered_approval_pending": _l("Partly delivered — awaiting the courier's approval"),
    "cancelled_approval_pending": _l("Cancelled — awaiting the courier's approval"),
    "unknown_approval_pending": _l("Unclear — awaiting the courier's approval"),
    "delivered": _l("Delivered"),
    "partial_delivered": _l("Partly delivered"),
    "cancelled": _l("Cancelled (returned to you)"),
    "returned": _l("Returned"),
    "unknown": _l("Unclear — ask the courier's support"),
}
assert set(STATUS_LABELS) == set(STATUSES), "every Bikri status needs a label"

FIELD_LABELS = {
    "api_key": _l("API key"),
    "secret_key": _l("Secret key"),
    "invoice": _l("Order number"),
    "recipient_name": _l("Customer's name"),
    "recipient_phone": _l("Mobile number"),
    "alternative_phone": _l("Other mobile number"),
    "recipient_address": _l("Address"),
    "recipient_email": _l("Email"),
    "cod_amount": _l("Amount to collect"),
    "delivery_type": _l("Delivery"),
    "total_lot": _l("Packets"),
    "default_courier": _l("Default courier"),
    "default_note": _l("Note for the courier"),
    "cod_round_to": _l("Round the amount to collect"),
    "poll_minutes": _l("Check statuses every"),
    "wc_status_map": _l("WooCommerce status"),
}


def status_label(status: str | None) -> str:
    return str(STATUS_LABELS.get(status, status or ""))


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


# The registry (backend/labels.py): parcel statuses and courier names for every template.
register("parcel_status", STATUS_LABELS)
register("courier_field", FIELD_LABELS)
register_resolver("courier", lambda key: getattr(COURIERS.get(key), "name", None))
