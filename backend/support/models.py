"""Support chat (H2) between a shop and Bikri's operators: one conversation per shop, its messages
(text and an optional image), each side's read marker, the operators' alert settings and the
alert SMS sent when nobody on the operators' side was online."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.sms.models import GatewayDelivery
from backend.clock import utcnow


class Side:
    SHOP = "shop"
    OPERATOR = "operator"


class Conversation(db.Model):
    """One per shop, made with its first message. The read markers are message ids: everything
    from the other side above a side's marker is unread for that side."""

    __tablename__ = "support_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), unique=True)
    last_message_id: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    shop_read_id: Mapped[int] = mapped_column(default=0)
    operator_read_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(SiteOwned, db.Model):
    __tablename__ = "support_messages"
    # the poll's "since" query and the unread counts: one conversation's messages above an id
    __table_args__ = (Index("ix_support_messages_conversation_id_id", "conversation_id", "id"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id"))
    side: Mapped[str] = mapped_column(String(10))  # Side.SHOP | Side.OPERATOR
    # who wrote it: the WordPress user as the embed knows them, or the operator's email
    author_name: Mapped[str] = mapped_column(String(120))
    wp_user_id: Mapped[int | None] = mapped_column(Integer)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(SiteOwned, db.Model):
    """An image of a message, kept in the database: every web process sees it, it goes with
    the shop's other rows, and nothing a shop sends is ever written to a path."""

    __tablename__ = "support_attachments"
    __table_args__ = (Index("ix_support_attachments_message_id", "message_id"),)

    message_id: Mapped[int] = mapped_column(ForeignKey("support_messages.id"))
    content_type: Mapped[str] = mapped_column(String(20))  # from the bytes, never from the upload
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupportDesk(db.Model):
    """The operators' side, one row (id 1): the phone the offline alert goes to, how long
    without a poll of a console support page counts as nobody online, when an operator's page
    last polled, and when the last alert was claimed."""

    __tablename__ = "support_desk"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_phone: Mapped[str | None] = mapped_column(String(16))
    quiet_minutes: Mapped[int] = mapped_column(default=5)
    operator_seen_at: Mapped[datetime | None]
    alerted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))


class OperatorAlert(SiteOwned, GatewayDelivery, db.Model):
    """One offline alert SMS: Bikri's own, to its operators, charged to no shop's wallet. The shop
    whose message started the quiet period's alert is named; queued -> sending -> sent | failed."""

    __tablename__ = "support_operator_alerts"
    GATEWAY_ID_PREFIX = "bikri-support-"  # not an SMS message's `bikri-<id>`

    message_id: Mapped[int] = mapped_column(ForeignKey("support_messages.id"))
    phone: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
