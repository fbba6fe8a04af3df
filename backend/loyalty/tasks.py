"""What the loyalty workers run: the "you earned points" SMS, in the transactional lane (one
customer's message, sent through the SMS wallet like any other)."""
from backend.loyalty import service
from backend.tasks import task


@task("loyalty.earned_sms", lane="transactional", max_retries=6, min_backoff_ms=2_000, max_backoff_ms=120_000)
def earned_sms(*, site_id: int, entry_id: int) -> None:
    service.send_earn_sms(site_id, entry_id)
