"""Sequential discounts (O3) and manual orders (O2). Money is Decimal; every discount is rounded
to the poisha (ROUND_HALF_UP) when it is taken, so the running total the shop sees is exactly
the one written to WooCommerce.
"""
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select, update

from backend import commits
from backend.abandoned import service as abandoned

from backend.desk.fields import invalid, orders_by_wc_id
from backend.desk.listing import order_row
from backend.districts import WC_STATES
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce, WooCommerceError
from backend.licensing.models import Site
from backend.orders.models import Product
from backend.orders.service import upsert_orders
from backend.phones import InvalidPhone, normalise_phone
from backend.tasks.models import WorkJob
from backend.tasks.service import (
    asker_locale, in_language_of, open_job, params_of, record_item, recorded_items, shop_job, single_outcome, start_job,
    unrecorded, wait_for_job,
)

POISHA = Decimal("0.01")
HUNDRED = Decimal("100")
PAYMENT_METHODS = {"cod": "Cash on delivery", "bkash": "bKash", "nagad": "Nagad", "bacs": "Bank transfer"}
MAX_LINES = 50
MAX_DISCOUNTS = 10


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


# --- creating it: a worker asks WooCommerce, the request waits a moment --------------------------
#
# The request validates the form (422 at once, nothing queued) and starts a one-item job (kind
# `manual_order`) holding the WooCommerce payload; a worker in the transactional lane sends it and
# stores WooCommerce's answer. The API or the page waits up to WAIT_SECONDS for it, else answers
# with the job to follow. A create is never sent twice: the client does not retry it, the task
# has no retries, and the task takes the payload out of the job (committed) before it asks, so a
# redelivered task finds none and only says that the order may exist.

KIND = "manual_order"
TASK = "desk.create_manual_order"
ITEM = "order"
WAIT_SECONDS = 5.0


def start_manual_order(site, form, created_by: str, *, checkout=None) -> WorkJob:
    """Validate (ApiError 422 before anything is queued) and queue the create. `checkout`: the
    incomplete checkout this order is made from (marked recovered with the order)."""
    order = validate_manual_order(site.id, form)
    params = {"payload": woocommerce_payload(order, created_by), "bikri_total": f"{order.quote.total:f}",
              "locale": asker_locale()}
    if checkout:
        params["checkout"] = {"id": str(checkout), "by": created_by}
    return start_job(site.id, KIND, [ITEM], TASK, params=params, started_by=created_by)


def create_and_wait(site, form, created_by: str, *, checkout=None) -> WorkJob:
    job = start_manual_order(site, form, created_by, checkout=checkout)
    job = wait_for_job(job, WAIT_SECONDS)
    db.session.expire_all()  # the order as the worker stored it
    return job


def _take_payload(job: WorkJob) -> dict | None:
    """The job's payload, taken out of it in one conditional update (two deliveries racing: one
    gets it); None when a delivery before this one took it (it may have reached WooCommerce)."""
    params = json.loads(job.params or "{}")
    payload = params.pop("payload", None)
    if payload is None:
        return None
    taken = db.session.execute(update(WorkJob).where(WorkJob.id == job.id, WorkJob.params == job.params)
                               .values(params=json.dumps(params))).rowcount
    return payload if taken else None


def create_order_of_job(site_id: int, job_id: int, items: list[str]) -> None:
    """The task: send the payload to WooCommerce once, store its answer, record the item."""
    job = open_job(site_id, job_id)
    if job is None or not unrecorded(job_id, items):
        return
    bikri_total = Decimal(params_of(job)["bikri_total"])
    checkout = params_of(job).get("checkout")
    with in_language_of(job):
        payload = _take_payload(job)
        if payload is None:
            _record_unknown(job_id)
            return
        wc = WooCommerce.for_site(db.session.get(Site, site_id), retries=0)  # a retried create could make two orders
        with commits.remote_step():  # the payload taken is kept before WooCommerce is asked, its answer after
            try:
                answer = wc.create_order(payload)
            except WooCommerceError as error:
                record_item(job_id, ITEM, "failed", _("WooCommerce refused the order: %(reason)s", reason=error.message),
                            {"code": "woocommerce_refused", "http_status": 502, "woocommerce": [error.code]})
                return
            upsert_orders(site_id, [answer])
            wc_total = Decimal(str(answer.get("total"))).quantize(POISHA)
            record_item(job_id, ITEM, "ok", "", {"wc_id": int(answer["id"]), "number": str(answer.get("number") or answer["id"]),
                                                 "bikri_total": f"{bikri_total:f}", "woocommerce_total": f"{wc_total:f}"})
            if checkout:  # an incomplete checkout turned into this order from the Incomplete tab
                abandoned.record_converted(site_id, checkout["id"], int(answer["id"]),
                                           str(answer.get("number") or answer["id"]), checkout["by"])


def _record_unknown(job_id: int) -> None:
    record_item(job_id, ITEM, "failed", _("The order may have been created in WooCommerce, but Bikri did not get its "
                                          "answer. Look for it in WooCommerce's orders before you create it again."),
                {"code": "woocommerce_unanswered", "http_status": 502})


def create_gave_up(site_id: int, job_id: int, items: list[str], error: str = "") -> None:
    """The task failed (it is never retried): the order may or may not be in WooCommerce."""
    job = db.session.get(WorkJob, job_id)
    if job is None:
        return
    with in_language_of(job):
        if not recorded_items(job_id):
            _record_unknown(job_id)


def outcome(job: WorkJob) -> dict:
    """{"done": False} while WooCommerce is being asked; then {"done": True, "error": ApiError}
    or {"done": True, "result": {...}}: the stored row, both totals and `total_matches`
    (WooCommerce's total equals the total Bikri showed)."""
    now = single_outcome(job, "woocommerce_unanswered", status=502, detail="woocommerce")
    if "item" not in now:
        return now
    item = now["item"]
    stored = orders_by_wc_id(job.site_id, [item["wc_id"]]).get(item["wc_id"])
    bikri_total, wc_total = Decimal(item["bikri_total"]), Decimal(item["woocommerce_total"])
    return {"done": True, "result": {"order": order_row(stored, None, []) if stored is not None else None,
                                     "number": item["number"], "bikri_total": bikri_total,
                                     "woocommerce_total": wc_total, "total_matches": wc_total == bikri_total}}


def job_of(site, job_id) -> WorkJob:
    """A page's poll of its manual order: the shop's own job, else 404."""
    return shop_job(site.id, job_id, KIND)
