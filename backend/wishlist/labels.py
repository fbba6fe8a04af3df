"""Words for the wishlist's stored values."""
from flask_babel import lazy_gettext as _l

from backend.labels import register

ALERT_KINDS = register("wishlist_alert_kind", {"back_in_stock": _l("Back in stock"), "price_drop": _l("Price drop")})
ALERT_STATES = register("wishlist_alert_state", {
    "pending": _l("Waiting"), "claimed": _l("Being sent"), "queued": _l("Sent to the SMS queue"), "skipped": _l("Not sent"),
    "failed": _l("Failed")})
SKIP_REASONS = register("wishlist_skip_reason", {
    "cancelled": _l("The shopper cancelled the alert"), "switched_off": _l("Alerts are switched off"),
    "opted_out": _l("The shopper opted out of offers"), "daily_limit": _l("Daily limit for this phone reached")})
