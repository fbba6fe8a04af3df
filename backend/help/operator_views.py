"""The help centre in the operators' console: the articles in both languages, writing one in
Markdown (with a preview of what shops will see), publishing and unpublishing."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from backend.embed.pages import ordered_pages
from backend.extensions import db
from backend.help import service
from backend.help.models import LANGUAGES, HelpArticle
from backend.help.schemas import ArticleFormSchema
from backend.operator.routes import console_blueprint, operator_required

blp = console_blueprint("operator_help", __name__, "/operator/help", template_folder="templates")


@blp.get("/")
@operator_required
def articles():
    return render_template("help/console.html", rows=service.all_articles())


def _form(article, form, errors=None, status=200):
    pages = [(page.name, page.title) for page in ordered_pages() if page.name != "help"]
    preview = service.render_markdown(form.get("body", "")) if form.get("body") else None
    pair = service.other_language(article) if article is not None else None
    return render_template("help/console_edit.html", article=article, form=form, errors=errors or {},
                           languages=LANGUAGES, pages=pages, preview=preview, pair=pair), status


def _save(article):
    try:
        data = ArticleFormSchema().load(request.form)
        saved = service.save_article(article, data, by=g.operator.email)
    except ValidationError as error:
        return _form(article, request.form, {field: " ".join(map(str, messages)) for field, messages in error.messages.items()}, 400)
    except service.HelpError as error:
        return _form(article, request.form, {"form": str(error)}, 400)
    flash(_("Article saved."), "success")
    return redirect(url_for("operator_help.edit", article_id=saved.id))


@blp.get("/new")
@operator_required
def new():
    return _form(None, {"language": request.args.get("language", "en"), "slug": request.args.get("slug", "")})


@blp.post("/new")
@operator_required
def create():
    return _save(None)


@blp.get("/<int:article_id>")
@operator_required
def edit(article_id):
    article = db.get_or_404(HelpArticle, article_id)
    form = {field: getattr(article, field) or "" for field in ("slug", "language", "title", "body", "page_key")}
    return _form(article, form)


@blp.post("/<int:article_id>")
@operator_required
def update(article_id):
    return _save(db.get_or_404(HelpArticle, article_id))


@blp.post("/<int:article_id>/publish")
@operator_required
def publish(article_id):
    article = db.get_or_404(HelpArticle, article_id)
    published = request.form.get("published") == "1"
    service.set_published(article, published)
    flash(_("Published: shops see it.") if published else _("Unpublished: shops no longer see it."), "success")
    if request.form.get("next") == "list":
        return redirect(url_for("operator_help.articles"))
    return redirect(url_for("operator_help.edit", article_id=article.id))
