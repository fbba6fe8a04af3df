"""The sync follows licensing through its signal (backend/licensing/signals.py): licensing is
below the sync and never imports it. `connect` is called once by `backend.app.create_app`;
tests/test_signals.py checks it was."""
from backend.licensing.signals import site_activated
from backend.sync.backfill import request_backfill
from backend.sync.models import SyncKind, SyncStatus
from backend.sync.state import state_for


def on_site_activated(site, *, new_keys: bool) -> None:
    """Queue the shop's first backfill for the jobs process now, not at the next 5-minute
    reconciliation: its desk is empty until it runs. One that failed (a bad key, say) is
    resumed when the activation brings new keys. Nothing remote happens here."""
    if not (site.wc_consumer_key_enc and site.wc_consumer_secret_enc):
        return
    state = state_for(site.id, SyncKind.BACKFILL)
    never_ran = state.status == SyncStatus.IDLE and not state.cursor
    if never_ran or (new_keys and state.status == SyncStatus.FAILED):
        request_backfill(site)


def connect() -> None:
    # strong reference: the receiver lives as long as the process (connecting twice is a no-op)
    site_activated.connect(on_site_activated, weak=False)
