"""Tickets and embed sessions: how a WordPress user reaches Bikri's pages without a cookie."""
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import delete, select, update

from backend.embed import matrix as role_matrix, roles
from backend.embed.models import EmbedTicket
from backend.embed.pages import NAV_BADGES, PAGES, ordered_pages
from backend.commits import claim
from backend.extensions import db
from backend.licensing.models import Site
from backend.security import hash_token, new_token, read_embed_session, sign_embed_session
from backend.clock import utcnow

SESSION_HEADER = "X-Bikri-Embed-Session"


class TicketRefused(Exception):
    """The ticket is unknown, used or expired. `site` is known when the ticket was once real."""

    def __init__(self, site: Site | None):
        super().__init__("embed ticket refused")
        self.site = site


@dataclass
class EmbedUser:
    site: Site
    wp_user_id: int
    display_name: str
    role: str
    locale: str
    session: str
    admin_url: str

    def wp_page_url(self, slug: str) -> str:
        return f"{self.admin_url}?page={slug}"

    def can(self, permission: str) -> bool:
        """What the shop's role matrix says (the defaults unless the owner changed them)."""
        return role_matrix.matrix_for(self.site.id).can(self.role, permission)


def _language(locale: str | None) -> str:
    code = (locale or "en").replace("-", "_").split("_")[0].lower()
    return code if code in current_app.config["LANGUAGES"] else "en"


def _admin_url_of(site: Site, admin_url: str | None) -> str:
    """wp-admin's admin.php as the plugin reports it, if it is on the shop's own origin; else the usual place."""
    if admin_url:
        parts = urlsplit(admin_url)
        if f"{parts.scheme}://{parts.netloc}".lower() == site.origin.lower() and parts.path.endswith("/admin.php"):
            return f"{site.origin}{parts.path}"
    return f"{site.url}/wp-admin/admin.php"


def issue_ticket(site: Site, *, wp_user_id: int, display_name: str, role: str, page: str, locale: str | None = None,
                 admin_url: str | None = None, roles_: list[str] | None = None) -> tuple[EmbedTicket, str]:
    """`role` is the user's first WordPress role, `roles_` all of them (plugins from T1 on send
    both): the user gets the highest Bikri role the shop's matrix maps any of them to."""
    raw = new_token()
    wp_roles = [role, *(roles_ or [])]
    now = utcnow()
    ticket = EmbedTicket(
        ticket_hash=hash_token(raw),
        site_id=site.id,
        wp_user_id=wp_user_id,
        display_name=display_name.strip() or f"#{wp_user_id}",
        wp_role=",".join(dict.fromkeys(wp_roles))[:64],
        role=role_matrix.matrix_for(site.id).role_for(wp_roles),
        page=page,
        locale=_language(locale),
        admin_url=_admin_url_of(site, admin_url),
        created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["EMBED_TICKET_SECONDS"]),
    )
    db.session.add(ticket)
    db.session.flush()
    return ticket, raw


def ticket_url(raw: str, page: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/embed/{page}?ticket={raw}"


def _spend(ticket: EmbedTicket) -> bool:
    """Marks the ticket used, committed at once so that it stays spent whatever comes next;
    False when it was used already or has expired. One conditional UPDATE decides who wins
    when the same ticket arrives twice at once."""
    now = utcnow()
    won = db.session.execute(
        update(EmbedTicket)
        .where(EmbedTicket.id == ticket.id, EmbedTicket.used_at.is_(None), EmbedTicket.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    claim()  # the ticket is spent for every other request at once
    return won == 1


def redeem_ticket(raw: str | None, page: str) -> EmbedUser:
    """Trade a ticket for an embed session; a ticket works once, for its page, within its minute."""
    if not raw:
        raise TicketRefused(None)
    ticket = db.session.execute(
        select(EmbedTicket).where(EmbedTicket.ticket_hash == hash_token(raw))
    ).scalar_one_or_none()
    if ticket is None:
        raise TicketRefused(None)
    won = _spend(ticket)  # spent even if rendering fails later
    site = db.session.get(Site, ticket.site_id)
    if not won or ticket.page != page or site is None or not site.is_active or not site.license.is_usable:
        raise TicketRefused(site)
    session = sign_embed_session({
        "s": site.id,
        # ties the session to the site's current token: reactivation or deactivation ends it
        "t": site.token_hash[:16],
        "u": ticket.wp_user_id,
        "n": ticket.display_name,
        "r": ticket.role,
        "l": ticket.locale,
        "a": ticket.admin_url,
    })
    return EmbedUser(site, ticket.wp_user_id, ticket.display_name, ticket.role, ticket.locale, session, ticket.admin_url)


def load_session(value: str | None) -> EmbedUser | None:
    if not value:
        return None
    data = read_embed_session(value, current_app.config["EMBED_SESSION_SECONDS"])
    if not data:
        return None
    site = db.session.get(Site, data.get("s"))
    if site is None or not site.is_active or site.token_hash[:16] != data.get("t") or not site.license.is_usable:
        return None
    if data.get("r") not in roles.ROLES:
        return None
    return EmbedUser(site, data["u"], data["n"], data["r"], data["l"], value, data.get("a") or f"{site.url}/wp-admin/admin.php")


def purge_old_tickets(older_than: timedelta = timedelta(days=1)) -> int:
    """Spent and expired tickets are only kept a day (to explain a reused link to its user)."""
    result = db.session.execute(delete(EmbedTicket).where(EmbedTicket.expires_at < utcnow() - older_than))
    return result.rowcount


def pages_for_role(role: str, matrix: roles.Matrix = roles.DEFAULT) -> list[str]:
    """The names of the pages a Bikri role may open, in menu order."""
    return [page.name for page in ordered_pages() if matrix.can(role, page.permission)]


def pages_by_wordpress_role(site_id: int | None = None) -> dict[str, list[str]]:
    """What the plugin keeps to build its wp-admin menu without asking on every page view:
    the pages each WordPress role may open, "*" for every role not named, by the shop's matrix.
    A user with several WordPress roles sees the pages of all of them (the service gives the
    user the highest-mapped role, whose pages are those)."""
    matrix = role_matrix.matrix_for(site_id) if site_id is not None else roles.DEFAULT
    return {wp_role: pages_for_role(role, matrix) for wp_role, role in sorted(matrix.wordpress.items())}


def navigation(user: EmbedUser, current: str | None) -> list[dict]:
    """Bikri's own links between its pages (wp-admin hides its menu on a phone): the pages this
    user may open, through wp-admin, which fetches each page a fresh ticket."""
    links = [{"name": page.name, "title": page.title, "url": user.wp_page_url(page.wp_slug), "current": page.name == current,
              "badge": NAV_BADGES[page.name](user) if page.name in NAV_BADGES else 0}
             for page in ordered_pages() if user.can(page.permission)]
    if user.can("open_license_page"):
        links.append({"name": "license", "title": _("License"), "url": user.wp_page_url("bikri-license"), "current": False})
    return links


# --- downloads -----------------------------------------------------------------------------------
# A file the iframe downloads (the order export) is fetched by navigating to its URL, and a
# navigation cannot carry the session header. So the page asks (with the header) for a
# download ticket: one embed_tickets row for `purpose` instead of a page, one use, a minute,
# bound to the user, role, locale and site that asked. The long-lived session never goes in a URL.

def issue_download_ticket(user: EmbedUser, purpose: str) -> str:
    raw = new_token()
    now = utcnow()
    db.session.add(EmbedTicket(
        ticket_hash=hash_token(raw), site_id=user.site.id, wp_user_id=user.wp_user_id,
        display_name=user.display_name[:100], wp_role="", role=user.role, page=purpose, locale=user.locale,
        admin_url=user.admin_url, created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["EMBED_TICKET_SECONDS"])))
    db.session.flush()
    return raw


def redeem_download_ticket(raw: str | None, purpose: str) -> EmbedUser:
    """The user a download ticket was issued to, once, within its minute; else TicketRefused. A
    page ticket is never a download ticket (purposes are not page names) and the other way round."""
    if not raw or PAGES.get(purpose) is not None:
        raise TicketRefused(None)
    ticket = db.session.execute(
        select(EmbedTicket).where(EmbedTicket.ticket_hash == hash_token(raw), EmbedTicket.page == purpose)
    ).scalar_one_or_none()
    if ticket is None:
        raise TicketRefused(None)
    won = _spend(ticket)  # spent even if the download fails half-way
    site = db.session.get(Site, ticket.site_id)
    if not won or site is None or not site.is_active or not site.license.is_usable or ticket.role not in roles.ROLES:
        raise TicketRefused(site)
    return EmbedUser(site, ticket.wp_user_id, ticket.display_name, ticket.role, ticket.locale, "",
                     ticket.admin_url or f"{site.url}/wp-admin/admin.php")
