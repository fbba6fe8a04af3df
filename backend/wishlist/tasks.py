"""What the wishlist's workers run: a shop's pending alerts, handed to the SMS domain as one
batch, in the bulk lane (a restock's alerts never delay anyone's checkout code)."""
from backend.tasks import task
from backend.wishlist import service


@task(service.SEND_TASK, lane="bulk", max_retries=6, min_backoff_ms=1_000, max_backoff_ms=60_000)
def send_alerts(*, site_id: int) -> None:
    service.send_alerts(site_id)
