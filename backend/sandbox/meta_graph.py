"""A stand-in for Meta's Graph API events endpoint (Conversions API): POST
/<version>/<pixel id>/events with a form body (`data`: a JSON list of events, `access_token`,
optional `test_event_code`).

It answers as Meta does: {"events_received": n, "messages": [], "fbtrace_id": "..."}; a wrong
token is HTTP 400 {"error": {"message", "type": "OAuthException", "code": 190, "fbtrace_id"}};
an event without event_name, event_time or action_source, or with user_data not hashed, is
HTTP 400 code 100. It can be told to be down (5xx) for the next N requests. It keeps every
event it received (`received`), so tests check the payloads, and counts requests per event_id.
"""
import itertools
import json
import re
import threading

from flask import Flask, jsonify, request

from backend.sandbox.server import register_sandbox

ACCESS_TOKEN = "EAAsandboxTokenForBikriTests0123456789"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
HASHED_KEYS = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id")


class GraphState:
    def __init__(self, access_token=ACCESS_TOKEN):
        self.access_token = access_token
        self.down_for = 0  # the next N requests answer 500
        self.received: list[dict] = []  # every event accepted, with "pixel_id" and "test_event_code" added
        self.requests = 0
        self.lock = threading.Lock()
        self._traces = itertools.count(1)

    def trace(self) -> str:
        return f"AbCsandbox{next(self._traces):06d}"


def _error(state, status, message, type_, code):
    return jsonify({"error": {"message": message, "type": type_, "code": code, "fbtrace_id": state.trace()}}), status


def _invalid(event) -> str | None:
    for key in ("event_name", "event_time", "action_source"):
        if key not in event:
            return f"The parameter {key} is required"
    user_data = event.get("user_data") or {}
    for key in HASHED_KEYS:
        values = user_data.get(key)
        if values is None:
            continue
        for value in values if isinstance(values, list) else [values]:
            if not SHA256.match(str(value)):
                return f"user_data.{key} must be hashed with SHA-256"
    return None


@register_sandbox("meta")
def create_meta_graph_app(state: GraphState | None = None) -> Flask:
    app = Flask(__name__)
    state = state or GraphState()
    app.sandbox = state

    @app.post("/<version>/<pixel_id>/events")
    def events(version, pixel_id):
        with state.lock:
            state.requests += 1
            if state.down_for:
                state.down_for -= 1
                return _error(state, 500, "An unexpected error has occurred. Please retry your request later.",
                              "OAuthException", 2)
        if request.form.get("access_token") != state.access_token:
            return _error(state, 400, "Invalid OAuth access token - Cannot parse access token", "OAuthException", 190)
        try:
            data = json.loads(request.form.get("data") or "")
        except ValueError:
            return _error(state, 400, "(#100) param data must be an array.", "OAuthException", 100)
        if not isinstance(data, list) or not data:
            return _error(state, 400, "(#100) param data must be an array.", "OAuthException", 100)
        for event in data:
            problem = _invalid(event)
            if problem:
                return _error(state, 400, f"(#100) {problem}", "OAuthException", 100)
        with state.lock:
            for event in data:
                state.received.append({**event, "pixel_id": pixel_id, "version": version,
                                       "test_event_code": request.form.get("test_event_code")})
        return jsonify({"events_received": len(data), "messages": [], "fbtrace_id": state.trace()})

    @app.get("/__sandbox__/received")
    def received():
        return jsonify(state.received)

    return app
