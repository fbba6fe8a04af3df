"""The fraud check of a customer's phone (F1): how often parcels to this number arrived.

Three sources, each recorded on its own, so that one failing never fails the check:
- couriers: every connected courier account whose adapter offers `fraud_check` (Steadfast) tells
  the number's history across all its merchants. Each look-up spends the shop's daily allowance
  there (10-20 a day), hence the cache and the limit on forced re-checks.
- shop: this shop's own orders for the number.
- network: delivered and returned counts of the number across every Bikri shop. Counts only —
  never which shop, which order, a name or an address.

An order's outcome (shop and network): its latest consignment's final status decides (delivered
or partly delivered → delivered; cancelled or returned → returned). An order never booked through
Bikri counts by its WooCommerce status: completed → delivered, "returned" → returned; cancelled or
failed is a cancelled order (shown, not part of the ratio). Everything else is still open.

The verdict comes from the largest history, not the sum: the sources overlap (this shop's orders
are in the network counts, and its Steadfast parcels in Steadfast's). With `finished` = delivered +
returned and the success ratio = delivered / finished, the risk is
- new: no finished parcel anywhere (a first-time buyer is not a bad one);
- low: 80 % or more delivered;
- medium: 50-79 %, or below 50 % with fewer than 3 finished parcels (one refusal is not a pattern);
- high: below 50 % over 3 or more finished parcels.
"""
import json
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from backend.couriers.models import Consignment, CourierAccount
from backend.couriers.service import courier_for
from backend.errors import ApiError
from backend.extensions import db
from backend.fraud.models import FraudCheck
from backend.integrations.couriers import COURIERS, CourierError
from backend.integrations.couriers.base import CANCELLED, DELIVERED, PARTIAL_DELIVERED, RETURNED
from backend.orders.models import Customer, Order
from backend.phones import InvalidPhone, normalise_phone
from backend.clock import utcnow

RISKS = ("new", "low", "medium", "high")
LOW_FROM_PERCENT = 80
MEDIUM_FROM_PERCENT = 50
HIGH_MIN_FINISHED = 3

DELIVERED_PARCELS = frozenset({DELIVERED, PARTIAL_DELIVERED})
RETURNED_PARCELS = frozenset({CANCELLED, RETURNED})
DELIVERED_WC = frozenset({"completed"})
RETURNED_WC = frozenset({"returned"})
CANCELLED_WC = frozenset({"cancelled", "failed"})


def read_phone(raw) -> str:
    """`+8801XXXXXXXXX`, or a 422 naming the field."""
    try:
        return normalise_phone(raw)
    except InvalidPhone as error:
        raise ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422,
                       details={"phone": [str(error)]}) from None


def success_percent(delivered: int, returned: int) -> int | None:
    """Whole percent delivered, rounded down (so "80 %" means at least 80); None without history."""
    finished = delivered + returned
    return delivered * 100 // finished if finished else None


def risk_of(delivered: int, returned: int) -> str:
    percent = success_percent(delivered, returned)
    if percent is None:
        return "new"
    if percent >= LOW_FROM_PERCENT:
        return "low"
    if percent >= MEDIUM_FROM_PERCENT or delivered + returned < HIGH_MIN_FINISHED:
        return "medium"
    return "high"


# --- the sources ------------------------------------------------------------------------------------

def order_outcomes(*where) -> dict:
    """Orders matching `where` (sales only), by outcome. One grouped query: the phone index finds
    the orders, the (site, order) index their latest consignment."""
    parcel = (select(Consignment.status)
              .where(Consignment.site_id == Order.site_id, Consignment.order_wc_id == Order.wc_id)
              .order_by(Consignment.id.desc()).limit(1).correlate(Order).scalar_subquery())
    orders = (select(Order.status.label("wc"), parcel.label("parcel"))
              .where(Order.deleted_at.is_(None), Order.excluded_from_sales.is_(False), *where).subquery())
    counts = {"orders": 0, "delivered": 0, "returned": 0, "cancelled": 0}
    for wc, parcel_status, n in db.session.execute(
            select(orders.c.wc, orders.c.parcel, func.count()).group_by(orders.c.wc, orders.c.parcel)):
        counts["orders"] += n
        if parcel_status in DELIVERED_PARCELS or (parcel_status is None and wc in DELIVERED_WC):
            counts["delivered"] += n
        elif parcel_status in RETURNED_PARCELS or (parcel_status is None and wc in RETURNED_WC):
            counts["returned"] += n
        elif parcel_status is None and wc in CANCELLED_WC:
            counts["cancelled"] += n
    return counts


def shop_history(site_id: int, phone: str) -> dict:
    counts = order_outcomes(Order.site_id == site_id, Order.phone == phone)
    return {**counts, "success_percent": success_percent(counts["delivered"], counts["returned"])}


def network_history(phone: str) -> dict:
    """Every Bikri shop's orders for the number, as two counts and nothing else."""
    counts = order_outcomes(Order.phone == phone)
    return {"delivered": counts["delivered"], "returned": counts["returned"],
            "success_percent": success_percent(counts["delivered"], counts["returned"])}


def lookup_accounts(site_id: int) -> list[CourierAccount]:
    """The shop's connected courier accounts whose courier offers the look-up."""
    accounts = db.session.execute(select(CourierAccount).where(CourierAccount.site_id == site_id)
                                  .order_by(CourierAccount.courier)).scalars()
    return [account for account in accounts if (cls := COURIERS.get(account.courier)) is not None
            and cls.enabled and cls.supports_fraud_check()]


def courier_histories(site_id: int, phone: str) -> list[dict]:
    """One entry per connected courier that offers the look-up: its numbers, or why it has none."""
    askers = [(COURIERS[account.courier], courier_for(account)) for account in lookup_accounts(site_id)]
    found = []
    for cls, courier in askers:
        entry = {"courier": cls.key, "name": cls.name}
        try:
            history = courier.fraud_check(phone)
        except CourierError as error:
            entry.update(ok=False, error=error.code, message=error.message, retryable=error.retryable)
        else:
            entry.update(ok=True, total=history.total, delivered=history.delivered, cancelled=history.cancelled,
                         success_percent=success_percent(history.delivered, history.cancelled))
        found.append(entry)
    return found


def _known_numbers(entry: dict) -> dict | None:
    """A courier entry's numbers: its answer, or what it said at an earlier check when it failed now."""
    return entry if entry["ok"] else entry.get("earlier")


def carry_forward(couriers: list[dict], previous) -> None:
    """A courier that cannot answer now (its daily allowance used up, or down) keeps, as `earlier`,
    the numbers it gave at this shop's previous check of the number: a re-check that reached no
    courier must not turn a known returner into a "new customer"."""
    if previous is None:
        return
    before = {c["courier"]: c for c in json.loads(previous.sources)["couriers"]}
    for entry in couriers:
        known = _known_numbers(before[entry["courier"]]) if entry["courier"] in before else None
        if not entry["ok"] and known:
            entry["earlier"] = {"delivered": known["delivered"], "cancelled": known["cancelled"],
                                "success_percent": known["success_percent"],
                                "checked_at": known.get("checked_at") or previous.checked_at.isoformat()}


def verdict(couriers: list[dict], network: dict) -> tuple[int, int]:
    """(delivered, returned) of the largest history: the couriers' together (each courier's own
    parcels, or its earlier numbers when it failed now), or Bikri's network (which holds this
    shop's orders too)."""
    answered = [n for n in map(_known_numbers, couriers) if n]
    candidates = [(sum(c["delivered"] for c in answered), sum(c["cancelled"] for c in answered)),
                  (network["delivered"], network["returned"])]
    return max(candidates, key=sum)


# --- the check -------------------------------------------------------------------------------------

def latest_check(site_id: int, phone: str) -> FraudCheck | None:
    return db.session.execute(select(FraudCheck).where(FraudCheck.site_id == site_id, FraudCheck.phone == phone)
                              .order_by(FraudCheck.checked_at.desc(), FraudCheck.id.desc()).limit(1)).scalar_one_or_none()


def reusable(check: FraudCheck | None) -> bool:
    """Young enough, and no courier was merely down then (a used-up allowance stays used up)."""
    if check is None:
        return False
    if check.checked_at < utcnow() - timedelta(hours=current_app.config["FRAUD_CHECK_CACHE_HOURS"]):
        return False
    return not any(c.get("retryable") for c in json.loads(check.sources)["couriers"])


def allow_forced(site_id: int, under_way: int = 0) -> None:
    """Refuse a forced re-check past the hourly limit; `under_way` counts those a worker is still
    asking the courier for (each will spend an allowance too)."""
    limit = current_app.config["FRAUD_FORCED_CHECKS_PER_HOUR"]
    since = utcnow() - timedelta(hours=1)
    used = db.session.execute(select(func.count()).where(
        FraudCheck.site_id == site_id, FraudCheck.checked_at >= since, FraudCheck.forced.is_(True))).scalar_one()
    if used + under_way >= limit:
        raise ApiError(_("This shop re-checked %(n)s numbers in the last hour, the most allowed: re-checks spend your "
                         "courier's daily allowance. The latest result is still shown; try again later.", n=limit),
                       code="rate_limited", status=429, headers={"Retry-After": "600"})


def check_phone(site, phone, *, user: str, force: bool = False) -> tuple[FraudCheck, bool]:
    """Check a phone: (the check, whether it is a recent one shown again). A fresh check is stored
    (the fraud history) and sets the customer's risk; `force` skips the recent one."""
    phone = read_phone(phone)
    if force:
        allow_forced(site.id)
    recent = latest_check(site.id, phone)
    if not force and reusable(recent):
        return recent, True
    couriers = courier_histories(site.id, phone)
    carry_forward(couriers, recent)
    network = network_history(phone)
    sources = {"couriers": couriers, "shop": shop_history(site.id, phone), "network": network}
    delivered, returned = verdict(couriers, network)
    check = FraudCheck(site_id=site.id, phone=phone, checked_by=(user or "")[:200], checked_at=utcnow(), forced=force,
                       sources=json.dumps(sources), delivered=delivered, returned=returned,
                       success_percent=success_percent(delivered, returned), risk=risk_of(delivered, returned))
    db.session.add(check)
    db.session.execute(update(Customer).where(Customer.site_id == site.id, Customer.phone == phone).values(
        fraud_risk=check.risk, fraud_success_percent=check.success_percent, fraud_checked_at=check.checked_at))
    db.session.flush()
    return check, False


def not_checked_message() -> str:
    return _("The check could not be finished just now. Try again in a minute.")


def check_view(check: FraudCheck, cached: bool = False) -> dict:
    sources = json.loads(check.sources)
    return {"id": check.id, "phone": check.phone, "checked_by": check.checked_by, "checked_at": check.checked_at,
            "forced": check.forced, "cached": cached, "risk": check.risk, "success_percent": check.success_percent,
            "delivered": check.delivered, "returned": check.returned, **sources}


def history_query(site_id: int, phone: str | None = None):
    query = select(FraudCheck).where(FraudCheck.site_id == site_id)
    if phone:
        query = query.where(FraudCheck.phone == phone)
    return query.order_by(FraudCheck.checked_at.desc(), FraudCheck.id.desc())


# --- the order desk ---------------------------------------------------------------------------------

def desk_badges(site_id: int, orders: list[dict]) -> dict[int, dict]:
    """Order id → {"phone", "risk", "success_percent", "checked_at"} for the orders of a desk page
    with a valid number, from the customers' stored risk (risk None: never checked). One query;
    nothing is asked of a courier while the list renders."""
    phones = {}
    for order in orders:
        try:
            phones[order["id"]] = normalise_phone(order.get("phone"))
        except InvalidPhone:
            continue
    if not phones:
        return {}
    stored = {row.phone: row for row in db.session.execute(
        select(Customer.phone, Customer.fraud_risk, Customer.fraud_success_percent, Customer.fraud_checked_at)
        .where(Customer.site_id == site_id, Customer.phone.in_(set(phones.values()))))}
    badges = {}
    for order_id, phone in phones.items():
        row = stored.get(phone)
        badges[order_id] = {"phone": phone, "risk": row.fraud_risk if row else None,
                            "success_percent": row.fraud_success_percent if row else None,
                            "checked_at": row.fraud_checked_at if row else None}
    return badges
