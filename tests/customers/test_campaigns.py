"""SMS campaigns: preview with the exact cost, CSV bad rows by line and duplicates merged,
opt-outs honoured, the whole cost debited once and failures refunded, the cost on the SMS
cost page (purpose "campaign"), scheduling, and pausing (inline queue here; the real-worker
pause/resume test is tests/tasks/test_campaign_workers.py)."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from backend.customers import campaigns
from backend.customers.models import Campaign, CampaignRecipient
from backend.extensions import db
from backend.orders.service import upsert_orders
from backend.sms.models import SmsMessage, WalletEntry
from backend.clock import utcnow
from tests.customers.test_customers import order


def seed(app, shop, n=3, days_ago=2):
    with app.app_context():
        upsert_orders(shop.site_id, [order(i, f"0171100{i:04d}", days_ago=days_ago) for i in range(1, n + 1)])
        db.session.commit()


CSV = "\n".join(["name,phone", "Karim,01711000001", "Rahim,not a phone", "Sumi,+8801711000002", "Karim again,01711-000001",
                 "", "Bad,0123", "Jamal,০১৭১১০০০০০৩"])


def test_a_csv_reports_bad_rows_by_line_and_merges_duplicates(app, shop, gateway, fund):
    fund(shop, 10)
    preview = shop.post("/api/v1/customers/campaigns/preview",
                        json={"content": "Eid offer: 20% off", "audience": {"csv": CSV}, "opt_out_line": False})
    assert preview.status_code == 200, preview.json
    body = preview.json
    assert [row["line"] for row in body["bad_rows"]] == [3, 7]
    assert (body["recipients"], body["duplicates"], body["segments"]) == (3, 1, 1)
    assert body["total_cost"] == f"{Decimal(body['unit_cost']) * 3:.2f}" and body["balance"] == "10.00"
    none = shop.post("/api/v1/customers/campaigns/preview", json={"content": "hi", "audience": {"csv": "x\n123\n"}})
    assert none.status_code == 422


def test_a_campaign_to_a_segment_is_charged_once_sent_once_and_reported(app, shop, gateway, fund, ledger):
    seed(app, shop, n=4)
    fund(shop, 20)
    assert shop.post("/api/v1/customers/opt-outs", json={"phone": "01711000004"}).status_code == 204
    text = "ঈদ মোবারক! সব পণ্যে ২০% ছাড়"
    preview = shop.post("/api/v1/customers/campaigns/preview", json={"content": text, "audience": {"segment": "new"}}).json
    assert (preview["recipients"], preview["opted_out"]) == (3, 1)
    assert preview["encoding"] == "unicode" and preview["text"].startswith(text) and preview["text"] != text  # the opt-out line
    created = shop.post("/api/v1/customers/campaigns", json={"name": "Eid", "content": text, "audience": {"segment": "new"}})
    assert created.status_code == 202, created.json
    report = shop.get(f"/api/v1/customers/campaigns/{created.json['id']}").json
    assert (report["status"], report["sent"], report["failed"], report["recipients"]) == ("done", 3, 0, 3)
    assert report["cost"] == preview["total_cost"] == report["charged"]
    assert sorted(m["msisdn"] for m in gateway.sent.values()) == ["8801711000001", "8801711000002", "8801711000003"]
    balance, ledger_sum = ledger(shop)
    assert balance == ledger_sum == Decimal("20") - Decimal(preview["total_cost"])
    with app.app_context():
        debits = db.session.execute(select(WalletEntry.amount).where(WalletEntry.site_id == shop.site_id,
                                                                     WalletEntry.kind == "sms")).scalars().all()
        assert debits == [-Decimal(preview["total_cost"])]  # one debit for the whole campaign
        assert db.session.execute(select(func.sum(SmsMessage.cost)).where(SmsMessage.purpose == "campaign")).scalar_one() \
            == Decimal(preview["total_cost"])
    # the SMS cost page counts it under "campaign"
    _page, session = shop.open_page(page="sms")
    usage = shop.client.get("/embed/sms/usage.json", headers={"X-Bikri-Embed-Session": session}).json
    assert sum(usage["purposes"]["campaign"]["cost"]) == float(preview["total_cost"])
    costs = shop.client.get("/embed/sms/messages", headers={"X-Bikri-Embed-Session": session})
    assert costs.status_code == 200 and "Campaigns" in costs.get_data(as_text=True)
    # the customer's page lists the SMS they received
    customer = shop.get("/api/v1/customers", query_string={"phone": "01711000001"}).json["customers"][0]
    assert [m["purpose"] for m in shop.get(f"/api/v1/customers/{customer['id']}").json["sms"]] == ["campaign"]


def test_failures_are_refunded_in_the_report_and_the_ledger(app, shop, gateway, fund, ledger):
    seed(app, shop, n=2)
    fund(shop, 5)
    gateway.control(mode="refuse")
    created = shop.post("/api/v1/customers/campaigns", json={"name": "x", "content": "Sale", "audience": {"segment": "new"},
                                                              "opt_out_line": False}).json
    report = shop.get(f"/api/v1/customers/campaigns/{created['id']}").json
    assert (report["failed"], report["sent"], report["cost"]) == (2, 0, "0.00")
    assert report["refunded"] == report["charged"]
    assert ledger(shop) == (Decimal("5.00"), Decimal("5.00"))


def test_a_campaign_beyond_the_balance_is_refused_and_nothing_is_written(app, shop, gateway, fund, ledger):
    seed(app, shop, n=3)
    fund(shop, 0.5)
    answer = shop.post("/api/v1/customers/campaigns", json={"name": "x", "content": "Sale", "audience": {"segment": "new"}})
    assert answer.status_code == 402
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Campaign)).scalar_one() == 0
    assert ledger(shop) == (Decimal("0.50"), Decimal("0.50"))


def test_a_scheduled_campaign_starts_at_its_time_and_can_be_cancelled(app, shop, gateway, fund, ledger):
    seed(app, shop, n=2)
    fund(shop, 10)
    later = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    created = shop.post("/api/v1/customers/campaigns", json={"name": "Later", "content": "Sale",
                                                              "audience": {"segment": "new"}, "send_at": later}).json
    assert (created["status"], created["charged"]) == ("scheduled", "0.00")
    assert ledger(shop)[0] == Decimal("10.00") and gateway.sent == {}
    with app.app_context():
        assert campaigns.start_due_campaigns() == 0
        db.session.get(Campaign, created["id"]).scheduled_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert campaigns.start_due_campaigns() == 1
        db.session.commit()
    report = shop.get(f"/api/v1/customers/campaigns/{created['id']}").json
    assert (report["status"], report["sent"]) == ("done", 2)
    other = shop.post("/api/v1/customers/campaigns", json={"name": "Never", "content": "Sale",
                                                            "audience": {"segment": "new"}, "send_at": later}).json
    assert shop.post(f"/api/v1/customers/campaigns/{other['id']}/cancel").json["status"] == "cancelled"


def test_a_paused_campaign_sends_nothing_until_resumed_and_nobody_twice(app, shop, gateway, fund, ledger):
    """Inline queue: the campaign is paused before its tasks run (as a worker finds it paused
    between two recipients); resume sends the rest; a task delivered again sends nobody twice."""
    seed(app, shop, n=5)
    fund(shop, 20)
    with app.app_context():
        from backend.licensing.models import Site
        site = db.session.get(Site, shop.site_id)
        campaign = campaigns.create(site, name="x", content="Sale", audience={"segment": "new"}, with_opt_out=False,
                                    scheduled_at=utcnow() + timedelta(hours=1))
        db.session.commit()
        campaigns.pause(campaign)
        campaigns.resume(site, campaign)  # a scheduled campaign paused before it started: starts now
        db.session.commit()
        job_id = campaign.job_id
    assert len(gateway.sent) == 5
    with app.app_context():
        ids = [str(i) for i in db.session.execute(select(CampaignRecipient.id)).scalars()]
        campaigns.deliver_chunk(shop.site_id, job_id, ids)  # redelivered: every recipient recorded already
        db.session.commit()
        statuses = db.session.execute(select(CampaignRecipient.status)).scalars().all()
    assert statuses == ["sent"] * 5 and len(gateway.sent) == 5
    assert all(attempts == 1 for attempts in gateway.attempts.values())


def test_campaign_pages_render_in_bangla(app, shop, gateway, fund):
    seed(app, shop, n=2)
    fund(shop, 10)
    page, session = shop.open_page(page="campaigns", locale="bn_BD")
    assert page.status_code == 200
    headers = {"X-Bikri-Embed-Session": session}
    preview = shop.client.post("/embed/customers/campaigns/preview", headers=headers,
                               data={"source": "segment", "segment": "new", "content": "Sale", "opt_out_line": "1"})
    assert preview.status_code == 200 and "notice-success" in preview.get_data(as_text=True)
    sent = shop.client.post("/embed/customers/campaigns", headers=headers,
                            data={"name": "Eid", "source": "segment", "segment": "new", "content": "Sale"})
    assert sent.status_code == 200 and "Eid" in sent.get_data(as_text=True)
    assert len(gateway.sent) == 2


def campaign_for_in_an_hour(shop):
    """A campaign of "Sale" to the new customers, scheduled an hour from now."""
    later = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return shop.post("/api/v1/customers/campaigns", json={"name": "x", "content": "Sale", "audience": {"segment": "new"},
                                                          "send_at": later}).json


def its_time_comes(app, campaign_id):
    """The campaign's hour comes and the scheduler starts the campaigns that are due."""
    with app.app_context():
        db.session.get(Campaign, campaign_id).scheduled_at = utcnow()
        db.session.commit()
        campaigns.start_due_campaigns()
        db.session.commit()


def test_a_phone_that_opts_out_after_the_campaign_was_made_is_skipped_and_refunded(app, shop, gateway, fund, ledger):
    seed(app, shop, n=3)
    fund(shop, 10)
    created = campaign_for_in_an_hour(shop)
    assert created["recipients"] == 3
    assert shop.post("/api/v1/customers/opt-outs", json={"phone": "01711000002"}).status_code == 204
    its_time_comes(app, created["id"])
    report = shop.get(f"/api/v1/customers/campaigns/{created['id']}").json
    assert (report["sent"], report["opted_out"], report["status"]) == (2, 1, "done")
    assert Decimal(report["refunded"]) == Decimal(report["unit_cost"]) and "8801711000002" not in {
        m["msisdn"] for m in gateway.sent.values()}
    assert ledger(shop) == ((Decimal("10") - Decimal(report["cost"])),) * 2


def test_a_scheduled_campaign_short_of_balance_fails_with_the_reason_and_charges_nothing(app, shop, gateway, fund, ledger):
    seed(app, shop, n=3)
    fund(shop, 0.5)
    created = campaign_for_in_an_hour(shop)
    its_time_comes(app, created["id"])
    report = shop.get(f"/api/v1/customers/campaigns/{created['id']}").json
    assert report["status"] == "failed" and "balance" in report["error"]
    assert ledger(shop) == (Decimal("0.50"), Decimal("0.50")) and gateway.sent == {}


def test_a_csv_uploaded_on_the_campaigns_page(app, shop, gateway, fund):
    import io
    fund(shop, 10)
    _page, session = shop.open_page(page="campaigns")
    headers = {"X-Bikri-Embed-Session": session}
    form = {"name": "List", "source": "csv", "content": "Sale", "csv": (io.BytesIO(CSV.encode()), "phones.csv")}
    preview = shop.client.post("/embed/customers/campaigns/preview", headers=headers, data=dict(form),
                               content_type="multipart/form-data").get_data(as_text=True)
    assert "Line 3" in preview and "Line 7" in preview and "1 repeated numbers merged" in preview
    form["csv"] = (io.BytesIO(CSV.encode()), "phones.csv")
    sent = shop.client.post("/embed/customers/campaigns", headers=headers, data=form, content_type="multipart/form-data")
    assert sent.status_code == 200 and len(gateway.sent) == 3
    staff_page, staff = shop.open_page(page="campaigns", role="editor", user_id=7)
    assert staff_page.status_code == 403
