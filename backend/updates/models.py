"""Plugin releases (P8): the zips the operators upload, signed by the service, and how far each
one is rolled out."""
from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.clock import utcnow


class ReleaseStatus:
    LIVE = "live"  # offered to the shops in its rollout
    WITHDRAWN = "withdrawn"  # rolled back: offered to nobody


class PluginRelease(db.Model):
    __tablename__ = "plugin_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    changelog: Mapped[str] = mapped_column(Text, default="")  # plain text, shown escaped
    # the zip itself, loaded only by the download (a few hundred KB)
    package: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Ed25519 over the zip's bytes, base64; the plugin checks it with the public key it ships
    signature: Mapped[str] = mapped_column(String(100))
    signing_key: Mapped[str] = mapped_column(String(60))  # the public key it was signed with, base64
    requires_wp: Mapped[str | None] = mapped_column(String(20))
    requires_php: Mapped[str | None] = mapped_column(String(20))
    rollout_percent: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default=ReleaseStatus.LIVE)
    uploaded_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
