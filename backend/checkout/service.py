"""The rules of checkout OTP: settings, limits, codes, proofs, the order pings and the report.

The rules live in the modules below; this module gathers their names, so callers (routes,
views, abandoned checkouts, the job table, tests) import one place:
- `settings`: a shop's limits, its SMS text and the price of a code;
- `codes`: who is trusted, sending and checking codes within the limits, the proofs;
- `plugin`: the orders the plugin reports and the copy of settings it pulls;
- `reports`: the OTP report (F5).
"""

from backend.checkout.settings import (  # noqa: F401
    balance_ok, bump_version, check_template, CODE_DIGITS, default_shop_name, DEFAULT_TEXTS, HOUR,
    LIMITS, otp_price, PLACEHOLDERS, PROOF_SECONDS, render_text, settings_errors, settings_for,
    shop_name, TEXT_FIELDS, text_template, update_settings,
)

from backend.checkout.codes import (  # noqa: F401
    delivered_order_count, DELIVERED_ORDER_SOURCES, DELIVERED_STATUSES, expire_old_codes, ip_key,
    is_trusted, make_proof, OtpAnswer, PROOF_CONTEXTS, PROOF_VERSIONS, read_proof, refusal,
    send_code, verify_code, _code_hash,
)

from backend.checkout.plugin import (  # noqa: F401
    ORDER_OTP_STATES, otp_alert, plugin_config, record_order,
)

from backend.checkout.reports import (  # noqa: F401
    NOT_ORDERS, report_count, report_query, report_rows, REPORT_STATES,
)
