"""The wishlist follows inventory: a subscribed item back in stock, or cheaper, becomes pending
alerts in the same transaction (sent by a task after the commit). A listener never commits and
never calls anything remote."""
from backend.inventory.signals import items_changed
from backend.wishlist import service


def on_items_changed(site_id: int, *, changes) -> None:
    service.record_item_changes(site_id, changes)


def connect() -> None:
    # strong reference: the receiver lives as long as the process
    items_changed.connect(on_items_changed, weak=False)
