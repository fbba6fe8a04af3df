"""The rules of couriers: connecting a shop's account (checked with the courier before anything
is saved), the shop's courier settings, recording consignments, and applying what couriers say
about them — once, in order, and never moving a settled parcel back.

Operations flush and let the request or job commit, except where polling commits in batches
(polling.py) so that progress survives a crash.
"""
import json
import re
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.activity import service as activity
from backend.couriers.models import Consignment, ConsignmentStatusChange, CourierAccount, CourierSettings
from backend.couriers.signals import PARCEL_FIELDS, parcel_changed
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.integrations.couriers import (
    COURIERS, FINAL_STATUSES, STATUSES, Courier, CourierAuthFailed, CourierError, TrackedStatus, enabled_couriers,
    get_courier,
)
from backend.integrations.couriers.base import DELIVERED, DELIVERY_TYPES, IN_REVIEW
from backend.licensing.models import Site
from backend.security import decrypt_secret, encrypt_secret, mask_secret
from backend.tasks.service import record_unanswered
from backend.clock import utcnow

COD_ROUNDING = (0, 1, 5, 10)
POLL_MINUTES_RANGE = (15, 1440)
WC_STATUS = re.compile(r"^[a-z0-9_-]{1,40}$")
DEFAULT_POLL_MINUTES = 60


def validation_error(details: dict, message: str | None = None) -> ApiError:
    return ApiError(message or _("Some fields are missing or invalid."), code="validation_error", status=422, details=details)


# --- couriers on offer -----------------------------------------------------------------------------

def offered_couriers() -> list[type[Courier]]:
    """Couriers a shop can use: switched on (C9). The others are neither listed nor accepted."""
    return enabled_couriers()


def offered_courier(key: str) -> type[Courier]:
    cls = COURIERS.get(key)
    if cls is None or not cls.enabled:
        raise NotFound(_("Bikri does not work with this courier (yet)."), code="unknown_courier")
    return cls


def record_not_answered(job_id: int, couriers: list[str], message) -> None:
    """A courier job's retries ran out (the courier never answered): each courier still without
    a result fails with `message(the courier's name)`, courier_unavailable (503), so the page
    waiting on it stops."""
    record_unanswered(job_id, couriers, lambda courier: (
        "failed", message(offered_courier(courier).name), {"code": "courier_unavailable", "http_status": 503}))


def report_courier(key: str | None) -> str | None:
    """The delivery report's courier filter: a courier Bikri knows (switched off ones too, for
    their old parcels), or None for all. Anything else is refused, not searched for: the
    filter is written into the report and its CSV."""
    if not key:
        return None
    if key not in COURIERS:
        message = _("Bikri does not know this courier. Choose one from the list.")
        raise validation_error({"courier": [message]}, message)
    return key


def courier_rate(key: str) -> float:
    configured = current_app.config["COURIERS"].get(key, {}).get("requests_per_second")
    return float(configured or COURIERS[key].requests_per_second)


def build_courier(key: str, credentials: dict) -> Courier:
    options = current_app.config["COURIERS"].get(key, {})
    return get_courier(key, credentials, base_url=options.get("base_url"), timeout=current_app.config["COURIER_TIMEOUT"])


# --- accounts ----------------------------------------------------------------------------------------

def get_account(site: Site, key: str) -> CourierAccount | None:
    return db.session.execute(
        select(CourierAccount).where(CourierAccount.site_id == site.id, CourierAccount.courier == key)
    ).scalar_one_or_none()


def account_credentials(account: CourierAccount | None) -> dict:
    if account is None:
        return {}
    return json.loads(decrypt_secret(account.credentials_enc) or "{}")


def courier_for(account: CourierAccount) -> Courier:
    return build_courier(account.courier, account_credentials(account))


def keys_to_check(site: Site, key: str, values: dict) -> dict:
    """The keys a save asks to check: what was typed, a blank field keeping the stored key (the
    owner can change one key without retyping the other). Missing or overlong: 422."""
    cls = offered_courier(key)
    stored = account_credentials(get_account(site, key))
    credentials, missing = {}, {}
    for name, label, _secret in cls.credential_fields:
        value = str(values.get(name) or "").strip() or stored.get(name, "")
        if not value:
            missing[name] = [_("Enter the %(label)s from your %(courier)s account.", label=label, courier=cls.name)]
        elif len(value) > 200:
            missing[name] = [_("This is longer than any %(courier)s key; copy it again.", courier=cls.name)]
        credentials[name] = value
    if missing:
        raise validation_error(missing)
    return credentials


def connect_account(site: Site, key: str, values: dict) -> CourierAccount:
    """Save a shop's keys for a courier, only after the courier accepted them (a balance call).
    This asks the courier: the pages and the API run it in a worker (couriers/key_checks.py).
    Refused keys raise an ApiError and nothing is written."""
    cls = offered_courier(key)
    credentials = keys_to_check(site, key, values)
    account = get_account(site, key)
    try:
        balance = build_courier(key, credentials).validate_credentials()
    except CourierAuthFailed as error:
        raise ApiError(_("%(courier)s did not accept these keys, so nothing was saved. %(reason)s",
                         courier=cls.name, reason=error.message), code="courier_credentials_refused", status=422) from error
    except CourierError as error:
        raise ApiError(_("We could not check the keys with %(courier)s just now, so nothing was saved. %(reason)s",
                         courier=cls.name, reason=error.message), code="courier_unavailable", status=503) from error
    if account is None:
        try:
            with db.session.begin_nested():
                account = CourierAccount(site_id=site.id, courier=key, next_request_us=0,
                                         credentials_enc=encrypt_secret(json.dumps(credentials)))
                db.session.add(account)
                db.session.flush()
        except IntegrityError:
            account = get_account(site, key)  # two saves at once: the other made the row; ours, checked too, wins
    account.credentials_enc = encrypt_secret(json.dumps(credentials))
    account.balance = balance
    account.balance_checked_at = utcnow()
    account.problem = None
    db.session.flush()
    return account


def disconnect_account(site: Site, key: str) -> bool:
    """Forget a shop's keys for a courier. Its consignments stay (history, reports); they are
    not polled until keys are saved again."""
    account = get_account(site, key)
    if account is None:
        return False
    db.session.delete(account)
    db.session.flush()
    return True


def refresh_balance(site: Site, key: str) -> CourierAccount:
    """Ask the courier for the shop's balance now (C5) and keep it."""
    cls = offered_courier(key)
    account = get_account(site, key)
    if account is None:
        raise NotFound(_("Connect your %(courier)s account first.", courier=cls.name), code="courier_not_connected")
    courier = courier_for(account)
    try:
        account.balance = courier.balance()
    except CourierAuthFailed as error:
        account.problem = error.message[:300]  # kept: the balance task records the error and commits
        raise ApiError(error.message, code="courier_credentials_refused", status=422) from error
    except CourierError as error:
        raise ApiError(_("%(courier)s did not tell us the balance just now. %(reason)s", courier=cls.name,
                         reason=error.message), code="courier_unavailable", status=503) from error
    account.balance_checked_at = utcnow()
    account.problem = None
    db.session.flush()
    return account


def account_view(site: Site, cls: type[Courier], account: CourierAccount | None = None) -> dict:
    """What a page or the API may show of an account: never a key in full."""
    account = account if account is not None else get_account(site, cls.key)
    credentials = account_credentials(account)
    return {
        "courier": cls.key,
        "name": cls.name,
        "logo": cls.logo,
        "connected": account is not None,
        "credentials": {name: mask_secret(credentials.get(name)) for name, _label, _secret in cls.credential_fields},
        "balance": account.balance if account else None,
        "balance_checked_at": account.balance_checked_at if account else None,
        "problem": account.problem if account else None,
    }


# --- settings -------------------------------------------------------------------------------------

def get_settings(site: Site) -> CourierSettings:
    """The shop's settings, or the defaults (a transient row, not added) until it saves."""
    settings = db.session.get(CourierSettings, site.id)
    if settings is None:
        settings = CourierSettings(site_id=site.id, default_courier=None, default_note=None, delivery_type="home",
                                   prepaid_cod_zero=True, cod_round_to=0, poll_minutes=DEFAULT_POLL_MINUTES,
                                   wc_status_map="{}")
    return settings


def booking_courier(site: Site, settings: CourierSettings | None = None) -> str | None:
    """The courier one-click booking uses: the default one, else the only courier connected
    (a shop with one courier should not have to name it as its default first)."""
    settings = settings or get_settings(site)
    if settings.default_courier:
        return settings.default_courier
    offered = {cls.key for cls in offered_couriers()}
    connected = [key for key in db.session.execute(
        select(CourierAccount.courier).where(CourierAccount.site_id == site.id)).scalars() if key in offered]
    return connected[0] if len(connected) == 1 else None


def status_map_of(settings: CourierSettings) -> dict[str, str]:
    return json.loads(settings.wc_status_map or "{}")


def settings_view(settings: CourierSettings) -> dict:
    return {
        "default_courier": settings.default_courier,
        "default_note": settings.default_note or "",
        "delivery_type": settings.delivery_type,
        "prepaid_cod_zero": settings.prepaid_cod_zero,
        "cod_round_to": settings.cod_round_to,
        "poll_minutes": settings.poll_minutes,
        "wc_status_map": status_map_of(settings),
    }


def save_settings(site: Site, data: dict) -> CourierSettings:
    """Change the fields given (others stay). Every problem is reported at once, by field."""
    errors: dict[str, list[str]] = {}
    if "default_courier" in data and data["default_courier"]:
        if data["default_courier"] not in {cls.key for cls in offered_couriers()}:
            errors["default_courier"] = [_("Choose one of the couriers listed.")]
    if "default_note" in data and len(data["default_note"] or "") > 250:
        errors["default_note"] = [_("Keep the note under 250 characters; couriers cut longer ones.")]
    if "delivery_type" in data and data["delivery_type"] not in DELIVERY_TYPES:
        errors["delivery_type"] = [_("Choose home delivery or pick-up at the courier's point.")]
    if "cod_round_to" in data and data["cod_round_to"] not in COD_ROUNDING:
        errors["cod_round_to"] = [_("Round to 1, 5 or 10 taka, or not at all.")]
    if "poll_minutes" in data and not (POLL_MINUTES_RANGE[0] <= (data["poll_minutes"] or 0) <= POLL_MINUTES_RANGE[1]):
        errors["poll_minutes"] = [_("Check between every %(low)s minutes and once a day (%(high)s minutes).",
                                    low=POLL_MINUTES_RANGE[0], high=POLL_MINUTES_RANGE[1])]
    mapping = data.get("wc_status_map")
    if mapping is not None:
        bad = [f"{k}" for k, v in mapping.items() if k not in STATUSES or (v and not WC_STATUS.match(str(v)))]
        if bad:
            errors["wc_status_map"] = [_("Unknown delivery status or WooCommerce status: %(names)s.", names=", ".join(bad))]
    if errors:
        raise validation_error(errors)

    settings = db.session.get(CourierSettings, site.id)
    if settings is None:
        settings = get_settings(site)
        db.session.add(settings)
    fields = ("default_courier", "delivery_type", "prepaid_cod_zero", "cod_round_to", "poll_minutes", "default_note",
              "wc_status_map")
    before = {name: getattr(settings, name) for name in fields}
    for name in ("default_courier", "delivery_type", "prepaid_cod_zero", "cod_round_to", "poll_minutes"):
        if name in data:
            setattr(settings, name, data[name] if data[name] != "" else None)
    if "default_note" in data:
        settings.default_note = (data["default_note"] or "").strip() or None
    if mapping is not None:
        # a WooCommerce status may be written as "wc-completed"; WooCommerce's REST API wants "completed"
        settings.wc_status_map = json.dumps({k: str(v).removeprefix("wc-") for k, v in sorted(mapping.items()) if v})
    db.session.flush()
    changed = [name for name in fields if getattr(settings, name) != before[name]]
    if changed:
        activity.record(site.id, "settings", "courier_settings", {n: before[n] for n in changed},
                        {n: getattr(settings, n) for n in changed})
    return settings


def cod_amount_for(settings: CourierSettings, order_total: Decimal, *, paid_online: bool) -> Decimal:
    """What the rider collects for an order, by the shop's COD rules."""
    if paid_online and settings.prepaid_cod_zero:
        return Decimal("0")
    amount = Decimal(order_total)
    if settings.cod_round_to:
        step = Decimal(settings.cod_round_to)
        amount = (amount / step).to_integral_value(rounding=ROUND_CEILING) * step
    return amount.quantize(Decimal("0.01"))


# --- consignments -----------------------------------------------------------------------------------

class DoubleBooking(ApiError):
    status = 409
    code = "double_booking"


def find_consignment(site: Site, courier: str, invoice: str) -> Consignment | None:
    return db.session.execute(
        select(Consignment).where(Consignment.site_id == site.id, Consignment.courier == courier,
                                  Consignment.invoice == invoice)
    ).scalar_one_or_none()


def register_consignment(site: Site, invoice: str, courier: str, consignment_id: str, tracking_code: str | None,
                         cod_amount: Decimal, order_wc_id: int | None = None, *, status: TrackedStatus | None = None,
                         booked_at: datetime | None = None) -> Consignment:
    """Record a consignment the courier has created, for booking to call.

    Idempotent: the same (courier, invoice, consignment id) again returns the row already there.
    A *different* consignment id for an invoice already recorded means the courier holds two
    parcels for one order: that raises DoubleBooking, for a person to cancel one."""
    invoice, consignment_id = str(invoice).strip(), str(consignment_id).strip()
    if courier not in COURIERS:
        raise ValueError(f"unknown courier {courier!r}")
    if isinstance(cod_amount, float):
        raise TypeError("cod_amount must be a Decimal (money is never float)")
    existing = find_consignment(site, courier, invoice)
    if existing is None:
        now = utcnow()
        status = status or TrackedStatus(IN_REVIEW, "in_review")
        booked_at = booked_at or now
        existing = Consignment(
            site_id=site.id, order_wc_id=order_wc_id, invoice=invoice, courier=courier, consignment_id=consignment_id,
            tracking_code=tracking_code or None, cod_amount=Decimal(cod_amount), status=status.status,
            courier_status=status.courier_status, status_observed_at=booked_at, status_changed_at=booked_at,
            booked_at=booked_at, check_failures=0,
            next_check_at=None if status.is_final else booked_at + timedelta(minutes=get_settings(site).poll_minutes),
            collected_amount=Decimal(cod_amount) if status.status == DELIVERED else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(existing)
                db.session.flush()
                db.session.add(ConsignmentStatusChange(consignment_pk=existing.id, site_id=site.id, status=status.status,
                                                       courier_status=status.courier_status, source="booking",
                                                       observed_at=booked_at))
                db.session.flush()
                # in the savepoint: a booking recorded by a concurrent call takes its listeners' writes back
                # with it (the parcel rollup)
                parcel_changed.send(None, bulk=False, changes=[(None, {f: getattr(existing, f) for f in PARCEL_FIELDS})])
            return existing
        except IntegrityError:
            existing = find_consignment(site, courier, invoice)  # recorded by a concurrent call
    if existing.consignment_id != consignment_id:
        raise DoubleBooking(_("Order %(invoice)s already has consignment %(first)s with %(courier)s; %(courier)s now also "
                              "reports %(second)s. Cancel one of them in the %(courier)s portal.",
                              invoice=invoice, first=existing.consignment_id, second=consignment_id,
                              courier=COURIERS[courier].name),
                            details={"invoice": invoice, "consignment_ids": [existing.consignment_id, consignment_id]})
    return existing


def lock_parcel(consignment_pk: int):
    """The stored version of a consignment (PARCEL_FIELDS), locked until commit so that the change
    about to be made is the only one between this version and the next: PostgreSQL locks the
    row; SQLite takes its one write lock now (BEGIN IMMEDIATE) unless this transaction has
    written already — a read before the first write would see a version another writer may
    replace."""
    connection = db.session.connection()
    query = _PARCEL_VERSION
    if connection.dialect.name == "postgresql":
        query = _PARCEL_VERSION_LOCKED
    elif not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return connection.execute(query, {"pk": consignment_pk}).mappings().one_or_none()


# A poll applies its answers one by one: the statements of `lock_parcel` and `apply_status` are
# built once, with bound parameters, not for every answer (building them cost about a fifth of
# an answer's CPU). The SQL is the same as when they were built in place.
_PARCEL_VERSION = (select(*[Consignment.__table__.c[f] for f in PARCEL_FIELDS])
                   .where(Consignment.id == bindparam("pk")))
_PARCEL_VERSION_LOCKED = _PARCEL_VERSION.with_for_update()


def _status_statements():
    c = Consignment
    pk = bindparam("pk", type_=c.__table__.c.id.type)
    observed = bindparam("observed_at", type_=c.__table__.c.status_observed_at.type)
    status = bindparam("new_status", type_=c.__table__.c.status.type)
    word = bindparam("courier_word", type_=c.__table__.c.courier_status.type)
    now = bindparam("now", type_=c.__table__.c.status_changed_at.type)
    next_check = bindparam("next_check", type_=c.__table__.c.next_check_at.type)
    newer = or_(c.status_observed_at.is_(None), c.status_observed_at < observed)
    not_final = c.status.not_in(FINAL_STATUSES)

    def change(collected):
        return (update(c).where(c.id == pk, not_final, c.status != status, newer)
                .values(status=status, courier_status=word, status_observed_at=observed, status_changed_at=now,
                        collected_amount=collected)
                .returning(*[c.__table__.c[f] for f in PARCEL_FIELDS])
                .execution_options(synchronize_session=False))
    same_and_newer = and_(c.status == status, newer)
    bookkeeping = (
        update(c).where(c.id == pk)
        .values(last_checked_at=case((or_(c.last_checked_at.is_(None), c.last_checked_at < observed), observed),
                                     else_=c.last_checked_at),
                next_check_at=case((c.status.in_(FINAL_STATUSES), None), else_=next_check),
                status_observed_at=case((same_and_newer, observed), else_=c.status_observed_at),
                courier_status=case((same_and_newer, word), else_=c.courier_status),
                check_failures=0, last_error=None)
        .execution_options(synchronize_session=False))
    # delivered: the COD is collected; any other status keeps what was collected
    return {True: change(c.cod_amount), False: change(c.collected_amount)}, bookkeeping


_STATUS_CHANGE, _BOOKKEEPING = _status_statements()


def next_check_after(observed_at: datetime, poll_minutes: int) -> datetime:
    return observed_at + timedelta(minutes=poll_minutes)


def apply_status(consignment_pk: int, site_id: int, tracked: TrackedStatus, observed_at: datetime, *, source: str,
                 poll_minutes: int, now: datetime | None = None, defer_rollup: bool = False) -> bool:
    """Take what a courier said about a parcel, asked at `observed_at`. Returns True when the
    status changed (and a history row was written).

    Safe with repeated and out-of-order answers, from any number of concurrent pollers: each
    rule is one conditional UPDATE, so the database decides, not the caller's reading —
    - a final status (delivered, partial, cancelled, returned) never changes again;
    - an answer asked for before the one that set the current status is older news: ignored;
    - the same status again only moves the observation time forward (no history row).

    A change is announced (`parcel_changed`) in the same transaction: the dashboard's parcel
    rollup follows at once, or, for a bulk run (`defer_rollup`), with the batch's other changes
    just before it commits."""
    now = now or utcnow()
    word = tracked.courier_status[:60]
    params = {"pk": consignment_pk, "observed_at": observed_at, "new_status": tracked.status, "courier_word": word,
              "now": now, "next_check": next_check_after(observed_at, poll_minutes)}
    before = lock_parcel(consignment_pk)  # the version this change replaces
    # a final status never changes again; older news is ignored; the same status is no change
    after = db.session.execute(_STATUS_CHANGE[tracked.status == DELIVERED], params).mappings().one_or_none()
    changed = after is not None
    if changed:
        parcel_changed.send(None, bulk=defer_rollup, changes=[(before, after)])
        db.session.execute(insert(ConsignmentStatusChange).values(
            consignment_pk=consignment_pk, site_id=site_id, status=tracked.status,
            courier_status=word, source=source, observed_at=observed_at, created_at=now))
    # Bookkeeping whatever the answer: when we asked, and when to ask next (never, once final);
    # the same status asked later moves its observation time on (so older news stays older).
    db.session.execute(_BOOKKEEPING, params)
    return changed


# Asking again after a failure: 2, 4, 8 ... minutes, at most 6 hours, so a courier that is
# down is not hammered and a parcel it lost is still looked at a few times a day.
BACKOFF_BASE = timedelta(minutes=2)
BACKOFF_MAX = timedelta(hours=6)


def backoff(failures: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(failures - 1, 0)), BACKOFF_MAX)


def record_check_failure(consignment_pk: int, failures_before: int, message: str, *, now: datetime | None = None,
                         retry_after: timedelta | None = None) -> None:
    now = now or utcnow()
    failures = failures_before + 1
    wait = retry_after if retry_after is not None else backoff(failures)
    db.session.execute(
        update(Consignment).where(Consignment.id == consignment_pk, Consignment.status.not_in(FINAL_STATUSES))
        .values(check_failures=failures, last_error=message[:300], next_check_at=now + wait)
        .execution_options(synchronize_session=False))


def mark_account_problem(account_id: int, message: str) -> None:
    db.session.execute(update(CourierAccount).where(CourierAccount.id == account_id)
                       .values(problem=message[:300]).execution_options(synchronize_session=False))


def consignments_of(site: Site, *, ids=None, invoices=None) -> list[Consignment]:
    conditions = [Consignment.site_id == site.id]
    if ids:
        conditions.append(Consignment.id.in_(ids))
    if invoices:
        conditions.append(Consignment.invoice.in_(invoices))
    return db.session.execute(select(Consignment).where(and_(*conditions))).scalars().all()


def status_history(consignment: Consignment) -> list[ConsignmentStatusChange]:
    return db.session.execute(
        select(ConsignmentStatusChange).where(ConsignmentStatusChange.consignment_pk == consignment.id)
        .order_by(ConsignmentStatusChange.id)
    ).scalars().all()
