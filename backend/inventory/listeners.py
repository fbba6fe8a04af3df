"""Inventory follows the orders read model: a stored order moves its items' last sale (the
aging report's days since the last sale). A listener never commits and never calls anything
remote. (A shop's catalogue is first read by the reconciliation job, which backfills a shop
never read: service.reconcile.)"""
from backend.inventory import service
from backend.orders.signals import order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    sales = []
    for change in changes:
        if change.new is None or change.new[0].get("excluded_from_sales"):
            continue
        created = change.new[0].get("date_created_gmt")
        for item in change.items:
            sales += [(wc_id, created) for wc_id in (item.get("product_id"), item.get("variation_id")) if wc_id]
    service.record_sales(site_id, sales)


def connect() -> None:
    # strong reference: the receiver lives as long as the process
    order_stored.connect(on_order_stored, weak=False)
