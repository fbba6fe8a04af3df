from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.clock import utcnow


class LicenseStatus:
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"  # never stored: derived from expires_at

    STORED = (ACTIVE, SUSPENDED, REVOKED)


class License(db.Model):
    __tablename__ = "licenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(16))  # last group of the key, to recognise it in lists
    email: Mapped[str] = mapped_column(String(254))
    plan: Mapped[str] = mapped_column(String(40), default="standard")
    sites_allowed: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default=LicenseStatus.ACTIVE)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sites: Mapped[list["Site"]] = relationship(back_populates="license", order_by="Site.id")

    def effective_status(self, now: datetime | None = None) -> str:
        if self.status != LicenseStatus.ACTIVE:
            return self.status
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return LicenseStatus.EXPIRED
        return LicenseStatus.ACTIVE

    @property
    def is_usable(self) -> bool:
        return self.effective_status() == LicenseStatus.ACTIVE

    @property
    def active_sites(self) -> list["Site"]:
        return [site for site in self.sites if site.is_active]


class Site(db.Model):
    __tablename__ = "sites"
    __table_args__ = (Index("ix_sites_license_id_url_key", "license_id", "url_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    # scheme-less identity of the shop: a shop that moves from http to https stays one site
    url_key: Mapped[str] = mapped_column(String(500))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    wc_consumer_key_enc: Mapped[str | None] = mapped_column(String(500))
    wc_consumer_secret_enc: Mapped[str | None] = mapped_column(String(500))
    activated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    # the WordPress site title and locale the plugin reports (activation, config pulls): the shop's
    # name in its SMS and the language of what Bikri writes into WooCommerce; NULL until reported
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))

    license: Mapped[License] = relationship(back_populates="sites")

    @property
    def is_active(self) -> bool:
        return self.token_hash is not None

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"
