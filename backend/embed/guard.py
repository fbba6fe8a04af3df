"""The check every embed view after the first page load starts with (re-exported by embed.routes)."""
from flask import abort, g, request
from flask_babel import gettext as _

from backend.embed import service


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
