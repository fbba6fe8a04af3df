"""N1: each status message goes once per order and status, through real status changes."""
from datetime import datetime, timedelta

from backend.extensions import db
from backend.licensing.models import Site
from backend.notifications import sending, service
from backend.notifications.models import NotificationSettings
from tests.notifications.conftest import (
    E164, configure, count_sends, created_event, move_parcel, order, parcel, sends, status_sms, store,  # noqa: F401
)

ON = {"sms": True}


def test_a_flapping_status_sends_each_message_once(app, shop, gateway, fund):
    fund(shop, 100)
    configure(shop, language="en", statuses={"processing": ON, "shipped": ON, "cancelled": ON})
    # processing -> shipped -> processing -> shipped -> processing: a shop fixing a mistake, twice
    for minute, status in enumerate(["processing", "shipped", "processing", "shipped", "processing"]):
        store(app, shop, [order(501, status, minutes=minute)])
    messages = status_sms(app, shop, 501)
    assert [content.split(",")[1].strip().split(" ")[0] for _phone, content, _s in messages] == ["we", "order"]
    assert len(messages) == 2, messages
    assert all(phone == E164 and status == "sent" for phone, _c, status in messages)
    assert "Rahima, we got your order #501 (1,250 Tk)." in messages[0][1]
    assert [(row["status"], row["channel"], row["state"]) for row in sends(app, shop)] == [
        ("processing", "sms", "queued"), ("shipped", "sms", "queued")]
    # the gateway got each one once
    assert sorted(m["msisdn"] for m in gateway.sent.values()) == ["8801711234567", "8801711234567"]


def test_without_the_feature_the_same_changes_send_nothing(app, shop, gateway, fund):
    fund(shop, 100)
    for minute, status in enumerate(["processing", "shipped"]):
        store(app, shop, [order(502, status, minutes=minute)])
    assert status_sms(app, shop) == [] and count_sends(app, shop) == 0


def test_old_news_and_unchanged_statuses_send_nothing(app, shop, gateway, fund):
    fund(shop, 100)
    configure(shop, statuses={"processing": ON})
    store(app, shop, [order(503, "processing", minutes=-60 * 24 * 5)])  # a five-day-old order: history
    assert status_sms(app, shop) == []
    store(app, shop, [order(504, "processing"), order(505, "pending")])
    store(app, shop, [{**order(504, "processing", minutes=1), "total": "1300.00"}])  # same status, new total
    assert len(status_sms(app, shop)) == 1


def test_custom_statuses_and_bangla_texts(app, shop, gateway, fund):
    fund(shop, 100)
    store(app, shop, [order(510, "packed")])  # the shop's own WooCommerce status, seen in its orders
    described = configure(shop, statuses={"packed": {"sms": True, "text_bn": "{name}, অর্ডার {order} প্যাক হয়েছে। {shop}"}})
    assert "packed" in [rule["status"] for rule in described["statuses"]]
    store(app, shop, [order(510, "processing", minutes=1)])
    store(app, shop, [order(510, "packed", minutes=2)])
    [(_phone, content, _status)] = status_sms(app, shop, 510)
    assert content.startswith("Rahima, অর্ডার #510 প্যাক হয়েছে।")


def test_courier_statuses_send_shipped_out_for_delivery_delivered(app, shop, gateway, fund, parcel):
    fund(shop, 100)
    configure(shop, language="en", statuses={"shipped": ON, "out_for_delivery": ON, "delivered": ON})
    store(app, shop, [order(520, "processing")])
    pk = parcel(shop, 520)
    move_parcel(app, shop, pk, "pending", "picked", minutes=1)
    move_parcel(app, shop, pk, "hold", "hold", minutes=2)
    move_parcel(app, shop, pk, "pending", "delivery-in-progress", minutes=3)
    # the shop marks the order shipped in WooCommerce too: already sent, not again
    store(app, shop, [order(520, "shipped", minutes=4)])
    move_parcel(app, shop, pk, "delivered", "delivered", minutes=5)
    contents = [content for _p, content, _s in status_sms(app, shop, 520)]
    assert len(contents) == 3, contents
    assert "with Steadfast (500520). Track: https://steadfast.com.bd/t/SFR520" in contents[0]
    assert "out for delivery today" in contents[1]
    assert "was delivered" in contents[2]


def test_no_balance_fails_the_row_not_the_writer(app, shop, gateway, fund):
    fund(shop, 0.01)  # enough to switch it on (S8), not for an SMS
    configure(shop, statuses={"processing": ON})
    store(app, shop, [order(530, "processing")])
    [row] = sends(app, shop)
    assert row["state"] == "failed" and "balance" in row["detail"]


def test_switching_sms_on_needs_a_balance(app, shop):
    response = shop.client.put("/api/v1/notifications/settings", json={"statuses": {"shipped": ON}}, headers=shop.auth)
    assert response.status_code == 409 and response.json["error"]["code"] == "sms_balance_required"


def test_settings_refuse_unknown_placeholders_and_name_the_field(app, shop, fund):
    fund(shop, 10)
    response = shop.client.put("/api/v1/notifications/settings", headers=shop.auth, json={
        "quiet_start": "25:00", "statuses": {"shipped": {"text_en": "Hi {customer}, {order}"},
                                            "processing": {"email": True}, "nonsense": ON}})
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert "{customer}" in details["statuses.shipped.text_en"][0]
    assert set(details) == {"quiet_start", "statuses.shipped.text_en", "statuses.processing.email", "statuses.nonsense"}


def test_preview_counts_characters_segments_and_cost(app, shop):
    response = shop.client.post("/api/v1/notifications/preview", headers=shop.auth,
                                json={"status": "shipped", "language": "en", "text": "{name}: {order} via {courier}"})
    assert response.status_code == 200, response.json
    assert response.json["content"] == "Rahima: #1024 via Steadfast"
    assert response.json["segments"] == 1 and response.json["encoding"] == "gsm" and response.json["characters"] == 27
    bad = shop.client.post("/api/v1/notifications/preview", headers=shop.auth, json={"status": "shipped", "text": "{nme}"})
    assert bad.status_code == 422 and "{nme}" in bad.json["error"]["details"]["text"][0]


# --- quiet hours ------------------------------------------------------------------------------------------

def _settings(start="22:00", end="08:00"):
    return NotificationSettings(quiet_enabled=True, quiet_start=start, quiet_end=end)


def test_quiet_hours_cross_dhaka_midnight():
    # Dhaka is UTC+6: 23:30 Dhaka on 7 Dec is 17:30 UTC; the window ends 08:00 Dhaka on 8 Dec = 02:00 UTC
    assert service.quiet_until(_settings(), datetime(2026, 12, 7, 17, 30)) == datetime(2026, 12, 8, 2, 0)
    # 00:30 Dhaka on 8 Dec (18:30 UTC on 7 Dec): the same end
    assert service.quiet_until(_settings(), datetime(2026, 12, 7, 18, 30)) == datetime(2026, 12, 8, 2, 0)
    # 07:59 Dhaka: inside; 08:00 and 21:59: outside
    assert service.quiet_until(_settings(), datetime(2026, 12, 8, 1, 59)) == datetime(2026, 12, 8, 2, 0)
    assert service.quiet_until(_settings(), datetime(2026, 12, 8, 2, 0)) is None
    assert service.quiet_until(_settings(), datetime(2026, 12, 8, 15, 59)) is None
    # a window inside one day (13:00-15:00 Dhaka)
    assert service.quiet_until(_settings("13:00", "15:00"), datetime(2026, 12, 8, 7, 30)) == datetime(2026, 12, 8, 9, 0)
    assert service.quiet_until(NotificationSettings(quiet_enabled=False, quiet_start="22:00", quiet_end="08:00"),
                               datetime(2026, 12, 7, 17, 30)) is None


def test_quiet_hours_hold_messages_until_the_window_ends_but_not_urgent_ones(app, shop, gateway, fund, parcel, monkeypatch):
    fund(shop, 100)
    configure(shop, language="en", quiet_enabled=True, quiet_start="22:00", quiet_end="08:00",
              statuses={"processing": ON, "out_for_delivery": ON})
    late = datetime(2026, 12, 7, 17, 30)  # 23:30 in Dhaka
    monkeypatch.setattr(service, "utcnow", lambda: late)
    monkeypatch.setattr(sending, "utcnow", lambda: late)
    store(app, shop, [order(540, "processing")])
    store(app, shop, [order(541, "out-for-delivery")])  # a shop's own "out for delivery" status: urgent
    assert [content for _p, content, _s in status_sms(app, shop)] == [
        "Dear customer, order #541 is out for delivery today. Keep 1,250 Tk ready. Shop-a.example.com".replace(
            "Dear customer", "Rahima").replace("Shop-a.example.com", _shop_name(app, shop))]
    [held] = sends(app, shop, order_wc_id=540)
    assert held["state"] == "pending" and held["due_at"] == datetime(2026, 12, 8, 2, 0)
    # past midnight in Dhaka, still quiet: the sweep finds nothing due
    for moment in (datetime(2026, 12, 7, 18, 30), datetime(2026, 12, 8, 1, 59)):
        monkeypatch.setattr(sending, "utcnow", lambda moment=moment: moment)
        with app.app_context():
            assert service.dispatch_due(moment) == 0
    # 08:00 Dhaka: the sweep queues it and it goes, once
    monkeypatch.setattr(sending, "utcnow", lambda: datetime(2026, 12, 8, 2, 0))
    for _again in range(2):
        with app.app_context():
            service.dispatch_due(datetime(2026, 12, 8, 2, 0))
            db.session.commit()
    assert len(status_sms(app, shop, 540)) == 1
    assert sends(app, shop, order_wc_id=540)[0]["state"] == "queued"


def _shop_name(app, shop):
    with app.app_context():
        return service.shop_name(db.session.get(Site, shop.site_id))


# --- the event path (a savepoint) ---------------------------------------------------------------------

def test_an_order_event_sends_through_the_minute_sweep_in_inline_mode(app, shop, gateway, fund):
    """Events are applied in a savepoint: in the tests' inline mode the dispatch is left to the
    minute sweep (with a real broker it is queued for after the commit)."""
    fund(shop, 100)
    configure(shop, statuses={"processing": ON})
    response = shop.post("/api/v1/events", json={"events": [created_event(550)]})
    assert response.json["results"][0]["status"] == "applied", response.json
    with app.app_context():
        service.dispatch_due()
        db.session.commit()
    assert len(status_sms(app, shop, 550)) == 1


def test_many_orders_at_once_go_as_sms_batches(app, shop, gateway, fund):
    fund(shop, 1000)
    configure(shop, language="en", statuses={"confirmed": ON})
    store(app, shop, [order(600 + i, "processing", phone=f"0171100{i:04d}") for i in range(45)])
    store(app, shop, [order(600 + i, "confirmed", minutes=1, phone=f"0171100{i:04d}") for i in range(45)])
    rows = sends(app, shop)
    assert len(rows) == 45 and {row["state"] for row in rows} == {"queued"} and rows[0]["job_id"] is not None
    messages = status_sms(app, shop)
    assert len(messages) == 45 and {status for _p, _c, status in messages} == {"sent"}
    store(app, shop, [order(600 + i, "processing", minutes=2, phone=f"0171100{i:04d}") for i in range(45)])
    store(app, shop, [order(600 + i, "confirmed", minutes=3, phone=f"0171100{i:04d}") for i in range(45)])
    assert len(status_sms(app, shop)) == 45 and count_sends(app, shop) == 45


def test_the_sweep_hands_on_a_send_whose_task_was_lost(app, shop, gateway, fund):
    from sqlalchemy import update

    from backend.notifications.models import NotificationSend

    fund(shop, 100)
    configure(shop, statuses={"processing": ON})
    store(app, shop, [order(560, "processing")])
    assert len(status_sms(app, shop)) == 1
    with app.app_context():  # as if the row's task never reached the broker, 20 minutes ago
        db.session.execute(update(NotificationSend).values(state="claimed", message_id=None,
                                                           due_at=datetime.utcnow() - timedelta(minutes=20)))
        db.session.commit()
        service.dispatch_due()
        db.session.commit()
    # handed on: the SMS domain recognises the Idempotency-Key, nothing is sent or charged twice
    assert len(status_sms(app, shop)) == 1 and len(gateway.sent) == 1
    assert sends(app, shop)[0]["state"] == "queued"
