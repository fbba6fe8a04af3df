"""Feature requests in the shop's pages: a card on the Bikri home page (H1)."""
from flask import Blueprint, abort, render_template, request

from backend.embed.pages import register_home_card
from backend.embed.routes import require_user
from backend.ideas import service

blp = Blueprint("ideas", __name__, url_prefix="/embed/ideas", template_folder="templates")


def _card(user, **extra):
    return render_template("ideas/_card.html", user=user, can_ask=user.can("suggest_features"),
                           **service.for_shop(user.site), **extra)


@blp.get("/card")
def card():
    return _card(require_user())


@blp.post("/")
def submit():
    user = require_user("suggest_features")
    try:
        service.submit(user.site, request.form.get("title", ""), request.form.get("body", ""), asked_by=user.display_name)
    except service.IdeaError as error:
        return _card(user, error=str(error), title=request.form.get("title", ""), body=request.form.get("body", ""))
    return _card(user, sent=True)


@blp.post("/<int:request_id>/vote")
def vote(request_id):
    user = require_user("suggest_features")
    if service.vote(user.site, request_id) is None:
        abort(404)
    return _card(user)


register_home_card("ideas.card")
