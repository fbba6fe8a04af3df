"""Connecting a courier account (C8) and the courier settings, through the API and the page:
keys checked with the courier before saving, nothing saved when refused, stored encrypted,
never shown back in full."""
from decimal import Decimal

from sqlalchemy import select, text

from backend.couriers import balances, key_checks, service
from backend.couriers.models import CourierAccount, CourierSettings
from backend.extensions import db
from backend.licensing.models import Site
from backend.sandbox.steadfast import API_KEY, SECRET_KEY
from backend.tasks import service as task_service
from tests.embed_helpers import embed
from tests.sync.helpers import hold_tasks, transactions_while_asked


def accounts(app):
    with app.app_context():
        return db.session.execute(select(CourierAccount)).scalars().all()


def test_list_offers_steadfast_with_its_logo(shop, steadfast):
    items = shop.get("/api/v1/couriers").json["items"]
    assert [(i["courier"], i["connected"]) for i in items] == [("steadfast", False)]
    logo = shop.client.get(items[0]["logo_url"].removeprefix("http://bikri.test"))
    assert logo.status_code == 200 and b"<svg" in logo.data


def test_refused_keys_save_nothing(app, shop, steadfast):
    response = shop.client.put("/api/v1/couriers/steadfast/account", json={"api_key": API_KEY, "secret_key": "wrong"},
                               headers=shop.auth)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "courier_credentials_refused"
    assert "nothing was saved" in response.json["error"]["message"]
    assert accounts(app) == []


def test_keys_are_checked_encrypted_and_masked(app, shop, steadfast, keys):
    response = shop.client.put("/api/v1/couriers/steadfast/account", json=keys, headers=shop.auth)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert API_KEY not in body and SECRET_KEY not in body
    assert response.json["credentials"] == {"api_key": "…" + API_KEY[-4:], "secret_key": "…" + SECRET_KEY[-4:]}
    assert response.json["balance"] == "15250.50"
    assert steadfast.calls["get_balance"] == 1  # checked with Steadfast before saving
    with app.app_context():
        raw = db.session.execute(text("SELECT credentials_enc FROM courier_accounts")).scalar_one()
    assert API_KEY not in raw and SECRET_KEY not in raw
    listed = shop.get("/api/v1/couriers").get_data(as_text=True)
    assert API_KEY not in listed and SECRET_KEY not in listed and '"connected": true' in listed.replace('":true', '": true')


def test_typed_keys_are_kept_only_until_checked_and_never_in_the_job(app, shop, steadfast, keys):
    """The worker checks the keys it finds in `courier_key_checks` (encrypted); once checked,
    accepted or refused, they are deleted, and the job's parameters and results never hold them."""
    from backend.couriers.models import CourierKeyCheck
    from backend.tasks.models import WorkJob, WorkJobItem

    accepted = shop.client.put("/api/v1/couriers/steadfast/account", json=keys, headers=shop.auth)
    refused = shop.client.put("/api/v1/couriers/steadfast/account", json={"api_key": "nope", "secret_key": "nope"},
                              headers=shop.auth)
    assert accepted.status_code == 200 and refused.status_code == 422
    with app.app_context():
        assert db.session.execute(select(CourierKeyCheck)).first() is None
        jobs = db.session.execute(select(WorkJob).where(WorkJob.kind == "courier_keys")).scalars().all()
        items = db.session.execute(select(WorkJobItem).where(WorkJobItem.job_id.in_([j.id for j in jobs]))).scalars().all()
        assert len(jobs) == 2 and sorted(i.outcome for i in items) == ["failed", "ok"]
        stored = " ".join(f"{j.params} {i.message} {i.data}" for j in jobs for i in items)
        assert API_KEY not in stored and SECRET_KEY not in stored and "nope" not in stored


def test_the_keys_are_checked_with_no_transaction_open(app, shop, steadfast, keys, monkeypatch):
    """The key check only reads (the job, the typed keys, the account) before it asks Steadfast,
    and ends that reading transaction first: none waits open on the courier."""
    held = hold_tasks(monkeypatch, task_service)
    with app.app_context():
        key_checks.start_check(db.session.get(Site, shop.site_id), "steadfast", keys)
        db.session.commit()
    with transactions_while_asked(app, steadfast.app) as found:
        held.run(app)
    assert steadfast.calls["get_balance"] == 1 and found == []
    assert [account.balance for account in accounts(app)] == [Decimal("15250.50")]


def test_blank_keeps_the_stored_key_and_refused_changes_keep_the_old_ones(app, connected, steadfast):
    # the owner retypes only the API key: the stored secret is used with it
    again = connected.client.put("/api/v1/couriers/steadfast/account", json={"api_key": API_KEY, "secret_key": ""},
                                 headers=connected.auth)
    assert again.status_code == 200
    wrong = connected.client.put("/api/v1/couriers/steadfast/account", json={"secret_key": "typo"}, headers=connected.auth)
    assert wrong.status_code == 422
    with app.app_context():
        account = db.session.execute(select(CourierAccount)).scalar_one()
        assert service.account_credentials(account) == {"api_key": API_KEY, "secret_key": SECRET_KEY}


def test_missing_keys_say_which(shop, steadfast):
    response = shop.client.put("/api/v1/couriers/steadfast/account", json={"api_key": "abc"}, headers=shop.auth)
    assert response.status_code == 422 and set(response.json["error"]["details"]) == {"secret_key"}


def test_courier_down_while_checking_saves_nothing(app, shop, steadfast, keys):
    steadfast.fail_next(status=503)
    response = shop.client.put("/api/v1/couriers/steadfast/account", json=keys, headers=shop.auth)
    assert response.status_code == 503 and response.json["error"]["code"] == "courier_unavailable"
    assert accounts(app) == []


def test_unknown_or_switched_off_couriers_are_404(shop, steadfast, keys):
    assert shop.client.put("/api/v1/couriers/pathao/account", json=keys, headers=shop.auth).status_code == 404
    assert shop.get("/api/v1/couriers/pathao/balance").status_code == 404


def test_balance_is_asked_now(connected, steadfast):
    steadfast.accounts[API_KEY].balance = Decimal("312.75")
    response = connected.get("/api/v1/couriers/steadfast/balance")
    assert response.status_code == 200 and response.json["balance"] == "312.75" and response.json["currency"] == "BDT"


def test_the_balance_is_asked_with_no_transaction_open(app, connected, steadfast, monkeypatch):
    """The balance refresh only reads (the job, the account) before it asks Steadfast, and ends
    that reading transaction first: none waits open on the courier."""
    steadfast.accounts[API_KEY].balance = Decimal("312.75")
    held = hold_tasks(monkeypatch, task_service)
    with app.app_context():
        balances.start_refresh(db.session.get(Site, connected.site_id), "steadfast")
        db.session.commit()
    with transactions_while_asked(app, steadfast.app) as found:
        held.run(app)
    assert found == [] and [account.balance for account in accounts(app)] == [Decimal("312.75")]


def test_balance_with_keys_revoked_at_the_courier_flags_the_account(app, connected, steadfast):
    steadfast.accounts[API_KEY].secret_key = "rotated-in-the-portal"
    response = connected.get("/api/v1/couriers/steadfast/balance")
    assert response.status_code == 422
    assert connected.get("/api/v1/couriers").json["items"][0]["problem"]


def test_disconnect_forgets_the_keys(app, connected):
    assert connected.client.delete("/api/v1/couriers/steadfast/account", headers=connected.auth).status_code == 204
    assert accounts(app) == []


def test_settings_defaults_update_and_field_errors(app, shop, steadfast):
    defaults = shop.get("/api/v1/couriers/settings").json
    assert defaults == {"default_courier": None, "default_note": "", "delivery_type": "home", "prepaid_cod_zero": True,
                        "cod_round_to": 0, "poll_minutes": 60, "wc_status_map": {}}
    saved = shop.client.put("/api/v1/couriers/settings", headers=shop.auth, json={
        "default_courier": "steadfast", "default_note": "Call before delivery", "cod_round_to": 5, "poll_minutes": 30,
        "wc_status_map": {"delivered": "wc-completed", "cancelled": "cancelled", "hold": ""}})
    assert saved.status_code == 200
    assert saved.json["wc_status_map"] == {"delivered": "completed", "cancelled": "cancelled"}
    assert shop.get("/api/v1/couriers/settings").json["poll_minutes"] == 30
    bad = shop.client.put("/api/v1/couriers/settings", headers=shop.auth,
                          json={"default_courier": "pathao", "poll_minutes": 5, "wc_status_map": {"lost": "completed"}})
    assert bad.status_code == 422
    assert {"poll_minutes", "wc_status_map"} <= set(bad.json["error"]["details"])
    with app.app_context():
        assert db.session.get(CourierSettings, shop.site_id).poll_minutes == 30  # unchanged


def test_cod_rules(app, shop):
    from backend.licensing.models import Site

    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        settings = service.get_settings(site)
        assert service.cod_amount_for(settings, Decimal("1234.50"), paid_online=False) == Decimal("1234.50")
        assert service.cod_amount_for(settings, Decimal("1234.50"), paid_online=True) == Decimal("0")
        settings.cod_round_to = 10
        assert service.cod_amount_for(settings, Decimal("1231"), paid_online=False) == Decimal("1240")
        settings.cod_round_to, settings.prepaid_cod_zero = 1, False
        assert service.cod_amount_for(settings, Decimal("99.20"), paid_online=True) == Decimal("100")


# --- the page --------------------------------------------------------------------------------------

def test_page_for_the_owner_shows_logo_form_and_defaults(shop, steadfast):
    page, _session = shop.open_page(page="couriers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "logos/steadfast.svg" in html and 'name="secret_key"' in html and 'type="password"' in html
    assert "Booking defaults" in html and 'id="courier-chart"' in html


def test_page_saves_nothing_on_bad_keys_and_never_shows_them(app, shop, steadfast):
    headers = embed(shop, "couriers")
    refused = shop.client.post("/embed/couriers/accounts/steadfast", data={"api_key": API_KEY, "secret_key": "nope"},
                               headers=headers).get_data(as_text=True)
    assert "did not accept these keys, so nothing was saved" in refused and "nope" not in refused
    assert accounts(app) == []
    saved = shop.client.post("/embed/couriers/accounts/steadfast", data={"api_key": API_KEY, "secret_key": SECRET_KEY},
                             headers=headers).get_data(as_text=True)
    assert "Connected" in saved and "15,250.50" in saved
    assert API_KEY not in saved and SECRET_KEY not in saved and "…" + SECRET_KEY[-4:] in saved
    page = shop.open_page(page="couriers")[0].get_data(as_text=True)
    assert API_KEY not in page and SECRET_KEY not in page and 'data-connected="1"' in page


def test_managers_see_balance_but_not_the_keys_form_and_staff_no_page(shop, connected, steadfast):
    manager = embed(shop, "couriers", role="shop_manager")
    card = shop.client.get("/embed/couriers/accounts/steadfast/balance", headers=manager).get_data(as_text=True)
    assert "15,250.50" in card and 'name="secret_key"' not in card and "Only the shop's administrator" in card
    assert shop.client.post("/embed/couriers/accounts/steadfast", data={"api_key": "x", "secret_key": "y"},
                            headers=manager).status_code == 403
    assert shop.client.post("/embed/couriers/settings", data={}, headers=manager).status_code == 403
    ticket = shop.post("/api/v1/embed/tickets", json={"wp_user_id": 3, "display_name": "S", "role": "editor", "page": "couriers"})
    assert shop.client.get(ticket.json["url"].removeprefix("http://bikri.test")).status_code == 403


def test_page_settings_form(app, shop, steadfast):
    headers = embed(shop, "couriers")
    form = {"default_courier": "steadfast", "default_note": "Fragile", "delivery_type": "hub", "prepaid_cod_zero": "1",
            "cod_round_to": "10", "poll_minutes": "120", "wc_status_delivered": "completed"}
    assert "Saved." in shop.client.post("/embed/couriers/settings", data=form, headers=headers).get_data(as_text=True)
    settings = shop.get("/api/v1/couriers/settings").json
    assert settings["delivery_type"] == "hub" and settings["cod_round_to"] == 10 and settings["wc_status_map"] == {"delivered": "completed"}
    bad = shop.client.post("/embed/couriers/settings", data={**form, "poll_minutes": "2"}, headers=headers).get_data(as_text=True)
    assert "Check statuses every" in bad and "15" in bad


def test_bangla_page(shop, steadfast):
    html = shop.open_page(page="couriers", locale="bn_BD")[0].get_data(as_text=True)
    assert "কুরিয়ার" in html
