"""The send's contract now that a worker talks to the gateway (issue 19): 202 with the debit,
`Prefer: wait=N` for the outcome, the message's status by id, 503 before any debit when the
broker is down, and the worker's task: claimed once, retried on transient errors, handed on
by the sweeper. Unit tests run each task right after the request's commit (inline); the
real workers are in tests/tasks/test_sms_workers.py."""
from datetime import timedelta
from decimal import Decimal

import pytest

from backend.extensions import db
from backend.integrations.sms import SmsGatewayError
from backend.sms import sending, service
from backend.sms.models import SmsMessage, WalletEntry
from backend.tasks import RetryLater
from backend.tasks.registry import task_named
from backend.clock import utcnow


def send(shop, key=None, prefer=None, **body):
    body.setdefault("phone", "01711-234567")
    body.setdefault("content", "Your order #1001 is confirmed.")
    headers = {**({"Idempotency-Key": key} if key else {}), **({"Prefer": prefer} if prefer else {})}
    return shop.post("/api/sms/send", json=body, headers=headers)


@pytest.fixture
def lost_hand_over(monkeypatch):
    """The message is stored and debited, but its hand-over to the broker is lost (the broker
    went away between the commit and the send): it stays "queued" for the sweeper."""
    monkeypatch.setattr(sending, "enqueue", lambda *args, **kwargs: None)


def test_a_send_is_accepted_with_202_and_its_debit(shop, gateway, fund, ledger):
    fund(shop, 10)
    response = send(shop)
    assert response.status_code == 202
    body = response.json
    assert set(body) >= {"id", "status", "segments", "encoding", "cost", "balance"}
    assert isinstance(body["id"], int) and isinstance(body["segments"], int)
    assert (body["status"], body["segments"], body["encoding"], body["cost"], body["balance"]) == ("queued", 1, "gsm", "0.45", "9.55")
    assert "Preference-Applied" not in response.headers
    assert response.headers["Location"].endswith(f"/api/sms/messages/{body['id']}")
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))


def test_prefer_wait_answers_201_with_the_gateways_outcome(shop, gateway, fund, ledger):
    fund(shop, 10)
    sent = send(shop, prefer="wait=5")
    assert sent.status_code == 201 and sent.headers["Preference-Applied"] == "wait=5"
    assert (sent.json["status"], sent.json["balance"], sent.json["error"]) == ("sent", "9.55", None)
    gateway.control(mode="refuse")
    refused = send(shop, content="second", prefer="respond-async, wait=30")  # at most 10 s
    assert refused.status_code == 201 and refused.headers["Preference-Applied"] == "wait=10"
    assert refused.json["status"] == "failed" and "IP Blacklisted" in refused.json["error"]
    assert refused.json["balance"] == "9.55"  # refunded: the balance read afresh
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))


def test_prefer_wait_that_runs_out_answers_202_queued(shop, gateway, fund, lost_hand_over):
    fund(shop, 10)
    response = send(shop, prefer="wait=1")
    assert response.status_code == 202 and response.headers["Preference-Applied"] == "wait=1"
    assert response.json["status"] == "queued"


def test_a_messages_status_by_id_is_the_shops_own(shop, make_shop, gateway, fund):
    fund(shop, 10)
    gateway.control(mode="refuse")
    message_id = send(shop).json["id"]
    status = shop.get(f"/api/sms/messages/{message_id}")
    assert status.status_code == 200
    assert {key: status.json[key] for key in ("id", "status", "refunded", "purpose", "cost", "phone")} == {
        "id": message_id, "status": "failed", "refunded": True, "purpose": "manual", "cost": "0.45", "phone": "+8801711234567"}
    assert "IP Blacklisted" in status.json["error"] and status.json["finished_at"]
    other = make_shop(url="https://shop-b.example.com")
    for path in (f"/api/sms/messages/{message_id}", "/api/sms/messages/999999"):
        answer = other.get(path)
        assert answer.status_code == 404 and answer.json["error"]["code"] == "message_not_found"


def test_broker_down_is_503_before_anything_is_debited(app, shop, gateway, fund, ledger):
    fund(shop, 10)
    app.config["BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    response = send(shop, key="k-503")
    assert response.status_code == 503 and response.json["error"]["code"] == "queue_unavailable"
    assert ledger(shop) == (Decimal("10"), Decimal("10"))
    with app.app_context():
        assert db.session.query(SmsMessage).count() == 0
        assert db.session.query(WalletEntry).filter(WalletEntry.kind == "sms").count() == 0
    assert gateway.attempts == {}


def test_a_replay_answers_with_the_message_as_it_stands(shop, gateway, fund, ledger, lost_hand_over):
    fund(shop, 10)
    first = send(shop, key="order-7-shipped")
    again = send(shop, key="order-7-shipped")
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json["id"] == again.json["id"] and again.json["status"] == "queued"
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))  # debited once


def test_the_sweeper_hands_on_a_message_whose_hand_over_was_lost(app, shop, gateway, fund, ledger, monkeypatch):
    fund(shop, 10)
    monkeypatch.setattr(sending, "enqueue", lambda *args, **kwargs: None)
    message_id = send(shop).json["id"]
    monkeypatch.undo()
    with app.app_context():
        assert service.resume_stuck_messages() == 0  # queued a moment ago: still on its way
        message = db.session.get(SmsMessage, message_id)
        message.created_at = utcnow() - service.QUEUED_TOO_LONG - timedelta(seconds=5)
        db.session.commit()
        assert service.resume_stuck_messages() == 1
        assert service.message_of(shop.site_id, message_id).status == "sent"
    assert gateway.attempts == {f"bikri-{message_id}": 1}
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))


def claimed_by_a_worker_now(app, message_id):
    """A worker has just claimed the message and is asking the gateway."""
    with app.app_context():
        message = db.session.get(SmsMessage, message_id)
        message.status, message.claimed_at = "sending", utcnow()
        db.session.commit()


def test_a_fresh_claim_is_left_to_its_worker(app, shop, gateway, fund, lost_hand_over):
    """A second delivery of the same message (the broker delivers at least once) while a
    worker is asking the gateway does nothing."""
    fund(shop, 10)
    message_id = send(shop).json["id"]
    claimed_by_a_worker_now(app, message_id)
    with app.app_context():
        assert sending.deliver_message(message_id, shop.site_id) == "not claimed"
    assert gateway.attempts == {}


def test_a_finished_message_is_not_sent_again(app, shop, gateway, fund):
    fund(shop, 10)
    message_id = send(shop).json["id"]
    with app.app_context():
        assert sending.deliver_message(message_id, shop.site_id) == "not claimed"
        db.session.commit()
    assert gateway.attempts == {f"bikri-{message_id}": 1}


def test_429_comes_back_after_retry_after_and_5xx_is_retried(app, shop, gateway, fund, ledger, lost_hand_over):
    fund(shop, 10)
    message_id = send(shop).json["id"]
    with app.app_context():
        gateway.control(mode="busy")
        with pytest.raises(RetryLater) as later:
            sending.deliver_message(message_id, shop.site_id)
        assert later.value.seconds == 1.0
        db.session.rollback()  # as the task run does
        message = service.message_of(shop.site_id, message_id)
        assert message.status == "queued" and "429" in message.error  # waits for its retry, not refunded
        gateway.control(mode="down")
        with pytest.raises(SmsGatewayError):
            sending.deliver_message(message_id, shop.site_id)
        db.session.rollback()
        assert service.message_of(shop.site_id, message_id).status == "queued"
        gateway.control(mode="ok")
        assert sending.deliver_message(message_id, shop.site_id) == "sent"
        db.session.commit()
        assert service.message_of(shop.site_id, message_id).error is None
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))
    assert len(gateway.sent) == 1


def test_retries_used_up_fail_and_refund_once(app, shop, gateway, fund, ledger, lost_hand_over):
    fund(shop, 10)
    message_id = send(shop).json["id"]
    gateway.control(mode="down")
    with app.app_context():
        with pytest.raises(SmsGatewayError):
            sending.deliver_message(message_id, shop.site_id)
        db.session.rollback()
        declared = task_named("sms.deliver")
        for _ in range(2):  # a second give-up (two copies of the task) refunds nothing more
            declared.gave_up(error="SmsGatewayError('HTTP 503')", message_id=message_id, site_id=shop.site_id)
            db.session.commit()
        message = service.message_of(shop.site_id, message_id)
        assert message.status == "failed" and "503" in message.error
    assert ledger(shop) == (Decimal("10"), Decimal("10"))


def test_a_message_being_sent_is_never_given_up(app, shop, gateway, fund, ledger, lost_hand_over):
    """Retries used up while the message is "sending" (a worker died after asking the gateway):
    it may have been sent, so no refund; the sweeper asks the gateway again."""
    fund(shop, 10)
    message_id = send(shop).json["id"]
    claimed_by_a_worker_now(app, message_id)
    with app.app_context():
        task_named("sms.deliver").gave_up(error="boom", message_id=message_id, site_id=shop.site_id)
        db.session.commit()
        assert service.message_of(shop.site_id, message_id).status == "sending"
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))


def test_the_gateways_rate_limit_is_taken_before_the_claim(app, shop, gateway, fund, lost_hand_over, monkeypatch):
    fund(shop, 10)
    message_id = send(shop).json["id"]
    turns = []

    def no_turn_now(service_name, per_second, **kwargs):
        turns.append((service_name, per_second))
        raise RetryLater(0.5, "sms-gateway allows 5 calls a second")

    monkeypatch.setattr(sending.coordination, "take_turn", no_turn_now)
    app.config["SMS_GATEWAY_RATE"] = 5
    with app.app_context():
        with pytest.raises(RetryLater):
            sending.deliver_message(message_id, shop.site_id)
        db.session.rollback()
        assert service.message_of(shop.site_id, message_id).status == "queued"
    assert turns == [("sms-gateway", 5)] and gateway.attempts == {}


def test_checkout_codes_have_their_own_lane():
    assert task_named(sending.delivery_task("otp")).lane == "otp"
    for purpose in ("manual", "order_status", "abandoned_cart", "marketing"):
        assert task_named(sending.delivery_task(purpose)).lane == "transactional"


def test_no_transaction_is_open_while_the_gateway_answers(app, shop, gateway, fund, lost_hand_over, monkeypatch):
    """The claim is committed and nothing is read after it until the gateway has answered: a
    worker thread holds no pooled connection for the gateway's 500 ms (with one held, the
    pool's 15 connections capped a worker at 30 sends a second)."""
    fund(shop, 10)
    message_id = send(shop).json["id"]
    seen = []

    class Watching:
        def __init__(self, real):
            self.real = real

        def send(self, **kwargs):
            seen.append(db.session().in_transaction())
            return self.real.send(**kwargs)

    real_gateway = sending.current_gateway
    monkeypatch.setattr(sending, "current_gateway", lambda: Watching(real_gateway()))
    with app.app_context():
        assert sending.deliver_message(message_id, shop.site_id) == "sent"
        db.session.commit()
    assert seen == [False]


def test_deliver_records_the_outcome_at_once_for_callers_without_retries(app, shop, gateway, fund, ledger, lost_hand_over):
    """`deliver()` (bulk batches claim their messages themselves): a gateway error fails and
    refunds at once, as before the work model."""
    fund(shop, 10)
    ids = [send(shop, content=f"n{n}").json["id"] for n in range(2)]
    with app.app_context():
        for message_id in ids:
            db.session.get(SmsMessage, message_id).status = "sending"
        db.session.commit()
        assert sending.deliver(db.session.get(SmsMessage, ids[0])).status == "sent"
        gateway.control(mode="down")
        failed = sending.deliver(db.session.get(SmsMessage, ids[1]))
        assert failed.status == "failed" and "503" in failed.error
    assert ledger(shop) == (Decimal("9.55"), Decimal("9.55"))


def test_the_sms_page_lists_a_queued_message_as_waiting(shop, client, gateway, fund, lost_hand_over):
    from tests.sms.test_pages import embed

    fund(shop, 10)
    send(shop)
    history = client.get("/embed/sms/messages", headers=embed(shop, "sms")).get_data(as_text=True)
    assert "Waiting to be sent" in history
