"""Order tasks (T3): orders assigned to the shop's staff (one or many at once, with an optional due
time), each customer's phone call recorded with its outcome, the setting that books only orders
confirmed by phone, and each person's figures for the dashboard.

Staff are the WordPress users the shop has seen open a Bikri page (`see_staff`, called by the
embed shell on every page opened): an order is assigned by WordPress user id, shown by name.
"""
from datetime import date, datetime, timedelta, timezone

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, distinct, func, select

from backend.couriers.models import Consignment
from backend.database import row_for_site, upsert_insert
from backend.desk.fields import invalid, orders_by_wc_id
from backend.desk.models import OrderAssignment, OrderTaskSettings, PhoneConfirmation, StaffMember
from backend.extensions import db
from backend.orders.models import Order
from backend.clock import DHAKA, dhaka_midnight_utc, utcnow

OUTCOMES = {
    "confirmed": _l("Confirmed"),
    "no_answer": _l("No answer"),
    "wrong_number": _l("Wrong number"),
    "cancelled": _l("Cancelled by the customer"),
}
# an assigned order is open (it counts in the assignee's badge) until it is booked or leaves these
OPEN_STATUSES = ("pending", "processing", "on-hold")
MAX_ORDERS = 500
MAX_NOTE = 500
SEEN_REFRESH = timedelta(hours=1)


def outcome_label(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome))


# --- staff ----------------------------------------------------------------------------------------

def see_staff(site_id: int, wp_user_id: int, display_name: str, role: str) -> None:
    """Remember (or refresh) a WordPress user who opened a Bikri page of this shop. Nothing is
    written when the row already says so and was refreshed within the hour (a page view stays a read)."""
    now = utcnow()
    name = (display_name or "").strip()[:100] or f"#{wp_user_id}"
    known = db.session.execute(select(StaffMember.display_name, StaffMember.role, StaffMember.last_seen_at).where(
        StaffMember.site_id == site_id, StaffMember.wp_user_id == wp_user_id)).first()
    if known is not None and (known.display_name, known.role) == (name, role) and known.last_seen_at > now - SEEN_REFRESH:
        return
    statement = upsert_insert(StaffMember).values(site_id=site_id, wp_user_id=wp_user_id, display_name=name,
                                                  role=role, first_seen_at=now, last_seen_at=now)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["site_id", "wp_user_id"],
        set_={"display_name": name, "role": role, "last_seen_at": now}))


def list_staff(site_id: int) -> list[StaffMember]:
    return list(db.session.execute(select(StaffMember).where(StaffMember.site_id == site_id)
                                   .order_by(StaffMember.display_name, StaffMember.wp_user_id)).scalars())


def staff_names(site_id: int) -> dict[int, str]:
    return {s.wp_user_id: s.display_name for s in list_staff(site_id)}


# --- checking what a form or the API sends -------------------------------------------------------

def checked_ids(wc_ids) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(i) for i in wc_ids))
    except (TypeError, ValueError):
        raise invalid({"orders": _("Order ids are whole numbers.")}) from None
    if not ids:
        raise invalid({"orders": _("Choose at least one order.")})
    if len(ids) > MAX_ORDERS:
        raise invalid({"orders": _("At most %(n)d orders at once.", n=MAX_ORDERS)})
    return ids


def parse_due(value) -> datetime | None:
    """A due time from the desk's field (Dhaka time, "2026-03-01T15:30") or the API (ISO 8601 with
    Z or an offset); naive UTC, or None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise invalid({"due_at": _("A due time looks like 2026-03-01 15:30.")}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=DHAKA)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _checked_assignee(site_id: int, assignee) -> int | None:
    if assignee in (None, ""):
        return None
    try:
        assignee = int(assignee)
    except (TypeError, ValueError):
        raise invalid({"assignee": _("Choose a person from the list.")}) from None
    known = db.session.execute(select(StaffMember.id).where(
        StaffMember.site_id == site_id, StaffMember.wp_user_id == assignee)).first()
    if known is None:
        raise invalid({"assignee": _("Choose a person from the list: only people who have opened Bikri in this shop.")})
    return assignee


def _missing(wc_id: int) -> dict:
    return {"wc_id": wc_id, "number": None, "ok": False,
            "error": _("Order #%(order)s is not in Bikri.", order=wc_id)}


def _found(ids: list[int], orders: dict, results: list[dict]):
    """The orders asked for that Bikri has, as (wc_id, order), in the order given; one it lacks
    gets its "not in Bikri" result in `results` where it stands, so results keep the same order."""
    for wc_id in ids:
        order = orders.get(wc_id)
        if order is None:
            results.append(_missing(wc_id))
        else:
            yield wc_id, order


# --- assigning -----------------------------------------------------------------------------------

def assign_orders(site_id: int, wc_ids, assignee, due_at=None, by: str = "") -> list[dict]:
    """Assign these orders to `assignee` (a WordPress user id the shop has seen), reassigning
    those assigned to someone else; `assignee` None unassigns. One result per order, in the
    order given: {wc_id, number, ok, assignee, previous, error?}."""
    ids = checked_ids(wc_ids)
    assignee = _checked_assignee(site_id, assignee)
    due = parse_due(due_at) if assignee is not None else None
    orders = orders_by_wc_id(site_id, ids)
    current = {a.order_id: a for a in db.session.execute(select(OrderAssignment).where(
        OrderAssignment.site_id == site_id, OrderAssignment.order_id.in_([o.id for o in orders.values()]))).scalars()}
    now, results = utcnow(), []
    for wc_id, order in _found(ids, orders, results):
        before = current.get(order.id)
        previous = before.assignee_wp_user_id if before is not None else None
        if assignee is None:
            if before is not None:
                db.session.delete(before)
        else:
            statement = upsert_insert(OrderAssignment).values(
                order_id=order.id, site_id=site_id, assignee_wp_user_id=assignee, due_at=due,
                assigned_by=by[:120], assigned_at=now)
            db.session.execute(statement.on_conflict_do_update(
                index_elements=["order_id"],
                set_={"assignee_wp_user_id": assignee, "due_at": due, "assigned_by": by[:120], "assigned_at": now}))
        results.append({"wc_id": wc_id, "number": order.number, "ok": True, "assignee": assignee, "previous": previous})
    db.session.flush()
    return results


def my_open_count(site_id: int, wp_user_id: int) -> int:
    """The assignee's badge: orders assigned to them that still need work (not booked, still open)."""
    return db.session.execute(
        select(func.count()).select_from(OrderAssignment).join(Order, Order.id == OrderAssignment.order_id)
        .where(OrderAssignment.site_id == site_id, OrderAssignment.assignee_wp_user_id == wp_user_id,
               Order.deleted_at.is_(None), Order.status.in_(OPEN_STATUSES), Order.courier.is_(None))).scalar_one()


def assigned_to(site_id: int, wp_user_id: int):
    """The orders' ids assigned to this person (for the desk's "My orders" filter)."""
    return select(OrderAssignment.order_id).where(OrderAssignment.site_id == site_id,
                                                  OrderAssignment.assignee_wp_user_id == wp_user_id)


# --- confirming by phone -------------------------------------------------------------------------

def confirm_orders(site_id: int, wc_ids, outcome, note=None, *, by_wp_user_id: int | None, by_name: str) -> list[dict]:
    """Record a call to each order's customer and its outcome. One result per order:
    {wc_id, number, ok, outcome, status, error?} (`status`: the order's WooCommerce status)."""
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = _("Choose what the customer said: confirmed, no answer, wrong number or cancelled.")
    note = " ".join(str(note or "").split())
    if len(note) > MAX_NOTE:
        errors["note"] = _("At most %(n)d characters.", n=MAX_NOTE)
    if errors:
        raise invalid(errors)
    ids = checked_ids(wc_ids)
    orders = orders_by_wc_id(site_id, ids)
    now, results = utcnow(), []
    for wc_id, order in _found(ids, orders, results):
        db.session.add(PhoneConfirmation(site_id=site_id, order_id=order.id, outcome=outcome, note=note,
                                         by_wp_user_id=by_wp_user_id, by_name=(by_name or "")[:120], created_at=now))
        results.append({"wc_id": wc_id, "number": order.number, "ok": True, "outcome": outcome, "status": order.status})
    db.session.flush()
    return results


def latest_calls(site_id: int, order_ids: list[int]) -> dict[int, PhoneConfirmation]:
    """order id → its latest recorded call."""
    if not order_ids:
        return {}
    newest = (select(func.max(PhoneConfirmation.id)).where(
        PhoneConfirmation.site_id == site_id, PhoneConfirmation.order_id.in_(order_ids))
        .group_by(PhoneConfirmation.order_id))
    return {c.order_id: c for c in db.session.execute(
        select(PhoneConfirmation).where(PhoneConfirmation.id.in_(newest))).scalars()}


def tasks_of_orders(site_id: int, order_ids: list[int]) -> dict[int, dict]:
    """order id → what the desk's row shows of its task: assignee, due time, overdue, the last call."""
    if not order_ids:
        return {}
    names = None
    found: dict[int, dict] = {}
    now = utcnow()
    for a in db.session.execute(select(OrderAssignment).where(
            OrderAssignment.site_id == site_id, OrderAssignment.order_id.in_(order_ids))).scalars():
        names = staff_names(site_id) if names is None else names
        found[a.order_id] = {"assignee": a.assignee_wp_user_id,
                             "assignee_name": names.get(a.assignee_wp_user_id, f"#{a.assignee_wp_user_id}"),
                             "due_at": a.due_at, "overdue": a.due_at is not None and a.due_at < now, "call": None}
    for order_id, call in latest_calls(site_id, order_ids).items():
        task = found.setdefault(order_id, {"assignee": None, "assignee_name": None, "due_at": None,
                                           "overdue": False, "call": None})
        task["call"] = {"outcome": call.outcome, "note": call.note, "by": call.by_name, "at": call.created_at}
    return found


def task_settings(site_id: int) -> OrderTaskSettings:
    return row_for_site(OrderTaskSettings, site_id)


def save_task_settings(site_id: int, require_phone_confirmation: bool, by: str) -> OrderTaskSettings:
    row = task_settings(site_id)
    row.require_phone_confirmation = bool(require_phone_confirmation)
    row.updated_by, row.updated_at = by[:120], utcnow()
    db.session.flush()
    return row


def unconfirmed_reasons(site_id: int, orders: list[Order]) -> dict[int, str]:
    """With "require phone confirmation before booking": wc_id → why each order whose customer
    has not confirmed it by phone may not be booked (the booking reports it not_attempted)."""
    settings = db.session.get(OrderTaskSettings, site_id)
    if settings is None or not settings.require_phone_confirmation or not orders:
        return {}
    calls = latest_calls(site_id, [o.id for o in orders])
    reasons = {}
    for order in orders:
        call = calls.get(order.id)
        label = f"#{order.number or order.wc_id}"
        if call is None:
            reasons[order.wc_id] = _(
                "Order %(order)s is not confirmed by phone yet: this shop books only orders the customer confirmed. "
                "Call the customer and record the outcome first.", order=label)
        elif call.outcome != "confirmed":
            reasons[order.wc_id] = _(
                "Order %(order)s is not confirmed by phone (last call: %(outcome)s): this shop books only orders "
                "the customer confirmed.", order=label, outcome=outcome_label(call.outcome))
    return reasons


# --- the dashboard: each person's figures ---------------------------------------------------------

def team_figures(site_id: int, start: date, end: date) -> dict:
    """Per person, for Dhaka days start..end: orders they confirmed by phone (calls with the
    outcome confirmed), and of the orders assigned to them, those booked with a courier and those
    delivered in the period."""
    since, until = dhaka_midnight_utc(start), dhaka_midnight_utc(end + timedelta(days=1))
    confirmed = dict(db.session.execute(
        select(PhoneConfirmation.by_wp_user_id, func.count(distinct(PhoneConfirmation.order_id)))
        .where(PhoneConfirmation.site_id == site_id, PhoneConfirmation.outcome == "confirmed",
               PhoneConfirmation.by_wp_user_id.is_not(None),
               PhoneConfirmation.created_at >= since, PhoneConfirmation.created_at < until)
        .group_by(PhoneConfirmation.by_wp_user_id)).all())
    booked = dict(db.session.execute(
        select(OrderAssignment.assignee_wp_user_id, func.count(distinct(Order.id)))
        .join(Order, Order.id == OrderAssignment.order_id)
        .join(Consignment, and_(Consignment.site_id == Order.site_id, Consignment.order_wc_id == Order.wc_id))
        .where(OrderAssignment.site_id == site_id, Consignment.booked_at >= since, Consignment.booked_at < until)
        .group_by(OrderAssignment.assignee_wp_user_id)).all())
    delivered = dict(db.session.execute(
        select(OrderAssignment.assignee_wp_user_id, func.count())
        .join(Order, Order.id == OrderAssignment.order_id)
        .where(OrderAssignment.site_id == site_id, Order.delivered_gmt >= since, Order.delivered_gmt < until)
        .group_by(OrderAssignment.assignee_wp_user_id)).all())
    names = staff_names(site_id)
    people = sorted(set(confirmed) | set(booked) | set(delivered))
    rows = [{"wp_user_id": person, "name": names.get(person, f"#{person}"), "confirmed": int(confirmed.get(person, 0)),
             "booked": int(booked.get(person, 0)), "delivered": int(delivered.get(person, 0))} for person in people]
    rows.sort(key=lambda r: (-r["confirmed"] - r["booked"] - r["delivered"], r["name"]))
    return {"people": rows}
