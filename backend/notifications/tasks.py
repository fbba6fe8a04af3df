"""What the notification workers run: a shop's dispatch (the due rows handed on), one status
SMS (the transactional lane: a customer waits for news of one order), and one email request
to the shop's WordPress (a WooCommerce write)."""
from backend.notifications import sending
from backend.tasks import task


def _gave_up(*, error: str, send_id: int, **_ignored) -> None:
    sending.gave_up(send_id, error)


@task("notifications.dispatch", lane="transactional", max_retries=6, min_backoff_ms=1_000, max_backoff_ms=60_000)
def dispatch(*, site_id: int) -> None:
    sending.dispatch(site_id)


@task("notifications.sms", lane="transactional", max_retries=6, min_backoff_ms=1_000, max_backoff_ms=60_000,
      gave_up=_gave_up)
def send_sms(*, site_id: int, send_id: int) -> None:
    sending.send_one(site_id, send_id)


@task("notifications.email", lane="transactional", max_retries=6, min_backoff_ms=5_000, max_backoff_ms=300_000,
      gave_up=_gave_up)
def send_email(*, site_id: int, send_id: int) -> None:
    sending.write_email_event(site_id, send_id)
