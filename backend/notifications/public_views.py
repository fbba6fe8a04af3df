"""The opt-out link at the end of a status SMS (`/o/<token>`): public, no sign-in. The token
names the shop and the phone and is signed (72 bits), so it cannot be guessed or changed to
another phone. Opening it asks to confirm (link previewers open links too); the button records it."""
from flask import Blueprint, abort, render_template
from flask_babel import force_locale

from backend.embed.public_pages import public_page_limit, shopper_language
from backend.extensions import db, limiter
from backend.licensing.models import Site
from backend.notifications import opt_outs, service

blp = Blueprint("notifications_public", __name__, url_prefix="/o", template_folder="templates")


def _page(token, **context):
    found = opt_outs.read_opt_out_token(token)
    site = db.session.get(Site, found[0]) if found else None
    if site is None:
        abort(404)
    language = shopper_language()
    with force_locale(language):
        return render_template("notifications/opt_out.html", token=token, shop=service.shop_name(site),
                               already=opt_outs.is_opted_out(site.id, found[1]), language=language, **context)


@blp.get("/<token>")
@limiter.limit(public_page_limit)
def opt_out_page(token):
    return _page(token)


@blp.post("/<token>")
@limiter.limit(public_page_limit)
def opt_out(token):
    found = opt_outs.read_opt_out_token(token)
    if found is None or db.session.get(Site, found[0]) is None:
        abort(404)
    opt_outs.opt_out(found[0], found[1], "link")
    return _page(token, stopped=True)
