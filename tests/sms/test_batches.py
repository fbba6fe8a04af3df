"""Bulk SMS: POST /api/sms/batches debits the batch at once, reports bad rows by position, sends
each number once through the bulk lane (inline here; tests/tasks has the real workers)."""
from decimal import Decimal

from sqlalchemy import select

from backend.extensions import db
from backend.sms.models import SmsMessage, WalletEntry


def rows(*pairs):
    return [{"phone": phone, "content": content} for phone, content in pairs]


def test_a_batch_is_debited_once_sent_once_per_number_and_reported_by_row(app, shop, gateway, fund, ledger):
    fund(shop, 10)
    answer = shop.post("/api/sms/batches", json={"messages": rows(
        ("01711000001", "Eid sale: 20% off"), ("not a phone", "Eid sale: 20% off"), ("01711000002", "Eid sale: 20% off"),
        ("+8801711000001", "Eid sale: 20% off"), ("01711000003", "   "), ("01711000004", "ঈদের ছাড় ২০%"))})
    assert answer.status_code == 202, answer.json
    body = answer.json
    assert answer.headers["Location"] == f"/api/v1/jobs/{body['job']['id']}"
    assert (body["accepted"], body["duplicates"]) == (3, 1)
    assert [row["index"] for row in body["rejected"]] == [1, 4]
    assert set(body["rejected"][0]["errors"]) == {"phone"} and set(body["rejected"][1]["errors"]) == {"content"}
    # two GSM segments at the default rate, one Unicode: the debit is their sum, the ledger agrees
    with app.app_context():
        costs = db.session.execute(select(SmsMessage.cost).where(SmsMessage.site_id == shop.site_id)).scalars().all()
        debit = db.session.execute(select(WalletEntry.amount).where(WalletEntry.kind == "sms")).scalar_one()
    assert debit == -sum(costs, Decimal("0")) and body["cost"] == f"{sum(costs, Decimal('0')):.2f}"
    assert ledger(shop) == (Decimal("10") - sum(costs, Decimal("0")),) * 2
    assert sorted(m["msisdn"] for m in gateway.sent.values()) == ["8801711000001", "8801711000002", "8801711000004"]
    job = shop.get(f"/api/v1/jobs/{body['job']['id']}").json
    assert (job["kind"], job["status"], job["done"], job["total"]) == ("sms_batch", "done", 3, 3)
    assert {item["outcome"] for item in job["items"]} == {"sent"}


def test_a_failed_message_of_a_batch_is_refunded_alone(app, shop, gateway, fund, ledger):
    fund(shop, 5)
    gateway.control(mode="refuse")
    answer = shop.post("/api/sms/batches", json={"messages": rows(("01711000001", "hello"), ("01711000002", "hello"))})
    assert answer.status_code == 202
    job = shop.get(f"/api/v1/jobs/{answer.json['job']['id']}").json
    assert [item["outcome"] for item in job["items"]] == ["failed", "failed"]
    assert ledger(shop) == (Decimal("5.00"), Decimal("5.00"))


def test_a_batch_beyond_the_balance_is_refused_whole(app, shop, gateway, fund, ledger):
    fund(shop, 0.5)
    answer = shop.post("/api/sms/batches", json={"messages": rows(*[(f"0171100000{i}", "hello") for i in range(5)])})
    assert answer.status_code == 402 and answer.json["error"]["code"] == "insufficient_balance"
    assert gateway.sent == {} and ledger(shop) == (Decimal("0.50"), Decimal("0.50"))
    with app.app_context():
        assert db.session.execute(select(SmsMessage)).first() is None


def test_a_batch_with_no_sendable_row_is_422_listing_each_row(shop, gateway, fund):
    fund(shop, 5)
    answer = shop.post("/api/sms/batches", json={"messages": rows(("123", "hi"), ("01711000001", ""))})
    assert answer.status_code == 422
    assert set(answer.json["error"]["details"]["messages"]) == {"0", "1"}
    too_many = shop.post("/api/sms/batches", json={"messages": rows(*[("01711000001", "x")] * 1001)})
    assert too_many.status_code == 422
    assert shop.post("/api/sms/batches", json={"messages": rows(("01711000001", "x")), "purpose": "otp"}).status_code == 422
