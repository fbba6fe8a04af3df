"""The wishlist follows inventory: a subscribed item back in stock, or cheaper, becomes pending
alerts in the same transaction (sent by a task after the commit); and the orders read model: an
order marks its shopper's wishes for its products bought. It also tells the plugin, with
its checkout copy, whether to offer shoppers the SMS alerts. A listener never commits and never
calls anything remote."""
from backend.checkout.signals import plugin_config_asked
from backend.inventory.signals import items_changed
from backend.orders.signals import order_stored
from backend.wishlist import service


def on_items_changed(site_id: int, *, changes) -> None:
    service.record_item_changes(site_id, changes)


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    # a backfill's pages too: nothing recomputes bought wishes afterwards
    service.record_orders(site_id, changes)


def on_plugin_config_asked(site) -> dict:
    return {"wishlist": service.plugin_config(site.id)}


def connect() -> None:
    # strong references: the receivers live as long as the process
    items_changed.connect(on_items_changed, weak=False)
    order_stored.connect(on_order_stored, weak=False)
    plugin_config_asked.connect(on_plugin_config_asked, weak=False)
