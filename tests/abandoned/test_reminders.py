"""Reminders (N3): once per checkout and number, a second one, coupons in the real (sandbox)
store, opt-out, no balance (S8)."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.abandoned import service
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms import service as sms
from backend.sms.models import SmsMessage
from tests.abandoned.conftest import capture, later, place_order, row, run, set_abandoned
from tests.embed_helpers import embed

MSISDN = "8801711234567"


def texts(gateway, msisdn=MSISDN):
    return [m["sms"] for m in gateway.sent.values() if m["msisdn"] == msisdn]


@pytest.fixture
def reminding(app, shop, gateway, fund):
    fund(shop, 50)
    set_abandoned(app, shop, capture_enabled=True, reminders_enabled=True, abandon_after_minutes=30,
                  reminder1_minutes=60, sms_language="en")
    return shop


def abandon(app, shop, **kw):
    checkout_id = capture(shop, **kw).json["id"]
    run(app, service.mark_abandoned, 31)
    return checkout_id


def test_first_reminder_once_even_when_the_job_runs_again(app, reminding, gateway, ledger):
    checkout_id = abandon(app, reminding)
    assert run(app, service.send_reminders, 60).sent == 0  # due 60 min after abandonment
    assert run(app, service.send_reminders, 95).sent == 1
    assert run(app, service.send_reminders, 96).sent == 0
    assert run(app, service.send_reminders, 500).sent == 0  # no second reminder unless set
    sent = texts(gateway)
    assert len(sent) == 1
    stored = row(app, checkout_id)
    assert stored["status"] == "reminded" and stored["reminders_sent"] == 1
    assert sent[0].startswith("Rahima, your cart at") and f"http://bikri.test/r/{stored['reason_token']}" in sent[0]
    balance, ledger_total = ledger(reminding)
    assert balance == ledger_total < Decimal("50")


def test_a_crash_after_the_sms_before_the_row_was_updated_never_sends_twice(app, reminding, gateway, ledger):
    checkout_id = abandon(app, reminding)
    run(app, service.send_reminders, 95)
    with app.app_context():
        # the process died after send_sms committed and before the checkout was marked
        checkout = db.session.get(service.AbandonedCheckout, checkout_id)
        checkout.reminders_sent, checkout.status, checkout.reminded_at = 0, "abandoned", None
        db.session.commit()
    before = ledger(reminding)
    assert run(app, service.send_reminders, 97).sent == 1  # the job finishes the reminder …
    assert len(texts(gateway)) == 1  # … without a second SMS
    assert ledger(reminding) == before  # or a second charge
    with app.app_context():
        assert db.session.execute(select(SmsMessage).where(SmsMessage.purpose == "abandoned_cart")).scalars().all()[0] \
            .idempotency_key == f"abandoned-{checkout_id}-1"
    assert row(app, checkout_id)["reminders_sent"] == 1


def test_second_reminder_after_its_delay(app, reminding, gateway):
    set_abandoned(app, reminding, reminder2_minutes=24 * 60)
    checkout_id = abandon(app, reminding)
    run(app, service.send_reminders, 95)
    with app.app_context():
        first_at = db.session.get(service.AbandonedCheckout, checkout_id).reminded_at
    assert run(app, service.send_reminders, 95 + 23 * 60).sent == 0
    assert run(app, service.send_reminders, 95 + 24 * 60 + 1).sent == 1
    assert run(app, service.send_reminders, 95 + 48 * 60).sent == 0
    assert len(texts(gateway)) == 2
    stored = row(app, checkout_id)
    assert stored["reminders_sent"] == 2 and stored["reminded_at"] > first_at


def test_an_order_stops_reminders(app, reminding, gateway):
    set_abandoned(app, reminding, reminder2_minutes=60)
    checkout_id = abandon(app, reminding)
    run(app, service.send_reminders, 95)
    place_order(reminding, 4242, "on-hold", minutes=100)
    assert row(app, checkout_id)["status"] == "recovered"
    assert run(app, service.send_reminders, 24 * 60).sent == 0
    assert len(texts(gateway)) == 1


def test_opt_out_stops_this_and_later_checkouts(app, client, reminding, gateway):
    set_abandoned(app, reminding, reminder2_minutes=60)
    checkout_id = abandon(app, reminding)
    run(app, service.send_reminders, 95)
    token = row(app, checkout_id)["reason_token"]
    page = client.post(f"/r/{token}/stop", data={"lang": "en"})
    assert page.status_code == 200 and 'id="reason-stopped"' in page.get_data(as_text=True)
    assert row(app, checkout_id)["opted_out"] is True
    assert run(app, service.send_reminders, 24 * 60).sent == 0
    # a new checkout of the same phone gets nothing either
    abandon(app, reminding, key="n" * 32)
    assert run(app, service.send_reminders, 24 * 60).sent == 0
    assert len(texts(gateway)) == 1


def test_no_balance_skips_and_says_why_and_the_job_goes_on(app, shop, gateway, fund):
    set_abandoned(app, shop, capture_enabled=True, reminders_enabled=True, abandon_after_minutes=30, reminder1_minutes=60)
    checkout_id = abandon(app, shop)
    result = run(app, service.send_reminders, 95)
    assert (result.sent, result.skipped) == (0, 1)
    stored = row(app, checkout_id)
    assert stored["reminders_sent"] == 0 and stored["reminder_note"] == "Not sent: no SMS balance."
    assert texts(gateway) == []
    # the page says so on top
    page, _session = shop.open_page(page="abandoned")
    assert "abandoned cart reminders are not being sent" in page.get_data(as_text=True)
    fund(shop, 20)
    assert run(app, service.send_reminders, 96).sent == 1
    assert row(app, checkout_id)["reminder_note"] is None


def test_switching_reminders_on_needs_balance(app, client, shop):
    """S8: the settings form refuses, and says to recharge."""
    headers = embed(shop, "abandoned")
    form = {"capture_enabled": "1", "reminders_enabled": "1", "abandon_after_minutes": "60", "reminder1_minutes": "60",
            "reminder2_minutes": "", "coupon_percent": "10", "coupon_days": "3", "lost_after_days": "7", "sms_language": "bn"}
    response = client.post("/embed/abandoned/settings", data=form, headers=headers)
    assert "Recharge your SMS balance before switching reminders on." in response.get_data(as_text=True)
    with app.app_context():
        settings = service.settings_for(db.session.get(Site, shop.site_id))
        assert settings.reminders_enabled is False and settings.capture_enabled is False
        with pytest.raises(sms.ApiError) as refused:
            service.update_settings(db.session.get(Site, shop.site_id), {"reminders_enabled": True}, by="test")
        assert refused.value.code == "sms_balance_required"


def test_settings_save_and_validate(app, client, shop, fund):
    fund(shop, 10)
    headers = embed(shop, "abandoned")
    form = {"capture_enabled": "1", "reminders_enabled": "1", "abandon_after_minutes": "45", "reminder1_minutes": "90",
            "second_reminder": "1", "reminder2_minutes": "1440", "coupon_enabled": "1", "coupon_percent": "15",
            "coupon_days": "2", "lost_after_days": "5", "sms_language": "bn", "text1": "{name}, কার্ট: {link} কোড {coupon}",
            "text2": ""}
    response = client.post("/embed/abandoned/settings", data=form, headers=headers)
    assert response.status_code == 200 and "Saved." in response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "bikri-checkout-changed"
    with app.app_context():
        settings = service.settings_for(db.session.get(Site, shop.site_id))
        assert (settings.abandon_after_minutes, settings.reminder2_minutes, settings.coupon_percent) == (45, 1440, 15)
    # the plugin's checkout copy now says capture is on
    assert shop.get("/api/v1/checkout/config").json["abandoned"] == {"capture": True}
    bad = client.post("/embed/abandoned/settings", data={**form, "text1": "{nope}", "coupon_percent": "95"}, headers=headers)
    body = bad.get_data(as_text=True)
    assert 'data-error-for="text1"' in body and 'data-error-for="coupon_percent"' in body
    staff = embed(shop, "abandoned", role="shop_worker")
    assert client.post("/embed/abandoned/settings", data=form, headers=staff).status_code == 403


def test_coupon_made_in_the_store_over_http_once(app, store, connected, gateway, fund):
    fund(connected, 50)
    set_abandoned(app, connected, capture_enabled=True, reminders_enabled=True, abandon_after_minutes=30,
                  reminder1_minutes=60, coupon_enabled=True, coupon_percent=12, coupon_days=3, sms_language="en")
    checkout_id = abandon(app, connected)
    assert run(app, service.send_reminders, 95).sent == 1
    stored = row(app, checkout_id)
    coupons = list(store.data.coupons.values())
    assert len(coupons) == 1
    coupon = coupons[0]
    assert coupon["code"] == stored["coupon_code"] and coupon["discount_type"] == "percent"
    assert coupon["amount"] == "12.00" and coupon["usage_limit"] == 1
    assert coupon["email_restrictions"] == ["rahima@example.com"] and coupon["date_expires_gmt"]
    assert stored["coupon_code"] in texts(gateway)[0] and "12%" in texts(gateway)[0]
    # a retry after a crash between the coupon and the row finds its own coupon made
    with app.app_context():
        checkout = db.session.get(service.AbandonedCheckout, checkout_id)
        assert service.create_coupon(db.session.get(Site, connected.site_id), service.settings_for(
            db.session.get(Site, connected.site_id)), checkout, later(0)) == stored["coupon_code"]
    assert len(store.data.coupons) == 1


def test_a_store_that_refuses_the_coupon_sends_nothing_and_says_why(app, store, connected, gateway, fund):
    fund(connected, 50)
    set_abandoned(app, connected, capture_enabled=True, reminders_enabled=True, abandon_after_minutes=30,
                  reminder1_minutes=60, coupon_enabled=True)
    checkout_id = abandon(app, connected)
    store.data.fail_remaining, store.data.fail_status = 10, 500
    result = run(app, service.send_reminders, 95)
    assert (result.sent, result.skipped) == (0, 1)
    assert row(app, checkout_id)["reminder_note"].startswith("The coupon could not be made")
    assert texts(gateway) == []


def test_forged_checkouts_for_one_phone_get_one_reminder_series(app, reminding, gateway, ledger):
    """Starting a checkout costs nothing and a reminder costs the shop money: many checkouts
    carrying one number (a script filling the form) send that number one SMS a day."""
    for n in range(5):
        capture(reminding, key=f"forged-checkout-key-{n:02d}")
    run(app, service.mark_abandoned, 31)
    assert run(app, service.send_reminders, 95).sent == 1
    assert run(app, service.send_reminders, 96).sent == 0
    assert len(texts(gateway)) == 1


def test_reminders_stop_at_the_shops_daily_allowance(app, reminding, gateway, monkeypatch):
    monkeypatch.setitem(app.config, "ABANDONED_REMINDERS_PER_DAY", 2)
    for n in range(4):
        capture(reminding, key=f"daily-cap-checkout-{n:02d}", phone=f"0171100000{n}")
    run(app, service.mark_abandoned, 31)
    result = run(app, service.send_reminders, 95)
    assert (result.sent, result.skipped) == (2, 2)
    assert run(app, service.send_reminders, 96).sent == 0
    assert len(gateway.sent) == 2
    with app.app_context():
        notes = db.session.execute(select(service.AbandonedCheckout.reminder_note)
                                   .where(service.AbandonedCheckout.reminders_sent == 0)).scalars().all()
    assert notes == ["Not sent yet: the shop's reminders for today are used up."] * 2
