"""The dashboard follows the orders read model and the couriers' parcels through their signals
(backend/orders/signals.py, backend/couriers/signals.py): they never import the dashboard.
`connect` is called once by `backend.app.create_app`; tests/test_signals.py checks it was."""
from backend.couriers.signals import parcel_changed
from backend.dashboard import rollups
from backend.orders.signals import bulk_loaded, first_orders_moved, order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    # a page of a bulk load is left to the rebuild at its end (`on_bulk_loaded`)
    if not bulk_load:
        rollups.apply_changes(site_id, [(change.old, change.new) for change in changes])


def on_first_orders_moved(_sender, *, before: dict, after: dict) -> None:
    rollups.apply_first_order_changes(before, after)


def on_bulk_loaded(site_id: int, *, pages_skipped: bool) -> None:
    if pages_skipped:
        rollups.rebuild_site(site_id)
    else:
        rollups.rebuild_customers(site_id)


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    (rollups.defer_parcel_changes if bulk else rollups.apply_parcel_changes)(changes)


def connect() -> None:
    # strong references: the receivers live as long as the process (connecting twice is a no-op)
    order_stored.connect(on_order_stored, weak=False)
    first_orders_moved.connect(on_first_orders_moved, weak=False)
    bulk_loaded.connect(on_bulk_loaded, weak=False)
    parcel_changed.connect(on_parcel_changed, weak=False)
