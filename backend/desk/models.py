"""Order tags (O6): a shop's own labels on orders, kept only in Bikri (WooCommerce has none)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.timeutil import utcnow


class OrderTag(db.Model):
    __tablename__ = "order_tags"
    __table_args__ = (Index("ix_order_tags_site_id_name", "site_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(String(40))
    colour: Mapped[str] = mapped_column(String(7), default="#2271b1")  # #rrggbb
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderTagLink(db.Model):
    """A tag on an order. site_id is repeated so every query stays scoped without a join."""

    __tablename__ = "order_tag_links"
    __table_args__ = (
        # filter by tag: the tag's orders, then the orders' keyset index does the ordering
        Index("ix_order_tag_links_site_id_tag_id_order_id", "site_id", "tag_id", "order_id"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("order_tags.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
