from flask import Blueprint as FlaskBlueprint
from flask import abort, current_app, g, render_template, request
from flask.views import MethodView
from flask_babel import gettext as _

from backend.api import Blueprint, current_site
from backend.embed import service
from backend.embed.pages import PAGES, page_opened
from backend.embed.schemas import TicketRequestSchema, TicketSchema
from backend.licensing.service import license_summary

api_blp = Blueprint("embed_api", __name__, url_prefix="/api/v1/embed", description="Embedded admin pages")
pages_blp = FlaskBlueprint("embed", __name__, url_prefix="/embed", template_folder="templates", static_folder="static")

API_BLUEPRINTS = [api_blp]
PAGE_BLUEPRINTS = [pages_blp]


@api_blp.route("/tickets")
class Tickets(MethodView):
    @api_blp.arguments(TicketRequestSchema)
    @api_blp.response(201, TicketSchema)
    def post(self, data):
        """A one-time URL (valid 60 s) that opens a Bikri page for this WordPress user."""
        ticket, raw = service.issue_ticket(current_site(), **data)
        return {"url": service.ticket_url(raw, ticket.page), "expires_in": current_app.config["EMBED_TICKET_SECONDS"],
                # the plugin shows in wp-admin only the pages a role may open, from its copy of this
                "pages_by_role": service.pages_by_wordpress_role()}


def _refused(site, status=401):
    g.frame_ancestors = site.origin if site is not None else None
    return render_template("embed/expired.html", site=site), status


def require_user(permission: str = "view_pages") -> service.EmbedUser:
    """The embed session sent as a header by the page's JavaScript; every embed view after
    the first page load starts with this. Refuses a role without `permission`."""
    user = service.load_session(request.headers.get(service.SESSION_HEADER))
    if user is None:
        abort(401, description=_("Your Bikri session has ended. Reload the page in WordPress."))
    g.embed_user = user
    g.frame_ancestors = user.site.origin
    if not user.can(permission):
        abort(403, description=_("Your role in this shop cannot do this. Ask the shop's administrator."))
    return user


def _page_links(user):
    return [link for link in service.navigation(user, None) if link["name"] not in ("home", "license")]


@pages_blp.get("/<page>")
def open_page(page):
    embed_page = PAGES.get(page)
    if embed_page is None:
        abort(404)
    try:
        user = service.redeem_ticket(request.args.get("ticket"), page)
    except service.TicketRefused as refused:
        return _refused(refused.site)
    g.embed_user = user
    g.frame_ancestors = user.site.origin
    page_opened(user)
    nav = service.navigation(user, embed_page.name)
    if not user.can(embed_page.permission):
        return render_template("embed/forbidden.html", user=user, nav=nav), 403
    context = embed_page.context(user) if embed_page.context else {}
    return render_template(
        embed_page.template_name,
        user=user,
        page=embed_page,
        nav=nav,
        links=_page_links(user),
        license_page_url=user.wp_page_url("bikri-license"),
        **context,
    )


@pages_blp.get("/home/license")
def home_license():
    user = require_user()
    summary = license_summary(user.site)
    return render_template("embed/_license_card.html", user=user, summary=summary)
