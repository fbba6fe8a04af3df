"""Per-site daily rollups of the orders read model (Asia/Dhaka calendar days), and sales targets.

Every rollup row is a sum of per-order contributions (backend/dashboard/rollups.py). The one
order upsert adds the difference between an order's new and old contribution in the same
transaction, so widgets read a few hundred rows instead of scanning orders. Money is stored
as whole ten-thousandths (backend.money.Money): SUM stays exact on SQLite too, which has no
decimal type. Keys are NOT NULL ('' for "not known") because unique keys treat NULLs as distinct.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.money import Money
from backend.clock import utcnow


class DayRollup:
    """A rollup row of one shop's Dhaka calendar day: its primary key starts with site_id and
    day, the rollup's own key columns (rollups.KEYS) follow."""

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True, sort_order=-2)
    day: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=-1)


class OrderMeasures:
    """What orders brought: how many, and their totals, subtotals, discounts, shipping and
    refunds, summed (by the day placed and status in DayStatus, by the day paid in DayPaid)."""

    orders: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    shipping: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


class DayStatus(DayRollup, OrderMeasures, db.Model):
    """Orders and money by day and WooCommerce status (D1, D4, D7, D8, D9)."""

    __tablename__ = "dash_day_status"

    status: Mapped[str] = mapped_column(String(40), primary_key=True)
    # orders with a customer recognised by phone (returning vs new customers)
    customer_orders: Mapped[int] = mapped_column(Integer, default=0)
    # revenue (total − refunds) of the orders whose parcel was delivered: what the sales really
    # brought with cash on delivery (the profit widget's delivered return on ad spend)
    delivered_revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")


class DayPaid(DayRollup, OrderMeasures, db.Model):
    """Orders and money the way WooCommerce Analytics counts them (its "date paid" date type), so
    an owner can reconcile the two: orders by the Dhaka day they were paid, refunded orders
    included, and refunds taken off on the day each was made (`refunded` is keyed by the refund's
    day, not the order's). Orders in WooCommerce's default excluded statuses (pending, failed,
    cancelled) count nowhere, nor do their refunds."""

    __tablename__ = "dash_day_paid"


class DaySource(DayRollup, db.Model):
    """Sales by day and where the order came from (D2, D11). Only orders that count as sales."""

    __tablename__ = "dash_day_source"

    source_type: Mapped[str] = mapped_column(String(60), primary_key=True)
    utm_source: Mapped[str] = mapped_column(String(200), primary_key=True)
    utm_medium: Mapped[str] = mapped_column(String(200), primary_key=True)
    utm_campaign: Mapped[str] = mapped_column(String(200), primary_key=True)
    referrer_host: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_via: Mapped[str] = mapped_column(String(60), primary_key=True)
    click_source: Mapped[str] = mapped_column(String(20), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # of those, the orders whose parcel was delivered and their revenue (total − refunds): D11's
    # delivered return on ad spend by campaign. A sale that stops being one (returned after
    # delivery, refunded, cancelled, trashed, deleted) takes its share back like `orders`.
    delivered_orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivered_revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")


class ProductMeasures:
    """What a product sold: in how many orders, how many units, for how much (line totals)."""

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # 0: unknown or deleted product
    orders: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


class DayProduct(DayRollup, ProductMeasures, db.Model):
    """Units and line revenue by day and product (D6). Only orders that count as sales."""

    __tablename__ = "dash_day_product"


class MonthProduct(ProductMeasures, db.Model):
    """DayProduct summed by Dhaka calendar month (`month` = its first day): a year's top
    products read ~12 × products rows plus the partial months' days, not a row per product-day."""

    __tablename__ = "dash_month_product"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class DayCycle(DayRollup, db.Model):
    """How long orders placed on `day` took to reach a stage, as a histogram of whole hours (D3)."""

    __tablename__ = "dash_day_cycle"

    stage: Mapped[str] = mapped_column(String(20), primary_key=True)  # shipped, delivered, transit
    hours: Mapped[int] = mapped_column(Integer, primary_key=True)  # a bin's lower bound (rollups.BINS), MAX_HOURS for longer
    orders: Mapped[int] = mapped_column(Integer, default=0)


class DayCustomers(DayRollup, db.Model):
    """Customers whose first order (that counts for the repeat badge) was placed on `day` (D9, D10)."""

    __tablename__ = "dash_day_customers"

    new_customers: Mapped[int] = mapped_column(Integer, default=0)


class SalesTarget(db.Model):
    """A monthly sales target (D8); `month` is the first day of the Dhaka calendar month."""

    __tablename__ = "dash_sales_targets"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    set_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


COST_CATEGORIES = ("ads", "packaging", "product", "delivery", "other")


class Cost(SiteOwned, db.Model):
    """Money the shop spent (D12): ad spend, packaging, product cost, delivery, other. Entered by
    hand for a Dhaka calendar day, so the profit widget subtracts it from that day's sales."""

    __tablename__ = "dash_costs"
    __table_args__ = (Index("ix_dash_costs_site_id_day", "site_id", "day"),)

    day: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))  # one of COST_CATEGORIES
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DayParcels(DayRollup, db.Model):
    """Parcels by the Dhaka day they were booked, courier and status (D12 cash). Kept exact like
    the order rollups: booking adds a parcel's contribution and every status change moves it,
    in the same transaction (rollups.apply_parcel_changes)."""

    __tablename__ = "dash_day_parcels"

    courier: Mapped[str] = mapped_column(String(30), primary_key=True)
    status: Mapped[str] = mapped_column(String(40), primary_key=True)
    parcels: Mapped[int] = mapped_column(Integer, default=0)
    cod: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # booked to collect
    collected: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # couriers say they collected
    # parcels whose collected amount is known (a partial delivery's only once the courier reports it)
    collected_known: Mapped[int] = mapped_column(Integer, default=0)


class AdSpend(SiteOwned, db.Model):
    """What the shop spent on one ad campaign over a reporting range (D11, return on ad spend):
    entered by hand or imported from Meta Ads Manager's CSV export. A range's spend counts
    evenly per day, so a widget's range takes its share."""

    __tablename__ = "dash_ad_spend"
    __table_args__ = (Index("ix_dash_ad_spend_site_id_end_day", "site_id", "end_day"),)

    network: Mapped[str] = mapped_column(String(20), default="facebook")
    campaign: Mapped[str] = mapped_column(String(200))
    start_day: Mapped[date] = mapped_column(Date)
    end_day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual | csv
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
