"""A stand-in for SSL Wireless SMS Plus (api/v3) that speaks its wire format.

Tests and the demo point the `ssl_wireless` adapter at it. It can be told (in process through
`app.sandbox`, or over HTTP at POST /__sandbox__/control) to refuse sends, to be down (5xx),
to be busy (429 with Retry-After), or to answer slowly. It keeps what it "sent" (GET
/__sandbox__/sent reads it back), refuses a repeated csms_id as SSL does, and counts every
send asked (`attempts`, per csms_id: a repeat after a lost answer shows there).
"""
import itertools
import threading
import time

from flask import Flask, g, jsonify, request

from backend.sandbox.server import register_sandbox

API_TOKEN = "sandbox-api-token"
SID = "BIKRIDEMO"


class GatewayState:
    def __init__(self, api_token=API_TOKEN, sid=SID):
        self.api_token, self.sid = api_token, sid
        self.mode = "ok"  # ok | refuse | down | busy
        self.latency_ms = 0
        self.balance = "5000.00"
        self.sent: dict[str, dict] = {}  # csms_id -> message
        self.arrivals: dict[str, dict] = {}  # csms_id -> when it reached the gateway (benchmarks)
        self.attempts: dict[str, int] = {}  # csms_id -> sends asked, repeats included
        self.in_flight = 0  # sends being answered now (held by `latency_ms`)
        self.lock = threading.Lock()
        self._ids = itertools.count(9_000_001)

    def control(self, mode=None, latency_ms=None):
        if mode is not None:
            if mode not in ("ok", "refuse", "down", "busy"):
                raise ValueError("mode must be ok, refuse, down or busy")
            self.mode = mode
        if latency_ms is not None:
            self.latency_ms = int(latency_ms)


def _failed(code, message, http_status=200):
    # SSL answers HTTP 200 with status FAILED for refusals; clients must read the body.
    return jsonify({"status": "FAILED", "status_code": code, "error_message": message}), http_status


@register_sandbox("sms")
def create_sms_gateway_app(state: GatewayState | None = None) -> Flask:
    app = Flask(__name__)
    state = state or GatewayState()
    app.sandbox = state

    def authorised(body):
        return body.get("api_token") == state.api_token and body.get("sid") == state.sid

    @app.before_request
    def behave():
        if request.path.startswith("/__sandbox__"):
            return None
        g.arrived_at = time.time()  # when the message reached the gateway (benchmarks read it)
        if state.latency_ms:
            with state.lock:
                state.in_flight += 1
            try:
                time.sleep(state.latency_ms / 1000)
            finally:
                with state.lock:
                    state.in_flight -= 1
        if state.mode == "down":
            return "Service Unavailable", 503
        if state.mode == "busy":
            return jsonify({"status": "FAILED", "status_code": 429, "error_message": "Too many requests"}), 429, {"Retry-After": "1"}
        return None

    @app.post("/api/v3/send-sms")
    def send_sms():
        body = request.get_json(silent=True) or {}
        if not authorised(body):
            return _failed(4001, "Invalid api_token or sid")
        for name in ("msisdn", "sms", "csms_id"):
            if not body.get(name):
                return _failed(4002, f"{name} is required")
        if not str(body["msisdn"]).startswith("8801") or len(str(body["msisdn"])) != 13:
            return _failed(4010, "Invalid msisdn")
        if state.mode == "refuse":
            return _failed(4003, "IP Blacklisted")
        with state.lock:
            state.attempts[body["csms_id"]] = state.attempts.get(body["csms_id"], 0) + 1
            if body["csms_id"] in state.sent:
                return _failed(4025, "Duplicate csms_id")
            reference = str(next(state._ids))
            state.sent[body["csms_id"]] = {"msisdn": body["msisdn"], "sms": body["sms"], "reference_id": reference}
            state.arrivals[body["csms_id"]] = {"msisdn": body["msisdn"], "received_at": g.arrived_at}
        return jsonify({
            "status": "SUCCESS", "status_code": 200, "error_message": "",
            "smsinfo": [{"sms_status": "SUCCESS", "status_message": "Success", "msisdn": body["msisdn"],
                         "sms_type": "EN", "sms_body": body["sms"], "csms_id": body["csms_id"], "reference_id": reference}],
        })

    @app.post("/api/v3/balance")
    def balance():
        body = request.get_json(silent=True) or {}
        if not authorised(body):
            return _failed(4001, "Invalid api_token or sid")
        return jsonify({"status": "SUCCESS", "status_code": 200, "balance": state.balance})

    @app.get("/__sandbox__/sent")
    def sent():
        """What it "sent", oldest first (to one number with ?msisdn=): benchmarks and the demo
        read codes back when the sandbox runs in a process of its own."""
        msisdn = request.args.get("msisdn")
        with state.lock:
            messages = [m for m in state.sent.values() if msisdn is None or m["msisdn"] == msisdn]
        return jsonify({"messages": messages})

    @app.get("/__sandbox__/arrivals")
    def arrivals():
        """When each message reached the gateway (Unix time, before its latency): benchmarks
        measure how long a message took from the shop's request to the gateway."""
        with state.lock:
            return jsonify(dict(state.arrivals))

    @app.post("/__sandbox__/control")
    def control():
        body = request.get_json(silent=True) or {}
        try:
            state.control(body.get("mode"), body.get("latency_ms"))
        except ValueError as error:
            return jsonify({"error": str(error)}), 400
        with state.lock:
            asked = sum(state.attempts.values())
        return jsonify({"mode": state.mode, "latency_ms": state.latency_ms, "sent": len(state.sent), "asked": asked})

    return app
