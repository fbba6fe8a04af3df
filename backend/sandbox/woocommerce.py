"""A sandbox WooCommerce store speaking the REST API (wc/v3), for tests, benchmarks and the demo.

It copies what real WooCommerce does where integrations break (../shared/reference/woocommerce.md):
authentication exactly as WooCommerce checks it (Basic or consumer_key/consumer_secret query
parameters over https only; OAuth 1.0a one-legged HMAC-SHA1/HMAC-SHA256 signatures over plain
http, with the 15-minute timestamp window and single-use nonces), `per_page` ≤ 100,
`X-WP-Total`/`X-WP-TotalPages`/`Link`, `orderby`, `modified_after`/`after`/`before` with
`dates_are_gmt`, batch ≤ 100 items (413 above, per-item `error` objects inside a 200),
WooCommerce's error shape, money as strings and `line_items[].price` as a number (an int when
whole). Its answers have the keys and types of a real WooCommerce 7.8 store's, request for
request: tests/sandbox/test_woocommerce_78_shapes.py compares them with that store's recording.

Memory stays small for big stores: generated orders are not kept. An order is a pure
function of (seed, id) and only a few compact columns live in arrays (created, modified,
status); an order is materialised only when a request changes its content.

Controls for tests (Python, or HTTP under /__sandbox/ for another process): change an order
(bumps date_modified), trash or delete it, fail the next N requests with 5xx, add latency,
add a REST key (as a shop does when a plugin creates one).
"""
import base64
import bisect
import hashlib
import hmac
import json
import os
import random
import threading
import time
from array import array
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl, quote, unquote, urlencode

from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Request, Response

from backend.sandbox.server import register_sandbox

API_PREFIX = "/wp-json/wc/v3/"
EXPORT_ROUTE = "/bikri/v1/orders/export"
EXPORT_FIELDS = ("id", "parent_id", "number", "status", "currency", "date_created_gmt", "date_modified_gmt",
                 "date_paid_gmt", "date_completed_gmt", "discount_total", "shipping_total", "total_tax", "total",
                 "customer_id", "payment_method", "payment_method_title", "created_via", "customer_note", "billing",
                 "shipping", "line_items", "refunds", "meta_data")
EXPORT_ITEM_FIELDS = ("id", "name", "product_id", "variation_id", "quantity", "subtotal", "total", "sku", "price")


def export_record(order: dict) -> dict:
    """A wc/v3 order as the plugin's export carries it: the read model's fields only, meta
    limited to order attribution and Bikri's own."""
    record = {k: order.get(k) for k in EXPORT_FIELDS}
    record["line_items"] = [{k: item.get(k) for k in EXPORT_ITEM_FIELDS} for item in order.get("line_items") or []]
    # the plugin adds each refund's time (its post's/row's date_created_gmt); a refund this store
    # holds without one dates from the order's last change, the only time the store knows for it
    record["refunds"] = [{**{k: r.get(k) for k in ("id", "reason", "total")},
                          "date_created_gmt": r.get("date_created_gmt") or order.get("date_modified_gmt")}
                         for r in order.get("refunds") or []]
    record["meta_data"] = [{"key": m["key"], "value": m["value"]} for m in order.get("meta_data") or []
                           if m["key"].startswith(("_wc_order_attribution_", "_bikri_")) or m["key"] == "_courier_data"]
    return record
DHAKA_OFFSET = timedelta(hours=6)  # Asia/Dhaka has no daylight saving time
MAX_PER_PAGE = 100
BATCH_LIMIT = 100
OAUTH_WINDOW = 15 * 60  # WooCommerce refuses OAuth timestamps older than 15 minutes
ID_BITS = 24  # sort keys pack (timestamp << 24 | id); ids stay below 16.7 million
ID_MASK = (1 << ID_BITS) - 1

# Generated orders lie between these two instants, so that anything a test changes "now" is newer.
GENERATED_END = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())

CORE_STATUSES = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"]
# Courier plugins register their own statuses; WooCommerce's REST API accepts any registered one.
CUSTOM_STATUSES = ["shipped", "returned"]
STATUSES = CORE_STATUSES + CUSTOM_STATUSES + ["trash"]
STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
TRASH = STATUS_CODE["trash"]
# statuses an order reaches only through processing, where WooCommerce stamps date_paid
PAID_ON_THE_WAY = frozenset({"processing", "completed", "shipped", "returned", "refunded"})
STATUS_WEIGHTS = {
    "completed": 44, "processing": 16, "shipped": 9, "on-hold": 5, "pending": 5, "cancelled": 8,
    "refunded": 2, "failed": 3, "returned": 3, "checkout-draft": 5,
}

FIRST_NAMES = ["Rahim", "Karim", "Abdul", "Mohammad", "Shakib", "Tamim", "Nusrat", "Farzana", "Sadia", "Tanvir",
               "Rafiq", "Jahid", "Mim", "Sumaiya", "Arif", "Habib", "Rubina", "Nasrin", "Imran", "Mahmud",
               "Fatema", "Ayesha", "Sabbir", "Riya", "Mehedi", "Shirin", "Kamrul", "Sharmin", "Faisal", "Tahmina"]
LAST_NAMES = ["Hossain", "Rahman", "Islam", "Ahmed", "Khan", "Chowdhury", "Akter", "Begum", "Uddin", "Sarkar",
              "Miah", "Talukder", "Sheikh", "Bhuiyan", "Mondal", "Das", "Roy", "Haque", "Sultana", "Alam"]
BANGLA_NAMES = [("রহিম", "উদ্দিন"), ("ফাতেমা", "আক্তার"), ("করিম", "হোসেন"), ("নাসরিন", "সুলতানা"),
                ("সাকিব", "হাসান"), ("তানভীর", "আহমেদ"), ("রুবিনা", "বেগম"), ("মেহেদী", "হাসান")]
AREAS = ["Dhanmondi", "Mirpur 10", "Uttara Sector 7", "Mohammadpur", "Banani", "Badda", "Jatrabari", "Agrabad",
         "Nasirabad", "Zindabazar", "Shaheb Bazar", "Sonadanga", "Kotwali", "Savar", "Tongi", "Chawkbazar"]
BANGLA_AREAS = ["মিরপুর ১০", "ধানমন্ডি", "উত্তরা", "আগ্রাবাদ", "জিন্দাবাজার", "সাভার"]
DISTRICT_WEIGHTS = {"BD-13": 40, "BD-10": 12, "BD-18": 8, "BD-40": 6, "BD-60": 5, "BD-54": 4, "BD-27": 4,
                    "BD-08": 3, "BD-34": 3, "BD-55": 3, "BD-03": 2, "BD-06": 2, "BD-22": 2, "BD-11": 2,
                    "BD-16": 1, "BD-63": 1, "BD-47": 1, "BD-49": 1}
PAYMENTS = [("cod", "Cash on delivery", 82), ("bkash", "bKash", 10), ("nagad", "Nagad", 4),
            ("sslcommerz", "SSLCommerz", 4)]
CREATED_VIA = [("checkout", 80), ("store-api", 10), ("admin", 10)]
PRODUCTS = [
    ("Jamdani Saree", "জামদানি শাড়ি", "JMD-001", "4500.00"), ("Cotton Panjabi", None, "PNJ-010", "1850.00"),
    ("Mustard Oil 1L", "সরিষার তেল ১ লিটার", "OIL-001", "320.00"), ("Hilsa 1kg", "ইলিশ মাছ ১ কেজি", "FSH-001", "1400.00"),
    ("Three-Piece Salwar Kameez", None, "SK-003", "2350.00"), ("Lungi", "লুঙ্গি", "LNG-002", "650.00"),
    ("Nakshi Kantha", "নকশী কাঁথা", "NK-001", "3200.00"), ("Gamcha", "গামছা", "GMC-001", "180.00"),
    ("Basmati Rice 5kg", None, "RCE-005", "890.00"), ("Chinigura Rice 2kg", "চিনিগুড়া চাল", "RCE-002", "360.00"),
    ("Honey 500g", "সুন্দরবনের মধু", "HNY-500", "650.00"), ("Dates 1kg", None, "DTS-001", "950.00"),
    ("Mango (Himsagar) 5kg", "হিমসাগর আম", "MNG-005", "750.00"), ("Power Bank 10000mAh", None, "PB-10K", "1290.00"),
    ("Earbuds", None, "EB-002", "1599.50"), ("Phone Cover", None, "PC-014", "250.00"),
    ("Baby Lotion", None, "BL-200", "420.00"), ("Attar 6ml", "আতর", "ATR-006", "350.00"),
    ("Prayer Mat", "জায়নামাজ", "PRM-001", "780.00"), ("Kids T-Shirt", None, "KTS-004", "399.00"),
]
# product category id -> (name, slug); the products' SKU prefixes say which
CATEGORIES = {15: ("Clothing", "clothing"), 16: ("Grocery", "grocery"), 17: ("Electronics", "electronics"),
              18: ("Home", "home"), 19: ("Beauty", "beauty")}
CATEGORY_OF_SKU = {"JMD": 15, "PNJ": 15, "SK": 15, "LNG": 15, "GMC": 15, "KTS": 15, "OIL": 16, "FSH": 16, "RCE": 16,
                   "HNY": 16, "DTS": 16, "MNG": 16, "PB": 17, "EB": 17, "PC": 17, "NK": 18, "PRM": 18, "BL": 19,
                   "ATR": 19}
COUPONS = {"EID10": Decimal("10"), "BOISHAKH15": Decimal("15"), "WELCOME5": Decimal("5")}
ATTRIBUTION = [
    {"source_type": "utm", "utm_source": "facebook", "utm_medium": "cpc", "utm_campaign": "eid_sale"},
    {"source_type": "utm", "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand"},
    {"source_type": "organic", "utm_source": "google", "referrer": "https://www.google.com/"},
    {"source_type": "referral", "utm_source": "m.facebook.com", "referrer": "https://m.facebook.com/"},
    {"source_type": "typein", "utm_source": "(direct)"},
]
NOTES = ["", "", "", "", "Please call before delivery", "সন্ধ্যার পরে ডেলিভারি দিন", "অফিসের ঠিকানায় দিন",
         "Gift wrap please", "দয়া করে ফোন করবেন"]

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money(value) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _mix(*parts: int) -> int:
    """splitmix64 over the parts: a fast deterministic hash for the compact columns."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x


def _weighted(rng: random.Random, weights: dict | list):
    """A key of `weights` ({key: weight}, or [(key, ..., weight)] rows), drawn by weight. A row of
    two gives its key itself ("checkout"), a longer row the tuple before the weight."""
    items = list(weights.items()) if isinstance(weights, dict) else \
        [(w[0] if len(w) == 2 else w[:-1], w[-1]) for w in weights]
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _number(value: Decimal):
    """A number as WooCommerce's JSON writes it: PHP divides the item's total (a string without
    trailing zeros, "4500") by its quantity, which gives an int when it comes out whole."""
    return int(value) if value == value.to_integral_value() else float(value)


def gmt(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def local(ts: int) -> str:
    return (datetime.fromtimestamp(ts, timezone.utc) + DHAKA_OFFSET).strftime("%Y-%m-%dT%H:%M:%S")


class WooError(Exception):
    """Answered as WooCommerce's error shape: {"code", "message", "data": {"status"}}."""

    def __init__(self, status: int, code: str, message: str, **data):
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_param(name: str, reason: str) -> WooError:
    return WooError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: reason},
                    details={name: {"code": "rest_invalid_param", "message": reason, "data": None}})


class ApiKey:
    def __init__(self, consumer_key: str, consumer_secret: str, permissions: str = "read_write"):
        self.consumer_key, self.consumer_secret, self.permissions = consumer_key, consumer_secret, permissions
        self.nonces: dict[str, int] = {}


class Store:
    """The shop's data and the rules WooCommerce applies to it. Thread-safe (one lock)."""

    def __init__(self, n: int = 0, seed: int = 1, keys: list[ApiKey] | None = None, clock=time.time,
                 end: int | None = None):
        self.seed = seed
        self.clock = clock
        # None: the fixed GENERATED_END (tests, benches); else the instant the orders lead up to
        self.end = end
        self.lock = threading.RLock()
        self.keys = {key.consumer_key: key for key in (keys or [])}
        self.products = self._make_products()
        self.variations: dict[int, dict[int, dict]] = {}  # product id -> variation id -> variation
        # compact columns, index = order id - 1
        self.created = array("q")
        self.modified = array("q")
        self.status = bytearray()
        self.alive = bytearray()
        self.materialised: dict[int, dict] = {}  # orders whose content differs from the generator's
        self.n_generated = n
        self._generate_columns(n)
        # one sorted array of keys per sort order, and the same for trashed orders (which "any" skips)
        self.sorted_keys = {kind: array("q", sorted(self._key(kind, i) for i in range(1, n + 1)))
                            for kind in ("id", "created", "modified")}
        self.trashed_keys = {kind: array("q", sorted(self._key(kind, i) for i in range(1, n + 1)
                                                     if self.status[i - 1] == TRASH))
                             for kind in ("id", "created", "modified")}
        self.next_item_id = 10_000_000
        # test controls
        self.fail_remaining = 0
        self.fail_status = 500
        self.latency = 0.0
        self.requests = 0
        # REST calls by method and route ("POST orders/batch", "PUT orders/<id>", "POST orders/<id>/notes"):
        # what tests and benches count (a booking writes its meta in ceil(n/100) batch calls)
        self.calls: Counter = Counter()
        # order id -> (code, message): status changes this order refuses, as a shop plugin
        # hooked into woocommerce_rest_pre_insert_shop_order_object would (tests of per-item errors)
        self.refuse_status: dict[int, tuple[str, str]] = {}
        # the Bikri plugin's order export (bikri/v1/orders/export): None = an older plugin
        # without it (404); else the export key it verifies signatures with, as the plugin holds
        # it (the service's activation answer and config pull hand it over)
        self.export_secret: str | None = None
        # (status, content type, body) a security plugin answers the export with instead
        self.export_blocked: tuple[int, str, str] | None = None
        self.export_requests = 0
        # order id -> its notes, as wc/v3 answers them (POST/GET /orders/<id>/notes)
        self.notes: dict[int, list[dict]] = {}
        self.next_note_id = 1
        # coupon id -> the coupon as wc/v3 answers it (POST/GET /coupons)
        self.coupons: dict[int, dict] = {}
        self._customers: dict[int, dict] | None = None  # see customers()
        # order id -> [paid, completed] epoch seconds (or None) of orders whose status changed
        # here; untouched generated orders derive theirs from their status (see _milestones)
        self.milestones: dict[int, list] = {}

    # --- generation -------------------------------------------------------------------

    def _generate_columns(self, n: int) -> None:
        step = 600  # an order every ten minutes on average
        end = GENERATED_END if self.end is None else self.end
        if self.end is None:
            start = GENERATED_END - n * step - 30 * 86400
        else:
            # anchored (the demo): the newest order a minute before `end`, so a store started
            # today has today's orders and every dashboard period ending today shows some
            start = end - 60 - (n - 1) * step
        statuses = list(STATUS_WEIGHTS)
        cumulative, total = [], 0
        for status in statuses:
            total += STATUS_WEIGHTS[status]
            cumulative.append(total)
        for i in range(1, n + 1):
            h = _mix(self.seed, i, 1)
            created = start + (i - 1) * step + h % step  # ids grow with time, as in a real shop
            if self.end is not None:
                created = min(created, end - 60)
            kind = (h >> 20) % 100
            if kind < 30:
                modified = created  # never touched since checkout
            elif kind < 35:
                # a bulk action: many orders share one modified second (keyset walks must cope)
                modified = start + ((i - 1) // 400 + 1) * 400 * step + 3600
            else:
                modified = created + (h >> 30) % (10 * 86400)
            if self.end is None:
                modified = max(created, min(modified, end))
            elif modified > end - 60:
                # anchored: a change that would come later falls in the time left before the
                # newest order instead (clamping would pile them all onto one second)
                modified = created + (modified - created) % (end - 60 - created + 1)
            pick = (h >> 40) % total
            status = statuses[bisect.bisect_right(cumulative, pick)]
            self.created.append(created)
            self.modified.append(modified)
            self.status.append(STATUS_CODE[status])
            self.alive.append(1)

    def _make_products(self) -> dict[int, dict]:
        """The catalogue, each product with every key WC_REST_Products_Controller (wc/v3) gives a
        simple product in WooCommerce 7.8."""
        products = {}
        category_of = {}
        for index, (_name, _bangla, sku, _price) in enumerate(PRODUCTS):
            category_of[101 + index] = CATEGORY_OF_SKU[sku.split("-")[0]]
        for index, (name, bangla, sku, price) in enumerate(PRODUCTS):
            pid = 101 + index
            ts = GENERATED_END - 400 * 86400 + index * 3600
            stock = None if index % 3 else 40 + index
            slug = sku.lower()
            category = CATEGORIES[category_of[pid]]
            shown = Decimal(price).quantize(CENT)
            products[pid] = {
                "id": pid, "name": bangla and f"{name} ({bangla})" or name, "slug": slug,
                "permalink": f"https://shop.example/product/{slug}/",
                "date_created": local(ts), "date_created_gmt": gmt(ts), "date_modified": local(ts),
                "date_modified_gmt": gmt(ts), "type": "simple", "status": "publish", "featured": index == 0,
                "catalog_visibility": "visible", "description": f"<p>{name}</p>\n", "short_description": "",
                "sku": sku, "price": price, "regular_price": price, "sale_price": "",
                "date_on_sale_from": None, "date_on_sale_from_gmt": None, "date_on_sale_to": None,
                "date_on_sale_to_gmt": None, "on_sale": False, "purchasable": True,
                "total_sales": int(_mix(self.seed, pid, 4) % 500), "virtual": False, "downloadable": False,
                "downloads": [], "download_limit": -1, "download_expiry": -1, "external_url": "", "button_text": "",
                "tax_status": "taxable", "tax_class": "", "manage_stock": stock is not None, "stock_quantity": stock,
                "backorders": "no", "backorders_allowed": False, "backordered": False, "low_stock_amount": None,
                "sold_individually": False, "weight": "", "dimensions": {"length": "", "width": "", "height": ""},
                "shipping_required": True, "shipping_taxable": True, "shipping_class": "", "shipping_class_id": 0,
                "reviews_allowed": True, "average_rating": "0", "rating_count": 0,
                # wc_get_related_products: others of the same category, at most 5
                "related_ids": [other for other in category_of if other != pid
                                and category_of[other] == category_of[pid]][:5],
                "upsell_ids": [], "cross_sell_ids": [], "parent_id": 0, "purchase_note": "",
                "categories": [{"id": category_of[pid], "name": category[0], "slug": category[1]}],
                "tags": [], "images": [], "attributes": [], "default_attributes": [], "variations": [],
                "grouped_products": [], "menu_order": 0,
                "price_html": '<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-'
                              f'currencySymbol">&#2547;&nbsp;</span>{shown:,.2f}</bdi></span>',
                "meta_data": [], "stock_status": "outofstock" if index == 7 else "instock", "has_options": False,
                "_links": {"self": [{"href": f"/wp-json/wc/v3/products/{pid}"}],
                           "collection": [{"href": "/wp-json/wc/v3/products"}]},
            }
        return products


    # --- more of the catalogue: generated products, variations, stock and price edits --------

    def add_products(self, count: int, variations: int = 0, first_sku: int = 1) -> list[int]:
        """`count` more products, as _make_products shapes them; every one with `variations`
        above 0 is a variable product with that many variations (GET products/<id>/variations).
        Generated after the orders, so the orders stay what the seed made them."""
        added = []
        with self.lock:
            template = next(iter(self.products.values()))
            next_id = max([*self.products, *[v for vs in self.variations.values() for v in vs]]) + 1
            now = int(self.clock())
            for n in range(count):
                pid = next_id
                next_id += 1
                sku = f"GEN-{first_sku + n:06d}"
                price = str(100 + (pid * 37) % 900)
                product = {**template, "id": pid, "name": f"Product {sku}", "slug": sku.lower(), "sku": sku,
                           "permalink": f"https://shop.example/product/{sku.lower()}/",
                           "date_created": local(now), "date_created_gmt": gmt(now), "date_modified": local(now),
                           "date_modified_gmt": gmt(now), "price": price, "regular_price": price, "sale_price": "",
                           "manage_stock": True, "stock_quantity": pid % 50, "stock_status": "instock" if pid % 50 else "outofstock",
                           "featured": False, "related_ids": [], "variations": [], "type": "simple",
                           "images": [{"id": pid, "src": f"https://shop.example/wp-content/uploads/{sku.lower()}.jpg",
                                       "name": sku, "alt": ""}],
                           "meta_data": [{"id": pid, "key": "_wc_cog_cost", "value": str(int(price) * 6 // 10)}],
                           "_links": {"self": [{"href": f"/wp-json/wc/v3/products/{pid}"}],
                                      "collection": [{"href": "/wp-json/wc/v3/products"}]}}
                if variations:
                    product.update(type="variable", manage_stock=False, stock_quantity=None, sku=sku, price=price,
                                   attributes=[{"id": 0, "name": "Size", "position": 0, "visible": True,
                                                "variation": True, "options": [f"S{v}" for v in range(variations)]}])
                    self.variations[pid] = {}
                    for v in range(variations):
                        vid = next_id
                        next_id += 1
                        self.variations[pid][vid] = self._variation(pid, vid, f"{sku}-S{v}", price, f"S{v}", now)
                    product["variations"] = list(self.variations[pid])
                self.products[pid] = product
                added.append(pid)
        return added

    @staticmethod
    def _variation(pid: int, vid: int, sku: str, price: str, option: str, ts: int) -> dict:
        """A variation with every key WC_REST_Product_Variations_Controller (wc/v3, WooCommerce 7.8) gives."""
        return {
            "id": vid, "date_created": local(ts), "date_created_gmt": gmt(ts), "date_modified": local(ts),
            "date_modified_gmt": gmt(ts), "description": "", "permalink": f"https://shop.example/product/p{pid}/?attribute_size={option}",
            "sku": sku, "price": price, "regular_price": price, "sale_price": "", "date_on_sale_from": None,
            "date_on_sale_from_gmt": None, "date_on_sale_to": None, "date_on_sale_to_gmt": None, "on_sale": False,
            "status": "publish", "purchasable": True, "virtual": False, "downloadable": False, "downloads": [],
            "download_limit": -1, "download_expiry": -1, "tax_status": "taxable", "tax_class": "",
            "manage_stock": True, "stock_quantity": vid % 20, "stock_status": "instock" if vid % 20 else "outofstock",
            "backorders": "no", "backorders_allowed": False, "backordered": False, "low_stock_amount": None,
            "weight": "", "dimensions": {"length": "", "width": "", "height": ""}, "shipping_class": "",
            "shipping_class_id": 0, "image": None, "attributes": [{"id": 0, "name": "Size", "option": option}],
            "menu_order": 0, "meta_data": [],
            "_links": {"self": [{"href": f"/wp-json/wc/v3/products/{pid}/variations/{vid}"}],
                       "collection": [{"href": f"/wp-json/wc/v3/products/{pid}/variations"}],
                       "up": [{"href": f"/wp-json/wc/v3/products/{pid}"}]},
        }

    def edit_product(self, item: dict, changes: dict) -> dict:
        """What WC_REST_Products_Controller / variations do with stock and price fields: the item
        saved (date_modified moves), price follows the sale or regular price."""
        for name in ("regular_price", "sale_price"):
            if name in changes:
                value = changes[name]
                if value not in ("", None):
                    try:
                        Decimal(str(value))
                    except ArithmeticError:
                        raise invalid_param(name, f"{name} is not of type string.") from None
                item[name] = "" if value is None else str(value)
        if "manage_stock" in changes:
            item["manage_stock"] = bool(changes["manage_stock"])
        if "stock_quantity" in changes and item.get("manage_stock") is True:
            try:
                item["stock_quantity"] = int(changes["stock_quantity"])
            except (TypeError, ValueError):
                raise invalid_param("stock_quantity", "stock_quantity is not of type integer.") from None
            item["stock_status"] = "instock" if item["stock_quantity"] > 0 else "outofstock"
        if "name" in changes and "type" in item:  # variations have no name of their own in 7.8
            item["name"] = str(changes["name"])
        item["price"] = item["sale_price"] or item["regular_price"]
        item["on_sale"] = bool(item["sale_price"])
        now = int(self.clock())
        before = item["date_modified_gmt"]
        stamp = gmt(now)
        if stamp <= before:  # the same second: WooCommerce's dates move by the second; keep them apart here
            stamp = gmt(int(datetime.strptime(before, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()) + 1)
        item["date_modified_gmt"] = stamp
        item["date_modified"] = local(int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()))
        return item

    def _customer(self, c: int) -> dict:
        """Customer number c: the same person (and phone) on every order they place."""
        rng = random.Random(_mix(self.seed, c, 2))
        if rng.random() < 0.15:
            first, last = rng.choice(BANGLA_NAMES)
            area = rng.choice(BANGLA_AREAS)
            address = f"বাড়ি {rng.randint(1, 99)}, রোড {rng.randint(1, 30)}, {area}"
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            area = rng.choice(AREAS)
            address = f"House {rng.randint(1, 120)}, Road {rng.randint(1, 30)}, {area}"
        operator = rng.choice("3456789")
        phone = f"01{operator}{rng.randint(0, 99_999_999):08d}"
        return {"first_name": first, "last_name": last, "address_1": address, "city": area.split(" ")[0],
                "state": _weighted(rng, DISTRICT_WEIGHTS), "phone": phone,
                "email": f"{first.lower()}.{c}@example.com" if first.isascii() and rng.random() < 0.4 else "",
                "registered": rng.random() < 0.2}

    @staticmethod
    def _format_phone(rng: random.Random, phone: str) -> str:
        """Shoppers type their number in many ways; a few type it wrong."""
        style = rng.random()
        if style < 0.40:
            return phone
        if style < 0.60:
            return "+88" + phone
        if style < 0.70:
            return "88" + phone
        if style < 0.80:
            return f"{phone[:5]}-{phone[5:]}"
        if style < 0.88:
            return f"+880 {phone[1:5]}-{phone[5:]}"
        if style < 0.95:
            return phone.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
        if style < 0.98:
            return phone[1:]
        return phone[:9]  # two digits short: not a valid number

    def _generate(self, order_id: int) -> dict:
        rng = random.Random(_mix(self.seed, order_id, 3))
        n = max(self.n_generated, 1)
        if rng.random() < 0.35:
            c = rng.randrange(max(1, n // 40))  # regulars: many orders each
        else:
            c = max(1, n // 40) + rng.randrange(max(1, n // 2))
        person = self._customer(c)
        lines, subtotal = [], ZERO
        for _ in range(rng.choices([1, 2, 3, 4], weights=[55, 28, 12, 5])[0]):
            pid = rng.choice(list(self.products))
            product = self.products[pid]
            qty = rng.choices([1, 2, 3, 5], weights=[70, 20, 7, 3])[0]
            lines.append((pid, qty, Decimal(product["price"])))
            subtotal += Decimal(product["price"]) * qty
        coupon = rng.choice(list(COUPONS)) if rng.random() < 0.12 else None
        method, title = _weighted(rng, PAYMENTS)
        attribution = rng.choice(ATTRIBUTION) if rng.random() < 0.6 else None
        return self._build(order_id, person, lines, coupon, method, title, _weighted(rng, CREATED_VIA),
                           customer_id=c + 1 if person["registered"] else 0,
                           phone=self._format_phone(rng, person["phone"]), note=rng.choice(NOTES),
                           attribution=attribution)

    def _build(self, order_id, person, lines, coupon, method, title, created_via, *, customer_id, phone, note,
               attribution, fees=(), shipping_total=None) -> dict:
        """The order's content (without status and dates, which live in the columns)."""
        line_items, subtotal = [], ZERO
        for pid, qty, price in lines:
            product = self.products[pid]
            line_total = (price * qty).quantize(CENT)
            subtotal += line_total
            line_items.append({
                "id": order_id * 10 + len(line_items) + 1, "name": product["name"], "product_id": pid,
                "variation_id": 0, "quantity": qty, "tax_class": "", "subtotal": money(line_total),
                "subtotal_tax": "0.00", "total": money(line_total), "total_tax": "0.00", "taxes": [],
                "meta_data": [], "sku": product["sku"], "price": _number(line_total / qty), "image": {"id": "", "src": ""},
                "parent_name": None,
            })
        discount = (subtotal * COUPONS[coupon] / 100).quantize(Decimal("1")) if coupon else ZERO
        if shipping_total is None:
            shipping_total = Decimal("60.00") if person.get("state") == "BD-13" else Decimal("120.00")
        fee_lines = [{"id": order_id * 10 + 8 + i, "name": name, "tax_class": "", "tax_status": "taxable",
                      "amount": money(amount), "total": money(amount), "total_tax": "0.00", "taxes": [],
                      "meta_data": []} for i, (name, amount) in enumerate(fees)]
        total = subtotal - discount + shipping_total + sum((Decimal(a) for _, a in fees), ZERO)
        billing = {"first_name": person["first_name"], "last_name": person["last_name"], "company": "",
                   "address_1": person["address_1"], "address_2": "", "city": person["city"],
                   "state": person["state"], "postcode": "", "country": "BD", "email": person["email"],
                   "phone": phone}
        meta = [{"id": order_id * 100 + i, "key": f"_wc_order_attribution_{k}", "value": v}
                for i, (k, v) in enumerate((attribution or {}).items(), 1)]
        return {
            "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": f"wc_order_{_mix(order_id, 9):x}"[:22],
            "created_via": created_via, "version": "8.9.1", "currency": "BDT", "currency_symbol": "৳",
            "discount_total": money(discount), "discount_tax": "0.00", "shipping_total": money(shipping_total),
            "shipping_tax": "0.00", "cart_tax": "0.00", "total": money(total), "total_tax": "0.00",
            "prices_include_tax": False, "customer_id": customer_id, "customer_ip_address": "103.4.145.2",
            "customer_user_agent": "Mozilla/5.0 (Linux; Android 13)", "customer_note": note,
            "billing": billing, "shipping": {**{k: v for k, v in billing.items() if k != "email"}, "phone": phone},
            "payment_method": method, "payment_method_title": title, "transaction_id": "",
            "cart_hash": "", "meta_data": meta, "line_items": line_items, "tax_lines": [],
            "shipping_lines": [{"id": order_id * 10 + 9, "method_title": "Flat rate", "method_id": "flat_rate",
                                "instance_id": "1", "total": money(shipping_total), "total_tax": "0.00",
                                "taxes": [], "meta_data": []}],
            "fee_lines": fee_lines,
            "coupon_lines": [{"id": order_id * 10 + 7, "code": coupon.lower(), "discount": money(discount),
                              "discount_tax": "0.00", "meta_data": []}] if coupon else [],
            "refunds": [],
        }

    # --- reading --------------------------------------------------------------------------

    def exists(self, order_id: int) -> bool:
        return 1 <= order_id <= len(self.alive) and self.alive[order_id - 1] == 1

    def order(self, order_id: int) -> dict:
        """The order as wc/v3 answers it."""
        i = order_id - 1
        body = dict(self.materialised.get(order_id) or self._generate(order_id))
        status = STATUSES[self.status[i]]
        created, modified = self.created[i], self.modified[i]
        paid, completed = self._milestones(order_id)
        links = {"self": [{"href": f"/wp-json/wc/v3/orders/{order_id}"}],
                 "collection": [{"href": "/wp-json/wc/v3/orders"}]}
        if body.get("customer_id"):  # WooCommerce links a registered customer's order to them
            links["customer"] = [{"href": f"/wp-json/wc/v3/customers/{body['customer_id']}"}]
        body.update({
            "status": status,
            "date_created": local(created), "date_created_gmt": gmt(created),
            "date_modified": local(modified), "date_modified_gmt": gmt(modified),
            "date_paid": local(paid) if paid else None, "date_paid_gmt": gmt(paid) if paid else None,
            "date_completed": local(completed) if completed else None,
            "date_completed_gmt": gmt(completed) if completed else None,
            "payment_url": f"https://shop.example/checkout/order-pay/{order_id}/",
            "is_editable": status in ("pending", "on-hold", "checkout-draft"),
            "needs_payment": status == "pending", "needs_processing": True,
            "_links": links,
        })
        return body

    def _milestones(self, order_id: int) -> tuple[int | None, int | None]:
        """(paid, completed) epoch seconds, as WooCommerce's maybe_set_date_paid and
        maybe_set_date_completed leave them. A generated order lived its status out: paid when it
        reached processing at checkout (cash on delivery does too, and stays paid when it is
        shipped, returned or refunded; half the cancelled ones were processing first), completed
        when last changed if it is completed. Orders changed here keep what their changes set."""
        if order_id in self.milestones:
            paid, completed = self.milestones[order_id]
            return paid, completed
        i = order_id - 1
        status = STATUSES[self.status[i]]
        was_processing = status in PAID_ON_THE_WAY or (status == "cancelled" and _mix(self.seed, order_id, 5) % 2)
        return (self.created[i] + 60 if was_processing else None,
                self.modified[i] if status == "completed" else None)

    def total_orders(self) -> int:
        return len(self.sorted_keys["id"])

    def query_orders(self, *, orderby="date", order="desc", statuses=None, after=None, before=None,
                     modified_after=None, modified_before=None, include=None, page=1, per_page=10):
        """(ids on the page, total matching). Dates are epoch seconds, bounds exclusive as in WP's date_query."""
        with self.lock:
            kind = "id" if orderby in ("id", "include") else "modified" if orderby == "modified" else "created"
            keys = self.sorted_keys[kind]
            lo, hi = 0, len(keys)
            bounds = {"modified": (modified_after, modified_before), "created": (after, before)}.get(kind)
            if bounds:
                low_ts, high_ts = bounds
                lo = bisect.bisect_left(keys, (low_ts + 1) << ID_BITS) if low_ts is not None else 0
                hi = bisect.bisect_left(keys, high_ts << ID_BITS) if high_ts is not None else len(keys)
                hi = max(lo, hi)
            checks = []
            if statuses is not None:
                codes = {STATUS_CODE[s] for s in statuses}
                checks.append(lambda i: self.status[i] in codes)
            if kind != "modified":
                if modified_after is not None:
                    checks.append(lambda i: self.modified[i] > modified_after)
                if modified_before is not None:
                    checks.append(lambda i: self.modified[i] < modified_before)
            if kind != "created":
                if after is not None:
                    checks.append(lambda i: self.created[i] > after)
                if before is not None:
                    checks.append(lambda i: self.created[i] < before)
            if include is not None:
                wanted = set(include)
                checks.append(lambda i: i + 1 in wanted)
            start = (page - 1) * per_page
            if not checks:
                return self._window_page(kind, lo, hi, order, start, per_page)
            if statuses is None:  # "any": every status except trash, as WP_Query's "any" does
                checks.append(lambda i: self.status[i] != TRASH)
            # filters the ordering cannot answer: scan the window (tests and rare queries only)
            positions = range(lo, hi) if order == "asc" else range(hi - 1, lo - 1, -1)
            found, total = [], 0
            for position in positions:
                i = (keys[position] & ID_MASK) - 1
                if all(check(i) for check in checks):
                    if start <= total < start + per_page:
                        found.append(i + 1)
                    total += 1
            return found, total

    def _trashed_between(self, kind: str, first_key: int, last_key: int) -> int:
        trashed = self.trashed_keys[kind]
        return bisect.bisect_right(trashed, last_key) - bisect.bisect_left(trashed, first_key)

    def _window_page(self, kind, lo, hi, order, start, per_page):
        """The fast path (a backfill's every page): a window of one sort order minus the trash,
        answered with bisects, never a scan, so a page costs the same at order 100 and 100,000."""
        keys = self.sorted_keys[kind]
        if lo >= hi:
            return [], 0
        total = (hi - lo) - self._trashed_between(kind, keys[lo], keys[hi - 1])
        found = []
        if order == "asc":
            position = lo + start
            while position < hi:  # skip `start` live orders: move right by the trash we stepped over
                moved = lo + start + self._trashed_between(kind, keys[lo], keys[position - 1]) if position > lo else lo
                if moved == position:
                    break
                position = moved
            while position < hi and len(found) < per_page:
                order_id = keys[position] & ID_MASK
                if self.status[order_id - 1] != TRASH:
                    found.append(order_id)
                position += 1
        else:
            position = hi - start
            while position > lo:
                moved = hi - start - self._trashed_between(kind, keys[position], keys[hi - 1]) if position < hi else hi
                if moved == position:
                    break
                position = moved
            position -= 1
            while position >= lo and len(found) < per_page:
                order_id = keys[position] & ID_MASK
                if self.status[order_id - 1] != TRASH:
                    found.append(order_id)
                position -= 1
        return found, total

    # --- writing --------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _key(self, kind: str, order_id: int) -> int:
        if kind == "id":
            return order_id
        column = self.created if kind == "created" else self.modified
        return (column[order_id - 1] << ID_BITS) | order_id

    def _index(self, order_id: int, add: bool) -> None:
        trashed = self.status[order_id - 1] == TRASH
        for kind, keys in self.sorted_keys.items():
            targets = (keys, self.trashed_keys[kind]) if trashed else (keys,)
            key = self._key(kind, order_id)
            for target in targets:
                if add:
                    bisect.insort(target, key)
                else:
                    del target[bisect.bisect_left(target, key)]

    def touch(self, order_id: int, *, status: str | None = None, at: int | None = None, **fields) -> dict:
        """Change an order as a shop manager would: new status and/or fields; date_modified moves to now."""
        with self.lock:
            if not self.exists(order_id):
                raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            paid, completed = self._milestones(order_id)
            when = at if at is not None else self._now()
            if status is not None and status != STATUSES[self.status[order_id - 1]]:
                # set_status: date_paid once the order reaches processing or completed, and
                # date_completed each time it becomes completed
                if paid is None and status in ("processing", "completed"):
                    paid = when
                if status == "completed":
                    completed = when
            self.milestones[order_id] = [paid, completed]
            self._index(order_id, add=False)
            if status is not None:
                self.status[order_id - 1] = STATUS_CODE[status]
            self.modified[order_id - 1] = when
            self._index(order_id, add=True)
            if fields:
                body = dict(self.materialised.get(order_id) or self._generate(order_id))
                for key, value in fields.items():
                    if isinstance(value, dict) and isinstance(body.get(key), dict):
                        body[key] = {**body[key], **value}
                    elif key == "meta_data":
                        body[key] = _merge_meta(body.get(key, []), value, order_id)
                    else:
                        body[key] = value
                self.materialised[order_id] = body
            return self.order(order_id)

    def add_note(self, order_id: int, data: dict) -> dict:
        """POST /orders/<id>/notes: WooCommerce requires `note`; adding one does not change date_modified."""
        note = data.get("note")
        if not isinstance(note, str) or not note.strip():
            raise WooError(400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"])
        with self.lock:
            if not self.exists(order_id):
                raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            body = {"id": self.next_note_id, "author": "WooCommerce", "date_created": local(self._now()),
                    "date_created_gmt": gmt(self._now()), "note": note,
                    "customer_note": bool(data.get("customer_note")), "added_by_user": bool(data.get("added_by_user"))}
            self.next_note_id += 1
            self.notes.setdefault(order_id, []).append(body)
            return body

    def notes_of(self, order_id: int) -> list[dict]:
        with self.lock:
            if not self.exists(order_id):
                raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            return list(reversed(self.notes.get(order_id, [])))

    def customers(self) -> dict[int, dict]:
        """The registered customers among those who place this store's orders (customer number
        c is WordPress user c + 1, the orders' customer_id), as wc/v3 /customers answers them.
        Computed once: customers do not change."""
        with self.lock:
            if self._customers is None:
                regulars = max(1, self.n_generated // 40)
                self._customers = {}
                for c in range(regulars + max(1, self.n_generated // 2)):
                    person = self._customer(c)
                    if person["registered"]:
                        self._customers[c + 1] = self._customer_body(c, person)
            return self._customers

    @staticmethod
    def _customer_body(c: int, person: dict) -> dict:
        user_id = c + 1
        ts = GENERATED_END - 500 * 86400 + c * 600
        email = person["email"] or f"customer{user_id}@example.com"
        address = {"first_name": person["first_name"], "last_name": person["last_name"], "company": "",
                   "address_1": person["address_1"], "address_2": "", "city": person["city"],
                   "postcode": "", "country": "BD", "state": person["state"]}
        return {
            "id": user_id, "date_created": local(ts), "date_created_gmt": gmt(ts), "date_modified": local(ts),
            "date_modified_gmt": gmt(ts), "email": email, "first_name": person["first_name"],
            "last_name": person["last_name"], "role": "customer", "username": f"customer{user_id}",
            "billing": {**address, "email": email, "phone": person["phone"]},
            "shipping": {**address, "phone": person["phone"]},
            "is_paying_customer": True,
            "avatar_url": f"https://secure.gravatar.com/avatar/{hashlib.md5(email.encode()).hexdigest()}?s=96&d=mm&r=g",
            # WooCommerce stamps a logged-in customer's last visit on the user (wc_update_user_last_active)
            "meta_data": [{"id": user_id * 10, "key": "wc_last_active", "value": str(ts - ts % 86400)}],
            "_links": {"self": [{"href": f"/wp-json/wc/v3/customers/{user_id}"}],
                       "collection": [{"href": "/wp-json/wc/v3/customers"}]},
        }

    def bulk_touch(self, order_ids, status: str | None = None) -> int:
        """A bulk action: every order gets the same modified second."""
        with self.lock:
            now = self._now()
            for order_id in order_ids:
                self.touch(order_id, status=status, at=now)
            return now

    def delete(self, order_id: int, force: bool = True) -> dict:
        """force=False moves to the trash (date_modified moves); force=True deletes for good."""
        with self.lock:
            if not self.exists(order_id):
                raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if not force:
                if self.status[order_id - 1] == TRASH:
                    raise WooError(410, "woocommerce_rest_already_trashed", "The order has already been deleted.")
                return self.touch(order_id, status="trash")
            body = self.order(order_id)
            self._index(order_id, add=False)
            self.alive[order_id - 1] = 0
            self.materialised.pop(order_id, None)
            self.milestones.pop(order_id, None)
            return body

    def create(self, data: dict) -> dict:
        """POST /orders: an order from line items, fees, shipping and coupons, as WooCommerce computes it."""
        with self.lock:
            lines = []
            for position, item in enumerate(data.get("line_items") or []):
                pid = _int(item.get("product_id"), f"line_items[{position}][product_id]")
                if pid not in self.products:
                    raise WooError(400, "woocommerce_rest_invalid_product_id",
                                   "Product ID provided is invalid.")
                qty = _int(item.get("quantity", 1), f"line_items[{position}][quantity]")
                if qty < 1:
                    raise invalid_param("line_items", "quantity must be at least 1")
                price = Decimal(self.products[pid]["price"])
                if item.get("total") not in (None, ""):
                    price = Decimal(str(item["total"])) / qty
                lines.append((pid, qty, price))
            coupon = None
            for line in data.get("coupon_lines") or []:
                code = str(line.get("code", "")).upper()
                if code not in COUPONS:
                    raise WooError(400, "woocommerce_rest_invalid_coupon", f'Coupon "{code.lower()}" does not exist!')
                coupon = code
            fees = [(str(f.get("name", "Fee")), Decimal(str(f.get("total", "0")))) for f in data.get("fee_lines") or []]
            shipping = sum((Decimal(str(s.get("total", "0"))) for s in data.get("shipping_lines") or []), ZERO)
            status = data.get("status", "pending")
            if status not in STATUS_CODE or status == "trash":
                raise invalid_param("status", f"status is not one of {', '.join(STATUSES[:-1])}.")
            billing = {"first_name": "", "last_name": "", "address_1": "", "city": "", "state": "", "phone": "",
                       "email": "", **(data.get("billing") or {})}
            order_id = len(self.alive) + 1
            now = self._now()
            body = self._build(order_id, billing, lines, coupon, data.get("payment_method", ""),
                               data.get("payment_method_title", ""), "rest-api",
                               customer_id=int(data.get("customer_id") or 0), phone=billing.get("phone", ""),
                               note=data.get("customer_note", ""), attribution=None, fees=fees,
                               shipping_total=shipping.quantize(CENT))
            body["billing"] = {**body["billing"], **billing}
            body["meta_data"] = _merge_meta([], data.get("meta_data") or [], order_id)
            self.materialised[order_id] = body
            self.created.append(now)
            self.modified.append(now)
            self.status.append(STATUS_CODE[status])
            self.alive.append(1)
            self.milestones[order_id] = [now if status in ("processing", "completed") else None,
                                         now if status == "completed" else None]
            self._index(order_id, add=True)
            return self.order(order_id)

    def create_coupon(self, data: dict) -> dict:
        """POST /coupons, as WC_REST_Coupons_Controller does it: a code is unique (case-insensitively),
        amounts come back as decimal strings, date_expires is the site's time (Asia/Dhaka here)."""
        with self.lock:
            code = str(data.get("code") or "").strip()
            if not code:
                raise WooError(400, "woocommerce_rest_empty_coupon_code", "The coupon code cannot be empty.")
            if any(c["code"].lower() == code.lower() for c in self.coupons.values()):
                raise WooError(400, "woocommerce_rest_coupon_code_already_exists", "The coupon code already exists")
            kind = data.get("discount_type", "fixed_cart")
            if kind not in ("percent", "fixed_cart", "fixed_product"):
                raise invalid_param("discount_type", "discount_type is not one of percent, fixed_cart, fixed_product.")
            try:
                amount = Decimal(str(data.get("amount", "0")))
            except ArithmeticError:
                raise invalid_param("amount", "amount is not of type string.") from None
            expires = None
            if data.get("date_expires_gmt"):
                expires = _parse_date(str(data["date_expires_gmt"]), "date_expires_gmt", True)
            elif data.get("date_expires"):
                expires = _parse_date(str(data["date_expires"]), "date_expires", False)
            emails = data.get("email_restrictions") or []
            if not isinstance(emails, list):
                raise invalid_param("email_restrictions", "email_restrictions is not of type array.")
            now = self._now()
            coupon_id = 90_000 + len(self.coupons) + 1
            self.coupons[coupon_id] = {
                "id": coupon_id, "code": code, "amount": money(amount), "status": "publish",
                "date_created": local(now), "date_created_gmt": gmt(now), "date_modified": local(now), "date_modified_gmt": gmt(now),
                "discount_type": kind, "description": str(data.get("description", "")),
                "date_expires": local(expires) if expires else None, "date_expires_gmt": gmt(expires) if expires else None,
                "usage_count": 0, "individual_use": bool(data.get("individual_use", False)), "product_ids": [],
                "excluded_product_ids": [], "usage_limit": data.get("usage_limit"),
                "usage_limit_per_user": data.get("usage_limit_per_user"), "limit_usage_to_x_items": None,
                "free_shipping": bool(data.get("free_shipping", False)), "product_categories": [],
                "excluded_product_categories": [], "exclude_sale_items": False, "minimum_amount": "0.00",
                "maximum_amount": "0.00", "email_restrictions": [str(e).lower() for e in emails], "used_by": [],
                "meta_data": [],
            }
            return self.coupons[coupon_id]

    def update(self, order_id: int, data: dict) -> dict:
        """PUT /orders/<id>: the fields a REST client may change; unknown fields are ignored, as WooCommerce does."""
        status = data.get("status")
        if status is not None and (status not in STATUS_CODE or status == "trash"):
            raise invalid_param("status", f"status is not one of {', '.join(STATUSES[:-1])}.")
        if status is not None and order_id in self.refuse_status:
            code, message = self.refuse_status[order_id]
            raise WooError(400, code, message)
        fields = {k: data[k] for k in ("billing", "shipping", "customer_note", "meta_data", "payment_method",
                                       "payment_method_title", "transaction_id") if k in data}
        notes = []
        if isinstance(fields.get("meta_data"), list):
            # the Bikri plugin (Bikri_Consignment::action_rest_insert_order, on
            # woocommerce_rest_insert_shop_order_object): a booking's note meta becomes an order note
            notes = [m.get("value") for m in fields["meta_data"] if isinstance(m, dict) and m.get("key") == BOOKING_NOTE_META]
            fields["meta_data"] = [m for m in fields["meta_data"] if not (isinstance(m, dict) and m.get("key") == BOOKING_NOTE_META)]
        answer = self.touch(order_id, status=status, **fields)
        for note in notes:
            if str(note or "").strip():
                self.add_note(order_id, {"note": str(note).strip()})
        return answer


def _merge_meta(existing: list, changes: list, order_id: int) -> list:
    """meta_data updates match by id or key (WooCommerce's update_meta_data), new keys are added."""
    merged = [dict(m) for m in existing]
    for change in changes:
        match = next((m for m in merged if (change.get("id") and m["id"] == change.get("id"))
                      or m["key"] == change.get("key")), None)
        if match:
            match["value"] = change.get("value")
        else:
            merged.append({"id": order_id * 100 + 50 + len(merged), "key": change.get("key"), "value": change.get("value")})
    return merged


def _int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_param(name, f"{name} is not of type integer.") from None


def generate(n: int, seed: int = 1, keys: list[ApiKey] | None = None, end: int | None = None) -> Store:
    """A store with n orders, the same ones for the same seed (and end)."""
    return Store(n, seed, keys, end=end)


# --- the HTTP face ---------------------------------------------------------------------------

def rawurlencode(value: str) -> str:
    """PHP's rawurlencode (RFC 3986): everything but A-Z a-z 0-9 - _ . ~ is escaped."""
    return quote(value, safe="~")


def oauth_signature(method: str, base_url: str, params: dict, secret: str, algorithm: str) -> str:
    """The signature WooCommerce's WC_REST_Authentication::check_oauth_signature computes."""
    params = {k: v for k, v in params.items() if k != "oauth_signature"}
    pairs = [rawurlencode(f"{rawurlencode(k)}={rawurlencode(v)}")
             for k, v in sorted(params.items(), key=lambda kv: kv[0].encode())]
    string_to_sign = f"{method}&{rawurlencode(base_url)}&{'%26'.join(pairs)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), getattr(hashlib, algorithm)).digest()
    return base64.b64encode(digest).decode()


def _parse_date(value: str, name: str, dates_are_gmt: bool) -> int:
    """WordPress's rest_parse_date: ISO 8601; without an offset the time is the site's (or GMT)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_param(name, "Invalid date.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc) - (timedelta(0) if dates_are_gmt else DHAKA_OFFSET)
    return int(parsed.timestamp())


def _parse_bool(value: str | None) -> bool:
    return str(value).lower() in ("1", "true", "yes") if value is not None else False


class SandboxWooCommerce:
    """The WSGI application: routes, authentication, pagination headers, controls."""

    def __init__(self, store: Store):
        self.store = store

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except WooError as error:
            response = self.json(error.body(), error.status)
        except BadRequest:
            response = self.json({"code": "rest_invalid_json", "message": "Invalid JSON body passed.",
                                  "data": {"status": 400}}, 400)
        return response(environ, start_response)

    @staticmethod
    def json(body, status: int = 200, headers: dict | None = None) -> Response:
        return Response(json.dumps(body), status=status, headers=headers or {},
                        content_type="application/json; charset=UTF-8")

    # --- routing ------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        store = self.store
        if request.path.startswith("/__sandbox/"):
            return self.control(request)
        with store.lock:
            store.requests += 1
            failing = store.fail_remaining > 0
            if failing:
                store.fail_remaining -= 1
            latency = store.latency
        if latency:
            time.sleep(latency)
        if failing:
            # what a PHP fatal error looks like through the REST API
            raise WooError(store.fail_status, "internal_server_error",
                           "<p>There has been a critical error on this website.</p>")
        if request.args.get("rest_route") == EXPORT_ROUTE:
            return self.export(request)
        if not request.path.startswith(API_PREFIX):
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        parts = request.path[len(API_PREFIX):].strip("/").split("/")
        method = request.method
        resource = parts[0]
        key = self.authenticate(request)
        routes = {
            ("orders", 1, "GET"): ("view", lambda: self.list_orders(request)),
            ("orders", 1, "POST"): ("create", lambda: self.json(store.create(self.body(request)), 201)),
            ("orders", 2, "GET"): ("view_one", lambda: self.json(self.get_order(parts[1]))),
            ("orders", 2, "PUT"): ("edit", lambda: self.json(self.update_order(parts[1], self.body(request)))),
            ("orders", 2, "POST"): ("edit", lambda: self.json(self.update_order(parts[1], self.body(request)))),
            ("orders", 2, "PATCH"): ("edit", lambda: self.json(self.update_order(parts[1], self.body(request)))),
            ("orders", 2, "DELETE"): ("delete", lambda: self.json(self.delete_order(parts[1], request))),
            ("orders", 3, "POST"): ("edit", lambda: self.json(store.add_note(self._note_order(parts[1]), self.body(request)), 201)),
            ("orders", 3, "GET"): ("view_one", lambda: self.json(store.notes_of(self._note_order(parts[1])))),
            ("products", 1, "GET"): ("view", lambda: self.list_simple(request, "products")),
            ("products", 2, "GET"): ("view_one", lambda: self.json(self.get_simple("products", parts[1]))),
            ("customers", 1, "GET"): ("view", lambda: self.list_simple(request, "customers")),
            ("customers", 2, "GET"): ("view_one", lambda: self.json(self.get_simple("customers", parts[1]))),
            ("coupons", 1, "POST"): ("create", lambda: self.json(store.create_coupon(self.body(request)), 201)),
            ("coupons", 1, "GET"): ("view", lambda: self.list_simple(request, "coupons")),
        }
        products_routes = {
            ("products", 2, "PUT"): ("edit", lambda: self.json(self.edit_product(parts[1], None, self.body(request)))),
            ("products", 3, "GET"): ("view", lambda: self.list_variations(request, parts[1])),
            ("products", 4, "GET"): ("view_one", lambda: self.json(self.get_variation(parts[1], parts[3]))),
            ("products", 4, "PUT"): ("edit", lambda: self.json(self.edit_product(parts[1], parts[3], self.body(request)))),
        }
        if resource == "products" and len(parts) in (3, 4) and parts[2] == "variations":
            routes.update(products_routes)
        elif resource == "products" and len(parts) == 2 and parts[1] != "batch":
            routes.update({k: v for k, v in products_routes.items() if k[1] == 2})
        if len(parts) == 3 and parts[2] not in ("notes", "variations"):
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        if len(parts) == 2 and parts[0] == "orders" and parts[1] == "batch" and method in ("POST", "PUT", "PATCH"):
            action, handler = "batch", lambda: self.batch(request)
        elif len(parts) == 2 and parts[0] == "products" and parts[1] == "batch" and method in ("POST", "PUT", "PATCH"):
            action, handler = "batch", lambda: self.batch_products(request, None)
        elif (len(parts) == 4 and parts[0] == "products" and parts[2] == "variations" and parts[3] == "batch"
              and method in ("POST", "PUT", "PATCH")):
            action, handler = "batch", lambda: self.batch_products(request, parts[1])
        elif (resource, len(parts), method) in routes:
            action, handler = routes[(resource, len(parts), method)]
        else:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        route = "/".join("<id>" if part.isdigit() else part for part in parts)
        with store.lock:
            store.calls[f"{method} {route}"] += 1
        self.check_permission(key, action, method)
        return handler()

    # --- the Bikri plugin's export, with its signature check ----------------------------

    def export(self, request: Request) -> Response:
        """What wp-plugin/includes/class-bikri-export-route.php answers, from this store's orders."""
        from backend.integrations.woocommerce_export import sign

        store = self.store
        with store.lock:
            store.export_requests += 1
            secret, blocked = store.export_secret, store.export_blocked
        if blocked:
            return Response(blocked[2], status=blocked[0], content_type=blocked[1])
        if secret is None:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        params = {k: v for k, v in request.args.items() if k != "rest_route"}
        timestamp, nonce = request.headers.get("X-Bikri-Timestamp", ""), request.headers.get("X-Bikri-Nonce", "")
        expected = sign(secret, request.method, EXPORT_ROUTE, params, timestamp, nonce)
        if (not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300
                or not hmac.compare_digest(expected, request.headers.get("X-Bikri-Signature", ""))):
            raise WooError(401, "bikri_signature_invalid", "This request is not signed by the Bikri service.")
        after_id = int(params.get("after_id") or 0)
        limit = max(1, min(500, int(params.get("limit") or 100)))
        modified_after = params.get("modified_after")
        with store.lock:
            every = [store.order(i) for i in range(1, len(store.alive) + 1) if store.exists(i)]
        if modified_after:
            since = modified_after.replace(" ", "T")
            every = sorted((o for o in every if (o["date_modified_gmt"], o["id"]) > (since, after_id)),
                           key=lambda o: (o["date_modified_gmt"], o["id"]))
        else:
            every = [o for o in every if o["id"] > after_id]
        page = [export_record(o) for o in every[:limit]]
        following = None
        if len(page) == limit:
            following = {"after_id": page[-1]["id"]}
            if modified_after:
                following["modified_after"] = page[-1]["date_modified_gmt"].replace("T", " ")
        body = {"orders": page, "next": following, "storage": "hpos", "version": "0.1.0"}
        if params.get("count") in ("1", "true"):
            body["total"] = len([i for i in range(1, len(store.alive) + 1) if store.exists(i) and store.status[i - 1] != TRASH])
        return self.json(body)

    @staticmethod
    def body(request: Request) -> dict:
        data = request.get_json(force=True, silent=False) if request.data else {}
        if not isinstance(data, dict):
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
        return data

    # --- authentication, as WC_REST_Authentication does it ------------------------------

    def authenticate(self, request: Request) -> ApiKey | None:
        is_ssl = request.scheme == "https"
        if is_ssl:
            auth = request.authorization
            if auth is not None and auth.type == "basic":
                user, password = auth.username, auth.password
            else:
                user, password = request.args.get("consumer_key"), request.args.get("consumer_secret")
            if user and password:
                key = self.store.keys.get(user)
                if key is None:
                    raise WooError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
                if not hmac.compare_digest(key.consumer_secret, password):
                    raise WooError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
                return key
        return self.authenticate_oauth(request, is_ssl)

    def authenticate_oauth(self, request: Request, is_ssl: bool) -> ApiKey | None:
        # PHP's $_GET keeps the last value of a repeated parameter (the Python client repeats them).
        params = dict(parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True))
        if request.mimetype == "application/x-www-form-urlencoded":
            params.update(request.form.to_dict())
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("oauth "):
            for part in header[6:].split(","):
                name, _, value = part.strip().partition("=")
                if name.startswith("oauth_"):
                    params[name] = unquote(value.strip('"'))
        required = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")
        if any(not params.get(name) for name in required):
            return None  # not authenticated; the permission check answers 401
        key = self.store.keys.get(params["oauth_consumer_key"])
        if key is None:
            raise WooError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        method = params["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid.")
        provided = unquote(params["oauth_signature"].replace(" ", "+"))
        base_url = f"{'https' if is_ssl else 'http'}://{request.host}{request.path}"
        expected = oauth_signature(request.method, base_url, params, key.consumer_secret, method[5:].lower())
        if not hmac.compare_digest(expected, provided):
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")
        now = int(self.store.clock())
        try:
            timestamp = int(params["oauth_timestamp"])
        except ValueError:
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid timestamp.") from None
        if timestamp < now - OAUTH_WINDOW:
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid timestamp.")
        with self.store.lock:
            key.nonces = {n: t for n, t in key.nonces.items() if t >= now - OAUTH_WINDOW}
            if params["oauth_nonce"] in key.nonces:
                raise WooError(401, "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
            key.nonces[params["oauth_nonce"]] = timestamp
        return key

    @staticmethod
    def check_permission(key: ApiKey | None, action: str, method: str) -> None:
        if key is None:
            code, message = {
                "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
                "view_one": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
                "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
                "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
                "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
                "batch": ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."),
            }[action]
            raise WooError(401, code, message)
        needed = "read" if method in ("GET", "HEAD") else "write"
        if needed not in key.permissions.split("_"):
            raise WooError(401, "woocommerce_rest_authentication_error",
                           f"The API key provided does not have {needed} permissions.")

    # --- orders ---------------------------------------------------------------------------

    def list_orders(self, request: Request) -> Response:
        args = request.args
        per_page = self._int_arg(args, "per_page", 10, 1, MAX_PER_PAGE)
        page = self._int_arg(args, "page", 1, 1, None)
        order = args.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid_param("order", "order is not one of asc, desc.")
        orderby = args.get("orderby", "date")
        if orderby not in ("date", "id", "include", "title", "slug", "modified"):
            raise invalid_param("orderby", "orderby is not one of date, id, include, title, slug, modified.")
        gmt_dates = _parse_bool(args.get("dates_are_gmt"))
        dates = {name: _parse_date(args[name], name, gmt_dates) if args.get(name) else None
                 for name in ("after", "before", "modified_after", "modified_before")}
        statuses = None
        raw_status = args.getlist("status[]") or [s for v in args.getlist("status") for s in v.split(",") if s]
        if raw_status and "any" not in raw_status:
            unknown = [s for s in raw_status if s not in STATUS_CODE]
            if unknown:
                raise invalid_param("status", f"status[0] is not one of any, {', '.join(STATUSES)}.")
            statuses = raw_status
        include = None
        if args.get("include") or args.getlist("include[]"):
            raw = args.getlist("include[]") or args.get("include").split(",")
            include = [_int(v, "include") for v in raw if v]
        ids, total = self.store.query_orders(orderby=orderby, order=order, statuses=statuses, include=include,
                                             page=page, per_page=per_page, **dates)
        with self.store.lock:
            body = [self.store.order(order_id) for order_id in ids]
        return self.paged(request, body, total, per_page, page)

    def paged(self, request: Request, body: list, total: int, per_page: int, page: int) -> Response:
        pages = -(-total // per_page) if total else 0
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = []
        base = {k: v for k, v in request.args.items() if k not in ("page", "oauth_signature", "oauth_nonce",
                                                                    "oauth_timestamp", "consumer_secret")}
        if page > 1:
            links.append(f'<{request.base_url}?{urlencode({**base, "page": page - 1})}>; rel="prev"')
        if page < pages:
            links.append(f'<{request.base_url}?{urlencode({**base, "page": page + 1})}>; rel="next"')
        if links:
            headers["Link"] = ", ".join(links)
        return self.json(body, 200, headers)

    @staticmethod
    def _int_arg(args, name, default, low, high) -> int:
        raw = args.get(name)
        if raw is None:
            return default
        value = _int(raw, name)
        if value < low or (high is not None and value > high):
            if high is None:
                raise invalid_param(name, f"{name} must be greater than or equal to {low}")
            raise invalid_param(name, f"{name} must be between {low} (inclusive) and {high} (inclusive)")
        return value

    def _order_id(self, raw, status: int = 404, message: str = "Invalid ID.") -> int:
        try:
            order_id = int(raw)
        except ValueError:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.") from None
        if not self.store.exists(order_id):
            raise WooError(status, "woocommerce_rest_shop_order_invalid_id", message)
        return order_id

    def _note_order(self, raw) -> int:
        """The order of /orders/<id>/notes (WC_REST_Order_Notes_Controller words it its own way)."""
        return self._order_id(raw, 404, "Invalid order ID.")

    def get_order(self, raw) -> dict:
        with self.store.lock:
            return self.store.order(self._order_id(raw))

    def update_order(self, raw, data: dict) -> dict:
        # WC_REST_CRUD_Controller::update_item answers a missing order with 400, get_item with 404
        with self.store.lock:
            return self.store.update(self._order_id(raw, 400), data)

    def delete_order(self, raw, request: Request) -> dict:
        with self.store.lock:
            return self.store.delete(self._order_id(raw), force=_parse_bool(request.args.get("force")))

    def batch(self, request: Request) -> Response:
        data = self.body(request)
        groups = {name: data.get(name) or [] for name in ("create", "update", "delete")}
        if sum(len(items) for items in groups.values()) > BATCH_LIMIT:
            raise WooError(413, "woocommerce_rest_request_entity_too_large",
                           f"Unable to accept more than {BATCH_LIMIT} items for this request.")
        result = {}
        for name, items in groups.items():
            if not items:
                continue
            result[name] = []
            for item in items:
                try:
                    with self.store.lock:
                        if name == "create":
                            answer = self.store.create(item)
                        elif name == "update":
                            answer = self.store.update(self._item_id(item.get("id")), item)
                        else:  # batch delete is permanent: WooCommerce forces it
                            answer = self.store.delete(self._item_id(item), force=True)
                except WooError as error:
                    # a failed item is reported inside the 200, with the id it was asked for
                    item_id = item.get("id", 0) if isinstance(item, dict) else item
                    status = 400 if error.status == 404 else error.status
                    answer = {"id": item_id, "error": {"code": error.code, "message": error.message,
                                                       "data": {"status": status}}}
                result[name].append(answer)
        return self.json(result)

    def _item_id(self, raw) -> int:
        try:
            order_id = int(raw)
        except (TypeError, ValueError):
            raise WooError(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.") from None
        if not self.store.exists(order_id):
            raise WooError(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return order_id

    # --- products and customers (read only) -------------------------------------------------

    def list_simple(self, request: Request, kind: str) -> Response:
        args = request.args
        per_page = self._int_arg(args, "per_page", 10, 1, MAX_PER_PAGE)
        page = self._int_arg(args, "page", 1, 1, None)
        source = {"products": self.store.products, "coupons": self.store.coupons}
        items = list((source[kind] if kind in source else self.store.customers()).values())
        if args.get("include"):
            try:
                wanted = {int(part) for part in args["include"].split(",") if part.strip()}
            except ValueError:
                raise invalid_param("include", "include[0] is not of type integer.") from None
            items = [i for i in items if i["id"] in wanted]
        if args.get("modified_after"):
            after = _parse_date(args["modified_after"], "modified_after", _parse_bool(args.get("dates_are_gmt")))
            items = [i for i in items if _parse_date(i["date_modified_gmt"], "", True) > after]
        # WooCommerce lists customers by name, A to Z, and posts (products, coupons) newest first
        default_order, default_orderby = ("asc", "name") if kind == "customers" else ("desc", "date")
        order = args.get("order", default_order)
        if order not in ("asc", "desc"):
            raise invalid_param("order", "order is not one of asc, desc.")
        orderby = args.get("orderby", default_orderby)
        if orderby in ("name", "title"):
            key = lambda item: (str(item.get("first_name", item.get("name", ""))).lower(), item["id"])  # noqa: E731
        elif orderby in ("date", "registered_date"):
            key = lambda item: (item["date_created_gmt"], item["id"])  # noqa: E731
        else:
            key = lambda item: item["id"]  # noqa: E731
        items.sort(key=key, reverse=order == "desc")
        start = (page - 1) * per_page
        return self.paged(request, items[start:start + per_page], len(items), per_page, page)

    def get_simple(self, kind: str, raw) -> dict:
        items = self.store.products if kind == "products" else self.store.customers()
        try:
            return items[int(raw)]
        except (KeyError, ValueError):
            code = "woocommerce_rest_product_invalid_id" if kind == "products" else "woocommerce_rest_invalid_id"
            raise WooError(404, code, "Invalid ID.") from None

    # --- products: variations, edits and batches ---------------------------------------------

    def _product(self, raw) -> dict:
        try:
            return self.store.products[int(raw)]
        except (KeyError, ValueError, TypeError):
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.") from None

    def _variation_of(self, parent_raw, raw) -> dict:
        self._product(parent_raw)
        try:
            return self.store.variations.get(int(parent_raw), {})[int(raw)]
        except (KeyError, ValueError, TypeError):
            raise WooError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.") from None

    def list_variations(self, request: Request, parent_raw) -> Response:
        args = request.args
        per_page = self._int_arg(args, "per_page", 10, 1, MAX_PER_PAGE)
        page = self._int_arg(args, "page", 1, 1, None)
        with self.store.lock:
            self._product(parent_raw)
            items = list(self.store.variations.get(int(parent_raw), {}).values())
        if args.get("modified_after"):
            after = _parse_date(args["modified_after"], "modified_after", _parse_bool(args.get("dates_are_gmt")))
            items = [i for i in items if _parse_date(i["date_modified_gmt"], "", True) > after]
        # variations are listed by menu_order, then id (WooCommerce's default orderby for them)
        order = args.get("order", "desc")
        items.sort(key=lambda item: item["id"], reverse=order == "desc")
        start = (page - 1) * per_page
        return self.paged(request, items[start:start + per_page], len(items), per_page, page)

    def get_variation(self, parent_raw, raw) -> dict:
        with self.store.lock:
            return self._variation_of(parent_raw, raw)

    def edit_product(self, pid_raw, vid_raw, data: dict) -> dict:
        with self.store.lock:
            item = self._product(pid_raw) if vid_raw is None else self._variation_of(pid_raw, vid_raw)
            return self.store.edit_product(item, data)

    def batch_products(self, request: Request, parent_raw) -> Response:
        data = self.body(request)
        items = data.get("update") or []
        if len(items) + len(data.get("create") or []) + len(data.get("delete") or []) > BATCH_LIMIT:
            raise WooError(413, "woocommerce_rest_request_entity_too_large",
                           f"Unable to accept more than {BATCH_LIMIT} items for this request.")
        if parent_raw is not None:
            with self.store.lock:
                self._product(parent_raw)
        answers = []
        for item in items:
            try:
                with self.store.lock:
                    if parent_raw is None:
                        answers.append(self.store.edit_product(self._product(item.get("id")), item))
                    else:
                        answers.append(self.store.edit_product(self._variation_of(parent_raw, item.get("id")), item))
            except WooError as error:
                answers.append({"id": item.get("id", 0) if isinstance(item, dict) else 0,
                                "error": {"code": error.code, "message": error.message,
                                          "data": {"status": 400 if error.status == 404 else error.status}}})
        return self.json({"update": answers} if items else {})

    # --- controls for tests and benchmarks (loopback only, no auth) -----------------------

    def control(self, request: Request) -> Response:
        store = self.store
        parts = request.path.strip("/").split("/")[1:]
        data = request.get_json(silent=True) or {}
        if parts == ["stats"]:
            return self.json({"orders": store.total_orders(), "requests": store.requests, "calls": dict(store.calls)})
        if parts == ["fail"]:
            store.fail_remaining, store.fail_status = int(data.get("count", 1)), int(data.get("status", 500))
            return self.json({"ok": True})
        if parts == ["keys"] and request.method == "POST":
            # a key the shop created (its woocommerce_api_keys row), e.g. by the plugin at activation
            with store.lock:
                store.keys[data["consumer_key"]] = ApiKey(data["consumer_key"], data["consumer_secret"],
                                                          data.get("permissions", "read_write"))
            return self.json({"ok": True})
        if parts == ["latency"]:
            store.latency = float(data.get("ms", 0)) / 1000
            return self.json({"ok": True})
        if len(parts) == 3 and parts[0] == "orders" and parts[2] == "refuse-status":
            # {"code", "message"} refuses status changes of this order; {} lifts the refusal
            if data.get("code"):
                store.refuse_status[int(parts[1])] = (str(data["code"]), str(data.get("message") or data["code"]))
            else:
                store.refuse_status.pop(int(parts[1]), None)
            return self.json({"ok": True})
        if parts == ["products"] and request.method == "POST":
            # {"count", "variations"}: more products (variable ones with that many variations)
            return self.json({"ids": store.add_products(int(data.get("count", 1)), int(data.get("variations", 0)),
                                                        int(data.get("first_sku", 1)))})
        if len(parts) == 2 and parts[0] == "products" and request.method == "PUT":
            # a change made in wp-admin: the product (or, with "variation_of", the variation) saved
            with store.lock:
                item = (store.variations[int(data.pop("variation_of"))][int(parts[1])] if data.get("variation_of")
                        else store.products[int(parts[1])])
                return self.json(store.edit_product(item, data))
        if len(parts) == 3 and parts[0] == "orders" and parts[2] == "touch":
            return self.json(store.touch(int(parts[1]), **data))
        if len(parts) == 2 and parts[0] == "orders" and request.method == "DELETE":
            return self.json(store.delete(int(parts[1]), force=_parse_bool(request.args.get("force", "1"))))
        raise WooError(404, "rest_no_route", "No such sandbox control.")


BOOKING_NOTE_META = "_bikri_booking_note"
DEFAULT_KEY = "ck_sandbox_0000000000000000000000000000000000000000"
DEFAULT_SECRET = "cs_sandbox_0000000000000000000000000000000000000000"


@register_sandbox("woocommerce")
def create_sandbox(orders: int | None = None, seed: int | None = None, keys: list[ApiKey] | None = None,
                   end: int | None = None) -> SandboxWooCommerce:
    """A sandbox store; without arguments sized by BIKRI_SANDBOX_WC_ORDERS (500) and BIKRI_SANDBOX_WC_SEED (1),
    with the key pair BIKRI_SANDBOX_WC_KEY / BIKRI_SANDBOX_WC_SECRET (read_write). Its orders lead up to
    `end` (epoch seconds), else BIKRI_SANDBOX_WC_END ("now", or epoch seconds: `make run` uses "now"),
    else a fixed date (tests compare stores made at different times)."""
    if end is None and os.environ.get("BIKRI_SANDBOX_WC_END"):
        raw = os.environ["BIKRI_SANDBOX_WC_END"]
        end = int(time.time()) if raw == "now" else int(raw)
    if orders is None:
        orders = int(os.environ.get("BIKRI_SANDBOX_WC_ORDERS", "500"))
    if seed is None:
        seed = int(os.environ.get("BIKRI_SANDBOX_WC_SEED", "1"))
    if keys is None:
        keys = [ApiKey(os.environ.get("BIKRI_SANDBOX_WC_KEY", DEFAULT_KEY),
                       os.environ.get("BIKRI_SANDBOX_WC_SECRET", DEFAULT_SECRET))]
    return SandboxWooCommerce(generate(orders, seed, keys, end))
