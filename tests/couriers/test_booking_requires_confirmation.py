"""Order tasks (T3): with "require phone confirmation before booking", a booking leaves alone each
order its customer has not confirmed by phone, and says why, order by order (not_attempted, like
any order that cannot be booked); the others are booked as usual."""
from sqlalchemy import select

from backend.couriers.models import Consignment
from backend.extensions import db
from tests.couriers.test_booking import book, bookable, shop  # noqa: F401 - the booking tests' shop fixture
from tests.embed_helpers import embed


def test_booking_refuses_unconfirmed_orders_when_the_shop_requires_it(app, shop, steadfast):  # noqa: F811
    admin = embed(shop, name="Rahima Akter", user_id=1)
    confirmed, no_answer, never_called, cancelled = bookable(app, shop, 4)
    for wc_id, outcome in ((confirmed, "confirmed"), (no_answer, "no_answer"), (cancelled, "cancelled")):
        assert shop.client.post("/embed/orders/confirm", data={"order": wc_id, "outcome": outcome},
                                headers=admin).status_code == 200
    # a call that said "confirmed" and a later one that said "cancelled": the last call counts
    shop.client.post("/embed/orders/confirm", data={"order": cancelled, "outcome": "confirmed"}, headers=admin)
    shop.client.post("/embed/orders/confirm", data={"order": cancelled, "outcome": "cancelled"}, headers=admin)
    assert shop.client.post("/embed/orders/task-settings", data={"require_phone_confirmation": "1"},
                            headers=admin).status_code == 200

    answer = book(shop, [confirmed, no_answer, never_called, cancelled])
    items = {item["order_id"]: item for item in answer["items"]}
    assert (answer["booked"], answer["not_attempted"], answer["refused"]) == (1, 3, 0)
    assert items[confirmed]["outcome"] == "booked"
    assert "not confirmed by phone (last call: No answer)" in items[no_answer]["message"]
    assert "not confirmed by phone (last call: Cancelled by the customer)" in items[cancelled]["message"]
    assert "not confirmed by phone yet" in items[never_called]["message"]
    assert items[never_called]["message"].startswith("Order #")
    assert len(steadfast.parcels) == 1  # nothing of the held orders reached the courier
    with app.app_context():
        assert [c.order_wc_id for c in db.session.execute(select(Consignment)).scalars()] == [confirmed]

    # the desk's booking answer shows each order's reason
    desk = shop.client.post("/embed/orders/book", data={"order": [never_called]}, headers=admin)
    assert "not confirmed by phone yet" in desk.get_data(as_text=True)

    # the setting off: the same orders are booked as before
    shop.client.post("/embed/orders/task-settings", data={}, headers=admin)
    assert book(shop, [never_called])["booked"] == 1


def test_without_the_setting_calls_change_nothing(app, shop, steadfast):  # noqa: F811
    admin = embed(shop)
    [wc_id] = bookable(app, shop, 1)
    shop.client.post("/embed/orders/confirm", data={"order": wc_id, "outcome": "no_answer"}, headers=admin)
    assert book(shop, [wc_id])["booked"] == 1
