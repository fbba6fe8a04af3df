"""A bKash recharge not paid within its window becomes "expired", not "Waiting for payment"
forever; money paid late is still credited, once (bKash sandbox over real sockets)."""
from datetime import timedelta

from backend.extensions import db
from backend.jobs import runner
from backend.jobs.table import JOBS
from backend.sms import service
from backend.sms.models import Recharge
from backend.clock import utcnow
from tests.sms.test_recharge import bkash, callback, pay, start  # noqa: F401 (bkash is a fixture)


def age(app, recharge_id, minutes):
    with app.app_context():
        row = db.session.get(Recharge, recharge_id)
        row.created_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def status_of(app, recharge_id):
    with app.app_context():
        return db.session.get(Recharge, recharge_id).status


def run_job(app):
    # through the runner: the job's run, not the operation, commits
    return runner.run_job(app, next(job for job in JOBS if job.name == "reconcile_recharges"))


def recharges_list(client, shop, locale=None):
    _page, session = shop.open_page(page="sms", locale=locale)
    return client.get("/embed/sms/recharges", headers={"X-Bikri-Embed-Session": session}).get_data(as_text=True)


def test_an_unpaid_attempt_expires_after_its_window(app, shop, client, bkash):
    window = app.config["BKASH_PAYMENT_WINDOW_MINUTES"]
    recharge = start(shop)
    age(app, recharge["id"], window - 5)
    run_job(app)
    assert status_of(app, recharge["id"]) == "pending", "inside its window it waits"
    age(app, recharge["id"], window + 1)
    run_job(app)
    assert status_of(app, recharge["id"]) == "expired"
    listing = recharges_list(client, shop)
    assert 'data-status="expired"' in listing and "Expired" in listing and "Waiting for payment" not in listing
    assert "মেয়াদ" in recharges_list(client, shop, locale="bn_BD")
    assert shop.get("/api/sms/recharge-history").json["items"][0]["status"] == "expired"
    assert shop.get("/api/sms/balance").json["balance"] == "0.00"


def test_a_payment_made_after_expiry_is_credited_once_by_its_callback(app, shop, client, bkash):
    recharge = start(shop)
    age(app, recharge["id"], app.config["BKASH_PAYMENT_WINDOW_MINUTES"] + 1)
    run_job(app)
    assert status_of(app, recharge["id"]) == "expired"
    location = pay(recharge)  # the payer comes back to bKash's page late, and pays
    page = callback(client, location)
    assert 'data-status="completed"' in page.get_data(as_text=True)
    assert status_of(app, recharge["id"]) == "completed"
    callback(client, location)
    run_job(app)
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"


def test_a_late_payment_whose_callback_is_lost_is_found_by_the_job(app, shop, bkash):
    recharge = start(shop)
    age(app, recharge["id"], app.config["BKASH_PAYMENT_WINDOW_MINUTES"] + 1)
    run_job(app)
    pay(recharge)  # paid late, and the browser never comes back
    run_job(app)
    assert status_of(app, recharge["id"]) == "completed"
    run_job(app)
    assert shop.get("/api/sms/balance").json["balance"] == "500.00"
    with app.app_context():
        assert service.ledger_sum(shop.site_id) == service.balance_of(shop.site_id)


def test_manual_requests_never_expire(app, shop, bkash):
    requested = shop.post("/api/sms/recharge", json={"amount": 600, "method": "manual", "reference": "TRX-OLD-1"}).json
    age(app, requested["id"], 3 * 24 * 60)
    run_job(app)
    assert status_of(app, requested["id"]) == "pending"
