"""The customer read model follows the orders read model and the couriers: every change
recomputes the touched customers in the writer's transaction (never commits, never remote)."""
from backend.couriers.signals import parcel_changed
from backend.customers import stats
from backend.fraud.service import DELIVERED_PARCELS, RETURNED_PARCELS
from backend.orders.signals import bulk_loaded, order_stored

# the order fields `stats.compute` (and `stats.products_of`) read; a change that moves none of
# them cannot move its customers' rows (the status only by the outcome it gives unbooked orders)
READ_FIELDS = ("customer_id", "phone", "excluded_from_sales", "total", "refunded_total", "date_created_gmt",
               "district", "wc_customer_id", "billing_name")


def stats_key(version) -> tuple | None:
    """What of an order version the customer's row depends on (None: no version)."""
    if version is None:
        return None
    order, items = version
    return (tuple(order.get(f) for f in READ_FIELDS), order.get("deleted_at") is None,
            stats.outcome_of(order.get("status"), None),
            frozenset(item.get("product_id") for item in items if item.get("product_id") is not None))


def parcel_outcome(version) -> str | None:
    """What a consignment version gives its order's outcome ("booked": no outcome, whatever the
    order's status); None: no version (or no status: the order's status decides)."""
    if version is None or version.get("status") is None:
        return None
    status = version["status"]
    return "delivered" if status in DELIVERED_PARCELS else "returned" if status in RETURNED_PARCELS else "booked"


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    if bulk_load:  # a backfill page: the rebuild at its end (`bulk_loaded`) counts it
        return
    touched, phones = set(), set()
    for change in changes:
        if stats_key(change.old) == stats_key(change.new):
            continue  # nothing its customers' rows read moved
        for version in (change.old, change.new):
            if version is not None:
                touched.add(version[0].get("customer_id"))
                phones.add(version[0].get("phone"))
    stats.refresh(touched | stats.customers_of_phones(site_id, phones))


def on_bulk_loaded(site_id: int, *, pages_skipped: bool) -> None:
    stats.rebuild_site(site_id)


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    moved = [new["id"] for old, new in changes if new is not None and not (
        old is not None and (old["site_id"], old["order_wc_id"]) == (new["site_id"], new["order_wc_id"])
        and parcel_outcome(old) == parcel_outcome(new))]  # the same outcome: the rows stay
    if moved:
        stats.refresh(stats.customers_of_parcels(moved))


def connect() -> None:
    order_stored.connect(on_order_stored, weak=False)
    bulk_loaded.connect(on_bulk_loaded, weak=False)
    parcel_changed.connect(on_parcel_changed, weak=False)
