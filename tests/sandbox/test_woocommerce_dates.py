"""The sandbox store's dates: fixed for tests, anchored to today for the demo (`make run`)."""
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from woocommerce import API

from backend.sandbox.server import SandboxServer
from backend.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET, GENERATED_END, create_sandbox, generate
from backend.clock import DHAKA


def newest_order(url):
    api = API(url=url, consumer_key=DEFAULT_KEY, consumer_secret=DEFAULT_SECRET, version="wc/v3", timeout=10)
    answer = api.get("orders", params={"per_page": 1, "orderby": "date", "order": "desc"})
    assert answer.status_code == 200, answer.text
    return answer.json()[0]


def test_a_store_started_as_make_run_starts_it_ends_with_todays_orders(monkeypatch):
    monkeypatch.setenv("BIKRI_SANDBOX_WC_END", "now")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    app = create_sandbox(orders=500, seed=1)  # what `flask sandbox run woocommerce` makes
    with SandboxServer(app) as url:
        newest = newest_order(url)
    created = datetime.fromisoformat(newest["date_created_gmt"]).replace(tzinfo=timezone.utc)
    assert before - timedelta(minutes=2) <= created <= before
    assert created.date() == before.date(), "today in UTC"
    assert created.astimezone(DHAKA).date() == before.astimezone(DHAKA).date(), "today in Dhaka"
    assert datetime.fromisoformat(newest["date_created"]) == created.astimezone(DHAKA).replace(tzinfo=None)
    store = app.store
    assert max(store.modified) <= max(store.created) < time.time(), "nothing modified after the newest order"
    assert max(Counter(store.modified).values()) < 50, "changes are spread, not piled onto the last second"
    assert all(a <= b for a, b in zip(store.created, store.created[1:])), "ids still grow with time"


def test_without_an_anchor_the_dates_stay_fixed(monkeypatch):
    monkeypatch.delenv("BIKRI_SANDBOX_WC_END", raising=False)
    store = generate(500, seed=1)
    assert max(store.created) < GENERATED_END - 29 * 86400 and max(store.modified) <= GENERATED_END
    assert store.order(17) == generate(500, seed=1).order(17)


def test_an_anchor_in_epoch_seconds(monkeypatch):
    monkeypatch.setenv("BIKRI_SANDBOX_WC_END", "1780000000")
    store = create_sandbox(orders=50, seed=2).store
    assert max(store.created) == 1780000000 - 60 and max(store.modified) <= 1780000000
