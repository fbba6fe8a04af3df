"""SMS gateway adapters. Callers look one up with `get_sms_gateway(key, settings)`."""
from backend.integrations.sms.base import SMS_GATEWAYS, SendResult, SmsGateway, SmsGatewayBusy, SmsGatewayError, get_sms_gateway  # noqa: F401
from backend.integrations.sms import ssl_wireless  # noqa: F401  (registers itself)
