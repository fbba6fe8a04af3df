"""What the support workers run: the offline alert SMS to Bikri's operators (transactional lane:
an operator is wanted now, not after a campaign)."""
from backend.support import alerts
from backend.tasks import task


def _gave_up(*, error: str, alert_id: int, **_ignored) -> None:
    alerts.gave_up(alert_id, error)


@task("support.alert_operators", lane="transactional", max_retries=6, min_backoff_ms=2_000, max_backoff_ms=60_000,
      gave_up=_gave_up)
def alert_operators(*, site_id: int, alert_id: int) -> None:  # site_id: the shop that wrote (caps, dead letters)
    alerts.send(alert_id)
