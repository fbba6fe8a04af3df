"""What the ad tracking workers run: one Conversions API event to Meta. Meta down or busy (5xx,
429, no answer) comes back with backoff, eight times (about an hour in all); a refusal (a bad
token) is recorded on the event and not retried; when the retries run out the event is marked
failed. The event row makes it idempotent: a sent event is never sent again."""
from backend.adtracking import service
from backend.integrations.meta_graph import MetaGraphError
from backend.tasks import task


def _gave_up(*, error: str, site_id: int, event_pk: int, **_ignored) -> None:
    service.give_up(site_id, event_pk, error)


@task("adtracking.send_event", lane="transactional", max_retries=8, min_backoff_ms=5_000, max_backoff_ms=900_000,
      gave_up=_gave_up)
def send_event(*, site_id: int, event_pk: int) -> None:
    try:
        service.send_event(site_id, event_pk)
    except MetaGraphError:
        raise  # retried with backoff by the work model
