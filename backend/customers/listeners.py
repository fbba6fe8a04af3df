"""The customer read model follows the orders read model and the couriers: every change
recomputes the touched customers in the writer's transaction (never commits, never remote)."""
from backend.couriers.signals import parcel_changed
from backend.customers import stats
from backend.orders.signals import bulk_loaded, order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    if bulk_load:  # a backfill page: the rebuild at its end (`bulk_loaded`) counts it
        return
    touched, phones = set(), set()
    for change in changes:
        for version in (change.old, change.new):
            if version is not None:
                touched.add(version[0].get("customer_id"))
                phones.add(version[0].get("phone"))
    stats.refresh(touched | stats.customers_of_phones(site_id, phones))


def on_bulk_loaded(site_id: int, *, pages_skipped: bool) -> None:
    stats.rebuild_site(site_id)


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    stats.refresh(stats.customers_of_parcels(new["id"] for _old, new in changes if new is not None))


def connect() -> None:
    order_stored.connect(on_order_stored, weak=False)
    bulk_loaded.connect(on_bulk_loaded, weak=False)
    parcel_changed.connect(on_parcel_changed, weak=False)
