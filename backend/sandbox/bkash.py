"""A local bKash Tokenized Checkout (v1.2.0-beta) for tests and the demo, never for production.

It speaks the wire format the adapter (backend/integrations/payments/bkash.py) speaks to the
real bKash, at the same paths under /v1.2.0-beta/tokenized/checkout/, and checks what bKash
checks: the merchant's username/password/app key/secret, the id_token and its expiry, the
X-APP-Key header, the create fields, and the payment's state on execute. It is stricter than
needed where that catches adapter bugs (the amount must be a string with at most 2 decimals;
the Authorization header must be the bare id_token, as in bKash's samples).

Answers:
- success: HTTP 200, `statusCode: "0000"`, `statusMessage: "Successful"` plus bKash's fields;
- bKash refusals: HTTP 200 with `statusCode`/`statusMessage`, using bKash's published codes
  (2001 Invalid App Key, 2002 Invalid Payment ID, 2006 Invalid amount, 2056 Invalid Payment
  State, 2117 Payment execution already been called before, ...);
- a refused token or wrong username/password: HTTP 401 with `{"message": ...}`, the shape of the
  API gateway in front of bKash (bKash's own WooCommerce plugin re-grants on a 401). bKash does
  not publish the exact body; the adapter relies only on the status and on a missing id_token.

The shopper's side is a plain HTML page at the `bkashURL` (/pay/<paymentID>) with Pay and
Cancel buttons; it sends the browser to `callbackURL?paymentID=…&status=success|cancel|failure`.

Controls, in-process (tests) or over HTTP under /__sandbox__/ (demo, another process):
    sandbox.fail_next_execute(status_code="2023", status_message="Insufficient Balance")
    sandbox.delay_next_execute(seconds, complete=True)   # slow answer; the payment completes first
    sandbox.create_latency = seconds                     # every create answers this late
    sandbox.drop_next_execute_response()                 # complete, then close without answering
    sandbox.decline_next_payment()                       # the next Pay ends in status=failure
    sandbox.expire_tokens()                              # every id_token so far stops working
    sandbox.reset()
    sandbox.count("grant"), sandbox.calls, sandbox.payment(payment_id)
"""
import html
import json
import secrets
import string
import threading
import time
from collections import deque
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from backend.phones import InvalidPhone, local_form, normalise_phone
from backend.clock import DHAKA

from .payments import AMOUNT, PaymentSandbox, pay_form, payer_page, with_query
from .server import drop_connection, register_sandbox

PREFIX = "/v1.2.0-beta/tokenized/checkout"

# What the sandbox accepts unless told otherwise (the demo uses these).
CREDENTIALS = {
    "username": "sandbox-merchant",
    "password": "sandbox-password",
    "app_key": "sandbox-app-key",
    "app_secret": "sandbox-app-secret",
}
SANDBOX_WALLET = "01770618575"  # prefilled on the pay page

# Payment states inside the sandbox. bKash shows an authorised-but-not-executed payment as
# "Initiated" to the merchant; only execute makes it "Completed".
INITIATED, AUTHORIZED, COMPLETED, CANCELLED, FAILED = "Initiated", "Authorized", "Completed", "Cancelled", "Failed"


def _refusal(code: str, message: str) -> dict:
    return {"statusCode": code, "statusMessage": message}


@register_sandbox("bkash")
class BkashSandbox(PaymentSandbox):
    """The WSGI app. Build one per test: its state lives on the instance."""

    ROUTES = (
        ("POST", f"{PREFIX}/token/grant", "grant"),
        ("POST", f"{PREFIX}/token/refresh", "refresh"),
        ("POST", f"{PREFIX}/create", "create"),
        ("POST", f"{PREFIX}/execute", "execute"),
        ("POST", f"{PREFIX}/payment/status", "status"),
        ("GET POST", "/pay/<payment_id>", "pay_page"),
        ("POST", "/__sandbox__/execute/fail", "control_fail"),
        ("POST", "/__sandbox__/execute/delay", "control_delay"),
        ("POST", "/__sandbox__/execute/drop", "control_drop"),
        ("POST", "/__sandbox__/pay/decline", "control_decline"),
        ("POST", "/__sandbox__/tokens/expire", "control_expire"),
    )
    COUNTED = ("grant", "refresh", "create", "execute", "status")

    def __init__(self, *, username=CREDENTIALS["username"], password=CREDENTIALS["password"],
                 app_key=CREDENTIALS["app_key"], app_secret=CREDENTIALS["app_secret"],
                 token_lifetime: int = 3600, refresh_lifetime: int = 28 * 86400, clock=time.time):
        self.username, self.password = username, password
        self.app_key, self.app_secret = app_key, app_secret
        self.token_lifetime, self.refresh_lifetime = token_lifetime, refresh_lifetime
        self.clock = clock
        self._lock = threading.RLock()
        self._wake = threading.Event()  # set by reset() so a delayed answer stops waiting
        self.create_latency = 0.0  # seconds every create takes (bKash opening a payment slowly)
        self.reset()

    # ---- controls --------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._wake.set()
            self._wake = threading.Event()
            self.payments: dict[str, dict] = {}
            self.id_tokens: dict[str, float] = {}
            self.refresh_tokens: dict[str, float] = {}
            self.calls: list[dict] = []
            self._execute_plans: deque = deque()
            self._pay_plans: deque = deque()

    def fail_next_execute(self, status_code: str = "2023", status_message: str = "Insufficient Balance", *,
                          http_status: int = 200, payment_status: str | None = FAILED) -> None:
        """The next execute answers this refusal. `payment_status` is what the payment becomes
        (None: untouched, as after a bKash system error that never reached the payment)."""
        with self._lock:
            self._execute_plans.append({"kind": "fail", "body": _refusal(status_code, status_message),
                                        "http_status": http_status, "payment_status": payment_status})

    def delay_next_execute(self, seconds: float, *, complete: bool = True) -> None:
        """The next execute answers after `seconds`. With complete=True the payment is completed
        at once and only the answer is late (a client with a shorter timeout never hears of it);
        with complete=False nothing happens and the late answer is a 503."""
        with self._lock:
            self._execute_plans.append({"kind": "delay", "seconds": float(seconds), "complete": complete})

    def drop_next_execute_response(self) -> None:
        """The next execute completes the payment, then closes the connection without answering."""
        with self._lock:
            self._execute_plans.append({"kind": "drop"})

    def decline_next_payment(self, reason: str = "Insufficient Balance") -> None:
        """The next Pay on the pay page fails, and the browser goes to the callback with status=failure."""
        with self._lock:
            self._pay_plans.append(reason)

    def expire_tokens(self) -> None:
        """Every id_token issued so far stops working now (refresh tokens still work)."""
        with self._lock:
            now = self.clock()
            for token in self.id_tokens:
                self.id_tokens[token] = min(self.id_tokens[token], now)

    def gateway_config(self, url: str, **overrides) -> dict:
        """The adapter's config for this sandbox served at `url` (e.g. SandboxServer's url)."""
        config = {
            "base_url": url.rstrip("/") + PREFIX,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "username": self.username,
            "password": self.password,
            "timeout": 5,
        }
        config.update(overrides)
        return config

    # ---- WSGI ------------------------------------------------------------------------------

    def _record(self, endpoint: str, request: Request, body) -> None:
        headers = {name: request.headers.get(name) for name in
                   ("Authorization", "X-APP-Key", "username", "password", "Content-Type")
                   if request.headers.get(name) is not None}
        with self._lock:
            self.calls.append({"endpoint": endpoint, "path": request.path, "headers": headers, "json": body})

    @staticmethod
    def _json(data: dict, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def _body(self, endpoint: str, request: Request):
        body = request.get_json(silent=True)
        self._record(endpoint, request, body)
        return body if isinstance(body, dict) else None

    # ---- tokens ----------------------------------------------------------------------------

    def _merchant_refusal(self, request: Request, body: dict | None) -> Response | None:
        """None when the merchant's username/password (headers) and app key/secret (body) are right."""
        if not (secrets.compare_digest(request.headers.get("username", ""), self.username)
                and secrets.compare_digest(request.headers.get("password", ""), self.password)):
            return self._json({"message": "Unauthorized"}, 401)
        if body is None:
            return self._json(_refusal("2025", "Invalid request body"))
        if not (secrets.compare_digest(str(body.get("app_key", "")), self.app_key)
                and secrets.compare_digest(str(body.get("app_secret", "")), self.app_secret)):
            return self._json(_refusal("2001", "Invalid App Key"))
        return None

    def _issue(self, refresh_token: str | None = None) -> dict:
        now = self.clock()
        id_token = "sbx-id-" + secrets.token_urlsafe(24)
        with self._lock:
            self.id_tokens[id_token] = now + self.token_lifetime
            if refresh_token is None:
                refresh_token = "sbx-refresh-" + secrets.token_urlsafe(24)
                self.refresh_tokens[refresh_token] = now + self.refresh_lifetime
        return {"statusCode": "0000", "statusMessage": "Successful", "id_token": id_token,
                "token_type": "Bearer", "expires_in": self.token_lifetime, "refresh_token": refresh_token}

    def on_grant(self, request: Request) -> Response:
        body = self._body("grant", request)
        refused = self._merchant_refusal(request, body)
        return refused if refused is not None else self._json(self._issue())

    def on_refresh(self, request: Request) -> Response:
        body = self._body("refresh", request)
        refused = self._merchant_refusal(request, body)
        if refused is not None:
            return refused
        refresh_token = str(body.get("refresh_token") or "")
        with self._lock:
            expires = self.refresh_tokens.get(refresh_token)
        if expires is None or self.clock() >= expires:
            return self._json({"message": "The refresh token is invalid or has expired"}, 401)
        return self._json(self._issue(refresh_token))

    def _authorised_body(self, endpoint: str, request: Request) -> tuple[dict | None, Response | None]:
        """A payment call's JSON body (recorded), and None when its id_token and app key are
        good, else bKash's refusal."""
        body = self._body(endpoint, request)
        return body, self._authorised(request)

    def _authorised(self, request: Request) -> Response | None:
        """None when the id_token and app key are good, else bKash's refusal."""
        token = request.headers.get("Authorization", "")
        with self._lock:
            expires = self.id_tokens.get(token)
        if expires is None:
            return self._json({"message": "Unauthorized"}, 401)
        if self.clock() >= expires:
            return self._json({"message": "The incoming token has expired"}, 401)
        if not secrets.compare_digest(request.headers.get("X-APP-Key", ""), self.app_key):
            return self._json(_refusal("2001", "Invalid App Key"))
        return None

    # ---- payments --------------------------------------------------------------------------

    def _time(self) -> str:
        moment = datetime.fromtimestamp(self.clock(), DHAKA)
        return moment.strftime("%Y-%m-%dT%H:%M:%S:") + f"{moment.microsecond // 1000:03d} GMT+0600"

    def on_create(self, request: Request) -> Response:
        if self.create_latency:
            self._wake.wait(self.create_latency)
        body, refused = self._authorised_body("create", request)
        if refused is not None:
            return refused
        if body is None:
            return self._json(_refusal("2025", "Invalid request body"))
        required = ("mode", "payerReference", "callbackURL", "amount", "currency", "intent", "merchantInvoiceNumber")
        if any(body.get(name) in (None, "") for name in required):
            return self._json(_refusal("2065", "Mendatory field missing"))  # sic, bKash's spelling
        if body["mode"] != "0011":
            return self._json(_refusal("2063", "Mode is not valid as per request data"))
        amount = body["amount"]
        if not isinstance(amount, str) or not AMOUNT.match(amount) or Decimal(amount) <= 0:
            return self._json(_refusal("2006", "Invalid amount"))
        if body["currency"] != "BDT":
            return self._json(_refusal("2007", "Invalid currency"))
        if body["intent"] != "sale":
            return self._json(_refusal("2008", "Invalid intent"))
        if urlsplit(str(body["callbackURL"])).scheme not in ("http", "https"):
            return self._json(_refusal("2049", "Invalid Merchant Callback URL"))
        payment_id = "TR0011" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20))
        payment = {
            "paymentID": payment_id,
            "mode": "0011",
            "amount": amount,
            "currency": "BDT",
            "intent": "sale",
            "merchantInvoiceNumber": str(body["merchantInvoiceNumber"]),
            "payerReference": str(body["payerReference"]),
            "callbackURL": str(body["callbackURL"]),
            "status": INITIATED,
            "paymentCreateTime": self._time(),
        }
        with self._lock:
            self.payments[payment_id] = payment
        callback = payment["callbackURL"]
        return self._json({
            "statusCode": "0000",
            "statusMessage": "Successful",
            "paymentID": payment_id,
            "bkashURL": f"{request.host_url}pay/{payment_id}",
            "callbackURL": callback,
            "successCallbackURL": with_query(callback, paymentID=payment_id, status="success"),
            "failureCallbackURL": with_query(callback, paymentID=payment_id, status="failure"),
            "cancelledCallbackURL": with_query(callback, paymentID=payment_id, status="cancel"),
            "amount": amount,
            "intent": "sale",
            "currency": "BDT",
            "paymentCreateTime": payment["paymentCreateTime"],
            "transactionStatus": INITIATED,
            "merchantInvoiceNumber": payment["merchantInvoiceNumber"],
        })

    def _execute(self, payment_id: str) -> dict:
        """Executes an authorised payment; bKash's refusal for any other state."""
        with self._lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return _refusal("2002", "Invalid Payment ID")
            if payment["status"] == COMPLETED:
                return _refusal("2117", "Payment execution already been called before")
            if payment["status"] != AUTHORIZED:
                return _refusal("2056", "Invalid Payment State")
            payment["status"] = COMPLETED
            payment["trxID"] = "SBX" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(7))
            payment["paymentExecuteTime"] = self._time()
            return {
                "statusCode": "0000",
                "statusMessage": "Successful",
                "paymentID": payment_id,
                "customerMsisdn": payment.get("customerMsisdn", SANDBOX_WALLET),
                "payerReference": payment["payerReference"],
                "paymentExecuteTime": payment["paymentExecuteTime"],
                "trxID": payment["trxID"],
                "transactionStatus": COMPLETED,
                "amount": payment["amount"],
                "currency": "BDT",
                "intent": "sale",
                "merchantInvoiceNumber": payment["merchantInvoiceNumber"],
            }

    def on_execute(self, request: Request) -> Response:
        body, refused = self._authorised_body("execute", request)
        if refused is not None:
            return refused
        payment_id = str((body or {}).get("paymentID") or "")
        if not payment_id:
            return self._json(_refusal("2065", "Mendatory field missing"))
        with self._lock:
            plan = self._execute_plans.popleft() if self._execute_plans else {"kind": "normal"}
            wake = self._wake

        if plan["kind"] == "fail":
            with self._lock:
                payment = self.payments.get(payment_id)
                if payment is not None and plan["payment_status"] and payment["status"] == AUTHORIZED:
                    payment["status"] = plan["payment_status"]
            return self._json(plan["body"], plan["http_status"])
        if plan["kind"] == "delay" and not plan["complete"]:
            wake.wait(plan["seconds"])
            return self._json(_refusal("503", "System is undergoing maintenance. Please try again later"), 503)

        answer = self._execute(payment_id)
        if plan["kind"] == "delay":
            wake.wait(plan["seconds"])
        elif plan["kind"] == "drop":
            drop_connection(request.environ)  # the payment is completed; the merchant never hears so
        return self._json(answer)

    def on_status(self, request: Request) -> Response:
        body, refused = self._authorised_body("status", request)
        if refused is not None:
            return refused
        payment_id = str((body or {}).get("paymentID") or "")
        with self._lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return self._json(_refusal("2002", "Invalid Payment ID"))
            state = payment["status"]
            answer = {
                "paymentID": payment_id,
                "mode": payment["mode"],
                "paymentCreateTime": payment["paymentCreateTime"],
                "amount": payment["amount"],
                "currency": "BDT",
                "intent": "sale",
                "merchantInvoiceNumber": payment["merchantInvoiceNumber"],
                "payerReference": payment["payerReference"],
                "transactionStatus": INITIATED if state == AUTHORIZED else state,
                "userVerificationStatus": "Complete" if state in (AUTHORIZED, COMPLETED) else "Incomplete",
                "statusCode": "0000",
                "statusMessage": "Successful",
            }
            for field in ("trxID", "paymentExecuteTime", "customerMsisdn"):
                if field in payment:
                    answer[field] = payment[field]
        return self._json(answer)

    # ---- the shopper's page ----------------------------------------------------------------

    def on_pay_page(self, request: Request, payment_id: str) -> Response:
        with self._lock:
            payment = self.payments.get(payment_id)
        if payment is None:
            return payer_page("bKash", "Payment not found", "<p>There is no payment with this ID.</p>", 404)
        if payment["status"] != INITIATED:
            return payer_page("bKash", "Payment closed",
                              f"<p>This payment is already {html.escape(payment['status'].lower())}.</p>", 409)
        if request.method == "GET":
            return payer_page("bKash", "Pay with bKash", _pay_form(payment, SANDBOX_WALLET))

        action = request.form.get("action", "")
        if action == "cancel":
            return self._finish(payment_id, CANCELLED, "cancel")
        if action != "pay":
            return payer_page("bKash", "Pay with bKash", _pay_form(payment, SANDBOX_WALLET, "Choose Pay or Cancel."),
                              400)
        wallet = request.form.get("wallet", "")
        try:
            msisdn = local_form(normalise_phone(wallet))
        except InvalidPhone as error:
            return payer_page("bKash", "Pay with bKash", _pay_form(payment, wallet, str(error)), 400)
        with self._lock:
            declined = self._pay_plans.popleft() if self._pay_plans else None
            payment["customerMsisdn"] = msisdn
        if declined:
            return self._finish(payment_id, FAILED, "failure")
        return self._finish(payment_id, AUTHORIZED, "success")

    def _finish(self, payment_id: str, state: str, callback_status: str) -> Response:
        with self._lock:
            payment = self.payments[payment_id]
            if payment["status"] != INITIATED:  # a double submit: the first one decided
                return payer_page("bKash", "Payment closed", "<p>This payment is already closed.</p>", 409)
            payment["status"] = state
            target = with_query(payment["callbackURL"], paymentID=payment_id, status=callback_status)
        response = Response(status=302)
        response.headers["Location"] = target
        return response

    # ---- HTTP controls (for a sandbox running in another process) -------------------------

    def on_control_fail(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.fail_next_execute(str(body.get("statusCode", "2023")), str(body.get("statusMessage", "Insufficient Balance")),
                               http_status=int(body.get("http_status", 200)),
                               payment_status=body.get("payment_status", FAILED))
        return self._json({"ok": True})

    def on_control_delay(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.delay_next_execute(float(body.get("seconds", 35)), complete=bool(body.get("complete", True)))
        return self._json({"ok": True})

    def on_control_drop(self, request: Request) -> Response:
        self.drop_next_execute_response()
        return self._json({"ok": True})

    def on_control_decline(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.decline_next_payment(str(body.get("reason", "Insufficient Balance")))
        return self._json({"ok": True})

    def on_control_expire(self, request: Request) -> Response:
        self.expire_tokens()
        return self._json({"ok": True})


def _pay_form(payment: dict, wallet: str, error: str = "") -> str:
    details = (("Merchant invoice", payment["merchantInvoiceNumber"]), ("Amount", f"৳ {payment['amount']}"),
               ("Payment ID", payment["paymentID"]))
    return pay_form("bKash", details, wallet, error, pay_label="Pay")
