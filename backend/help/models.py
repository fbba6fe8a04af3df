"""The help centre (H1): articles the operators write in the console, one row per language.

An article in Bangla and its English version are two rows sharing a `slug`: each language has
its own title, body, page and publish switch (a translation can wait while the other is out),
and each row is one document in the search index, so a search runs in one language's words."""
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.clock import utcnow

LANGUAGES = ("bn", "en")


class HelpArticle(db.Model):
    __tablename__ = "help_articles"
    __table_args__ = (
        UniqueConstraint("slug", "language", name="uq_help_articles_slug_language"),
        # the "?" of a page leads to one article in each language
        UniqueConstraint("page_key", "language", name="uq_help_articles_page_key_language"),
        Index("ix_help_articles_published", "published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered safely on every view
    # the body as plain words (no Markdown marks): what the search indexes and quotes in snippets
    search_text: Mapped[str] = mapped_column(Text, default="")
    page_key: Mapped[str | None] = mapped_column(String(40))  # the embed page it explains, e.g. "couriers"
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
