"""Opening a Bikri page the way the plugin and the browser do, for the tests of the embedded
screens: one copy instead of an `embed()` in every test folder."""

SESSION_HEADER = "X-Bikri-Embed-Session"


def open_embed(shop, page="orders", role="administrator", **user):
    """(the page's response, headers carrying its embed session) for a WordPress user of `role`;
    `user` passes name, user_id or locale on to Shop.open_page."""
    response, session = shop.open_page(page, role=role, **user)
    return response, {SESSION_HEADER: session}


def embed(shop, page="orders", role="administrator", **user):
    """Headers carrying an embed session opened on `page`, for the requests that follow."""
    return open_embed(shop, page, role, **user)[1]
