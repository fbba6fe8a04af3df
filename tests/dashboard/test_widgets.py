"""The dashboard's numbers against the same numbers computed from raw orders.

Random histories (hypothesis): orders created around Dhaka midnights, then status changes,
total changes, refunds, trashing and deletion, all through the one order upsert. After each
history, every widget for random ranges must equal a naive computation over the final orders,
and the incrementally kept rollups must equal a rebuild from scratch.
"""
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import strategies as st
from sqlalchemy import select

from backend.dashboard import marketing, rollups, service
from backend.dashboard.models import DayCustomers, DayCycle, DayPaid, DayProduct, DaySource, DayStatus, MonthProduct
from backend.extensions import db
from backend.orders.models import Order
from backend.orders.service import delete_orders, upsert_orders
from backend.phones import InvalidPhone, normalise_phone
from tests.properties import SEEDS, database_property, new_shop

NOT_SALES = {"pending", "failed", "cancelled", "refunded", "returned"}
STATUSES = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft",
            "shipped", "returned"]
DHAKA = timedelta(hours=6)
BASE = datetime(2026, 3, 1, 18, 0, 0)  # 00:00 on 2 March in Dhaka
PHONES = ["01711000001", "01711000002", "01811000003", "+8801911000004", "12345"]  # the last is not a BD mobile
ATTRIBUTION = [None, {"source_type": "utm", "utm_source": "facebook", "utm_medium": "cpc", "utm_campaign": "eid"},
               {"source_type": "utm", "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand"},
               {"source_type": "organic", "utm_source": "google", "referrer": "https://www.google.com/"},
               {"source_type": "typein"}]


def wc_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def make_order(rng, wc_id, created):
    lines = [{"id": wc_id * 10 + n, "name": f"Product {pid}", "product_id": pid, "quantity": qty,
              "price": price, "subtotal": f"{price * qty:.2f}", "total": f"{price * qty:.2f}"}
             for n, (pid, qty, price) in enumerate(
                 [(rng.choice([11, 12, 13, 14]), rng.randint(1, 3), rng.choice([150, 320, 999])) for _ in range(rng.randint(1, 3))])]
    subtotal = sum(Decimal(line["subtotal"]) for line in lines)
    if rng.random() < 0.3:
        return make_desk_order(rng, wc_id, created, lines, subtotal)
    discount = Decimal(rng.choice([0, 0, 50]))
    meta = []
    attribution = rng.choice(ATTRIBUTION)
    for key, value in (attribution or {}).items():
        meta.append({"key": f"_wc_order_attribution_{key}", "value": value})
    if rng.random() < 0.2:
        meta.append({"key": "_bikri_fbclid", "value": "IwAR0abc"})
    # paid some hours after it was placed, or not (yet): WooCommerce's basis counts it on the day paid
    paid = wc_time(created + timedelta(minutes=rng.choice([0, 5, 300, 1500]))) if rng.random() < 0.7 else None
    return {"id": wc_id, "status": rng.choice(STATUSES), "date_created_gmt": wc_time(created),
            "date_modified_gmt": wc_time(created), "date_paid_gmt": paid, "total": f"{subtotal - discount + 60:.2f}",
            "discount_total": f"{discount:.2f}", "shipping_total": "60.00", "created_via": rng.choice(["checkout", "admin"]),
            "billing": {"first_name": "Test", "phone": rng.choice(PHONES)}, "line_items": lines, "meta_data": meta,
            "refunds": []}


def make_desk_order(rng, wc_id, created, lines, subtotal):
    """An order made on the desk's manual-order form, as WooCommerce answers its create
    (desk.service.woocommerce_payload): no coupon, each discount a negative fee line."""
    fees, left = [], subtotal
    for n in range(rng.choice([0, 1, 1, 2])):
        amount = min(left, rng.choice([Decimal("40.00"), (left * Decimal("0.125")).quantize(Decimal("0.01"))]))
        left -= amount
        fees.append({"id": wc_id * 10 + 8 + n, "name": f"Discount {n + 1}", "total": f"{-amount:.2f}", "total_tax": "0.00"})
    paid = wc_time(created) if rng.random() < 0.3 else None
    return {"id": wc_id, "status": rng.choice(STATUSES), "date_created_gmt": wc_time(created),
            "date_modified_gmt": wc_time(created), "date_paid_gmt": paid, "total": f"{left + 60:.2f}",
            "discount_total": "0.00", "shipping_total": "60.00", "total_tax": "0.00", "created_via": "rest-api",
            "billing": {"first_name": "Test", "phone": rng.choice(PHONES)}, "line_items": lines, "fee_lines": fees,
            "meta_data": [{"key": "_bikri_source", "value": "order-desk"}, {"key": "_bikri_created_by", "value": "Owner"}],
            "refunds": []}


def is_desk_order(order):
    return any(m["key"] == "_bikri_source" for m in order["meta_data"])


def discount_of(order):
    """An order's discounts from its raw JSON: coupons, and fee lines that take money off."""
    fees = sum((-Decimal(f["total"]) for f in order.get("fee_lines", []) if Decimal(f["total"]) < 0), Decimal("0"))
    return Decimal(order["discount_total"]) + fees


def history(seed, site_id):
    """Push a random history; return the final orders {wc_id: json or None}, the shipped times seen."""
    rng = random.Random(seed)
    final, shipped = {}, {}
    # creation times cluster at Dhaka midnight (± a few seconds) across 6 days
    for wc_id in range(1, rng.randint(5, 25)):
        created = BASE + timedelta(days=rng.randint(-2, 3), seconds=rng.choice([-3601, -1, 0, 1, 59, 3600 * 5]))
        order = make_order(rng, wc_id, created)
        final[wc_id] = order
    clock = BASE + timedelta(days=5)
    pushes = [dict(o) for o in final.values()]
    for order in list(final.values()):
        for _ in range(rng.randint(0, 3)):  # later versions of this order
            clock += timedelta(minutes=rng.randint(1, 3000))
            order = dict(order, date_modified_gmt=wc_time(clock))
            change = rng.random()
            if change < 0.5:
                order["status"] = rng.choice(STATUSES + ["trash"])
            elif change < 0.7 and is_desk_order(order):
                # the shop gives a further discount on the desk order in WooCommerce: one more fee line
                fee = {"id": 99, "name": "Discount", "total": "-50.00", "total_tax": "0.00"}
                order["fee_lines"] = order["fee_lines"] + [fee]
                order["total"] = f"{Decimal(order['total']) - 50:.2f}"
            elif change < 0.7:
                order["total"] = f"{Decimal(order['total']) + rng.choice([-50, 100]):.2f}"
            elif change < 0.85:
                # dated as the plugin's export dates them (wc/v3's undated ones: test_undated_refunds_...)
                order["refunds"] = order["refunds"] + [{"id": 1, "total": f"-{rng.choice([20, 100])}.00",
                                                        "date_created_gmt": wc_time(clock)}]
            elif change < 0.78:
                order["date_paid_gmt"] = wc_time(clock)
            else:
                order["billing"] = {"first_name": "Test", "phone": rng.choice(PHONES)}
            pushes.append(order)
            final[order["id"]] = order
    # the plugin's export (order events, backfill) carries no fee lines, wc/v3 does: either may bring a version
    pushes = [{k: v for k, v in p.items() if k != "fee_lines"} if rng.random() < 0.5 else p for p in pushes]
    rng.shuffle(pushes)  # versions arrive in any order; the upsert keeps the newest
    for start in range(0, len(pushes), 7):
        upsert_orders(site_id, pushes[start:start + 7])
    deleted = [wc_id for wc_id in final if rng.random() < 0.1]
    if deleted:
        clock += timedelta(minutes=5)
        delete_orders(site_id, [(wc_id, clock) for wc_id in deleted])
        for wc_id in deleted:
            final[wc_id] = None
    db.session.flush()
    return final


def phone_of(order):
    try:
        return normalise_phone(order["billing"]["phone"])
    except InvalidPhone:
        return None


def day_of(order):
    return (datetime.fromisoformat(order["date_created_gmt"]) + DHAKA).date()


def real(orders):
    return [o for o in orders.values() if o is not None and o["status"] not in ("checkout-draft", "trash")]


def expected(orders, start, end):
    live = real(orders)
    inside = [o for o in live if start <= day_of(o) <= end]
    sales = [o for o in inside if o["status"] not in NOT_SALES]
    refunded = lambda o: sum((abs(Decimal(r["total"])) for r in o["refunds"]), Decimal("0"))
    firsts = {}
    for order in live:
        phone = phone_of(order)
        if phone and (phone not in firsts or order["date_created_gmt"] < firsts[phone]):
            firsts[phone] = order["date_created_gmt"]
    products = defaultdict(lambda: [0, Decimal("0")])
    for order in sales:
        for line in order["line_items"]:
            products[line["product_id"]][0] += line["quantity"]
            products[line["product_id"]][1] += Decimal(line["total"])
    customer_orders = sum(1 for o in inside if phone_of(o))
    new = sum(1 for first in firsts.values() if start <= (datetime.fromisoformat(first) + DHAKA).date() <= end)
    source_types = Counter()
    paid = Counter()
    for order in sales:
        meta = {m["key"]: m["value"] for m in order["meta_data"]}
        source_types[meta.get("_wc_order_attribution_source_type", "")] += 1
        if "_bikri_fbclid" in meta:
            paid["facebook"] += 1
        elif meta.get("_wc_order_attribution_utm_medium") == "cpc":
            paid[meta["_wc_order_attribution_utm_source"]] += 1
    return {
        "orders": len(sales),
        "revenue": sum((Decimal(o["total"]) - refunded(o) for o in sales), Decimal("0")),
        "subtotal": sum((Decimal(line["subtotal"]) for o in sales for line in o["line_items"]), Decimal("0")),
        "discount": sum((discount_of(o) for o in sales), Decimal("0")),
        "statuses": Counter(o["status"] for o in inside),
        "products": {pid: (q, r) for pid, (q, r) in products.items()},
        "customer_orders": customer_orders, "new_customers": new, "returning_orders": customer_orders - new,
        "source_types": source_types, "paid": paid,
    }


WC_EXCLUDED = {"pending", "failed", "cancelled"}


def dhaka_date(wc_moment):
    return (datetime.fromisoformat(wc_moment) + DHAKA).date()


def expected_like_woocommerce(orders, start, end):
    """WooCommerce Analytics' figures (date type "date paid", default excluded statuses), from the
    raw orders: orders paid in the range, less every refund made in the range."""
    counted = [o for o in real(orders) if o["status"] not in WC_EXCLUDED]
    paid = [o for o in counted if o.get("date_paid_gmt") and start <= dhaka_date(o["date_paid_gmt"]) <= end]
    refunds = sum((abs(Decimal(r["total"])) for o in counted for r in o["refunds"]
                   if start <= dhaka_date(r["date_created_gmt"]) <= end), Decimal("0"))
    return {"orders": len(paid), "revenue": sum((Decimal(o["total"]) for o in paid), Decimal("0")) - refunds,
            "refunded": refunds, "discount": sum((discount_of(o) for o in paid), Decimal("0")),
            "subtotal": sum((Decimal(line["subtotal"]) for o in paid for line in o["line_items"]), Decimal("0"))}


def rollup_rows(site_id):
    out = {}
    for model in (DayStatus, DayPaid, DaySource, DayProduct, MonthProduct, DayCycle, DayCustomers):
        rows = db.session.execute(select(model).where(model.site_id == site_id)).scalars().all()
        columns = [c.name for c in model.__table__.c if c.name != "site_id"]
        measures = rollups.MEASURES[model]
        out[model.__tablename__] = sorted(tuple(getattr(r, c) for c in columns) for r in rows
                                          if any(getattr(r, m) for m in measures))
    return out


def delivered_by_campaign(site_id, period):
    """Paid-ad sales placed in the range (Dhaka days) whose parcel was delivered, by D11's campaign
    key, straight from the stored orders: {key: (orders, total − refunds)}."""
    out = defaultdict(lambda: (0, Decimal("0")))
    for order in db.session.execute(select(Order).where(Order.site_id == site_id)).scalars():
        if (order.excluded_from_sales or order.deleted_at is not None or order.delivered_gmt is None
                or order.status in NOT_SALES or not period.start <= (order.date_created_gmt + DHAKA).date() <= period.end
                or not marketing.is_paid(order.utm_medium, order.click_source or "")):
            continue
        key = f"{marketing.network_of(order.utm_source, order.click_source or '')} / {order.utm_campaign or '-'}"
        orders, revenue = out[key]
        out[key] = (orders + 1, revenue + order.total - order.refunded_total)
    return {key: value for key, value in out.items() if value != (0, Decimal("0"))}


@database_property(25, seed=SEEDS, ranges=st.lists(st.tuples(st.integers(-40, 6), st.integers(0, 75)), min_size=1, max_size=4))
def test_widgets_equal_raw_orders_and_rollups_equal_a_rebuild(app, make_shop, seed, ranges):
    shop = new_shop(make_shop, "shop")
    with app.app_context():
        final = history(seed, shop.site_id)
        db.session.commit()
        for offset, length in ranges:
            start = date(2026, 3, 2) + timedelta(days=offset)
            period = service.Period(start, start + timedelta(days=length))
            want = expected(final, period.start, period.end)
            sales = service.sales(shop.site_id, period, "day")
            assert sales["current"] == {"orders": want["orders"], "revenue": want["revenue"]}
            assert sum(sales["orders"]) == want["orders"] and sum(sales["revenue"]) == want["revenue"]
            previous = expected(final, period.previous.start, period.previous.end)
            assert sales["previous"] == {"orders": previous["orders"], "revenue": previous["revenue"]}
            amounts = service.amounts(shop.site_id, period, "week")
            assert (amounts["current"]["subtotal"], amounts["current"]["discount"]) == (want["subtotal"], want["discount"])
            statuses = service.statuses(shop.site_id, period, "day")
            assert {s["status"]: s["current"] for s in statuses["statuses"] if s["current"]} == dict(want["statuses"])
            top = service.products(shop.site_id, period, 50)
            assert {p["product_id"]: (p["quantity"], p["revenue"]) for p in top["products"]} == want["products"]
            back = service.returning(shop.site_id, period)["current"]
            assert (back["customer_orders"], back["new_customers"], back["returning_orders"]) == (
                want["customer_orders"], want["new_customers"], want["returning_orders"])
            sources = service.sources(shop.site_id, period)
            assert {s["key"]: s["orders"] for s in sources["source_types"] if s["orders"]} == dict(want["source_types"])
            ads = service.ads(shop.site_id, period)
            assert {n["key"]: n["orders"] for n in ads["networks"] if n["orders"]} == dict(want["paid"])
            # D11's delivered orders and revenue by campaign (from DaySource) against the stored orders
            assert {c["key"]: (c["delivered_orders"], c["delivered_revenue"]) for c in ads["campaigns"]
                    if c["delivered_orders"] or c["delivered_revenue"]} == delivered_by_campaign(shop.site_id, period)
            # counted like WooCommerce Analytics (issue 17, item 11)
            like_wc = expected_like_woocommerce(final, period.start, period.end)
            wc_sales = service.sales(shop.site_id, period, "day", "woocommerce")
            assert wc_sales["current"] == {"orders": like_wc["orders"], "revenue": like_wc["revenue"]}
            assert sum(wc_sales["revenue"]) == like_wc["revenue"]
            before = expected_like_woocommerce(final, period.previous.start, period.previous.end)
            assert wc_sales["previous"] == {"orders": before["orders"], "revenue": before["revenue"]}
            wc_amounts = service.amounts(shop.site_id, period, "week", "woocommerce")["current"]
            assert {k: wc_amounts[k] for k in ("subtotal", "discount", "refunded")} == {
                k: like_wc[k] for k in ("subtotal", "discount", "refunded")}
        incremental = rollup_rows(shop.site_id)
        rollups.rebuild_site(shop.site_id)
        assert rollup_rows(shop.site_id) == incremental


def test_refund_cancel_and_trash_correct_the_rollups(app, shop):
    with app.app_context():
        order = {"id": 7, "status": "processing", "date_created_gmt": "2026-03-01T17:59:59",  # 23:59:59 in Dhaka
                 "date_modified_gmt": "2026-03-01T17:59:59", "total": "1060.00", "shipping_total": "60.00",
                 "billing": {"phone": "01711000001"},
                 "line_items": [{"id": 1, "product_id": 5, "quantity": 2, "price": 500, "subtotal": "1000.00", "total": "1000.00"}]}
        upsert_orders(shop.site_id, [order])
        day = service.Period(date(2026, 3, 1), date(2026, 3, 1))
        assert service.sales(shop.site_id, day, "day")["current"] == {"orders": 1, "revenue": Decimal("1060.00")}
        assert service.sales(shop.site_id, service.Period(date(2026, 3, 2), date(2026, 3, 2)), "day")["current"]["orders"] == 0
        upsert_orders(shop.site_id, [dict(order, date_modified_gmt="2026-03-02T10:00:00",
                                          refunds=[{"id": 9, "total": "-100.00"}])])
        assert service.sales(shop.site_id, day, "day")["current"]["revenue"] == Decimal("960.00")
        upsert_orders(shop.site_id, [dict(order, status="cancelled", date_modified_gmt="2026-03-02T11:00:00")])
        assert service.sales(shop.site_id, day, "day")["current"] == {"orders": 0, "revenue": Decimal("0")}
        assert service.products(shop.site_id, day, 5)["products"] == []
        assert service.statuses(shop.site_id, day, "day")["statuses"][0]["current"] == 1  # still an order, cancelled
        upsert_orders(shop.site_id, [dict(order, status="trash", date_modified_gmt="2026-03-02T12:00:00")])
        assert service.statuses(shop.site_id, day, "day")["statuses"] == []
        assert service.returning(shop.site_id, day)["current"]["new_customers"] == 0
        # an older copy arriving late changes nothing
        upsert_orders(shop.site_id, [order])
        assert service.statuses(shop.site_id, day, "day")["statuses"] == []


def test_cycle_time_from_status_changes(app, shop):
    with app.app_context():
        order = {"id": 1, "status": "processing", "date_created_gmt": "2026-03-01T04:00:00",
                 "date_modified_gmt": "2026-03-01T04:00:00", "total": "100.00"}
        upsert_orders(shop.site_id, [order])
        upsert_orders(shop.site_id, [dict(order, status="shipped", date_modified_gmt="2026-03-02T04:30:00")])
        upsert_orders(shop.site_id, [dict(order, status="completed", date_modified_gmt="2026-03-04T04:00:00",
                                          date_completed_gmt="2026-03-04T04:00:00")])
        stages = {s["stage"]: s for s in service.cycle(shop.site_id, service.Period(date(2026, 3, 1), date(2026, 3, 1)))["stages"]}
        assert stages["shipped"]["median_hours"] == 24
        assert stages["delivered"]["median_hours"] == 72
        assert stages["transit"]["median_hours"] == 44  # 47 h falls in the 44–48 h bin
        assert stages["delivered"]["bars"][3] == 1  # 3–5 days


def test_sales_target_pace(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [{"id": 1, "status": "completed", "date_created_gmt": "2026-03-09T20:00:00",
                                      "date_modified_gmt": "2026-03-09T20:00:00", "total": "3000.00"}])
        service.set_target(shop.site_id, Decimal("31000.00"), "Owner", today=date(2026, 3, 10))
        answer = service.target(shop.site_id, today=date(2026, 3, 10))
        assert answer["revenue"] == Decimal("3000.00")  # 02:00 on 10 March in Dhaka
        assert answer["days_left"] == 22 and answer["remaining"] == Decimal("28000.00")
        assert answer["daily_needed"] == Decimal("1272.73")
        assert answer["progress"] == round(3000 / 31000, 4)


@pytest.mark.parametrize("today", [date(2026, 3, 3), date(2026, 3, 28), date(2026, 11, 26)])
def test_top_products_mix_months_and_days_exactly(app, make_shop, monkeypatch, today):
    """service._product_rows reads a part-covered month as its days inside or as the whole month
    less its days outside, whichever reads fewer days up to today: both must give the raw sums,
    including a month that goes on past "today" while orders are dated after it."""
    monkeypatch.setattr(service, "dhaka_today", lambda: today)
    shop = new_shop(make_shop, "shop")
    with app.app_context():
        final = history(7, shop.site_id)  # orders on days from 28 February to 5 March
        db.session.commit()
        for start, end in [(date(2026, 2, 1), date(2026, 3, 3)), (date(2026, 2, 27), date(2026, 3, 31)),
                           (date(2026, 3, 2), date(2026, 3, 4)), (date(2026, 2, 28), date(2026, 3, 28)),
                           (date(2025, 12, 5), date(2026, 3, 3)), (date(2026, 3, 1), date(2026, 3, 31))]:
            period = service.Period(start, end)
            top = service.products(shop.site_id, period, 50)["products"]
            assert {p["product_id"]: (p["quantity"], p["revenue"]) for p in top} == \
                expected(final, start, end)["products"], (start, end)
            before = expected(final, period.previous.start, period.previous.end)["products"]
            assert {p["product_id"]: (p["previous_quantity"], p["previous_revenue"]) for p in top} == \
                {pid: before.get(pid, (0, Decimal("0"))) for pid in (p["product_id"] for p in top)}, (start, end)


def test_undated_refunds_are_dated_by_the_version_that_brought_them(app, shop):
    """wc/v3 lists refunds without a time: WooCommerce's basis takes each off on the day of the
    first stored version that carried it, and keeps that day through later versions."""
    with app.app_context():
        order = {"id": 7, "status": "processing", "date_created_gmt": "2026-03-01T04:00:00",
                 "date_paid_gmt": "2026-03-01T05:00:00", "date_modified_gmt": "2026-03-01T05:00:00", "total": "1060.00"}
        upsert_orders(shop.site_id, [order])
        upsert_orders(shop.site_id, [dict(order, status="refunded", date_modified_gmt="2026-03-03T10:00:00",
                                          refunds=[{"id": 9, "total": "-100.00"}])])
        upsert_orders(shop.site_id, [dict(order, status="refunded", date_modified_gmt="2026-03-05T10:00:00",
                                          customer_note="call first", refunds=[{"id": 9, "total": "-100.00"}])])
        upsert_orders(shop.site_id, [dict(order, status="refunded", date_modified_gmt="2026-03-06T10:00:00",
                                          refunds=[{"id": 10, "total": "-60.00"}, {"id": 9, "total": "-100.00"}])])
        week = service.Period(date(2026, 3, 1), date(2026, 3, 7))
        like_wc = service.sales(shop.site_id, week, "day", "woocommerce")
        assert like_wc["orders"] == [1, 0, 0, 0, 0, 0, 0]
        assert like_wc["revenue"] == [Decimal("1060.00"), 0, Decimal("-100.00"), 0, 0, Decimal("-60.00"), 0]
        assert service.sales(shop.site_id, week, "day")["current"]["orders"] == 0  # refunded: not a sale for Bikri
        incremental = rollup_rows(shop.site_id)
        rollups.rebuild_site(shop.site_id)
        assert rollup_rows(shop.site_id) == incremental


def test_delivered_ad_sales_follow_each_change_of_the_order(app, make_shop):
    """D11's delivered orders and revenue live in DaySource: delivery adds them, a refund, a new
    campaign, a return after delivery, trash and deletion move them — equal to a rebuild each time."""
    shop = new_shop(make_shop, "shop")
    meta = lambda campaign: [{"key": "_wc_order_attribution_source_type", "value": "utm"},
                             {"key": "_wc_order_attribution_utm_source", "value": "facebook"},
                             {"key": "_wc_order_attribution_utm_medium", "value": "cpc"},
                             {"key": "_wc_order_attribution_utm_campaign", "value": campaign}]
    order = {"id": 1, "status": "processing", "date_created_gmt": "2026-03-01T17:59:59",  # 23:59:59 on 1 March in Dhaka
             "date_modified_gmt": "2026-03-01T17:59:59", "total": "1060.00", "meta_data": meta("eid")}
    other = dict(order, id=2, total="500.00", date_created_gmt="2026-03-01T10:00:00", date_modified_gmt="2026-03-01T10:00:00")
    day = service.Period(date(2026, 3, 1), date(2026, 3, 1))
    clock = iter(f"2026-03-0{d}T0{h}:00:00" for d in range(2, 10) for h in range(1, 10))

    def delivered():
        got = {c["key"]: (c["delivered_orders"], c["delivered_revenue"])
               for c in service.ads(shop.site_id, day)["campaigns"] if c["delivered_orders"] or c["delivered_revenue"]}
        assert got == delivered_by_campaign(shop.site_id, day)
        incremental = rollup_rows(shop.site_id)["dash_day_source"]
        rollups.rebuild_site(shop.site_id)
        assert rollup_rows(shop.site_id)["dash_day_source"] == incremental
        return got

    def push(**changes):
        nonlocal order
        order = dict(order, date_modified_gmt=next(clock), **changes)
        upsert_orders(shop.site_id, [order])

    with app.app_context():
        upsert_orders(shop.site_id, [order, other])
        assert delivered() == {}
        push(status="completed")
        upsert_orders(shop.site_id, [dict(other, status="completed", date_modified_gmt=next(clock))])
        assert delivered() == {"facebook / eid": (2, Decimal("1560.00"))}
        push(refunds=[{"id": 9, "total": "-100.00"}])
        assert delivered() == {"facebook / eid": (2, Decimal("1460.00"))}
        push(meta_data=meta("winter"))  # the campaign corrected after delivery: the delivery moves with it
        assert delivered() == {"facebook / eid": (1, Decimal("500.00")), "facebook / winter": (1, Decimal("960.00"))}
        push(status="returned")  # sent back after delivery: no longer a sale
        assert delivered() == {"facebook / eid": (1, Decimal("500.00"))}
        push(status="completed")
        assert delivered() == {"facebook / eid": (1, Decimal("500.00")), "facebook / winter": (1, Decimal("960.00"))}
        push(status="trash")
        assert delivered() == {"facebook / eid": (1, Decimal("500.00"))}
        delete_orders(shop.site_id, [(2, datetime(2026, 3, 10))])
        assert delivered() == {}
