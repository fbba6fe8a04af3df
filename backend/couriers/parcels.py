"""The parcel a courier is asked to carry for an order, or what stops it, in a shop owner's
words (C1): phone, address, name and the amount to collect, then the courier's own limits."""
from decimal import Decimal

from flask_babel import gettext as _

from backend.couriers.service import cod_amount_for
from backend.integrations.couriers.base import ParcelRequest
from backend.orders.models import Order
from backend.phones import InvalidPhone, normalise_phone

PAID_LATER = ("cod", "", None)


def order_label(order) -> str:
    return f"#{order.number or order.wc_id}"


def invoice_of(order: Order) -> str:
    """The order's key at the courier: its WooCommerce order number."""
    return str(order.number or order.wc_id).strip()


FIELD_WORDS = {
    "recipient_phone": "phone number", "recipient_address": "address", "recipient_name": "customer's name",
    "cod_amount": "amount to collect", "invoice": "order number", "note": "note", "alternative_phone": "second phone",
}


def _address(order: Order) -> str:
    parts = [order.billing_address, order.billing_city, order.district]
    seen, out = set(), []
    for part in parts:
        part = (part or "").strip()
        if part and part.lower() not in seen:
            seen.add(part.lower())
            out.append(part)
    return ", ".join(out)


def parcel_for(order: Order, settings, note: str | None, courier) -> tuple[ParcelRequest | None, dict]:
    """The parcel for an order, or the field errors that stop it (in a shop owner's words)."""
    errors: dict[str, list[str]] = {}
    label = order_label(order)
    try:
        phone = normalise_phone(order.billing_phone)
    except InvalidPhone:
        phone = order.billing_phone or ""
        errors["recipient_phone"] = [
            _("Order %(order)s: the phone number “%(phone)s” is not a Bangladeshi mobile number. Correct it in the "
              "order, then book again.", order=label, phone=order.billing_phone or "")
            if order.billing_phone else _("Order %(order)s has no phone number; the rider needs one.", order=label)]
    address = _address(order)
    if not (order.billing_address or "").strip():
        errors["recipient_address"] = [_("Order %(order)s has no delivery address. Add it to the order, then book "
                                         "again.", order=label)]
    if not (order.billing_name or "").strip():
        errors["recipient_name"] = [_("Order %(order)s has no customer name.", order=label)]
    paid_online = order.payment_method not in PAID_LATER and order.date_paid_gmt is not None
    total = Decimal(order.total or 0) - Decimal(order.refunded_total or 0)
    cod = cod_amount_for(settings, total, paid_online=paid_online)
    if cod < 0:
        errors["cod_amount"] = [_("Order %(order)s: the amount to collect would be below 0 taka.", order=label)]
    if errors:
        return None, errors
    parcel = ParcelRequest(invoice=invoice_of(order), recipient_name=order.billing_name.strip()[:100],
                           recipient_phone=phone, recipient_address=address[:250], cod_amount=cod,
                           note=(note if note is not None else (settings.default_note or ""))[:250],
                           delivery_type=settings.delivery_type or "home")
    for name, messages in courier.parcel_errors(parcel).items():
        errors[name] = [_("Order %(order)s, %(field)s: %(message)s", order=label,
                          field=FIELD_WORDS.get(name, name), message=m) for m in messages]
    return (None, errors) if errors else (parcel, {})
