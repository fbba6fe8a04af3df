"""Inventory (issue 23): the shop's products and variations as WooCommerce has them, their
low-stock crossings, and batches of stock and price changes (with what each row was before,
for undo)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow

MONEY = Numeric(12, 2)


class StockItem(SiteOwned, db.Model):
    """A product or one of its variations (WooCommerce gives both ids from one sequence, so
    `wc_id` is unique per shop). `parent_wc_id` is 0 for a product."""

    __tablename__ = "stock_items"
    __table_args__ = (
        Index("ix_stock_items_site_id_wc_id", "site_id", "wc_id", unique=True),
        Index("ix_stock_items_site_id_sku", "site_id", "sku"),
        Index("ix_stock_items_site_id_name", "site_id", "name", "id"),
        Index("ix_stock_items_site_id_last_sold", "site_id", "last_sold_at", "id"),
    )

    wc_id: Mapped[int] = mapped_column(BigInteger)
    parent_wc_id: Mapped[int] = mapped_column(BigInteger, default=0)
    type: Mapped[str] = mapped_column(String(40), default="simple")  # simple | variable | variation | ...
    name: Mapped[str] = mapped_column(String(400))
    sku: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(40))
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    regular_price: Mapped[Decimal | None] = mapped_column(MONEY)
    sale_price: Mapped[Decimal | None] = mapped_column(MONEY)
    cost_price: Mapped[Decimal | None] = mapped_column(MONEY)  # from a cost-of-goods plugin's meta, when kept
    manage_stock: Mapped[bool] = mapped_column(default=False)
    stock_quantity: Mapped[int | None] = mapped_column(Integer)
    stock_status: Mapped[str | None] = mapped_column(String(40))
    categories: Mapped[str | None] = mapped_column(Text)  # JSON list of names
    image_url: Mapped[str | None] = mapped_column(Text)
    # None: the shop's default threshold
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    date_modified_gmt: Mapped[datetime | None]
    # the version of the stock figures stored: microseconds since the epoch of the product's
    # date_modified_gmt (backfill, reconciliation) or of the plugin's stock event; older loses
    stock_version: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sold_at: Mapped[datetime | None]
    # units sold on the (Dhaka) days from `sold_since` to today (item_sales_days summed): moved by
    # order_stored for those days, summed again when a day leaves the 30 days (the roll_sales_windows job)
    units_sold_30: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sold_since: Mapped[date | None]
    deleted_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class InventorySettings(db.Model):
    __tablename__ = "inventory_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    default_threshold: Mapped[int] = mapped_column(Integer, default=5)
    # warn "runs out in N days" when the 30 days' sales leave fewer days of cover than this
    cover_days: Mapped[int] = mapped_column(Integer, default=7)
    alert_phone: Mapped[str | None] = mapped_column(String(20))  # the owner's mobile; None: in-app only
    alert_email: Mapped[str | None] = mapped_column(String(254))  # the owner's address; None: no email
    # reconciliation: products modified after this were read (WooCommerce's modified_after)
    reconciled_until: Mapped[datetime | None]
    backfilled_at: Mapped[datetime | None]


class LowStockCrossing(SiteOwned, db.Model):
    """An item fell to or below its threshold: one row per crossing, `reset_at` set when the stock
    rose above it again. One alert per row, never per order."""

    __tablename__ = "low_stock_crossings"
    __table_args__ = (Index("ix_low_stock_crossings_site_id_item_id", "site_id", "item_id", "reset_at"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("stock_items.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    crossed_at: Mapped[datetime] = mapped_column(default=utcnow)
    alert: Mapped[str] = mapped_column(String(20), default="none")  # sms | none | failed
    # the owner's email about it, sent by a worker: none | queued | sending | sent | failed
    email_alert: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    reset_at: Mapped[datetime | None]


class StockBatch(SiteOwned, db.Model):
    """A batch of stock/price changes sent to WooCommerce by a job; `undo_of` a batch it reverts."""

    __tablename__ = "stock_batches"
    __table_args__ = (Index("ix_stock_batches_site_id_id", "site_id", "id"),)

    job_id: Mapped[int | None] = mapped_column(ForeignKey("work_jobs.id"))
    source: Mapped[str] = mapped_column(String(10), default="grid")  # grid | csv | undo
    undo_of: Mapped[int | None] = mapped_column(ForeignKey("stock_batches.id"))
    undone: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockBatchRow(SiteOwned, db.Model):
    """One item of a batch: what it was when loaded (for the conflict check and undo), what it
    is asked to become, and what WooCommerce said."""

    __tablename__ = "stock_batch_rows"
    __table_args__ = (Index("ix_stock_batch_rows_batch_id_id", "batch_id", "id"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batches.id", ondelete="CASCADE"))
    wc_id: Mapped[int] = mapped_column(BigInteger)
    parent_wc_id: Mapped[int] = mapped_column(BigInteger, default=0)
    sku: Mapped[str | None] = mapped_column(String(100))
    loaded_modified: Mapped[str | None] = mapped_column(String(30))  # date_modified_gmt the editor saw
    old_stock: Mapped[int | None] = mapped_column(Integer)
    old_regular_price: Mapped[Decimal | None] = mapped_column(MONEY)
    old_sale_price: Mapped[Decimal | None] = mapped_column(MONEY)
    new_stock: Mapped[int | None] = mapped_column(Integer)
    new_regular_price: Mapped[Decimal | None] = mapped_column(MONEY)
    new_sale_price: Mapped[Decimal | None] = mapped_column(MONEY)
    set_sale_price: Mapped[bool] = mapped_column(default=False)  # a sale price asked (None = remove it)
    outcome: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | refused | failed
    message: Mapped[str | None] = mapped_column(Text)


class StockAgingDelta(db.Model):
    """The aging report's bucket totals on PostgreSQL: statement triggers on stock_items (1030)
    append what each statement added to or took from the stock on hand last sold on a (Dhaka)
    day; a day's totals are the sums. `sold_day` 0001-01-01: never sold. Nothing in Python
    writes here except the job that folds the rows together (as the desk's order_status_deltas)."""

    __tablename__ = "stock_aging_deltas"
    __table_args__ = (Index("ix_stock_aging_deltas_site_id_sold_day", "site_id", "sold_day"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    sold_day: Mapped[date]
    items: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(BigInteger)
    value_poisha: Mapped[int] = mapped_column(BigInteger)  # units x (cost price, else price), in poisha


class ItemSalesDay(db.Model):
    """Units of a product or variation sold on a (Dhaka) day, kept from order_stored: an order
    adds its lines on its day; cancelled, refunded, returned or deleted, it takes them back. Days
    of cover read the last 30 of these (not the orders)."""

    __tablename__ = "item_sales_days"
    __table_args__ = (Index("ix_item_sales_days_site_id_day", "site_id", "day", "wc_id", "quantity"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    wc_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
