from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.licensing.models import Site


class EmbedTicket(db.Model):
    __tablename__ = "embed_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    wp_user_id: Mapped[int]
    display_name: Mapped[str] = mapped_column(String(100))
    wp_role: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    page: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    admin_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]

    site: Mapped[Site] = relationship()


class RoleMatrix(db.Model):
    """A shop's own role matrix (T1); no row = the defaults of backend/embed/roles.py.
    `grants`: JSON {permission: [Bikri roles]}; `wordpress`: JSON {WordPress role: Bikri role}."""
    __tablename__ = "role_matrices"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    grants: Mapped[str] = mapped_column(Text)
    wordpress: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(120), default="")
