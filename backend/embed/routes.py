from flask import Blueprint as FlaskBlueprint
from flask import abort, current_app, g, render_template, request
from flask.views import MethodView
from flask_babel import gettext as _

from backend.activity import service as activity
from backend.api import Blueprint, current_site
from backend.embed import matrix as role_matrix, matrix_views, roles, service
from backend.embed.guard import require_user  # noqa: F401  (every domain's views import it from here)
from backend.embed.pages import PAGES, page_opened
from backend.embed.schemas import RoleMatrixAnswerSchema, RoleMatrixSchema, TicketRequestSchema, TicketSchema
from backend.licensing.service import license_summary

api_blp = Blueprint("embed_api", __name__, url_prefix="/api/v1/embed", description="Embedded admin pages")
pages_blp = FlaskBlueprint("embed", __name__, url_prefix="/embed", template_folder="templates", static_folder="static")

roles_blp = Blueprint("roles_api", __name__, url_prefix="/api/v1/roles", description="The shop's role matrix (T1)")

API_BLUEPRINTS = [api_blp, roles_blp]
PAGE_BLUEPRINTS = [pages_blp, matrix_views.blp]


@api_blp.route("/tickets")
class Tickets(MethodView):
    @api_blp.arguments(TicketRequestSchema)
    @api_blp.response(201, TicketSchema)
    def post(self, data):
        """A one-time URL (valid 60 s) that opens a Bikri page for this WordPress user."""
        data["roles_"] = data.pop("roles", None)
        ticket, raw = service.issue_ticket(current_site(), **data)
        return {"url": service.ticket_url(raw, ticket.page), "expires_in": current_app.config["EMBED_TICKET_SECONDS"],
                # the plugin shows in wp-admin only the pages a role may open, from its copy of this
                "pages_by_role": service.pages_by_wordpress_role(current_site().id)}


def _matrix_answer(matrix):
    return {**role_matrix.as_dict(matrix), "fixed": list(roles.FIXED), "groups": {key: list(names) for key, names in roles.GROUPS}}


@roles_blp.route("")
class RoleMatrixResource(MethodView):
    @roles_blp.response(200, RoleMatrixAnswerSchema)
    def get(self):
        """The shop's role matrix (the defaults until the owner changes it)."""
        return _matrix_answer(role_matrix.matrix_for(current_site().id))

    @roles_blp.arguments(RoleMatrixSchema)
    @roles_blp.response(200, RoleMatrixAnswerSchema)
    def put(self, data):
        """Replace the shop's role matrix. Refused (409) when the administrator's role would lose "manage_roles"."""
        return _matrix_answer(role_matrix.save(current_site().id, data, by="API"))


def _refused(site, status=401):
    g.frame_ancestors = site.origin if site is not None else None
    return render_template("embed/expired.html", site=site), status


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
    # T2: a login to the embed pages (each page opened trades a ticket for a session)
    activity.record(user.site.id, "login", embed_page.name, None, {"page": embed_page.name, "role": user.role})
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
