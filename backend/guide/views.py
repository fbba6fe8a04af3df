"""The first-run guide's card on the Bikri home page (H1)."""
from flask import Blueprint, render_template

from backend.embed.pages import PAGES, register_home_card
from backend.embed.routes import require_user
from backend.guide import service

blp = Blueprint("guide", __name__, url_prefix="/embed/guide", template_folder="templates")


@blp.get("/card")
def card():
    user = require_user()
    progress = service.progress(user.site)

    def link(step):
        if step.page == "license":
            return user.wp_page_url(step.wp_slug) if user.can("open_license_page") else None
        page = PAGES.get(step.page)
        return user.wp_page_url(step.wp_slug) if page is not None and user.can(page.permission) else None

    return render_template("guide/_card.html", user=user, link=link, **progress)


register_home_card("guide.card")
