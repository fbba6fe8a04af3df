from decimal import Decimal

import requests

from backend.extensions import db
from backend.sms import service
from backend.sms.models import SmsMessage

BANGLA = "আপনার অর্ডার নিশ্চিত হয়েছে। ধন্যবাদ!"


def send(shop, key=None, **body):
    body.setdefault("phone", "01711-234567")
    body.setdefault("content", "Your order #1001 is confirmed.")
    headers = {"Idempotency-Key": key} if key else {}
    return shop.post("/api/sms/send", json=body, headers=headers)


def test_send_debits_the_wallet_and_reaches_the_gateway(shop, gateway, fund, ledger):
    fund(shop, 10)
    response = send(shop)
    assert response.status_code == 202, response.json
    body = response.json
    assert body["status"] == "queued" and body["phone"] == "+8801711234567"
    assert (body["segments"], body["encoding"], body["cost"], body["balance"]) == (1, "gsm", "0.45", "9.55")
    # a worker sent it (unit tests run the task right after the request's commit)
    assert response.headers["Location"].endswith(f"/api/sms/messages/{body['id']}")
    assert shop.get(f"/api/sms/messages/{body['id']}").json["status"] == "sent"
    sent = list(gateway.sent.values())
    assert sent == [{"msisdn": "8801711234567", "sms": "Your order #1001 is confirmed.", "reference_id": sent[0]["reference_id"]}]
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))
    # read back over HTTP too, as a benchmark with the sandbox in its own process does
    assert requests.get(f"{gateway.url}/__sandbox__/sent", params={"msisdn": "8801711234567"}, timeout=5).json() == {"messages": sent}
    assert requests.get(f"{gateway.url}/__sandbox__/sent", params={"msisdn": "8801700000000"}, timeout=5).json() == {"messages": []}


def test_bangla_is_unicode_and_priced_by_its_segments(shop, gateway, fund):
    fund(shop, 10)
    long_bangla = BANGLA * 3  # 111 characters: 2 parts of 67
    body = send(shop, content=long_bangla).json
    assert (body["encoding"], body["segments"], body["cost"]) == ("unicode", 2, "0.90")
    assert list(gateway.sent.values())[0]["sms"] == long_bangla


def test_insufficient_balance_is_402_and_nothing_is_sent_or_debited(app, shop, gateway, fund, ledger):
    fund(shop, Decimal("0.40"))
    response = send(shop)
    assert response.status_code == 402
    assert response.json["error"]["code"] == "insufficient_balance"
    assert gateway.sent == {}
    assert ledger(shop) == (Decimal("0.40"), Decimal("0.40"))
    with app.app_context():
        assert db.session.query(SmsMessage).count() == 0


def test_bad_fields_are_422_naming_the_field(shop, gateway, fund):
    fund(shop, 100)
    cases = {
        "phone": {"phone": "12345"},
        "content": {"content": "   "},
        "purpose": {"purpose": "spam"},
    }
    for field, body in cases.items():
        response = send(shop, **body)
        assert response.status_code == 422, (field, response.json)
        assert field in response.json["error"]["details"], (field, response.json)
    too_long = send(shop, content="ক" * (67 * 10 + 1))
    assert too_long.status_code == 422 and "11 SMS" in too_long.json["error"]["details"]["content"][0]
    assert gateway.sent == {}


def test_gateway_refusal_refunds_and_records_the_reason(shop, gateway, fund, ledger):
    fund(shop, 5)
    gateway.control(mode="refuse")
    body = send(shop).json
    assert (body["status"], body["balance"]) == ("queued", "4.55")  # debited when accepted
    status = shop.get(f"/api/sms/messages/{body['id']}").json
    assert status["status"] == "failed" and "IP Blacklisted" in status["error"] and status["refunded"] is True
    assert shop.get("/api/sms/balance").json["balance"] == "5.00"
    gateway.control(mode="down")  # retried by a worker; used up at once in the unit tests' inline mode
    status = shop.get(f"/api/sms/messages/{send(shop, content='second').json['id']}").json
    assert status["status"] == "failed" and "503" in status["error"] and status["refunded"] is True
    assert ledger(shop) == (Decimal("5.00"), Decimal("5.00"))


def test_same_idempotency_key_never_sends_or_charges_twice(shop, gateway, fund, ledger):
    fund(shop, 5)
    first = send(shop, key="order-1001-confirmation")
    again = send(shop, key="order-1001-confirmation")
    # the replay answers with the message as it stands: sent by now, so its outcome (201)
    assert (first.status_code, first.json["status"]) == (202, "queued")
    assert (again.status_code, again.json["status"]) == (201, "sent")
    assert first.json["id"] == again.json["id"] and again.json["balance"] == "4.55"
    assert len(gateway.sent) == 1
    assert ledger(shop) == (Decimal("4.55"), Decimal("4.55"))
    reused = send(shop, key="order-1001-confirmation", content="something else")
    assert reused.status_code == 422 and reused.json["error"]["code"] == "idempotency_key_reused"


def test_concurrent_retries_with_one_key_send_once(app, shop, gateway, fund, ledger):
    from concurrent.futures import ThreadPoolExecutor

    fund(shop, 5)

    def attempt(_n):
        with app.test_client() as client:
            return client.post("/api/sms/send", json={"phone": "01811111111", "content": "hello"},
                               headers={**shop.auth, "Idempotency-Key": "same-key"}).json["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(attempt, range(8)))
    assert len(ids) == 1 and len(gateway.sent) == 1
    assert ledger(shop) == (Decimal("4.55"), Decimal("4.55"))


def test_a_message_stuck_after_a_crash_is_finished_without_sending_twice(app, shop, gateway, fund, ledger):
    """The process died after the gateway accepted the SMS but before we recorded it."""
    from datetime import timedelta

    from backend.clock import utcnow

    fund(shop, 5)
    message_id = send(shop).json["id"]
    with app.app_context():
        message = db.session.get(SmsMessage, message_id)
        message.status, message.finished_at = "sending", None
        message.created_at = message.claimed_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        assert service.resume_stuck_messages() == 1  # handed to a worker (here: run right away)
        assert service.message_of(shop.site_id, message_id).status == "sent"
    assert len(gateway.sent) == 1 and gateway.attempts == {f"bikri-{message_id}": 2}  # asked again, sent once
    assert ledger(shop) == (Decimal("4.55"), Decimal("4.55"))


def test_quote_shows_the_cost_before_sending(shop):
    body = shop.post("/api/sms/quote", json={"content": BANGLA}).json
    assert body == {"characters": len(BANGLA), "segments": 1, "encoding": "unicode", "cost": "0.45", "max_segments": 10}


def test_balance_shows_rates_and_an_estimate(shop, fund):
    fund(shop, 100)
    assert shop.get("/api/sms/balance").json == {
        "balance": "100.00", "currency": "BDT", "rates": {"gsm": "0.45", "unicode": "0.45"}, "sms_left_estimate": 222,
    }


def test_plan_prices_apply(app, shop, gateway, fund):
    with app.app_context():
        service.set_rate("standard", gsm_rate="0.3525", unicode_rate="0.50", gsm_cost="0.2", unicode_cost="0.3")
        db.session.commit()
    fund(shop, 1)
    assert send(shop).json["cost"] == "0.3525"
    assert shop.get("/api/sms/balance").json["rates"] == {"gsm": "0.3525", "unicode": "0.50"}


def test_sends_per_minute_are_limited_with_retry_after(app, shop, gateway, fund):
    with app.app_context():
        service.sms_settings().sends_per_minute = 3
        db.session.commit()
    fund(shop, 10)
    codes = [send(shop, content=f"n{n}").status_code for n in range(4)]
    assert codes == [202, 202, 202, 429]
    limited = send(shop, content="again")
    assert limited.json["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_otp_codes_per_phone_are_capped(app, shop, gateway, fund):
    with app.app_context():
        service.sms_settings().otp_per_phone_per_hour = 2
        db.session.commit()
    fund(shop, 10)
    codes = [send(shop, content=f"Code {n}", purpose="otp").status_code for n in range(3)]
    assert codes == [202, 202, 429]
    # another number, or another purpose, is not held back
    assert send(shop, phone="01911111111", content="Code 9", purpose="otp").status_code == 202
    assert send(shop, content="Order shipped", purpose="order_status").status_code == 202


def test_use_history_by_dhaka_days_with_totals(app, shop, gateway, fund):
    from datetime import datetime

    fund(shop, 10)
    ids = [send(shop, content=f"m{n}").json["id"] for n in range(3)]
    with app.app_context():
        # 17:59 UTC on 1 March is 23:59 in Dhaka (1 March); 18:00 UTC is already 2 March there
        for message_id, when in zip(ids, [datetime(2026, 3, 1, 17, 59), datetime(2026, 3, 1, 18, 0), datetime(2026, 3, 2, 17, 0)]):
            db.session.get(SmsMessage, message_id).created_at = when
        db.session.commit()
    march_1 = shop.get("/api/sms/use-history?start_date=2026-03-01&end_date=2026-03-01").json
    assert [m["id"] for m in march_1["items"]] == [ids[0]]
    march_2 = shop.get("/api/sms/use-history?start_date=2026-03-02&end_date=2026-03-02").json
    assert sorted(m["id"] for m in march_2["items"]) == sorted(ids[1:])
    assert march_2["totals"] == {"messages": 2, "segments": 2, "cost": "0.90"}
    everything = shop.get("/api/sms/use-history?per_page=2").json
    assert (everything["total"], everything["pages"], len(everything["items"])) == (3, 2, 2)


def test_use_history_refuses_bad_dates(shop):
    for query in ("start_date=2026-13-01", "end_date=yesterday", "start_date=2026-03-05&end_date=2026-03-01", "per_page=500"):
        response = shop.get(f"/api/sms/use-history?{query}")
        assert response.status_code == 422, query
        assert response.json["error"]["code"] == "validation_error"


def test_the_outcome_is_written_without_waiting_for_the_disk_flush_on_postgresql(app, shop, gateway, fund):
    """The statement recording a send's outcome also sets synchronous_commit off for its own
    transaction (the debit before the gateway call stays durable: it commits before)."""
    import pytest
    from sqlalchemy import text

    fund(shop, 10)
    message_id = send(shop).json["id"]
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no commit flush setting")
        assert db.session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
        db.session.execute(service._finish_statement(), {
            "message_id": message_id, "new_status": "sent", "new_gateway": "sandbox", "new_finished_at": None,
            "new_gateway_reference": "again", "new_error": None})
        assert db.session.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
        assert db.session.get(SmsMessage, message_id).gateway_reference == "again"
        db.session.rollback()
        assert db.session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
