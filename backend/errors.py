"""One error shape for every JSON answer: {"error": {"code", "message", "details"}}.

Routes raise ApiError (or one of its subclasses); werkzeug's HTTP errors, webargs'
validation errors and anything unexpected are turned into the same shape, so the plugin
has exactly one thing to parse and a shop owner never sees a stack trace.
"""
import functools
import logging

from flask import g, jsonify, request, render_template
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: ("bad_request", "The request could not be read."),
    401: ("unauthorized", "Authentication is required."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "Nothing was found at this address."),
    405: ("method_not_allowed", "This address does not accept this method."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("payload_too_large", "The request body is larger than 1 MB."),
    415: ("unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."),
    422: ("validation_error", "Some fields are missing or invalid."),
    429: ("rate_limited", "Too many requests. Wait a little and try again."),
}


class ApiError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message=None, *, code=None, status=None, details=None, headers=None, keeps_writes=False):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}
        # An error answer whose writes must stay (a wrong checkout code stays counted): the
        # request's boundary commits them instead of rolling back (app.py).
        self.keeps_writes = keeps_writes


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    message = "A valid bearer token is required."

    def __init__(self, message=None, **kw):
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="bikri"'})
        super().__init__(message, **kw)


class NotFound(ApiError):
    status = 404
    code = "not_found"
    message = "Nothing was found."


def error_body(code, message, details=None):
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _json_response(status, code, message, details=None, headers=None):
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_details(error):
    """webargs puts field errors under data['messages'][location]; flatten the location away."""
    messages = getattr(error, "data", {}).get("messages") if getattr(error, "data", None) else None
    if not isinstance(messages, dict):
        return {}
    details = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            details.update(location_errors)
        else:
            details["_body"] = location_errors
    return details


def http_exception_response(error: HTTPException):
    status = error.code or 500
    code, message = HTTP_CODES.get(status, ("http_error", error.description or "HTTP error."))
    details = _validation_details(error)
    if status == 400 and details:
        # webargs answers malformed JSON with a 400 carrying its own message.
        message = "The request body is not valid JSON."
    if status == 429:
        message = f"Too many requests ({error.description}). Wait a little and try again."
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="bikri"'
    return _json_response(status, code, message, details, headers)


def api_error_response(error: ApiError):
    return _json_response(error.status, error.code, error.message, error.details, error.headers)


def answers_errors_in_json(view):
    """For a page's JSON endpoint (a chart's data, under /embed/ where an ApiError renders the
    error page): an ApiError the view raises (a bad date range) is answered in the JSON shape."""
    @functools.wraps(view)
    def answering(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ApiError as error:
            return api_error_response(error)
    return answering


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def handle_api_error(error):
        if error.keeps_writes:
            g.keep_writes = True
        if wants_json():
            return api_error_response(error)
        return render_template("error.html", message=error.message), error.status

    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        if wants_json():
            return http_exception_response(error)
        return render_template("error.html", message=error.description), error.code

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return _json_response(500, "internal_error", "Something went wrong on our side. It has been logged.")
        return render_template("error.html", message="Something went wrong on our side."), 500
