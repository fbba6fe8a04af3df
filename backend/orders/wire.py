"""An order as WooCommerce's REST API (wc/v3) sends it, read into what the read model stores:
every field checked (a bad one is named in `InvalidOrder`), money in exact decimals, times in
UTC, the phone normalised, the courier and attribution metadata picked out. The same reading
serves every path an order arrives by (push event, backfill page, reconciliation pull)."""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import orjson

from backend.districts import district_name
from backend.integrations.woocommerce import parse_wc_time
from backend.orders.models import EXCLUDED_STATUSES
from backend.phones import InvalidPhone, normalise_phone

CENT = Decimal("0.01")
ATTRIBUTION_META = {
    "_wc_order_attribution_source_type": "source_type",
    "_wc_order_attribution_utm_source": "utm_source",
    "_wc_order_attribution_utm_medium": "utm_medium",
    "_wc_order_attribution_utm_campaign": "utm_campaign",
    "_wc_order_attribution_referrer": "referrer",
}
# click ids the plugin captures from the landing URL at checkout (WooCommerce's attribution
# keeps UTM tags only; wp-plugin/includes/class-bikri-click-ids.php). The plugin keeps the last
# click only; should an order carry several, the first present here names the network for D11.
CLICK_ID_META = {"_bikri_fbclid": "facebook", "_bikri_gclid": "google", "_bikri_ttclid": "tiktok",
                 "_bikri_msclkid": "microsoft"}

# the billing fields read, all strings in wc/v3 (an unset one may come as null from the export)
BILLING_STRINGS = ("first_name", "last_name", "address_1", "address_2", "city", "state", "email", "phone")


class InvalidOrder(ValueError):
    """The order JSON cannot be stored; the message names the field."""


@dataclass
class NormalOrder:
    wc_id: int
    modified: datetime
    values: dict
    items: list = field(default_factory=list)
    customer_name: str | None = None


# --- reading WooCommerce's JSON ------------------------------------------------------------

def _text(value, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


JSON_KIND = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}


def _string(value, name: str, limit: int) -> str | None:
    """A field WooCommerce sends as a string (or null). Anything else is refused, naming the
    field: a list stored as its Python text ("['checkout']") would pass for data."""
    if value is not None and not isinstance(value, str):
        raise InvalidOrder(f"{name}: a string expected, got {JSON_KIND.get(type(value), type(value).__name__)}: {value!r}")
    return _text(value, limit)


def _absent(value, name: str, required: bool) -> bool:
    if value not in (None, ""):
        return False
    if required:
        raise InvalidOrder(f"{name}: missing")
    return True


def _money(value, name: str, *, number: bool = False) -> Decimal:
    """An amount. WooCommerce sends money as strings ("1250.00"), except `number=True` fields
    (a line's price), which it sends as a JSON number; the other kind is refused."""
    if _absent(value, name, False):
        return Decimal("0.00")
    if not number and not isinstance(value, str):
        raise InvalidOrder(f"{name}: a string expected, got {JSON_KIND.get(type(value), type(value).__name__)}: {value!r}")
    if isinstance(value, bool):
        raise InvalidOrder(f"{name}: not an amount of money: {value!r}")
    if isinstance(value, float):
        value = repr(value)  # the shortest text that is this float: 449.5, not 449.49999…
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise InvalidOrder(f"{name}: not an amount of money: {value!r}") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise InvalidOrder(f"{name}: amount out of range: {value!r}")
    return amount


def _int(value, name: str, *, required: bool = False) -> int | None:
    if _absent(value, name, required):
        return None
    if isinstance(value, bool):
        raise InvalidOrder(f"{name}: a whole number expected, got {value!r}")
    try:
        number = int(Decimal(str(value)))
    except (InvalidOperation, ValueError, OverflowError):  # OverflowError: "Infinity"
        raise InvalidOrder(f"{name}: a whole number expected, got {value!r}") from None
    if not -2**62 < number < 2**62:
        raise InvalidOrder(f"{name}: out of range")
    return number


def _time(value, name: str, *, required: bool = False) -> datetime | None:
    if _absent(value, name, required):
        return None
    _string(value, name, 40)
    try:
        return parse_wc_time(value)
    except (TypeError, ValueError):
        raise InvalidOrder(f"{name}: not a date and time (YYYY-MM-DDTHH:MM:SS, GMT): {value!r}") from None


def _object(value, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidOrder(f"{name}: an object expected")
    return value


# the meta the order desk puts on the orders it creates (backend/desk/service.py, woocommerce_payload)
DESK_SOURCE_META, DESK_SOURCE = "_bikri_source", "order-desk"


def desk_discount(values: dict, items: list) -> Decimal:
    """The discounts of an order made on the desk's manual-order form. The desk sends them to
    WooCommerce as negative fee lines (its total is then exactly the one the shop saw), so
    WooCommerce's discount_total, which counts coupons only, says 0. They are read here as what
    the lines, shipping and tax come to beyond the order's total: the plugin's export carries no
    fee lines, and wc/v3's answer and the export must store the same order alike (see
    `content_hash`). A charge added to such an order later as a positive fee nets against it."""
    lines = sum((i["total"] for i in items), Decimal("0.00"))
    return max(Decimal("0.00"), lines + values["shipping_total"] + values["total_tax"] - values["total"])


def content_hash(values: dict, items: list) -> str:
    """Hash of what the read model stores for an order (its columns and items), not of the JSON
    it came in: wc/v3 and the plugin's export send different shapes of the same order, and
    switching a shop from one path to the other must not rewrite every order nor make an
    equal-time copy look different. The modification time is left out: an order saved again
    with nothing we keep changed (a note, a meta field) moves only its time (see `upsert_normalised`)."""
    canonical = orjson.dumps([{k: v for k, v in values.items() if k != "date_modified_gmt"}, items], default=str)
    return hashlib.sha1(canonical).hexdigest()


def normalise_order(order) -> NormalOrder:
    """wc/v3 order JSON → the read model's columns; InvalidOrder names what is wrong.

    Checked by hand, field by field: it runs for every order of a backfill, and a marshmallow
    schema of the same wire format took over twice as long (see `_string` for the rule)."""
    if not isinstance(order, dict):
        raise InvalidOrder("order: a JSON object expected")
    wc_id = _int(order.get("id"), "order.id", required=True)
    if wc_id <= 0:
        raise InvalidOrder("order.id: must be positive")
    status = _string(order.get("status"), "order.status", 40)
    if not status:
        raise InvalidOrder("order.status: missing")
    created = _time(order.get("date_created_gmt"), "order.date_created_gmt", required=True)
    modified = _time(order.get("date_modified_gmt"), "order.date_modified_gmt") or created
    billing = _billing_columns(order.get("billing"))
    from_desk, click_source, attribution = _from_meta(order.get("meta_data") or [])
    refund_rows = _refund_rows(order.get("refunds") or [])
    items = _line_items(order.get("line_items") or [])
    values = {
        "wc_id": wc_id,
        "number": _string(order.get("number"), "order.number", 40) or str(wc_id),
        "status": status,
        "excluded_from_sales": status in EXCLUDED_STATUSES,
        "currency": _string(order.get("currency"), "order.currency", 8),
        "total": _money(order.get("total"), "order.total"),
        "subtotal": sum((i["subtotal"] for i in items), Decimal("0.00")),
        "discount_total": _money(order.get("discount_total"), "order.discount_total"),
        "shipping_total": _money(order.get("shipping_total"), "order.shipping_total"),
        "total_tax": _money(order.get("total_tax"), "order.total_tax"),
        "refunded_total": sum((Decimal(amount) for _id, amount, _when in refund_rows), Decimal("0.00")),
        "refunds": orjson.dumps(refund_rows).decode(),
        "click_source": click_source,
        "payment_method": _string(order.get("payment_method"), "order.payment_method", 100),
        "payment_method_title": _string(order.get("payment_method_title"), "order.payment_method_title", 200),
        "created_via": _string(order.get("created_via"), "order.created_via", 60),
        "wc_customer_id": _int(order.get("customer_id"), "order.customer_id"),
        **billing,  # billing_name ... district, in this place: the key order is part of `content_hash`
        "customer_note": _string(order.get("customer_note"), "order.customer_note", 5000),
        **{column: attribution.get(column) for column in ATTRIBUTION_META.values()},
        "date_created_gmt": created,
        "date_modified_gmt": modified,
        "date_paid_gmt": _time(order.get("date_paid_gmt"), "order.date_paid_gmt"),
        "date_completed_gmt": _time(order.get("date_completed_gmt"), "order.date_completed_gmt"),
        "deleted_at": None,
    }
    if from_desk:
        values["discount_total"] += desk_discount(values, items)
    values["content_hash"] = content_hash(values, items)
    return NormalOrder(wc_id, modified, values, items, billing["billing_name"])


def _billing_columns(value) -> dict:
    """The order's billing_* columns, its phone as a customer is recognised by, and its district."""
    billing = _object(value, "order.billing")
    billing = {**billing, **{key: _string(billing.get(key), f"order.billing.{key}", 500) for key in BILLING_STRINGS}}
    raw_phone = _text(billing.get("phone"), 60)
    try:
        phone = normalise_phone(raw_phone) if raw_phone else None
    except InvalidPhone:
        phone = None  # kept as typed in billing_phone; no customer to recognise
    return {
        "billing_name": _text(" ".join(p for p in (str(billing.get("first_name") or "").strip(),
                                                   str(billing.get("last_name") or "").strip()) if p), 200),
        "billing_phone": raw_phone,
        "phone": phone,
        "billing_email": _text(billing.get("email"), 254),
        "billing_address": _text(", ".join(p for p in (str(billing.get("address_1") or "").strip(),
                                                       str(billing.get("address_2") or "").strip()) if p), 500),
        "billing_city": _text(billing.get("city"), 100),
        "billing_state": _text(billing.get("state"), 100),
        "district": _text(district_name(_text(billing.get("state"), 100)), 100),
    }


def _from_meta(meta) -> tuple[bool, str | None, dict]:
    """(made on the order desk, the ad click it came from, the attribution columns) from meta_data."""
    if not isinstance(meta, list):
        raise InvalidOrder("order.meta_data: a list expected")
    from_desk, click_source, attribution = False, None, {}
    for entry in meta:
        if isinstance(entry, dict) and entry.get("key") == DESK_SOURCE_META and entry.get("value") == DESK_SOURCE:
            from_desk = True
        if isinstance(entry, dict) and entry.get("key") in ATTRIBUTION_META:
            attribution[ATTRIBUTION_META[entry["key"]]] = _text(entry.get("value"), 500 if entry["key"].endswith("referrer") else 200)
        elif isinstance(entry, dict) and entry.get("key") in CLICK_ID_META and _text(entry.get("value"), 500):
            click_source = click_source or CLICK_ID_META[entry["key"]]
    return from_desk, click_source, attribution


def _refund_rows(refunds) -> list[list]:
    """[id, amount, time] per refund. wc/v3 lists each refund with a negative total; a refund is
    money back whatever the sign. Its time comes only where the sender has it (the plugin's
    export); the upsert dates the rest by the version that brought them (versions.date_refunds)."""
    if not isinstance(refunds, list):
        raise InvalidOrder("order.refunds: a list expected")
    rows = []
    for n, r in enumerate(refunds):
        r = r if isinstance(r, dict) else {}
        when = _time(r.get("date_created_gmt"), f"order.refunds[{n}].date_created_gmt")
        rows.append([_int(r.get("id"), f"order.refunds[{n}].id"),
                     str(abs(_money(r.get("total"), f"order.refunds[{n}].total"))),
                     when.isoformat() if when else None])
    return rows


def _line_items(line_items) -> list[dict]:
    if not isinstance(line_items, list):
        raise InvalidOrder("order.line_items: a list expected")
    items = []
    for index, item in enumerate(line_items):
        where = f"order.line_items[{index}]"
        if not isinstance(item, dict):
            raise InvalidOrder(f"{where}: an object expected")
        items.append({
            "wc_item_id": _int(item.get("id"), f"{where}.id"),
            "product_id": _int(item.get("product_id"), f"{where}.product_id"),
            "variation_id": _int(item.get("variation_id"), f"{where}.variation_id"),
            "name": _string(item.get("name"), f"{where}.name", 400) or "",
            "sku": _string(item.get("sku"), f"{where}.sku", 100),
            "quantity": _int(item.get("quantity"), f"{where}.quantity") or 0,
            "price": _money(item.get("price"), f"{where}.price", number=True),
            "subtotal": _money(item.get("subtotal"), f"{where}.subtotal"),
            "total": _money(item.get("total"), f"{where}.total"),
        })
    return items


def product_columns(product) -> dict:
    """A wc/v3 product dict read into the `products` columns it sets (`InvalidOrder` names a bad field)."""
    wc_id = _int(product.get("id"), "product.id", required=True)
    return {
        "wc_id": wc_id, "name": _text(product.get("name"), 400) or f"#{wc_id}",
        "sku": _text(product.get("sku"), 100), "type": _text(product.get("type"), 40),
        "status": _text(product.get("status"), 40),
        "price": _money(product.get("price"), "product.price") if product.get("price") not in (None, "") else None,
        "stock_status": _text(product.get("stock_status"), 40),
        "stock_quantity": _int(product.get("stock_quantity"), "product.stock_quantity"),
        "date_modified_gmt": _time(product.get("date_modified_gmt"), "product.date_modified_gmt"),
    }
