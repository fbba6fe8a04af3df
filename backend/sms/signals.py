"""What SMS sending announces to the domains above it (it imports none of them).

Sent inside the worker's transaction that records the outcome (a listener's writes commit
with it; it must not commit or call anything remote); listeners connected at app creation
(a domain's `listeners.py`), checked by tests/test_signals.py.
"""
from blinker import Namespace

signals = Namespace()

# message_failed(site_id, message_id=, purpose=, idempotency_key=, error=) — a queued message
# was refused by the gateway or its retries ran out; its cost is refunded in the same
# transaction. Checkout marks the code it carried as never sent.
message_failed = signals.signal("sms-message-failed")
