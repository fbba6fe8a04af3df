"""The plugin's order export (GET bikri/v1/orders/export): the fast path for backfill and reconciliation.

wc/v3 serves ~45 orders/s on a real store (~21 SQL queries per order); the plugin reads the
same fields from WooCommerce's tables with a handful of queries per page. Its records keep
wc/v3's names and formats, so they go through the same `normalise_order` + upsert.

Requests are signed (see wp-plugin/includes/class-bikri-export-route.php): HMAC-SHA256 over
METHOD, route, the sorted rawurlencoded query, a timestamp and a one-time nonce, keyed with the
site's export key (backend.security.export_key: an HMAC of Site.token_hash under the service's
secret key, handed to the plugin at activation and on every config pull). It used to be keyed
with the token's plain SHA-256, which is Site.token_hash itself: a leaked database could then
have read every shop's orders. A plugin of that time refuses the new signature and the service
uses wc/v3 for it; a new plugin that has not pulled its key yet refuses with
KEY_MISSING, which is not remembered as "no export" (the key arrives within 5 minutes).

The route is addressed as `/?rest_route=/bikri/v1/orders/export`, which every WordPress
answers whatever its permalink setting (`/wp-json/` needs pretty permalinks).
"""
import hashlib
import hmac
import secrets
import time
from datetime import datetime
from typing import Iterator
from urllib.parse import quote

import requests
from flask import current_app

from backend.integrations.shop_http import ShopAddressRefused, ShopSession
from backend.integrations.woocommerce import (NotRetryable, WooCommerceError, call_with_retries, format_wc_time, parse_wc_time,
                                              read_json, request_failed)
from backend.security import export_key

ROUTE = "/bikri/v1/orders/export"
KEY_MISSING = "bikri_export_key_missing"  # the plugin's refusal while it waits for its export key
PAGE_SIZE = 500  # the plugin's maximum; it also cuts pages at ~1 MB of JSON


class ExportUnavailable(NotRetryable):
    """The shop does not offer the export (older plugin, route blocked, not our plugin answering)."""


def canonical_query(params: dict) -> str:
    # PHP's rawurlencode: RFC 3986, everything but unreserved characters escaped
    return "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in sorted(params.items()))


def sign(secret: str, method: str, route: str, params: dict, timestamp: str, nonce: str) -> str:
    message = "\n".join((method.upper(), route, canonical_query(params), timestamp, nonce))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


class OrderExport:
    def __init__(self, site_url: str, secret: str, *, timeout: float = 30, verify=True, retries: int = 3,
                 backoff: float = 0.5, session: requests.Session | None = None):
        self.url = site_url.rstrip("/") + "/"
        self.secret, self.timeout, self.verify = secret, timeout, verify
        self.retries, self.backoff = retries, backoff
        # the shop's address is the caller's text: public addresses only, no redirects (shop_http)
        self.session = session or ShopSession()

    @classmethod
    def for_site(cls, site, **kwargs) -> "OrderExport":
        config = current_app.config
        kwargs.setdefault("timeout", config.get("WOOCOMMERCE_TIMEOUT", 30))
        kwargs.setdefault("verify", config.get("WOOCOMMERCE_CA_BUNDLE") or True)
        return cls(site.url, export_key(site.token_hash) if site.token_hash else "", **kwargs)

    def page(self, **params) -> dict:
        """One page: {orders, next, storage, total?}. ExportUnavailable when the shop has no export."""
        params = {k: v for k, v in params.items() if v is not None}
        return call_with_retries(lambda: self._once(params), retries=self.retries, backoff=self.backoff)

    def _once(self, params: dict) -> dict:
        timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(18)
        headers = {"X-Bikri-Timestamp": timestamp, "X-Bikri-Nonce": nonce, "Accept": "application/json",
                   "X-Bikri-Signature": sign(self.secret, "GET", ROUTE, params, timestamp, nonce),
                   "User-Agent": "Bikri/1.0 (+order sync)"}
        try:
            response = self.session.get(self.url, params={"rest_route": ROUTE, **params}, headers=headers,
                                        timeout=self.timeout, verify=self.verify, allow_redirects=False)
        except (requests.RequestException, ShopAddressRefused) as error:
            raise request_failed(error, self.timeout) from None
        body = read_json(response)
        status = response.status_code
        if status >= 500 or status == 429:
            raise WooCommerceError("The shop's export answered with an error.", code="not_woocommerce", status=status)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            # 404 (no such route: older plugin), 401/403 (a security plugin, or a key mismatch),
            # an HTML page with a 200, a redirect to a login page: all mean "use wc/v3".
            code = body.get("code") if isinstance(body, dict) and body.get("code") else f"http_{status}"
            raise ExportUnavailable(f"The shop's order export is not available ({code}).", code=str(code),
                                    status=status)
        return body

    def count(self) -> int:
        return int(self.page(limit=1, count=1).get("total") or 0)

    def probe(self) -> bool:
        """Whether the export answers a signed request (one tiny page).

        A plugin still waiting for its export key raises (as a shop that did not answer does):
        its export is there, just not usable yet."""
        try:
            self.page(limit=1)
            return True
        except ExportUnavailable as error:
            if error.code == KEY_MISSING:
                raise
            return False

    def iter_by_id(self, after_id: int = 0, *, limit: int | None = None) -> Iterator[tuple[list, int]]:
        """Pages of every order (trashed ones too) by id: (orders, after_id for the next page)."""
        limit = limit or PAGE_SIZE
        while True:
            body = self.page(after_id=after_id, limit=limit)
            orders, following = body["orders"], body.get("next")
            if orders:
                after_id = int(following["after_id"]) if following else int(orders[-1]["id"])
                yield orders, after_id
            if not following or not orders:
                return

    def iter_by_modified(self, after: datetime, after_id: int = 0, *, limit: int | None = None
                         ) -> Iterator[tuple[list, datetime, int]]:
        """Pages of orders modified at/after `after` (ties broken by id): (orders, cursor time, cursor id)."""
        limit = limit or PAGE_SIZE
        while True:
            body = self.page(modified_after=format_wc_time(after).replace("T", " "), after_id=after_id, limit=limit)
            orders, following = body["orders"], body.get("next")
            if orders:
                last = orders[-1]
                after = parse_wc_time(following["modified_after"]) if following else parse_wc_time(last["date_modified_gmt"])
                after_id = int(following["after_id"]) if following else int(last["id"])
                yield orders, after, after_id
            if not following or not orders:
                return
