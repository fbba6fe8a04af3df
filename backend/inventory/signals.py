"""What the inventory read model announces, for the features that follow a product's stock and
price (the wishlist's back-in-stock and price-drop alerts). Inventory never imports them.

Sent inside the writer's transaction, before it commits (a listener's writes commit or roll back
with the change), with the site's id as sender, once per write (a reconciliation page is one
signal). A listener never commits and never calls anything remote.
"""
from dataclasses import dataclass
from decimal import Decimal

from blinker import Namespace

signals = Namespace()

# items_changed(site_id, changes=[ItemChange]) — sent by `upsert_items` (products read from
# WooCommerce, batches) and `apply_stock_events` (the plugin's stock hooks) for the stored items
# whose stock status or price moved. An item stored for the first time is not a change.
items_changed = signals.signal("items-changed")


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One product or variation whose stock status or price moved; `version` is the stored
    stock_version that moved it (a restock or a price drop is told once per version)."""
    wc_id: int
    parent_wc_id: int
    name: str
    old_stock_status: str | None
    new_stock_status: str | None
    old_price: Decimal | None
    new_price: Decimal | None
    version: int

    @property
    def back_in_stock(self) -> bool:
        return self.old_stock_status not in ("instock", None) and self.new_stock_status == "instock"

    @property
    def price_dropped(self) -> bool:
        return self.old_price is not None and self.new_price is not None and self.new_price < self.old_price
