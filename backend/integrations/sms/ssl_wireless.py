"""SSL Wireless SMS Plus (api/v3), a Bangladeshi gateway.

POST {base_url}/api/v3/send-sms with JSON {api_token, sid, msisdn, sms, csms_id}. Success is
`status == "SUCCESS"` with `smsinfo[].reference_id`; failures come as
`{"status": "FAILED", "status_code": 4003, "error_message": "IP Blacklisted"}`. The
`csms_id` is ours, unique per message; SSL refuses a repeated one, so a retry cannot send twice.
"""
import json
import os
import urllib.request
from decimal import Decimal, InvalidOperation

import urllib3

from backend.integrations.signals import asking
from backend.integrations.sms.base import SendResult, SmsGateway, SmsGatewayBusy, SmsGatewayError, register_gateway


def _connection_pool() -> urllib3.PoolManager:
    """One pool per process, so a send reuses an open connection instead of a new handshake.

    urllib3 (requests' own transport) directly: requests' per-call layers (settings merge,
    cookies, hooks) were a fifth of a send's CPU. The proxy and CA settings of the
    environment are read once, here."""
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    # as many connections as a worker has threads sending (bench/sms_send.py runs 64): a smaller
    # pool would close and reopen the extra ones on every send
    options = {"maxsize": 128, "retries": False, **({"ca_certs": ca_bundle} if ca_bundle else {})}
    proxy = urllib.request.getproxies().get("https")
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


_http = _connection_pool()


def _retry_after(value) -> float:
    """Retry-After in seconds (the HTTP-date form is not used by SMS gateways: a second then)."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0


@register_gateway
class SslWirelessGateway(SmsGateway):
    key = "ssl_wireless"
    name = "SSL Wireless SMS Plus"
    fields = (("base_url", False), ("sid", False), ("api_token", True))

    def _post(self, path: str, body: dict) -> dict:
        url = self.settings["base_url"].rstrip("/") + path
        asking.send(self.name)
        try:
            response = _http.request("POST", url, body=json.dumps(body), timeout=urllib3.Timeout(self.timeout),
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        except urllib3.exceptions.HTTPError as error:
            raise SmsGatewayError(f"{self.name} could not be reached: {error.__class__.__name__}") from error
        if response.status == 429:
            raise SmsGatewayBusy(f"{self.name} asked us to slow down (HTTP 429)", _retry_after(response.headers.get("Retry-After")))
        if response.status >= 500:
            raise SmsGatewayError(f"{self.name} answered HTTP {response.status}")
        try:
            return json.loads(response.data)
        except ValueError as error:
            raise SmsGatewayError(f"{self.name} answered something that is not JSON (HTTP {response.status})") from error

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
