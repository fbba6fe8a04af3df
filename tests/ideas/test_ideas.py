"""H1: feature requests: a shop asks on its home page, operators plan, decline or finish them
with a reply the shop sees, and shops vote on the planned ones."""
from backend.extensions import db
from backend.ideas.models import FeatureRequest, FeatureVote
from tests.embed_helpers import embed


def ask(shop, headers, title, body=""):
    response = shop.client.post("/embed/ideas/", data={"title": title, "body": body}, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card(shop, headers):
    response = shop.client.get("/embed/ideas/card", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def answer(operator_client, request_id, status, reply=""):
    response = operator_client.post(f"/operator/ideas/{request_id}", data={"status": status, "reply": reply, "csrf_token": operator_client.csrf})
    assert response.status_code == 302


def test_a_shop_asks_and_sees_the_reply(app, make_shop, operator_client):
    a, b = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    a_headers, b_headers = embed(a, "home"), embed(b, "home")
    assert 'hx-get="/embed/ideas/card"' in a.open_page("home")[0].get_data(as_text=True)
    html = ask(a, a_headers, "Pathao courier please", "We ship with Pathao <b>mostly</b>")
    assert "Thank you" in html and "Pathao courier please" in html
    assert "Pathao courier please" not in card(b, b_headers), "a new request is the asking shop's own"

    console = operator_client.get("/operator/ideas/").get_data(as_text=True)
    assert "Pathao courier please" in console and "https://a.example.com" in console
    assert "&lt;b&gt;mostly&lt;/b&gt;" in console
    with app.app_context():
        request_id = db.session.query(FeatureRequest.id).scalar()

    answer(operator_client, request_id, "planned", "Coming in March.")
    a_card, b_card = card(a, a_headers), card(b, b_headers)
    assert "Coming in March." in a_card and "Planned" in a_card
    assert "Pathao courier please" in b_card and "Coming in March." not in b_card, "others see the title, not the reply"
    assert "https://a.example.com" not in b_card

    # B votes once; a second vote counts nothing
    assert b.client.post(f"/embed/ideas/{request_id}/vote", headers=b_headers).status_code == 200
    html = b.client.post(f"/embed/ideas/{request_id}/vote", headers=b_headers).get_data(as_text=True)
    assert "You voted" in html
    with app.app_context():
        assert db.session.get(FeatureRequest, request_id).votes == 2
        assert db.session.query(FeatureVote).count() == 2
    assert "2 votes" in operator_client.get("/operator/ideas/").get_data(as_text=True)

    answer(operator_client, request_id, "declined", "Pathao's API is closed to us.")
    assert "Pathao courier please" not in card(b, b_headers)
    assert "closed to us" in card(a, a_headers)
    assert b.client.post(f"/embed/ideas/{request_id}/vote", headers=b_headers).status_code == 404


def test_a_shop_cannot_vote_on_anothers_private_request(app, make_shop):
    a, b = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    ask(a, embed(a, "home"), "Secret plan of shop A")
    with app.app_context():
        request_id = db.session.query(FeatureRequest.id).scalar()
    assert b.client.post(f"/embed/ideas/{request_id}/vote", headers=embed(b, "home")).status_code == 404


def test_bad_input_and_the_daily_cap(app, shop):
    headers = embed(shop, "home")
    assert "3 to 120 characters" in ask(shop, headers, "x")
    for n in range(5):
        ask(shop, headers, f"Idea number {n}")
    assert "send more tomorrow" in ask(shop, headers, "One too many")
    with app.app_context():
        assert db.session.query(FeatureRequest).count() == 5


def test_staff_see_the_list_but_do_not_ask(shop):
    headers = embed(shop, "home", role="subscriber")
    assert "<form" not in card(shop, headers)
    assert shop.client.post("/embed/ideas/", data={"title": "Staff idea"}, headers=headers).status_code == 403


def test_console_needs_an_operator_and_a_known_status(app, operator_client, shop):
    assert app.test_client().get("/operator/ideas/").status_code == 302
    ask(shop, embed(shop, "home"), "Something useful")
    page = operator_client.post("/operator/ideas/1", data={"status": "maybe", "csrf_token": operator_client.csrf}, follow_redirects=True)
    assert "Choose a status" in page.get_data(as_text=True)
    assert operator_client.post("/operator/ideas/1", data={"status": "done"}).status_code == 400, "no form token"
