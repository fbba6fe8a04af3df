"""Status polling (P3) and the on-demand check (C6) against the sandbox over real sockets:
due parcels only, one request each, statuses and history applied once and in order, final
statuses kept, the courier's rate limit respected and shared, 429/5xx/timeouts handled politely."""
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from backend import commits
from backend.couriers import polling, service
from backend.couriers.models import Consignment, ConsignmentStatusChange, CourierAccount
from backend.extensions import db
from backend.integrations.couriers import ParcelRequest, TrackedStatus
from backend.jobs import runner
from backend.jobs.table import JOBS
from backend.licensing.models import Site
from backend.sandbox.steadfast import API_KEY, SECRET_KEY
from backend.clock import utcnow
from tests.couriers.helpers import book_at_sandbox


@pytest.fixture
def book(app, connected, steadfast):
    """Book n parcels at the sandbox and record them as booking will; all due for a check."""
    def book(n, prefix="P"):
        with app.app_context():
            pks = book_at_sandbox(db.session.get(Site, connected.site_id), n, prefix)
            db.session.execute(update(Consignment).values(next_check_at=utcnow() - timedelta(minutes=1)))
            db.session.commit()
            steadfast.calls.clear()
            return pks
    return book


def rows(app):
    with app.app_context():
        return {c.id: c for c in db.session.execute(select(Consignment)).scalars()}


def history(app, pk):
    with app.app_context():
        return [(h.status, h.source) for h in db.session.execute(
            select(ConsignmentStatusChange).where(ConsignmentStatusChange.consignment_pk == pk)
            .order_by(ConsignmentStatusChange.id)).scalars()]


def poll(app, budget=10):
    with app.app_context():
        return polling.poll_due_consignments(budget_seconds=budget)


def test_poll_moves_due_parcels_and_records_history(app, book, steadfast):
    pks = book(3)
    steadfast.advance(2 * 3600)
    stats = poll(app)
    assert stats["asked"] == 3 and stats["changed"] == 3 and stats["failed"] == 0
    assert sum(steadfast.status_calls.values()) == 3  # one request per parcel
    for pk, row in rows(app).items():
        assert row.status == "pending" and row.courier_status == "pending"
        assert row.next_check_at - row.last_checked_at == timedelta(minutes=60)
        assert history(app, pk) == [("in_review", "booking"), ("pending", "poll")]


def test_only_due_parcels_are_asked(app, book, steadfast):
    due, later = book(2)
    with app.app_context():
        db.session.execute(update(Consignment).where(Consignment.id == later).values(next_check_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
    assert poll(app)["asked"] == 1
    assert list(steadfast.status_calls) == [int(rows(app)[due].consignment_id)]


def test_repeated_answers_add_no_history(app, book, steadfast):
    [pk] = book(1)
    poll(app)
    with app.app_context():
        db.session.execute(update(Consignment).values(next_check_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    stats = poll(app)
    assert stats["asked"] == 1 and stats["changed"] == 0
    assert history(app, pk) == [("in_review", "booking")]


def test_final_statuses_stay_and_are_not_asked_again(app, book, steadfast):
    [pk] = book(1)
    cid = int(rows(app)[pk].consignment_id)
    steadfast.set_status(cid, "delivered")
    poll(app)
    row = rows(app)[pk]
    assert row.status == "delivered" and row.next_check_at is None and row.collected_amount == Decimal("500")
    # the courier changes its mind later: we keep the settled status
    with app.app_context():
        changed = service.apply_status(pk, row.site_id, TrackedStatus("pending", "pending"), utcnow(), source="webhook",
                                       poll_minutes=60)
        db.session.commit()
    assert not changed and rows(app)[pk].status == "delivered"
    steadfast.status_calls.clear()
    assert poll(app)["asked"] == 0 and not steadfast.status_calls


def test_a_poll_keeps_the_dashboard_parcel_rollup_exact(app, book, steadfast, monkeypatch):
    """The poll writes the parcel rollup once per commit (rollups.defer_parcel_changes), and the
    pacer commits mid-batch too: whichever commit carries a change carries its rollup."""
    from backend.dashboard import costs
    from backend.dashboard.service import Period
    from backend.clock import dhaka_today

    monkeypatch.setattr(polling, "COMMIT_EVERY", 3)
    pks = book(10)
    outcomes = ["delivered", "cancelled", "hold", "partial_delivered", "delivered_approval_pending"]
    for n, pk in enumerate(pks):
        steadfast.set_status(int(rows(app)[pk].consignment_id), outcomes[n % len(outcomes)])
    assert poll(app)["changed"] == 10
    poll(app)  # nothing due again: the rollup must not move
    today = dhaka_today()
    with app.app_context():
        current = costs.cash(rows(app)[pks[0]].site_id, Period(today - timedelta(days=1), today))["current"]
    assert (current["parcels"], current["delivered"], current["returned_cancelled"], current["in_transit"],
            current["partial_amount_unknown"]) == (10, 4, 2, 4, 2)
    assert (current["cod_booked"], current["cod_collected"], current["cod_lost"], current["cod_pending"]) == \
        (Decimal("5000"), Decimal("1000"), Decimal("1000"), Decimal("2000"))


def test_approval_pending_is_not_final(app, book, steadfast):
    [pk] = book(1)
    steadfast.set_status(int(rows(app)[pk].consignment_id), "cancelled_approval_pending")
    poll(app)
    row = rows(app)[pk]
    assert row.status == "cancelled_approval_pending" and row.next_check_at is not None


def test_older_answers_never_overwrite_newer_ones(app, book):
    [pk] = book(1)
    row = rows(app)[pk]
    now = utcnow()
    with app.app_context():
        # a slow request sent at t1 answers after a quick one sent at t2 > t1
        assert service.apply_status(pk, row.site_id, TrackedStatus("hold", "hold"), now, source="poll", poll_minutes=60)
        assert not service.apply_status(pk, row.site_id, TrackedStatus("pending", "pending"), now - timedelta(seconds=5),
                                        source="poll", poll_minutes=60)
        # the same status again, asked later, then an older different one: still ignored
        assert not service.apply_status(pk, row.site_id, TrackedStatus("hold", "hold"), now + timedelta(seconds=5),
                                        source="poll", poll_minutes=60)
        assert not service.apply_status(pk, row.site_id, TrackedStatus("pending", "pending"), now + timedelta(seconds=2),
                                        source="poll", poll_minutes=60)
        db.session.commit()
    assert rows(app)[pk].status == "hold"
    assert history(app, pk) == [("in_review", "booking"), ("hold", "poll")]


def test_the_rate_limit_is_respected(app, book, steadfast):
    pks = book(20)
    rate = 20.0
    app.config["COURIERS"]["steadfast"]["requests_per_second"] = rate
    # a little burst room: on a busy machine a request woken late and the next one on time may
    # arrive together, which a courier's bucket allows too
    steadfast.set_rate(rate, burst=4)
    started = time.monotonic()
    stats = poll(app)
    elapsed = time.monotonic() - started
    assert stats["asked"] == 20 and steadfast.rate_limited == 0
    assert elapsed >= (len(pks) - 4) / rate  # never faster than the limit allows


def test_the_limit_is_shared_by_concurrent_pacers(app, connected, steadfast):
    """Two runs (the job and a web worker's check) pacing the same account get interleaved slots."""
    with app.app_context():
        account_id = db.session.execute(select(CourierAccount.id)).scalar_one()
        first, second = polling.Pacer(account_id, 100.0), polling.Pacer(account_id, 100.0)
        slots = sorted([first.next_slot() for _ in range(30)] + [second.next_slot() for _ in range(30)])
    gaps = [b - a for a, b in zip(slots, slots[1:])]
    assert min(gaps) >= 0.0099  # 100 a second between both, never more


def test_429_waits_retry_after_slows_down_and_finishes(app, book, steadfast):
    book(8)
    app.config["COURIERS"]["steadfast"]["requests_per_second"] = 20.0  # we were told 20 a second...
    steadfast.set_rate(4, burst=1)                                     # ...the courier allows 4
    stats = poll(app, budget=20)
    assert stats["asked"] == 8 and stats["rate_limited"] >= 1
    assert all(row.last_checked_at is not None and row.check_failures == 0 for row in rows(app).values())
    # polite: far fewer refusals than parcels once it slowed down
    assert steadfast.rate_limited <= 8


def test_5xx_backs_off_and_pauses_the_account(app, book, steadfast):
    book(12)
    steadfast.fail_next(count=100, status=503)
    stats = poll(app)
    # The account stops at the 5th failure in a row; requests already on their way when it came
    # back still come back (on a busy machine one or two more), and nothing is sent after it.
    in_flight_at_most = polling.MAX_WORKERS
    assert polling.FAILURES_BEFORE_PAUSE <= stats["failed"] < polling.FAILURES_BEFORE_PAUSE + in_flight_at_most
    assert stats["asked"] == 0
    failed = [r for r in rows(app).values() if r.check_failures]
    untouched = [r for r in rows(app).values() if not r.check_failures]
    assert len(failed) == stats["failed"] == steadfast.calls["status_by_cid"] and untouched
    for row in failed:
        assert "not working right now" in row.last_error
        assert timedelta(minutes=1) < row.next_check_at - utcnow() <= timedelta(minutes=2)
    assert all(r.next_check_at < utcnow() for r in untouched)  # still due: first in line next time
    assert service.backoff(1) == timedelta(minutes=2) and service.backoff(3) == timedelta(minutes=8)
    assert service.backoff(30) == timedelta(hours=6)


def test_timeouts_count_as_failures(app, book, steadfast):
    [pk] = book(1)
    app.config["COURIER_TIMEOUT"] = 0.3
    try:
        steadfast.slow_next(1.0)
        stats = poll(app)
    finally:
        app.config["COURIER_TIMEOUT"] = 20.0
    assert stats["failed"] == 1 and "did not answer" in rows(app)[pk].last_error


def test_refused_keys_pause_the_account_until_saved_again(app, book, steadfast, connected, keys):
    book(3)
    steadfast.accounts[API_KEY].secret_key = "rotated"
    stats = poll(app)
    # the first 401 stops the account; a request already in flight then (the pacer sends one every
    # 20 ms here, and a loaded machine answers slower) fails too, so at least one, never a status
    assert stats["failed"] >= 1 and stats["asked"] == 0
    assert all(r.check_failures == 0 for r in rows(app).values())  # the parcels did nothing wrong
    steadfast.calls.clear()
    assert poll(app)["asked"] == 0 and not steadfast.calls  # not asked while the keys are refused
    steadfast.accounts[API_KEY].secret_key = SECRET_KEY
    assert connected.client.put("/api/v1/couriers/steadfast/account", json=keys, headers=connected.auth).status_code == 200
    assert poll(app)["asked"] == 3


def test_the_job_is_in_the_table_and_runs_per_shop(app, book, steadfast, connected, monkeypatch):
    book(2)
    job = next(job for job in JOBS if job.name == "poll_courier_statuses")
    assert job.per_shop and job.lane == "bulk"
    with app.app_context():
        assert polling.sites_with_parcels_due() == [connected.site_id]
    monkeypatch.setattr(runner, "wall_clock", lambda: 1_900_000_000.0)  # an interval of this test's own
    assert runner.tick(app, job) == {"shops_due": 1, "queued": 1}  # one task for the shop, run inline here
    with app.app_context():
        assert polling.sites_with_parcels_due() == []
        assert all(c.last_checked_at is not None for c in db.session.execute(select(Consignment)).scalars())


def test_the_whole_job_in_one_process_asks_every_shop(app, book, steadfast):
    book(2)
    job = next(job for job in JOBS if job.name == "poll_courier_statuses")
    result = runner.run_job(app, job)
    assert result["asked"] == 2


def test_register_consignment_is_idempotent_and_catches_double_booking(app, connected):
    with app.app_context():
        site = db.session.get(Site, connected.site_id)
        first = service.register_consignment(site, "777", "steadfast", "111", "TRK", Decimal("100"), 777)
        again = service.register_consignment(site, "777", "steadfast", "111", "TRK", Decimal("100"), 777)
        assert first.id == again.id
        with pytest.raises(service.DoubleBooking) as twice:
            service.register_consignment(site, "777", "steadfast", "222", "TRK2", Decimal("100"), 777)
        assert twice.value.status == 409 and "111" in twice.value.message and "222" in twice.value.message
        db.session.commit()
        assert len(db.session.execute(select(Consignment)).scalars().all()) == 1


# --- the on-demand check --------------------------------------------------------------------------

def status_check(shop, **asked):
    """POST the status check, then read its job (done at once in the tests' inline mode): one
    result per id or invoice asked, in the order asked."""
    response = shop.post("/api/v1/couriers/consignments/status-check", json=asked)
    assert response.status_code == 202, response.json
    assert response.headers["Location"] == f"/api/v1/jobs/{response.json['id']}"
    job = shop.get(response.headers["Location"]).json
    assert job["kind"] == "status_check" and job["status"] == "done"
    items = sorted(job["items"], key=lambda item: int(item["item"]))
    assert [item["item"] for item in items] == [str(n) for n in range(len(asked.get("ids", [])) + len(asked.get("invoices", [])))]
    for item in items:
        assert item["outcome"] == ("checked" if item["checked"] else "not_checked")
    return items


def test_status_check_api_answers_per_item(app, book, steadfast, connected, make_shop):
    p0, p1, p2 = book(3)
    steadfast.advance(2 * 3600)
    steadfast.set_status(int(rows(app)[p2].consignment_id), "delivered")
    with app.app_context():
        db.session.execute(update(Consignment).where(Consignment.id == p2).values(status="delivered", next_check_at=None))
        db.session.commit()
    other = make_shop(url="https://shop-b.example.com")
    items = status_check(connected, ids=[p0, p2, 99999], invoices=["P1", "nope"])
    assert [i["invoice"] for i in items] == ["P0", "P2", "", "P1", "nope"]
    assert items[0]["checked"] and items[0]["changed"] and items[0]["status"] == "pending"
    assert not items[1]["checked"] and items[1]["note"] and items[1]["status"] == "delivered"
    assert "No consignment" in items[2]["error"] and "No consignment" in items[4]["error"]
    assert items[3]["checked"] and items[3]["status"] == "pending"
    # asked again at once: answered from what we know, the courier is not asked
    steadfast.status_calls.clear()
    [again] = status_check(connected, ids=[p0])
    assert not again["checked"] and "less than a minute" in again["note"] and not steadfast.status_calls
    # another shop cannot check (or learn about) these parcels
    [theirs] = status_check(other, ids=[p0])
    assert theirs["error"] and theirs["invoice"] == "" and theirs.get("status") is None


def test_status_check_refuses_bad_requests(connected):
    assert connected.post("/api/v1/couriers/consignments/status-check", json={}).status_code == 422
    too_many = connected.post("/api/v1/couriers/consignments/status-check", json={"ids": list(range(101))})
    assert too_many.status_code == 422


def test_page_lists_parcels_on_the_way_and_checks_them(app, book, steadfast, connected):
    pks = book(2)
    steadfast.advance(2 * 3600)
    _page, session = connected.open_page(page="couriers", role="shop_manager")
    headers = {"X-Bikri-Embed-Session": session}
    table = connected.client.get("/embed/couriers/consignments", headers=headers).get_data(as_text=True)
    assert "P0" in table and "P1" in table and "Waiting for the courier" in table
    checked = connected.client.post("/embed/couriers/consignments/check", data={"id": [str(pk) for pk in pks]}, headers=headers)
    assert checked.headers["HX-Trigger"] == "checked"
    assert checked.get_data(as_text=True).count("changed just now") == 2
    nothing = connected.client.post("/embed/couriers/consignments/check", data={}, headers=headers).get_data(as_text=True)
    assert "Tick the parcels" in nothing


def test_consignment_detail_with_history(app, book, connected, steadfast):
    [pk] = book(1)
    steadfast.advance(2 * 3600)
    poll(app)
    detail = connected.get("/api/v1/couriers/consignments/steadfast/P0").json
    assert detail["status"] == "pending" and not detail["final"]
    assert [h["status"] for h in detail["history"]] == ["in_review", "pending"]
    listed = connected.get("/api/v1/couriers/consignments?open=true").json
    assert listed["total"] == 1 and listed["items"][0]["invoice"] == "P0"
    assert connected.get("/api/v1/couriers/consignments/steadfast/P9").status_code == 404


def test_a_shop_with_few_parcels_is_not_stuck_behind_a_big_one(app, book, steadfast, make_shop):
    """Accounts are paced side by side: shop B's two parcels go out at once, not after A's twenty."""
    book(20, prefix="A")
    steadfast.add_account("shop-b-key", "shop-b-secret")
    shop_b = make_shop(url="https://shop-b.example.com")
    assert shop_b.client.put("/api/v1/couriers/steadfast/account", json={"api_key": "shop-b-key", "secret_key": "shop-b-secret"},
                             headers=shop_b.auth).status_code == 200
    with app.app_context():
        site_b = db.session.get(Site, shop_b.site_id)
        courier = service.courier_for(service.get_account(site_b, "steadfast"))
        b_ids = []
        for i in commits.one_at_a_time(range(2)):  # each booking kept before the next is asked
            parcel = courier.create_consignment(ParcelRequest(invoice=f"B{i}", recipient_name="Mina", recipient_phone="01911234567",
                                                              recipient_address="Khulna", cod_amount=Decimal("300")))
            service.register_consignment(site_b, parcel.invoice, "steadfast", parcel.consignment_id, None, Decimal("300"))
            b_ids.append(int(parcel.consignment_id))
        db.session.execute(update(Consignment).values(next_check_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    steadfast.status_calls.clear()
    app.config["COURIERS"]["steadfast"]["requests_per_second"] = 10.0
    assert poll(app)["asked"] == 22
    order = list(steadfast.status_calls)
    assert set(b_ids) <= set(order[:6]), order
