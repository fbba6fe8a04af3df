"""H2: the support chat between a shop and Bikri's operators — the shop's Support page and its
poll, the console's conversations and replies, unread counts on both sides, images (sniffed,
capped, served scoped and with nosniff), another shop's conversation out of reach, and the
offline alert SMS: once per quiet period, by a worker, from no shop's wallet."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.sms.models import SmsMessage, WalletEntry
from backend.support import service
from backend.support.models import Attachment, Conversation, Message, OperatorAlert, SupportDesk
from backend.clock import utcnow
from tests.embed_helpers import embed, open_embed
from tests.sms.conftest import gateway  # noqa: F401  (fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def send(shop, headers, body="", image=None, filename="photo.png"):
    data = {"body": body}
    if image is not None:
        data["image"] = (io.BytesIO(image), filename)
    response = shop.client.post("/embed/support/messages", data=data, headers=headers,
                                content_type="multipart/form-data")
    assert response.status_code == 200
    return response


def poll(client, url, after=0, **kw):
    return client.get(url, query_string={"after": after}, **kw)


def reply(operator_client, conversation_id, body="", image=None):
    data = {"body": body, "csrf_token": operator_client.csrf}
    if image is not None:
        data["image"] = (io.BytesIO(image), "answer.png")
    response = operator_client.post(f"/operator/support/{conversation_id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    return response


def conversation_id(app, shop):
    with app.app_context():
        return db.session.execute(select(Conversation.id).where(Conversation.site_id == shop.site_id)).scalar_one()


def conversation_last(app, shop):
    with app.app_context():
        return db.session.execute(select(Conversation.last_message_id).where(Conversation.site_id == shop.site_id)).scalar_one()


def header_count(page_html):
    found = re.search(r'id="bikri-support-link".*?data-count="(\d+)"', page_html, re.S)
    return int(found.group(1)) if found else None


def test_a_shop_writes_an_operator_answers_and_each_side_sees_it_by_polling(app, shop, operator_client):
    page, headers = open_embed(shop, "support", name="Rahima Akter")
    assert page.status_code == 200 and 'id="support-thread"' in page.get_data(as_text=True)
    assert poll(shop.client, "/embed/support/messages", headers=headers).status_code == 204  # nothing yet: empty, cheap

    answer = send(shop, headers, "Courier booking fails <script>alert(1)</script>")
    assert answer.headers["HX-Trigger"] == "support-sent" and "<textarea" in answer.get_data(as_text=True)
    news = poll(shop.client, "/embed/support/messages", headers=headers)
    html = news.get_data(as_text=True)
    assert news.status_code == 200 and "Courier booking fails &lt;script&gt;" in html and "<script>alert" not in html
    assert "Rahima Akter" in html
    newest = int(re.search(r'id="support-msg-(\d+)"', html).group(1))
    assert f"after={newest}" in html, "the poller asks after the newest line it brought"
    assert poll(shop.client, "/embed/support/messages", after=newest, headers=headers).status_code == 204

    # the operators' list: the shop, one unread; opening the conversation reads it
    console = operator_client.get("/operator/support/").get_data(as_text=True)
    assert shop.url in console and re.search(r'data-conversation="\d+" class="chat-unread"', console)
    cid = conversation_id(app, shop)
    view = operator_client.get(f"/operator/support/{cid}").get_data(as_text=True)
    assert "Courier booking fails" in view and "Rahima Akter" in view
    assert "chat-unread" not in operator_client.get("/operator/support/list").get_data(as_text=True)
    assert poll(operator_client, f"/operator/support/{cid}/messages", after=newest).status_code == 204

    reply(operator_client, cid, "Check your Steadfast keys on the Couriers page.")
    # the shop's page is open: its poll brings the answer, as "Bikri support", never the operator's email
    html = poll(shop.client, "/embed/support/messages", after=newest, headers=headers).get_data(as_text=True)
    assert "Check your Steadfast keys" in html and "Bikri support" in html and "ops@bikri.test" not in html
    operator_view = poll(operator_client, f"/operator/support/{cid}/messages", after=newest).get_data(as_text=True)
    assert "Check your Steadfast keys" in operator_view and "ops@bikri.test" in operator_view


def test_unread_counts_on_both_sides(app, make_shop, operator_client):
    a, b = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    a_headers = embed(a, "home")
    send(a, a_headers, "first")
    send(a, a_headers, "second")
    send(b, embed(b, "home"), "hello from b")
    with app.app_context():
        unread = {site.url: count for _c, site, count in service.conversations_for_operators()}
        assert unread == {"https://a.example.com": 2, "https://b.example.com": 1}
        # newest first
        assert [site.url for _c, site, _n in service.conversations_for_operators()][0] == "https://b.example.com"
    operator_client.get(f"/operator/support/{conversation_id(app, a)}")
    with app.app_context():
        assert {site.url: n for _c, site, n in service.conversations_for_operators()} == {
            "https://a.example.com": 0, "https://b.example.com": 1}

    # the operators answer A twice: A's header shows 2 on any page, until A's Support page is open
    for text in ("answer one", "answer two"):
        reply(operator_client, conversation_id(app, a), text)
    assert header_count(a.open_page("home")[0].get_data(as_text=True)) == 2
    assert header_count(b.open_page("home")[0].get_data(as_text=True)) == 0
    assert header_count(a.open_page("support")[0].get_data(as_text=True)) == 0
    assert header_count(a.open_page("home")[0].get_data(as_text=True)) == 0
    # the shop's own messages never count as unread for the shop, the operators' for the operators
    with app.app_context():
        assert service.unread_for_shop(a.site_id) == 0
        assert {site.url: n for _c, site, n in service.conversations_for_operators()}["https://a.example.com"] == 0


def test_a_shop_cannot_read_another_shops_conversation(app, make_shop, operator_client):
    a, b = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    b_headers = embed(b, "support")
    send(b, b_headers, "B's private question", image=PNG)
    reply(operator_client, conversation_id(app, b), "B's private answer")
    a_headers = embed(a, "support")
    page = a.open_page("support")[0].get_data(as_text=True)
    assert "private" not in page
    assert poll(a.client, "/embed/support/messages", headers=a_headers).status_code == 204
    with app.app_context():
        attachment = db.session.execute(select(Attachment)).scalar_one()
        a_signature = service.image_signature(a.site_id, attachment.id)
        b_signature = service.image_signature(b.site_id, attachment.id)
    # B's image: not with A's session, not with a signature A's page could have been given
    assert a.client.get(f"/embed/support/images/{attachment.id}", headers=a_headers).status_code == 404
    assert a.client.get(f"/embed/support/images/{attachment.id}", query_string={"sig": a_signature}).status_code == 404
    assert a.client.get(f"/embed/support/images/{attachment.id}", query_string={"sig": b_signature + "x"}).status_code == 404
    # B's own page links it with B's signature, which opens exactly that image
    html = poll(b.client, "/embed/support/messages", headers=b_headers).get_data(as_text=True)
    link = re.search(r'src="(/embed/support/images/\d+\?sig=[^"]+)"', html).group(1).replace("&amp;", "&")
    image = b.client.get(link)
    assert image.status_code == 200 and image.data == PNG
    assert image.headers["Content-Type"] == "image/png" and image.headers["X-Content-Type-Options"] == "nosniff"
    # a message A writes goes to A's own conversation
    send(a, a_headers, "A's question")
    with app.app_context():
        assert db.session.execute(select(func.count(Conversation.id))).scalar_one() == 2
        assert db.session.execute(select(Message.body).join(Conversation, Conversation.id == Message.conversation_id)
                                  .where(Conversation.site_id == a.site_id)).scalars().all() == ["A's question"]


def test_images_are_sniffed_and_capped_with_a_clear_error(app, shop, operator_client):
    headers = embed(shop, "support")
    html = send(shop, headers, "see this", image=b"<svg onload=alert(1)>", filename="evil.png").get_data(as_text=True)
    assert "Only images can be sent: PNG, JPEG, GIF or WebP." in html and "see this" in html
    html = send(shop, headers, "", image=b"GIF89a" + b"\x00" * service.MAX_IMAGE_BYTES,
                filename="big.gif").get_data(as_text=True)
    assert "The image is larger than 2 MB. Send a smaller one." in html
    html = send(shop, headers, "", image=b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024),
                filename="huge.jpg").get_data(as_text=True)
    assert "The image is larger than 2 MB. Send a smaller one." in html, "a body over the cap is refused, not a 413"
    assert "Write a message or choose an image." in send(shop, headers, "   ").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count(Message.id))).scalar_one() == 0

    # a JPEG named .png is stored and served as what it is
    answer = send(shop, headers, "", image=JPEG, filename="photo.png")
    assert "HX-Trigger" in answer.headers
    with app.app_context():
        attachment = db.session.execute(select(Attachment)).scalar_one()
        assert attachment.content_type == "image/jpeg" and attachment.size == len(JPEG)
    served = operator_client.get(f"/operator/support/images/{attachment.id}")
    assert served.headers["Content-Type"] == "image/jpeg" and served.headers["X-Content-Type-Options"] == "nosniff"
    # Bangla for the writer who reads Bangla
    bn = embed(shop, "support", locale="bn_BD")
    assert "শুধু ছবি পাঠানো যায়" in send(shop, bn, "", image=b"%PDF-1.4", filename="x.pdf").get_data(as_text=True)


def test_a_shop_cannot_flood_the_operators(app, shop):
    headers = embed(shop, "support")
    for n in range(service.SHOP_MESSAGES_PER_MINUTE):
        assert "HX-Trigger" in send(shop, headers, f"message {n}").headers
    refused = send(shop, headers, "one too many")
    assert "HX-Trigger" not in refused.headers and "messages a minute" in refused.get_data(as_text=True)


def _configure_alerts(app, phone="01711000999", minutes=5, operator_seen_minutes_ago=None):
    with app.app_context():
        desk = db.session.get(SupportDesk, 1)
        desk.alert_phone = phone and f"+880{phone[1:]}"
        desk.quiet_minutes = minutes
        desk.operator_seen_at = utcnow() - timedelta(minutes=operator_seen_minutes_ago) if operator_seen_minutes_ago else None
        db.session.commit()


def _alerts(app):
    with app.app_context():
        return db.session.execute(select(OperatorAlert).order_by(OperatorAlert.id)).scalars().all()


def test_the_offline_alert_goes_once_per_quiet_period(app, shop, make_shop, operator_client, gateway):  # noqa: F811
    _configure_alerts(app, operator_seen_minutes_ago=30)
    headers = embed(shop, "support")
    send(shop, headers, "anyone there?")
    send(shop, headers, "hello??")
    other = make_shop("https://other.example.com")
    send(other, embed(other, "support"), "another shop, same quiet period")
    alerts = _alerts(app)
    assert len(alerts) == 1, "one SMS for the quiet period, not one per message"
    assert alerts[0].status == "sent" and alerts[0].phone == "+8801711000999"
    sent = list(gateway.sent.values())
    assert len(sent) == 1 and sent[0]["msisdn"] == "8801711000999" and "shop-a.example.com" in sent[0]["sms"]
    assert "/operator/support/" in sent[0]["sms"]
    with app.app_context():  # Bikri's own message: no shop's SMS, no wallet entry
        assert db.session.execute(select(func.count(SmsMessage.id))).scalar_one() == 0
        assert db.session.execute(select(func.count(WalletEntry.id))).scalar_one() == 0

    # an operator's page polls (online): no alert while they are
    operator_client.get("/operator/support/list")
    send(shop, headers, "still there?")
    assert len(_alerts(app)) == 1
    # they leave; a new quiet period, but within 15 minutes of the last SMS: none (spam guard)
    with app.app_context():
        desk = db.session.get(SupportDesk, 1)
        desk.operator_seen_at = utcnow() - timedelta(minutes=6)
        db.session.commit()
    send(shop, headers, "and now?")
    assert len(_alerts(app)) == 1
    # later the guard has passed: the new quiet period has its one alert
    with app.app_context():
        desk = db.session.get(SupportDesk, 1)
        desk.alerted_at, desk.operator_seen_at = utcnow() - timedelta(minutes=20), utcnow() - timedelta(minutes=10)
        db.session.commit()
    send(shop, headers, "again")
    send(shop, headers, "again and again")
    assert len(_alerts(app)) == 2 and len(gateway.sent) == 2


def test_no_alert_without_a_phone_or_while_operators_are_online(app, shop, gateway):  # noqa: F811
    headers = embed(shop, "support")
    _configure_alerts(app, phone=None)
    send(shop, headers, "nobody configured a phone")
    _configure_alerts(app, operator_seen_minutes_ago=2)
    send(shop, headers, "an operator polled 2 minutes ago")
    assert _alerts(app) == [] and gateway.sent == {}


def test_an_alert_the_gateway_refuses_is_recorded_failed_and_not_resent(app, shop, gateway):  # noqa: F811
    gateway.control(mode="refuse")
    _configure_alerts(app)
    headers = embed(shop, "support")
    send(shop, headers, "anyone?")
    send(shop, headers, "anyone at all?")
    alerts = _alerts(app)
    assert [alert.status for alert in alerts] == ["failed"] and "Blacklisted" in alerts[0].error


def test_an_alert_the_gateway_could_not_take_is_queued_again_for_the_retry(app, shop, gateway):  # noqa: F811
    """429 comes back after the gateway's pause, a 5xx is raised for the task's backoff; both leave
    the alert queued with the reason kept, and the retry sends it once."""
    from backend.integrations.sms import SmsGatewayError
    from backend.support.alerts import send as send_alert
    from backend.tasks import RetryLater

    headers = embed(shop, "support")
    send(shop, headers, "a message for the alert to name")
    with app.app_context():
        message_id = db.session.execute(select(Message.id)).scalar_one()
        alert = OperatorAlert(site_id=shop.site_id, message_id=message_id, phone="+8801711000999", content="help",
                              status="queued", created_at=utcnow())
        db.session.add(alert)
        db.session.commit()
        alert_id = alert.id
        gateway.control(mode="busy")
        with pytest.raises(RetryLater) as later:
            send_alert(alert_id)
        assert later.value.seconds == 1.0
        db.session.rollback()  # as the task run does: the requeue was kept before it raised
        status, error = db.session.execute(select(OperatorAlert.status, OperatorAlert.error)).one()
        assert status == "queued" and "429" in error
        gateway.control(mode="down")
        with pytest.raises(SmsGatewayError):
            send_alert(alert_id)
        db.session.rollback()
        assert db.session.execute(select(OperatorAlert.status)).scalar_one() == "queued"
        gateway.control(mode="ok")
        assert send_alert(alert_id) == "sent"
        db.session.commit()
    assert [m["sms"] for m in gateway.sent.values()] == ["help"]


def test_the_console_saves_the_alert_phone_and_refuses_a_bad_one(app, operator_client):
    response = operator_client.post("/operator/support/settings", data={
        "alert_phone": "12345", "quiet_minutes": "5", "csrf_token": operator_client.csrf}, follow_redirects=True)
    assert response.status_code == 200 and "phone" in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.get(SupportDesk, 1).alert_phone is None
    operator_client.post("/operator/support/settings", data={
        "alert_phone": "01711-000999", "quiet_minutes": "10", "csrf_token": operator_client.csrf})
    with app.app_context():
        desk = db.session.get(SupportDesk, 1)
        assert (desk.alert_phone, desk.quiet_minutes, desk.updated_by) == ("+8801711000999", 10, "ops@bikri.test")


def test_the_console_needs_an_operator(client, shop):
    assert client.get("/operator/support/").status_code == 302
    assert client.get("/operator/support/images/1").status_code == 302


def test_the_support_page_at_360px_and_in_bangla(shop):
    page = shop.open_page("support", locale="bn_BD")[0].get_data(as_text=True)
    assert 'name="viewport"' in page and "support.css" in page
    assert "সহায়তা" in page and "পাঠান" in page


def test_the_sweep_hands_on_an_alert_left_queued(app, shop, gateway):  # noqa: F811
    """The broker did not take the alert (or its worker died): the scheduler's sweep sends it, once."""
    from backend.support.alerts import resume_stuck_alerts

    headers = embed(shop, "support")
    send(shop, headers, "a message for the alert to name")
    with app.app_context():
        message_id = db.session.execute(select(Message.id)).scalar_one()
        db.session.add_all([
            OperatorAlert(site_id=shop.site_id, message_id=message_id, phone="+8801711000999", content="left behind",
                          status="queued", created_at=utcnow() - timedelta(minutes=5)),
            OperatorAlert(site_id=shop.site_id, message_id=message_id, phone="+8801711000998", content="just queued",
                          status="queued", created_at=utcnow())])
        db.session.commit()
        assert resume_stuck_alerts() == 1
        db.session.commit()
    assert [(a.content, a.status) for a in _alerts(app)] == [("left behind", "sent"), ("just queued", "queued")]
    assert [m["sms"] for m in gateway.sent.values()] == ["left behind"]
    with app.app_context():
        assert resume_stuck_alerts() == 0


def test_a_poll_with_nothing_new_does_not_read_the_conversation(app, shop, operator_client):
    from sqlalchemy import event

    headers = embed(shop, "support")
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
        service.forget_mark(shop.site_id)  # an earlier test's shop had this id (marks live in Redis, not the test database)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert poll(shop.client, "/embed/support/messages", headers=headers).status_code == 204  # sets the mark
        statements.clear()
        assert poll(shop.client, "/embed/support/messages", headers=headers).status_code == 204
        assert statements and not [s for s in statements if "support_" in s], \
            "who asks is checked; nothing new is answered from the mark in Redis, not the conversation"
        reply_text = "an answer the mark lets through"
        send(shop, headers, "a question")
        reply(operator_client, conversation_id(app, shop), reply_text)
        statements.clear()
        html = poll(shop.client, "/embed/support/messages", headers=headers).get_data(as_text=True)
        assert reply_text in html and statements, "news is read from the database"
        newest = max(map(int, re.findall(r'id="support-msg-(\d+)"', html)))
        # a mark ahead of the database (a write not committed yet) sends the poll to the database, which is right
        with app.app_context():
            service.raise_mark(shop.site_id, newest + 5)
        assert poll(shop.client, "/embed/support/messages", after=newest, headers=headers).status_code == 204
        # no mark (Redis restarted): the database answers, and the mark is set again
        with app.app_context():
            service.forget_mark(shop.site_id)
            reply(operator_client, conversation_id(app, shop), "after the restart")
            service.forget_mark(shop.site_id)
        assert "after the restart" in poll(shop.client, "/embed/support/messages", after=newest, headers=headers).get_data(as_text=True)
        with app.app_context():
            assert not service.nothing_new(shop.site_id, newest) and service.nothing_new(shop.site_id, newest + 1)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_consoles_poll_with_nothing_new_does_not_touch_the_database(app, client, shop, operator_client):
    from sqlalchemy import event

    headers = embed(shop, "support")
    send(shop, headers, "a question")
    cid = conversation_id(app, shop)
    with app.app_context():
        service.forget_mark(shop.site_id)  # an earlier test's shop had this id (marks live in Redis)
        service.raise_mark(shop.site_id, conversation_last(app, shop))
    page = operator_client.get(f"/operator/support/{cid}").get_data(as_text=True)
    url = re.search(r'hx-get="(/operator/support/\d+/messages\?shop=\d+)&amp;after=(\d+)"', page)
    assert url, "the conversation's poller names its shop"
    path, after = url.group(1), int(url.group(2))
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert operator_client.get(f"{path}&after={after}").status_code == 204
        assert statements == [], "nothing new (and the presence written lately) is answered from Redis"
        send(shop, headers, "news for the console")
        html = operator_client.get(f"{path}&after={after}").get_data(as_text=True)
        assert "news for the console" in html
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # without a console session: the sign-in page, never an answer
    anonymous = app.test_client()
    assert anonymous.get(f"{path}&after={after}").status_code == 302
