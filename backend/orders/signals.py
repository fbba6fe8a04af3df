"""What the orders read model announces, for the features that follow it (the dashboard's
rollups, abandoned checkouts). The read model never imports them: they listen.

Every signal is sent inside the writer's transaction, before it commits, so a listener's
writes commit or roll back with the change they follow. A listener must not commit, and must
not call anything remote. Listeners are connected at app creation (a domain's `listeners.py`,
`connect()`, called by `backend.app.create_app`); tests/test_signals.py fails when one is not.

Sent with the site's id as sender, once per batch (a backfill page stores hundreds of orders
in one call): listeners work on the whole list at once.
"""
from dataclasses import dataclass

from blinker import Namespace

signals = Namespace()

# order_stored(site_id, changes=[OrderChange], bulk_load=bool) — sent by the one upsert
# (`upsert_orders`, `upsert_normalised`, `delete_orders`) for the orders whose content changed.
# `bulk_load`: the batch is a page of a bulk load whose end sends `bulk_loaded`; a listener that
# recomputes from the stored orders then may skip it (the dashboard's rollups do).
order_stored = signals.signal("order-stored")

# first_orders_moved(None, before={customer id: (site id, first order time)}, after={...}) —
# sent when recounting customers moved some customers' first order (new vs returning customers).
first_orders_moved = signals.signal("first-orders-moved")

# bulk_loaded(site_id, pages_skipped=bool) — a bulk load (backfill) finished and every customer
# of the site was recounted; `pages_skipped`: some pages were sent with bulk_load=True.
bulk_loaded = signals.signal("bulk-loaded")


@dataclass(frozen=True, slots=True)
class OrderChange:
    """One order's stored version replaced: `old` and `new` are (order mapping, [item
    mappings]) with the fields of backend.orders.versions.ORDER_FIELDS / ITEM_FIELDS; `old`
    is None for an order not stored before, `new` None for a deletion (a tombstone, which
    counts for nothing)."""
    wc_id: int
    old: tuple | None
    new: tuple | None

    @property
    def is_new(self) -> bool:
        return self.old is None

    @property
    def old_status(self) -> str | None:
        return self.old[0]["status"] if self.old is not None else None

    @property
    def new_status(self) -> str | None:
        return self.new[0]["status"] if self.new is not None else None

    @property
    def phone(self) -> str | None:
        return self.new[0]["phone"] if self.new is not None else None

    @property
    def items(self) -> list:
        return self.new[1] if self.new is not None else []
