"""Inventory follows the orders read model: a stored order moves its items' last sale (the
aging report's days since the last sale) and the units sold per item and day (days of cover).
A listener never commits and never calls anything remote. (A shop's catalogue is first read by
the reconciliation job, which backfills a shop never read: product_sync.reconcile.)"""
from backend.inventory import sales
from backend.orders.signals import order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    sales.follow_orders(site_id, changes)


def connect() -> None:
    # strong reference: the receiver lives as long as the process
    order_stored.connect(on_order_stored, weak=False)
