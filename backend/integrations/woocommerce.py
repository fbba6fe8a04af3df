"""The one way Bikri talks to a shop's WooCommerce REST API (wc/v3).

A thin class around the `woocommerce` client, which returns raw `requests` responses: we
check every status code ourselves and raise `WooCommerceError` carrying WooCommerce's own
`code` and `message` (what a shop owner can search for or act on). It also knows the
traps listed in ../shared/reference/woocommerce.md:

- the client picks OAuth 1.0a over http and Basic over https; hosts that strip the
  Authorization header answer Basic with 401 `woocommerce_rest_cannot_view`, so we retry
  once with query-string credentials (still https) and keep using them;
- the client's OAuth nonce is 8 random digits: on long runs WooCommerce now and then
  refuses a repeated nonce; that request is simply retried with a fresh one;
- 5xx, 429 and network errors are retried with backoff, then raised as retryable;
- money arrives as strings and `line_items[].price` as a number: JSON is parsed by orjson
  (in C: reading a page cost more than storing it), whose floats keep the shortest text that
  is the number, and `orders.wire._money` turns that text into Decimal; anything orjson
  refuses (a byte-order mark some plugins print first) goes through `requests` with Decimal;
- big histories are walked by `orderby=modified` keyset windows, never deep page numbers;
- the shop's address is the caller's text: requests go through `shop_http.ShopSession`
  (public addresses only, checked at connect time, no redirects), and what fails on the way
  is told in generic words (`request_failed`), never the socket's or TLS library's own.
"""
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from json import dumps as jsonencode
from typing import Iterator
from urllib.parse import urlencode

import orjson
import requests
from flask import current_app
from requests.auth import HTTPBasicAuth
from woocommerce import API

from backend.integrations.shop_http import ShopAddressRefused, ShopSession
from backend.security import decrypt_secret

log = logging.getLogger(__name__)

PER_PAGE = 100  # WooCommerce's maximum
BATCH_LIMIT = 100  # items per /batch call; more is refused with 413
WC_TIME = "%Y-%m-%dT%H:%M:%S"


class WooCommerceError(Exception):
    """WooCommerce refused or could not be reached. `code`/`message` are WooCommerce's own when it answered."""

    def __init__(self, message: str, *, code: str = "woocommerce_error", status: int | None = None, data=None):
        super().__init__(message)
        self.message, self.code, self.status, self.data = message, code, status, data

    @property
    def retryable(self) -> bool:
        """Worth trying again later: the shop was down or busy, not refusing us."""
        return self.status is None or self.status >= 500 or self.status == 429

    def __str__(self) -> str:
        # no HTTP status or address here: this text reaches the shop's pages and API answers
        return f"WooCommerce: {self.code}: {self.message}"


# WooCommerce's code for an order it does not have (deleted for good): GET and a note answer it
# with 404, PUT with 400 (WC_REST_CRUD_Controller::update_item), a batch item inside the 200
ORDER_MISSING = "woocommerce_rest_shop_order_invalid_id"


def order_missing(error) -> bool:
    """WooCommerce said it has no such order: a WooCommerceError, or a batch item's `error`
    object. Only WooCommerce's own code counts: a 404 from something else in front of the
    REST API (`rest_no_route` from a security plugin) says nothing about the order."""
    if isinstance(error, WooCommerceError):
        return error.code == ORDER_MISSING and error.status in (400, 404)
    return isinstance(error, dict) and error.get("code") == ORDER_MISSING


class NotRetryable(WooCommerceError):
    """A refusal that trying again will not change, whatever its status."""

    @property
    def retryable(self) -> bool:
        return False


class WooCommerceNotConnected(NotRetryable):
    """The site has not handed over WooCommerce REST credentials."""

    def __init__(self):
        super().__init__("This shop has not connected its WooCommerce REST API key to Bikri yet.",
                         code="woocommerce_not_connected", status=None)


class ShopAddressNotPublic(NotRetryable):
    """The shop's address is not on the public internet (see shop_http); trying again will not help."""

    def __init__(self):
        super().__init__("The shop's address is not a public internet address, so Bikri does not connect to it.",
                         code="address_not_public", status=None)


def request_failed(error: Exception, timeout: float) -> WooCommerceError:
    """What a failed request to a shop is told as: generic words (the details go to the log only)."""
    if isinstance(error, ShopAddressRefused):
        log.warning("refused to connect to a shop: %s", error)
        return ShopAddressNotPublic()
    log.info("request to a shop failed: %r", error)
    if isinstance(error, requests.Timeout):
        return WooCommerceError(f"The shop did not answer within {timeout:g} s.", code="timeout")
    if isinstance(error, requests.exceptions.SSLError):
        return WooCommerceError("The shop's HTTPS certificate was refused.", code="tls_error", status=495)
    return WooCommerceError("The shop could not be reached.", code="unreachable")


def call_with_retries(once, *, retries: int, backoff: float, recover=None, at_once=None, label: str | None = None):
    """`once()`, tried again after a WooCommerceError worth trying again (the shop was down or
    busy): at most `retries` more times, waiting backoff, 2 × backoff, 4 × backoff... seconds.
    Both shop clients (this one and the plugin's export) go through here, so they give up alike.

    `recover(error)`: True when the caller has fixed what failed (other credentials); the
    request is repeated at once and the count does not stop it.
    `at_once(error)`: True for a refusal that is tried again without waiting (within the count).
    `label`: the request, for a warning in the log on every retry."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return once()
        except WooCommerceError as error:
            if recover is not None and recover(error):
                continue
            now = at_once is not None and at_once(error)
            if attempt > retries or not (error.retryable or now):
                raise
            wait = 0 if now else backoff * 2 ** (attempt - 1)
            if label:
                log.warning("%s failed (%s); retry %d in %.1fs", label, error, attempt, wait)
            time.sleep(wait)


def parse_wc_time(value) -> datetime | None:
    """A `*_gmt` field ("2024-05-01T10:20:30", sometimes with Z/offset) as naive UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = (parsed - parsed.utcoffset()).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def read_json(response: requests.Response):
    """The answer's JSON, or None when it is not JSON (see the module's note on numbers)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        return response.json(parse_float=Decimal)
    except ValueError:
        return None


def format_wc_time(value: datetime) -> str:
    return value.strftime(WC_TIME)


@dataclass
class Page:
    items: list
    total: int
    total_pages: int


@dataclass
class ModifiedCursor:
    """Where a walk by `date_modified_gmt` stands, saved between pages so a crash resumes exactly.

    Every order modified before `after` has been handed out; of those modified exactly at
    `after` (a second can hold many: bulk actions), the ids in `seen` have been. `page` is
    above 1 only while one second holds more than a page of orders.
    """
    after: datetime | None = None
    seen: list = field(default_factory=list)
    page: int = 1

    def to_dict(self) -> dict:
        return {"after": self.after.strftime(WC_TIME) if self.after else None, "seen": list(self.seen), "page": self.page}

    @classmethod
    def from_dict(cls, data: dict | None) -> "ModifiedCursor":
        data = data or {}
        return cls(after=parse_wc_time(data.get("after")), seen=list(data.get("seen") or []), page=int(data.get("page") or 1))


def modified_of(order: dict) -> datetime:
    return parse_wc_time(order.get("date_modified_gmt") or order.get("date_created_gmt"))


class _ShopAPI(API):
    """The `woocommerce` client, sending through a ShopSession.

    The library sends with `requests.request` (a new session per call that connects to any
    address and follows redirects) and takes no session; this is its private `__request`
    with the same URL, authentication and body, sent through `session` instead.
    """

    def __init__(self, *args, session: requests.Session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session

    def _API__request(self, method, endpoint, data, params=None, **kwargs):
        params = {} if params is None else params
        url = self._API__get_url(endpoint)
        auth = None
        headers = {"user-agent": self.user_agent, "accept": "application/json"}
        if self.is_ssl and not self.query_string_auth:
            auth = HTTPBasicAuth(self.consumer_key, self.consumer_secret)
        elif self.is_ssl:
            params.update({"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret})
        else:
            url = self._API__get_oauth_url(f"{url}?{urlencode(params)}", method, **kwargs)
        if data is not None:
            data = jsonencode(data, ensure_ascii=False).encode("utf-8")
            headers["content-type"] = "application/json;charset=utf-8"
        return self.session.request(method, url, verify=self.verify_ssl, auth=auth, params=params, data=data,
                                    timeout=self.timeout, headers=headers, **kwargs)


def _nonce_clash(error: WooCommerceError) -> bool:
    # WooCommerce refused the client's 8-digit OAuth nonce as used before; a fresh one will do
    return error.status == 401 and "nonce" in error.message.lower()


class WooCommerce:
    def __init__(self, url: str, consumer_key: str, consumer_secret: str, *, timeout: float = 30,
                 verify=True, query_string_auth: bool = False, retries: int = 3, backoff: float = 0.5,
                 allow_private: bool | None = None):
        self.url = url.rstrip("/")
        self._credentials = (consumer_key, consumer_secret)
        self.timeout, self.verify, self.retries, self.backoff = timeout, verify, retries, backoff
        # one session per client: its connections are checked when opened, then kept alive
        self.session = ShopSession(allow_private)
        self.api = self._client(query_string_auth)

    def _client(self, query_string_auth: bool) -> API:
        key, secret = self._credentials
        return _ShopAPI(url=self.url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=self.timeout,
                        verify_ssl=self.verify, query_string_auth=query_string_auth,
                        user_agent="Bikri/1.0 (+order sync)", session=self.session)

    @classmethod
    def for_site(cls, site, **kwargs) -> "WooCommerce":
        """The shop's API with the key it handed over at activation (stored encrypted)."""
        key, secret = decrypt_secret(site.wc_consumer_key_enc), decrypt_secret(site.wc_consumer_secret_enc)
        if not key or not secret:
            raise WooCommerceNotConnected()
        config = current_app.config
        kwargs.setdefault("timeout", config.get("WOOCOMMERCE_TIMEOUT", 30))
        kwargs.setdefault("verify", config.get("WOOCOMMERCE_CA_BUNDLE") or True)
        return cls(site.url, key, secret, **kwargs)

    # --- one request ----------------------------------------------------------------------

    def request(self, method: str, endpoint: str, *, params: dict | None = None, data=None):
        """(parsed JSON, headers) of a 2xx answer; WooCommerceError for anything else."""
        return call_with_retries(lambda: self._once(method, endpoint, params, data), retries=self.retries,
                                 backoff=self.backoff, recover=self._switch_to_query_auth, at_once=_nonce_clash,
                                 label=f"WooCommerce {method} {endpoint}")

    def _switch_to_query_auth(self, error: WooCommerceError) -> bool:
        # Basic credentials that never arrived look like no credentials at all.
        if (error.status == 401 and error.code == "woocommerce_rest_cannot_view" and self.api.is_ssl
                and not self.api.query_string_auth):
            log.info("%s dropped the Authorization header; using query-string credentials", self.url)
            self.api = self._client(query_string_auth=True)
            return True
        return False

    def _once(self, method, endpoint, params, data):
        # The client appends params to the URL itself (and signs them over http); copy, it mutates them.
        params = dict(params or {})
        try:
            if method in ("POST", "PUT"):
                response = getattr(self.api, method.lower())(endpoint, data, params=params)
            else:
                response = getattr(self.api, method.lower())(endpoint, params=params)
        except (requests.RequestException, ShopAddressRefused) as error:
            raise request_failed(error, self.timeout) from None
        body = read_json(response)
        if 200 <= response.status_code < 300:
            if body is None:
                # a security plugin's HTML page or a maintenance screen with a 200
                raise WooCommerceError("The shop answered with something that is not JSON.", code="not_json",
                                       status=response.status_code)
            return body, response.headers
        if isinstance(body, dict) and "code" in body:
            raise WooCommerceError(str(body.get("message") or body["code"]), code=str(body["code"]),
                                   status=response.status_code, data=body.get("data"))
        # a redirect (never followed), a web server's or a firewall's error page: the status is
        # for the log and the retry rules, not for the caller
        log.info("%s answered HTTP %s without a WooCommerce error", self.url, response.status_code)
        raise WooCommerceError("The shop answered without a WooCommerce answer (an error page or a redirect).",
                               code="not_woocommerce", status=response.status_code)

    # --- reading --------------------------------------------------------------------------

    def list_page(self, endpoint: str, **params) -> Page:
        params.setdefault("per_page", PER_PAGE)
        body, headers = self.request("GET", endpoint, params=params)
        if not isinstance(body, list):
            raise WooCommerceError("The shop answered a list request without a list.", code="unexpected_answer")
        total = int(headers.get("X-WP-Total") or len(body))
        return Page(body, total, int(headers.get("X-WP-TotalPages") or (1 if body else 0)))

    def get_order(self, order_id: int) -> dict:
        return self.request("GET", f"orders/{int(order_id)}")[0]

    def get_orders(self, order_ids) -> list[dict]:
        """Several orders by id, 100 per request (`include`); ids WooCommerce no longer has are absent."""
        return self._by_ids("orders", order_ids, status="any")

    def _by_ids(self, endpoint: str, wanted, **params) -> list[dict]:
        ids = sorted({int(i) for i in wanted})
        found = []
        for start in range(0, len(ids), PER_PAGE):
            chunk = ids[start:start + PER_PAGE]
            found += self.list_page(endpoint, include=",".join(map(str, chunk)), orderby="id", order="asc",
                                    per_page=len(chunk), **params).items
        return found

    def count_orders(self, *, modified_before: datetime | None = None) -> int:
        params = {"per_page": 1, "dates_are_gmt": "true"}
        if modified_before is not None:
            params["modified_before"] = format_wc_time(modified_before)
        return self.list_page("orders", **params).total

    def iter_orders_by_modified(self, cursor: ModifiedCursor | None = None, *, until: datetime | None = None,
                                per_page: int = PER_PAGE, status: str | None = None) -> Iterator[tuple[list, ModifiedCursor]]:
        """Pages of orders modified at/after the cursor (and before `until`), oldest first.

        Yields (orders not handed out before, cursor after this page). Walks by keyset:
        each request asks `modified_after` the cursor's second (minus one, as WooCommerce's
        bound is exclusive), page 1, so an order changed during the walk only moves further
        ahead and no offset shifts under us. A second holding more than a page is read by
        page number, then swept once more by id in case an order left it mid-way.
        `status` as WooCommerce takes it; its default ("any") leaves out the trash.
        """
        cursor = ModifiedCursor(cursor.after, list(cursor.seen), cursor.page) if cursor else ModifiedCursor()
        while True:
            params = {"orderby": "modified", "order": "asc", "per_page": per_page, "page": cursor.page,
                      "dates_are_gmt": "true"}
            if cursor.after is not None:
                params["modified_after"] = format_wc_time(cursor.after - timedelta(seconds=1))
            if until is not None:
                params["modified_before"] = format_wc_time(until)
            if status is not None:
                params["status"] = status
            items = self.list_page("orders", **params).items
            if not items:
                return
            seen = set(cursor.seen)
            fresh = [o for o in items if cursor.after is None or modified_of(o) > cursor.after
                     or (modified_of(o) == cursor.after and o["id"] not in seen)]
            last = max(modified_of(o) for o in items)
            if cursor.after is not None and last <= cursor.after:
                # the whole page sits in the cursor's second: read that second's next page
                following = ModifiedCursor(cursor.after, sorted(seen | {o["id"] for o in items}), cursor.page + 1)
            else:
                if cursor.page > 1:
                    fresh += self._sweep_second(cursor.after, seen | {o["id"] for o in fresh}, status)
                following = ModifiedCursor(last, sorted(o["id"] for o in items if modified_of(o) == last))
            yield fresh, following
            if len(items) < per_page:
                if following.page > 1 and cursor.after is not None:
                    # the walk ended inside a crowded second: sweep it too
                    rest = self._sweep_second(cursor.after, set(following.seen), status)
                    if rest:
                        yield rest, following
                return
            cursor = following

    def _sweep_second(self, second: datetime, seen: set, status: str | None) -> list:
        """Orders modified exactly at `second` that are not in `seen`, read by id (stable order)."""
        found, page = [], 1
        while True:
            batch = self.list_page("orders", orderby="id", order="asc", page=page, dates_are_gmt="true",
                              modified_after=format_wc_time(second - timedelta(seconds=1)),
                              modified_before=format_wc_time(second + timedelta(seconds=1)),
                              **({"status": status} if status else {})).items
            found += [o for o in batch if o["id"] not in seen]
            if len(batch) < PER_PAGE:
                return found
            page += 1

    def iter_products(self, *, modified_after: datetime | None = None) -> Iterator[list]:
        """Every product (or those modified after `modified_after`, GMT), by page (catalogues are
        small next to order histories)."""
        return self._iter_catalogue("products", modified_after)

    def iter_variations(self, product_id: int, *, modified_after: datetime | None = None) -> Iterator[list]:
        """A variable product's variations (or those modified after `modified_after`, GMT), by page."""
        return self._iter_catalogue(f"products/{int(product_id)}/variations", modified_after)

    def _iter_catalogue(self, route: str, modified_after: datetime | None) -> Iterator[list]:
        page = 1
        extra = {}
        if modified_after is not None:
            # WooCommerce's bound is exclusive and by the second: one second earlier misses nothing
            extra = {"modified_after": format_wc_time(modified_after - timedelta(seconds=1)), "dates_are_gmt": "true"}
        while True:
            result = self.list_page(route, orderby="id", order="asc", page=page, **extra)
            if result.items:
                yield result.items
            if page >= result.total_pages or not result.items:
                return
            page += 1

    def get_products(self, product_ids) -> list[dict]:
        """Several products by id, 100 per request (`include`); ids WooCommerce no longer has are absent."""
        return self._by_ids("products", product_ids)

    # --- writing --------------------------------------------------------------------------

    def batch_update_products(self, updates: list[dict], *, parent_id: int | None = None) -> list[dict]:
        """Update products (`parent_id` None: products/batch) or one product's variations
        (products/<parent_id>/variations/batch), ≤ 100 per call. One result per update, in
        order: the item, or {"id", "error": {...}} for one WooCommerce refused."""
        return self._batch_update("products/batch" if parent_id is None else f"products/{int(parent_id)}/variations/batch",
                                  updates)

    def update_order(self, order_id: int, changes: dict) -> dict:
        return self.request("PUT", f"orders/{int(order_id)}", data=changes)[0]

    def set_order_meta(self, order_id: int, meta: dict) -> dict:
        """Add or replace order meta by key (WooCommerce's update_meta_data)."""
        return self.update_order(order_id, {"meta_data": [{"key": k, "value": v} for k, v in meta.items()]})

    def add_order_note(self, order_id: int, note: str, *, customer_note: bool = False) -> dict:
        """A private note on the order (customer_note=True also emails it to the customer)."""
        return self.request("POST", f"orders/{int(order_id)}/notes", data={"note": note, "customer_note": customer_note})[0]

    def create_order(self, order: dict) -> dict:
        return self.request("POST", "orders", data=order)[0]

    def batch_update_orders(self, updates: list[dict]) -> list[dict]:
        """Update many orders, ≤ 100 per call. One result per update, in order: the order, or
        {"id", "error": {"code", "message", "data"}} for an item WooCommerce refused."""
        return self._batch_update("orders/batch", updates)

    def _batch_update(self, endpoint: str, updates: list[dict]) -> list[dict]:
        """`updates` through a wc/v3 batch endpoint, ≤ BATCH_LIMIT per call; one answer per update, in order."""
        results = []
        for start in range(0, len(updates), BATCH_LIMIT):
            chunk = updates[start:start + BATCH_LIMIT]
            body, _headers = self.request("POST", endpoint, data={"update": chunk})
            answered = (body or {}).get("update") or []
            if len(answered) != len(chunk):
                raise WooCommerceError(f"The batch answer has {len(answered)} results for {len(chunk)} updates.",
                                       code="unexpected_answer")
            results += answered
        return results
