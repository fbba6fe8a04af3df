"""A local Steadfast (Packzy API v1) for tests, the demo and the bench — never for production.

It speaks the wire format the adapter (backend/integrations/couriers/steadfast.py) speaks to the
real Steadfast, at the same paths, and checks what Steadfast checks:

- `Api-Key` / `Secret-Key` headers: unknown keys get HTTP 401 `{"status": 401, "message": "Unauthorized."}`;
- `create_order` fields, with Laravel-style validation answers (HTTP 400,
  `{"status": 400, "errors": {field: [message]}}`), and a repeated invoice refused as
  `{"errors": {"invoice": ["The invoice has already been taken."]}}` — per account, as Steadfast;
- `create_order/bulk-order`: `data` must be a JSON-encoded array of at most 500; the answer is a
  bare array when every item was created and `{"data": [...]}` when some were not (the two
  shapes the reference shows); failed items carry null ids and no reason;
- `status_by_cid` / `status_by_invoice` / `status_by_trackingcode`, `get_balance`;
- `fraud_check/{01XXXXXXXXX}`: a phone's history across "all merchants" — deterministic per number
  (about one number in five has none: 404), or what a test set; each account may look up
  `fraud_limit` numbers a day, then 429.

Behaviour on request (in process through `app.sandbox`, or `POST /__sandbox__/control`):
    sandbox.set_rate(per_second, burst=None)  # token bucket per API key; excess → 429 + Retry-After
    sandbox.latency_ms = 100                  # every answer takes this long
    sandbox.slow_next(seconds, count=1)       # the next answers take this long
    sandbox.fail_next(count=1, status=503)    # the next answers are 5xx
    sandbox.drop_next_create()                # create the parcel, then close the socket unanswered
    sandbox.advance(seconds)                  # move the parcels' clock (statuses advance with it)
    sandbox.time_scale = 60                   # or let it run: sandbox seconds per real second
    sandbox.set_outcome(consignment_id, "cancelled") / sandbox.set_status(consignment_id, "hold")
    sandbox.seed(count)                       # parcels made directly (the bench's 10,000)
    sandbox.set_history("01711000000", total=10, delivered=7, cancelled=3)  # or None: no history (404)
    sandbox.fraud_limit = 2                   # fraud checks per account per day (then 429)
    sandbox.fraud_key_style = "capitalised"   # answer `Total_parcels`, as one client's test fakes it

Statuses advance with the sandbox clock along a path chosen per parcel: delivered (most),
partial, cancelled or unknown, each passing through its `*_approval_pending` state first.
"""
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import Flask, Response, jsonify, request

from backend.sandbox.server import drop_connection, register_sandbox

API_KEY = "sandbox-steadfast-api-key"
SECRET_KEY = "sandbox-steadfast-secret-key"
MAX_BULK = 500
HOUR = 3600

# (seconds after booking, delivery_status) — the path a parcel walks, by its outcome.
PATHS = {
    "delivered": [(0, "in_review"), (1 * HOUR, "pending"), (20 * HOUR, "delivered_approval_pending"), (30 * HOUR, "delivered")],
    "partial": [(0, "in_review"), (1 * HOUR, "pending"), (20 * HOUR, "partial_delivered_approval_pending"),
                (30 * HOUR, "partial_delivered")],
    "cancelled": [(0, "in_review"), (1 * HOUR, "pending"), (10 * HOUR, "hold"), (20 * HOUR, "cancelled_approval_pending"),
                  (30 * HOUR, "cancelled")],
    "unknown": [(0, "in_review"), (1 * HOUR, "pending"), (20 * HOUR, "unknown_approval_pending"), (30 * HOUR, "unknown")],
}
STATUSES = {status for path in PATHS.values() for _at, status in path}
ALPHA_DASH = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Account:
    api_key: str
    secret_key: str
    balance: Decimal = Decimal("15250.50")
    tokens: float = 0.0
    refilled_at: float = field(default_factory=time.monotonic)
    fraud_checks: Counter = field(default_factory=Counter)  # sandbox day → look-ups made


@dataclass
class Parcel:
    account: str
    consignment_id: int
    invoice: str
    tracking_code: str
    fields: dict
    booked_at: float
    outcome: str
    forced_status: str | None = None


class SteadfastSandbox:
    def __init__(self, *, api_key: str = API_KEY, secret_key: str = SECRET_KEY):
        self.lock = threading.Lock()
        self.accounts: dict[str, Account] = {}
        self.add_account(api_key, secret_key)
        self.parcels: dict[int, Parcel] = {}
        self.by_invoice: dict[tuple[str, str], int] = {}
        self.by_tracking: dict[tuple[str, str], int] = {}
        self._ids = itertools.count(100_000_001)
        self.histories: dict[str, tuple[int, int, int] | None] = {}
        self.reset_behaviour()

    # -- controls -------------------------------------------------------------------------------
    def reset_behaviour(self) -> None:
        with self.lock:
            self.rate_per_second: float | None = None
            self.burst = 1.0
            self.latency_ms = 0
            self._slow: list[float] = []
            self._failures: list[int] = []
            self._drop_creates = 0
            self.clock_offset = 0.0
            self.time_scale = 0.0
            self._clock_base = time.monotonic()
            self.calls: Counter = Counter()
            self.status_calls: Counter = Counter()  # consignment id → status requests for it
            self.rate_limited = 0
            self.fraud_limit = 20  # "usually 10-20" a day for standard merchants (reference §5)
            self.fraud_key_style = "lower"

    def add_account(self, api_key: str, secret_key: str, balance: Decimal = Decimal("15250.50")) -> Account:
        account = Account(api_key, secret_key, balance)
        self.accounts[api_key] = account
        return account

    def set_rate(self, per_second: float | None, burst: float | None = None) -> None:
        """A token bucket per API key: `per_second` tokens a second, holding at most `burst`
        (default: one second's worth). None switches limiting off."""
        with self.lock:
            self.rate_per_second = float(per_second) if per_second else None
            self.burst = float(burst) if burst else max(1.0, self.rate_per_second or 1.0)
            for account in self.accounts.values():
                account.tokens, account.refilled_at = self.burst, time.monotonic()

    def slow_next(self, seconds: float, count: int = 1) -> None:
        with self.lock:
            self._slow.extend([float(seconds)] * count)

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self.lock:
            self._failures.extend([int(status)] * count)

    def drop_next_create(self, count: int = 1) -> None:
        with self.lock:
            self._drop_creates += count

    def now(self) -> float:
        """The parcels' clock, in seconds: moved by advance(), or running at time_scale."""
        return self.clock_offset + (time.monotonic() - self._clock_base) * self.time_scale

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += float(seconds)

    def set_outcome(self, consignment_id, outcome: str) -> None:
        if outcome not in PATHS:
            raise ValueError(f"outcome must be one of {sorted(PATHS)}")
        self.parcels[int(consignment_id)].outcome = outcome

    def set_status(self, consignment_id, status: str | None) -> None:
        """Pin a parcel at a status whatever the clock says (None: follow the clock again)."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}")
        self.parcels[int(consignment_id)].forced_status = status

    def status_of(self, parcel: Parcel) -> str:
        if parcel.forced_status:
            return parcel.forced_status
        age = self.now() - parcel.booked_at
        current = "in_review"
        for at, status in PATHS[parcel.outcome]:
            if age >= at:
                current = status
        return current

    def seed(self, count: int, api_key: str = API_KEY) -> list[int]:
        """Parcels made directly, without HTTP, for benchmarks that need thousands."""
        made = []
        with self.lock:
            for n in range(count):
                invoice = f"SEED-{secrets.token_hex(6)}"
                made.append(self._store(api_key, invoice, {"invoice": invoice, "cod_amount": 1000}).consignment_id)
        return made

    # -- fraud check ------------------------------------------------------------------------------
    def set_history(self, phone: str, total: int | None = None, delivered: int = 0, cancelled: int = 0) -> None:
        """What `fraud_check` answers for this 01XXXXXXXXX number; total=None: no history (404)."""
        self.histories[phone] = None if total is None else (int(total), int(delivered), int(cancelled))

    def history_of(self, phone: str) -> tuple[int, int, int] | None:
        if phone in self.histories:
            return self.histories[phone]
        # the same number always has the same history: its hash decides it
        n = int(hashlib.sha256(phone.encode()).hexdigest(), 16)
        if n % 5 == 0:
            return None
        delivered, cancelled = n // 5 % 30, n // 150 % 6
        return delivered + cancelled + n // 900 % 3, delivered, cancelled  # a few still on the way

    def use_fraud_check(self, account: Account) -> tuple[int, bool]:
        """Count a look-up against today's allowance: (used today, allowed)."""
        with self.lock:
            day = int(self.now() // (24 * HOUR))
            if account.fraud_checks[day] >= self.fraud_limit:
                return account.fraud_checks[day], False
            account.fraud_checks[day] += 1
            return account.fraud_checks[day], True

    def parcel(self, consignment_id) -> Parcel | None:
        return self.parcels.get(int(consignment_id))

    # -- the parts of a request -----------------------------------------------------------------
    @staticmethod
    def _outcome_for(consignment_id: int) -> str:
        # Most parcels arrive; a steady few are cancelled, partly delivered or lost in "unknown".
        return {0: "cancelled", 7: "cancelled", 3: "partial", 11: "unknown"}.get(consignment_id % 20, "delivered")

    def _store(self, api_key: str, invoice: str, fields: dict) -> Parcel:
        consignment_id = next(self._ids)
        parcel = Parcel(api_key, consignment_id, invoice, secrets.token_hex(4).upper(), fields, self.now(),
                        self._outcome_for(consignment_id))
        self.parcels[consignment_id] = parcel
        self.by_invoice[(api_key, invoice)] = consignment_id
        self.by_tracking[(api_key, parcel.tracking_code)] = consignment_id
        return parcel

    def take_token(self, account: Account) -> float:
        """0 when the request may go on; else the seconds until a token is there."""
        with self.lock:
            if self.rate_per_second is None:
                return 0.0
            now = time.monotonic()
            account.tokens = min(self.burst, account.tokens + (now - account.refilled_at) * self.rate_per_second)
            account.refilled_at = now
            if account.tokens >= 1:
                account.tokens -= 1
                return 0.0
            self.rate_limited += 1
            return (1 - account.tokens) / self.rate_per_second

    def pop_failure(self) -> int | None:
        with self.lock:
            return self._failures.pop(0) if self._failures else None

    def pop_delay(self) -> float:
        with self.lock:
            return self._slow.pop(0) if self._slow else self.latency_ms / 1000

    def pop_drop(self) -> bool:
        with self.lock:
            if self._drop_creates:
                self._drop_creates -= 1
                return True
            return False

    def validate(self, api_key: str, fields: dict, taken: set[str] | None = None) -> dict[str, list[str]]:
        """Steadfast's (Laravel's) checks on one order, with its wording."""
        errors: dict[str, list[str]] = {}

        def add(name, message):
            errors.setdefault(name, []).append(message)

        invoice = fields.get("invoice")
        if invoice in (None, ""):
            add("invoice", "The invoice field is required.")
        elif not isinstance(invoice, str) or not ALPHA_DASH.match(invoice):
            add("invoice", "The invoice may only contain letters, numbers, dashes and underscores.")
        elif (api_key, invoice) in self.by_invoice or (taken is not None and invoice in taken):
            add("invoice", "The invoice has already been taken.")
        for name, limit in (("recipient_name", 100), ("recipient_address", 250)):
            value = fields.get(name)
            if value in (None, ""):
                add(name, f"The {name.replace('_', ' ')} field is required.")
            elif not isinstance(value, str) or len(value) > limit:
                add(name, f"The {name.replace('_', ' ')} may not be greater than {limit} characters.")
        for name in ("recipient_phone", "alternative_phone"):
            value = fields.get(name)
            if value in (None, "") and name == "alternative_phone":
                continue
            if value in (None, ""):
                add(name, "The recipient phone field is required.")
            elif not isinstance(value, str) or not value.isdigit() or len(value) != 11:
                add(name, f"The {name.replace('_', ' ')} must be 11 digits.")
        amount = fields.get("cod_amount")
        if amount in (None, ""):
            add("cod_amount", "The cod amount field is required.")
        else:
            try:
                # numeric, as Laravel reads it: a JSON number or a numeric string (never a bool)
                value = None if isinstance(amount, bool) else Decimal(str(amount))
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite():
                add("cod_amount", "The cod amount must be a number.")
            elif value < 0:
                add("cod_amount", "The cod amount must be at least 0.")
        if fields.get("delivery_type") not in (None, 0, 1, "0", "1"):
            add("delivery_type", "The selected delivery type is invalid.")
        return errors

    def consignment_json(self, parcel: Parcel) -> dict:
        fields = parcel.fields
        return {
            "consignment_id": parcel.consignment_id, "invoice": parcel.invoice, "tracking_code": parcel.tracking_code,
            "recipient_name": fields.get("recipient_name"), "recipient_phone": fields.get("recipient_phone"),
            "recipient_address": fields.get("recipient_address"), "cod_amount": fields.get("cod_amount"),
            "status": self.status_of(parcel), "note": fields.get("note"),
            "created_at": "2026-11-25T10:00:00.000000Z", "updated_at": "2026-11-25T10:00:00.000000Z",
        }


def _unauthorised():
    return jsonify({"status": 401, "message": "Unauthorized."}), 401


def _invalid(errors):
    return jsonify({"status": 400, "errors": errors}), 400


@register_sandbox("steadfast")
def create_steadfast_app(sandbox: SteadfastSandbox | None = None) -> Flask:
    app = Flask(__name__)
    sandbox = sandbox or SteadfastSandbox()
    app.sandbox = sandbox
    prefix = "/api/v1"

    def account() -> Account | None:
        found = sandbox.accounts.get(request.headers.get("Api-Key", ""))
        if found is None or found.secret_key != request.headers.get("Secret-Key", ""):
            return None
        return found

    @app.before_request
    def behave():
        if request.path.startswith("/__sandbox__"):
            return None
        with sandbox.lock:
            sandbox.calls[request.endpoint or request.path] += 1
        failure = sandbox.pop_failure()
        if failure:
            return Response("<html><body>Server Error</body></html>", status=failure, mimetype="text/html")
        caller = account()
        if caller is None:
            return _unauthorised()
        wait = sandbox.take_token(caller)
        if wait:
            # Laravel's throttle answer; Retry-After in whole seconds, at least 1.
            response = jsonify({"status": 429, "message": "Too Many Attempts."})
            response.status_code = 429
            response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            return response
        delay = sandbox.pop_delay()
        if delay:
            time.sleep(delay)
        request.environ["sandbox.account"] = caller
        return None

    def caller() -> Account:
        return request.environ["sandbox.account"]

    def body() -> dict | None:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else None

    @app.post(f"{prefix}/create_order")
    def create_order():
        fields = body()
        if fields is None:
            return _invalid({"invoice": ["The invoice field is required."]})
        key = caller().api_key
        with sandbox.lock:
            errors = sandbox.validate(key, fields)
            if errors:
                return _invalid(errors)
            parcel = sandbox._store(key, fields["invoice"], fields)
        answer = {"status": 200, "message": "Consignment has been created successfully.",
                  "consignment": sandbox.consignment_json(parcel)}
        if sandbox.pop_drop():
            drop_connection(request.environ)  # created, but the shop never hears so
        return jsonify(answer)

    @app.post(f"{prefix}/create_order/bulk-order")
    def bulk_order():
        data = (body() or {}).get("data")
        try:
            orders = json.loads(data) if isinstance(data, str) else None
        except ValueError:
            orders = None
        if not isinstance(orders, list):
            return _invalid({"data": ["The data must be a valid JSON string."]})
        if len(orders) > MAX_BULK:
            return _invalid({"data": [f"The data may not have more than {MAX_BULK} items."]})
        key = caller().api_key
        items, failed = [], False
        with sandbox.lock:
            taken: set[str] = set()
            for order in orders:
                order = order if isinstance(order, dict) else {}
                errors = sandbox.validate(key, order, taken)
                item = {name: order.get(name) for name in ("invoice", "recipient_name", "recipient_address",
                                                            "recipient_phone", "cod_amount", "note")}
                if errors:
                    failed = True
                    item.update(consignment_id=None, tracking_code=None, status="error")
                else:
                    parcel = sandbox._store(key, order["invoice"], order)
                    taken.add(order["invoice"])
                    item.update(consignment_id=parcel.consignment_id, tracking_code=parcel.tracking_code, status="success")
                items.append(item)
        return jsonify({"status": 200, "data": items}) if failed else jsonify(items)

    def status_answer(parcel_id: int | None):
        parcel = sandbox.parcels.get(parcel_id) if parcel_id else None
        if parcel is None or parcel.account != caller().api_key:
            return jsonify({"status": 404, "message": "Consignment not found."}), 404
        with sandbox.lock:
            sandbox.status_calls[parcel.consignment_id] += 1
        return jsonify({"status": 200, "delivery_status": sandbox.status_of(parcel)})

    @app.get(f"{prefix}/status_by_cid/<cid>")
    def status_by_cid(cid):
        return status_answer(int(cid) if cid.isdigit() else None)

    @app.get(f"{prefix}/status_by_invoice/<invoice>")
    def status_by_invoice(invoice):
        return status_answer(sandbox.by_invoice.get((caller().api_key, invoice)))

    @app.get(f"{prefix}/status_by_trackingcode/<code>")
    def status_by_trackingcode(code):
        return status_answer(sandbox.by_tracking.get((caller().api_key, code)))

    @app.get(f"{prefix}/get_balance")
    def get_balance():
        # A JSON number, exact: written by hand because Flask would turn a Decimal into a string.
        return Response(f'{{"status":200,"current_balance":{caller().balance}}}', mimetype="application/json")

    @app.get(f"{prefix}/fraud_check/<phone>")
    def fraud_check(phone):
        if not (phone.isdigit() and len(phone) == 11 and phone.startswith("01")):
            return _invalid({"phone": ["The phone must be 11 digits."]})
        used, allowed = sandbox.use_fraud_check(caller())
        if not allowed:
            return jsonify({"status": 429, "message": "Daily fraud check limit reached.", "current": used,
                            "limit": sandbox.fraud_limit}), 429
        history = sandbox.history_of(phone)
        if history is None:
            return jsonify({"status": 404, "message": "No data found."}), 404
        names = ("total_parcels", "total_delivered", "total_cancelled")
        if sandbox.fraud_key_style == "capitalised":
            names = tuple(name.capitalize() for name in names)
        return jsonify({"status": 200, **dict(zip(names, history)), "current": used, "limit": sandbox.fraud_limit})

    # -- controls over HTTP, for a sandbox running in another process ----------------------------
    @app.post("/__sandbox__/control")
    def control():
        data = request.get_json(silent=True) or {}
        try:
            if "rate_per_second" in data:
                sandbox.set_rate(data["rate_per_second"], data.get("burst"))
            if "latency_ms" in data:
                sandbox.latency_ms = int(data["latency_ms"])
            if "time_scale" in data:
                sandbox.time_scale = float(data["time_scale"])
            if "advance_seconds" in data:
                sandbox.advance(float(data["advance_seconds"]))
            if "fail_next" in data:
                sandbox.fail_next(int(data["fail_next"]), int(data.get("fail_status", 503)))
            if data.get("drop_next_create"):
                sandbox.drop_next_create()
            if "fraud_limit" in data:
                sandbox.fraud_limit = int(data["fraud_limit"])
            for phone, history in (data.get("histories") or {}).items():  # {"017...": [total, delivered, cancelled] | null}
                sandbox.set_history(phone, *(history or [None]))
            if data.get("reset_counters"):
                with sandbox.lock:
                    sandbox.calls.clear()
                    sandbox.status_calls.clear()
                    sandbox.rate_limited = 0
        except (TypeError, ValueError) as error:
            return jsonify({"error": str(error)}), 400
        return state()

    @app.post("/__sandbox__/seed")
    def seed():
        data = request.get_json(silent=True) or {}
        ids = sandbox.seed(int(data.get("count", 1)), data.get("api_key", API_KEY))
        return jsonify({"consignment_ids": ids, "invoices": [sandbox.parcels[i].invoice for i in ids],
                        "tracking_codes": [sandbox.parcels[i].tracking_code for i in ids]})

    @app.get("/__sandbox__/state")
    def state():
        with sandbox.lock:
            return jsonify({"calls": dict(sandbox.calls), "status_requests": sum(sandbox.status_calls.values()),
                            "parcels_asked": len(sandbox.status_calls), "rate_limited": sandbox.rate_limited,
                            "parcels": len(sandbox.parcels), "latency_ms": sandbox.latency_ms,
                            "rate_per_second": sandbox.rate_per_second})

    return app
