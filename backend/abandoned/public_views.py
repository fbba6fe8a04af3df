"""The shopper's one-question page behind the reminder's short link (U4), and "stop messages".

No sign-in: the token in the link is the only key (96 random bits), and the page shows
nothing of the cart or the shopper, so a guessed link would reveal nothing.
"""
from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale

from backend.abandoned import service
from backend.embed.public_pages import public_page_limit, shopper_language
from backend.extensions import db, limiter
from backend.licensing.models import Site

blp = Blueprint("abandoned_public", __name__, url_prefix="/r", template_folder="templates")


def _checkout(token):
    row = service.by_token(token)
    if row is None:
        abort(404)
    return row


def _page(token, **context):
    row = _checkout(token)
    language = shopper_language()
    with force_locale(language):
        return render_template("abandoned/reason.html", token=token, row=row, language=language,
                               shop=service.shop_name(db.session.get(Site, row.site_id)), reasons=service.REASONS, **context)


@blp.get("/<token>")
@limiter.limit(public_page_limit)
def reason_page(token):
    return _page(token)


@blp.post("/<token>")
@limiter.limit(public_page_limit)
def reason_answer(token):
    row = _checkout(token)
    reason = request.form.get("reason", "")
    if reason not in service.REASONS:
        return _page(token, error=True), 422
    service.record_reason(row, reason, request.form.get("other_text"))
    return _page(token, thanked=True)


@blp.post("/<token>/stop")
@limiter.limit(public_page_limit)
def stop(token):
    row = _checkout(token)
    service.opt_out(row)
    return _page(token, stopped=True)
