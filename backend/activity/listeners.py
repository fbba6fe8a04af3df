"""The log follows the read model and the parcels through their signals: an order's status
moved (whoever moved it: the desk's worker, the shop's own admin through a push event, a
reconciliation), a parcel was booked. Written in the sender's transaction, one statement a batch.
A listener may import any domain's signals (declarations only; tests/test_import_rules.py)."""
from backend.activity import service
from backend.couriers.signals import parcel_changed
from backend.orders.signals import order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    moved = [("order_status", f"#{change.wc_id}", {"status": change.old_status}, {"status": change.new[0]["status"]},
              change.wc_id)
             for change in changes
             if change.old is not None and change.new is not None and change.old_status != change.new[0]["status"]]
    service.record_many(site_id, moved)


def on_parcel_changed(_sender, *, changes, bulk: bool) -> None:
    for old, new in changes:
        if old is None:
            service.record(new["site_id"], "booking", f"{new['courier']} {new['consignment_id']}", None,
                           {"courier": new["courier"], "consignment": new["consignment_id"], "invoice": new["invoice"],
                            "cod": new["cod_amount"], "status": new["status"]}, order=new["order_wc_id"])


def connect() -> None:
    order_stored.connect(on_order_stored, weak=False)
    parcel_changed.connect(on_parcel_changed, weak=False)
