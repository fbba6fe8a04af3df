"""Ad tracking follows the orders read model (a new order: Purchase) and the couriers (a parcel
delivered or returned). Listeners only write pending event rows in the writer's transaction;
the workers send them after it commits (nothing remote here)."""
from backend.adtracking import service
from backend.couriers.signals import parcel_changed
from backend.orders.signals import order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    service.record_orders(site_id, changes, bulk_load)


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    service.record_parcels(changes)


def connect() -> None:
    order_stored.connect(on_order_stored, weak=False)
    parcel_changed.connect(on_parcel_changed, weak=False)
