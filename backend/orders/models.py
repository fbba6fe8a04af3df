"""The read model of a shop's WooCommerce orders (WooCommerce stays the source of truth).

Rows are keyed by (site_id, wc_id). Every write goes through backend/orders/service.py
`upsert_orders`, which keeps a row only if it is not older than what is stored
(`date_modified_gmt`), so pushes, backfill and reconciliation can arrive in any order.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow

MONEY = Numeric(12, 2)

# Not sales: a block-checkout cart that never became an order, and orders in the trash.
EXCLUDED_STATUSES = frozenset({"checkout-draft", "trash"})


class Customer(SiteOwned, db.Model):
    """A shopper recognised by normalised phone number, across guest and registered orders."""

    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_site_id_phone", "site_id", "phone", unique=True),)

    phone: Mapped[str] = mapped_column(String(16))  # +8801XXXXXXXXX
    name: Mapped[str | None] = mapped_column(String(200))
    # orders that count as sales (drafts, trash and deleted orders do not): the repeat-customer badge
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    first_order_gmt: Mapped[datetime | None]
    last_order_gmt: Mapped[datetime | None]
    # the latest fraud check of this phone (F1, backend/fraud): the order desk's risk badge
    fraud_risk: Mapped[str | None] = mapped_column(String(10))
    fraud_success_percent: Mapped[int | None] = mapped_column(Integer)
    fraud_checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(SiteOwned, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_site_id_wc_id", "site_id", "wc_id", unique=True),
        # keyset listing, newest first: WHERE site_id = ? AND (date_created_gmt, id) < (?, ?) ORDER BY ... DESC
        Index("ix_orders_site_id_created", "site_id", "date_created_gmt", "id"),
        Index("ix_orders_site_id_status_created", "site_id", "status", "date_created_gmt", "id"),
        Index("ix_orders_site_id_phone", "site_id", "phone"),
        Index("ix_orders_site_id_number", "site_id", "number"),  # the order desk's search (0400)
        Index("ix_orders_phone", "phone"),  # a phone's outcomes across every shop: the fraud check's network counts (0700)
    )

    wc_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str | None] = mapped_column(String(40))
    # WooCommerce's status as it is, core or custom ("shipped", "returned" ...)
    status: Mapped[str] = mapped_column(String(40))
    excluded_from_sales: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str | None] = mapped_column(String(8))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    # WooCommerce's (coupons), plus the discounts of an order made on the desk's manual-order
    # form, which reach WooCommerce as negative fee lines (orders.wire.desk_discount)
    discount_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    shipping_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total_tax: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    # sum of the order's refunds (WooCommerce lists them negative; stored positive)
    refunded_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), server_default="0")
    # the refunds one by one, JSON [[wc refund id, "amount", "UTC time made"], ...], so the dashboard
    # can take each off on its own day (WooCommerce's basis); NULL for orders stored before 0790
    refunds: Mapped[str | None] = mapped_column(Text)
    payment_method: Mapped[str | None] = mapped_column(String(100))
    payment_method_title: Mapped[str | None] = mapped_column(String(200))
    created_via: Mapped[str | None] = mapped_column(String(60))
    wc_customer_id: Mapped[int | None] = mapped_column(BigInteger)  # 0: guest
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    billing_name: Mapped[str | None] = mapped_column(String(200))
    billing_phone: Mapped[str | None] = mapped_column(String(60))  # as typed by the shopper
    phone: Mapped[str | None] = mapped_column(String(16))  # normalised, None when not a valid BD mobile
    billing_email: Mapped[str | None] = mapped_column(String(254))
    billing_address: Mapped[str | None] = mapped_column(String(500))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_state: Mapped[str | None] = mapped_column(String(100))  # WooCommerce's state code (BD-13) or a name
    district: Mapped[str | None] = mapped_column(String(100))  # the state read as a district name
    customer_note: Mapped[str | None] = mapped_column(Text)
    # WooCommerce 8.5+ order attribution (_wc_order_attribution_* meta), when present
    source_type: Mapped[str | None] = mapped_column(String(60))
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    referrer: Mapped[str | None] = mapped_column(String(500))
    # ad network whose click id the plugin captured at checkout (_bikri_fbclid → facebook ...)
    click_source: Mapped[str | None] = mapped_column(String(20))
    date_created_gmt: Mapped[datetime]
    date_modified_gmt: Mapped[datetime]
    date_paid_gmt: Mapped[datetime | None]
    date_completed_gmt: Mapped[datetime | None]
    # when we first saw the order shipped / delivered (cycle time, D3); kept once set
    shipped_gmt: Mapped[datetime | None]
    delivered_gmt: Mapped[datetime | None]
    # the courier the order was booked with ("steadfast"), set by booking (0600); sync never touches it
    courier: Mapped[str | None] = mapped_column(String(30))
    # sha1 of the order as WooCommerce sent it: an equal-time copy with the same hash is a no-op
    content_hash: Mapped[str] = mapped_column(String(40))
    # set when WooCommerce deleted the order for good (a tombstone keeps older events from reviving it)
    deleted_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderItem(SiteOwned, db.Model):
    __tablename__ = "order_items"
    __table_args__ = (Index("ix_order_items_site_id_product_id", "site_id", "product_id"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    wc_item_id: Mapped[int | None] = mapped_column(BigInteger)
    product_id: Mapped[int | None] = mapped_column(BigInteger)  # WooCommerce's product id (0: deleted product)
    variation_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(400))
    sku: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(MONEY)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)


class Product(SiteOwned, db.Model):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_site_id_wc_id", "site_id", "wc_id", unique=True),)

    wc_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(400))
    sku: Mapped[str | None] = mapped_column(String(100))
    type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(40))
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    stock_status: Mapped[str | None] = mapped_column(String(40))
    stock_quantity: Mapped[int | None] = mapped_column(Integer)
    date_modified_gmt: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderStatusDelta(db.Model):
    """The desk's status tab counts on PostgreSQL: statement triggers on orders (0810) append how
    many live orders each statement added to or took from a shop's status; the count is the sum.
    Nothing in Python writes here except the job that folds the rows together."""

    __tablename__ = "order_status_deltas"
    __table_args__ = (Index("ix_order_status_deltas_site_id_status", "site_id", "status"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(40))
    delta: Mapped[int] = mapped_column(BigInteger)
