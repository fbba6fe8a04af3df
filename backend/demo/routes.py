from urllib.parse import quote

from flask import Blueprint, abort, make_response, render_template, request

from backend.demo.service import DEMO_WC_KEY, DEMO_WC_SECRET, demo_site
from backend.embed import service as embed
from backend.embed.pages import PAGES, ordered_pages
from backend.embed.roles import OTHER_WORDPRESS_ROLES

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
    # Who is signed in and in which language stay while the demo user moves between pages (the
    # links inside Bikri's pages know only ?page=, as in a real wp-admin).
    wp_role = request.args.get("as") or request.cookies.get("bikri_demo_as") or "administrator"
    if wp_role not in DEMO_USERS:
        wp_role = "administrator"
    lang = request.args.get("lang") or request.cookies.get("bikri_demo_lang") or "en"
    if lang not in ("en", "bn_BD"):
        lang = "en"
    user_id, name = DEMO_USERS[wp_role]
    frame_url = None
    if page in PAGES:
        ticket, raw = embed.issue_ticket(site, wp_user_id=user_id, display_name=name, role=wp_role,
                                         page=page, locale=lang)
        frame_url = embed.ticket_url(raw, ticket.page)
        if page == "help" and request.args.get("topic"):
            # as the plugin does: the "?" names the page it was pressed on
            frame_url += f"&topic={quote(request.args['topic'][:40])}"
    # the menu the plugin would build for this role, from the table the service sends it
    table = embed.pages_by_wordpress_role()
    allowed = table.get(wp_role, table[OTHER_WORDPRESS_ROLES])
    menu = {p.name: p for p in ordered_pages() if p.name in allowed}
    response = make_response(render_template("demo/wp_admin.html", site=site, frame_url=frame_url, page=page,
                                             pages=menu, wp_role=wp_role, users=DEMO_USERS, lang=lang))
    response.set_cookie("bikri_demo_as", wp_role, httponly=True, samesite="Lax", path="/demo-shop")
    response.set_cookie("bikri_demo_lang", lang, httponly=True, samesite="Lax", path="/demo-shop")
    return response


@blp.route("/wp-json/wc/v3/<path:endpoint>", methods=["GET", "POST", "PUT", "DELETE"])
def woocommerce_rest(endpoint):
    """Demo only: the demo shop's WooCommerce REST API, answered by the sandbox store.

    The service talks to the demo shop exactly as to a real one (its URL, its REST key, OAuth
    over http); this stand-in re-asks the sandbox store as a client of its own, because the
    signature the service made is over this address, not the sandbox's.
    """
    from flask import Response, current_app
    from woocommerce import API

    store = API(url=current_app.config["DEMO_WOOCOMMERCE_URL"], consumer_key=DEMO_WC_KEY,
                consumer_secret=DEMO_WC_SECRET, version="wc/v3", timeout=30)
    params = {k: v for k, v in request.args.items() if not k.startswith("oauth_")}
    method = request.method.lower()
    if method in ("get", "delete"):
        answer = getattr(store, method)(endpoint, params=params)
    else:
        answer = getattr(store, method)(endpoint, request.get_json(silent=True) or {}, params=params)
    response = Response(answer.content, status=answer.status_code, content_type=answer.headers.get("Content-Type"))
    for name in ("X-WP-Total", "X-WP-TotalPages", "Link"):
        if name in answer.headers:
            response.headers[name] = answer.headers[name]
    return response
