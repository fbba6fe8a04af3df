"""The order desk's list over the JSON API: keyset pages, filters, search, repeat badge."""
from datetime import timedelta

from sqlalchemy import select

from backend.extensions import db
from backend.orders.models import Order
from backend.clock import dhaka_midnight_utc, in_dhaka


def walk(shop, **params):
    seen, cursor = [], None
    while True:
        args = {**params, **({"cursor": cursor} if cursor else {})}
        response = shop.get("/api/v1/orders", query_string=args)
        assert response.status_code == 200, response.json
        seen += response.json["orders"]
        cursor = response.json["next_cursor"]
        if not cursor:
            return seen


def stored(app, site_id):
    with app.app_context():
        return db.session.execute(select(Order).where(Order.site_id == site_id, Order.deleted_at.is_(None),
                                                      Order.status != "checkout-draft")).scalars().all()


def test_keyset_pages_cover_every_order_once_newest_first(app, synced):
    orders = walk(synced, limit=7)
    expected = sorted(stored(app, synced.site_id), key=lambda o: (o.date_created_gmt, o.id), reverse=True)
    assert [o["wc_id"] for o in orders] == [o.wc_id for o in expected]
    assert len({o["wc_id"] for o in orders}) == len(orders) > 100


def test_an_order_arriving_while_paging_does_not_shift_the_pages(app, synced):
    first = synced.get("/api/v1/orders", query_string={"limit": 10}).json
    synced.store.data.create({"line_items": [{"product_id": 101, "quantity": 1}], "billing": {"phone": "01711000000"}})
    from backend.sync import service
    with app.app_context():
        service.run_reconcile(synced.site_id)
        db.session.commit()
    second = synced.get("/api/v1/orders", query_string={"limit": 10, "cursor": first["next_cursor"]}).json
    assert not {o["wc_id"] for o in first["orders"]} & {o["wc_id"] for o in second["orders"]}
    assert second["orders"][0]["date_created_gmt"] <= first["orders"][-1]["date_created_gmt"]


def test_filter_by_status_and_dhaka_days(app, synced):
    everything = stored(app, synced.site_id)
    processing = walk(synced, status="processing")
    assert {o["wc_id"] for o in processing} == {o.wc_id for o in everything if o.status == "processing"}
    both = walk(synced, status="processing,completed")
    assert {o["wc_id"] for o in both} == {o.wc_id for o in everything if o.status in ("processing", "completed")}
    day = in_dhaka(everything[len(everything) // 2].date_created_gmt).date()
    on_day = walk(synced, start=day.isoformat(), end=day.isoformat())
    low, high = dhaka_midnight_utc(day), dhaka_midnight_utc(day + timedelta(days=1))
    assert {o["wc_id"] for o in on_day} == {o.wc_id for o in everything if low <= o.date_created_gmt < high}
    assert on_day


def test_search_by_number_phone_in_any_format_and_name(app, synced):
    everything = stored(app, synced.site_id)
    target = next(o for o in everything if o.phone)
    by_number = walk(synced, q=f"#{target.number}")
    assert [o["wc_id"] for o in by_number] == [target.wc_id]
    local = target.phone.removeprefix("+88")
    for typed in (local, target.phone, f"{local[:5]}-{local[5:]}", local.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))):
        found = walk(synced, q=typed)
        assert {o["wc_id"] for o in found} == {o.wc_id for o in everything if o.phone == target.phone}, typed
    name = next(o for o in everything if o.billing_name and o.billing_name.isascii()).billing_name
    found = walk(synced, q=name.split()[0].upper())
    assert found and all(name.split()[0].lower() in o["name"].lower() for o in found)


def test_repeat_customer_badge_counts_the_customers_orders(app, synced):
    orders = walk(synced)
    everything = stored(app, synced.site_id)
    counts = {}
    for o in everything:
        if o.customer_id and not o.excluded_from_sales:
            counts[o.phone] = counts.get(o.phone, 0) + 1
    repeat = [o for o in orders if o["repeat"]]
    assert repeat, "the generator makes repeat customers"
    for o in repeat:
        assert o["customer_orders"] == counts[o["phone"]] > 1


def test_bad_filters_name_the_field(synced):
    response = synced.get("/api/v1/orders", query_string={"start": "yesterday", "cursor": "@@", "status": "no way"})
    assert response.status_code == 422
    assert {"start", "status"} <= set(response.json["error"]["details"])
    response = synced.get("/api/v1/orders", query_string={"cursor": "garbage!"})
    assert response.status_code == 422 and "cursor" in response.json["error"]["details"]


def test_filter_by_courier_shows_only_orders_booked_with_it(app, synced):
    everything = stored(app, synced.site_id)
    with app.app_context():
        for order in everything[:3]:
            db.session.get(Order, order.id).courier = "steadfast"
        db.session.commit()
    booked = walk(synced, courier="steadfast")
    assert sorted(o["wc_id"] for o in booked) == sorted(o.wc_id for o in everything[:3])
    assert walk(synced, courier="pathao") == []
