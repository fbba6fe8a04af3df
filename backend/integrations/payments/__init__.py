"""Payment gateways for wallet recharges (bKash, Nagad): one base class, one registry (see base.py).

    gateway = get_payment_gateway("bkash", config)
    created = gateway.create_payment(amount=Decimal("500.00"), invoice=..., callback_url=..., payer_reference=...)
    ... the shopper pays at created.redirect_url, bKash sends the browser to callback_url ...
    result = gateway.execute_payment(payment_id)   # PaymentError(retryable=True) → query_payment
"""
from .base import (  # noqa: F401 (the package's public names)
    CANCELLED, COMPLETED, FAILED, PAYMENT_GATEWAYS, PENDING, STATUSES, UNKNOWN, CreatedPayment,
    PaymentError, PaymentGateway, PaymentResult, get_payment_gateway,
)
from .bkash import BkashGateway
from .nagad import NagadGateway

PAYMENT_GATEWAYS[BkashGateway.key] = BkashGateway
PAYMENT_GATEWAYS[NagadGateway.key] = NagadGateway
