"""The embed pages that exist, by the name the plugin asks a ticket for.

Each page names the permission needed to open it, its template, and optionally a function
that gives the template its data. Domains add their pages with `register_page` when their
routes module is imported. Links between pages go through wp-admin (which fetches a fresh
ticket), under the slug `bikri-<name>` (`bikri` for home).
"""
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class EmbedPage:
    name: str
    title: object
    permission: str = "view_pages"
    template: str | None = None
    # context(user) -> dict of template variables
    context: Callable | None = None

    @property
    def wp_slug(self) -> str:
        return "bikri" if self.name == "home" else f"bikri-{self.name}"

    @property
    def template_name(self) -> str:
        return self.template or f"embed/{self.name}.html"


PAGES: dict[str, EmbedPage] = {}

# The order of Bikri's own navigation, the same as the plugin's wp-admin menu
# (Bikri_Embedded_Pages::pages()). A page not named here follows, in the order it was registered.
MENU_ORDER = ("home", "dashboard", "orders", "sms", "checkout", "blacklist", "otp-report", "couriers", "abandoned", "notifications", "livechat", "customers",
              "campaigns", "loyalty", "wishlist", "inventory", "ads", "activity", "roles")


def register_page(page: EmbedPage) -> EmbedPage:
    PAGES[page.name] = page
    return page


def ordered_pages() -> list[EmbedPage]:
    rank = {name: i for i, name in enumerate(MENU_ORDER)}
    return sorted(PAGES.values(), key=lambda page: rank.get(page.name, len(rank)))


class Hooks(list):
    """Functions the domains add for every page (banners, top-bar items, what opening a page
    does); `register` also works as a decorator."""

    def register(self, hook: Callable) -> Callable:
        self.append(hook)
        return hook

    def found_for(self, user) -> list[dict]:
        """What each function answers for this user, leaving out the ones with nothing to show;
        nothing without a user."""
        if user is None:
            return []
        return [found for hook in self if (found := hook(user))]


# Banners every embed page shows at its top when something needs the shop's attention (an
# SMS option that stopped working for want of balance, say). A domain adds a function
# (user) -> {"message", "link_text", "link_slug"} or None.
ALERTS = Hooks()
register_alert = ALERTS.register
alerts_for = ALERTS.found_for


# What a domain does each time a user opens a page of the shop (the desk remembers the people it
# can assign orders to): functions (user) -> None, run after the ticket is spent.
PAGE_OPENED = Hooks()
register_page_opened = PAGE_OPENED.register


def page_opened(user) -> None:
    for hook in PAGE_OPENED:
        hook(user)


# A number beside a page's link in Bikri's menu (the orders assigned to this user that are
# still open): page name -> function (user) -> int; 0 shows nothing.
NAV_BADGES: dict[str, Callable] = {}


def register_nav_badge(page_name: str, badge: Callable) -> Callable:
    NAV_BADGES[page_name] = badge
    return badge


# Cards other domains add to the home page (the first-run guide, say): the endpoint of a view
# that answers the card's HTML, loaded by the page after it opens (htmx, with the session).
HOME_CARDS: list[str] = []


def register_home_card(endpoint: str) -> str:
    if endpoint not in HOME_CARDS:
        HOME_CARDS.append(endpoint)
    return endpoint


register_page(EmbedPage("home", _l("Home"), context=lambda user: {"home_cards": HOME_CARDS}))


# Items every embed page shows in its top bar (the notifications bell with its unread count).
# A domain adds a function (user) -> {"label", "count", "link_slug"} or None; optionally "icon"
# ("chat"; the bell otherwise) and "id" (the link's element id; "bikri-bell" otherwise).
HEADER_ITEMS = Hooks()
register_header_item = HEADER_ITEMS.register
header_items_for = HEADER_ITEMS.found_for


# The "?" in every page's top bar: a function (user, page name) -> the address of the help about
# that page (the help centre registers it); no function, no "?".
HELP_LINKS = Hooks()
register_help_link = HELP_LINKS.register


def help_link_for(user, page_name: str | None) -> str | None:
    if user is None or not HELP_LINKS:
        return None
    return HELP_LINKS[0](user, page_name)
