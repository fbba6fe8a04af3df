"""Loyalty follows the orders read model (an order delivered, returned, cancelled, refunded;
an order a checkout hold was waiting for) and the couriers (a parcel delivered or returned),
and adds its part to the plugin's checkout copy (`plugin_config_asked`).
Both signals come inside the writer's transaction: the listeners write ledger entries there
(never commit, never call anything remote; an earn SMS is queued for after the commit)."""
from collections import defaultdict

from backend.checkout.signals import plugin_config_asked
from backend.couriers.signals import parcel_changed
from backend.customers.stats import outcome_of
from backend.loyalty import service
from backend.orders.signals import order_stored

# the order fields an order's points are settled from (`service._settle`: what the customer paid
# for goods, whose account, whether it still counts); its status only by what it means there
SETTLE_FIELDS = ("phone", "total", "shipping_total", "refunded_total", "excluded_from_sales")


def hold_key(version) -> tuple | None:
    """What of an order version its checkout holds follow (`service.follow_orders`): stored and
    alive, and whether its status gives the points back. None: no version."""
    if version is None:
        return None
    order = version[0]
    return order.get("deleted_at") is None, order["status"] in service.ORDER_GONE


def settle_key(version) -> tuple | None:
    """What of an order version its points depend on (None: no version). A status counts only
    by the outcome it gives an order without a parcel and by whether it is a refund: a parcel's
    outcome overrides the status, and its changes settle through `parcel_changed`."""
    if version is None:
        return None
    order = version[0]
    return (tuple(order.get(f) for f in SETTLE_FIELDS), order.get("deleted_at") is None,
            outcome_of(order["status"], None), order["status"] == "refunded")


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    # a change that moves nothing these read (most status moves: processing → shipped) costs nothing
    held = [change.wc_id for change in changes if change.old is None or hold_key(change.old) != hold_key(change.new)]
    if held:
        service.follow_orders(site_id, held)
    # a backfill page is the shop's history: orders delivered before the shop ran the programme
    # earn nothing (and had nothing to reverse)
    settled = [change.wc_id for change in changes if change.old is None or settle_key(change.old) != settle_key(change.new)]
    if settled and not bulk_load:
        service.settle_orders(site_id, settled)


def parcel_key(version) -> tuple | None:
    """What of a parcel version its order's points depend on: whose order it is, and the outcome
    its status gives the order (`outcome_of`: delivered, returned, or none whatever the order's
    status). in review → pending → on hold moves no points. None: no version."""
    if version is None:
        return None
    return version["site_id"], version.get("order_wc_id"), outcome_of(None, version["status"])


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    by_site = defaultdict(set)
    for old, new in changes:
        # a booking (no old version) always counts: its parcel's status now overrides the order's
        if new is not None and new.get("order_wc_id") and (old is None or parcel_key(old) != parcel_key(new)):
            by_site[new["site_id"]].add(new["order_wc_id"])
    for site_id, wc_ids in by_site.items():
        service.settle_orders(site_id, wc_ids)


def on_plugin_config_asked(site) -> dict:
    # the plugin shows the points box at checkout only while the programme is on
    return {"loyalty": service.plugin_config(site.id)}


def connect() -> None:
    order_stored.connect(on_order_stored, weak=False)
    parcel_changed.connect(on_parcel_changed, weak=False)
    plugin_config_asked.connect(on_plugin_config_asked, weak=False)
