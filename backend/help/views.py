"""The help centre in the shop's pages (H1): the Help page (search, the list, an article) and
the "?" in every page's top bar, which opens the article about that page."""
from urllib.parse import quote

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError

from backend.embed.pages import EmbedPage, register_help_link, register_page
from backend.embed.routes import require_user
from backend.help import service
from backend.help.schemas import SearchArgsSchema

blp = Blueprint("help", __name__, url_prefix="/embed/help", template_folder="templates")

HELP_SLUG = "bikri-help"


def _article_context(article):
    return {"article": article, "body": service.render_markdown(article.body), "translations": service.translations(article)}


def _page_context(user) -> dict:
    # the plugin passes the "?"'s topic (the page it was pressed on) on to the Help page
    topic = request.args.get("topic", "")[:40]
    article = service.article_for_page(topic, user.locale)
    if article is not None:
        return {"query": "", **_article_context(article)}
    return {"query": "", "articles": service.published_articles(user.locale), "topic_missing": bool(topic)}


register_page(EmbedPage("help", _l("Help"), template="help/help.html", context=_page_context))


def _help_link(user, page_name):
    """The Help page opened at the article about `page_name`, or at its search when none exists."""
    url = user.wp_page_url(HELP_SLUG)
    if page_name and page_name != "help" and service.article_for_page(page_name, user.locale) is not None:
        url += f"&topic={quote(page_name)}"
    return url


register_help_link(_help_link)


@blp.get("/search")
def search():
    user = require_user()
    try:
        query = SearchArgsSchema().load(request.args)["q"]
    except ValidationError:
        abort(400, description=_("Search with at most %(n)s characters.", n=200))
    if not query.strip():
        return render_template("help/_list.html", user=user, articles=service.published_articles(user.locale))
    return render_template("help/_results.html", user=user, query=query, results=service.search_published(query))


@blp.get("/articles/<int:article_id>")
def article(article_id):
    user = require_user()
    found = service.published_article(article_id)
    if found is None:
        abort(404)
    return render_template("help/_article.html", user=user, **_article_context(found))
