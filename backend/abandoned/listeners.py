"""Abandoned checkouts follow the orders read model (an order closes its phone's open
checkouts) and add their settings to the plugin's checkout config, through signals: orders and
checkout never import abandoned. `connect` is called once by `backend.app.create_app`;
tests/test_signals.py checks it was."""
from backend.abandoned import service
from backend.checkout.signals import plugin_config_asked
from backend.orders.signals import order_stored


def on_order_stored(site_id: int, *, changes, bulk_load: bool) -> None:
    # an order closes its phone's open abandoned checkouts (COD and on-hold are orders too);
    # pages of a bulk load too: nothing rebuilds checkouts afterwards
    service.record_orders(site_id, [(change.phone, change.new_status, change.new[0]["date_created_gmt"], change.wc_id)
                                    for change in changes if change.new is not None])


def on_plugin_config_asked(site) -> dict:
    return {"abandoned": service.plugin_config(site)}


def connect() -> None:
    # strong references: the receivers live as long as the process (connecting twice is a no-op)
    order_stored.connect(on_order_stored, weak=False)
    plugin_config_asked.connect(on_plugin_config_asked, weak=False)
