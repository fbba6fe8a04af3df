"""bKash Tokenized Checkout (PGW v1.2.0-beta), for wallet recharges.

Wire format (see ../shared/reference/couriers-sms.md §9):
- `POST {base}/token/grant`, headers `username`/`password`, body `{app_key, app_secret}`
  → `{statusCode:"0000", id_token, token_type, expires_in, refresh_token}`.
- `POST {base}/token/refresh`, body `{app_key, app_secret, refresh_token}` → the same.
- `POST {base}/create` | `/execute` | `/payment/status`, headers `Authorization: <id_token>`
  (no "Bearer") and `X-APP-Key`.
- Answers carry `statusCode` ("0000" = success) and `statusMessage`; some errors come as
  `errorCode`/`errorMessage`, and the API gateway in front answers a refused token with HTTP
  401 and `{"message": ...}` (bKash's own WooCommerce plugin re-grants on a 401).

Rules this adapter keeps:
- bKash asks merchants not to grant a token per payment (it may refuse live approval or block
  the merchant). The token is cached per merchant across gateway instances, refreshed with the
  refresh token shortly before it expires, and granted again only when that fails.
- Paid means `statusCode == "0000"` and `transactionStatus == "Completed"`, nothing less.
- A timeout or dropped connection on execute raises a *retryable* PaymentError: bKash may have
  completed the payment anyway, so the caller asks `query_payment` before deciding.
- A second execute of a completed payment is refused by bKash (2117 "Payment execution already
  been called before", or 2062/2068); the adapter then queries and reports what bKash says,
  so a repeated callback never turns into a failure — nor into a second credit, as long as the
  caller credits once per payment ID.
"""
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import urlsplit

import requests

from .base import (
    CANCELLED, COMPLETED, FAILED, PENDING, CreatedPayment, PaymentError, PaymentGateway, PaymentResult,
    money_amount, reported_result, send,
)

log = logging.getLogger(__name__)

SANDBOX_BASE_URL = "https://tokenized.sandbox.bka.sh/v1.2.0-beta/tokenized/checkout"
PRODUCTION_BASE_URL = "https://tokenized.pay.bka.sh/v1.2.0-beta/tokenized/checkout"
DEFAULT_TIMEOUT = 30  # seconds; what bKash integrators are told to allow

SUCCESS = "0000"
# Execute refused because the payment was executed before: ask how it ended.
ALREADY_EXECUTED = {
    "2062": "The payment has already been completed",
    "2068": "Transaction has already been completed",
    "2117": "Payment execution already been called before",
}
INVALID_PAYMENT_STATE = "2056"  # not authorised yet, cancelled, failed ... — query says which
INVALID_PAYMENT_ID = "2002"
# bKash-side trouble: the same call may succeed later (9999 system error, 503 maintenance,
# 2020/2024 "Exception occurred").
RETRYABLE_CODES = {"9999", "503", "2020", "2024"}
# Our request or our merchant setup is wrong: retrying cannot help, a person must fix it.
REQUEST_ERRORS = {
    "2001", "2002", "2006", "2007", "2008", "2025", "2031", "2047", "2048", "2049", "2063",
    "2064", "2065", "2067",
}

# transactionStatus → our status. Anything not listed is "unknown", never "completed".
TRANSACTION_STATUSES = {
    "Completed": COMPLETED,
    "Initiated": PENDING,
    "Authorized": PENDING,
    "Pending": PENDING,
    "Cancelled": CANCELLED,
    "Failed": FAILED,
    "Expired": FAILED,
    "Declined": FAILED,
}


@dataclass
class _Token:
    id_token: str
    refresh_token: str | None
    expires_at: float  # clock() seconds
    margin: float      # renew this long before expires_at

    def fresh(self, now: float) -> bool:
        return now < self.expires_at - self.margin


class TokenCache:
    """Tokens per merchant, shared by every BkashGateway in the process.

    Routes build a gateway per request (`get_payment_gateway(key, config)`), so a cache on the
    instance would mean a grant per payment. The lock makes concurrent requests wait for one
    grant instead of each asking for their own. Each web worker process holds its own token,
    so N workers grant at most N times an hour; a shared store can replace this class.
    """

    def __init__(self):
        self._tokens: dict[tuple, _Token] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, key: tuple) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: tuple) -> _Token | None:
        return self._tokens.get(key)

    def put(self, key: tuple, token: _Token) -> None:
        self._tokens[key] = token

    def forget(self, key: tuple, id_token: str) -> None:
        """Drop the token bKash refused — unless another thread has already replaced it."""
        current = self._tokens.get(key)
        if current is not None and current.id_token == id_token:
            current.expires_at = float("-inf")  # keep the refresh token, force a renewal

    def clear(self) -> None:
        self._tokens.clear()


TOKENS = TokenCache()


def token_margin(expires_in: float) -> float:
    """Renew this long before expiry: 5 minutes for bKash's one-hour tokens, less for short ones."""
    return min(300.0, expires_in / 10)


class BkashGateway(PaymentGateway):
    key = "bkash"
    name = "bKash"

    REQUIRED = ("base_url", "app_key", "app_secret", "username", "password")

    def __init__(self, config: dict, *, tokens: TokenCache | None = None, clock=time.time):
        super().__init__(config)
        missing = [name for name in self.REQUIRED if not str(self.config.get(name) or "").strip()]
        if missing:
            raise PaymentError(f"bKash is not configured: {', '.join(missing)} missing.", code="not_configured")
        self.base_url = str(self.config["base_url"]).rstrip("/")
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise PaymentError(f"bKash base_url must be an http(s) URL, not {self.base_url!r}.", code="not_configured")
        try:
            self.timeout = float(self.config.get("timeout") or DEFAULT_TIMEOUT)
        except (TypeError, ValueError):
            raise PaymentError("bKash timeout must be a number of seconds.", code="not_configured") from None
        self.tokens = tokens if tokens is not None else TOKENS
        self.clock = clock
        # One token per merchant account and endpoint. A digest of the secrets is part of the key
        # so that corrected credentials are tried at once instead of hiding behind a cached token;
        # the secrets themselves are never kept in the key.
        secrets_digest = hashlib.sha256(
            f"{self.config['app_secret']}\0{self.config['password']}".encode("utf-8")).hexdigest()
        self._token_key = (self.base_url, self.config["app_key"], self.config["username"], secrets_digest)

    # ---- the three operations -------------------------------------------------------------

    def create_payment(self, *, amount: Decimal, invoice: str, callback_url: str,
                       payer_reference: str) -> CreatedPayment:
        value = money_amount(amount)
        if not str(invoice or "").strip():
            raise PaymentError("A merchant invoice number is required.", code="invalid_invoice")
        if not str(payer_reference or "").strip():
            raise PaymentError("A payer reference is required.", code="invalid_payer_reference")
        if urlsplit(str(callback_url or "")).scheme not in ("http", "https"):
            raise PaymentError(f"The callback URL must be an http(s) URL, not {callback_url!r}.",
                               code="invalid_callback_url")
        body = {
            "mode": "0011",  # checkout URL: bKash hosts the page where the payer enters wallet, OTP and PIN
            "payerReference": str(payer_reference),
            "callbackURL": str(callback_url),
            "amount": f"{value:.2f}",  # bKash takes the amount as a string; two decimals, never a float
            "currency": "BDT",
            "intent": "sale",
            "merchantInvoiceNumber": str(invoice),
        }
        data = self._call("create", "/create", body)
        code = _status_code(data)
        if code == SUCCESS and data.get("paymentID") and data.get("bkashURL"):
            return CreatedPayment(payment_id=str(data["paymentID"]), redirect_url=str(data["bkashURL"]), raw=data)
        raise self._refusal("create", data)

    def execute_payment(self, payment_id: str) -> PaymentResult:
        payment_id = self._payment_id(payment_id)
        data = self._call("execute", "/execute", {"paymentID": payment_id})
        code = _status_code(data)
        if code == SUCCESS:
            return self._result(payment_id, data)
        if code in RETRYABLE_CODES or code in REQUEST_ERRORS:
            raise self._refusal("execute", data)
        # Executed before, not authorised, cancelled, or a payer-side failure (wrong PIN,
        # insufficient balance, ...). Only bKash's own record says how the payment ended.
        truth = self.query_payment(payment_id)
        if code in ALREADY_EXECUTED or code == INVALID_PAYMENT_STATE or truth.status == COMPLETED:
            # Completed (a repeated callback), cancelled, or still pending: the shopper has not
            # paid, e.g. a callback URL opened by hand. Its own status says which.
            return truth
        # A payer-side refusal: this payment is over; a new one is needed. Keep bKash's reason.
        status = truth.status if truth.status in (FAILED, CANCELLED) else FAILED
        return replace(truth, status=status, raw=data, message=_describe(data))

    def query_payment(self, payment_id: str) -> PaymentResult:
        payment_id = self._payment_id(payment_id)
        data = self._call("query", "/payment/status", {"paymentID": payment_id})
        if _status_code(data) == SUCCESS:
            return self._result(payment_id, data)
        raise self._refusal("query", data)

    # ---- tokens ----------------------------------------------------------------------------

    def _id_token(self) -> str:
        with self.tokens.lock(self._token_key):
            token = self.tokens.get(self._token_key)
            if token is not None and token.fresh(self.clock()):
                return token.id_token
            renewed = None
            if token is not None and token.refresh_token:
                try:
                    renewed = self._renew("refresh", "/token/refresh", {"refresh_token": token.refresh_token})
                except PaymentError as error:
                    if error.retryable:
                        raise
                    log.info("bKash refused the refresh token (%s); granting a new token", error.code)
                if renewed is not None and not renewed.refresh_token:
                    renewed.refresh_token = token.refresh_token  # still good if bKash did not send a new one
            if renewed is None:
                renewed = self._renew("grant", "/token/grant", {})
            self.tokens.put(self._token_key, renewed)
            return renewed.id_token

    def _renew(self, operation: str, path: str, extra: dict) -> _Token:
        body = {"app_key": self.config["app_key"], "app_secret": self.config["app_secret"], **extra}
        headers = {"username": str(self.config["username"]), "password": str(self.config["password"])}
        response = self._post(operation, path, body, headers)
        data = _loads(response)
        code = _status_code(data)
        id_token = data.get("id_token")
        if response.status_code == 200 and id_token and code in (SUCCESS, ""):
            try:
                expires_in = float(data.get("expires_in") or 3600)
            except (TypeError, ValueError):
                expires_in = 3600.0
            token = _Token(str(id_token), data.get("refresh_token") or None,
                           self.clock() + expires_in, token_margin(expires_in))
            log.info("bKash token %s: valid for %d s", operation, expires_in)
            return token
        if (response.status_code >= 500 or response.status_code == 429 or code in RETRYABLE_CODES
                or (response.status_code == 200 and not data)):
            raise PaymentError(f"bKash could not {operation} a token right now: {_describe(data, response)}",
                               code="bkash_unavailable", retryable=True)
        raise PaymentError(
            f"bKash refused the merchant credentials ({_describe(data, response)}). "
            "Check the bKash username, password, app key and app secret.",
            code="auth_failed",
        )

    # ---- transport -------------------------------------------------------------------------

    def _call(self, operation: str, path: str, body: dict) -> dict:
        """POST with the id_token. A 401 means bKash no longer accepts the token (it may drop
        tokens before expires_in): renew it and try once more. bKash did not act on a request
        it refused with 401, so repeating even an execute is safe."""
        for attempt in (1, 2):
            id_token = self._id_token()
            headers = {"Authorization": id_token, "X-APP-Key": str(self.config["app_key"])}
            response = self._post(operation, path, body, headers)
            if response.status_code == 401 and attempt == 1:
                log.info("bKash refused the token on %s; renewing it", operation)
                self.tokens.forget(self._token_key, id_token)
                continue
            break
        if response.status_code == 401:
            raise PaymentError(f"bKash refused a fresh token on {operation}: {_describe(_loads(response), response)}",
                               code="auth_failed")
        return _json(operation, response)

    def _post(self, operation: str, path: str, body: dict, headers: dict) -> requests.Response:
        all_headers = {"Accept": "application/json", "Content-Type": "application/json", **headers}
        return send("bKash", operation, "POST", self.base_url + path, json=body, headers=all_headers, timeout=self.timeout)

    # ---- answers ---------------------------------------------------------------------------

    def _result(self, payment_id: str, data: dict) -> PaymentResult:
        answered_id = str(data.get("paymentID") or payment_id)
        if answered_id != payment_id:
            raise PaymentError(f"bKash answered about payment {answered_id} when asked about {payment_id}.",
                               code="mismatched_payment")
        return reported_result("bKash", payment_id, str(data.get("transactionStatus") or ""), TRANSACTION_STATUSES,
                               transaction_id=data.get("trxID"), amount=data.get("amount"),
                               invoice=data.get("merchantInvoiceNumber"), raw=data)

    def _refusal(self, operation: str, data: dict) -> PaymentError:
        code = _status_code(data) or "unknown"
        return PaymentError(f"bKash refused to {operation} the payment: {_describe(data)}",
                            code=f"bkash_{code}", retryable=code in RETRYABLE_CODES)

    @staticmethod
    def _payment_id(payment_id) -> str:
        value = str(payment_id or "").strip()
        if not value:
            raise PaymentError("A bKash payment ID is required.", code="invalid_payment_id")
        return value


def _loads(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _json(operation: str, response: requests.Response) -> dict:
    data = _loads(response)
    if response.status_code >= 500 or response.status_code == 429:
        raise PaymentError(f"bKash answered the {operation} call with HTTP {response.status_code}: "
                           f"{_describe(data, response)}", code=f"bkash_http_{response.status_code}", retryable=True)
    if not data:
        # A proxy's HTML error page or an empty body: nothing says what happened.
        raise PaymentError(f"bKash sent an answer to the {operation} call that is not JSON "
                           f"(HTTP {response.status_code}).", code="bad_response", retryable=True)
    return data


def _status_code(data: dict) -> str:
    """bKash's result code, from `statusCode` or, in the older envelope, `errorCode`."""
    return str(data.get("statusCode") or data.get("errorCode") or "")


def _describe(data: dict, response: requests.Response | None = None) -> str:
    message = data.get("statusMessage") or data.get("errorMessage") or data.get("message")
    code = _status_code(data)
    if message and code:
        return f"{message} ({code})"
    if message:
        return str(message)
    if code:
        return f"code {code}"
    return f"HTTP {response.status_code}" if response is not None else "no details"

