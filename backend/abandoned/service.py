"""The rules of abandoned checkouts: capture, when a checkout counts as abandoned, recovered
or lost, the reminders (SMS, optional one-time coupon), the reasons shoppers give.

A checkout is one capture key (the plugin's per-session key): repeated captures update its
row. It becomes "abandoned" `abandon_after_minutes` after the last capture with no order from
its phone, and "recovered" when that phone orders later. Any WooCommerce status except a
block-checkout draft, failed, cancelled (and trash) is an order: cash on delivery sits in
"processing" and many shops leave orders "on-hold" for a phone call — they are orders, not
carts to chase.

Reminders are idempotent: reminder n of checkout c is the SMS with idempotency key
"abandoned-<c>-<n>" and its text is a function of the stored row (the coupon code is
derived from the checkout, so a retried coupon creation finds its own coupon), so a job that
dies mid-way and runs again never sends or charges twice.

The rules live by subject, and this module is their one door (routes, views, listeners, the
desk, the job table and tests import from here):

- `settings`: the shop's settings and reminder texts, the states, shared field checks;
- `capture`: capture, and orders closing their phone's checkouts;
- `reminders`: the job (abandoned, reminders, lost);
- `pages`: the shopper's page, the shop's list, chart and alert, the plugin's settings;
- `desk_work`: the desk's Incomplete tab.
"""
from backend.abandoned.models import AbandonedCheckout  # noqa: F401 (tests reach the model through here)
from backend.abandoned.settings import (  # noqa: F401
    ACTIVE, CAPTURE_KEY, CHASED, CLOCK_SLACK, DEFAULT_TEXTS, DEFAULT_TEXTS_NO_COUPON, LIMITS, MAX_ITEMS,
    NOT_ORDERS, N_, PLACEHOLDERS, REASONS, STATUSES, TEXT_FIELDS, capture_enabled, check_template, clean_text,
    invalid, reason_link, reminder_price, render_text, settings_errors, settings_for, shop_name,
    text_template, update_settings,
)
from backend.abandoned.capture import (  # noqa: F401
    capture, clean_cart, close_checkout, order_since, record_orders,
)
from backend.abandoned.reminders import (  # noqa: F401
    BATCH, ReminderRun, coupon_code, create_coupon, mark_abandoned, mark_lost, reminders_sent_today, run_for_site,
    run_job, send_reminders, sites_with_checkouts_to_follow,
)
from backend.abandoned.pages import (  # noqa: F401
    LISTED, by_token, cart_of, list_query, opt_out, plugin_config, record_reason, reminders_alert, summary,
)
from backend.abandoned.desk_work import (  # noqa: F401
    DESK_ACTIONS, INCOMPLETE, actions_of, checkout_of, desk_texts, incomplete_count, incomplete_query,
    mark_lost_by, order_form, record_action, record_called, record_converted, send_desk_sms,
)
