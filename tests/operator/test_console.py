import re

import pytest

from backend.extensions import db
from backend.licensing.models import License
from tests.conftest import sign_in


def test_console_needs_a_signed_in_operator(client):
    response = client.get("/operator/")
    assert response.status_code == 302 and "/operator/login" in response.headers["Location"]


def test_wrong_password_is_refused(app, client):
    _token, response = sign_in(app, client, "wrong")
    assert response.status_code == 401 and "Wrong email or password" in response.get_data(as_text=True)


def test_forms_without_csrf_token_change_nothing(app, operator_client):
    response = operator_client.post("/operator/licenses", data={"email": "x@y.z"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(License).count() == 0


def test_operator_creates_suspends_extends_and_revokes(app, operator_client, client):
    created = operator_client.post("/operator/licenses", data={"email": "shop@x.test", "sites": "2", "days": "30", "plan": "pro", "csrf_token": operator_client.csrf})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="created-key">([^<]+)<', created.get_data(as_text=True)).group(1)
    assert client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": "https://s.example.com"}).status_code == 201
    with app.app_context():
        license = db.session.query(License).one()
        license_id, expires = license.id, license.expires_at

    listing = operator_client.get("/operator/").get_data(as_text=True)
    assert "https://s.example.com" in listing and "last seen" in listing and key not in listing

    for action, status in (("suspend", "suspended"), ("activate", "active"), ("revoke", "revoked")):
        confirm = {"confirm": "yes"} if action != "activate" else {}  # reactivating needs no second step
        response = operator_client.post(f"/operator/licenses/{license_id}/{action}",
                                        data={"csrf_token": operator_client.csrf, **confirm})
        assert response.status_code == 302
        with app.app_context():
            assert db.session.get(License, license_id).status == status
    operator_client.post(f"/operator/licenses/{license_id}/extend", data={"days": "10", "csrf_token": operator_client.csrf})
    with app.app_context():
        assert (db.session.get(License, license_id).expires_at - expires).days == 10


def test_bad_form_input_is_explained(app, operator_client):
    response = operator_client.post("/operator/licenses", data={"email": "nope", "csrf_token": operator_client.csrf}, follow_redirects=True)
    assert "email address" in response.get_data(as_text=True)
    response = operator_client.post("/operator/licenses", data={"email": "a@b.c", "sites": "-3", "csrf_token": operator_client.csrf}, follow_redirects=True)
    assert "whole number" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(License).count() == 0


def test_console_is_not_frameable(operator_client):
    assert operator_client.get("/operator/").headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("action, before, after", [("suspend", "active", "suspended"), ("revoke", "active", "revoked")])
def test_suspend_and_revoke_ask_first(app, operator_client, make_license, action, before, after):
    license_id, _key = make_license(email="asked@shop.test")
    path = f"/operator/licenses/{license_id}/{action}"
    asked = operator_client.post(path, data={"csrf_token": operator_client.csrf})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm"' in html and "asked@shop.test" in html
    assert re.search(rf'<form method="post" action="{path}">', html) and 'name="confirm" value="yes"' in html
    with app.app_context():
        assert db.session.get(License, license_id).status == before, "asking changed nothing"
    # the confirmation page's own form, as the browser sends it
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    done = operator_client.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(License, license_id).status == after
    # a confirmation without the form token is still refused
    assert operator_client.post(path, data={"confirm": "yes"}).status_code == 400


def test_console_labels_are_human(operator_client, app):
    from backend.sms import service as sms

    with app.app_context():
        sms.configure_gateway("ssl_wireless", {"base_url": "http://127.0.0.1:9", "sid": "X", "api_token": "T"})
        db.session.commit()
    html = operator_client.get("/operator/sms/").get_data(as_text=True)
    for raw in (">base_url<", ">sid<", ">api_token<", "Plan (* for all others)", "<td>*</td>"):
        assert raw not in html, raw
    assert "Gateway API address" in html and "Sender ID (SID)" in html and "All other plans (*)" in html
    bad = operator_client.post("/operator/licenses", data={"email": "a@b.c", "sites": "0", "csrf_token": operator_client.csrf},
                               follow_redirects=True).get_data(as_text=True)
    assert "Sites allowed must be a whole number" in bad


def test_console_speaks_bangla(operator_client, make_license):
    license_id, _key = make_license()
    html = operator_client.post(f"/operator/licenses/{license_id}/suspend", data={"csrf_token": operator_client.csrf},
                                headers={"Accept-Language": "bn"}).get_data(as_text=True)
    assert "লাইসেন্স" in html and "Cancel" not in html


def test_limit_errors_name_the_field(operator_client):
    bad = operator_client.post("/operator/sms/settings", data={"min_recharge": "x", "max_recharge": "5000", "sends_per_minute": "10",
                                                               "otp_per_phone_per_hour": "5", "csrf_token": operator_client.csrf},
                               follow_redirects=True).get_data(as_text=True)
    assert "Smallest recharge (৳) must be an amount in taka" in bad
    bad = operator_client.post("/operator/sms/settings", data={"min_recharge": "10", "max_recharge": "5000", "sends_per_minute": "ten",
                                                               "otp_per_phone_per_hour": "5", "csrf_token": operator_client.csrf},
                               follow_redirects=True).get_data(as_text=True)
    assert "Limits must be whole numbers" in bad
