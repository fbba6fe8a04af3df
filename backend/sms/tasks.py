"""What the SMS workers run.

Delivering a message to the gateway (sending.deliver_message), in two lanes: checkout codes
("otp": a shopper waits at the checkout) and everything else ("transactional"). A gateway error
worth retrying (timeout, 5xx) comes back with backoff of 1 to 30 s, six times (about a minute in
all, less than the sweeper's QUEUED_TOO_LONG, so the sweeper does not double a message waiting
for its retry); a 429 comes back after its Retry-After without counting. When the retries are
used up the message fails and is refunded.

A bulk batch's messages go out through the bulk lane (batches.deliver_batch); a recharge's
payment is opened at bKash or Nagad by a worker too, and once the payer is back a worker asks
bKash (execute) or Nagad (verify) how it ended (K3): the callback page never waits on them.
"""
from backend.sms import batches, sending
from backend.sms.recharges import open_payment, payment_gave_up, verify_gave_up, verify_payment
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


@task("sms.deliver_batch", lane="bulk", max_retries=8)
def deliver_batch(site_id: int, job_id: int, items: list[str]) -> None:
    batches.deliver_batch(site_id, job_id, items)


@task("sms.open_bkash_payment", lane="transactional", max_retries=3, gave_up=payment_gave_up)
def open_bkash_payment(site_id: int, recharge_id: int) -> None:
    """Open a recharge's payment at bKash (K3): the shop owner waits for the address to pay at."""
    open_payment(site_id, recharge_id)


@task("sms.open_nagad_payment", lane="transactional", max_retries=3, gave_up=payment_gave_up)
def open_nagad_payment(site_id: int, recharge_id: int) -> None:
    """Open a recharge's payment at Nagad (initialize, then complete): the owner waits for the page to pay at."""
    open_payment(site_id, recharge_id)


# bKash or Nagad down: asked again after 1, 2, 4 ... 30 s, about two minutes in all while the payer's
# page waits; then the reconcile job asks every 5 minutes.
VERIFY_RETRIES = dict(lane="transactional", max_retries=6, min_backoff_ms=1_000, max_backoff_ms=30_000,
                      gave_up=verify_gave_up)


@task("sms.verify_bkash_payment", **VERIFY_RETRIES)
def verify_bkash(site_id: int, recharge_id: int) -> None:
    """Execute a payment at bKash after its callback (never believed by itself), and credit once."""
    verify_payment(site_id, recharge_id, "bkash")


@task("sms.verify_nagad_payment", **VERIFY_RETRIES)
def verify_nagad(site_id: int, recharge_id: int) -> None:
    """Ask Nagad how a payment ended after its callback (never believed by itself), and credit once."""
    verify_payment(site_id, recharge_id, "nagad")
