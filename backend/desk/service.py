"""The order desk's rules. Routes (JSON API and embed views) stay thin and call these.

- Listing is keyset-paginated on (date_created_gmt DESC, id DESC): a deep page costs what
  the first page costs, and an order arriving while someone pages never shifts the pages.
- Writes go to WooCommerce first (the source of truth); the read model changes only from
  WooCommerce's answer, through `backend.orders.service.upsert_orders`. An order
  WooCommerce refused therefore keeps its old status here, and its reason is reported.
- Money is Decimal; every discount is rounded to the poisha (ROUND_HALF_UP) when it is
  taken, so the running total the shop sees is exactly the one written to WooCommerce.
"""
import base64
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, text, tuple_

from backend.abandoned.service import incomplete_count
from backend.couriers.models import BookingAttempt, Consignment
from backend.desk.models import OrderTag, OrderTagLink
from backend.districts import WC_STATES
from backend.errors import ApiError, NotFound
from backend.commits import keep_progress
from backend.extensions import db
from backend.dbutil import on_postgresql
from backend.integrations.woocommerce import BATCH_LIMIT, WooCommerce, WooCommerceError, order_missing
from backend.orders.models import Customer, Order, OrderStatusDelta, Product
from backend.orders.service import mark_missing, order_gone_message, upsert_orders
from backend.phones import InvalidPhone, normalise_phone
from backend.timeutil import dhaka_midnight_utc

POISHA = Decimal("0.01")
HUNDRED = Decimal("100")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_DAYS = 366 * 3
log = logging.getLogger(__name__)
STATUS_RE = re.compile(r"^[a-z0-9_-]{1,40}$")
STATUS_LABELS = {
    "pending": _l("Pending payment"), "processing": _l("Processing"), "on-hold": _l("On hold"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "refunded": _l("Refunded"), "failed": _l("Failed"),
    "shipped": _l("Shipped"), "returned": _l("Returned"),
}
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# Statuses offered in the desk's menus; WooCommerce's status set is open, so any other
# slug a shop registered ("shipped", "returned") is accepted too and WooCommerce decides.
CORE_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")
PAYMENT_METHODS = {"cod": "Cash on delivery", "bkash": "bKash", "nagad": "Nagad", "bacs": "Bank transfer"}
MAX_LINES = 50
MAX_DISCOUNTS = 10


def invalid(details: dict, message: str | None = None) -> ApiError:
    return ApiError(message or _("Some fields are missing or invalid."), code="validation_error", status=422,
                    details={k: v if isinstance(v, list) else [v] for k, v in details.items()})


# --- listing -----------------------------------------------------------------------------------

@dataclass
class ListFilters:
    statuses: list = field(default_factory=list)
    tag_id: int | None = None
    start: date | None = None  # Dhaka days, inclusive
    end: date | None = None
    courier: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = PAGE_SIZE


def encode_cursor(created: datetime, order_id: int) -> str:
    raw = f"{created.strftime('%Y%m%d%H%M%S')}.{order_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, order_id = raw.split(".")
        return datetime.strptime(stamp, "%Y%m%d%H%M%S"), int(order_id)
    except (ValueError, UnicodeDecodeError):
        raise invalid({"cursor": _("This page link is broken; start again from the first page.")}) from None


def parse_filters(args) -> ListFilters:
    """Query arguments (a MultiDict) → ListFilters; every mistake is named by its field."""
    errors, filters = {}, ListFilters()
    statuses = [s.strip() for value in args.getlist("status") for s in value.split(",") if s.strip()]
    if any(not STATUS_RE.match(s) for s in statuses):
        errors["status"] = _("A status is a WooCommerce status slug, like processing.")
    filters.statuses = statuses[:20]
    if args.get("tag"):
        try:
            filters.tag_id = int(args["tag"])
        except ValueError:
            errors["tag"] = _("Choose a tag from the list.")
    for name in ("start", "end"):
        if args.get(name):
            try:
                setattr(filters, name, date.fromisoformat(args[name]))
            except ValueError:
                errors[name] = _("Dates look like 2026-03-01.")
    if filters.start and filters.end and filters.start > filters.end:
        errors["end"] = _("The end date is before the start date.")
    if args.get("courier"):
        filters.courier = args["courier"].strip()[:40]
    filters.q = (args.get("q") or "").strip()[:100] or None
    filters.cursor = args.get("cursor") or None
    if args.get("limit"):
        try:
            filters.limit = max(1, min(MAX_PAGE_SIZE, int(args["limit"])))
        except ValueError:
            errors["limit"] = _("A whole number from 1 to 100.")
    if errors:
        raise invalid(errors)
    return filters


def _search_condition(q: str):
    """Order number (#1234 or 1234), phone in any format, or the start of a name."""
    digits = q.lstrip("#").strip()
    conditions = []
    try:
        conditions.append(Order.phone == normalise_phone(q))
    except InvalidPhone:
        pass
    if digits.isdigit() and len(digits) <= 12:
        conditions.append(Order.number == digits)
    if not conditions:
        # A name: case-insensitive prefix of the billing name, or of its second word. Prefix,
        # not substring, so PostgreSQL can stop early on the keyset order (bench/order_list.py).
        pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        lowered = func.lower(Order.billing_name)
        conditions.append(or_(lowered.like(f"{pattern.lower()}%", escape="\\"),
                              lowered.like(f"% {pattern.lower()}%", escape="\\")))
    return or_(*conditions)


def filter_orders(query, site_id: int, filters: ListFilters):
    """The desk's WHERE for `filters` (the cursor aside), on any select over orders. The list
    and the export (backend/desk/export.py) both use it, so they show exactly the same orders."""
    query = query.where(Order.site_id == site_id, Order.deleted_at.is_(None), Order.status != "checkout-draft")
    if filters.statuses:
        query = query.where(Order.status.in_(filters.statuses))
    if filters.tag_id is not None:
        query = query.where(Order.id.in_(select(OrderTagLink.order_id).where(
            OrderTagLink.site_id == site_id, OrderTagLink.tag_id == filters.tag_id)))
    if filters.start:
        query = query.where(Order.date_created_gmt >= dhaka_midnight_utc(filters.start))
    if filters.end:
        query = query.where(Order.date_created_gmt < dhaka_midnight_utc(filters.end + timedelta(days=1)))
    if filters.courier:
        query = query.where(Order.courier == filters.courier)
    if filters.q:
        query = query.where(_search_condition(filters.q))
    return query


def list_orders(site_id: int, filters: ListFilters) -> dict:
    """One page of the desk: {"orders": [...], "next_cursor": str | None}."""
    query = filter_orders(select(Order, Customer.order_count).outerjoin(Customer, Customer.id == Order.customer_id),
                          site_id, filters)
    if filters.cursor:
        created, order_id = decode_cursor(filters.cursor)
        # a row-value comparison: PostgreSQL (and SQLite ≥ 3.15) turn it into one index range,
        # where the spelled-out OR would be a filter on every row above the cursor
        query = query.where(tuple_(Order.date_created_gmt, Order.id) < tuple_(created, order_id))
    rows = db.session.execute(
        query.order_by(Order.date_created_gmt.desc(), Order.id.desc()).limit(filters.limit + 1)).all()
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    tags = tags_of_orders(site_id, [order.id for order, _count in rows])
    booked = consignments_of_orders(site_id, [order.wc_id for order, _count in rows if order.courier])
    orders = [order_row(order, count, tags.get(order.id, []), booked.get(order.wc_id)) for order, count in rows]
    last = rows[-1][0] if rows else None
    return {"orders": orders, "next_cursor": encode_cursor(last.date_created_gmt, last.id) if more else None}


def consignments_of_orders(site_id: int, wc_ids: list[int]) -> dict[int, str]:
    """wc_id → consignment id, for the courier column (O5)."""
    if not wc_ids:
        return {}
    found = dict(db.session.execute(select(Consignment.order_wc_id, Consignment.consignment_id).where(
        Consignment.site_id == site_id, Consignment.order_wc_id.in_(wc_ids))).all())
    missing = [i for i in wc_ids if i not in found]
    if missing:  # booked, but only the booking lock knows (the courier gave no id, or recording failed)
        found.update({wc_id: cid for wc_id, cid in db.session.execute(
            select(BookingAttempt.order_wc_id, BookingAttempt.consignment_id).where(
                BookingAttempt.site_id == site_id, BookingAttempt.order_wc_id.in_(missing))).all()})
    return found


def order_row(order: Order, order_count: int | None, tags: list, consignment_id: str | None = None) -> dict:
    return {
        "id": order.id, "wc_id": order.wc_id, "number": order.number, "status": order.status,
        "total": order.total, "currency": order.currency, "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title,
        "courier": getattr(order, "courier", None), "consignment_id": consignment_id,
        "name": order.billing_name, "phone": order.phone or order.billing_phone, "district": order.district,
        "date_created_gmt": order.date_created_gmt, "created_via": order.created_via,
        # O4: a customer with more than one order (that counts as a sale) is a repeat customer
        "customer_orders": order_count or 0, "repeat": (order_count or 0) > 1,
        "tags": tags,
    }


def tags_of_orders(site_id: int, order_ids: list[int]) -> dict[int, list]:
    if not order_ids:
        return {}
    found: dict[int, list] = {}
    rows = db.session.execute(
        select(OrderTagLink.order_id, OrderTag.id, OrderTag.name, OrderTag.colour)
        .join(OrderTag, OrderTag.id == OrderTagLink.tag_id)
        .where(OrderTagLink.site_id == site_id, OrderTagLink.order_id.in_(order_ids))
        .order_by(OrderTag.name))
    for order_id, tag_id, name, colour in rows:
        found.setdefault(order_id, []).append({"id": tag_id, "name": name, "colour": colour})
    return found


def newest_since(site_id: int, after_id: int) -> dict:
    """The new-order poll (O7): orders stored after `after_id` (the read model's id grows with
    every insert), newest first, at most 20. Cheap: one index range on the primary key."""
    rows = db.session.execute(
        select(Order.id, Order.number, Order.billing_name, Order.total)
        .where(Order.site_id == site_id, Order.id > after_id, Order.deleted_at.is_(None),
               Order.status != "checkout-draft")
        .order_by(Order.id.desc()).limit(20)).all()
    latest = db.session.execute(select(func.max(Order.id)).where(Order.site_id == site_id)).scalar() or 0
    return {"latest_id": max(latest, after_id),
            "orders": [{"id": r.id, "number": r.number, "name": r.billing_name, "total": str(r.total)} for r in rows]}


# --- status tabs -------------------------------------------------------------------------------

# (key, label, statuses): the desk's tabs. "incomplete" lists abandoned checkouts, not orders.
TABS = (
    ("all", _l("All"), ()),
    ("pending", _l("Pending"), ("pending",)),
    ("processing", _l("Processing"), ("processing",)),
    ("on-hold", _l("On hold"), ("on-hold",)),
    ("shipped", _l("Shipped"), ("shipped",)),
    ("completed", _l("Completed"), ("completed",)),
    ("returned", _l("Returned"), ("returned",)),
    ("cancelled", _l("Cancelled"), ("cancelled",)),
    ("incomplete", _l("Incomplete"), ()),
)
NOT_LISTED = ("checkout-draft",)  # as list_orders: a block-checkout draft is not an order yet


def status_counts(site_id: int) -> dict[str, int]:
    """Live (not deleted) orders per WooCommerce status. On PostgreSQL the sum of the rows the
    orders triggers appended (migration 0810): a handful of rows per shop and status, where a
    grouped count read a million index entries (160-250 ms in bench/order_list.py). Elsewhere
    (SQLite: development and tests) the grouped count itself."""
    if on_postgresql():
        rows = db.session.execute(
            select(OrderStatusDelta.status, func.sum(OrderStatusDelta.delta)).where(OrderStatusDelta.site_id == site_id)
            .group_by(OrderStatusDelta.status).having(func.sum(OrderStatusDelta.delta) != 0)).all()
    else:
        rows = db.session.execute(
            select(Order.status, func.count()).where(Order.site_id == site_id, Order.deleted_at.is_(None))
            .group_by(Order.status)).all()
    return {status: int(n) for status, n in rows}


def fold_status_counts() -> int:
    """The job: fold each shop's appended count rows into one row per status, so reading the
    counts stays a few rows. Rows appended while this runs are kept for the next run."""
    if not on_postgresql():
        return 0
    folded = db.session.execute(text("""
        WITH gone AS (DELETE FROM order_status_deltas RETURNING site_id, status, delta),
             kept AS (INSERT INTO order_status_deltas (site_id, status, delta)
                      SELECT site_id, status, sum(delta) FROM gone GROUP BY site_id, status HAVING sum(delta) <> 0
                      RETURNING 1)
        SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)""")).scalar_one()
    return int(folded)


def tab_counts(site_id: int, counts: dict[str, int] | None = None, *, incomplete: bool = True) -> dict[str, int]:
    """The number beside each tab. "all" is what the desk lists without a status filter."""
    counts = status_counts(site_id) if counts is None else counts
    tabs = {"all": sum(n for status, n in counts.items() if status not in NOT_LISTED)}
    for key, _label, statuses in TABS[1:-1]:
        tabs[key] = sum(counts.get(s, 0) for s in statuses)
    if incomplete:
        tabs["incomplete"] = incomplete_count(site_id)
    return tabs


def settable_statuses(counts: dict[str, int]) -> list[str]:
    """Every status a row's menu offers: WooCommerce's core statuses, then each custom status
    the shop's orders carry ("shipped", "returned"): those exist in the shop, so WooCommerce
    accepts them. A custom status no order carries yet is unknown here and not offered."""
    custom = sorted(s for s in counts if s not in CORE_STATUSES and s not in NOT_LISTED and STATUS_RE.match(s))
    return list(CORE_STATUSES) + custom


# --- status changes (O1) -----------------------------------------------------------------------

def _orders_by_wc_id(site_id: int, wc_ids) -> dict[int, Order]:
    return {o.wc_id: o for o in db.session.execute(
        select(Order).where(Order.site_id == site_id, Order.wc_id.in_(list(wc_ids)), Order.deleted_at.is_(None))
    ).scalars()}


def status_label(status: str) -> str:
    """WooCommerce's core statuses in the current language; a custom status ("shipped") as it is."""
    return str(STATUS_LABELS.get(status, status))


def shop_language(site) -> str:
    """The language of the shop's WordPress (its locale, as the plugin reports it), if the service
    speaks it; else English."""
    code = (site.locale or "en").replace("-", "_").split("_")[0].lower()
    return code if code in current_app.config["LANGUAGES"] else "en"


def status_note(site, status: str, by: str | None) -> str:
    """The order note that says a status change came from Bikri, and from whom. In the shop's
    language, not the staff member's: every reader of the order's notes sees the same text."""
    with force_locale(shop_language(site)):
        if by:
            return _("Status changed to %(status)s from Bikri by %(name)s.", status=status_label(status), name=by)
        return _("Status changed to %(status)s from Bikri.", status=status_label(status))


def change_status(site, wc_ids: list[int], status: str, by: str | None = None) -> list[dict]:
    """Ask WooCommerce to set `status` on these orders; one result per order, in the order asked.
    Each order changed gets a note saying it came from Bikri and from whom (`by`, the staff
    member's name; WooCommerce's own note names no one).

    One order: PUT orders/<id>. Several: POST orders/batch, ≤ 100 per call; a chunk's
    answer is stored before the next chunk is sent, so a failure half-way leaves Bikri
    agreeing with WooCommerce about every order already changed.
    """
    status = (status or "").strip()
    if not STATUS_RE.match(status) or status in ("trash", "checkout-draft"):
        raise invalid({"status": _("Choose a status.")})
    wc_ids = list(dict.fromkeys(int(i) for i in wc_ids))
    if not wc_ids:
        raise invalid({"orders": _("Choose at least one order.")})
    if len(wc_ids) > 500:
        raise invalid({"orders": _("Choose at most 500 orders at a time.")})
    known = _orders_by_wc_id(site.id, wc_ids)
    results = {}
    gone = _deleted_wc_ids(site.id, [i for i in wc_ids if i not in known])
    for wc_id in wc_ids:
        if wc_id in gone:  # a page opened before WooCommerce was found without it
            results[wc_id] = _gone_result(wc_id)
        elif wc_id not in known:
            results[wc_id] = {"wc_id": wc_id, "ok": False, "status": None, "error": _("No such order in this shop.")}
    to_send = [i for i in wc_ids if i in known]
    if to_send:
        wc = WooCommerce.for_site(site, retries=1)
        if len(to_send) == 1:
            try:
                answers = [wc.update_order(to_send[0], {"status": status})]
            except WooCommerceError as error:
                answers = [{"id": to_send[0], "error": {"code": error.code, "message": error.message}}]
            _store_answers(site.id, to_send, answers, known, results)
        else:
            for start in range(0, len(to_send), BATCH_LIMIT):
                chunk = to_send[start:start + BATCH_LIMIT]
                try:
                    answers = wc.batch_update_orders([{"id": i, "status": status} for i in chunk])
                except WooCommerceError as error:
                    # the whole call failed: WooCommerce changed none of this chunk
                    answers = [{"id": i, "error": {"code": error.code, "message": error.message}} for i in chunk]
                _store_answers(site.id, chunk, answers, known, results)
        _add_status_notes(wc, site, [i for i in to_send if results[i]["ok"]], status, by, results)
    return [results[i] for i in wc_ids]


def _add_status_notes(wc, site, changed: list[int], status: str, by: str | None, results: dict) -> None:
    """One note per changed order (wc/v3 has no batch for notes). After the answers were committed:
    no transaction stays open across these calls. A note that fails leaves the status changed;
    the result says the note is missing."""
    note = status_note(site, status, by)
    for wc_id in changed:
        try:
            wc.add_order_note(wc_id, note)
            results[wc_id]["note"] = True
        except WooCommerceError as error:
            log.warning("site %s order %s: the status note was not added: %s", site.id, wc_id, error)
            results[wc_id]["note"] = False


def _deleted_wc_ids(site_id: int, wc_ids: list[int]) -> set[int]:
    if not wc_ids:
        return set()
    return set(db.session.execute(select(Order.wc_id).where(
        Order.site_id == site_id, Order.wc_id.in_(wc_ids), Order.deleted_at.is_not(None))).scalars())


def _gone_result(wc_id: int) -> dict:
    return {"wc_id": wc_id, "ok": False, "status": None, "error": order_gone_message(),
            "code": "order_deleted", "deleted": True}


def _store_answers(site_id, asked, answers, known, results) -> None:
    accepted, gone = [], []
    for wc_id, answer in zip(asked, answers):
        error = answer.get("error") if isinstance(answer, dict) else {"message": "no answer"}
        if error and order_missing(error):
            # deleted in WooCommerce without the hooks that tell us: off the desk, out of the dashboard
            gone.append(wc_id)
            results[wc_id] = _gone_result(wc_id)
        elif error:
            results[wc_id] = {"wc_id": wc_id, "ok": False, "status": known[wc_id].status,
                              "error": str(error.get("message") or error.get("code")), "code": error.get("code")}
        else:
            accepted.append(answer)
            results[wc_id] = {"wc_id": wc_id, "ok": True, "status": answer.get("status"), "error": None}
    if accepted:
        upsert_orders(site_id, accepted)
    if gone:
        mark_missing(site_id, gone)
    keep_progress()  # each chunk WooCommerce accepted is kept, whatever happens to the next


# --- sequential discounts (O3) -----------------------------------------------------------------

@dataclass
class Discount:
    kind: str  # "percent" or "fixed"
    value: Decimal


@dataclass
class Quote:
    subtotal: Decimal
    steps: list  # [{"label", "amount", "left"}]
    shipping: Decimal
    total: Decimal


def apply_discounts(subtotal: Decimal, discounts: list[Discount], shipping: Decimal = Decimal("0")) -> Quote:
    """Each discount is taken from what the previous ones left of the goods' subtotal
    (shipping is charged in full). Each amount is rounded to the poisha, half up, as it is
    taken, and never takes more than is left, so the total is never negative."""
    left = subtotal.quantize(POISHA)
    steps = []
    for discount in discounts:
        if discount.kind == "percent":
            amount = (left * discount.value / HUNDRED).quantize(POISHA, rounding=ROUND_HALF_UP)
            label = f"{discount.value.normalize():f}%"
        else:
            amount = discount.value.quantize(POISHA, rounding=ROUND_HALF_UP)
            label = f"৳{amount:f}"
        amount = min(amount, left)
        left -= amount
        steps.append({"label": label, "amount": amount, "left": left})
    shipping = shipping.quantize(POISHA, rounding=ROUND_HALF_UP)
    return Quote(subtotal.quantize(POISHA), steps, shipping, left + shipping)


# --- manual orders (O2) ------------------------------------------------------------------------

@dataclass
class ManualOrder:
    first_name: str
    last_name: str
    phone: str
    address: str
    state: str  # WooCommerce's state code, BD-13
    lines: list  # [(Product, quantity)]
    shipping: Decimal
    payment_method: str
    note: str
    discounts: list
    quote: Quote


def _decimal(raw, field_name, errors, *, minimum=Decimal("0"), maximum=Decimal("10000000")):
    try:
        value = Decimal(str(raw).strip().translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")))
    except (InvalidOperation, ValueError):
        errors[field_name] = _("Enter an amount, like 60 or 12.50.")
        return None
    if not value.is_finite() or value < minimum or value > maximum:
        errors[field_name] = _("Enter an amount from %(low)s to %(high)s.", low=minimum, high=maximum)
        return None
    return value


def read_discounts(kinds: list, values: list, errors: dict) -> list[Discount]:
    discounts = []
    for index, (kind, raw) in enumerate(zip(kinds, values)):
        if not str(raw).strip():
            continue  # an empty row in the form
        where = f"discounts.{index}"
        if kind not in ("percent", "fixed"):
            errors[where] = _("Choose percent or taka.")
            continue
        value = _decimal(raw, where, errors, maximum=HUNDRED if kind == "percent" else Decimal("10000000"))
        if value is not None:
            discounts.append(Discount(kind, value))
    if len(discounts) > MAX_DISCOUNTS:
        errors["discounts"] = _("At most %(n)d discounts.", n=MAX_DISCOUNTS)
    return discounts


def read_lines(site_id: int, product_ids: list, quantities: list, errors: dict, *, check_stock: bool = True) -> list:
    """(Product, quantity) pairs from the form; errors under items.<n>.product / items.<n>.quantity."""
    wanted = []
    for index, (raw_product, raw_qty) in enumerate(zip(product_ids, quantities)):
        if not str(raw_product).strip() and not str(raw_qty).strip():
            continue
        try:
            product_id = int(raw_product)
        except (TypeError, ValueError):
            errors[f"items.{index}.product"] = _("Choose a product.")
            continue
        try:
            quantity = int(str(raw_qty).strip())
        except (TypeError, ValueError):
            errors[f"items.{index}.quantity"] = _("Enter a whole number, 1 or more.")
            continue
        if quantity < 1 or quantity > 10000:
            errors[f"items.{index}.quantity"] = _("Enter a whole number, 1 or more.")
            continue
        wanted.append((index, product_id, quantity))
    if len(wanted) > MAX_LINES:
        errors["items"] = _("At most %(n)d products per order.", n=MAX_LINES)
        return []
    products = {p.wc_id: p for p in db.session.execute(
        select(Product).where(Product.site_id == site_id, Product.wc_id.in_([w[1] for w in wanted]))).scalars()}
    lines = []
    for index, product_id, quantity in wanted:
        product = products.get(product_id)
        if product is None or product.status not in (None, "publish", "private"):
            errors[f"items.{index}.product"] = _("This product is not in the shop.")
        elif product.price is None:
            errors[f"items.{index}.product"] = _("This product has no price.")
        elif check_stock and product.stock_status == "outofstock":
            errors[f"items.{index}.product"] = _("%(name)s is out of stock.", name=product.name)
        elif check_stock and product.stock_quantity is not None and quantity > product.stock_quantity:
            errors[f"items.{index}.quantity"] = _("Only %(n)d in stock.", n=product.stock_quantity)
        else:
            lines.append((product, quantity))
    return lines


def quote_form(site_id: int, form) -> tuple[Quote, dict]:
    """The live running total while the form is filled in (no required-field checks yet)."""
    errors = {}
    lines = read_lines(site_id, form.getlist("product"), form.getlist("quantity"), errors, check_stock=False)
    discounts = read_discounts(form.getlist("discount_kind"), form.getlist("discount_value"), errors)
    shipping = _decimal(form.get("shipping") or "0", "shipping", errors) or Decimal("0")
    subtotal = sum((p.price * q for p, q in lines), Decimal("0"))
    return apply_discounts(subtotal, discounts, shipping), errors


def validate_manual_order(site_id: int, form) -> ManualOrder:
    """Every field is checked before anything is sent; ApiError(422) names each bad field."""
    errors = {}
    name = " ".join((form.get("name") or "").split())
    if not name:
        errors["name"] = _("Enter the customer's name.")
    elif len(name) > 100:
        errors["name"] = _("At most 100 characters.")
    phone = None
    try:
        phone = normalise_phone(form.get("phone") or "")
    except InvalidPhone as error:
        errors["phone"] = str(error)
    address = " ".join((form.get("address") or "").split())
    if not address:
        errors["address"] = _("Enter the delivery address.")
    elif len(address) > 300:
        errors["address"] = _("At most 300 characters.")
    state = (form.get("district") or "").strip()
    if state not in WC_STATES:
        errors["district"] = _("Choose a district.")
    lines = read_lines(site_id, form.getlist("product"), form.getlist("quantity"), errors)
    if not lines and not any(k.startswith("items") for k in errors):
        errors["items"] = _("Add at least one product.")
    shipping = _decimal(form.get("shipping") or "0", "shipping", errors, maximum=Decimal("100000"))
    payment = (form.get("payment_method") or "").strip()
    if payment not in PAYMENT_METHODS:
        errors["payment_method"] = _("Choose a payment method.")
    note = (form.get("note") or "").strip()
    if len(note) > 1000:
        errors["note"] = _("At most 1000 characters.")
    discounts = read_discounts(form.getlist("discount_kind"), form.getlist("discount_value"), errors)
    if errors:
        raise invalid(errors, _("The order was not created: fix the fields marked below."))
    first, _sep, last = name.partition(" ")
    subtotal = sum((p.price * q for p, q in lines), Decimal("0"))
    return ManualOrder(first, last, phone, address, state, lines, shipping, payment, note, discounts,
                       apply_discounts(subtotal, discounts, shipping))


def woocommerce_payload(order: ManualOrder, created_by: str) -> dict:
    """wc/v3 order JSON. Line totals are sent as Bikri priced them and each discount is a
    negative fee line, so WooCommerce's total is exactly the one the shop saw."""
    billing = {"first_name": order.first_name, "last_name": order.last_name, "address_1": order.address,
               "city": WC_STATES[order.state], "state": order.state, "country": "BD",
               "phone": order.phone.removeprefix("+88")}
    fee_lines = [{"name": _("Discount %(n)d (%(label)s)", n=n, label=step["label"]), "total": f"{-step['amount']:f}",
                  "tax_status": "none"} for n, step in enumerate(order.quote.steps, 1) if step["amount"]]
    return {
        "status": "processing",
        "payment_method": order.payment_method,
        "payment_method_title": PAYMENT_METHODS[order.payment_method],
        "set_paid": False,
        "billing": billing,
        "shipping": {k: v for k, v in billing.items()},
        "customer_note": order.note,
        "line_items": [{"product_id": p.wc_id, "quantity": q, "subtotal": f"{(p.price * q).quantize(POISHA):f}",
                        "total": f"{(p.price * q).quantize(POISHA):f}"} for p, q in order.lines],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": _("Delivery"), "total": f"{order.quote.shipping:f}"}],
        "fee_lines": fee_lines,
        # WooCommerce sets created_via to "rest-api" itself for every REST-created order and
        # ignores the field; this meta is how the order shows it came from Bikri's desk.
        "meta_data": [{"key": "_bikri_source", "value": "order-desk"}, {"key": "_bikri_created_by", "value": created_by}],
    }


def create_manual_order(site, form, created_by: str) -> dict:
    """Validate, create in WooCommerce, store WooCommerce's answer. Returns the stored row
    plus `total_matches` (WooCommerce's total equals the total Bikri showed)."""
    order = validate_manual_order(site.id, form)
    wc = WooCommerce.for_site(site, retries=0)  # never retry a create: it could make two orders
    try:
        answer = wc.create_order(woocommerce_payload(order, created_by))
    except WooCommerceError as error:
        raise ApiError(_("WooCommerce refused the order: %(reason)s", reason=error.message),
                       code="woocommerce_refused", status=502, details={"woocommerce": [error.code]}) from None
    upsert_orders(site.id, [answer])
    stored = _orders_by_wc_id(site.id, [int(answer["id"])])[int(answer["id"])]
    wc_total = Decimal(str(answer.get("total"))).quantize(POISHA)
    return {"order": order_row(stored, None, []), "bikri_total": order.quote.total, "woocommerce_total": wc_total,
            "total_matches": wc_total == order.quote.total}


# --- tags (O6) ---------------------------------------------------------------------------------

def list_tags(site_id: int) -> list[OrderTag]:
    return list(db.session.execute(select(OrderTag).where(OrderTag.site_id == site_id).order_by(OrderTag.name)).scalars())


def _tag(site_id: int, tag_id) -> OrderTag:
    try:
        tag_id = int(tag_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such tag.")) from None
    tag = db.session.execute(select(OrderTag).where(OrderTag.site_id == site_id, OrderTag.id == tag_id)).scalar_one_or_none()
    if tag is None:
        raise NotFound(_("No such tag."))
    return tag


def _tag_fields(site_id: int, name, colour, *, current: OrderTag | None = None) -> tuple[str, str]:
    errors = {}
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = _("Enter a name for the tag.")
    elif len(name) > 40:
        errors["name"] = _("At most 40 characters.")
    elif db.session.execute(select(OrderTag.id).where(
            OrderTag.site_id == site_id, func.lower(OrderTag.name) == name.lower(),
            OrderTag.id != (current.id if current else -1))).first():
        errors["name"] = _("A tag with this name exists.")
    colour = str(colour or (current.colour if current else "#2271b1")).strip()
    if not COLOUR_RE.match(colour):
        errors["colour"] = _("A colour looks like #2271b1.")
    if errors:
        raise invalid(errors)
    return name, colour.lower()


def create_tag(site_id: int, name, colour=None) -> OrderTag:
    name, colour = _tag_fields(site_id, name, colour)
    tag = OrderTag(site_id=site_id, name=name, colour=colour)
    db.session.add(tag)
    db.session.flush()
    return tag


def edit_tag(site_id: int, tag_id, name=None, colour=None) -> OrderTag:
    tag = _tag(site_id, tag_id)
    tag.name, tag.colour = _tag_fields(site_id, tag.name if name is None else name, colour, current=tag)
    db.session.flush()
    return tag


def delete_tag(site_id: int, tag_id) -> None:
    tag = _tag(site_id, tag_id)
    db.session.execute(delete(OrderTagLink).where(OrderTagLink.site_id == site_id, OrderTagLink.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()


def tag_orders(site_id: int, tag_id, wc_ids: list[int], *, add: bool) -> int:
    """Put the tag on (or take it off) these orders; returns how many orders it now changed."""
    tag = _tag(site_id, tag_id)
    wc_ids = list(dict.fromkeys(int(i) for i in wc_ids))[:1000]
    if not wc_ids:
        raise invalid({"orders": _("Choose at least one order.")})
    order_ids = list(db.session.execute(
        select(Order.id).where(Order.site_id == site_id, Order.wc_id.in_(wc_ids))).scalars())
    if add:
        have = set(db.session.execute(select(OrderTagLink.order_id).where(
            OrderTagLink.tag_id == tag.id, OrderTagLink.order_id.in_(order_ids))).scalars())
        new = [i for i in order_ids if i not in have]
        if new:
            db.session.execute(OrderTagLink.__table__.insert(),
                               [{"order_id": i, "tag_id": tag.id, "site_id": site_id} for i in new])
        return len(new)
    result = db.session.execute(delete(OrderTagLink).where(
        OrderTagLink.site_id == site_id, OrderTagLink.tag_id == tag.id, OrderTagLink.order_id.in_(order_ids)))
    return result.rowcount


def ids_from(values) -> list[int]:
    """Order numbers from a form or JSON list; anything not a whole number is an error."""
    try:
        return [int(v) for v in values if str(v).strip()]
    except (TypeError, ValueError):
        raise invalid({"orders": _("Order ids are whole numbers.")}) from None
