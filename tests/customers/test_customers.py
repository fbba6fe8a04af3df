"""Customers (U1): one customer per phone, kept exact by the listeners (checked against raw
orders after random histories, and against a rebuild), RFM segments moving with new orders,
saved segments and filters, the customer page from a desk row."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from backend.couriers import service as couriers
from backend.integrations.couriers import TrackedStatus
from backend.licensing.models import Site
from backend.customers import stats
from backend.customers.models import CustomerStats
from backend.extensions import db
from backend.orders.service import upsert_orders
from backend.phones import InvalidPhone, normalise_phone
from backend.clock import utcnow
from tests.dashboard.test_widgets import history
from tests.properties import SEEDS, database_property, new_shop



def wc(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def order(wc_id, phone, *, days_ago=1, status="processing", total="1000.00", customer_id=0, district=None, product=11,
          name="Karim"):
    created = utcnow() - timedelta(days=days_ago)
    return {"id": wc_id, "status": status, "date_created_gmt": wc(created), "date_modified_gmt": wc(created),
            "total": total, "customer_id": customer_id,
            "billing": {"first_name": name, "phone": phone, **({"state": district} if district else {})},
            "line_items": [{"id": wc_id * 10, "name": "Saree", "product_id": product, "quantity": 1, "price": total,
                            "subtotal": total, "total": total}]}


def rows(site_id):
    return {r.phone: r for r in db.session.execute(select(CustomerStats).where(CustomerStats.site_id == site_id)).scalars()}


def snapshot(site_id):
    keep = ("phone", "name", "wc_customer_id", "orders", "delivered", "returned", "cancelled", "spend",
            "first_order_gmt", "last_order_gmt", "district", "segment")
    return sorted(tuple(getattr(r, k) for k in keep) for r in rows(site_id).values())


def customer_orders(final):
    """(phone, order) for each raw final order a customer counts (not drafts, trash or deleted)."""
    for o in final.values():
        if o is None or o["status"] in ("checkout-draft", "trash"):
            continue
        try:
            yield normalise_phone(o["billing"]["phone"]), o
        except InvalidPhone:
            continue


def expected(final):
    """Per phone, from the raw final orders: what the read model must hold."""
    out = {}
    for phone, o in customer_orders(final):
        e = out.setdefault(phone, {"orders": 0, "delivered": 0, "returned": 0, "cancelled": 0, "spend": Decimal("0")})
        e["orders"] += 1
        outcome = {"completed": "delivered", "returned": "returned", "cancelled": "cancelled", "failed": "cancelled"}.get(o["status"])
        if outcome:
            e[outcome] += 1
        if outcome not in ("returned", "cancelled"):
            refunds = sum((-Decimal(r["total"]) for r in o.get("refunds", [])), Decimal("0"))
            e["spend"] += Decimal(o["total"]) - refunds
    return out


@database_property(20, seed=SEEDS)
def test_customers_equal_raw_orders_and_a_rebuild(app, make_shop, seed):
    shop = new_shop(make_shop, "customers")
    with app.app_context():
        final = history(seed, shop.site_id)
        db.session.commit()
        kept = rows(shop.site_id)
        want = expected(final)
        assert set(kept) == set(want)
        for phone, e in want.items():
            r = kept[phone]
            assert (r.orders, r.delivered, r.returned, r.cancelled, r.spend) == (
                e["orders"], e["delivered"], e["returned"], e["cancelled"], e["spend"]), phone
        incremental = snapshot(shop.site_id)
        stats.rebuild_site(shop.site_id)
        assert snapshot(shop.site_id) == incremental


def test_guest_and_registered_orders_of_a_phone_are_one_customer(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01711-000001", days_ago=40, customer_id=0, name="Guest", district="BD-13"),
                                     order(2, "+8801711000001", days_ago=3, customer_id=55, name="Karim Uddin",
                                           status="completed", total="1500.00")])
        db.session.commit()
    listed = shop.get("/api/v1/customers").json["customers"]
    assert len(listed) == 1
    c = listed[0]
    assert (c["phone"], c["orders"], c["delivered"], c["wc_customer_id"], c["name"]) == (
        "+8801711000001", 2, 1, 55, "Karim Uddin")
    assert (c["spend"], c["average_order_value"], c["segment"]) == ("2500.00", "1250.00", "promising")
    page = shop.get(f"/api/v1/customers/{c['id']}").json
    assert [o["wc_id"] for o in page["recent_orders"]] == [2, 1]


def test_segment_membership_moves_with_new_orders(app, shop):
    def segment_of(phone):
        found = [c for c in shop.get("/api/v1/customers", query_string={"phone": phone}).json["customers"]]
        return found[0]["segment"] if found else None

    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01711000001", days_ago=2), order(2, "01711000002", days_ago=200)])
        db.session.commit()
    assert (segment_of("01711000001"), segment_of("01711000002")) == ("new", "lost")
    assert shop.get("/api/v1/customers/segments").json["rfm"]["new"] == 1
    with app.app_context():
        upsert_orders(shop.site_id, [order(10 + i, "01711000001", days_ago=1, total="2000.00", status="completed")
                                     for i in range(3)] + [order(20, "01711000002", days_ago=1)])
        db.session.commit()
    assert (segment_of("01711000001"), segment_of("01711000002")) == ("champions", "promising")
    champions = shop.get("/api/v1/customers", query_string={"segment": "champions"}).json["customers"]
    assert [c["phone"] for c in champions] == ["+8801711000001"]
    # two of the champion's orders come back returned: fewer kept orders and less spend
    with app.app_context():
        later = wc(utcnow())
        upsert_orders(shop.site_id, [dict(order(10 + i, "01711000001", days_ago=1, total="2000.00", status="returned"),
                                          date_modified_gmt=later) for i in range(2)])
        db.session.commit()
    assert segment_of("01711000001") == "promising"


def test_recency_moves_segments_with_time(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01711000001", days_ago=10)])
        db.session.commit()
        assert rows(shop.site_id)["+8801711000001"].segment == "new"
        assert stats.rescore_segments(utcnow() + timedelta(days=60)) == 1
        assert rows(shop.site_id)["+8801711000001"].segment == "promising"
        assert stats.rescore_segments(utcnow() + timedelta(days=400)) == 1
        assert rows(shop.site_id)["+8801711000001"].segment == "lost"


def test_a_parcel_delivered_or_returned_moves_the_customer(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01711000001", status="processing"), order(2, "01711000001")])
        site = db.session.get(Site, shop.site_id)
        first = couriers.register_consignment(site, "1", "steadfast", "C1", None, Decimal("1000"), order_wc_id=1).id
        second = couriers.register_consignment(site, "2", "steadfast", "C2", None, Decimal("1000"), order_wc_id=2).id
        db.session.commit()
        couriers.apply_status(first, shop.site_id, TrackedStatus("delivered", "delivered"), utcnow(), source="poll",
                              poll_minutes=30)
        couriers.apply_status(second, shop.site_id, TrackedStatus("returned", "returned"), utcnow(), source="poll",
                              poll_minutes=30)
        db.session.commit()
        r = rows(shop.site_id)["+8801711000001"]
        assert (r.delivered, r.returned, r.spend) == (1, 1, Decimal("1000.00"))
        incremental = snapshot(shop.site_id)
        stats.rebuild_site(shop.site_id)
        assert snapshot(shop.site_id) == incremental


def test_filters_and_saved_segments(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [
            order(1, "01711000001", district="BD-13", product=11, total="3000.00", status="completed"),
            order(2, "01711000002", district="BD-13", product=12, total="500.00", status="returned"),
            order(3, "01711000003", product=11, total="800.00", days_ago=100)])
        db.session.commit()

    def phones(**query):
        answer = shop.get("/api/v1/customers", query_string=query)
        assert answer.status_code == 200, answer.json
        return sorted(c["phone"][-1] for c in answer.json["customers"])

    dhaka = shop.get("/api/v1/customers").json["customers"][0]["district"]
    assert phones(district=dhaka) == ["1", "2"]
    assert phones(product_id=11) == ["1", "3"]
    assert phones(spend_min="1000") == ["1"]
    assert phones(delivered_ratio_min=50) == ["1"]
    assert phones(not_ordered_for_days=30) == ["3"]
    assert phones(ordered_within_days=30, orders_min=1) == ["1", "2"]
    one = shop.get("/api/v1/customers", query_string={"phone": "01711000001"}).json["customers"][0]
    assert shop.client.put(f"/api/v1/customers/{one['id']}/tags", headers=shop.auth, json={"tags": ["vip", "eid"]}).json == {"tags": ["eid", "vip"]}
    assert phones(tag="vip") == ["1"]
    saved = shop.post("/api/v1/customers/segments", json={"name": "Big spenders in Dhaka",
                                                           "filters": {"district": dhaka, "spend_min": "1000"}})
    assert saved.status_code == 201 and saved.json["customers"] == 1
    assert phones(saved=saved.json["id"]) == ["1"]
    assert shop.get("/api/v1/customers", query_string={"segment": "nonsense"}).status_code == 422
    assert shop.get("/api/v1/customers", query_string={"cursor": "garbage"}).status_code == 422


def test_keyset_pages_walk_every_customer_once(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(i, f"0171100{i:04d}", days_ago=i % 5) for i in range(1, 8)])
        db.session.commit()
    seen, cursor = [], None
    while True:
        answer = shop.get("/api/v1/customers", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})}).json
        seen += [c["phone"] for c in answer["customers"]]
        cursor = answer["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7


def test_the_customer_page_opens_from_a_desk_row(app, shop):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01711000001", name="Rahim Mia")])
        db.session.commit()
        customer_id = db.session.execute(select(CustomerStats.customer_id)).scalar_one()
    _page, session = shop.open_page(page="orders")
    listing = shop.client.get("/embed/orders/list", headers={"X-Bikri-Embed-Session": session}).get_data(as_text=True)
    assert f"/embed/customers/c/{customer_id}" in listing
    panel = shop.client.get(f"/embed/customers/c/{customer_id}", headers={"X-Bikri-Embed-Session": session})
    assert panel.status_code == 200 and "Rahim Mia" in panel.get_data(as_text=True)
    page, session = shop.open_page(page="customers", locale="bn_BD")
    assert page.status_code == 200
    listing = shop.client.get("/embed/customers/rows", headers={"X-Bikri-Embed-Session": session})
    assert "Rahim Mia" in listing.get_data(as_text=True)


def test_flask_customers_rebuild_builds_an_existing_shop(app, shop, runner):
    with app.app_context():
        upsert_orders(shop.site_id, [order(1, "01711000001"), order(2, "01711000002")])
        db.session.commit()
        db.session.execute(CustomerStats.__table__.delete())  # as before the upgrade: orders, no customer rows
        db.session.commit()
    result = runner.invoke(args=["customers", "rebuild"])
    assert result.exit_code == 0 and "2 customers" in result.output
    with app.app_context():
        assert set(rows(shop.site_id)) == {"+8801711000001", "+8801711000002"}
