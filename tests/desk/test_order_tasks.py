"""Order tasks (T3): staff seen by the shop, assigning orders (one, bulk, reassign, unassign, due
times), the "My orders" tab and its badge, calls to confirm an order by phone with their outcomes,
and each person's figures on the dashboard."""
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from backend.couriers import service as couriers
from backend.desk.models import OrderAssignment, PhoneConfirmation
from backend.extensions import db
from backend.licensing.models import Site
from backend.orders.models import Order
from backend.clock import dhaka_today, utcnow
from tests.embed_helpers import embed, open_embed

ADMIN = {"name": "Rahima Akter", "user_id": 1}
KARIM = {"name": "Karim Uddin", "user_id": 2}


def processing_ids(app, site_id, n):
    with app.app_context():
        return list(db.session.execute(select(Order.wc_id).where(Order.site_id == site_id, Order.status == "processing")
                                       .order_by(Order.wc_id).limit(n)).scalars())


def tasks_by_wc_id(shop) -> dict:
    """Every order's task as the API's order list shows it, page after page."""
    found, cursor = {}, None
    while True:
        page = shop.get("/api/v1/orders", query_string={"limit": 100, **({"cursor": cursor} if cursor else {})}).json
        found.update({o["wc_id"]: o["task"] for o in page["orders"]})
        cursor = page["next_cursor"]
        if not cursor:
            return found


def number_of(app, site_id, wc_id):
    with app.app_context():
        return db.session.execute(select(Order.number).where(Order.site_id == site_id, Order.wc_id == wc_id)).scalar_one()


def people(shop):
    """The admin and Karim (a staff member: any other WordPress role) have opened Bikri: embed headers for each."""
    admin = embed(shop, **ADMIN)
    karim = embed(shop, role="editor", **KARIM)
    return admin, karim


def test_staff_are_the_people_who_opened_bikri_listed_by_name(app, synced):
    assert synced.get("/api/v1/orders/staff").json == {"staff": []}
    people(synced)
    synced.open_page("dashboard", role="editor", name="Karim U.", user_id=2)  # a later visit refreshes the name
    staff = synced.get("/api/v1/orders/staff").json["staff"]
    assert [(s["wp_user_id"], s["display_name"], s["role"]) for s in staff] == [(2, "Karim U.", "staff"),
                                                                               (1, "Rahima Akter", "admin")]
    desk, _headers = open_embed(synced, **ADMIN)
    html = desk.get_data(as_text=True)
    assert re.search(r'<select id="assign-to" name="assignee">.*Karim U\..*Rahima Akter.*Nobody \(unassign\)', html, re.S)


def test_assign_one_bulk_reassign_unassign_with_due_times(app, synced):
    admin, karim = people(synced)
    one, *more = processing_ids(app, synced.site_id, 4)

    # one order from the desk's selection, due at a Dhaka time
    answer = synced.client.post("/embed/orders/assign", data={"order": [one], "assignee": "2",
                                                              "due_at": "2026-03-01T15:30"}, headers=admin)
    assert answer.status_code == 200 and answer.headers["HX-Trigger"] == "orders-changed"
    assert "1 orders assigned to Karim Uddin." in answer.get_data(as_text=True)
    with app.app_context():
        row = db.session.execute(select(OrderAssignment)).scalar_one()
        assert (row.assignee_wp_user_id, row.assigned_by) == (2, "Rahima Akter (#1)")
        assert row.due_at.isoformat() == "2026-03-01T09:30:00"  # 15:30 in Dhaka is 09:30 UTC

    # bulk through the API, an order Bikri does not have reported on its own line
    bulk = synced.post("/api/v1/orders/assign", json={"orders": [*more, 999999], "assignee": 1,
                                                      "due_at": "2026-03-02T10:00:00Z"})
    assert bulk.status_code == 200 and bulk.json["changed"] == 3
    assert [(r["wc_id"], r["ok"]) for r in bulk.json["results"]] == [(w, True) for w in more] + [(999999, False)]
    assert bulk.json["results"][-1]["error"] == "Order #999999 is not in Bikri."

    # reassign: the one order moves from Karim to Rahima, its due time cleared
    again = synced.post("/api/v1/orders/assign", json={"orders": [one], "assignee": 1})
    assert again.json["results"][0] | {"number": None} == {"wc_id": one, "number": None, "ok": True, "assignee": 1,
                                                          "previous": 2}
    listed = tasks_by_wc_id(synced)
    assert listed[one]["assignee"] == 1 and listed[one]["due_at"] is None and listed[one]["assignee_name"] == "Rahima Akter"
    assert listed[more[0]]["due_at"] == "2026-03-02T10:00:00Z" and listed[more[0]]["overdue"] is True

    # unassign from the desk ("Nobody")
    gone = synced.client.post("/embed/orders/assign", data={"order": [one, more[0]], "assignee": "none"}, headers=admin)
    assert "2 orders unassigned." in gone.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(OrderAssignment.order_id)).scalars().all().__len__() == 2

    # checked input: a person the shop has never seen, a bad due time, no choice, no orders
    refused = synced.post("/api/v1/orders/assign", json={"orders": [one], "assignee": 77})
    assert refused.status_code == 422 and "assignee" in refused.json["error"]["details"]
    assert "due_at" in synced.post("/api/v1/orders/assign", json={"orders": [one], "assignee": 2,
                                                                  "due_at": "tomorrow"}).json["error"]["details"]
    assert synced.post("/api/v1/orders/assign", json={"orders": [], "assignee": 2}).status_code == 422
    assert "Choose who the orders go to." in synced.client.post(
        "/embed/orders/assign", data={"order": [one], "assignee": ""}, headers=admin).get_data(as_text=True)
    # staff record calls; they do not hand out orders
    assert synced.client.post("/embed/orders/assign", data={"order": [one], "assignee": "2"}, headers=karim).status_code == 403


def test_my_orders_tab_and_the_assignees_badge(app, synced):
    admin, _karim = people(synced)
    ids = processing_ids(app, synced.site_id, 3)
    synced.client.post("/embed/orders/assign", data={"order": ids, "assignee": "2"}, headers=admin)

    page, karim = open_embed(synced, role="editor", **KARIM)
    html = page.get_data(as_text=True)
    # the badge beside Orders in Bikri's menu, and the tab's number
    assert re.search(r'data-page="orders"[^>]*>[^<]*<span class="bikri-nav-badge"[^>]*>3</span>', html)
    assert re.search(r'data-tab="mine"[^>]*>\s*My orders <span class="desk-tab-count">3</span>', html)
    listed = synced.client.get("/embed/orders/list", query_string={"mine": "1"}, headers=karim)
    rows = re.findall(r'class="order-row" data-id="\d+" data-wc-id="(\d+)"', listed.get_data(as_text=True))
    assert sorted(int(r) for r in rows) == sorted(ids)
    assert '"mine": 3' in listed.headers["HX-Trigger-After-Swap"]
    # the admin's own tab is empty, and so is their badge
    mine = synced.client.get("/embed/orders/list", query_string={"mine": "1"}, headers=admin).get_data(as_text=True)
    assert 'class="order-row"' not in mine
    assert "bikri-nav-badge" not in synced.open_page("orders", **ADMIN)[0].get_data(as_text=True)

    # an order completed (or booked) is no longer open: the badge counts what is left to do
    with app.app_context():
        db.session.execute(update(Order).where(Order.site_id == synced.site_id, Order.wc_id == ids[0]).values(status="completed"))
        db.session.execute(update(Order).where(Order.site_id == synced.site_id, Order.wc_id == ids[1]).values(courier="steadfast"))
        db.session.commit()
    html = synced.open_page("orders", role="editor", **KARIM)[0].get_data(as_text=True)
    assert re.search(r'<span class="bikri-nav-badge"[^>]*>1</span>', html)
    assert synced.get("/api/v1/orders/staff").json["staff"][0]["open_orders"] == 1
    # on other pages too (the embed shell's menu)
    assert re.search(r'<span class="bikri-nav-badge"[^>]*>1</span>',
                     synced.open_page("dashboard", role="editor", **KARIM)[0].get_data(as_text=True))


def test_confirm_by_phone_each_outcome_shown_in_the_row(app, synced):
    _admin, karim = people(synced)
    a, b, c, d = processing_ids(app, synced.site_id, 4)
    for wc_id, outcome in ((a, "confirmed"), (b, "no_answer"), (c, "wrong_number")):
        cell = synced.client.post("/embed/orders/confirm", data={"order": wc_id, "outcome": outcome, "note": "  evening  call "},
                                  headers=karim)
        html = cell.get_data(as_text=True)
        assert cell.status_code == 200 and html.lstrip().startswith(f'<td data-label="Task" class="cell-task" id="task-{wc_id}">')
        assert f'call-outcome call-{outcome}' in html and "Karim Uddin (#2)" in html and "“evening call”" in html
        assert "Set cancelled" not in html
    cancelled = synced.client.post("/embed/orders/confirm", data={"order": d, "outcome": "cancelled"}, headers=karim)
    html = cancelled.get_data(as_text=True)
    assert "Cancelled by the customer" in html and "Set cancelled" in html
    assert f'hx-vals=\'{{"order": "{d}", "status": "cancelled"}}\'' in html  # the desk's own status change

    # the list shows each order's last call; a later call replaces the shown outcome, history is kept
    synced.client.post("/embed/orders/confirm", data={"order": b, "outcome": "confirmed"}, headers=karim)
    rows = synced.client.get("/embed/orders/list", query_string={"q": number_of(app, synced.site_id, b)},
                             headers=karim).get_data(as_text=True)
    assert re.search(rf'id="task-{b}">.*?call-outcome call-confirmed', rows, re.S)
    listed = tasks_by_wc_id(synced)
    assert listed[c]["call"]["outcome"] == "wrong_number" and listed[c]["call"]["by"] == "Karim Uddin (#2)"
    with app.app_context():
        assert db.session.query(PhoneConfirmation).count() == 5

    # bad input: the cell says what is wrong, nothing is recorded
    bad = synced.client.post("/embed/orders/confirm", data={"order": a, "outcome": "maybe"}, headers=karim)
    assert bad.status_code == 200 and "Choose what the customer said" in bad.get_data(as_text=True)
    assert synced.client.post("/embed/orders/confirm", data={"order": "999999", "outcome": "confirmed"},
                              headers=karim).status_code == 404
    with app.app_context():
        assert db.session.query(PhoneConfirmation).count() == 5


def test_confirm_through_the_api_item_by_item_and_cancel_in_woocommerce(app, synced):
    people(synced)
    a, b = processing_ids(app, synced.site_id, 2)
    answer = synced.post("/api/v1/orders/confirm", json={"orders": [a, 999999], "outcome": "confirmed", "by": 2})
    assert answer.status_code == 200 and answer.json["recorded"] == 1 and answer.json["status_job"] is None
    assert [(r["wc_id"], r["ok"]) for r in answer.json["results"]] == [(a, True), (999999, False)]
    assert synced.post("/api/v1/orders/confirm", json={"orders": [a], "outcome": "confirmed", "by": 55}).status_code == 422
    assert synced.post("/api/v1/orders/confirm", json={"orders": [a], "outcome": "perhaps"}).status_code == 422

    cancelled = synced.post("/api/v1/orders/confirm", json={"orders": [b], "outcome": "cancelled", "note": "changed her mind",
                                                            "cancel_in_woocommerce": True})
    job = cancelled.json["status_job"]
    assert job["total"] == 1
    progress = synced.get(f"/api/v1/jobs/{job['id']}").json
    assert progress["status"] == "done" and progress["items"][0]["ok"] is True
    assert synced.store.data.order(b)["status"] == "cancelled"
    with app.app_context():
        call = db.session.execute(select(PhoneConfirmation).where(PhoneConfirmation.outcome == "cancelled")).scalar_one()
        assert (call.by_name, call.by_wp_user_id, call.note) == ("api", None, "changed her mind")


def test_a_shops_call_cannot_touch_another_shops_order(app, synced, make_shop):
    other = make_shop(url="https://other.example")
    headers = embed(other)
    [wc_id] = processing_ids(app, synced.site_id, 1)
    assert other.client.post("/embed/orders/confirm", data={"order": wc_id, "outcome": "confirmed"},
                             headers=headers).status_code == 404
    result = other.post("/api/v1/orders/assign", json={"orders": [wc_id], "assignee": 1}).json["results"][0]
    assert result["ok"] is False
    with app.app_context():
        assert db.session.query(PhoneConfirmation).count() == 0 and db.session.query(OrderAssignment).count() == 0


def test_the_setting_is_for_managers(app, synced):
    admin, karim = people(synced)
    assert synced.client.post("/embed/orders/task-settings", data={"require_phone_confirmation": "1"},
                              headers=karim).status_code == 403
    saved = synced.client.post("/embed/orders/task-settings", data={"require_phone_confirmation": "1"}, headers=admin)
    assert saved.status_code == 200 and "checked" in saved.get_data(as_text=True)
    page = synced.open_page("orders", **ADMIN)[0].get_data(as_text=True)
    assert 'id="task-settings"' in page and "Require phone confirmation before booking" in page
    assert 'id="task-settings"' not in synced.open_page("orders", role="editor", **KARIM)[0].get_data(as_text=True)


def test_dashboard_team_widget_counts_each_persons_orders(app, synced):
    admin, karim = people(synced)
    a, b, c, d = processing_ids(app, synced.site_id, 4)
    synced.post("/api/v1/orders/assign", json={"orders": [a, b, c], "assignee": 2})
    synced.post("/api/v1/orders/assign", json={"orders": [d], "assignee": 1})
    for wc_id in (a, b):
        synced.client.post("/embed/orders/confirm", data={"order": wc_id, "outcome": "confirmed"}, headers=karim)
    synced.client.post("/embed/orders/confirm", data={"order": a, "outcome": "confirmed"}, headers=karim)  # same order again
    synced.client.post("/embed/orders/confirm", data={"order": c, "outcome": "no_answer"}, headers=karim)
    synced.client.post("/embed/orders/confirm", data={"order": d, "outcome": "confirmed"}, headers=admin)
    with app.app_context():
        site = db.session.get(Site, synced.site_id)
        orders = {o.wc_id: o for o in db.session.execute(select(Order).where(Order.site_id == site.id,
                                                                              Order.wc_id.in_([a, b, c, d]))).scalars()}
        for n, wc_id in enumerate((a, b, d)):
            couriers.register_consignment(site, orders[wc_id].number or str(wc_id), "steadfast", f"90{n}", None,
                                          Decimal("500"), wc_id)
        orders[a].delivered_gmt = utcnow()
        # last month: outside the period asked for below
        orders[c].delivered_gmt = utcnow() - timedelta(days=40)
        db.session.execute(update(PhoneConfirmation).where(PhoneConfirmation.outcome == "no_answer")
                           .values(created_at=utcnow() - timedelta(days=40)))
        db.session.commit()
    today = dhaka_today()
    answer = synced.client.get("/embed/dashboard/team.json", headers=embed(synced, "dashboard", role="editor", **KARIM),
                               query_string={"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()})
    assert answer.status_code == 200 and answer.json["money_hidden"] is False
    assert answer.json["people"] == [
        {"wp_user_id": 2, "name": "Karim Uddin", "confirmed": 2, "booked": 2, "delivered": 1},
        {"wp_user_id": 1, "name": "Rahima Akter", "confirmed": 1, "booked": 1, "delivered": 0},
    ]
    # the period filter: a week that ended before any of it shows no one
    empty = synced.client.get("/embed/dashboard/team.json", headers=embed(synced, "dashboard", **ADMIN),
                              query_string={"start": "2025-01-01", "end": "2025-01-07"})
    assert empty.json["people"] == []
    html = synced.open_page("dashboard", **ADMIN)[0].get_data(as_text=True)
    assert 'data-widget="team"' in html and "/embed/dashboard/team.json" in html
