"""Meta's Conversions API: POST https://graph.facebook.com/<version>/<pixel id>/events.

The wire format (developers.facebook.com, Marketing API, ads-pixel/events): a form body with
`data` (a JSON-encoded list of events), `access_token` and, while the shop tests in Events
Manager, `test_event_code`. Meta answers {"events_received": n, "messages": [...],
"fbtrace_id": "..."}; an error is {"error": {"message", "type", "code", "fbtrace_id", ...}}
with HTTP 400 (a bad token is OAuthException, code 190), and its own trouble is a 5xx.
The adapter knows the wire format only; which events to send is the adtracking domain's.
"""
import json
import os
import urllib.parse
import urllib.request

import urllib3

from backend.integrations.signals import asking

DEFAULT_BASE_URL = "https://graph.facebook.com"
TIMEOUT_SECONDS = 10


class MetaGraphError(Exception):
    """Worth trying again later: Meta could not be reached or had trouble (5xx, 429)."""


class MetaGraphRefused(Exception):
    """Meta refused the events (4xx): sending the same again will not help (a bad token, a
    wrong pixel id, a malformed event). `code` is Meta's error code (190: the token)."""

    def __init__(self, message: str, code=None, fbtrace_id: str | None = None):
        super().__init__(message)
        self.code, self.fbtrace_id = code, fbtrace_id


def _pool() -> urllib3.PoolManager:
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    options = {"maxsize": 16, "retries": False, **({"ca_certs": ca_bundle} if ca_bundle else {})}
    proxy = urllib.request.getproxies().get("https")
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


_http = _pool()


def send_events(*, base_url: str, version: str, pixel_id: str, access_token: str, events: list[dict],
                test_event_code: str = "") -> dict:
    """Send `events` to the pixel; Meta's answer ({"events_received", "fbtrace_id", ...})."""
    url = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/{version}/{urllib.parse.quote(pixel_id, safe='')}/events"
    form = {"data": json.dumps(events, separators=(",", ":")), "access_token": access_token}
    if test_event_code:
        form["test_event_code"] = test_event_code
    asking.send("Meta")
    try:
        response = _http.request("POST", url, body=urllib.parse.urlencode(form), timeout=urllib3.Timeout(TIMEOUT_SECONDS),
                                 headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    except urllib3.exceptions.HTTPError as error:
        raise MetaGraphError(f"Meta could not be reached: {error.__class__.__name__}") from error
    if response.status >= 500 or response.status == 429:
        raise MetaGraphError(f"Meta answered HTTP {response.status}")
    try:
        body = json.loads(response.data)
    except ValueError as error:
        raise MetaGraphError(f"Meta answered something that is not JSON (HTTP {response.status})") from error
    if response.status >= 400 or "error" in body:
        error = body.get("error") or {}
        raise MetaGraphRefused(str(error.get("message") or f"HTTP {response.status}")[:400], error.get("code"),
                               error.get("fbtrace_id"))
    return body
