from flask import Blueprint, abort, render_template, request

from backend.demo.service import demo_site
from backend.embed import service as embed
from backend.embed.pages import PAGES

blp = Blueprint("demo", __name__, url_prefix="/demo-shop", template_folder="templates")

DEMO_USERS = {
    "administrator": (1, "Rahima Akter (owner)"),
    "shop_manager": (2, "Karim Hossain (manager)"),
    "editor": (3, "Sumon Das (staff)"),
}


@blp.get("/")
@blp.get("/wp-admin/admin.php")
def wp_admin():
    """What wp-admin shows: the plugin fetches a ticket server-side and frames the page."""
    site = demo_site()
    if site is None:
        abort(404, description="Run `flask --app backend.app demo setup` first.")
    slug = request.args.get("page", "bikri")
    page = "home" if slug in ("bikri", "bikri-home") else slug.removeprefix("bikri-")
    wp_role = request.args.get("as", "administrator")
    if wp_role not in DEMO_USERS:
        wp_role = "administrator"
    user_id, name = DEMO_USERS[wp_role]
    frame_url = None
    if page in PAGES:
        ticket, raw = embed.issue_ticket(site, wp_user_id=user_id, display_name=name, role=wp_role,
                                         page=page, locale=request.args.get("lang", "en"))
        frame_url = embed.ticket_url(raw, ticket.page)
    return render_template("demo/wp_admin.html", site=site, frame_url=frame_url, page=page,
                           pages=PAGES, wp_role=wp_role, users=DEMO_USERS, lang=request.args.get("lang", "en"))
