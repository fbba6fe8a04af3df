"""Order tags (O6): a shop's own labels on orders, kept only in Bikri (WooCommerce has none)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow


class OrderTag(SiteOwned, db.Model):
    __tablename__ = "order_tags"
    __table_args__ = (Index("ix_order_tags_site_id_name", "site_id", "name", unique=True),)

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


# --- order tasks (T3): who works an order, by when, and what the customer said on the phone ---

class StaffMember(SiteOwned, db.Model):
    """A WordPress user the shop has seen open a Bikri page: the people orders are assigned to.
    Kept (tickets are purged after a day) and refreshed each time the user opens a page."""

    __tablename__ = "staff_members"
    __table_args__ = (Index("ix_staff_members_site_id_wp_user_id", "site_id", "wp_user_id", unique=True),)

    wp_user_id: Mapped[int]
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderAssignment(db.Model):
    """An order's current assignee (one per order; reassigning overwrites), and when it is due."""

    __tablename__ = "order_assignments"
    __table_args__ = (Index("ix_order_assignments_site_id_assignee", "site_id", "assignee_wp_user_id"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    assignee_wp_user_id: Mapped[int]
    due_at: Mapped[datetime | None]  # UTC
    assigned_by: Mapped[str] = mapped_column(String(120))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneConfirmation(SiteOwned, db.Model):
    """One call to the customer about an order and its outcome. Every call is kept; the order's
    latest call is its confirmation state."""

    __tablename__ = "phone_confirmations"
    __table_args__ = (
        Index("ix_phone_confirmations_site_id_order_id_id", "site_id", "order_id", "id"),
        Index("ix_phone_confirmations_site_id_created_at", "site_id", "created_at"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))  # confirmed | no_answer | wrong_number | cancelled
    note: Mapped[str] = mapped_column(String(500), default="")
    by_wp_user_id: Mapped[int | None]  # None: through the API
    by_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderTaskSettings(db.Model):
    """A shop's order-task settings: booking only orders the customer confirmed by phone."""

    __tablename__ = "order_task_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    require_phone_confirmation: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime | None]
