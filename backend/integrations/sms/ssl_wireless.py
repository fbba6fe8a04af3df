"""SSL Wireless SMS Plus (api/v3), a Bangladeshi gateway.

POST {base_url}/api/v3/send-sms with JSON {api_token, sid, msisdn, sms, csms_id}. Success is
`status == "SUCCESS"` with `smsinfo[].reference_id`; failures come as
`{"status": "FAILED", "status_code": 4003, "error_message": "IP Blacklisted"}`. The
`csms_id` is ours, unique per message; SSL refuses a repeated one, so a retry cannot send twice.
"""
import os
import urllib.request
from decimal import Decimal, InvalidOperation

import requests

from backend.integrations.sms.base import SendResult, SmsGateway, SmsGatewayError, register_gateway


# One connection pool per process: a send reuses an open connection instead of a new handshake.
# The environment's proxy and CA settings are read once here, not on every send: requests
# otherwise walks os.environ per request, a tenth of a send's CPU time at our volumes.
_http = requests.Session()
_http.trust_env = False
_http.proxies = urllib.request.getproxies()
_http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


@register_gateway
class SslWirelessGateway(SmsGateway):
    key = "ssl_wireless"
    name = "SSL Wireless SMS Plus"
    fields = (("base_url", False), ("sid", False), ("api_token", True))

    def _post(self, path: str, body: dict) -> dict:
        url = self.settings["base_url"].rstrip("/") + path
        try:
            response = _http.post(url, json=body, timeout=self.timeout, headers={"Accept": "application/json"})
        except requests.RequestException as error:
            raise SmsGatewayError(f"{self.name} could not be reached: {error.__class__.__name__}") from error
        if response.status_code >= 500:
            raise SmsGatewayError(f"{self.name} answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as error:
            raise SmsGatewayError(f"{self.name} answered something that is not JSON (HTTP {response.status_code})") from error

    def send(self, *, msisdn: str, text: str, message_id: str) -> SendResult:
        data = self._post("/api/v3/send-sms", {
            "api_token": self.settings["api_token"],
            "sid": self.settings["sid"],
            "msisdn": msisdn,
            "sms": text,
            "csms_id": message_id,
        })
        if data.get("status") == "SUCCESS":
            info = (data.get("smsinfo") or [{}])[0]
            return SendResult(True, reference=str(info.get("reference_id") or ""), raw=data)
        reason = data.get("error_message") or data.get("status_message") or "refused without a reason"
        code = data.get("status_code")
        if "duplicate" in str(reason).lower():
            # We sent this csms_id before and lost the answer: it was accepted then.
            return SendResult(True, reference=None, raw=data)
        return SendResult(False, error=f"{reason} (code {code})" if code else reason, raw=data)

    def balance(self) -> Decimal:
        data = self._post("/api/v3/balance", {"api_token": self.settings["api_token"], "sid": self.settings["sid"]})
        if data.get("status") != "SUCCESS":
            raise SmsGatewayError(data.get("error_message") or "balance refused")
        try:
            return Decimal(str(data.get("balance")))
        except InvalidOperation as error:
            raise SmsGatewayError("balance is not a number") from error
