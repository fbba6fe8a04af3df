import re
from datetime import timedelta

from sqlalchemy import update

from backend.embed.models import EmbedTicket
from backend.extensions import db
from backend.clock import utcnow

TICKET = {"wp_user_id": 7, "display_name": "Rahima Akter", "role": "administrator", "page": "home"}


def test_ticket_url_opens_the_page_once(shop, client):
    response = shop.post("/api/v1/embed/tickets", json=TICKET)
    assert response.status_code == 201
    assert response.json["expires_in"] == 60
    path = response.json["url"].removeprefix("http://bikri.test")
    assert re.fullmatch(r"/embed/home\?ticket=[\w-]{40,}", path)

    page = client.get(path)
    assert page.status_code == 200
    assert "Rahima Akter" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"].startswith("frame-ancestors https://shop-a.example.com;")
    assert "'none'" not in page.headers["Content-Security-Policy"].split(";")[0]
    assert "X-Frame-Options" not in page.headers
    assert "Set-Cookie" not in page.headers

    again = client.get(path)
    assert again.status_code == 401
    assert "Reload the page in WordPress" in again.get_data(as_text=True)
    # the message itself must be visible inside the shop's wp-admin frame
    assert again.headers["Content-Security-Policy"].startswith("frame-ancestors https://shop-a.example.com;")


def test_expired_ticket_is_refused(app, shop, client):
    path = shop.post("/api/v1/embed/tickets", json=TICKET).json["url"].removeprefix("http://bikri.test")
    with app.app_context():
        db.session.execute(update(EmbedTicket).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(path).status_code == 401


def test_unknown_or_missing_ticket_is_refused_and_not_frameable(client):
    for path in ("/embed/home?ticket=made-up", "/embed/home"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["X-Frame-Options"] == "DENY"


def test_ticket_for_unknown_page_is_422(shop):
    response = shop.post("/api/v1/embed/tickets", json={**TICKET, "page": "nope"})
    assert response.status_code == 422
    assert "page" in response.json["error"]["details"]


def test_session_header_keeps_the_page_working_without_cookies(shop, client):
    _page, session = shop.open_page()
    assert session
    card = client.get("/embed/home/license", headers={"X-Bikri-Embed-Session": session})
    assert card.status_code == 200
    text = card.get_data(as_text=True)
    assert 'data-status="active"' in text and "https://shop-a.example.com" in text
    assert card.headers["Content-Security-Policy"].startswith("frame-ancestors https://shop-a.example.com;")
    assert client.get("/embed/home/license").status_code == 401
    # change the signature's first character (the last one may only hold base64 padding bits)
    payload, _dot, signature = session.rpartition(".")
    tampered = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert client.get("/embed/home/license", headers={"X-Bikri-Embed-Session": tampered}).status_code == 401


def test_session_ends_when_the_site_is_deactivated(shop, client):
    _page, session = shop.open_page()
    shop.post("/api/v1/sites/deactivate")
    assert client.get("/embed/home/license", headers={"X-Bikri-Embed-Session": session}).status_code == 401


def test_wordpress_roles_map_to_bikri_roles(shop, client):
    seen = {}
    for wp_role in ("administrator", "shop_manager", "editor", "customer"):
        page, session = shop.open_page(role=wp_role)
        card = client.get("/embed/home/license", headers={"X-Bikri-Embed-Session": session}).get_data(as_text=True)
        seen[wp_role] = (page.get_data(as_text=True), card)
    assert "Administrator" in seen["administrator"][0]
    assert "Manager" in seen["shop_manager"][0]
    assert "Staff" in seen["editor"][0] and "Staff" in seen["customer"][0]
    # plan, expiry and site count are what the shop pays for: not for staff
    assert "Plan" in seen["administrator"][1] and "Plan" in seen["shop_manager"][1]
    assert "Plan" not in seen["editor"][1] and "Expires" not in seen["editor"][1]
    assert "Status" in seen["editor"][1]


def test_display_name_is_escaped(shop):
    page, _session = shop.open_page(name='<script>alert(1)</script>')
    html = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_bangla_locale_renders_bangla(shop):
    page, _session = shop.open_page(locale="bn_BD")
    html = page.get_data(as_text=True)
    assert 'lang="bn"' in html
    assert "লাইসেন্স" in html  # "License"


def test_pages_are_usable_on_a_phone(shop):
    page, _session = shop.open_page()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page.get_data(as_text=True)


def test_api_responses_deny_framing(shop):
    response = shop.get("/api/v1/license")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_links_go_through_wp_admin_even_in_a_subdirectory(shop, client):
    body = {**TICKET, "admin_url": "https://shop-a.example.com/wp/wp-admin/admin.php"}
    url = shop.post("/api/v1/embed/tickets", json=body).json["url"]
    html = client.get(url.removeprefix("http://bikri.test")).get_data(as_text=True)
    assert 'href="https://shop-a.example.com/wp/wp-admin/admin.php?page=bikri-license" target="_top"' in html


def test_an_admin_url_on_another_site_is_not_used_for_links(shop, client):
    body = {**TICKET, "admin_url": "https://evil.example.net/wp-admin/admin.php"}
    url = shop.post("/api/v1/embed/tickets", json=body).json["url"]
    html = client.get(url.removeprefix("http://bikri.test")).get_data(as_text=True)
    assert "evil.example.net" not in html
    assert 'href="https://shop-a.example.com/wp-admin/admin.php?page=bikri-license"' in html
