"""What the SMS workers run: delivering a message to the gateway (sending.deliver_message).

Two lanes: checkout codes ("otp": a shopper waits at the checkout) and everything else
("transactional"). A gateway error worth retrying (timeout, 5xx) comes back with backoff of 1
to 30 s, six times (about a minute in all, less than the sweeper's QUEUED_TOO_LONG, so the
sweeper does not double a message waiting for its retry); a 429 comes back after its
Retry-After without counting. When the retries are used up the message fails and is refunded.
"""
from backend.sms import sending
from backend.tasks import task


def _gave_up(*, error: str, message_id: int, site_id: int, **_ignored) -> None:
    sending.give_up_message(message_id, site_id, error)


RETRIES = dict(max_retries=6, min_backoff_ms=1_000, max_backoff_ms=30_000, gave_up=_gave_up)


@task("sms.deliver", lane="transactional", **RETRIES)
def deliver(*, message_id: int, site_id: int) -> None:
    sending.deliver_message(message_id, site_id)


@task("sms.deliver_otp", lane="otp", **RETRIES)
def deliver_otp(*, message_id: int, site_id: int) -> None:
    sending.deliver_message(message_id, site_id)
