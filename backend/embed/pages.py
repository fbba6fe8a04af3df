"""The embed pages that exist, by the name the plugin asks a ticket for.

Each page names the permission needed to open it and the wp-admin slug the plugin shows
it under, so links between pages go through WordPress (which fetches a fresh ticket).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class EmbedPage:
    name: str
    title: object
    permission: str = "view_pages"

    @property
    def wp_slug(self) -> str:
        return "bikri" if self.name == "home" else f"bikri-{self.name}"


PAGES = {page.name: page for page in (
    EmbedPage("home", _l("Home")),
)}
