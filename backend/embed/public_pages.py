"""What the shopper-facing public pages (a reminder's question, an SMS's opt-out link) share:
no sign-in, a rate limit per address, and the page in Bangla or English — as the link or the
page's own switch asks (`?lang=`), else as the browser prefers. Their templates extend
embed/public_page.html."""
from flask import current_app, request

LANGUAGES = ("bn", "en")


def public_page_limit() -> str:
    """The rate limit of a public page (flask-limiter calls it per request)."""
    return current_app.config.get("REASON_PAGE_RATE_LIMIT", "30 per minute")


def shopper_language() -> str:
    chosen = request.values.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "bn"
