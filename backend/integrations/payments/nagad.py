"""Nagad's merchant checkout (remote payment gateway, API v-0.2.0), for wallet recharges.

Wire format (see ../shared/reference/couriers-sms.md §9 and Nagad's own PHP sample):
- Every call carries `X-KM-Api-Version: v-0.2.0`, `X-KM-IP-V4` (the merchant server's address,
  the one Nagad whitelisted) and `X-KM-Client-Type: PC_WEB`.
- `POST {base}/check-out/initialize/{merchantId}/{orderId}`, body `{accountNumber, dateTime,
  sensitiveData, signature}`: `dateTime` is Dhaka time as `YYYYMMDDHHMMSS`; `sensitiveData` is
  the JSON `{merchantId, datetime, orderId, challenge}` encrypted with Nagad's public key
  (RSA, PKCS#1 v1.5 padding, base64); `signature` is SHA256withRSA over that same JSON with
  the merchant's private key (base64). Nagad answers `{sensitiveData, signature}` the other way
  round: encrypted to the merchant's public key, signed with Nagad's private key; inside,
  `{paymentReferenceId, challenge, acceptDateTime}`.
- `POST {base}/check-out/complete/{paymentReferenceId}`, body `{sensitiveData, signature,
  merchantCallbackURL, additionalMerchantInfo}` where the sensitive JSON is `{merchantId, orderId,
  currencyCode: "050", amount, challenge}` (Nagad's challenge from initialize) → `{status:
  "Success", callBackUrl}`: the page where the payer pays.
- Nagad sends the payer's browser to `merchantCallbackURL?...&payment_ref_id=…&status=…`. That
  redirect is not signed: anyone can type it. Only verify counts.
- `GET {base}/verify/payment/{paymentRefId}` → `{merchantId, orderId, paymentRefId, amount,
  clientMobileNo, issuerPaymentRefNo, status, statusCode, ...}`; paid means `status == "Success"`.
- Refusals come as JSON `{reason, message}` (some with `devMessage`), with a 4xx status.

Nagad has no separate "execute": once the payer confirmed on Nagad's page the money has moved,
so `execute_payment` is the same verify call as `query_payment`. The caller still compares the
answer's amount and order id with its own before crediting.
"""
import base64
import json
import logging
import re
import secrets
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from backend.clock import DHAKA

from .base import (
    CANCELLED, COMPLETED, FAILED, PENDING, CreatedPayment, PaymentError, PaymentGateway, PaymentResult,
    money_amount, reported_result, send,
)

log = logging.getLogger(__name__)

SANDBOX_BASE_URL = "http://sandbox.mynagad.com:10080/remote-payment-gateway-1.0/api/dfs"
PRODUCTION_BASE_URL = "https://api.mynagad.com/api/dfs"
API_VERSION = "v-0.2.0"
CLIENT_TYPE = "PC_WEB"
CURRENCY_BDT = "050"  # ISO 4217 numeric code of the taka, as Nagad wants it
DATETIME_FORMAT = "%Y%m%d%H%M%S"  # Dhaka time
DEFAULT_TIMEOUT = 30
# Nagad's order ids are short and plain: letters and digits only (what every sample sends).
ORDER_ID = re.compile(r"^[A-Za-z0-9]{1,20}$")

# verify's `status` → ours. Anything not listed is "unknown", never "completed".
PAYMENT_STATUSES = {
    "Success": COMPLETED,
    "OrderInitiated": PENDING,
    "Ready": PENDING,
    "InProgress": PENDING,
    "Cancelled": CANCELLED,
    "Aborted": CANCELLED,
    "Failed": FAILED,
}


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The merchant's RSA private key from PEM text, or the bare base64 body Nagad's samples keep
    (PKCS#8 or PKCS#1). ValueError says what is wrong; the key itself is never in the message."""
    text = _pem(pem, "PRIVATE KEY")
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        try:
            key = serialization.load_pem_private_key(text.replace("PRIVATE KEY", "RSA PRIVATE KEY").encode("ascii"),
                                                     password=None)
        except (ValueError, TypeError, UnicodeEncodeError):
            raise ValueError("not a readable RSA private key (PEM, without a passphrase)") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ValueError("an RSA private key of at least 2048 bits is needed")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    text = _pem(pem, "PUBLIC KEY")
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValueError("not a readable RSA public key (PEM)") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("an RSA public key of at least 2048 bits is needed")
    return key


def _pem(text: str, kind: str) -> str:
    """PEM text as given, or the bare base64 body (how Nagad hands keys out) wrapped as PEM."""
    text = str(text or "").strip()
    if text.startswith("-----BEGIN"):
        return text
    body = "".join(text.split())
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----\n"


def public_key_pem(private_key: rsa.RSAPrivateKey) -> str:
    """The public half, as the merchant uploads it to Nagad."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def new_private_key_pem() -> str:
    """A fresh 2048-bit merchant key pair's private half (PKCS#8 PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def compact_json(data: dict) -> str:
    """The JSON text that is both encrypted and signed: the same bytes on both sides."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class NagadGateway(PaymentGateway):
    key = "nagad"
    name = "Nagad"

    # (name, secret): what an operator configures; secrets are never shown back
    fields = (("base_url", False), ("merchant_id", False), ("merchant_number", False),
              ("nagad_public_key", False), ("merchant_private_key", True), ("server_ip", False))
    REQUIRED = ("base_url", "merchant_id", "merchant_number", "nagad_public_key", "merchant_private_key")

    def __init__(self, config: dict, *, clock=None):
        super().__init__(config)
        missing = [name for name in self.REQUIRED if not str(self.config.get(name) or "").strip()]
        if missing:
            raise PaymentError(f"Nagad is not configured: {', '.join(missing)} missing.", code="not_configured")
        self.base_url = str(self.config["base_url"]).strip().rstrip("/")
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise PaymentError(f"Nagad base_url must be an http(s) URL, not {self.base_url!r}.", code="not_configured")
        self.merchant_id = str(self.config["merchant_id"]).strip()
        if not self.merchant_id.isdigit():
            raise PaymentError("Nagad merchant_id is the number Nagad gave (digits only).", code="not_configured")
        self.merchant_number = str(self.config["merchant_number"]).strip()
        try:
            self.private_key = load_private_key(self.config["merchant_private_key"])
        except ValueError as error:
            raise PaymentError(f"Nagad merchant_private_key: {error}.", code="not_configured") from None
        try:
            self.nagad_key = load_public_key(self.config["nagad_public_key"])
        except ValueError as error:
            raise PaymentError(f"Nagad nagad_public_key: {error}.", code="not_configured") from None
        try:
            self.timeout = float(self.config.get("timeout") or DEFAULT_TIMEOUT)
        except (TypeError, ValueError):
            raise PaymentError("Nagad timeout must be a number of seconds.", code="not_configured") from None
        self.server_ip = str(self.config.get("server_ip") or "127.0.0.1").strip()
        self.clock = clock or (lambda: datetime.now(DHAKA))

    # ---- the crypto both calls share ---------------------------------------------------------

    def seal(self, data: dict) -> dict:
        """`{sensitiveData, signature}` for Nagad: encrypted to Nagad, signed by us."""
        plain = compact_json(data).encode("utf-8")
        encrypted = self.nagad_key.encrypt(plain, padding.PKCS1v15())
        signature = self.private_key.sign(plain, padding.PKCS1v15(), hashes.SHA256())
        return {"sensitiveData": base64.b64encode(encrypted).decode("ascii"),
                "signature": base64.b64encode(signature).decode("ascii")}

    def open_sealed(self, data: dict) -> dict:
        """Nagad's `{sensitiveData, signature}`: decrypted with our key, its signature checked
        with Nagad's, so an answer that did not come from Nagad is refused."""
        try:
            plain = self.private_key.decrypt(base64.b64decode(str(data["sensitiveData"]), validate=True),
                                             padding.PKCS1v15())
            self.nagad_key.verify(base64.b64decode(str(data["signature"]), validate=True), plain,
                                  padding.PKCS1v15(), hashes.SHA256())
            opened = json.loads(plain.decode("utf-8"))
        except InvalidSignature:
            raise PaymentError("Nagad's answer is not signed with Nagad's public key as configured.",
                               code="bad_signature") from None
        except (KeyError, ValueError, TypeError):
            raise PaymentError("Nagad's answer could not be decrypted with the merchant key.",
                               code="bad_response") from None
        if not isinstance(opened, dict):
            raise PaymentError("Nagad's answer is not a JSON object.", code="bad_response")
        return opened

    # ---- the operations ----------------------------------------------------------------------

    def create_payment(self, *, amount: Decimal, invoice: str, callback_url: str,
                       payer_reference: str) -> CreatedPayment:
        """Initialize, then complete: the payment's reference id and the page to pay at."""
        value = money_amount(amount)
        order_id = str(invoice or "")
        if not ORDER_ID.match(order_id):
            raise PaymentError(f"A Nagad order id is 1 to 20 letters and digits, not {invoice!r}.", code="invalid_invoice")
        if urlsplit(str(callback_url or "")).scheme not in ("http", "https"):
            raise PaymentError(f"The callback URL must be an http(s) URL, not {callback_url!r}.",
                               code="invalid_callback_url")
        moment = self.clock().astimezone(DHAKA).strftime(DATETIME_FORMAT)
        challenge = secrets.token_hex(20)
        initialized = self._call("initialize", "POST", f"/check-out/initialize/{self.merchant_id}/{quote(order_id)}", {
            "accountNumber": self.merchant_number,
            "dateTime": moment,
            **self.seal({"merchantId": self.merchant_id, "datetime": moment, "orderId": order_id, "challenge": challenge}),
        })
        accepted = self.open_sealed(initialized)
        reference, nagad_challenge = accepted.get("paymentReferenceId"), accepted.get("challenge")
        if not reference or not nagad_challenge:
            raise PaymentError("Nagad's initialize answer has no paymentReferenceId or challenge.", code="bad_response",
                               retryable=True)
        completed = self._call("complete", "POST", f"/check-out/complete/{quote(str(reference), safe='')}", {
            **self.seal({"merchantId": self.merchant_id, "orderId": order_id, "currencyCode": CURRENCY_BDT,
                         "amount": f"{value:.2f}", "challenge": str(nagad_challenge)}),
            "merchantCallbackURL": str(callback_url),
            "additionalMerchantInfo": {"payerReference": str(payer_reference)},
        })
        if completed.get("status") == "Success" and completed.get("callBackUrl"):
            return CreatedPayment(payment_id=str(reference), redirect_url=str(completed["callBackUrl"]), raw=completed)
        raise PaymentError(f"Nagad did not open the payment: {_describe(completed)}", code="nagad_refused")

    def execute_payment(self, payment_id: str) -> PaymentResult:
        return self.query_payment(payment_id)

    def query_payment(self, payment_id: str) -> PaymentResult:
        """Nagad's own record of the payment (verify): the only answer that may credit a wallet."""
        reference = str(payment_id or "").strip()
        if not reference:
            raise PaymentError("A Nagad payment reference id is required.", code="invalid_payment_id")
        data = self._call("verify", "GET", f"/verify/payment/{quote(reference, safe='')}", None)
        answered = str(data.get("paymentRefId") or "")
        if answered != reference:
            raise PaymentError(f"Nagad answered about payment {answered or '(none)'} when asked about {reference}.",
                               code="mismatched_payment")
        if str(data.get("merchantId") or "") != self.merchant_id:
            raise PaymentError("Nagad's answer is about another merchant's payment.", code="mismatched_payment")
        return reported_result("Nagad", reference, str(data.get("status") or ""), PAYMENT_STATUSES,
                               transaction_id=data.get("issuerPaymentRefNo"), amount=data.get("amount"),
                               invoice=data.get("orderId"), raw=data)

    # ---- transport ---------------------------------------------------------------------------

    def _call(self, operation: str, method: str, path: str, body: dict | None) -> dict:
        headers = {"Accept": "application/json", "X-KM-Api-Version": API_VERSION, "X-KM-IP-V4": self.server_ip,
                   "X-KM-Client-Type": CLIENT_TYPE}
        response = send("Nagad", operation, method, self.base_url + path, json=body, headers=headers, timeout=self.timeout)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 500 or response.status_code == 429:
            raise PaymentError(f"Nagad answered the {operation} call with HTTP {response.status_code}: "
                               f"{_describe(data if isinstance(data, dict) else {})}",
                               code=f"nagad_http_{response.status_code}", retryable=True)
        if not isinstance(data, dict):
            raise PaymentError(f"Nagad sent an answer to the {operation} call that is not JSON "
                               f"(HTTP {response.status_code}).", code="bad_response", retryable=True)
        if response.status_code >= 400 or data.get("reason"):
            reason = re.sub(r"[^A-Za-z0-9_]", "_", str(data.get("reason") or response.status_code))[:40]
            raise PaymentError(f"Nagad refused the {operation} call: {_describe(data)}", code=f"nagad_{reason}")
        return data


def _describe(data: dict) -> str:
    message = data.get("message") or data.get("devMessage")
    reason = data.get("reason")
    if message and reason:
        return f"{message} ({reason})"
    return str(message or reason or "no details")
