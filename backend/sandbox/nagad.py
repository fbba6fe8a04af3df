"""A local Nagad merchant checkout (remote payment gateway v-0.2.0) for tests and the demo,
never for production.

It speaks the wire format of backend/integrations/payments/nagad.py at the same paths under
/remote-payment-gateway-1.0/api/dfs/ and checks what Nagad checks: the X-KM-* headers, a
merchant it knows, the merchant's SHA256withRSA signature over the sensitive data it decrypts
with its own private key, the datetime (Dhaka, YYYYMMDDHHMMSS, a few minutes either way), that
complete carries the challenge initialize handed out and the same merchant and order, and the
amount's form. Its answers are encrypted to the merchant's public key and signed with its own.
Its RSA work is written here on its own, not borrowed from the adapter: a padding or signing
mistake in the adapter must fail against it.

Like the real Nagad, it has its own key pair (`public_key_pem`, what Nagad hands a merchant) and
learns each merchant's public key (`register_merchant`, what a merchant uploads to Nagad).

Refusals are `{"reason": ..., "message": ...}` with HTTP 400 (Nagad's own words where known);
the payer's page is at the `callBackUrl` complete returns (/check-out/<paymentRefId>) and sends
the browser to `merchantCallbackURL?merchant=…&order_id=…&payment_ref_id=…&status=Success|Aborted
&status_code=…&message=…`.

Controls, in-process (tests) or over HTTP under /__sandbox__/ (the demo, another process):
    sandbox.register_merchant(merchant_id, public_key_pem, account_number)
    sandbox.fail_next_verify(times=1, http_status=503)   # Nagad down for verify
    sandbox.report_next_verify(amount="1.00")             # verify answers another amount
    sandbox.decline_next_payment()                        # the next Pay ends Aborted
    sandbox.verify_latency = seconds                      # every verify answers this late
    sandbox.reset(); sandbox.count("verify"); sandbox.payment(ref)
"""
import base64
import html
import json
import secrets
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from backend.phones import InvalidPhone, local_form, normalise_phone
from backend.clock import DHAKA

from .payments import AMOUNT, PaymentSandbox, pay_form, payer_page, with_query
from .server import register_sandbox

PREFIX = "/remote-payment-gateway-1.0/api/dfs"
DEMO_MERCHANT_ID = "683002007104225"
DEMO_MERCHANT_NUMBER = "01711428036"
SANDBOX_WALLET = "01711428036"  # prefilled on the pay page
CLIENT_TYPES = {"PC_WEB", "MOBILE_WEB", "MOBILE_APP", "WALLET_WEB_VIEW", "BILL_KEY"}
CLOCK_SKEW = timedelta(minutes=10)  # how far a merchant's dateTime may be from the sandbox's clock

# payment states, as verify reports them
INITIATED, READY, SUCCESS, ABORTED = "OrderInitiated", "Ready", "Success", "Aborted"


def _refusal(reason: str, message: str, status: int = 400) -> Response:
    return Response(json.dumps({"reason": reason, "message": message}), status=status, mimetype="application/json")


@register_sandbox("nagad")
class NagadSandbox(PaymentSandbox):
    """The WSGI app. Build one per test: its keys and payments live on the instance."""

    ROUTES = (
        ("POST", f"{PREFIX}/check-out/initialize/<merchant_id>/<order_id>", "initialize"),
        ("POST", f"{PREFIX}/check-out/complete/<payment_ref_id>", "complete"),
        ("GET", f"{PREFIX}/verify/payment/<payment_ref_id>", "verify"),
        ("GET POST", "/check-out/<payment_ref_id>", "pay_page"),
        ("GET", "/__sandbox__/public-key", "control_public_key"),
        ("POST", "/__sandbox__/merchants", "control_merchant"),
        ("POST", "/__sandbox__/verify/fail", "control_fail_verify"),
    )
    COUNTED = ("initialize", "complete", "verify")

    def __init__(self, *, clock=None):
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
        self.clock = clock or (lambda: datetime.now(DHAKA))
        self._lock = threading.RLock()
        self.merchants: dict[str, dict] = {}
        self.verify_latency = 0.0
        self.reset()

    # ---- controls ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget payments, calls and plans (registered merchants stay, as at Nagad)."""
        with self._lock:
            self.payments: dict[str, dict] = {}
            self.calls: list[dict] = []
            self._verify_failures: deque = deque()
            self._verify_amounts: deque = deque()
            self._declines: deque = deque()

    def register_merchant(self, merchant_id: str, public_key_pem: str, account_number: str = DEMO_MERCHANT_NUMBER) -> None:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
        with self._lock:
            self.merchants[str(merchant_id)] = {"key": key, "account_number": str(account_number)}

    def fail_next_verify(self, times: int = 1, http_status: int = 503) -> None:
        """The next `times` verify calls fail as when Nagad is down (HTTP 503, no JSON)."""
        with self._lock:
            self._verify_failures.extend([http_status] * times)

    def report_next_verify(self, amount: str) -> None:
        """The next verify of a paid payment reports this amount (a payment for another sum)."""
        with self._lock:
            self._verify_amounts.append(amount)

    def decline_next_payment(self) -> None:
        with self._lock:
            self._declines.append(True)

    def gateway_config(self, url: str, private_key_pem: str, merchant_id: str = DEMO_MERCHANT_ID, **overrides) -> dict:
        """The adapter's config for this sandbox at `url`, for a merchant whose key this registers."""
        key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
        self.register_merchant(merchant_id, key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii"))
        config = {"base_url": url.rstrip("/") + PREFIX, "merchant_id": merchant_id,
                  "merchant_number": DEMO_MERCHANT_NUMBER, "nagad_public_key": self.public_key_pem,
                  "merchant_private_key": private_key_pem, "server_ip": "127.0.0.1", "timeout": 5}
        config.update(overrides)
        return config

    # ---- WSGI --------------------------------------------------------------------------------

    def heard(self, endpoint: str, request: Request) -> None:
        if not endpoint.startswith(("control_", "pay_page")):
            with self._lock:
                self.calls.append({"endpoint": endpoint, "path": request.path, "json": request.get_json(silent=True),
                                   "headers": {name: request.headers.get(name) for name in
                                               ("X-KM-Api-Version", "X-KM-IP-V4", "X-KM-Client-Type")}})

    def _header_refusal(self, request: Request) -> Response | None:
        if request.headers.get("X-KM-Api-Version") != "v-0.2.0":
            return _refusal("INVALID_API_VERSION", "Api version is not supported")
        if not request.headers.get("X-KM-IP-V4"):
            return _refusal("INVALID_IP", "Client ip is required")
        if request.headers.get("X-KM-Client-Type") not in CLIENT_TYPES:
            return _refusal("INVALID_CLIENT_TYPE", "Client type is not valid")
        return None

    def _open(self, merchant_id: str, body) -> dict | Response:
        """The merchant's sensitive data: decrypted with our key, its signature checked with theirs."""
        merchant = self.merchants.get(merchant_id)
        if merchant is None:
            return _refusal("INVALID_MERCHANT", "Merchant is not registered")
        if not isinstance(body, dict) or not body.get("sensitiveData") or not body.get("signature"):
            return _refusal("MANDATORY_FIELD_MISSING", "sensitiveData and signature are required")
        try:
            plain = self._key.decrypt(base64.b64decode(body["sensitiveData"], validate=True), padding.PKCS1v15())
        except (ValueError, TypeError):
            return _refusal("DECRYPTION_FAILED", "Please verify provided data and try again. Call 16167 for help.")
        try:
            merchant["key"].verify(base64.b64decode(body["signature"], validate=True), plain, padding.PKCS1v15(),
                                   hashes.SHA256())
        except (InvalidSignature, ValueError, TypeError):
            return _refusal("INVALID_SIGNATURE", "Signature verification failed")
        try:
            data = json.loads(plain)
        except ValueError:
            return _refusal("INVALID_SENSITIVE_DATA", "Sensitive data is not valid JSON")
        return data if isinstance(data, dict) else _refusal("INVALID_SENSITIVE_DATA", "Sensitive data is not an object")

    def _sealed(self, merchant_id: str, data: dict) -> Response:
        plain = json.dumps(data).encode("utf-8")
        encrypted = self.merchants[merchant_id]["key"].encrypt(plain, padding.PKCS1v15())
        signature = self._key.sign(plain, padding.PKCS1v15(), hashes.SHA256())
        return Response(json.dumps({"sensitiveData": base64.b64encode(encrypted).decode(),
                                    "signature": base64.b64encode(signature).decode()}), mimetype="application/json")

    # ---- the merchant's calls ----------------------------------------------------------------

    def on_initialize(self, request: Request, merchant_id: str, order_id: str) -> Response:
        refused = self._header_refusal(request)
        if refused is not None:
            return refused
        body = request.get_json(silent=True)
        data = self._open(merchant_id, body)
        if isinstance(data, Response):
            return data
        if data.get("merchantId") != merchant_id or data.get("orderId") != order_id:
            return _refusal("INVALID_SENSITIVE_DATA", "merchantId and orderId must match the path")
        if not data.get("challenge"):
            return _refusal("MANDATORY_FIELD_MISSING", "challenge is required")
        if body.get("accountNumber") != self.merchants[merchant_id]["account_number"]:
            return _refusal("INVALID_ACCOUNT", "Merchant account number does not match")
        try:
            sent = datetime.strptime(str(data.get("datetime")), "%Y%m%d%H%M%S").replace(tzinfo=DHAKA)
        except ValueError:
            return _refusal("INVALID_DATETIME", "datetime must be YYYYMMDDHHMMSS (Asia/Dhaka)")
        if body.get("dateTime") != data.get("datetime") or abs(sent - self.clock()) > CLOCK_SKEW:
            return _refusal("INVALID_DATETIME", "Request datetime is out of the accepted window")
        with self._lock:
            if any(p["merchantId"] == merchant_id and p["orderId"] == order_id and p["status"] == SUCCESS
                   for p in self.payments.values()):
                return _refusal("DUPLICATE_ORDER_ID", "Order id is already paid")
            reference = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
            challenge = secrets.token_hex(20)
            self.payments[reference] = {"paymentRefId": reference, "merchantId": merchant_id, "orderId": order_id,
                                        "challenge": challenge, "status": INITIATED, "amount": None,
                                        "orderDateTime": data["datetime"], "callbackURL": None}
        return self._sealed(merchant_id, {"paymentReferenceId": reference, "challenge": challenge,
                                          "acceptDateTime": self.clock().strftime("%Y%m%d%H%M%S")})

    def on_complete(self, request: Request, payment_ref_id: str) -> Response:
        refused = self._header_refusal(request)
        if refused is not None:
            return refused
        with self._lock:
            payment = self.payments.get(payment_ref_id)
        if payment is None:
            return _refusal("INVALID_PAYMENT_REFERENCE", "Payment reference id is not valid")
        body = request.get_json(silent=True)
        data = self._open(payment["merchantId"], body)
        if isinstance(data, Response):
            return data
        if data.get("merchantId") != payment["merchantId"] or data.get("orderId") != payment["orderId"]:
            return _refusal("INVALID_SENSITIVE_DATA", "merchantId and orderId must match the initialized order")
        if not secrets.compare_digest(str(data.get("challenge", "")), payment["challenge"]):
            return _refusal("INVALID_CHALLENGE", "Challenge does not match")
        if data.get("currencyCode") != "050":
            return _refusal("INVALID_CURRENCY", "Currency code must be 050")
        amount = data.get("amount")
        if not isinstance(amount, str) or not AMOUNT.match(amount) or Decimal(amount) <= 0:
            return _refusal("INVALID_AMOUNT", "Amount is not valid")
        callback = str(body.get("merchantCallbackURL") or "")
        if urlsplit(callback).scheme not in ("http", "https"):
            return _refusal("INVALID_CALLBACK_URL", "Merchant callback URL is not valid")
        with self._lock:
            if payment["status"] != INITIATED:
                return _refusal("INVALID_PAYMENT_STATE", "Order is already completed")
            payment.update(amount=amount, callbackURL=callback, status=READY,
                           additionalMerchantInfo=body.get("additionalMerchantInfo"))
        return Response(json.dumps({"status": "Success", "callBackUrl": f"{request.host_url}check-out/{payment_ref_id}"}),
                        mimetype="application/json")

    def on_verify(self, request: Request, payment_ref_id: str) -> Response:
        with self._lock:
            failure = self._verify_failures.popleft() if self._verify_failures else None
            payment = self.payments.get(payment_ref_id)
            other_amount = self._verify_amounts.popleft() if self._verify_amounts and payment and \
                payment["status"] == SUCCESS else None
        if self.verify_latency:
            time.sleep(self.verify_latency)
        if failure is not None:
            return Response("<html><body>Service Unavailable</body></html>", status=failure, mimetype="text/html")
        if payment is None:
            return _refusal("INVALID_PAYMENT_REFERENCE", "Payment reference id is not valid")
        paid = payment["status"] == SUCCESS
        answer = {
            "merchantId": payment["merchantId"], "orderId": payment["orderId"], "paymentRefId": payment_ref_id,
            "amount": other_amount or payment["amount"], "clientMobileNo": payment.get("clientMobileNo"),
            "merchantMobileNo": self.merchants[payment["merchantId"]]["account_number"],
            "orderDateTime": payment["orderDateTime"], "issuerPaymentDateTime": payment.get("issuerPaymentDateTime"),
            "issuerPaymentRefNo": payment.get("issuerPaymentRefNo"),
            "additionalMerchantInfo": json.dumps(payment.get("additionalMerchantInfo") or {}),
            "status": payment["status"] if payment["status"] != READY else INITIATED,
            "statusCode": "000" if paid else "001",
        }
        return Response(json.dumps(answer), mimetype="application/json")

    # ---- the payer's page --------------------------------------------------------------------

    def on_pay_page(self, request: Request, payment_ref_id: str) -> Response:
        with self._lock:
            payment = self.payments.get(payment_ref_id)
        if payment is None:
            return payer_page("Nagad", "Payment not found", "<p>There is no payment with this reference.</p>", 404)
        if payment["status"] != READY:
            return payer_page("Nagad", "Payment closed", f"<p>This payment is already {html.escape(payment['status'])}.</p>",
                              409)
        if request.method == "GET":
            return payer_page("Nagad", "Pay with Nagad", _pay_form(payment, SANDBOX_WALLET))
        if request.form.get("action") == "cancel":
            return self._finish(payment_ref_id, ABORTED, None)
        wallet = request.form.get("wallet", "")
        try:
            msisdn = local_form(normalise_phone(wallet))
        except InvalidPhone as error:
            return payer_page("Nagad", "Pay with Nagad", _pay_form(payment, wallet, str(error)), 400)
        with self._lock:
            declined = self._declines.popleft() if self._declines else False
        return self._finish(payment_ref_id, ABORTED if declined else SUCCESS, msisdn)

    def _finish(self, payment_ref_id: str, state: str, msisdn: str | None) -> Response:
        with self._lock:
            payment = self.payments[payment_ref_id]
            if payment["status"] != READY:  # a double submit: the first one decided
                return payer_page("Nagad", "Payment closed", "<p>This payment is already closed.</p>", 409)
            payment["status"] = state
            if state == SUCCESS:
                payment.update(clientMobileNo=msisdn, issuerPaymentRefNo=secrets.token_hex(5).upper(),
                               issuerPaymentDateTime=self.clock().strftime("%Y%m%d%H%M%S"))
            target = with_query(payment["callbackURL"], merchant=payment["merchantId"], order_id=payment["orderId"],
                                payment_ref_id=payment_ref_id, status=state,
                                status_code="00_0000_000" if state == SUCCESS else "01_0000_001",
                                message="Successful Transaction" if state == SUCCESS else "Aborted by the customer")
        return Response(status=302, headers={"Location": target})

    # ---- HTTP controls -----------------------------------------------------------------------

    def on_control_public_key(self, request: Request) -> Response:
        return self._control_answer({"publicKey": self.public_key_pem})

    def on_control_merchant(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        try:
            self.register_merchant(str(body["merchantId"]), str(body["publicKey"]),
                                   str(body.get("accountNumber") or DEMO_MERCHANT_NUMBER))
        except (KeyError, ValueError, TypeError):
            return _refusal("INVALID_MERCHANT", "merchantId and a PEM publicKey are required")
        return self._control_answer()

    def on_control_fail_verify(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.fail_next_verify(int(body.get("times", 1)), int(body.get("http_status", 503)))
        return self._control_answer()


def _pay_form(payment: dict, wallet: str, error: str = "") -> str:
    details = (("Order", payment["orderId"]), ("Amount", f"৳ {payment['amount']}"), ("Payment reference", payment["paymentRefId"]))
    return pay_form("Nagad", details, wallet, error, pay_label="Confirm payment")
