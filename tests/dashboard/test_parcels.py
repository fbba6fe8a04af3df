"""The cash widget (D12) reads a daily parcel rollup: it must equal the same figures computed from
the consignments themselves after bookings around Dhaka midnights, status answers in any order
(repeated, older, final ones "corrected" later, the same webhook event again), bulk runs that
write the rollup at commit, rollbacks — and the migration's backfill."""
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from backend.couriers import service as couriers
from backend.couriers.models import Consignment
from backend.couriers.report import group_of
from backend.dashboard import costs, rollups, service
from backend.dashboard.models import DayParcels
from backend.extensions import db
from backend.integrations.couriers import STATUSES, TrackedStatus
from backend.licensing.models import Site

MIDNIGHT = datetime(2026, 3, 1, 18, 0, 0)  # 00:00 on 2 March in Dhaka
EDGES = [timedelta(seconds=s) for s in (-1, 0, 1)]
RANGES = [(date(2026, 3, 2), date(2026, 3, 2)), (date(2026, 3, 1), date(2026, 3, 3)), (date(2026, 2, 25), date(2026, 3, 8))]


def raw_cash(site_id, start, end) -> dict:
    """costs.cash's figures for one period, straight from the consignments."""
    totals = {"parcels": 0, "delivered": 0, "in_transit": 0, "returned_cancelled": 0, "partial_amount_unknown": 0,
              "cod_booked": Decimal(0), "cod_expected": Decimal(0), "cod_collected": Decimal(0), "cod_pending": Decimal(0),
              "cod_lost": Decimal(0)}
    # fresh rows: apply_status writes with plain UPDATEs, and the app does not expire objects on commit
    for c in db.session.execute(select(Consignment).where(Consignment.site_id == site_id)
                                .execution_options(populate_existing=True)).scalars():
        if not start <= (c.booked_at + timedelta(hours=6)).date() <= end:
            continue
        group = group_of(c.status)
        totals["parcels"] += 1
        totals["cod_booked"] += c.cod_amount
        if group == "returned_cancelled":
            totals["returned_cancelled"] += 1
            totals["cod_lost"] += c.cod_amount
            continue
        totals["cod_expected"] += c.cod_amount
        if group == "in_transit":
            totals["in_transit"] += 1
            totals["cod_pending"] += c.cod_amount
        else:
            totals["delivered"] += 1
            totals["cod_collected"] += c.collected_amount or 0
            totals["partial_amount_unknown"] += group == "partial_delivered" and c.collected_amount is None
    return totals


def stored_rows(site_id) -> dict:
    return {(r.day, r.courier, r.status): (r.parcels, r.cod, r.collected, r.collected_known)
            for r in db.session.execute(select(DayParcels).where(DayParcels.site_id == site_id)).scalars()
            if r.parcels or r.cod or r.collected or r.collected_known}


def rebuilt_rows(site_id) -> dict:
    rows = db.session.execute(select(*[Consignment.__table__.c[f] for f in rollups.PARCEL_FIELDS])
                              .where(Consignment.site_id == site_id)).mappings()
    deltas = rollups.parcel_deltas((None, row) for row in rows).get(site_id, {})
    return {key: (m["parcels"], m["cod"], m["collected"], m["collected_known"]) for (_model, key), m in deltas.items()}


def check(site_id):
    assert stored_rows(site_id) == rebuilt_rows(site_id)
    for start, end in RANGES:
        period = service.Period(start, end)
        answer = costs.cash(site_id, period)
        assert answer["current"] == raw_cash(site_id, start, end), (start, end)
        assert answer["previous"] == raw_cash(site_id, period.previous.start, period.previous.end), (start, end)


def book(site, rng, n, status=None):
    booked = MIDNIGHT + timedelta(days=rng.randint(-2, 2)) + rng.choice(EDGES)
    status = status or rng.choice(STATUSES)
    return couriers.register_consignment(site, f"INV-{n}", "steadfast", str(9000 + n), None,
                                         Decimal(rng.randint(0, 300000)) / 100, n,
                                         status=TrackedStatus(status, status), booked_at=booked)


def test_random_histories_keep_the_rollup_equal_to_the_parcels(app, shop):
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        for seed in range(4):
            rng = random.Random(seed)
            pks = [book(site, rng, seed * 100 + n).id for n in range(25)]
            book(site, rng, seed * 100)  # booked again (a retry): the same parcel, counted once
            db.session.commit()
            check(site.id)
            clock = MIDNIGHT + timedelta(days=3)
            for step in range(120):
                pk, status = rng.choice(pks), rng.choice(STATUSES)
                # mostly newer news, sometimes older (a slow answer overtaken), sometimes the same moment again
                clock += timedelta(seconds=rng.choice([-30, 0, 5, 60]))
                savepoint = db.session.begin_nested() if rng.random() < 0.1 else None
                for _ in range(rng.choice([1, 1, 2, 3])):  # a webhook may deliver the same event again
                    couriers.apply_status(pk, site.id, TrackedStatus(status, status), clock,
                                          source=rng.choice(["poll", "check", "webhook"]), poll_minutes=60,
                                          defer_rollup=rng.random() < 0.5)
                if savepoint is not None:  # a caller's savepoint, kept or rolled back
                    savepoint.commit() if rng.random() < 0.5 else savepoint.rollback()
                if step % 10 == 9:
                    if rng.random() < 0.2:
                        db.session.rollback()  # the changes and their rollup go together
                    else:
                        db.session.commit()
                    check(site.id)
            db.session.commit()
            check(site.id)


def test_a_delivered_parcel_later_reported_returned_stays_delivered_in_cash(app, shop):
    """A final status is never moved (couriers.apply_status); the cash widget agrees with the parcel."""
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        rng = random.Random(3)
        parcel = book(site, rng, 1, status="in_review")
        pk, cod = parcel.id, parcel.cod_amount
        db.session.commit()
        day = (parcel.booked_at + timedelta(hours=6)).date()
        moment = MIDNIGHT + timedelta(days=5)
        assert couriers.apply_status(pk, site.id, TrackedStatus("delivered", "delivered"), moment, source="poll",
                                     poll_minutes=60)
        assert not couriers.apply_status(pk, site.id, TrackedStatus("returned", "returned"), moment + timedelta(hours=1),
                                         source="webhook", poll_minutes=60)
        db.session.commit()
        current = costs.cash(site.id, service.Period(day, day))["current"]
        assert (current["delivered"], current["returned_cancelled"], current["cod_collected"], current["cod_lost"]) == \
            (1, 0, cod, 0)
        check(site.id)


def test_a_parcel_counts_on_its_dhaka_booking_day(app, shop):
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        for n, edge in enumerate(EDGES):
            couriers.register_consignment(site, f"E{n}", "steadfast", str(n), None, Decimal("100"), n,
                                          booked_at=MIDNIGHT + edge)
        db.session.commit()
        first, second = (costs.cash(site.id, service.Period(d, d))["current"]["parcels"]
                         for d in (date(2026, 3, 1), date(2026, 3, 2)))
        assert (first, second) == (1, 2)  # 23:59:59 on 1 March; 00:00:00 and 00:00:01 on 2 March
        check(site.id)


def test_the_migration_fills_the_rollup_from_existing_parcels(app, shop):
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        rng = random.Random(8)
        for n in range(30):
            book(site, rng, n)
        db.session.commit()
        expected = stored_rows(site.id)
        db.session.commit()  # end the read: the migration drops the table on its own connection
        downgrade(revision="0720")
        upgrade()
        assert stored_rows(site.id) == expected == rebuilt_rows(site.id)
