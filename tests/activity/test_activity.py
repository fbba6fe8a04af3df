"""Issue 21 item 4 (T2): the activity log. Each kind of write recorded once, with who, before
and after; filters; the CSV; retention; the operators' own log."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.activity import service
from backend.activity.models import Activity, OperatorAction
from backend.extensions import db
from backend.clock import utcnow
from tests.csv_checks import read_csv
from tests.sms.conftest import fund, gateway  # noqa: F401  (fixtures)

SESSION = "X-Bikri-Embed-Session"


def entries(app, site_id, kind=None):
    with app.app_context():
        query = select(Activity).where(Activity.site_id == site_id).order_by(Activity.id)
        if kind:
            query = query.where(Activity.kind == kind)
        rows = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return rows


def loads(text):
    return json.loads(text) if text else None


def headers_for(shop, page="home", role="administrator", name="Rahima Akter", user_id=1):
    _page, session = shop.open_page(page=page, role=role, name=name, user_id=user_id)
    return {SESSION: session}


def test_a_status_change_is_recorded_once_with_before_and_after(app, shop):
    from backend.orders.service import upsert_orders
    order = {"id": 501, "status": "processing", "date_created_gmt": "2026-03-02T09:00:00", "total": "100.00",
             "billing": {"phone": "01711000000"}}
    with app.app_context():
        upsert_orders(shop.site_id, [order])  # new: not a status change
        upsert_orders(shop.site_id, [{**order, "status": "on-hold", "date_modified_gmt": "2026-03-02T10:00:00"}])
        upsert_orders(shop.site_id, [{**order, "status": "on-hold", "total": "120.00",
                                      "date_modified_gmt": "2026-03-02T11:00:00"}])  # same status: nothing
        db.session.commit()
    [entry] = entries(app, shop.site_id, "order_status")
    assert (loads(entry.before), loads(entry.after), entry.order_wc_id) == ({"status": "processing"}, {"status": "on-hold"}, 501)
    assert (entry.actor_kind, entry.actor) == ("bikri", "Bikri")


def test_a_status_change_by_a_desk_task_names_its_starter(app, shop):
    """A task run for a job records the job's starter (the desk's worker writes for a person)."""
    from flask import g

    from backend.orders.service import upsert_orders
    from backend.tasks.models import WorkJob
    order = {"id": 502, "status": "processing", "date_created_gmt": "2026-03-02T09:00:00", "total": "100.00"}
    with app.app_context():
        upsert_orders(shop.site_id, [order])
        job = WorkJob(site_id=shop.site_id, kind="status", task="desk.change_status", per_task=1, total=1, status="running",
                      params="{}", started_by="Karim (staff)", created_at=utcnow())
        db.session.add(job)
        db.session.flush()
        g.activity_task = ("desk.change_status", job.id)
        upsert_orders(shop.site_id, [{**order, "status": "completed", "date_modified_gmt": "2026-03-02T10:00:00"}])
        db.session.commit()
    [entry] = entries(app, shop.site_id, "order_status")
    assert (entry.actor, entry.source) == ("Karim (staff)", "task desk.change_status")


def test_a_booking_is_recorded_with_its_order(app, shop):
    from backend.couriers import service as couriers
    from backend.licensing.models import Site
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        couriers.register_consignment(site, "1001", "steadfast", "CN-1", "TRK", Decimal("500"), 1001)
        couriers.register_consignment(site, "1001", "steadfast", "CN-1", "TRK", Decimal("500"), 1001)  # again: no new row
        db.session.commit()
    [entry] = entries(app, shop.site_id, "booking")
    assert entry.order_wc_id == 1001 and entry.before is None
    assert loads(entry.after)["consignment"] == "CN-1"


def test_an_sms_a_person_sends_is_recorded(app, shop, client, gateway, fund):  # noqa: F811
    fund(shop, 5)
    headers = headers_for(shop, "sms")
    sent = client.post("/embed/sms/send", data={"phone": "01711234567", "content": "Hello", "idempotency_key": "a1"},
                       headers=headers)
    assert sent.status_code == 200
    [entry] = entries(app, shop.site_id, "sms")
    assert (entry.actor_kind, entry.actor, entry.actor_id) == ("user", "Rahima Akter", 1)
    assert entry.subject == "+8801711234567" and loads(entry.after)["purpose"] == "manual"
    assert entry.ip == "127.0.0.1" and entry.source.endswith("/embed/sms/send")


def test_settings_costs_and_blacklist_record_before_and_after(app, shop, client):
    headers = headers_for(shop)
    # settings (the checkout's form): only what changed
    answer = client.post("/embed/checkout/settings", data={"otp_skip_trusted": "1", "cooldown_seconds": "90",
                                                           "sends_per_phone_per_hour": "5", "sends_per_ip_per_hour": "20",
                                                           "max_attempts": "5", "code_ttl_seconds": "300"}, headers=headers)
    assert answer.status_code == 200
    settings = entries(app, shop.site_id, "settings")
    assert len(settings) == 1 and "cooldown_seconds" in loads(settings[0].after)
    assert loads(settings[0].before)["cooldown_seconds"] != 90 and loads(settings[0].after)["cooldown_seconds"] == 90
    # a cost: created, changed, deleted
    made = client.post("/embed/dashboard/costs", json={"day": "2026-03-01", "category": "ads", "amount": "500"}, headers=headers)
    assert made.status_code == 201, made.json
    cost_id = made.json["id"]
    assert client.put(f"/embed/dashboard/costs/{cost_id}", json={"day": "2026-03-01", "category": "ads", "amount": "650"},
                      headers=headers).status_code == 200
    assert client.delete(f"/embed/dashboard/costs/{cost_id}", headers=headers).status_code == 204
    made, changed, deleted = entries(app, shop.site_id, "cost")
    assert made.before is None and loads(made.after)["amount"] == "500.00"
    assert (loads(changed.before)["amount"], loads(changed.after)["amount"]) == ("500.00", "650.00")
    assert loads(deleted.before)["amount"] == "650.00" and deleted.after is None
    # the blacklist: added once (adding again changes nothing), removed
    for _ in range(2):
        assert client.post("/embed/checkout/blacklist", data={"value": "01711000111", "reason": "fake"},
                           headers=headers).status_code == 200
    with app.app_context():
        from backend.checkout.models import BlacklistEntry
        entry_id = db.session.execute(select(BlacklistEntry.id).where(BlacklistEntry.site_id == shop.site_id)).scalar()
    assert client.delete(f"/embed/checkout/blacklist/{entry_id}", headers=headers).status_code == 200
    added, removed = entries(app, shop.site_id, "blacklist")
    assert added.before is None and loads(added.after)["value"] == "+8801711000111"
    assert loads(removed.before)["value"] == "+8801711000111" and removed.after is None


def test_exports_logins_and_roles_are_recorded(app, shop, client):
    headers = headers_for(shop, "otp-report")
    logins = entries(app, shop.site_id, "login")
    assert [e.subject for e in logins] == ["otp-report"] and logins[0].actor == "Rahima Akter"
    assert client.get("/embed/checkout/otp-report.csv", headers=headers).status_code == 200
    [export] = entries(app, shop.site_id, "export")
    assert export.subject == "otp-report.csv"
    answer = shop.client.put("/api/v1/roles", headers=shop.auth, json={
        "permissions": {"admin": ["manage_roles", "view_activity"], "manager": ["view_orders"], "staff": []},
        "wordpress_roles": {"administrator": "admin"}})
    assert answer.status_code == 200
    [roles] = entries(app, shop.site_id, "roles")
    assert roles.actor_kind == "api" and "view_revenue" in loads(roles.before)["permissions"]["manager"]
    assert loads(roles.after)["permissions"]["manager"] == ["view_orders"]


def _seed(app, site_id, rows):
    with app.app_context():
        now = utcnow()
        for i, (kind, actor, order, days_ago) in enumerate(rows):
            db.session.add(Activity(site_id=site_id, at=now - timedelta(days=days_ago, seconds=i), actor_kind="user",
                                    actor=actor, kind=kind, order_wc_id=order, subject=f"s{i}", source="", before=None,
                                    after=json.dumps({"n": i})))
        db.session.commit()


def test_filters_by_person_kind_order_and_date(app, shop, client):
    _seed(app, shop.site_id, [("order_status", "Karim", 11, 0), ("sms", "Karim", None, 1), ("order_status", "Rahima", 12, 3),
                              ("export", "Rahima", None, 10)])
    headers = headers_for(shop, "activity")

    def shown(**args):
        html = client.get("/embed/activity/rows", query_string=args, headers=headers).get_data(as_text=True)
        return html.count('class="order-row"')

    assert shown() == 5  # the four and this page's opening
    assert shown(actor="Karim") == 2
    assert shown(kind="order_status") == 2
    assert shown(order="12") == 1 and shown(order="#11") == 1
    today = (utcnow() + timedelta(hours=6)).date()
    assert shown(**{"from": (today - timedelta(days=5)).isoformat()}) == 4
    assert shown(**{"from": (today - timedelta(days=20)).isoformat(), "to": (today - timedelta(days=7)).isoformat()}) == 1


def test_the_list_pages_by_keyset(app, shop, client):
    _seed(app, shop.site_id, [("sms", "Karim", None, 0)] * 120)
    headers = headers_for(shop, "activity")
    html = client.get("/embed/activity/rows", query_string={"kind": "sms"}, headers=headers).get_data(as_text=True)
    assert html.count('class="order-row"') == 50
    import re
    from html import unescape
    seen = 50
    while (more := re.search(r'hx-get="([^"]+)"', html)):
        html = client.get(unescape(more.group(1)), headers=headers).get_data(as_text=True)
        seen += html.count('class="order-row"')
    assert seen == 120


def test_csv_of_the_filtered_log(app, shop, client):
    _seed(app, shop.site_id, [("order_status", "=cmd|' /C calc'!A0", 11, 0), ("sms", "Karim", None, 1)])
    headers = headers_for(shop, "activity")
    start = client.post("/embed/activity/export", data={"kind": "order_status"}, headers=headers)
    assert start.status_code == 200
    url = start.headers["HX-Redirect"]
    csv = client.get(url)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    rows = read_csv(csv.get_data(as_text=True))
    assert rows[0][:4] == ["time_utc", "who", "who_kind", "kind"]
    assert len(rows) == 2 and rows[1][1].startswith("'=")  # formula-safe
    assert client.get(url).status_code == 410  # the ticket works once
    assert entries(app, shop.site_id, "export")[-1].subject == "activity.csv"
    # staff without export (the default matrix): refused
    staff = headers_for(shop, "home", role="shop_staff", user_id=7)
    assert client.post("/embed/activity/export", data={}, headers=staff).status_code == 403


def test_retention_per_shop(app, shop, make_shop, client):
    other = make_shop(url="https://shop-b.example.com")
    _seed(app, shop.site_id, [("sms", "A", None, 40), ("sms", "A", None, 10)])
    _seed(app, other.site_id, [("sms", "B", None, 40), ("sms", "B", None, 400)])
    headers = headers_for(shop, "activity")
    answer = client.post("/embed/activity/retention", data={"retention_days": "30"}, headers=headers)
    assert answer.status_code == 200 and "Saved" in answer.get_data(as_text=True)
    assert "notice-error" in client.post("/embed/activity/retention", data={"retention_days": "2"},
                                         headers=headers).get_data(as_text=True)
    with app.app_context():
        deleted = service.prune_all()
        db.session.commit()
    assert deleted == 2  # A's 40-day-old entry (30 days kept), B's 400-day-old one (a year by default)
    assert {e.actor for e in entries(app, shop.site_id, "sms")} == {"A"} and len(entries(app, shop.site_id, "sms")) == 1
    assert len(entries(app, other.site_id, "sms")) == 1
    [setting] = entries(app, shop.site_id, "settings")
    assert (loads(setting.before), loads(setting.after)) == ({"retention_days": 365}, {"retention_days": 30})


def test_the_page_in_bangla_on_a_phone(shop):
    page, _ = shop.open_page(page="activity", locale="bn_BD")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="viewport"' in html and 'id="activity-filters"' in html


def test_the_operator_console_logs_its_changes(app, operator_client):
    client = operator_client
    from tests.conftest import form_token
    token = form_token(client, "/operator/")
    answer = client.post("/operator/licenses", data={"csrf_token": token, "email": "new@shop.test", "sites": "2", "days": "30"})
    assert answer.status_code == 200
    with app.app_context():
        [action] = db.session.execute(select(OperatorAction)).scalars().all()
        assert action.kind == "operator.create_license" and json.loads(action.after)["email"] == "new@shop.test"
    page = client.get("/operator/log")
    assert page.status_code == 200 and "new@shop.test" in page.get_data(as_text=True)


def test_a_desk_status_change_through_the_workers_names_the_person(app, make_synced, client):
    """The real path: the desk's form, the job, the worker's write to WooCommerce, the read-back
    upsert: one entry, the person who asked, before and after."""
    shop = make_synced(orders=5)
    with app.app_context():
        from backend.orders.models import Order
        wc_id, status = db.session.execute(select(Order.wc_id, Order.status).where(
            Order.site_id == shop.site_id, Order.status != "completed")).first()
    headers = headers_for(shop, "orders", role="shop_manager", name="Karim", user_id=4)
    answer = client.post("/embed/orders/status", data={"order": str(wc_id), "status": "completed"}, headers=headers)
    assert answer.status_code == 200
    [entry] = [e for e in entries(app, shop.site_id, "order_status") if e.order_wc_id == wc_id]
    assert entry.actor == "Karim"
    assert (loads(entry.before), loads(entry.after)) == ({"status": status}, {"status": "completed"})


def test_a_bulk_sms_batch_is_one_entry_by_the_api_key(app, shop, gateway, fund):  # noqa: F811
    fund(shop, 10)
    answer = shop.post("/api/sms/batches", json={"messages": [{"phone": "01711000001", "content": "Eid sale"},
                                                              {"phone": "01711000002", "content": "Eid sale"}]})
    assert answer.status_code == 202, answer.json
    [entry] = entries(app, shop.site_id, "sms_batch")
    assert (entry.actor_kind, entry.source) == ("api", "POST /api/sms/batches")
    assert loads(entry.after)["messages"] == 2 and entry.before is None
    assert entries(app, shop.site_id, "sms") == []  # the batch's messages are not logged one by one


def test_the_prune_goes_in_batches(app, shop, monkeypatch):
    monkeypatch.setattr(service, "PRUNE_BATCH", 3)
    _seed(app, shop.site_id, [("sms", "A", None, 400)] * 7 + [("sms", "A", None, 1)])
    with app.app_context():
        assert service.prune_all() == 7
        db.session.commit()
    assert len(entries(app, shop.site_id, "sms")) == 1
