"""Loyalty follows the orders read model (an order delivered, returned, cancelled, refunded;
an order a checkout hold was waiting for) and the couriers (a parcel delivered or returned),
and adds its part to the plugin's checkout copy (`plugin_config_asked`).
Both signals come inside the writer's transaction: the listeners write ledger entries there
(never commit, never call anything remote; an earn SMS is queued for after the commit)."""
from collections import defaultdict

from backend.checkout.signals import plugin_config_asked
from backend.couriers.signals import parcel_changed
from backend.loyalty import service
from backend.orders.signals import order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    wc_ids = [change.wc_id for change in changes]
    service.follow_orders(site_id, wc_ids)
    # a backfill page is the shop's history: orders delivered before the shop ran the programme
    # earn nothing (and had nothing to reverse)
    if not bulk_load:
        service.settle_orders(site_id, wc_ids)


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    by_site = defaultdict(set)
    for old, new in changes:
        if new is not None and new.get("order_wc_id") and (old is None or old["status"] != new["status"]):
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
