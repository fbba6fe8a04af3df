"""Notifications follow the orders read model (`order_stored`: an order's status changed) and
the couriers (`parcel_changed`: a parcel's status changed). Both are sent inside the writer's
transaction: the listeners only claim rows (and queue the dispatch for after the commit);
nothing remote happens here. `connect` is called once by `backend.app.create_app`;
tests/test_signals.py checks it was."""
from backend.couriers.signals import parcel_changed
from backend.notifications import service
from backend.orders.signals import order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    # a backfill page (bulk_load) is history: no customer is texted about it
    if not bulk_load:
        service.record_order_changes(site_id, changes)


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    service.record_parcel_changes(changes)


def connect() -> None:
    # strong references: the receivers live as long as the process (connecting twice is a no-op)
    order_stored.connect(on_order_stored, weak=False)
    parcel_changed.connect(on_parcel_changed, weak=False)
