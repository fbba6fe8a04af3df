"""Issue 20 item 5: a page shows only the actions the user's role may take. For each role and
each page it may open, every action the page offers (the htmx requests that change something,
in the page and in the parts it loads) is sent as a click would send it, empty; the service
must not answer 403 "Your role in this shop cannot do this" to any of them. An empty request
on a fresh shop changes nothing: it is refused for its missing fields, or finds nothing to act on.
"""
import re
from html import unescape

import pytest

from backend.embed import roles
from backend.embed.pages import PAGES

ACTION = re.compile(r'\bhx-(post|put|patch|delete)="([^"]+)"')
LOADED = re.compile(r'\bhx-get="([^"]+)"')
WORDPRESS_ROLE = {roles.ADMIN: "administrator", roles.MANAGER: "shop_manager", roles.STAFF: "shop_staff"}


def offered(client, html: str, session: str) -> set[tuple[str, str]]:
    """The (method, path) of every changing action in a page and in the parts it fetches."""
    headers = {"X-Bikri-Embed-Session": session}
    found = {(method, unescape(url)) for method, url in ACTION.findall(html)}
    for url in {unescape(u) for u in LOADED.findall(html)}:
        part = client.get(url, headers=headers)
        if part.status_code == 200 and part.mimetype == "text/html":
            found |= {(method, unescape(u)) for method, u in ACTION.findall(part.get_data(as_text=True))}
    return found


@pytest.mark.parametrize("role", [roles.MANAGER, roles.STAFF, roles.ADMIN])
def test_pages_offer_only_actions_the_role_may_take(shop, client, role):
    refused, seen = [], 0
    for name, page in sorted(PAGES.items()):
        if not roles.can(role, page.permission):
            continue
        response, session = shop.open_page(page=name, role=WORDPRESS_ROLE[role])
        assert response.status_code == 200, name
        for method, url in sorted(offered(client, response.get_data(as_text=True), session)):
            seen += 1
            answer = client.open(url, method=method.upper(), data={}, headers={"X-Bikri-Embed-Session": session})
            if answer.status_code in (401, 403):
                refused.append((name, method, url, answer.status_code))
    assert seen, "no action found: the scan is broken"
    assert refused == []
