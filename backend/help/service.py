"""The help centre (H1): operators write articles, shops read the published ones, search
them, and each page's "?" leads to the article about it. Articles belong to no shop: every
shop reads the same ones, and only the operators' console writes them."""
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import load_only

from backend.extensions import db
from backend.help import markdown, search
from backend.help.models import HelpArticle
from backend.clock import utcnow


class HelpError(ValueError):
    pass


def _taken(article: HelpArticle | None, **same) -> bool:
    query = select(HelpArticle.id).filter_by(**same)
    if article is not None:
        query = query.where(HelpArticle.id != article.id)
    return db.session.execute(query).first() is not None


def save_article(article: HelpArticle | None, data: dict, by: str) -> HelpArticle:
    """Create (article None) or change an article from the console's validated form."""
    if _taken(article, slug=data["slug"], language=data["language"]):
        raise HelpError(_("An article with this link name exists in this language already."))
    if data["page_key"] and _taken(article, page_key=data["page_key"], language=data["language"]):
        raise HelpError(_("Another article in this language explains this page already."))
    if article is None:
        article = HelpArticle(published=False)
        db.session.add(article)
    for field in ("slug", "language", "title", "body", "page_key"):
        setattr(article, field, data[field])
    article.search_text = markdown.plain_text(data["body"])
    article.updated_by = by[:254]
    db.session.flush()
    return article


def set_published(article: HelpArticle, published: bool) -> HelpArticle:
    if published and not article.published:
        article.published_at = utcnow()
    article.published = published
    db.session.flush()
    return article


def all_articles() -> list[HelpArticle]:
    """Every article for the console, drafts too, each translation beside its pair."""
    return list(db.session.execute(select(HelpArticle).order_by(HelpArticle.slug, HelpArticle.language)).scalars())


def other_language(article: HelpArticle) -> HelpArticle | None:
    """The article's version in the other language, drafts too (the console links the two)."""
    return db.session.execute(select(HelpArticle).where(
        HelpArticle.slug == article.slug, HelpArticle.language != article.language)).scalars().first()


# --- what shops read -------------------------------------------------------------------------------


def _in_language_first(articles, language: str) -> list[HelpArticle]:
    """One article per slug: the one in `language` where it is published, else its translation."""
    chosen: dict[str, HelpArticle] = {}
    for article in articles:
        if article.slug not in chosen or article.language == language:
            chosen[article.slug] = article
    return sorted(chosen.values(), key=lambda article: article.title.lower())


def published_articles(language: str) -> list[HelpArticle]:
    """The list of titles (the bodies stay in the database)."""
    rows = db.session.execute(select(HelpArticle).where(HelpArticle.published.is_(True)).options(
        load_only(HelpArticle.slug, HelpArticle.language, HelpArticle.title))).scalars()
    return _in_language_first(rows, language)


def published_article(article_id: int) -> HelpArticle | None:
    return db.session.execute(select(HelpArticle).where(
        HelpArticle.id == article_id, HelpArticle.published.is_(True))).scalar_one_or_none()


def translations(article: HelpArticle) -> list[HelpArticle]:
    """The same article's published versions in the other languages."""
    return list(db.session.execute(select(HelpArticle).where(
        HelpArticle.slug == article.slug, HelpArticle.language != article.language,
        HelpArticle.published.is_(True)).order_by(HelpArticle.language)).scalars())


def article_for_page(page_key: str | None, language: str) -> HelpArticle | None:
    """The published article about a page, in the reader's language when there is one."""
    if not page_key:
        return None
    rows = db.session.execute(select(HelpArticle).where(
        HelpArticle.page_key == page_key, HelpArticle.published.is_(True))).scalars()
    found = _in_language_first(rows, language)
    return found[0] if found else None


def search_published(query: str, limit: int = 20) -> list[tuple[HelpArticle, Markup]]:
    """Published articles matching `query` in either language, best first, each with a snippet."""
    hits = search.search(query, published_only=True, limit=limit)
    by_id = {article.id: article for article in db.session.execute(
        select(HelpArticle).where(HelpArticle.id.in_([hit.article_id for hit in hits]))).scalars()}
    terms = search.query_terms(query)
    return [(by_id[hit.article_id], search.snippet(by_id[hit.article_id].search_text, terms))
            for hit in hits if hit.article_id in by_id]


def render_markdown(body: str) -> Markup:
    """Safe HTML for an article's Markdown (the console's preview and the shops' pages)."""
    return markdown.render(body)

