"""Steadfast Courier (Packzy) API v1 — the wire format of ../shared/reference/couriers-sms.md §1.

- Base URL `https://portal.packzy.com/api/v1`; every call carries `Api-Key`, `Secret-Key` and
  `Content-Type: application/json`.
- `POST /create_order` with the fields below → `{"status": 200, "message": ..., "consignment":
  {consignment_id, invoice, tracking_code, ..., "status": "in_review"}}`.
- `POST /create_order/bulk-order` with `{"data": "<JSON-encoded array>"}` (at most 500) → a bare
  JSON array, one item per parcel with `"status": "success"|"error"` and null ids on failure;
  the doc's error example wraps the array in `"data"`, so both shapes are read. Items carry no
  reason (an optional `error` is read when present), so parcels are checked here first.
- `GET /status_by_cid/{id}`, `/status_by_invoice/{invoice}`, `/status_by_trackingcode/{code}`
  → `{"status": 200, "delivery_status": "in_review"}`.
- `GET /get_balance` → `{"status": 200, "current_balance": 0}`.
- `GET /fraud_check/{01XXXXXXXXX}` → `{"status": 200, "total_parcels", "total_delivered",
  "total_cancelled", ...}` across all Steadfast merchants (reference §5; key casing varies, e.g.
  `Total_parcels`, so keys are read case-insensitively). 404 means no history; 429 means the
  account's daily allowance of look-ups (10–20 for standard merchants) is used up.

Errors: the `status` inside the body counts as much as the HTTP code (clients treat a body
status other than 200 as an error). Validation errors come as `{"status": 400, "errors":
{field: [message, ...]}}`; a repeated invoice is such an error on `invoice` ("has already been
taken"). 401 means the keys are wrong, 429 carries `Retry-After`, 5xx means Steadfast is down.

Numbers in answers are read as Decimal, never float. `cod_amount` is sent as a JSON integer
when it is whole taka (almost always), else as a numeric string, so no float ever carries money.
"""
import json
import logging
import re
from datetime import datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests
from flask_babel import gettext as _, lazy_gettext as _l
from requests.adapters import HTTPAdapter

from backend.integrations.couriers.base import (
    CANCELLED, CANCELLED_APPROVAL_PENDING, DELIVERED, DELIVERED_APPROVAL_PENDING, HOLD, IN_REVIEW,
    PARTIAL_DELIVERED, PARTIAL_DELIVERED_APPROVAL_PENDING, PENDING, UNKNOWN, UNKNOWN_APPROVAL_PENDING,
    BookedParcel, BulkItemResult, ConsignmentNotFound, Courier, CourierAuthFailed, CourierError, CourierHistory,
    CourierRateLimited, CourierTimeout, CourierUnavailable, CourierValidationError, DuplicateInvoice, FraudCheckLimitReached,
    ParcelRequest, TrackedStatus, register_courier,
)
from backend.integrations.signals import asking
from backend.money import decimal_or_none
from backend.phones import local_form, normalise_phone

log = logging.getLogger(__name__)

PRODUCTION_BASE_URL = "https://portal.packzy.com/api/v1"

# Steadfast's `delivery_status` → Bikri's status: the one table. Every value Steadfast documents
# is here; anything else is read as "unknown" (not final), with Steadfast's word kept beside it.
STATUS_TABLE = {
    "in_review": IN_REVIEW,
    "pending": PENDING,
    "hold": HOLD,
    "delivered_approval_pending": DELIVERED_APPROVAL_PENDING,
    "partial_delivered_approval_pending": PARTIAL_DELIVERED_APPROVAL_PENDING,
    "cancelled_approval_pending": CANCELLED_APPROVAL_PENDING,
    "unknown_approval_pending": UNKNOWN_APPROVAL_PENDING,
    "delivered": DELIVERED,
    "partial_delivered": PARTIAL_DELIVERED,
    "cancelled": CANCELLED,
    "unknown": UNKNOWN,
}

INVOICE_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_NAME, MAX_ADDRESS = 100, 250
DEFAULT_RETRY_AFTER = 60

# One connection pool per process, wide enough for the poller's parallel status checks.
_http = requests.Session()
_http.mount("https://", HTTPAdapter(pool_connections=8, pool_maxsize=64))
_http.mount("http://", HTTPAdapter(pool_connections=8, pool_maxsize=64))


def map_status(raw) -> TrackedStatus:
    """Steadfast's word → Bikri's status. Case and spaces vary (webhooks send lower case,
    the doc's example "Delivered"), so the word is normalised before the lookup."""
    word = str(raw or "").strip()
    status = STATUS_TABLE.get(word.lower().replace(" ", "_"))
    if status is None:
        log.warning("Steadfast sent an undocumented delivery_status %r; kept as unknown", word)
        status = UNKNOWN
    return TrackedStatus(status, word)


def _wire_amount(amount: Decimal):
    amount = Decimal(amount)
    return int(amount) if amount == amount.to_integral_value() else f"{amount.quantize(Decimal('0.01')):f}"


def _retry_after(response) -> int:
    value = (response.headers.get("Retry-After") or "").strip()
    seconds = DEFAULT_RETRY_AFTER
    if value.isdigit():
        seconds = int(value)
    elif value:
        try:
            seconds = int((parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            pass
    return min(max(seconds, 1), 3600)


def _body_status(data) -> int | None:
    if not isinstance(data, dict):
        return None
    try:
        return int(data.get("status"))
    except (TypeError, ValueError):
        return None


@register_courier
class Steadfast(Courier):
    key = "steadfast"
    name = "Steadfast"
    logo = "steadfast.svg"
    enabled = True
    credential_fields = (("api_key", _l("API key"), False), ("secret_key", _l("Secret key"), True))
    default_base_url = PRODUCTION_BASE_URL
    max_bulk = 500
    # Steadfast publishes no limit and none has been observed (reference §1.5). Five a second
    # per account keeps a shop with a few thousand parcels in transit within a poll interval;
    # operators change it with BIKRI_STEADFAST_RATE, and a 429 slows us down by itself.
    requests_per_second = 5.0

    # -- transport ------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: dict | None = None):
        headers = {"Api-Key": self.credentials["api_key"], "Secret-Key": self.credentials["secret_key"],
                   "Content-Type": "application/json", "Accept": "application/json"}
        data = json.dumps(body) if body is not None else None
        # A GET may be sent again when a pooled connection turned out to be closed; a POST never
        # is: it may have reached Steadfast, and only a lookup by invoice can tell.
        attempts = 2 if method == "GET" else 1
        for attempt in range(attempts):
            asking.send(self.name)
            try:
                response = _http.request(method, self.base_url + path, data=data, headers=headers, timeout=self.timeout)
                break
            except requests.Timeout as error:
                raise CourierTimeout(_("Steadfast did not answer within %(seconds)s seconds. Try again in a few minutes.",
                                       seconds=int(self.timeout))) from error
            except requests.ConnectionError as error:
                if attempt + 1 < attempts:
                    continue
                raise CourierUnavailable(_("Steadfast could not be reached. Try again in a few minutes.")) from error
        return self._read(response)

    def _read(self, response):
        code = response.status_code
        if code == 429:
            retry_after = _retry_after(response)
            raise CourierRateLimited(_("Steadfast asks us to slow down; trying again in %(seconds)s seconds.",
                                       seconds=retry_after), retry_after=retry_after, http_status=429)
        if code in (401, 403):
            raise CourierAuthFailed(_("Steadfast refused the API key or secret key. Copy both again from the "
                                      "Steadfast portal and save them."), http_status=code)
        if code >= 500:
            raise CourierUnavailable(_("Steadfast is not working right now (error %(code)s). Try again in a few minutes.",
                                       code=code), http_status=code)
        try:
            data = response.json(parse_float=Decimal)
        except ValueError:
            raise CourierUnavailable(_("Steadfast answered something we cannot read (HTTP %(code)s). Try again later.",
                                       code=code), http_status=code) from None
        self._raise_for_body(code, data)
        return data

    def _raise_for_body(self, http_status: int, data) -> None:
        if isinstance(data, list):
            return  # the bulk answer: a bare array
        if not isinstance(data, dict):
            raise CourierUnavailable(_("Steadfast answered something we cannot read. Try again later."))
        status = _body_status(data)
        message = str(data.get("message") or data.get("error") or "").strip()
        if http_status == 404 or status == 404:
            raise ConsignmentNotFound(_("Steadfast has no parcel with this reference."), http_status=404)
        if status == 401 or "unauthori" in message.lower() or "unauthenticated" in message.lower():
            raise CourierAuthFailed(_("Steadfast refused the API key or secret key. Copy both again from the "
                                      "Steadfast portal and save them."), http_status=http_status)
        if "not active" in message.lower():
            raise CourierAuthFailed(_("Your Steadfast account is not active. Ask Steadfast to activate it."),
                                    code="account_inactive", http_status=http_status)
        if status == 429:
            raise CourierRateLimited(_("Steadfast asks us to slow down; trying again in %(seconds)s seconds.",
                                       seconds=DEFAULT_RETRY_AFTER), retry_after=DEFAULT_RETRY_AFTER)
        errors = data.get("errors")
        if isinstance(errors, dict) and errors:
            field_errors = {str(name): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
                            for name, messages in errors.items()}
            if any("taken" in m.lower() or "already" in m.lower() or "unique" in m.lower()
                   for m in field_errors.get("invoice", [])):
                raise DuplicateInvoice(_("Steadfast already has a parcel with this order number."),
                                       field_errors=field_errors, http_status=http_status)
            raise CourierValidationError(_("Steadfast refused the parcel. Fix the fields below and try again."),
                                         field_errors=field_errors, http_status=http_status)
        if "invoice" in message.lower() and ("taken" in message.lower() or "already" in message.lower()):
            raise DuplicateInvoice(_("Steadfast already has a parcel with this order number."), http_status=http_status)
        if (status is not None and status != 200) or http_status >= 400:
            raise CourierError(_("Steadfast refused the request: %(reason)s", reason=message or f"status {status or http_status}"),
                               code="refused", http_status=http_status)

    # -- checks ---------------------------------------------------------------------------------
    def parcel_errors(self, parcel: ParcelRequest) -> dict[str, list[str]]:
        errors = super().parcel_errors(parcel)

        def add(name, message):
            errors.setdefault(name, []).append(message)

        invoice = (parcel.invoice or "").strip()
        if invoice and not INVOICE_PATTERN.match(invoice):
            add("invoice", _("Steadfast takes order numbers made of letters, digits, - and _ only; this one is %(invoice)s.",
                             invoice=invoice))
        if len((parcel.recipient_name or "").strip()) > MAX_NAME:
            add("recipient_name", _("Steadfast takes names of at most %(max)s characters; this one has %(n)s.",
                                    max=MAX_NAME, n=len(parcel.recipient_name.strip())))
        if len((parcel.recipient_address or "").strip()) > MAX_ADDRESS:
            add("recipient_address", _("Steadfast takes addresses of at most %(max)s characters; this one has %(n)s. Shorten it.",
                                       max=MAX_ADDRESS, n=len(parcel.recipient_address.strip())))
        if parcel.recipient_email and "@" not in parcel.recipient_email:
            add("recipient_email", _("This email address has no @."))
        return errors

    def _order_fields(self, parcel: ParcelRequest) -> dict:
        fields = {
            "invoice": parcel.invoice.strip(),
            "recipient_name": parcel.recipient_name.strip(),
            "recipient_phone": local_form(normalise_phone(parcel.recipient_phone)),
            "recipient_address": parcel.recipient_address.strip(),
            "cod_amount": _wire_amount(parcel.cod_amount),
            "note": (parcel.note or "").strip(),
            "delivery_type": 1 if parcel.delivery_type == "hub" else 0,
        }
        if parcel.alternative_phone:
            fields["alternative_phone"] = local_form(normalise_phone(parcel.alternative_phone))
        if parcel.recipient_email:
            fields["recipient_email"] = parcel.recipient_email.strip()
        if parcel.item_description:
            fields["item_description"] = parcel.item_description.strip()
        if parcel.total_lot is not None:
            fields["total_lot"] = parcel.total_lot
        return fields

    @staticmethod
    def _booked(item: dict, invoice: str) -> BookedParcel:
        return BookedParcel(
            invoice=str(item.get("invoice") or invoice),
            consignment_id=str(item["consignment_id"]),
            tracking_code=str(item["tracking_code"]) if item.get("tracking_code") else None,
            cod_amount=decimal_or_none(item.get("cod_amount")),
            status=map_status(item.get("status") or "in_review"),
            raw=item,
        )

    # -- the calls ------------------------------------------------------------------------------
    def balance(self) -> Decimal:
        data = self._request("GET", "/get_balance")
        balance = decimal_or_none(data.get("current_balance"))
        if balance is None:
            raise CourierUnavailable(_("Steadfast answered without a balance. Try again later."))
        return balance

    def create_consignment(self, parcel: ParcelRequest) -> BookedParcel:
        self.check_parcel(parcel)
        data = self._request("POST", "/create_order", self._order_fields(parcel))
        consignment = data.get("consignment")
        if not isinstance(consignment, dict) or not consignment.get("consignment_id"):
            # It may exist anyway: the caller looks the invoice up, as after a timeout.
            raise CourierUnavailable(_("Steadfast answered without a consignment id. Check the order number before booking again."))
        return self._booked(consignment, parcel.invoice.strip())

    def create_many(self, parcels: list[ParcelRequest]) -> list[BulkItemResult]:
        results: list[BulkItemResult | None] = [None] * len(parcels)
        to_send: list[tuple[int, ParcelRequest]] = []
        seen: set[str] = set()
        for index, parcel in enumerate(parcels):
            errors = self.parcel_errors(parcel)
            invoice = (parcel.invoice or "").strip()
            if invoice in seen:
                errors.setdefault("invoice", []).append(_("This order number is twice in the batch; it is booked once."))
            if errors:
                results[index] = BulkItemResult(invoice, attempted=False, error=CourierValidationError(
                    _("Some details of this parcel need fixing before Steadfast takes it."), field_errors=errors))
                continue
            seen.add(invoice)
            to_send.append((index, parcel))

        for start in range(0, len(to_send), self.max_bulk):
            chunk = to_send[start:start + self.max_bulk]
            try:
                items = self._bulk_items(self._request("POST", "/create_order/bulk-order", {
                    "data": json.dumps([self._order_fields(parcel) for _index, parcel in chunk]),
                }))
            except CourierError as error:
                # The whole call failed: every parcel in it shares the one reason (after a
                # timeout they may exist; the caller looks each invoice up before retrying).
                for index, parcel in chunk:
                    results[index] = BulkItemResult(parcel.invoice.strip(), error=error)
                continue
            by_invoice = {str(item.get("invoice")): item for item in items if isinstance(item, dict)}
            for index, parcel in chunk:
                invoice = parcel.invoice.strip()
                results[index] = self._bulk_result(invoice, by_invoice.get(invoice))
        return results

    @staticmethod
    def _bulk_items(data) -> list:
        if isinstance(data, list):
            return data
        if isinstance(data.get("data"), list):
            return data["data"]
        raise CourierUnavailable(_("Steadfast answered the bulk booking in a shape we cannot read. "
                                   "Check the orders by their numbers before booking them again."))

    def _bulk_result(self, invoice: str, item: dict | None) -> BulkItemResult:
        if item is None:
            return BulkItemResult(invoice, error=CourierUnavailable(
                _("Steadfast's answer did not mention this parcel. Check it by its order number before booking it again.")))
        if str(item.get("status")).lower() == "success" and item.get("consignment_id"):
            return BulkItemResult(invoice, parcel=self._booked(item, invoice))
        reason = str(item.get("error") or item.get("message") or "").strip()
        message = (_("Steadfast refused this parcel: %(reason)s", reason=reason) if reason else
                   _("Steadfast refused this parcel without saying why. Check the phone number, address and amount, "
                     "and whether this order was booked before."))
        return BulkItemResult(invoice, error=CourierError(message, code="refused"))

    def _status(self, path: str) -> TrackedStatus:
        data = self._request("GET", path)
        if not data.get("delivery_status"):
            raise CourierUnavailable(_("Steadfast answered without a delivery status. Try again later."))
        return map_status(data["delivery_status"])

    def status_by_consignment_id(self, consignment_id: str) -> TrackedStatus:
        return self._status(f"/status_by_cid/{quote(str(consignment_id), safe='')}")

    def status_by_invoice(self, invoice: str) -> TrackedStatus:
        return self._status(f"/status_by_invoice/{quote(str(invoice), safe='')}")

    def status_by_tracking_code(self, tracking_code: str) -> TrackedStatus:
        return self._status(f"/status_by_trackingcode/{quote(str(tracking_code), safe='')}")

    def fraud_check(self, phone: str) -> CourierHistory:
        try:
            data = self._request("GET", f"/fraud_check/{local_form(normalise_phone(phone))}")
        except ConsignmentNotFound:
            return CourierHistory(0, 0, 0)  # Steadfast has never carried a parcel to this number
        except CourierRateLimited as error:
            raise FraudCheckLimitReached(_("Steadfast's daily allowance of customer checks for your account is used up; "
                                           "it starts again tomorrow."), http_status=error.http_status) from error
        values = {str(key).strip().lower(): value for key, value in data.items()} if isinstance(data, dict) else {}
        try:
            delivered, cancelled = int(values["total_delivered"]), int(values["total_cancelled"])
            total = int(values.get("total_parcels", delivered + cancelled))
            if min(total, delivered, cancelled) < 0:
                raise ValueError("a negative count")
        except (KeyError, TypeError, ValueError):
            raise CourierUnavailable(_("Steadfast answered the customer check in a shape we cannot read. Try again later.")) from None
        return CourierHistory(total=max(total, delivered + cancelled), delivered=delivered, cancelled=cancelled)
