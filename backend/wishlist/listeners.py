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


def bought_key(version) -> tuple | None:
    """What of an order version marks wishes bought (`service.record_orders`): who bought (by
    account, phone, email) which products, if it is a purchase; None otherwise."""
    if version is None:
        return None
    order, items = version
    if order.get("excluded_from_sales") or order.get("deleted_at") or order["status"] in service.NOT_BOUGHT:
        return None
    return (order.get("wc_customer_id"), order.get("phone"), order.get("billing_email"),
            frozenset(item["product_id"] for item in items if item.get("product_id")))


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    # a backfill's pages too: nothing recomputes bought wishes afterwards. A change that leaves
    # the same buyer with the same products bought (a status move between purchase statuses)
    # marks nothing new: the version before marked those wishes, and a wish made since was
    # marked as it arrived (service._apply_wish)
    moved = [change for change in changes if change.old is None or bought_key(change.old) != bought_key(change.new)]
    if moved:
        service.record_orders(site_id, moved)


def on_plugin_config_asked(site) -> dict:
    return {"wishlist": service.plugin_config(site.id)}


def connect() -> None:
    # strong references: the receivers live as long as the process
    items_changed.connect(on_items_changed, weak=False)
    order_stored.connect(on_order_stored, weak=False)
    plugin_config_asked.connect(on_plugin_config_asked, weak=False)
