"""Loyalty points (U2): the rules.

- Earning: an order earns once, when it is delivered (its latest parcel delivered, or with no
  parcel its WooCommerce status completed): `points_per_100` per full 100 taka of what the
  customer paid for goods (total less shipping less refunds), at the rate of that moment.
- Reversal: a return, a cancellation, a deletion or a full refund takes back what that order
  earned (a partial refund its share), never more. The balance never goes below zero: when the
  customer already spent those points, the reversal takes what is left and records the rest as
  `uncollected`, a debt the next points the customer gets pay first (a later delivery, a
  checkout hold given back: so a returned order's points cannot come back through a cancelled
  checkout). If the customer never gets points again, the shop has absorbed it, as it would a
  coupon already used.
- Idempotency: each order's entries are computed from what it stands at in the ledger against
  what it is owed now (`_delta`), under the account's lock, so the same signal twice, or a
  parcel and an order change for one delivery, move points once. Delivered again after a
  return, an order gives back only what the customer no longer holds from it.
- Redemption: the checkout takes a hold (points debited at once, so two checkouts cannot spend
  them twice); the plugin ties it to the order it creates; the order's `order_stored` makes it a
  redemption; a cancelled order gives the points back, and so does a hold unused when it expires.
"""
import math
import secrets
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from backend.activity import service as activity
from backend.checkout.codes import read_proof
from backend.couriers.models import Consignment
from backend.customers.stats import outcome_of
from backend.database import in_list, row_for_site
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.licensing.models import Site
from backend.loyalty.ledger import Account, balance_of
from backend.loyalty.models import (
    CANCELLED, EARN, HELD, ORDER_KINDS, REDEEM, REDEEMED, RELEASE, RELEASED, RESTORE, REVERSE, LoyaltyEntry, LoyaltyHold,
    LoyaltySettings,
)
from backend.orders.models import Order
from backend.phones import InvalidPhone, normalise_phone
from backend.sms.sending import send_sms
from backend.tasks import RetryLater, enqueue
from backend.clock import utcnow

# the shopper has this long from taking a hold to placing the order
HOLD_MINUTES = 30
# a hold tied to an order waits this long for the order to reach the read model (the push is
# seconds; a lost push is found by the 5-minute reconciliation)
ATTACHED_HOLD_HOURS = 24
SMS_SWEEP_AFTER = timedelta(minutes=2)  # an earn SMS queued at the commit is sent by then
ORDER_GONE = frozenset({"cancelled", "failed", "trash", "refunded"})  # a redemption on such an order is given back
SMS_FIELDS = ("{points}", "{balance}", "{value}", "{shop}")
MAX_SMS_TEXT = 480


# --- settings --------------------------------------------------------------------------------

def settings_of(site_id: int) -> LoyaltySettings:
    return row_for_site(LoyaltySettings, site_id)


def settings_json(settings: LoyaltySettings) -> dict:
    return {"enabled": bool(settings.enabled), "points_per_100": settings.points_per_100,
            "point_value": settings.point_value.quantize(Decimal("0.01")), "min_redeem": settings.min_redeem,
            "expiry_days": settings.expiry_days, "earn_sms": bool(settings.earn_sms),
            "earn_sms_text": settings.earn_sms_text}


def _whole(values: dict, name: str, low: int, high: int, errors: dict) -> int | None:
    try:
        number = int(str(values.get(name, "")).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors[name] = [_("A whole number from %(low)s to %(high)s.", low=low, high=high)]
    return number


def save_settings(site_id: int, values: dict, updated_by: str | None = None) -> LoyaltySettings:
    """Check every field, then save; ApiError(422) names each wrong field and saves nothing."""
    errors = {}
    per_100 = _whole(values, "points_per_100", 0, 10_000, errors)
    min_redeem = _whole(values, "min_redeem", 1, 1_000_000, errors)
    expiry = _whole(values, "expiry_days", 0, 3650, errors)
    try:
        value = Decimal(str(values.get("point_value", "")).strip())
        if not (Decimal("0.01") <= value <= Decimal("1000")) or value != value.quantize(Decimal("0.01")):
            raise ArithmeticError
    except ArithmeticError:
        errors["point_value"] = [_("Taka from 0.01 to 1000, at most two decimals.")]
    text = str(values.get("earn_sms_text") or "").strip()
    earn_sms = bool(values.get("earn_sms"))
    if len(text) > MAX_SMS_TEXT:
        errors["earn_sms_text"] = [_("At most %(n)s characters.", n=MAX_SMS_TEXT)]
    elif earn_sms and not text:
        errors["earn_sms_text"] = [_("Write the message, or turn the SMS off.")]
    if errors:
        raise ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422, details=errors)
    settings = settings_of(site_id)
    before = settings_json(settings)
    settings.enabled, settings.points_per_100, settings.point_value = bool(values.get("enabled")), per_100, value
    settings.min_redeem, settings.expiry_days, settings.earn_sms = min_redeem, expiry, earn_sms
    settings.earn_sms_text, settings.updated_by = text or settings.earn_sms_text, updated_by
    db.session.flush()
    after = settings_json(settings)
    changed = [name for name in after if before[name] != after[name]]
    if changed:  # the activity log (T2): who changed what the shop gives away
        activity.record(site_id, "settings", LoyaltySettings.__tablename__, {n: before[n] for n in changed},
                        {n: after[n] for n in changed})
    return settings


def plugin_config(site_id: int) -> dict:
    settings = _settings_if_any(site_id)
    if settings is None or not settings.enabled:
        return {"enabled": False}
    return {"enabled": True, "point_value": str(settings.point_value.quantize(Decimal("0.01"))),
            "min_redeem": settings.min_redeem}


def _settings_if_any(site_id: int) -> LoyaltySettings | None:
    return db.session.get(LoyaltySettings, site_id)


# --- earning and reversing -------------------------------------------------------------------

def goods_amount(order) -> Decimal:
    """What the customer paid for goods: total less shipping less refunds (never below zero)."""
    return max(Decimal("0"), (order.total or 0) - (order.shipping_total or 0) - (order.refunded_total or 0))


def points_for(amount: Decimal, per_100: int) -> int:
    return int((amount / 100).to_integral_value(rounding=ROUND_DOWN)) * per_100


def _latest_parcels(site_id: int, wc_ids) -> dict[int, str]:
    latest = (select(Consignment.order_wc_id, func.max(Consignment.id).label("id"))
              .where(Consignment.site_id == site_id, in_list(Consignment.order_wc_id, wc_ids))
              .group_by(Consignment.order_wc_id).subquery())
    return dict(db.session.execute(select(Consignment.order_wc_id, Consignment.status)
                                   .join(latest, Consignment.id == latest.c.id)).all())


def settle_orders(site_id: int, wc_ids) -> int:
    """Bring each order's points in line with its state now (see the module's rules). Runs in
    the writer's transaction (listeners): no commit, nothing remote. Returns the points moved."""
    wc_ids = sorted(set(wc_ids))
    settings = _settings_if_any(site_id)
    if not wc_ids or settings is None:
        # no settings row: the programme was never set up, so no order ever earned (an earn
        # needs it on, and the row is never deleted): nothing to settle, nor to read
        return 0
    # orders that never earned and cannot earn now (programme off) cost one query
    positions = _positions(site_id, wc_ids)
    if (settings is None or not settings.enabled) and not positions:
        return 0
    orders = {o.wc_id: o for o in db.session.execute(
        select(Order.wc_id, Order.status, Order.phone, Order.total, Order.shipping_total, Order.refunded_total,
               Order.deleted_at, Order.excluded_from_sales)
        .where(Order.site_id == site_id, in_list(Order.wc_id, wc_ids)))}
    parcels = _latest_parcels(site_id, wc_ids)
    moved = 0
    for wc_id in wc_ids:
        order = orders.get(wc_id)
        if order is None:
            continue
        phone = positions[wc_id][0].phone if wc_id in positions else order.phone
        if not phone:
            continue
        moved += _settle(site_id, phone, order, parcels.get(wc_id), settings, positions.get(wc_id, []))
    return moved


def _positions(site_id: int, wc_ids) -> dict[int, list[LoyaltyEntry]]:
    found = {}
    for entry in db.session.execute(select(LoyaltyEntry).where(
            LoyaltyEntry.site_id == site_id, in_list(LoyaltyEntry.order_wc_id, wc_ids),
            LoyaltyEntry.kind.in_(ORDER_KINDS)).order_by(LoyaltyEntry.id)).scalars():
        found.setdefault(entry.order_wc_id, []).append(entry)
    return found


def _owed(order, parcel_status: str | None, earned: LoyaltyEntry | None) -> int | None:
    """Points the order is owed now given the first earn (None: leave it as it is)."""
    gone = order.deleted_at is not None or order.excluded_from_sales or order.status == "refunded"
    outcome = outcome_of(order.status, parcel_status)
    if gone or outcome in ("returned", "cancelled"):
        return 0
    if outcome != "delivered" or earned is None:
        return None
    if not earned.order_amount:
        return earned.points
    share = earned.points * goods_amount(order) / earned.order_amount
    return max(0, min(earned.points, math.floor(share)))


def _delta(owed: int, entries: list[LoyaltyEntry]) -> int:
    """Points the order must move to stand at `owed`: what the customer holds from it
    (earned, restored, less taken back) less what a reversal could not take back."""
    return owed - sum(e.points - e.uncollected for e in entries)


def _can_earn(order, parcel_status, settings) -> bool:
    return (settings is not None and settings.enabled and order.deleted_at is None and not order.excluded_from_sales
            and outcome_of(order.status, parcel_status) == "delivered")


def _settle(site_id: int, phone: str, order, parcel_status, settings, seen: list[LoyaltyEntry]) -> int:
    # most stored orders move no points: decided from what was read, before any lock is taken
    seen_earn = next((e for e in seen if e.kind == EARN), None)
    if seen_earn is None and not _can_earn(order, parcel_status, settings):
        return 0
    if seen_earn is not None:
        owed = _owed(order, parcel_status, seen_earn)
        if owed is None or _delta(owed, seen) == 0:
            return 0
    account = Account.lock(site_id, phone)
    # read again under the lock: a concurrent settle of the same order has committed by now
    entries = _positions(site_id, [order.wc_id]).get(order.wc_id, [])
    earned = next((e for e in entries if e.kind == EARN), None)
    if earned is None:
        if not _can_earn(order, parcel_status, settings):
            return 0
        amount = goods_amount(order)
        points = points_for(amount, settings.points_per_100)
        if points <= 0:
            return 0
        expires = utcnow() + timedelta(days=settings.expiry_days) if settings.expiry_days else None
        entry = account.post(points, EARN, f"order:{order.wc_id}:0", order_wc_id=order.wc_id, order_amount=amount,
                             expires_at=expires, sms_due=bool(settings.earn_sms))
        if settings.earn_sms:
            _queue_earn_sms(site_id, entry.id)
        _collect_debts(account)
        return points
    owed = _owed(order, parcel_status, earned)
    if owed is None:
        return 0
    delta = _delta(owed, entries)
    if delta > 0:
        # delivered again: first what the return could not take back is forgiven (the order
        # stands again), then the points it took are given again
        debt = sum(e.uncollected for e in entries)
        forgiven = min(delta, debt)
        if forgiven:
            account.post(0, RESTORE, f"order:{order.wc_id}:{len(entries)}", order_wc_id=order.wc_id,
                         uncollected=-forgiven)
        if delta > forgiven:
            account.post(delta - forgiven, RESTORE, f"order:{order.wc_id}:{len(entries) + bool(forgiven)}",
                         order_wc_id=order.wc_id, expires_at=earned.expires_at)
            _collect_debts(account)
        return delta - forgiven
    if delta < 0:
        taken = min(-delta, account.balance)
        account.post(-taken, REVERSE, f"order:{order.wc_id}:{len(entries)}", order_wc_id=order.wc_id,
                     uncollected=-delta - taken)
        return taken
    return 0


def _collect_debts(account: Account) -> int:
    """Points a return could not take back (the customer had spent them) come out of the next
    points the customer gets: a delivery, a hold given back. Oldest debt first."""
    debts = db.session.execute(
        select(LoyaltyEntry.order_wc_id, func.sum(LoyaltyEntry.uncollected), func.count(LoyaltyEntry.id))
        .where(LoyaltyEntry.site_id == account.site_id, LoyaltyEntry.phone == account.phone,
               LoyaltyEntry.kind.in_(ORDER_KINDS))
        .group_by(LoyaltyEntry.order_wc_id).having(func.sum(LoyaltyEntry.uncollected) > 0)
        .order_by(func.min(LoyaltyEntry.id))).all()
    collected = 0
    for wc_id, debt, count in debts:
        take = min(int(debt), account.balance)
        if take <= 0:
            break
        account.post(-take, REVERSE, f"order:{wc_id}:{count}", order_wc_id=wc_id, uncollected=-take)
        collected += take
    return collected


def _inline_broker() -> bool:
    return current_app.config["BROKER_URL"].startswith("inline")


def _queue_earn_sms(site_id: int, entry_id: int) -> None:
    # after the writer's commit (enqueue's outbox). In the unit tests' inline mode enqueue would
    # commit inside the writer's transaction; there the sweeper (`queue_due_sms`) sends it.
    if not _inline_broker():
        enqueue("loyalty.earned_sms", site_id=site_id, entry_id=entry_id)


def earn_sms_text(settings: LoyaltySettings, site: Site, points: int, balance: int) -> str:
    values = {"{points}": str(points), "{balance}": str(balance), "{shop}": site.name or site.url,
              "{value}": f"{(settings.point_value * balance).normalize():f}"}
    text = settings.earn_sms_text
    for field, value in values.items():
        text = text.replace(field, value)
    return text


# --- holds (redeeming at checkout) -------------------------------------------------------------

class LoyaltyRefused(ApiError):
    status = 409


def normal_phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhone as error:
        raise ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422,
                       details={"phone": [str(error)]}) from None


def check_phone_proven(site: Site, phone: str, *, proof: str | None, proof_version: int, account: bool) -> None:
    """The plugin vouches for a logged-in customer's own phone (`account`); a guest proves the
    phone with the checkout code's proof, and only a code actually verified counts (a trusted
    customer's or an empty wallet's proof was given without a code)."""
    if account:
        return
    payload = read_proof(site, proof or "", proof_version) if proof else None
    if payload is None or payload.get("p") != phone or payload.get("m") != "verified":
        raise ApiError(_("Confirm the phone number with the checkout code first."), code="phone_not_proven", status=403)


def proven_phone(site: Site, data: dict) -> str:
    phone = normal_phone(data["phone"])
    check_phone_proven(site, phone, proof=data.get("proof"), proof_version=data.get("proof_version", 2),
                       account=data.get("account", False))
    return phone


def balance_answer(site: Site, phone: str) -> dict:
    settings = settings_of(site.id)
    points = balance_of(site.id, phone)
    return {"enabled": bool(settings.enabled), "phone": phone, "points": points,
            "value": (settings.point_value * points).quantize(Decimal("0.01")), "point_value": settings.point_value,
            "min_redeem": settings.min_redeem, "can_redeem": bool(settings.enabled) and points >= settings.min_redeem}


def take_hold(site: Site, *, phone: str, points: int, idempotency_key: str | None,
              max_value: Decimal | None = None) -> LoyaltyHold:
    """Debit `points` from the (proven, normalised) phone's account for a checkout."""
    settings = settings_of(site.id)
    if not settings.enabled:
        raise LoyaltyRefused(_("This shop's loyalty points are turned off."), code="loyalty_off")
    if points < settings.min_redeem:
        raise ApiError(_("At least %(n)s points are needed to redeem.", n=settings.min_redeem),
                       code="below_minimum", status=422, details={"points": [str(settings.min_redeem)]})
    value = (settings.point_value * points).quantize(Decimal("0.01"))
    if max_value is not None and value > max_value:
        raise ApiError(_("The points are worth more than the order."), code="more_than_order", status=422,
                       details={"points": [str(int(max_value / settings.point_value))]})
    account = Account.lock(site.id, phone)
    # looked up under the lock: the same key sent twice at once finds the first one's hold
    earlier = db.session.execute(select(LoyaltyHold).where(
        LoyaltyHold.site_id == site.id, LoyaltyHold.idempotency_key == idempotency_key)).scalar_one_or_none() \
        if idempotency_key else None
    if earlier is not None:
        if earlier.phone != phone or earlier.points != points:
            raise LoyaltyRefused(_("This Idempotency-Key was used for another hold."), code="idempotency_key_reused")
        return earlier
    _debit_for_hold(account, points)
    now = utcnow()
    hold = LoyaltyHold(site_id=site.id, phone=phone, token=secrets.token_urlsafe(18), points=points, value=value,
                       status=HELD, idempotency_key=idempotency_key, created_at=now,
                       expires_at=now + timedelta(minutes=HOLD_MINUTES))
    db.session.add(hold)
    db.session.flush()
    account.post(-points, REDEEM, f"hold:{hold.id}", hold_id=hold.id)
    return hold


def _debit_for_hold(account: Account, points: int) -> None:
    if account.balance < points:
        raise LoyaltyRefused(_("Not enough points: %(n)s available.", n=account.balance), code="insufficient_points",
                             details={"points": account.balance})


def hold_of(site_id: int, token: str) -> LoyaltyHold:
    hold = db.session.execute(select(LoyaltyHold).where(LoyaltyHold.site_id == site_id, LoyaltyHold.token == token)
                              ).scalar_one_or_none()
    if hold is None:
        raise NotFound(_("No such hold."), code="hold_not_found")
    return hold


def _give_back(hold: LoyaltyHold, status: str, ending=(HELD, REDEEMED)) -> bool:
    """The hold's points back to the customer, once: False when it was no longer in `ending`."""
    account = Account.lock(hold.site_id, hold.phone)
    db.session.refresh(hold)  # read under the lock: a release running at the same time has committed by now
    if hold.status not in ending:
        return False
    account.post(hold.points, RELEASE, f"hold:{hold.id}:release:{account.entry_count()}", hold_id=hold.id)
    hold.status, hold.finished_at = status, utcnow()
    _collect_debts(account)
    return True


def attach_hold(site: Site, token: str, order_wc_id: int) -> LoyaltyHold:
    """The plugin created the order the points pay for: the hold waits for it (and becomes a
    redemption at once if the order is stored already)."""
    hold = hold_of(site.id, token)
    if hold.order_wc_id not in (None, order_wc_id):
        raise LoyaltyRefused(_("These points were used for another order."), code="hold_used")
    if hold.status == RELEASED and hold.order_wc_id is None:
        # it ran out before the plugin's job told us the order (WP-cron can be late): the order
        # got the discount, so the points are taken again while the customer still has them
        account = Account.lock(site.id, hold.phone)
        db.session.refresh(hold)
        if hold.status == RELEASED:
            try:
                _debit_for_hold(account, hold.points)
            except LoyaltyRefused:
                raise LoyaltyRefused(_("This hold has ended; ask for the points again."), code="hold_ended") from None
            account.post(-hold.points, REDEEM, f"hold:{hold.id}:again:{account.entry_count()}", hold_id=hold.id)
            hold.status, hold.finished_at = HELD, None
    if hold.order_wc_id is None:
        hold.order_wc_id = order_wc_id
        hold.expires_at = utcnow() + timedelta(hours=ATTACHED_HOLD_HOURS)
        db.session.flush()
        follow_orders(site.id, [order_wc_id])
    return hold


def release_hold(site: Site, token: str) -> LoyaltyHold:
    """The shopper took the points off before ordering."""
    hold = hold_of(site.id, token)
    if hold.order_wc_id is not None:
        raise LoyaltyRefused(_("These points were used for an order."), code="hold_used")
    _give_back(hold, RELEASED, ending=(HELD,))
    return hold


def follow_orders(site_id: int, wc_ids) -> int:
    """Holds tied to these orders: stored → redeemed; cancelled, failed, refunded or deleted →
    the points go back. In the writer's transaction (listeners)."""
    wc_ids = list(set(wc_ids))
    holds = list(db.session.execute(select(LoyaltyHold).where(
        LoyaltyHold.site_id == site_id, in_list(LoyaltyHold.order_wc_id, wc_ids),
        LoyaltyHold.status.in_((HELD, REDEEMED)))).scalars()) if wc_ids else []
    if not holds:
        return 0
    orders = dict(db.session.execute(select(Order.wc_id, Order.status).where(
        Order.site_id == site_id, in_list(Order.wc_id, [h.order_wc_id for h in holds]), Order.deleted_at.is_(None))).all())
    changed = 0
    for hold in holds:
        status = orders.get(hold.order_wc_id)
        if status is None and hold.status == HELD:
            continue  # not stored yet (or only its tombstone): wait
        if status is None or status in ORDER_GONE:
            if not _give_back(hold, CANCELLED):
                continue
        elif hold.status == HELD:
            hold.status, hold.finished_at = REDEEMED, utcnow()
        else:
            continue
        changed += 1
    db.session.flush()
    return changed


def release_expired_holds(now=None) -> int:
    """The job: holds never used for an order before they ran out give their points back."""
    now = now or utcnow()
    holds = list(db.session.execute(select(LoyaltyHold).where(LoyaltyHold.status == HELD,
                                                              LoyaltyHold.expires_at <= now)).scalars())
    return sum(_give_back(hold, RELEASED, ending=(HELD,)) for hold in holds)


# --- what pages and the API show -------------------------------------------------------------

def hold_json(hold: LoyaltyHold) -> dict:
    return {"hold": hold.token, "phone": hold.phone, "points": hold.points, "value": hold.value,
            "status": hold.status, "order_id": hold.order_wc_id, "expires_at": hold.expires_at}


def queue_due_sms(now=None, older_than=SMS_SWEEP_AFTER) -> int:
    """The sweeper: earn SMS whose hand-over to the broker was lost (and, in the unit tests'
    inline mode, every one) go to the workers again; the task sends each at most once."""
    due = [(site_id, entry_id) for site_id, entry_id in db.session.execute(
        select(LoyaltyEntry.site_id, LoyaltyEntry.id).where(LoyaltyEntry.sms_due.is_(True),
                                                            LoyaltyEntry.created_at <= (now or utcnow()) - older_than)
        .order_by(LoyaltyEntry.id).limit(500))]
    for site_id, entry_id in due:
        enqueue("loyalty.earned_sms", site_id=site_id, entry_id=entry_id)
    return len(due)


def _sms_done(entry_id: int) -> None:
    db.session.execute(update(LoyaltyEntry).where(LoyaltyEntry.id == entry_id).values(sms_due=False))


def send_earn_sms(site_id: int, entry_id: int) -> str:
    """The worker's task: the "you earned" SMS for one earn entry, through the SMS wallet (debited
    like any SMS; the Idempotency-Key keeps a redelivered task from sending twice)."""
    entry = db.session.get(LoyaltyEntry, entry_id)
    if entry is None or entry.site_id != site_id or not entry.sms_due:
        return "done"
    settings, site = settings_of(site_id), db.session.get(Site, site_id)
    _sms_done(entry_id)
    if not settings.earn_sms or site is None:
        return "off"
    text = earn_sms_text(settings, site, entry.points, balance_of(site_id, entry.phone))
    try:
        send_sms(site, phone=entry.phone, content=text, purpose="loyalty", idempotency_key=f"loyalty-earn-{entry_id}")
    except ApiError as refused:
        if refused.code in ("rate_limited", "queue_unavailable"):
            raise RetryLater((refused.details or {}).get("retry_after", 30), str(refused)) from None
        _sms_done(entry_id)  # the refusal rolled the session back: an empty wallet is not retried
        return refused.code
    return "sent"
