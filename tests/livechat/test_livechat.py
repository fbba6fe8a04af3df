"""H2: live chat with shoppers. A visitor writes from the shop's storefront straight to the
service (CORS for the shop's own origin), staff answer from the Live chat page; the box asks for
a number while nobody has the inbox open; spam is capped per visitor and per IP; every key is
scoped by its shop."""
import re
from datetime import timedelta

import pytest

from backend.extensions import db, limiter
from backend.livechat.models import ChatConversation, ChatMessage, ChatSettings
from backend.clock import utcnow
from tests.embed_helpers import embed

VISITOR = "X-Bikri-Visitor"


def turn_on(shop, greeting=""):
    """The owner ticks the box on the Live chat page; the plugin's pull then carries where to send."""
    headers = embed(shop, "livechat")
    response = shop.client.post("/embed/livechat/settings", data={"enabled": "1", "greeting": greeting}, headers=headers)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "bikri-checkout-changed"
    config = shop.get("/api/v1/checkout/config").json["live_chat"]
    assert config["enabled"] is True and config["greeting"] == greeting
    assert config["endpoint"].startswith("http://bikri.test/api/chat/")
    return config["endpoint"].removeprefix("http://bikri.test"), headers


def staff_present(app, shop, present=True):
    with app.app_context():
        settings = db.session.get(ChatSettings, shop.site_id)
        settings.staff_seen_at = utcnow() if present else utcnow() - timedelta(minutes=10)
        db.session.commit()


def start(client, endpoint, shop, text="Is the red saree in stock?", **extra):
    return client.post(f"{endpoint}/conversations", json={"text": text, **extra}, headers={"Origin": shop.url})


def test_off_until_the_owner_turns_it_on(shop, client):
    assert shop.get("/api/v1/checkout/config").json["live_chat"] == {"enabled": False, "endpoint": "", "greeting": ""}
    endpoint, headers = turn_on(shop, greeting="Ask us anything")
    assert client.get(f"{endpoint}/status").status_code == 200
    shop.client.post("/embed/livechat/settings", data={"greeting": ""}, headers=headers)
    assert shop.get("/api/v1/checkout/config").json["live_chat"]["enabled"] is False
    assert client.get(f"{endpoint}/status").json["error"]["code"] == "chat_off"


def test_the_box_stops_with_the_license(app, shop, client):
    from backend.licensing.models import License, Site

    endpoint, _headers = turn_on(shop)
    assert client.get(f"{endpoint}/status").status_code == 200
    with app.app_context():
        db.session.get(Site, shop.site_id).license.status = "suspended"
        db.session.commit()
    assert client.get(f"{endpoint}/status").status_code == 404
    with app.app_context():
        license = db.session.query(License).one()
        license.status = "active"
        db.session.commit()
    assert client.get(f"{endpoint}/status").status_code == 200
    assert shop.post("/api/v1/sites/deactivate").status_code == 204
    assert client.get(f"{endpoint}/status").status_code == 404


def test_a_visitor_writes_and_staff_answer_both_ways(app, shop, client):
    endpoint, headers = turn_on(shop)
    page = shop.client.get("/embed/livechat/inbox", headers=headers)  # the inbox is open: staff present
    assert client.get(f"{endpoint}/status", headers={"Origin": shop.url}).json == {"online": True}

    started = start(client, endpoint, shop, name="Nasrin", page_url="https://shop-a.example.com/product/saree")
    assert started.status_code == 201, started.json
    assert started.headers["Access-Control-Allow-Origin"] == shop.url
    token = started.json["token"]
    assert len(token) >= 40 and started.json["online"] is True and started.json["phone_given"] is False
    visitor = {VISITOR: token, "Origin": shop.url}
    last = started.json["last_id"]
    with app.app_context():
        stored = db.session.query(ChatConversation).one()
        assert stored.token_hash != token and token not in stored.token_hash  # only its hash is kept
        conversation_id = stored.id

    # the inbox redraws because a message arrived; asked again with the same `after`, nothing (204)
    page = shop.client.get(f"/embed/livechat/inbox?after={last - 1}", headers=headers)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nasrin" in html and 'class="bikri-nav-badge"' in html
    assert shop.client.get(f"/embed/livechat/inbox?after={last}", headers=headers).status_code == 204

    opened = shop.client.get(f"/embed/livechat/c/{conversation_id}", headers=headers).get_data(as_text=True)
    assert "Is the red saree in stock?" in opened and "/product/saree" in opened
    with app.app_context():
        assert db.session.get(ChatConversation, conversation_id).staff_unread == 0  # opened: read
    reply = shop.client.post(f"/embed/livechat/c/{conversation_id}/reply", data={"text": "Yes, size M and L <b>today</b>"},
                             headers=headers)
    assert "Yes, size M and L &lt;b&gt;today&lt;/b&gt;" in reply.get_data(as_text=True)

    # the visitor's poll: only what came after what they have
    polled = client.get(f"{endpoint}/messages?after={last}", headers=visitor)
    assert polled.status_code == 200
    assert [(m["sender"], m["body"]) for m in polled.json["messages"]] == [("staff", "Yes, size M and L <b>today</b>")]
    assert "staff_name" not in polled.json["messages"][0]  # staff names stay in the shop
    mine = polled.json["last_id"]
    assert client.get(f"{endpoint}/messages?after={mine}", headers=visitor).json["messages"] == []

    # the visitor answers; the open conversation's poller picks it up after the reply
    assert client.post(f"{endpoint}/messages", json={"text": "I'll take M"}, headers=visitor).status_code == 201
    new = shop.client.get(f"/embed/livechat/c/{conversation_id}/messages?after={mine}", headers=headers)
    assert new.status_code == 200 and "take M" in new.get_data(as_text=True)
    # read as it arrives: the list beside it is redrawn without the unread mark
    assert 'id="chat-inbox" hx-swap-oob="true"' in new.get_data(as_text=True) and "chat-unread" not in new.get_data(as_text=True)
    assert shop.client.get(f"/embed/livechat/c/{conversation_id}/messages?after={mine + 1}", headers=headers).status_code == 204


def test_offline_the_visitor_leaves_a_number_that_staff_see(app, shop, client):
    endpoint, headers = turn_on(shop)
    staff_present(app, shop, present=False)
    assert client.get(f"{endpoint}/status").json == {"online": False}
    refused = start(client, endpoint, shop, text="Call me about COD")
    assert refused.status_code == 422 and "phone" in refused.json["error"]["details"]
    bad = start(client, endpoint, shop, text="Call me about COD", phone="01234")
    assert bad.status_code == 422 and "11 digits" in bad.json["error"]["details"]["phone"][0]
    started = start(client, endpoint, shop, text="Call me about COD", phone="০১৭১১-২৩৪৫৬৭")
    assert started.status_code == 201 and started.json["online"] is False and started.json["phone_given"] is True
    with app.app_context():
        conversation = db.session.query(ChatConversation).one()
        assert conversation.phone == "+8801711234567"
        assert db.session.query(ChatMessage).one().offline is True
    page = shop.client.get("/embed/livechat/inbox", headers=headers).get_data(as_text=True)
    assert "+8801711234567" in page
    opened = shop.client.get(f"/embed/livechat/c/{conversation.id}", headers=headers).get_data(as_text=True)
    assert 'href="tel:+8801711234567"' in opened and "left while nobody was answering" in opened
    # a later message needs no number again
    visitor = {VISITOR: started.json["token"]}
    assert client.post(f"{endpoint}/messages", json={"text": "Any time after 5"}, headers=visitor).status_code == 201


def test_a_visitor_cannot_read_another_conversation_nor_another_shop(app, make_shop, client):
    a, b = make_shop("https://shop-a.example.com"), make_shop("https://shop-b.example.com")
    a_endpoint, _a_headers = turn_on(a)
    b_endpoint, b_headers = turn_on(b)
    staff_present(app, a)
    staff_present(app, b)
    first = start(client, a_endpoint, a, text="first visitor's secret").json["token"]
    second = start(client, a_endpoint, a, text="second visitor").json["token"]
    seen = client.get(f"{a_endpoint}/messages", headers={VISITOR: second}).json["messages"]
    assert [m["body"] for m in seen] == ["second visitor"]
    assert client.get(f"{a_endpoint}/messages", headers={VISITOR: "guessed" + first[7:]}).status_code == 401
    assert client.get(f"{a_endpoint}/messages").status_code == 401
    # A's visitor token at B's endpoint opens nothing
    assert client.get(f"{b_endpoint}/messages", headers={VISITOR: first}).status_code == 401
    assert client.post(f"{b_endpoint}/messages", json={"text": "hi"}, headers={VISITOR: first}).status_code == 401
    # B's staff cannot open A's conversation, and B's inbox does not list it
    with app.app_context():
        a_conversation = db.session.query(ChatConversation).filter_by(site_id=a.site_id).first().id
    assert b.client.get(f"/embed/livechat/c/{a_conversation}", headers=b_headers).status_code == 404
    assert b.client.post(f"/embed/livechat/c/{a_conversation}/reply", data={"text": "x"}, headers=b_headers).status_code == 404
    assert "secret" not in b.client.get("/embed/livechat/inbox", headers=b_headers).get_data(as_text=True)


def test_cors_only_for_the_shops_own_origin(app, shop, client):
    endpoint, _headers = turn_on(shop)
    preflight = client.options(f"{endpoint}/messages", headers={
        "Origin": shop.url, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-bikri-visitor"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == shop.url
    assert "X-Bikri-Visitor" in preflight.headers["Access-Control-Allow-Headers"]
    assert int(preflight.headers["Access-Control-Max-Age"]) >= 600
    foreign = client.options(f"{endpoint}/messages", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    posted = client.post(f"{endpoint}/conversations", json={"text": "spam", "phone": "01711234567"},
                         headers={"Origin": "https://evil.example"})
    assert posted.status_code == 403 and posted.json["error"]["code"] == "forbidden_origin"
    with app.app_context():
        assert db.session.query(ChatConversation).count() == 0


def test_spam_is_capped_per_visitor_and_per_ip(app, shop, make_shop, client):
    endpoint, _headers = turn_on(shop)
    staff_present(app, shop)
    app.config.update(LIVECHAT_MESSAGES_PER_MINUTE=3, LIVECHAT_CONVERSATIONS_PER_IP_PER_HOUR=2)
    token = start(client, endpoint, shop).json["token"]
    visitor = {VISITOR: token}
    assert [client.post(f"{endpoint}/messages", json={"text": f"again {n}"}, headers=visitor).status_code
            for n in range(3)] == [201, 201, 429]
    capped = client.post(f"{endpoint}/messages", json={"text": "again"}, headers=visitor)
    assert capped.json["error"]["code"] == "chat_rate_limited" and int(capped.headers["Retry-After"]) > 0
    # another visitor is not held up by the first one's cap
    other = start(client, endpoint, shop)
    assert other.status_code == 201
    # but a third conversation from the same address within the hour is refused
    third = start(client, endpoint, shop)
    assert third.status_code == 429 and third.json["error"]["code"] == "chat_rate_limited"
    # from another address (an IPv6 visitor counts by their /64)
    fresh = client.post(f"{endpoint}/conversations", json={"text": "hello"}, environ_base={"REMOTE_ADDR": "2001:db8::1"})
    assert fresh.status_code == 201
    same_64 = client.post(f"{endpoint}/conversations", json={"text": "hello"}, environ_base={"REMOTE_ADDR": "2001:db8::2"})
    assert same_64.status_code == 201
    assert client.post(f"{endpoint}/conversations", json={"text": "hello"},
                       environ_base={"REMOTE_ADDR": "2001:db8::3"}).status_code == 429
    # another shop's box stays open to that address: the cap is per shop
    other_shop = make_shop("https://shop-c.example.com")
    other_endpoint, _ = turn_on(other_shop)
    staff_present(app, other_shop)
    assert start(client, other_endpoint, other_shop).status_code == 201


def test_polls_are_capped_per_visitor_by_request_count(app, shop, client):
    endpoint, _headers = turn_on(shop)
    staff_present(app, shop)
    app.config["LIVECHAT_VISITOR_POLL_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    token = start(client, endpoint, shop).json["token"]
    codes = [client.get(f"{endpoint}/messages", headers={VISITOR: token}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # and per address, whoever asks (many visitors behind one address share a generous cap)
    app.config.update(LIVECHAT_VISITOR_POLL_RATE_LIMIT="100 per minute", LIVECHAT_POLL_RATE_LIMIT="5 per minute")
    limiter.reset()
    others = [start(client, endpoint, shop).json["token"] for _ in range(2)]
    codes = [client.get(f"{endpoint}/messages", headers={VISITOR: others[n % 2]}).status_code for n in range(6)]
    assert codes == [200] * 5 + [429]


def test_staff_open_a_long_conversation_at_its_newest_messages(app, shop, client):
    endpoint, headers = turn_on(shop)
    staff_present(app, shop)
    app.config.update(LIVECHAT_MESSAGES_PER_MINUTE=1000, LIVECHAT_MESSAGES_PER_HOUR=1000, LIVECHAT_SEND_RATE_LIMIT="1000 per minute")
    limiter.reset()
    token = start(client, endpoint, shop, text="message 0").json["token"]
    for n in range(1, 105):
        assert client.post(f"{endpoint}/messages", json={"text": f"message {n}"}, headers={VISITOR: token}).status_code == 201
    with app.app_context():
        conversation_id = db.session.query(ChatConversation.id).scalar()
    html = shop.client.get(f"/embed/livechat/c/{conversation_id}", headers=headers).get_data(as_text=True)
    assert "message 104" in html and ">message 0<" not in html


@pytest.mark.parametrize("body, field", [({"text": ""}, "text"), ({"text": "x" * 1001}, "text"),
                                         ({"text": "hi", "name": "n" * 81}, "name")])
def test_message_and_name_lengths(app, shop, client, body, field):
    endpoint, _headers = turn_on(shop)
    staff_present(app, shop)
    answer = client.post(f"{endpoint}/conversations", json=body)
    assert answer.status_code == 422 and field in answer.json["error"]["details"]


def test_staff_reply_is_validated_and_the_greeting_too(app, shop, client):
    endpoint, headers = turn_on(shop)
    staff_present(app, shop)
    start(client, endpoint, shop)
    with app.app_context():
        conversation_id = db.session.query(ChatConversation.id).scalar()
    empty = shop.client.post(f"/embed/livechat/c/{conversation_id}/reply", data={"text": "  "}, headers=headers)
    assert "Write a message." in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ChatMessage).filter_by(sender="staff").count() == 0
    long = shop.client.post("/embed/livechat/settings", data={"enabled": "1", "greeting": "g" * 301}, headers=headers)
    assert 'data-error-for="greeting"' in long.get_data(as_text=True)


def test_staff_presence_follows_the_open_inbox(app, shop, client):
    endpoint, headers = turn_on(shop)
    staff_present(app, shop, present=False)
    assert client.get(f"{endpoint}/status").json["online"] is False
    shop.client.get("/embed/livechat/inbox?after=0", headers=headers)
    assert client.get(f"{endpoint}/status").json["online"] is True


def test_the_page_in_bangla_on_a_phone_width_layout(shop):
    turn_on(shop)
    page, _session = shop.open_page(page="livechat", role="shop_staff", user_id=3, locale="bn_BD")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="chat-inbox"' in html
    assert 'name="enabled"' in html and "disabled" in html  # staff answer, the owner switches the box


def test_the_page_speaks_bangla(app, shop, client):
    """The staff's page in Bangla: no English words outside the shoppers' own text (marked)."""
    endpoint, _headers = turn_on(shop)
    staff_present(app, shop)
    token = start(client, endpoint, shop, text="Is the red saree in stock?", name="Nasrin").json["token"]
    assert token
    page, session = shop.open_page(page="livechat", role="shop_staff", user_id=3, locale="bn_BD")
    with app.app_context():
        conversation_id = db.session.query(ChatConversation.id).scalar()
    opened = client.get(f"/embed/livechat/c/{conversation_id}", headers={"X-Bikri-Embed-Session": session})
    for html in (page.get_data(as_text=True), opened.get_data(as_text=True)):
        html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
        html = re.sub(r'<(span|p|a) class="[^"]*chat-shop-data[^"]*"[^>]*>.*?</\1>', " ", html, flags=re.S)
        html = re.sub(r'<span class="bikri-user-name">.*?</span>', " ", html, flags=re.S)
        # times read "4:05 PM" in Bangla too: backend/formatting.py's one format (tests/embed/test_words.py)
        html = re.sub(r"<time\b.*?</time>", " ", html, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", html)
        assert re.search(r"[\u0980-\u09FF]", text)
        assert not re.findall(r"[A-Za-z]{2,}", text), re.findall(r"[A-Za-z]{2,}", text)


def test_silent_conversations_are_deleted_after_the_keeping_time(app, shop, client):
    from backend.jobs.table import JOBS_BY_NAME, resolve

    endpoint, _headers = turn_on(shop)
    staff_present(app, shop)
    old, recent = (start(client, endpoint, shop, text=text, phone="01711234567").json["token"] for text in ("old", "recent"))
    assert old and recent
    with app.app_context():
        first = db.session.query(ChatConversation).order_by(ChatConversation.id).first()
        first.last_message_at = utcnow() - timedelta(days=181)
        db.session.commit()
        assert resolve(JOBS_BY_NAME["prune_live_chats"].func)() == 1
        db.session.commit()
        assert [m.body for m in db.session.query(ChatMessage)] == ["recent"]
        assert db.session.query(ChatConversation).count() == 1


@pytest.mark.parametrize("page_url, kept", [("https://shop-a.example.com/product/saree", True),
                                            ("javascript:alert(document.domain)", False),
                                            ("https://shop-a.example.com.evil.example/phish", False)])
def test_only_the_shops_own_pages_are_kept_as_where_the_visitor_wrote_from(app, shop, client, page_url, kept):
    endpoint, headers = turn_on(shop)
    staff_present(app, shop)
    assert start(client, endpoint, shop, page_url=page_url).status_code == 201
    with app.app_context():
        conversation = db.session.query(ChatConversation).one()
        assert conversation.page_url == (page_url if kept else "")
    html = shop.client.get(f"/embed/livechat/c/{conversation.id}", headers=headers).get_data(as_text=True)
    assert ("Wrote from" in html) is kept and "javascript:" not in html


def test_a_poll_with_nothing_new_reads_two_rows_and_writes_nothing(app, shop, client):
    """Every open box asks every 1.5 s: nothing new costs the shop's row (with its site and
    license, one query) and the conversation's row, both by unique key; no message is read."""
    from sqlalchemy import event

    endpoint, _headers = turn_on(shop)
    staff_present(app, shop)
    started = start(client, endpoint, shop).json
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            answer = client.get(f"{endpoint}/messages?after={started['last_id']}", headers={VISITOR: started["token"]})
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert answer.status_code == 200 and answer.json["messages"] == []
    queries = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE"))]
    assert len(queries) == 2, queries
    assert all(q.lstrip().upper().startswith("SELECT") for q in queries) and not any("livechat_messages" in q for q in queries)
