"""The one interface every courier adapter offers, the errors it raises, and the registry.

Adapters take plain data (a `ParcelRequest`, an id) and return plain data (`BookedParcel`,
`TrackedStatus`, `BulkItemResult`); they never touch the database or Flask's request. The
service around them stores results and commits.

Error contract, the same for every courier:
- `CourierAuthFailed`: the keys are wrong or the account is off. Retrying cannot help.
- `CourierValidationError`: the parcel is wrong; `field_errors` says which field and what to
  fix, in words a shop owner understands. `DuplicateInvoice` is the case "this invoice was
  booked before" — the caller looks the invoice up instead of booking again.
- `CourierRateLimited`: slow down; `retry_after` seconds.
- `CourierUnavailable` (and `CourierTimeout`): the courier is down, slow or answered
  nonsense. `retryable` is true. After one of these on a *create*, the parcel may or may not
  exist at the courier: look the invoice up before creating again.
- `ConsignmentNotFound`: the courier does not know this id, invoice or tracking code.
- `FraudCheckLimitReached` (a `CourierRateLimited`): the account's daily allowance of customer
  history look-ups is used up; asking again today cannot help.

Messages go through gettext: in a request they come out in the user's language, elsewhere
(jobs, tests) in English.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from backend.phones import InvalidPhone, normalise_phone

# --- Bikri's delivery statuses ------------------------------------------------------------------
# Every courier's own statuses map onto these. The `*_approval_pending` ones are what Steadfast
# reports before its staff confirm an outcome: shown as such, never treated as final.
IN_REVIEW = "in_review"
PENDING = "pending"
HOLD = "hold"
DELIVERED_APPROVAL_PENDING = "delivered_approval_pending"
PARTIAL_DELIVERED_APPROVAL_PENDING = "partial_delivered_approval_pending"
CANCELLED_APPROVAL_PENDING = "cancelled_approval_pending"
UNKNOWN_APPROVAL_PENDING = "unknown_approval_pending"
DELIVERED = "delivered"
PARTIAL_DELIVERED = "partial_delivered"
CANCELLED = "cancelled"
RETURNED = "returned"
UNKNOWN = "unknown"

STATUSES = (
    IN_REVIEW, PENDING, HOLD,
    DELIVERED_APPROVAL_PENDING, PARTIAL_DELIVERED_APPROVAL_PENDING, CANCELLED_APPROVAL_PENDING, UNKNOWN_APPROVAL_PENDING,
    DELIVERED, PARTIAL_DELIVERED, CANCELLED, RETURNED, UNKNOWN,
)
# Once a parcel is here, nothing a courier says later moves it (money has been settled).
FINAL_STATUSES = frozenset({DELIVERED, PARTIAL_DELIVERED, CANCELLED, RETURNED})
APPROVAL_PENDING_STATUSES = frozenset({
    DELIVERED_APPROVAL_PENDING, PARTIAL_DELIVERED_APPROVAL_PENDING, CANCELLED_APPROVAL_PENDING, UNKNOWN_APPROVAL_PENDING,
})


@dataclass(frozen=True)
class TrackedStatus:
    """A courier's answer about one parcel: Bikri's status plus the courier's own word for it."""

    status: str
    courier_status: str

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_approval_pending(self) -> bool:
        return self.status in APPROVAL_PENDING_STATUSES


# --- what goes to a courier and what comes back --------------------------------------------------

DELIVERY_TYPES = ("home", "hub")  # to the door, or picked up at the courier's point/hub


@dataclass(frozen=True)
class ParcelRequest:
    """One parcel to book. `invoice` is the shop's order number: couriers refuse a repeated
    one, which is what makes booking safe to retry. Phones may be in any form the shopper
    typed; the adapter renders the one its courier wants."""

    invoice: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    cod_amount: Decimal
    note: str = ""
    item_description: str = ""
    alternative_phone: str = ""
    recipient_email: str = ""
    total_lot: int | None = None
    delivery_type: str = "home"


@dataclass(frozen=True)
class BookedParcel:
    """A consignment the courier has created: store `consignment_id` and `tracking_code`."""

    invoice: str
    consignment_id: str
    tracking_code: str | None
    cod_amount: Decimal | None
    status: TrackedStatus
    raw: dict = field(default_factory=dict, repr=False)


# --- errors -------------------------------------------------------------------------------------

class CourierError(Exception):
    code = "courier_error"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None, retryable: bool | None = None,
                 retry_after: int | None = None, field_errors: dict | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after
        self.field_errors = field_errors or {}
        self.http_status = http_status

    def __repr__(self):
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class CourierAuthFailed(CourierError):
    code = "auth_failed"


class CourierValidationError(CourierError):
    code = "validation_error"


class DuplicateInvoice(CourierValidationError):
    code = "duplicate_invoice"


class CourierRateLimited(CourierError):
    code = "rate_limited"
    retryable = True


class FraudCheckLimitReached(CourierRateLimited):
    code = "search_limit"
    retryable = False


class CourierUnavailable(CourierError):
    code = "unavailable"
    retryable = True


class CourierTimeout(CourierUnavailable):
    code = "timeout"


class ConsignmentNotFound(CourierError):
    code = "not_found"


@dataclass(frozen=True)
class CourierHistory:
    """What a courier knows of a phone number across all its merchants (a fraud check): parcels
    sent to it, delivered, and cancelled (returned to the merchant). No history is all zeros."""

    total: int
    delivered: int
    cancelled: int


@dataclass(frozen=True)
class BulkItemResult:
    """One parcel of a bulk booking. `attempted` is False when the parcel was refused before
    anything was sent (it failed our checks, or repeated an invoice of the same batch)."""

    invoice: str
    parcel: BookedParcel | None = None
    error: CourierError | None = None
    attempted: bool = True

    @property
    def ok(self) -> bool:
        return self.parcel is not None


# --- checks every courier shares ---------------------------------------------------------------

def common_parcel_errors(parcel: ParcelRequest) -> dict[str, list[str]]:
    """What no courier accepts: the checks say what to fix, field by field."""
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if not (parcel.invoice or "").strip():
        add("invoice", _("The order number is missing."))
    if not (parcel.recipient_name or "").strip():
        add("recipient_name", _("Write the customer's name."))
    if not (parcel.recipient_address or "").strip():
        add("recipient_address", _("Write the delivery address."))
    try:
        normalise_phone(parcel.recipient_phone)
    except InvalidPhone as error:
        add("recipient_phone", str(error))
    if parcel.alternative_phone:
        try:
            normalise_phone(parcel.alternative_phone)
        except InvalidPhone as error:
            add("alternative_phone", str(error))
    amount = parcel.cod_amount
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int)) or isinstance(amount, bool):
        add("cod_amount", _("The amount to collect must be a number of taka."))
    elif not Decimal(amount).is_finite() or amount < 0:
        add("cod_amount", _("The amount to collect cannot be below 0 (0 means already paid)."))
    elif Decimal(amount) != Decimal(amount).quantize(Decimal("0.01")):
        add("cod_amount", _("The amount to collect has more than two decimals."))
    if parcel.delivery_type not in DELIVERY_TYPES:
        add("delivery_type", _("Choose home delivery or pick-up at the courier's point."))
    if parcel.total_lot is not None and (not isinstance(parcel.total_lot, int) or parcel.total_lot < 1):
        add("total_lot", _("The number of packets must be 1 or more."))
    return errors


# --- the base class and the registry --------------------------------------------------------------

class Courier:
    """Base class. `key` is what rows store and the registry is keyed by; `name` is for people.

    `enabled` is the switch of C9: a courier whose adapter exists but is not switched on is
    not offered anywhere (pages, API) until it is set True here.
    """

    key: str = ""
    name: str = ""
    logo: str = ""  # file under backend/couriers/static/logos/
    enabled: bool = False
    # (field, label, secret): what the shop owner types to connect; every one is stored encrypted,
    # and `secret` ones are never shown back, not even masked.
    credential_fields: tuple[tuple[str, str, bool], ...] = ()
    default_base_url: str = ""
    # How many parcels one bulk call may carry.
    max_bulk: int = 100
    # Requests per second we allow ourselves per account when nothing else is configured.
    requests_per_second: float = 1.0

    def __init__(self, credentials: dict, *, base_url: str | None = None, timeout: float = 20.0):
        missing = [str(label) for name, label, _secret in self.credential_fields if not (credentials.get(name) or "").strip()]
        if missing:
            raise CourierAuthFailed(_("Fill in: %(fields)s.", fields=", ".join(missing)), code="credentials_missing")
        self.credentials = {name: credentials[name].strip() for name, _label, _secret in self.credential_fields}
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout

    # -- checks ---------------------------------------------------------------------------------
    def parcel_errors(self, parcel: ParcelRequest) -> dict[str, list[str]]:
        """Field errors found before sending; adapters add their courier's own limits."""
        return common_parcel_errors(parcel)

    def check_parcel(self, parcel: ParcelRequest) -> None:
        errors = self.parcel_errors(parcel)
        if errors:
            raise CourierValidationError(_("Some details of this parcel need fixing before %(courier)s takes it.",
                                           courier=self.name), field_errors=errors)

    # -- the calls ------------------------------------------------------------------------------
    def validate_credentials(self) -> Decimal:
        """Raise CourierAuthFailed when the keys are refused; return the balance when accepted."""
        return self.balance()

    def balance(self) -> Decimal:
        raise NotImplementedError

    def create_consignment(self, parcel: ParcelRequest) -> BookedParcel:
        raise NotImplementedError

    def create_many(self, parcels: list[ParcelRequest]) -> list[BulkItemResult]:
        """One result per parcel, in the order given. One bad parcel never fails the others."""
        raise NotImplementedError

    def status_by_consignment_id(self, consignment_id: str) -> TrackedStatus:
        raise NotImplementedError

    def status_by_invoice(self, invoice: str) -> TrackedStatus:
        raise NotImplementedError

    def status_by_tracking_code(self, tracking_code: str) -> TrackedStatus:
        raise NotImplementedError

    # -- optional: a customer's delivery history (fraud check, F1) ----------------------------------
    def fraud_check(self, phone: str) -> CourierHistory:
        """The courier's history of this phone. Raises FraudCheckLimitReached when the account's
        daily allowance is used up, CourierUnavailable when the courier cannot answer."""
        raise NotImplementedError

    @classmethod
    def supports_fraud_check(cls) -> bool:
        return cls.fraud_check is not Courier.fraud_check


COURIERS: dict[str, type[Courier]] = {}


def register_courier(cls: type[Courier]) -> type[Courier]:
    COURIERS[cls.key] = cls
    return cls


def courier_class(key: str) -> type[Courier]:
    try:
        return COURIERS[key]
    except KeyError:
        raise KeyError(f"no courier {key!r} (known: {', '.join(sorted(COURIERS)) or 'none'})") from None


def get_courier(key: str, credentials: dict, *, base_url: str | None = None, timeout: float = 20.0) -> Courier:
    """The adapter registered under `key`, built with the account's credentials."""
    return courier_class(key)(credentials, base_url=base_url, timeout=timeout)


def enabled_couriers() -> list[type[Courier]]:
    return [cls for cls in COURIERS.values() if cls.enabled]
