"""The shopper's one-question page behind the reminder's short link (U4), and "stop messages".

No sign-in: the token in the link is the only key (96 random bits), and the page shows
nothing of the cart or the shopper, so a guessed link would reveal nothing.
"""
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import force_locale

from backend.abandoned import service
from backend.extensions import db, limiter
from backend.licensing.models import Site

blp = Blueprint("abandoned_public", __name__, url_prefix="/r", template_folder="templates")

LANGUAGES = ("bn", "en")


def _limit():
    return current_app.config.get("REASON_PAGE_RATE_LIMIT", "30 per minute")


def _language() -> str:
    chosen = request.values.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "bn"


def _page(token, **context):
    row = service.by_token(token)
    if row is None:
        abort(404)
    language = _language()
    with force_locale(language):
        return render_template("abandoned/reason.html", token=token, row=row, language=language,
                               shop=service.shop_name(db.session.get(Site, row.site_id)), reasons=service.REASONS, **context)


@blp.get("/<token>")
@limiter.limit(_limit)
def reason_page(token):
    return _page(token)


@blp.post("/<token>")
@limiter.limit(_limit)
def reason_answer(token):
    row = service.by_token(token)
    if row is None:
        abort(404)
    reason = request.form.get("reason", "")
    if reason not in service.REASONS:
        return _page(token, error=True), 422
    service.record_reason(row, reason, request.form.get("other_text"))
    return _page(token, thanked=True)


@blp.post("/<token>/stop")
@limiter.limit(_limit)
def stop(token):
    row = service.by_token(token)
    if row is None:
        abort(404)
    service.opt_out(row)
    return _page(token, stopped=True)
