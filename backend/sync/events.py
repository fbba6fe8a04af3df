
"""Order changes pushed by the plugin, and the inbox that applies them after the answer.

Each event carries an idempotency key; each succeeds or fails alone. An event without the
whole order is completed from WooCommerce (one request per 100) before anything is written.
All of them feed backend/orders/service.py's one upsert, as backfill and reconciliation do,
so the three may overlap freely.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from backend import commits
from backend.database import in_list, insert_rows, on_postgresql
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce, WooCommerceError, order_missing
from backend.licensing.models import Site
from backend.orders import service as orders
from backend.orders.wire import InvalidOrder, normalise_order
from backend.sync.models import EventInbox, SeenEvent
from backend.sync.state import remember_unstored
from backend.clock import utcnow

log = logging.getLogger(__name__)

# an order body without these is partial: the full order is fetched from WooCommerce
FULL_ORDER_FIELDS = ("id", "status", "date_created_gmt", "date_modified_gmt", "billing", "line_items", "total")
# An event with order_shape "export" carries the whole order as the plugin's export route renders
# it (wp-plugin/includes/class-bikri-order-export.php): every one of these keys. It is applied as
# sent, with the export path's own check (`normalise_order`), and never completed from WooCommerce:
# reading orders back through wc/v3 is what took ~2 s per 100 orders and timed out in bursts.
# A key missing is an error of that event (a field left out would store as zero or empty).
EXPORT_ORDER_FIELDS = ("id", "parent_id", "number", "status", "currency", "date_created_gmt", "date_modified_gmt",
                       "date_paid_gmt", "date_completed_gmt", "discount_total", "shipping_total", "total_tax", "total",
                       "customer_id", "payment_method", "payment_method_title", "created_via", "customer_note",
                       "billing", "shipping", "line_items", "refunds", "meta_data")
EXPORT_OBJECTS = ("billing", "shipping")
EXPORT_LISTS = ("line_items", "refunds", "meta_data")


def _export_body_error(body) -> str | None:
    """Why an order sent in the export shape cannot be applied, or None."""
    if not isinstance(body, dict):
        return "order: the export shape needs the whole order as a JSON object."
    missing = [name for name in EXPORT_ORDER_FIELDS if name not in body]
    if missing:
        return f"order: missing {', '.join(missing)} (the export shape carries the whole order)."
    for name in EXPORT_OBJECTS:
        if not isinstance(body[name], dict):
            return f"order.{name}: an object expected"
    for name in EXPORT_LISTS:
        if not isinstance(body[name], list):
            return f"order.{name}: a list expected"
    return None


@dataclass
class InvalidItem:
    """An event that failed validation: reported in its result, never failing the batch."""
    raw: object
    messages: dict


def _error(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def _invalid_result(item: InvalidItem) -> dict:
    key = item.raw.get("idempotency_key") if isinstance(item.raw, dict) else None
    return {"idempotency_key": key if isinstance(key, str) else None, "status": "error",
            "error": _error("invalid_event", _flatten(item.messages))}


def apply_events(site: Site, events: list) -> list[dict]:
    """Apply a batch of pushed events; one result per event, in order."""
    results: list[dict | None] = [None] * len(events)

    def done(index, status, error=None):
        key = events[index].get("idempotency_key") if isinstance(events[index], dict) else None
        results[index] = {"idempotency_key": key, "status": status, **({"error": error} if error else {})}

    candidates = []
    for index, event in enumerate(events):
        if isinstance(event, InvalidItem):
            results[index] = _invalid_result(event)
        else:
            candidates.append(index)

    records, deletions, to_fetch = {}, {}, {}
    for index in candidates:
        event = events[index]
        body = event.get("order")
        if body is not None and isinstance(body, dict) and body.get("id") not in (None, event["order_id"]):
            done(index, "error", _error("invalid_event", f"order.id ({body.get('id')}) differs from order_id ({event['order_id']})."))
        elif event["type"] == "deleted" and (not isinstance(body, dict) or body.get("status") != "trash"):
            # moved to the trash: the order (restorable) is stored as it is; anything else is gone for good
            deletions[index] = (event["order_id"], event["date_modified_gmt"])
        elif event.get("order_shape") == "export":
            if (problem := _export_body_error(body)) is not None:
                done(index, "error", _error("invalid_order", problem))
            else:
                records[index] = body
        elif _lacks_its_order(event):
            to_fetch[index] = event["order_id"]
        else:
            records[index] = body
    if to_fetch:
        # Before anything is written: no transaction waits open on the shop (on SQLite an open
        # write locks the whole database). Events seen before are not asked about.
        with db.session.no_autoflush:
            seen = _seen_keys(site.id, [events[i]["idempotency_key"] for i in to_fetch])
        to_fetch = {i: order_id for i, order_id in to_fetch.items() if events[i]["idempotency_key"] not in seen}
        if to_fetch:
            _fetch_bodies(site, to_fetch, records, done, deletions)

    # Claim the keys: a key seen before (or earlier in this batch, or by a concurrent request
    # that commits first) is a duplicate. Keys of items that end in error are let go.
    live = [i for i in candidates if results[i] is None]
    claimed = _claim_keys(site.id, [events[i]["idempotency_key"] for i in live])
    fresh = set()
    for index in live:
        key = events[index]["idempotency_key"]
        if key in claimed:
            claimed.discard(key)
            fresh.add(index)
        else:
            done(index, "duplicate")
    records = {i: body for i, body in records.items() if i in fresh}
    deletions = {i: deletion for i, deletion in deletions.items() if i in fresh}

    normalised = {}
    for index, body in records.items():
        try:
            normalised[index] = normalise_order(body)
        except InvalidOrder as error:
            done(index, "error", _error("invalid_order", str(error)))
    _apply(site.id, normalised, deletions, done)
    _release_keys(site.id, [events[i]["idempotency_key"] for i in fresh if results[i]["status"] == "error"])
    return results


def _flatten(messages, prefix="") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}." if not str(k).isdigit() else f"{prefix}[{k}].")
                         for k, v in messages.items())
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: " + " ".join(str(m) for m in messages) if prefix else " ".join(map(str, messages))
    return f"{prefix.rstrip('.')}: {messages}"


def _seen_keys(site_id: int, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(db.session.execute(select(SeenEvent.idempotency_key).where(
        SeenEvent.site_id == site_id, in_list(SeenEvent.idempotency_key, sorted(set(keys))))).scalars())


def _claim_keys(site_id: int, keys: list[str]) -> set[str]:
    unique = sorted(set(keys))
    if not unique:
        return set()
    now = utcnow()
    inserted = insert_rows(SeenEvent.__table__, [{"site_id": site_id, "idempotency_key": k, "received_at": now}
                                                 for k in unique],
                           conflict=("site_id", "idempotency_key"), returning=("idempotency_key",))
    return {row.idempotency_key for row in inserted}


def _release_keys(site_id: int, keys: list[str]) -> None:
    if keys:
        db.session.execute(delete(SeenEvent).where(SeenEvent.site_id == site_id, in_list(SeenEvent.idempotency_key, keys)))


def _lacks_its_order(event: dict) -> bool:
    """An update whose order must first be read from WooCommerce (no body, or a partial one)."""
    body = event.get("order")
    if event["type"] == "deleted" and (not isinstance(body, dict) or body.get("status") != "trash"):
        return False
    if event.get("order_shape") == "export":
        return False
    return not body or not isinstance(body, dict) or any(name not in body for name in FULL_ORDER_FIELDS)


def apply_or_accept(site: Site, events: list) -> tuple[list[dict], int | None]:
    """The answer without `Prefer: respond-async`: events that carry their order are applied
    now; one whose order must first be read from WooCommerce is accepted like an async event
    (stored in the inbox, applied by a worker), so the request never waits on the shop.
    Returns the results, in order, and the inbox row to hand to a worker (or None)."""
    later = [i for i, event in enumerate(events) if not isinstance(event, InvalidItem) and _lacks_its_order(event)]
    if not later:
        return apply_events(site, events), None
    now_indexes = [i for i in range(len(events)) if i not in set(later)]
    results = [None] * len(events)
    for index, result in zip(now_indexes, apply_events(site, [events[i] for i in now_indexes])):
        results[index] = result
    accepted, inbox_id = accept_events(site, [events[i] for i in later])
    for index, result in zip(later, accepted):
        results[index] = result
    return results, inbox_id


# --- events accepted now, applied right after the answer (Prefer: respond-async) ------------
#
# The plugin's queue runner blocks a PHP worker of the shop while it waits for our answer, and
# applying 50 full orders (items, customers, rollups; sometimes a read from WooCommerce) takes
# tens of milliseconds. So, when asked, the events are validated and stored, answered
# "accepted", and applied by the same web worker once the answer is out: on the order desk
# within a fraction of a second, as before.

# Events that failed for a reason that may pass (WooCommerce did not answer, the database
# refused) are tried again, each time later; after that, reconciliation's pull finds their orders.
_RETRY_CODES = {"order_fetch_failed", "not_stored"}
INBOX_ATTEMPTS = 6
# A row still here this long after it was accepted lost the worker that took it (a restart, a
# crash): the jobs process applies it.
INBOX_ORPHAN_AFTER = timedelta(seconds=20)
# A row whose orders are being read from WooCommerce is its taker's this long.
INBOX_LEASE = timedelta(minutes=2)


def accept_events(site: Site, events: list) -> tuple[list[dict], int | None]:
    """Validate now, apply later: invalid events are answered as errors at once, the valid ones
    stored in one inbox row (committed with the answer) and answered "accepted". Returns the
    results and the row's id (None when nothing was valid)."""
    results, valid = [], []
    for event in events:
        if isinstance(event, InvalidItem):
            results.append(_invalid_result(event))
        else:
            results.append({"idempotency_key": event["idempotency_key"], "status": "accepted"})
            valid.append(event)
    if not valid:
        return results, None
    now = utcnow()
    row = EventInbox(site_id=site.id, events=_inbox_json(valid), received_at=now, not_before=now + INBOX_ORPHAN_AFTER)
    db.session.add(row)
    db.session.flush()
    return results, row.id


def _inbox_json(events: list[dict]) -> str:
    return orjson.dumps([{**event, "date_modified_gmt": event["date_modified_gmt"].isoformat()}
                         for event in events]).decode()


def _inbox_events(stored: str) -> list[dict]:
    return [{**event, "date_modified_gmt": datetime.fromisoformat(event["date_modified_gmt"])}
            for event in orjson.loads(stored)]


def sites_with_inbox_due() -> list[int]:
    """Shops with accepted events whose time has come (orphans and retries): the scheduler's per-shop list."""
    return list(db.session.execute(
        select(EventInbox.site_id).where(EventInbox.not_before <= utcnow()).distinct().order_by(EventInbox.site_id)
    ).scalars())


def apply_site_inbox(site_id: int) -> int:
    """One shop's turn of the inbox job."""
    return apply_inbox(site_id=site_id)


def apply_inbox(inbox_id: int | None = None, limit: int = 200, *, site_id: int | None = None) -> int:
    """Apply accepted events: the row `inbox_id` (its worker, right after answering), or else the
    rows whose time has come (the scheduled job: orphans and retries; one shop's with
    `site_id`), oldest first. Each row is
    applied and removed in one transaction: a crash leaves it whole for the next try, and the
    events' keys, claimed in that same transaction, make what a try applied a duplicate to the
    next. Returns how many rows were taken."""
    query = select(EventInbox).order_by(EventInbox.id).limit(1)
    query = query.where(EventInbox.id == inbox_id) if inbox_id is not None else \
        query.where(EventInbox.not_before <= utcnow())
    if site_id is not None:
        query = query.where(EventInbox.site_id == site_id)
    if on_postgresql():
        query = query.with_for_update(skip_locked=True)  # a row another process is applying is its own
    taken = 0
    while taken < limit:
        row = db.session.execute(query).scalar_one_or_none()
        if row is None:
            break
        row_id, site_id = row.id, row.site_id
        taken += 1
        events = _inbox_events(row.events)  # parsed once: the lease check and the apply read it
        if any(_lacks_its_order(event) for event in events):
            # the shop is asked for these orders: the row's lock must not wait open on it, and
            # a lease keeps the scheduled job off the row meanwhile (a second try would find
            # the events' keys claimed, so it can only repeat nothing)
            row.not_before = utcnow() + INBOX_LEASE
            commits.claim()
        try:
            _apply_inbox_row(row, events)
        except Exception:  # noqa: BLE001 - logged; the row is tried again later, other rows go on
            db.session.rollback()
            log.exception("site %s: accepted events (inbox row %s) could not be applied", site_id, row_id)
            _postpone(row_id)
        commits.keep_progress()  # this row applied and removed, or its failed attempt counted, whatever the next does
        if inbox_id is not None:
            break
    return taken


def _apply_inbox_row(row: EventInbox, events: list[dict]) -> None:
    site = db.session.get(Site, row.site_id)
    results = apply_events(site, events)
    failed = [(event, result) for event, result in zip(events, results) if result["status"] == "error"]
    for event, result in failed:
        log.warning("site %s: accepted event %s (order %s) failed: %s", row.site_id, event["idempotency_key"],
                    event["order_id"], result["error"]["message"])
    retry = [event for event, result in failed if result["error"]["code"] in _RETRY_CODES]
    if retry and row.attempts + 1 < INBOX_ATTEMPTS:
        row.events, row.attempts = _inbox_json(retry), row.attempts + 1
        row.not_before = utcnow() + timedelta(seconds=30 * 2 ** row.attempts)
        row.last_error = "; ".join(result["error"]["message"] for _event, result in failed)[:1000]
        failed = [(event, result) for event, result in failed if result["error"]["code"] not in _RETRY_CODES]
    else:
        db.session.delete(row)
    if failed:  # given up on
        # the plugin was told "accepted" and let them go: the shop reads why in the sync status
        # and on the dashboard (reconciliation's pull brings such an order in once WooCommerce
        # serves it whole)
        remember_unstored(row.site_id, failed)
    db.session.flush()  # a write the database refuses fails here, where the caller postpones the row


def _postpone(row_id: int) -> None:
    """A row whose apply raised is tried again in a minute, at most INBOX_ATTEMPTS times in all."""
    db.session.execute(update(EventInbox).where(EventInbox.id == row_id)
                       .values(attempts=EventInbox.attempts + 1, not_before=utcnow() + timedelta(minutes=1)))
    db.session.execute(delete(EventInbox).where(EventInbox.id == row_id, EventInbox.attempts >= INBOX_ATTEMPTS))


def _fetch_bodies(site: Site, to_fetch: dict, records: dict, done, deletions: dict) -> None:
    """Events that came without a (full) order: read those orders from WooCommerce in one request per 100.
    An order WooCommerce no longer has (deleted without the hooks that send a deletion) is
    applied as a deletion as of now."""
    try:
        wc = WooCommerce.for_site(site, timeout=current_app.config["WOOCOMMERCE_EVENT_FETCH_TIMEOUT"], retries=0)
        found = {order["id"]: order for order in wc.get_orders(to_fetch.values())}
        for order_id in set(to_fetch.values()) - set(found):
            # the list leaves the trash out; one by one, WooCommerce answers trashed orders too
            try:
                found[order_id] = wc.get_order(order_id)
            except WooCommerceError as error:
                if not order_missing(error):
                    raise
    except WooCommerceError as error:
        for index in to_fetch:
            done(index, "error", _error("order_fetch_failed",
                                        f"The event has no full order and WooCommerce could not be asked: {error}"))
        return
    gone = orders.missing_since(site.id, set(to_fetch.values()) - set(found))
    for index, order_id in to_fetch.items():
        if order_id in found:
            records[index] = found[order_id]
        else:
            deletions[index] = (order_id, gone[order_id])


def _apply(site_id: int, normalised: dict, deletions: dict, done) -> None:
    """Upsert the batch in one go; should the database refuse it, apply item by item so
    that only the offending events fail."""
    def as_result(outcome):
        return "ignored_older" if outcome == orders.IGNORED_OLDER else "applied"

    try:
        with db.session.begin_nested():
            outcomes = orders.upsert_normalised(site_id, list(normalised.values()))
            deleted = orders.delete_orders(site_id, list(deletions.values()))
        for index, outcome in zip(list(normalised) + list(deletions), outcomes + deleted):
            done(index, as_result(outcome))
        return
    except SQLAlchemyError:
        log.exception("site %s: batch upsert refused; applying events one by one", site_id)
    one_by_one = [(index, orders.upsert_normalised, record, "order") for index, record in normalised.items()]
    one_by_one += [(index, orders.delete_orders, deletion, "deletion") for index, deletion in deletions.items()]
    for index, apply, item, what in one_by_one:
        try:
            with db.session.begin_nested():
                done(index, as_result(apply(site_id, [item])[0]))
        except SQLAlchemyError as error:
            done(index, "error", _error("not_stored", f"The {what} could not be stored: {error.__class__.__name__}."))


def prune_seen_events() -> int:
    cutoff = utcnow() - timedelta(days=current_app.config["SEEN_EVENTS_KEEP_DAYS"])
    return db.session.execute(delete(SeenEvent).where(SeenEvent.received_at < cutoff)).rowcount

