"""The rules of SMS money: price by segments, debit atomically, refund on failure, never twice.

The rules live in the modules below; this module gathers their names, so callers (routes, views,
other domains, the job table, tests) import one place:
- `config`: the settings row, prices per plan, the gateway, the rules a shop's SMS option keeps;
- `wallet`: balances, the ledger and credits, and the errors a send refuses with;
- `sending`: a send's debit and its hand-over to the workers; the worker's gateway call and its
  outcome (it commits in steps, see backend/commits.py); the sweeper;
- `recharges`: manual requests, operator credits and online payments (bKash, Nagad);
- `history`: what a shop sent and paid, by Dhaka day.
"""
# Names callers reach through this module although they are not SMS rules.
from backend.errors import ApiError  # noqa: F401
from backend.money import taka  # noqa: F401

from backend.sms.config import (  # noqa: F401
    apply_sms_option_settings, check_shop_text, configure_gateway, configure_payment_gateway, current_gateway,
    DEFAULT_PLAN, gateway_settings, payment_gateway_settings, MAX_SHOP_TEXT_SEGMENTS, Quote, quote, range_errors, rate_for_plan,
    require_sms_balance, set_rate, sms_settings,
)

from backend.sms.wallet import (  # noqa: F401
    balance_of, credit, InsufficientBalance, ledger_sum, rate_limited, validation_error,
)

from backend.tasks import require_queue  # noqa: F401  (checkout refuses before writing a code)

from backend.sms.sending import (  # noqa: F401
    deliver, deliver_message, FINISHED, message_of, PURPOSES, QUEUED_TOO_LONG, resume_stuck_messages, SCREEN_WAIT_SECONDS, send_sms,
    STUCK_AFTER,
    wait_for_outcome, was_refunded, _debit, _finish_statement,
)

from backend.sms.recharges import (  # noqa: F401
    AlreadyDecided, approve_manual_recharge, check_recharge_amount, close_held_recharge,
    LATE_PAYMENT_WATCH, MANUAL_DAILY_LIMIT, MANUAL_REFERENCE_MAX, MANUAL_WAITING_LIMIT,
    MAX_RECHARGE, online_methods, online_recharge, ONLINE_METHODS, operator_credit, payment_returned,
    payment_callback_url, payment_window, RechargeUnavailable,
    reconcile_pending_recharges, recharge_of, reject_manual_recharge, REJECT_REASON_MAX, request_manual_recharge,
    start_recharge, verify_payment, wait_until_opened,
)

from backend.sms.history import (  # noqa: F401
    balance_summary, dhaka_day_bounds, message_conditions, revenue_by_method, usage_by_day, usage_totals,
)
