"""Checkout follows SMS sending through its signal (backend/sms/signals.py): a code's SMS is
sent by a worker after the shopper was answered, so a failure arrives later. `connect` is
called once by `backend.app.create_app`; tests/test_signals.py checks it was."""
from backend.checkout.codes import code_not_sent
from backend.sms.signals import message_failed


def on_message_failed(site_id, *, message_id: int, purpose: str, idempotency_key: str | None, error: str) -> None:
    """A checkout code whose SMS failed is marked failed: the shopper's cooldown does not count
    it, so "Resend" works at once. Nothing remote happens here."""
    if purpose == "otp" and idempotency_key and idempotency_key.startswith("otp-"):
        code_not_sent(site_id, int(idempotency_key.removeprefix("otp-")), error)


def connect() -> None:
    # strong reference: the receiver lives as long as the process (connecting twice is a no-op)
    message_failed.connect(on_message_failed, weak=False)
