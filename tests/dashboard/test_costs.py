"""D12: costs (entered by hand), profit = sales − costs, and cash on delivery from the parcels.

Widget numbers are compared with sums over the raw rows, with orders and parcels placed one
second either side of Dhaka midnights (18:00 UTC)."""
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from backend.couriers import service as couriers
from backend.dashboard import costs, rollups, service
from backend.dashboard.models import COST_CATEGORIES
from backend.extensions import db
from backend.integrations.couriers import STATUSES, TrackedStatus
from backend.licensing.models import Site
from backend.orders.service import upsert_orders

NOT_SALES = {"pending", "failed", "cancelled", "refunded", "returned"}
MIDNIGHT = datetime(2026, 3, 1, 18, 0, 0)  # 00:00 on 2 March in Dhaka
EDGES = [timedelta(seconds=s) for s in (-1, 0, 1)]


def dhaka_day(moment):
    return (moment + timedelta(hours=6)).date()


def post(client, session, path, method="POST", **body):
    return client.open(f"/embed/dashboard/{path}", method=method, json=body, headers={"X-Bikri-Embed-Session": session})


def test_costs_are_created_listed_changed_and_deleted_by_managers(client, shop):
    _page, session = shop.open_page("dashboard", role="shop_manager")
    made = post(client, session, "costs", day="2026-03-02", category="ads", amount="1500.50", note="Facebook boost")
    assert made.status_code == 201, made.json
    cost = made.json
    assert cost["amount"] == "1500.50" and cost["category"] == "ads" and cost["created_by"]
    listed = client.get("/embed/dashboard/costs.json?start=2026-03-01&end=2026-03-31", headers={"X-Bikri-Embed-Session": session})
    assert listed.json["can_manage"] is True and [c["id"] for c in listed.json["costs"]] == [cost["id"]]
    changed = post(client, session, f"costs/{cost['id']}", method="PUT", day="2026-03-03", category="packaging", amount="200")
    assert changed.status_code == 200 and changed.json["amount"] == "200.00" and changed.json["note"] == ""
    assert post(client, session, f"costs/{cost['id']}", method="DELETE").status_code == 204
    assert post(client, session, f"costs/{cost['id']}", method="DELETE").status_code == 404
    assert client.get("/embed/dashboard/costs.json?start=2026-03-01&end=2026-03-31",
                      headers={"X-Bikri-Embed-Session": session}).json["costs"] == []


@pytest.mark.parametrize("body, fields", [
    ({}, {"day", "category", "amount"}),
    ({"day": "2026-02-30", "category": "ads", "amount": "10"}, {"day"}),
    ({"day": "2026-03-01", "category": "food", "amount": "10"}, {"category"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "0"}, {"amount"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "-5"}, {"amount"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "10.005"}, {"amount"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "NaN"}, {"amount"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "1e12"}, {"amount"}),
    # more digits than Decimal's context holds: the poisha check beside the range raised (a 500)
    ({"day": "2026-03-01", "category": "ads", "amount": "1e30"}, {"amount"}),
    ({"day": "2026-03-01", "category": "ads", "amount": 1e308}, {"amount"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "Infinity"}, {"amount"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "10", "note": "x" * 501}, {"note"}),
    ({"day": "2026-03-01", "category": "ads", "amount": "10", "colour": "red"}, {"colour"}),
])
def test_bad_costs_are_refused_naming_the_fields(client, shop, body, fields):
    _page, session = shop.open_page("dashboard")
    refused = post(client, session, "costs", **body)
    assert refused.status_code == 422
    assert set(refused.json["error"]["details"]) == fields


def test_staff_neither_see_nor_enter_costs(client, shop):
    _page, owner = shop.open_page("dashboard")
    cost_id = post(client, owner, "costs", day="2026-03-02", category="other", amount="4321.00").json["id"]
    _page, staff = shop.open_page("dashboard", role="editor")
    headers = {"X-Bikri-Embed-Session": staff}
    for widget in ("costs", "profit"):
        answer = client.get(f"/embed/dashboard/{widget}.json?start=2026-03-01&end=2026-03-05", headers=headers)
        assert answer.json["money_hidden"] is True and "4321" not in answer.get_data(as_text=True)
    cash = client.get("/embed/dashboard/cash.json?start=2026-03-01&end=2026-03-05", headers=headers).json
    assert cash["money_hidden"] is True and "cod_expected" not in cash["current"] and cash["current"]["parcels"] == 0
    assert post(client, staff, "costs", day="2026-03-02", category="ads", amount="1").status_code == 403
    assert post(client, staff, f"costs/{cost_id}", method="DELETE").status_code == 403


def test_profit_equals_sales_minus_costs_at_dhaka_midnights(app, shop):
    rng = random.Random(7)
    with app.app_context():
        orders = []
        for n in range(1, 40):
            created = MIDNIGHT + timedelta(days=rng.randint(-3, 3)) + rng.choice(EDGES)
            orders.append({"id": n, "status": rng.choice(["processing", "completed", "cancelled", "pending", "on-hold"]),
                           "date_created_gmt": created.strftime("%Y-%m-%dT%H:%M:%S"),
                           "date_modified_gmt": created.strftime("%Y-%m-%dT%H:%M:%S"),
                           "total": f"{rng.randint(100, 5000)}.{rng.randint(0, 99):02d}",
                           "refunds": [{"id": 1, "total": "-10.00"}] if n % 5 == 0 else []})
        upsert_orders(shop.site_id, orders)
        entered = []
        for n in range(30):
            day = date(2026, 3, 2) + timedelta(days=rng.randint(-4, 3))
            values = {"day": day, "category": rng.choice(COST_CATEGORIES), "amount": Decimal(rng.randint(1, 90000)) / 100}
            costs.save_cost(shop.site_id, values, "Owner")
            entered.append(values)
        db.session.commit()
        for start, end in [(date(2026, 3, 2), date(2026, 3, 2)), (date(2026, 3, 1), date(2026, 3, 3)),
                           (date(2026, 2, 27), date(2026, 3, 5))]:
            period = service.Period(start, end)
            answer = costs.profit(shop.site_id, period)
            for name, (low, high) in (("current", (start, end)), ("previous", (period.previous.start, period.previous.end))):
                inside = [o for o in orders if low <= dhaka_day(datetime.fromisoformat(o["date_created_gmt"])) <= high
                          and o["status"] not in NOT_SALES]
                revenue = sum((Decimal(o["total"]) - sum((-Decimal(r["total"]) for r in o["refunds"]), Decimal(0))
                               for o in inside), Decimal(0))
                by_category = {c: sum((v["amount"] for v in entered if v["category"] == c and low <= v["day"] <= high), Decimal(0))
                               for c in COST_CATEGORIES}
                got = answer[name]
                assert got["revenue"] == revenue
                assert got["revenue"] == _sales_revenue(shop.site_id, low, high)  # same definition as D1
                assert got["costs"] == by_category
                assert got["profit"] == revenue - sum(by_category.values())


def _sales_revenue(site_id, start, end):
    return service.sales(site_id, service.Period(start, end), "day")["current"]["revenue"]


def test_cash_follows_parcels_booked_in_the_range(app, shop):
    rng = random.Random(11)
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        parcels = []
        for n in range(1, 60):
            booked = MIDNIGHT + timedelta(days=rng.randint(-2, 2)) + rng.choice(EDGES)
            status = rng.choice(STATUSES)
            cod = Decimal(rng.randint(0, 300000)) / 100
            parcel = couriers.register_consignment(site, f"INV-{n}", "steadfast", str(9000 + n), None, cod, n,
                                                   status=TrackedStatus(status, status), booked_at=booked)
            if status == "partial_delivered" and n % 2:
                parcel.collected_amount = (cod / 2).quantize(Decimal("0.01"))
            parcels.append(parcel)
        # No code sets a partial delivery's amount yet (no courier API Bikri uses reports it):
        # written by hand above, so the parcel rollup is rebuilt from the consignments.
        db.session.flush()
        rollups.rebuild_parcels(shop.site_id)
        db.session.commit()
        for start, end in [(date(2026, 3, 2), date(2026, 3, 2)), (date(2026, 3, 1), date(2026, 3, 3))]:
            answer = costs.cash(shop.site_id, service.Period(start, end))
            assert answer["payouts_known"] is False
            inside = [p for p in parcels if start <= dhaka_day(p.booked_at) <= end]
            final_lost = [p for p in inside if p.status in ("returned", "cancelled")]
            delivered = [p for p in inside if p.status in ("delivered", "partial_delivered")]
            moving = [p for p in inside if p not in final_lost and p not in delivered]
            total = lambda ps, f="cod_amount": sum((getattr(p, f) or Decimal(0) for p in ps), Decimal(0))  # noqa: E731
            assert answer["current"] == {
                "parcels": len(inside), "delivered": len(delivered), "in_transit": len(moving),
                "returned_cancelled": len(final_lost),
                "partial_amount_unknown": sum(1 for p in delivered if p.collected_amount is None),
                "cod_booked": total(inside), "cod_expected": total(delivered) + total(moving),
                "cod_collected": total(delivered, "collected_amount"), "cod_pending": total(moving),
                "cod_lost": total(final_lost)}
