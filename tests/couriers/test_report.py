"""The delivery report (C7): counts by outcome, delivery ratio, COD expected vs collected, by
courier and Dhaka day; JSON, CSV and the page."""
import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from backend.couriers import report, service
from backend.couriers.models import Consignment
from backend.extensions import db
from backend.integrations.couriers import TrackedStatus
from backend.licensing.models import Site
from tests.csv_checks import ATTACKS, assert_formula_safe, read_csv

DAY1, DAY2 = date(2026, 3, 1), date(2026, 3, 2)


def at(day, hour):
    """A Dhaka wall-clock time as naive UTC (Dhaka is UTC+6)."""
    return datetime(day.year, day.month, day.day, hour) - timedelta(hours=6)


@pytest.fixture
def parcels(app, shop):
    """Day 1: 2 delivered (one of 1000, one of 500), 1 partial (amount unknown), 1 cancelled,
    1 awaiting delivery approval. Day 2: 1 in review. One more before the range."""
    rows = [
        ("A1", DAY1, "delivered", "1000"), ("A2", DAY1, "delivered", "500"), ("A3", DAY1, "partial_delivered", "800"),
        ("A4", DAY1, "cancelled", "300"), ("A5", DAY1, "delivered_approval_pending", "200"),
        ("B1", DAY2, "in_review", "150"), ("OLD", DAY1 - timedelta(days=3), "delivered", "999"),
    ]
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        for invoice, day, status, cod in rows:
            # 00:30 in Dhaka is 18:30 UTC the day before: the Dhaka day must decide
            service.register_consignment(site, invoice, "steadfast", f"9{len(invoice)}{invoice}", None, Decimal(cod),
                                         status=TrackedStatus(status, status), booked_at=at(day, 0) + timedelta(minutes=30))
        db.session.commit()
    return shop


def test_report_counts_ratio_and_cod(parcels):
    report = parcels.get("/api/v1/couriers/report?start_date=2026-03-01&end_date=2026-03-02").json
    t = report["totals"]
    assert (t["booked"], t["delivered"], t["partial_delivered"], t["returned_cancelled"], t["in_transit"],
            t["awaiting_approval"]) == (6, 2, 1, 1, 2, 1)
    assert t["delivery_ratio"] == 0.75  # (2 + 1) / (2 + 1 + 1): parcels still moving do not count
    assert t["cod_expected"] == "2950.00" and t["cod_collected"] == "1500.00" and t["partial_amount_unknown"] == 1
    assert report["days"] == ["2026-03-01", "2026-03-02"]
    assert report["series"]["booked"] == [5, 1] and report["series"]["delivered"] == [2, 0]
    assert list(report["by_courier"]) == ["steadfast"]


def test_report_defaults_and_bad_ranges(parcels):
    assert parcels.get("/api/v1/couriers/report").status_code == 200  # the last 30 days
    assert parcels.get("/api/v1/couriers/report?start_date=2026-03-05&end_date=2026-03-01").status_code == 422
    assert parcels.get("/api/v1/couriers/report?start_date=2024-01-01&end_date=2026-03-01").status_code == 422
    # a courier Bikri knows, with no parcels in the range
    empty = parcels.get("/api/v1/couriers/report?start_date=2026-01-01&end_date=2026-01-02&courier=steadfast").json
    assert empty["totals"]["booked"] == 0 and empty["totals"]["delivery_ratio"] is None


@pytest.mark.parametrize("courier", ["pathao", *ATTACKS])
def test_an_unknown_courier_filter_is_refused_by_every_report_route(parcels, courier):
    """The filter is written into the report and its CSV: only couriers Bikri knows get there."""
    query = urlencode({"start_date": "2026-03-01", "end_date": "2026-03-02", "courier": courier})
    for path in ("/api/v1/couriers/report", "/api/v1/couriers/report.csv"):
        response = parcels.get(f"{path}?{query}")
        assert response.status_code == 422, (path, response.status_code)
        assert response.json["error"]["details"]["courier"], response.json  # (too long, or not a courier Bikri knows)
    _page, session = parcels.open_page(page="couriers", role="shop_manager")
    headers = {"X-Bikri-Embed-Session": session}
    query = urlencode({"start": "2026-03-01", "end": "2026-03-02", "courier": courier})
    exported = parcels.client.get(f"/embed/couriers/report.csv?{query}", headers=headers)
    assert exported.status_code == 422 and exported.mimetype != "text/csv"
    chart = parcels.client.get(f"/embed/couriers/report.json?{query}", headers=headers)
    assert chart.status_code == 422
    assert chart.json["error"]["details"]["courier"] == ["Bikri does not know this courier. Choose one from the list."]
    table = parcels.client.get(f"/embed/couriers/report?{query}", headers=headers).get_data(as_text=True)
    assert "Bikri does not know this courier." in table and "data-booked" not in table


@pytest.mark.parametrize("courier", ATTACKS)
def test_the_report_csv_cells_cannot_become_formulas(app, parcels, courier):
    """Behind the routes' check, the writer itself: the filter in the Total row comes out as text."""
    with app.app_context():
        table = read_csv(report.report_csv(report.delivery_report(parcels.site_id, DAY1, DAY2, courier)))
    assert table[-1][:2] == ["Total", "'" + courier]
    assert_formula_safe(table)


def test_csv_has_a_row_per_day_and_courier_and_a_total(parcels):
    response = parcels.get("/api/v1/couriers/report.csv?start_date=2026-03-01&end_date=2026-03-02")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "deliveries-2026-03-01-2026-03-02.csv" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0][:3] == ["Date", "Courier", "Booked"]
    assert lines[1] == ["2026-03-01", "steadfast", "5", "2", "1", "1", "1", "1", "0.7500", "2800.00", "1500.00"]
    assert lines[2][:3] == ["2026-03-02", "steadfast", "1"]
    assert lines[3][:3] == ["Total", "All couriers", "6"]


def test_the_report_page_parts(parcels):
    _page, session = parcels.open_page(page="couriers", role="shop_manager")
    headers = {"X-Bikri-Embed-Session": session}
    table = parcels.client.get("/embed/couriers/report?start=2026-03-01&end=2026-03-02", headers=headers).get_data(as_text=True)
    assert 'data-booked="6"' in table and "75.0%" in table and "2,950.00" in table and "awaiting the courier" in table
    chart = parcels.client.get("/embed/couriers/report.json?start=2026-03-01&end=2026-03-02", headers=headers).json
    assert chart["series"]["returned_cancelled"] == [1, 0] and chart["booked"] == 6
    bad = parcels.client.get("/embed/couriers/report.json?start=2026-03-09&end=2026-03-01", headers=headers)
    assert bad.status_code == 422
    assert "Dates look like" in parcels.client.get("/embed/couriers/report?start=March", headers=headers).get_data(as_text=True)
    exported = parcels.client.get("/embed/couriers/report.csv?start=2026-03-01&end=2026-03-02", headers=headers)
    assert exported.status_code == 200 and exported.get_data(as_text=True).count("\n") == 4


def test_collected_follows_delivery(app, parcels):
    """A parcel that turns delivered collects its COD; the report's collected grows with it."""
    with app.app_context():
        pk = db.session.execute(db.select(Consignment.id).where(Consignment.invoice == "A5")).scalar_one()
        row = db.session.get(Consignment, pk)
        service.apply_status(pk, row.site_id, TrackedStatus("delivered", "delivered"), row.booked_at + timedelta(hours=30),
                             source="poll", poll_minutes=60)
        db.session.commit()
    t = parcels.get("/api/v1/couriers/report?start_date=2026-03-01&end_date=2026-03-02").json["totals"]
    assert t["delivered"] == 3 and t["cod_collected"] == "1700.00" and t["awaiting_approval"] == 0
