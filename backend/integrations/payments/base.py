"""The one shape every payment gateway (bKash, Nagad) has, and the registry of them.

A wallet recharge goes: `create_payment` → the shopper pays on the gateway's page → the
gateway sends the browser back to our callback → `execute_payment` → credit the wallet once.
The callback is an unsigned browser redirect, so it only says "go and ask"; the answer that
counts is the `PaymentResult` from `execute_payment` or `query_payment`.

Adapters take plain data and return plain data; they never touch the database or Flask's
request — the route or job around them does, and commits.
"""
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import requests

from backend.integrations.signals import asking
from backend.money import decimal_or_none

# What a payment can have become, from our side. Only "completed" may credit a wallet.
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
PENDING = "pending"
UNKNOWN = "unknown"
STATUSES = (COMPLETED, FAILED, CANCELLED, PENDING, UNKNOWN)


class PaymentError(Exception):
    """A gateway call that did not give an answer we can act on.

    `code` is stable and machine-readable (`timeout`, `auth_failed`, `bkash_2001`, ...).
    `retryable` says whether the same call may simply be tried again: after a timeout or a
    dropped connection it may, and for execute the caller should first *query* the payment
    (execute may have gone through). After a refusal (bad credentials, bad amount) it may not.
    """

    def __init__(self, message: str, code: str = "payment_error", retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable

    def __repr__(self):
        return f"PaymentError({self.message!r}, code={self.code!r}, retryable={self.retryable})"


@dataclass(frozen=True)
class CreatedPayment:
    """A payment the gateway has opened: send the shopper's browser to `redirect_url`."""

    payment_id: str
    redirect_url: str
    raw: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class PaymentResult:
    """Where a payment stands, as the gateway itself reported it.

    `amount` is what the gateway says was paid (Decimal), which the caller should compare
    with what it asked for before crediting. `message` is the gateway's own words when the
    payment did not complete (shown to the shop owner, never a stack trace).
    """

    status: str
    payment_id: str
    transaction_id: str | None = None
    amount: Decimal | None = None
    invoice: str | None = None
    raw: dict = field(default_factory=dict, repr=False)
    message: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED


class PaymentGateway:
    """Base class: `key` is what rows store and the registry is keyed by; `name` is for people."""

    key: str = ""
    name: str = ""

    def __init__(self, config: dict):
        self.config = dict(config)

    def create_payment(self, *, amount: Decimal, invoice: str, callback_url: str,
                       payer_reference: str) -> CreatedPayment:
        raise NotImplementedError

    def execute_payment(self, payment_id: str) -> PaymentResult:
        raise NotImplementedError

    def query_payment(self, payment_id: str) -> PaymentResult:
        raise NotImplementedError


def reported_result(gateway: str, payment_id: str, reported: str, statuses: dict, *, transaction_id, amount, invoice,
                    raw: dict) -> PaymentResult:
    """A PaymentResult from a gateway's own status word (`reported`), mapped through `statuses`:
    a word not in the table is "unknown", never "completed"; the amount is read as a Decimal."""
    status = statuses.get(reported, UNKNOWN)
    return PaymentResult(
        status=status,
        payment_id=payment_id,
        transaction_id=transaction_id or None,
        amount=decimal_or_none(amount),
        invoice=invoice or None,
        raw=raw,
        message="" if status == COMPLETED else f"{gateway}: payment {reported or 'status missing'}",
    )


def send(gateway: str, operation: str, method: str, url: str, *, timeout: float, **kwargs) -> requests.Response:
    """One HTTP call to a gateway; no answer (a timeout, a dropped connection) is a retryable
    PaymentError that names the gateway and the call. Redirects are not followed."""
    asking.send(gateway)
    try:
        return requests.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout:
        raise PaymentError(f"{gateway} did not answer the {operation} call within {timeout:g} s.",
                           code="timeout", retryable=True) from None
    except requests.ConnectionError:
        raise PaymentError(f"The connection to {gateway} failed during the {operation} call.",
                           code="unreachable", retryable=True) from None
    except requests.RequestException as error:
        raise PaymentError(f"The {operation} call to {gateway} failed: {error.__class__.__name__}.",
                           code="unreachable", retryable=True) from None


def money_amount(amount) -> Decimal:
    """A positive amount with at most two decimals (poisha), as a Decimal.

    Floats are refused (money is never float here), and so are amounts with more than two
    decimals: rounding someone's payment silently is worse than saying no.
    """
    if isinstance(amount, float) or isinstance(amount, bool):
        raise PaymentError("The amount must be a Decimal, not a float.", code="invalid_amount")
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except InvalidOperation:
        raise PaymentError(f"The amount {amount!r} is not a number.", code="invalid_amount") from None
    if not value.is_finite() or value <= 0:
        raise PaymentError(f"The amount must be more than zero, not {amount}.", code="invalid_amount")
    if value != value.quantize(Decimal("0.01")):
        raise PaymentError(f"The amount {amount} has more than two decimals.", code="invalid_amount")
    return value.quantize(Decimal("0.01"))


# key -> gateway class. Adapters add themselves in this package's __init__, so importing
# anything from backend.integrations.payments fills it.
PAYMENT_GATEWAYS: dict[str, type[PaymentGateway]] = {}


def get_payment_gateway(key: str, config: dict) -> PaymentGateway:
    """The gateway registered under `key`, built with `config`. Unknown keys raise KeyError."""
    try:
        gateway_class = PAYMENT_GATEWAYS[key]
    except KeyError:
        known = ", ".join(sorted(PAYMENT_GATEWAYS)) or "none"
        raise KeyError(f"no payment gateway {key!r} (known: {known})") from None
    return gateway_class(config)
