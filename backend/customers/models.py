"""Customers (U1) and SMS campaigns.

`customer_stats` is the read model of one customer per phone (backend/orders' `customers` row,
whose id it shares): counts, spend and dates computed from the customer's orders, kept exact by
the listeners (`order_stored`, `parcel_changed`, `bulk_loaded`) and rebuilt for a whole shop by
`stats.rebuild_site`. Campaigns send one text to a segment or an uploaded list of phones; each
recipient is a row unique by (campaign, phone), so nobody is sent one campaign twice.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow

MONEY = Numeric(12, 2)


class CustomerStats(db.Model):
    __tablename__ = "customer_stats"
    __table_args__ = (
        # the list, latest order first, and each filter beside it (keyset: last order, id)
        Index("ix_customer_stats_site_last", "site_id", "last_order_gmt", "customer_id"),
        Index("ix_customer_stats_site_segment_last", "site_id", "segment", "last_order_gmt", "customer_id"),
        Index("ix_customer_stats_site_district_last", "site_id", "district", "last_order_gmt", "customer_id"),
        # the list by spend or by orders (keyset: key, id), and those filters' ranges; the last
        # order rides along so a last-order filter by spend or by orders is tested in the index
        # (segments.list_customers reads the page's ids index-only, then only the page's rows)
        Index("ix_customer_stats_site_spend_id", "site_id", "spend", "customer_id",
              postgresql_include=["last_order_gmt"]),
        Index("ix_customer_stats_site_orders_id", "site_id", "orders", "customer_id",
              postgresql_include=["last_order_gmt"]),
        # a segment by spend or by orders: walking the whole list's order and skipping the other
        # segments read 22,000–240,000 rows a page at 300,000 customers (a segment's spend and
        # orders are far from the shop's: "promising" customers are not the biggest spenders)
        Index("ix_customer_stats_site_segment_spend", "site_id", "segment", "spend", "customer_id"),
        Index("ix_customer_stats_site_segment_orders", "site_id", "segment", "orders", "customer_id"),
        Index("ix_customer_stats_site_phone", "site_id", "phone", unique=True),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    phone: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    # the latest WooCommerce account id among the phone's orders (None: only guest orders)
    wc_customer_id: Mapped[int | None] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    spend: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    first_order_gmt: Mapped[datetime | None]
    last_order_gmt: Mapped[datetime | None]
    district: Mapped[str | None] = mapped_column(String(100))
    segment: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerTag(SiteOwned, db.Model):
    """A customer's tag, with a copy of the customer's sort keys (customer_stats' last order,
    spend and orders; None while the customer has no row there), so the list filtered by a tag
    walks (site, tag, key, id) in the sort's order and stops after a page. stats.refresh and
    set_tags keep the copies equal to customer_stats'."""
    __tablename__ = "customer_tags"
    __table_args__ = (
        UniqueConstraint("customer_id", "tag", name="uq_customer_tags_customer_tag"),
        Index("ix_customer_tags_site_tag_last", "site_id", "tag", "last_order_gmt", "customer_id"),
        Index("ix_customer_tags_site_tag_spend", "site_id", "tag", "spend", "customer_id"),
        Index("ix_customer_tags_site_tag_orders", "site_id", "tag", "orders", "customer_id"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_order_gmt: Mapped[datetime | None]
    spend: Mapped[Decimal | None] = mapped_column(MONEY)
    orders: Mapped[int | None] = mapped_column(Integer)


class CustomerProduct(db.Model):
    """A product a customer bought (in one of the sales orders customer_stats counts), with a
    copy of the customer's sort keys: the list filtered by a product walks (site, product, key,
    id) in the sort's order and stops after a page. Kept by stats.refresh / rebuild_site, exact
    against the orders (tests/customers/test_kept_filters.py)."""
    __tablename__ = "customer_products"
    __table_args__ = (
        Index("ix_customer_products_site_product_last", "site_id", "product_id", "last_order_gmt", "customer_id"),
        Index("ix_customer_products_site_product_spend", "site_id", "product_id", "spend", "customer_id"),
        Index("ix_customer_products_site_product_orders", "site_id", "product_id", "orders", "customer_id"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    last_order_gmt: Mapped[datetime | None]
    spend: Mapped[Decimal] = mapped_column(MONEY)
    orders: Mapped[int] = mapped_column(Integer)


class SavedSegment(SiteOwned, db.Model):
    __tablename__ = "customer_segments"
    __table_args__ = (UniqueConstraint("site_id", "name", name="uq_customer_segments_site_name"),)

    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[str] = mapped_column(Text)  # JSON, segments.FILTERS
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsOptOut(SiteOwned, db.Model):
    """Phones that asked this shop for no more marketing SMS (campaigns skip them)."""
    __tablename__ = "sms_opt_outs"
    __table_args__ = (UniqueConstraint("site_id", "phone", name="uq_sms_opt_outs_site_phone"),)

    phone: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(SiteOwned, db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_site_id_created", "site_id", "created_at"),
                      Index("ix_campaigns_status_scheduled", "status", "scheduled_at"))

    name: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)  # as sent, the opt-out line included
    opt_out_line: Mapped[bool] = mapped_column(Boolean, default=True)
    audience: Mapped[str] = mapped_column(Text)  # JSON: {"segment": ...} | {"saved": id} | {"filters": {...}} | {"csv": n}
    # scheduled | queueing | sending | paused | done | failed | cancelled
    status: Mapped[str] = mapped_column(String(12))
    scheduled_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int] = mapped_column(Integer, default=0)  # SMS per message
    unit_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    unit_gateway_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    encoding: Mapped[str] = mapped_column(String(10), default="gsm")
    total_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))  # debited at start
    job_id: Mapped[int | None] = mapped_column(ForeignKey("work_jobs.id"))
    error: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CampaignRecipient(db.Model):
    __tablename__ = "campaign_recipients"
    __table_args__ = (UniqueConstraint("campaign_id", "phone", name="uq_campaign_recipients_campaign_phone"),
                      Index("ix_campaign_recipients_campaign_status", "campaign_id", "status"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    phone: Mapped[str] = mapped_column(String(16))
    # queued | sending | sent | failed | opted_out
    status: Mapped[str] = mapped_column(String(10), default="queued")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("sms_messages.id"))
