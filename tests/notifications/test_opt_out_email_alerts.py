"""N1 opt-out (link and STOP), the email request through WooCommerce order meta, N2 alerts and the bell."""
import re
from datetime import timedelta

from backend.extensions import db
from backend.notifications import alerts, opt_outs
from backend.notifications.models import OptOut
from backend.clock import utcnow
from tests.notifications.conftest import (
    E164, configure, move_parcel, order, parcel, sends, status_sms, store,  # noqa: F401
)
from tests.sync.helpers import transactions_while_asked

ON = {"sms": True}


def _opted_out(app, site_id):
    with app.app_context():
        return {(row.phone, row.source) for row in db.session.query(OptOut).filter_by(site_id=site_id)}


def test_the_opt_out_link_stops_this_shops_messages(app, client, shop, make_shop, gateway, fund):
    fund(shop, 100)
    configure(shop, language="en", opt_out_link=True, statuses={"processing": ON, "shipped": ON})
    store(app, shop, [order(701, "processing")])
    [(_phone, content, _status)] = status_sms(app, shop)
    link = re.search(r"Stop: http://bikri\.test(/o/\S+)$", content).group(1)
    assert len(link) < 40
    page = client.get(link)
    assert page.status_code == 200 and "opt-out-form" in page.get_data(as_text=True)  # asks first: previewers open links
    assert _opted_out(app, shop.site_id) == set()
    done = client.post(link)
    assert done.status_code == 200 and "opt-out-done" in done.get_data(as_text=True)
    assert _opted_out(app, shop.site_id) == {(E164, "link")}
    store(app, shop, [order(701, "shipped", minutes=1)])
    assert len(status_sms(app, shop)) == 1
    assert sends(app, shop, status="shipped")[0]["state"] == "skipped"
    # a changed or forged token is refused
    assert client.get(link[:-2] + "xx").status_code == 404
    other = make_shop(url="https://shop-b.example.com")
    with app.app_context():
        forged = opt_outs.opt_out_token(other.site_id, E164)
    assert client.post("/o/" + forged.split(".")[0] + "." + link.split(".")[1] + "." + link.split(".")[2]).status_code == 404


def test_a_stop_reply_opts_the_phone_out_of_the_shops_that_texted_it(app, client, shop, make_shop, gateway, fund):
    app.config["SMS_INBOUND_SECRETS"] = {"ssl_wireless": "s3cret-inbound"}
    fund(shop, 100)
    configure(shop, statuses={"processing": ON, "cancelled": ON})
    quiet_shop = make_shop(url="https://shop-b.example.com")  # never texted this phone
    store(app, shop, [order(710, "processing")])
    assert client.post("/api/sms/inbound", json={"msisdn": "8801711234567", "text": "STOP"}).status_code == 401
    wrong = client.post("/api/sms/inbound", json={"msisdn": "8801711234567", "text": "STOP"},
                        headers={"X-Bikri-Inbound-Secret": "nope"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "unauthorized"
    hello = client.post("/api/sms/inbound?gateway=ssl_wireless&secret=s3cret-inbound", data={"msisdn": "8801711234567", "sms": "thanks"})
    assert hello.status_code == 200 and hello.json["opted_out"] == 0
    stop = client.post("/api/sms/inbound", json={"msisdn": "8801711234567", "text": " Stop "},
                       headers={"X-Bikri-Inbound-Secret": "s3cret-inbound"})
    assert stop.status_code == 200 and stop.json["opted_out"] == 1
    assert _opted_out(app, shop.site_id) == {(E164, "stop")} and _opted_out(app, quiet_shop.site_id) == set()
    store(app, shop, [order(710, "cancelled", minutes=1)])
    assert len(status_sms(app, shop)) == 1


def test_the_email_meta_is_written_once_per_order_and_event(app, make_store, connect_shop, gateway, fund, parcel):
    """The plugin's WC_Email classes listen for `_bikri_email_event`: the service writes it once per
    order and event, through the WooCommerce REST API of the shop (the sandbox store)."""
    store_ = make_store(orders=30)
    shop = connect_shop(store_)
    fund(shop, 100)
    configure(shop, statuses={"shipped": {"email": True}, "returned": {"email": True}})
    wc_id = 5
    store(app, shop, [order(wc_id, "processing")])
    for minute, status in enumerate(["shipped", "processing", "shipped"], start=1):
        store(app, shop, [order(wc_id, status, minutes=minute)])
    meta = {m["key"]: m["value"] for m in store_.data.order(wc_id)["meta_data"]}
    [row] = sends(app, shop)
    assert meta["_bikri_email_event"] == f"shipped|bikri-{shop.site_id}-{row['id']}"
    assert row["channel"] == "email" and row["state"] == "sent"
    assert store_.data.calls["PUT orders/<id>"] == 1
    assert status_sms(app, shop) == []  # email only: no SMS
    # a parcel returned: the "returned" event, once
    pk = parcel(shop, wc_id)
    move_parcel(app, shop, pk, "returned", minutes=5)
    meta = {m["key"]: m["value"] for m in store_.data.order(wc_id)["meta_data"]}
    assert meta["_bikri_email_event"].startswith("returned|bikri-")
    assert store_.data.calls["PUT orders/<id>"] == 2


def test_an_order_missing_in_woocommerce_fails_its_email_row(app, make_store, connect_shop, fund):
    store_ = make_store(orders=3)
    shop = connect_shop(store_)
    configure(shop, statuses={"shipped": {"email": True}})
    store(app, shop, [order(999, "shipped")])
    [row] = sends(app, shop)
    assert row["state"] == "failed"


def test_the_shop_is_asked_to_send_the_email_with_no_transaction_open(app, make_store, connect_shop):
    """write_email_event only reads (the claimed row, the site) before it writes the order meta
    in WooCommerce, and ends that reading transaction first: none waits open on the shop."""
    store_ = make_store(orders=3)
    shop = connect_shop(store_)
    configure(shop, statuses={"shipped": {"email": True}})
    with transactions_while_asked(app, store_.app) as found:
        store(app, shop, [order(2, "shipped")])
    assert [row["state"] for row in sends(app, shop)] == ["sent"] and store_.data.calls["PUT orders/<id>"] == 1
    assert found == []


def test_delivery_alerts_ring_the_bell_on_every_page(app, shop, gateway, fund, parcel):
    fund(shop, 100)
    configure(shop, owner_phone="01811-000111", owner_sms=True)
    store(app, shop, [order(801, "processing"), order(802, "processing"), order(803, "processing")])
    returned, partial, held = parcel(shop, 801), parcel(shop, 802), parcel(shop, 803)
    move_parcel(app, shop, returned, "pending", minutes=1)
    move_parcel(app, shop, returned, "returned", minutes=2)
    move_parcel(app, shop, partial, "partial_delivered", minutes=2)
    move_parcel(app, shop, held, "hold", minutes=2)
    move_parcel(app, shop, held, "pending", minutes=3)
    move_parcel(app, shop, held, "hold", minutes=4)  # on hold again: one alert per parcel and kind
    alerts = shop.get("/api/v1/notifications/alerts").json
    assert alerts["unread"] == 3 and sorted(a["kind"] for a in alerts["items"]) == ["hold", "partial", "returned"]
    # the owner's SMS, one per alert
    owner = [content for phone, content, _s in status_sms(app, shop) if phone == "+8801811000111"]
    assert sorted(owner) == sorted(["Bikri: order #801 returned (Steadfast 500801).",
                                    "Bikri: order #802 partly delivered (Steadfast 500802).",
                                    "Bikri: order #803 on hold at Steadfast (500803)."])
    for page in ("home", "sms", "notifications"):
        response, _session = shop.open_page(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert re.search(r'class="bikri-bell-count" data-count="3">3<', html), page
    response, session = shop.open_page("notifications", role="editor")  # staff see the bell and the list
    assert 'data-count="3"' in response.get_data(as_text=True)
    read = shop.client.post("/embed/notifications/alerts/read", headers={"X-Bikri-Embed-Session": session})
    assert read.status_code == 200
    response, _session = shop.open_page("home")
    assert 'class="bikri-bell-count" data-count="0"' in response.get_data(as_text=True)


def test_a_parcel_stuck_for_the_shops_days_makes_one_alert(app, shop, parcel):
    configure(shop, stuck_days=3)
    store(app, shop, [order(901, "processing"), order(902, "processing")])
    stuck, fresh = parcel(shop, 901), parcel(shop, 902)
    with app.app_context():
        assert alerts.find_stuck_parcels(utcnow() + timedelta(days=2)) == 0
        assert alerts.find_stuck_parcels(utcnow() + timedelta(days=4)) == 2
        assert alerts.find_stuck_parcels(utcnow() + timedelta(days=5)) == 0
        db.session.commit()
    move_parcel(app, shop, fresh, "delivered")
    assert shop.get("/api/v1/notifications/alerts").json["unread"] == 2


def test_the_notifications_page_previews_and_saves_in_bangla(app, shop, fund):
    fund(shop, 10)
    response, session = shop.open_page("notifications", locale="bn_BD")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="notification-settings"' in html and 'name="text_bn.out_for_delivery"' in html
    headers = {"X-Bikri-Embed-Session": session}
    preview = shop.client.post("/embed/notifications/preview", headers=headers,
                               data={"status": "shipped", "language": "bn", "text_bn.shipped": "{name}, {order} পাঠানো হয়েছে"})
    body = preview.get_data(as_text=True)
    assert "Rahima, #1024 পাঠানো হয়েছে" in body and 'data-segments="1"' in body
    bad = shop.client.post("/embed/notifications/preview", headers=headers,
                           data={"status": "shipped", "language": "en", "text_en.shipped": "{foo}"})
    assert "{foo}" in bad.get_data(as_text=True)
    saved = shop.client.post("/embed/notifications/settings", headers=headers, data={
        "language": "bn", "quiet_start": "22:00", "quiet_end": "08:00", "stuck_days": "5", "owner_phone": "",
        "status": ["processing", "shipped"], "sms.shipped": "1", "text_bn.shipped": "{name}, {order} পাঠানো হয়েছে",
        "text_en.shipped": "", "text_bn.processing": "{bad}"})
    assert "{bad}" in saved.get_data(as_text=True)  # the field's error, nothing saved
    assert configure(shop)["statuses"][2]["sms"] is False
    saved = shop.client.post("/embed/notifications/settings", headers=headers, data={
        "language": "bn", "quiet_start": "22:00", "quiet_end": "08:00", "stuck_days": "5", "owner_phone": "",
        "status": ["processing", "shipped"], "sms.shipped": "1", "text_bn.shipped": "{name}, {order} পাঠানো হয়েছে"})
    assert saved.status_code == 200 and "notice-success" in saved.get_data(as_text=True)
    shipped = next(rule for rule in configure(shop)["statuses"] if rule["status"] == "shipped")
    assert shipped["sms"] is True and shipped["text_bn"] == "{name}, {order} পাঠানো হয়েছে"
    staff, staff_session = shop.open_page("notifications", role="editor")
    refused = shop.client.post("/embed/notifications/settings", headers={"X-Bikri-Embed-Session": staff_session},
                               data={"language": "en"})
    assert refused.status_code == 403
