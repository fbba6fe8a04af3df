"""The signals that carry changes up from the lower layers (orders, couriers, checkout) to
the features that follow them (the dashboard's rollups, abandoned checkouts).

A listener that is not connected fails nothing loudly in production: the rollups would just
drift from the orders. So: every signal's listeners are named here, `create_app` must connect
them, and every `on_*` function of a domain's listeners.py must be connected to something.
"""
import importlib
import pkgutil
from datetime import datetime
from decimal import Decimal

import blinker

import backend
from backend.app import create_app
from backend.dashboard.models import DayParcels, DayStatus
from backend.extensions import db
from backend.sandbox.woocommerce import generate

# Who listens to each signal: the domains whose listeners.py connects its `on_<signal>` to it.
LISTENERS = {
    ("backend.orders.signals", "order_stored"): ("dashboard", "abandoned", "activity", "customers", "inventory",
                                                 "adtracking", "notifications", "wishlist", "loyalty"),
    ("backend.orders.signals", "first_orders_moved"): ("dashboard",),
    ("backend.orders.signals", "bulk_loaded"): ("dashboard", "customers"),
    ("backend.couriers.signals", "parcel_changed"): ("dashboard", "activity", "customers", "adtracking",
                                                     "notifications", "loyalty"),
    ("backend.couriers.signals", "booking_asked"): ("desk",),
    ("backend.checkout.signals", "plugin_config_asked"): ("abandoned", "livechat", "wishlist", "loyalty"),
    ("backend.licensing.signals", "site_activated"): ("sync",),
    ("backend.sms.signals", "message_failed"): ("checkout",),
    ("backend.inventory.signals", "items_changed"): ("wishlist",),
}
# the listener functions' full names, as `_listeners` reads them off a connected signal
EXPECTED = {(module, name): {f"backend.{domain}.listeners.on_{name}" for domain in domains}
            for (module, name), domains in LISTENERS.items()}
# the adapters' announcement, followed by no domain: the commit rules end a reading transaction
EXPECTED[("backend.integrations.signals", "asking")] = {"backend.commits.on_asking"}


def _signal(module, name):
    return getattr(importlib.import_module(module), name)


def _listeners(signal) -> set[str]:
    return {f"{receiver.__module__}.{receiver.__qualname__}" for receiver in signal.receivers_for(object())}


def _domain_modules(name):
    for package in pkgutil.iter_modules(backend.__path__):
        try:
            yield importlib.import_module(f"backend.{package.name}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"backend.{package.name}.{name}":
                raise


def test_every_signal_is_listed_here():
    """A new signal in a domain's signals.py must say here who listens to it."""
    found = {(module.__name__, attr) for module in _domain_modules("signals")
             for attr, value in vars(module).items() if isinstance(value, blinker.NamedSignal)}
    assert found == set(EXPECTED)


def test_create_app_connects_every_listener(database_url):
    signals = {key: _signal(*key) for key in EXPECTED}
    for signal in signals.values():
        for receiver in list(signal.receivers_for(object())):
            signal.disconnect(receiver)
    assert all(not _listeners(signal) for signal in signals.values())
    create_app({"SQLALCHEMY_DATABASE_URI": database_url})  # connects them again, once
    create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    for key, signal in signals.items():
        assert _listeners(signal) == EXPECTED[key], key
        assert len(signal.receivers) == len(EXPECTED[key]), key


def test_every_listener_function_is_connected(app):
    connected = set().union(*(_listeners(_signal(*key)) for key in EXPECTED))
    for module in _domain_modules("listeners"):
        assert callable(module.connect), module.__name__
        for name, value in vars(module).items():
            if name.startswith("on_") and callable(value):
                assert f"{module.__name__}.{name}" in connected, f"{module.__name__}.{name} is not connected"


def test_a_batch_is_announced_once_with_every_change(app, shop):
    """A backfill page stores hundreds of orders in one call: one signal carries them all, with
    the old and new versions, and says which orders are new."""
    from backend.orders.service import delete_orders, upsert_orders
    from backend.orders.signals import order_stored

    store = generate(3, seed=5)
    orders = [store.order(i) for i in (1, 2, 3)]
    sent = []
    with app.app_context(), order_stored.connected_to(lambda site_id, **kw: sent.append((site_id, kw))):
        upsert_orders(shop.site_id, orders[:2])
        changed = dict(orders[0], status="cancelled", date_modified_gmt="2030-01-01T00:00:00")
        upsert_orders(shop.site_id, [changed, orders[2]])
        delete_orders(shop.site_id, [(orders[2]["id"], datetime(2031, 1, 1))])
        db.session.rollback()
    assert [len(kw["changes"]) for _site, kw in sent] == [2, 2, 1]
    assert {site for site, _kw in sent} == {shop.site_id}
    first, second, deletion = (kw["changes"] for _site, kw in sent)
    assert all(change.is_new for change in first)
    by_id = {change.wc_id: change for change in second}
    assert not by_id[orders[0]["id"]].is_new and by_id[orders[2]["id"]].is_new
    assert (by_id[orders[0]["id"]].old_status, by_id[orders[0]["id"]].new_status) == (orders[0]["status"], "cancelled")
    assert by_id[orders[0]["id"]].new[0]["total"] == Decimal(orders[0]["total"])
    assert deletion[0].new is None and deletion[0].old_status == orders[2]["status"]


def test_the_rollups_follow_only_through_their_listener(app, shop):
    """Disconnected, the dashboard's listener leaves the rollups behind: the rollups move only
    by the signal (orders does not call them any more), which is why the listener must be
    connected (test_create_app_connects_every_listener)."""
    from backend.dashboard import listeners
    from backend.orders.service import upsert_orders
    from backend.orders.signals import order_stored

    order = dict(generate(1, seed=7).order(1), status="processing")
    with app.app_context():
        order_stored.disconnect(listeners.on_order_stored)
        try:
            upsert_orders(shop.site_id, [order])
            assert db.session.query(DayStatus).filter_by(site_id=shop.site_id).count() == 0
        finally:
            listeners.connect()
        upsert_orders(shop.site_id, [dict(order, id=order["id"] + 1)])
        assert db.session.query(DayStatus).filter_by(site_id=shop.site_id).count() == 1
        db.session.rollback()


def test_a_booking_moves_the_parcel_rollup(app, shop):
    from backend.couriers import service as couriers
    from backend.licensing.models import Site

    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        couriers.register_consignment(site, "B1", "steadfast", "1", None, Decimal("1200"), 1)
        row = db.session.query(DayParcels).filter_by(site_id=shop.site_id).one()
        assert (row.parcels, row.cod) == (1, Decimal("1200"))
        db.session.rollback()
