"""Live chat (H2): a shop's chat settings, its visitors' conversations and their messages."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import SiteOwned
from backend.extensions import db
from backend.clock import utcnow


class ChatSettings(db.Model):
    """One row per shop that opened the Live chat page; no row means the chat box is off."""
    __tablename__ = "livechat_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # public: names the shop in the storefront's chat requests (the site id would let anyone
    # walk every shop's chat); changed only by making a new one
    shop_key: Mapped[str] = mapped_column(String(32), unique=True)
    # the shop's own greeting above the box ('' for the plugin's translated default)
    greeting: Mapped[str] = mapped_column(String(300), default="")
    # when a staff member last had the inbox open: the box offers "leave your number" after a while
    staff_seen_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))


class ChatConversation(SiteOwned, db.Model):
    """One visitor's conversation with the shop; the visitor holds its token (stored hashed)."""
    __tablename__ = "livechat_conversations"
    __table_args__ = (Index("ix_livechat_conversations_site_id_last_message_id", "site_id", "last_message_id"),
                      Index("ix_livechat_conversations_site_id_ip_key", "site_id", "ip_key", "created_at"))

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    visitor_name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str | None] = mapped_column(String(16))
    # the storefront page the visitor wrote from (shown to staff: "asking about this product")
    page_url: Mapped[str] = mapped_column(String(500), default="")
    ip_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_id: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # visitor messages no staff member has opened yet
    staff_unread: Mapped[int] = mapped_column(default=0)


class ChatMessage(SiteOwned, db.Model):
    __tablename__ = "livechat_messages"
    __table_args__ = (Index("ix_livechat_messages_conversation_id_id", "conversation_id", "id"),
                      Index("ix_livechat_messages_site_id_id", "site_id", "id"))

    conversation_id: Mapped[int] = mapped_column(ForeignKey("livechat_conversations.id"))
    sender: Mapped[str] = mapped_column(String(8))  # visitor | staff
    body: Mapped[str] = mapped_column(Text)
    staff_name: Mapped[str | None] = mapped_column(String(120))
    # written while no staff member had the inbox open (the visitor was asked for a number)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
