"""The one interface every SMS gateway adapter offers."""
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class SendResult:
    ok: bool
    reference: str | None = None  # the gateway's id for the message
    error: str | None = None  # the gateway's reason, in its words
    raw: dict = field(default_factory=dict)


class SmsGatewayError(Exception):
    """The gateway could not be asked or answered nonsense (network, 5xx, timeout): worth
    asking again later, with the same message id. A refusal is a SendResult, not this."""


class SmsGatewayBusy(SmsGatewayError):
    """The gateway asked us to slow down (HTTP 429): come back after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class SmsGateway:
    key = ""
    name = ""
    # settings the operator fills in; `secret` ones are stored encrypted and shown masked
    fields: tuple[tuple[str, bool], ...] = ()

    def __init__(self, settings: dict, timeout: float = 10.0):
        missing = [name for name, _secret in self.fields if not settings.get(name)]
        if missing:
            raise ValueError(f"{self.name}: missing settings {', '.join(missing)}")
        self.settings = settings
        self.timeout = timeout

    def send(self, *, msisdn: str, text: str, message_id: str) -> SendResult:
        """Send one SMS. `message_id` is ours and unique per message: a gateway that
        deduplicates on it makes a retry after a lost answer safe."""
        raise NotImplementedError

    def balance(self) -> Decimal:
        raise NotImplementedError


SMS_GATEWAYS: dict[str, type[SmsGateway]] = {}


def register_gateway(cls: type[SmsGateway]) -> type[SmsGateway]:
    SMS_GATEWAYS[cls.key] = cls
    return cls


def get_sms_gateway(key: str, settings: dict, timeout: float = 10.0) -> SmsGateway:
    try:
        cls = SMS_GATEWAYS[key]
    except KeyError:
        raise ValueError(f"unknown SMS gateway {key!r}") from None
    return cls(settings, timeout=timeout)
