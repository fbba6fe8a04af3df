"""A site is one shop (issue 17 item 1): a new license key moves the site's row, with everything
on it, to the new license; it never makes a second, empty copy. Moving needs the site's
current token; a key alone (anyone can buy one) never takes another shop's address."""
import json
from decimal import Decimal

from sqlalchemy import func, select

from backend.checkout import service as checkout
from backend.couriers.models import CourierAccount
from backend.extensions import db
from backend.jobs import runner
from backend.jobs.table import JOBS
from backend.licensing.models import License, Site
from backend.licensing.service import normalise_site_url, sites_used
from backend.security import decrypt_secret, encrypt_secret
from backend.sms import service as sms
from tests.conftest import WC_KEY, WC_SECRET, Shop
from tests.shop_settings import set_shop_settings

BACKFILL = next(j for j in JOBS if j.name == "sync_backfill")


def activate(client, key, url, **extra):
    return client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": url, **extra})


def as_shop(client, answer, key, url):
    assert answer.status_code == 201, answer.json
    return Shop(client, key, answer.json["site_id"], answer.json["token"], url)


def seats(app, license_id):
    with app.app_context():
        return sites_used(db.session.get(License, license_id))


def rows_at(app, url):
    _url, url_key = normalise_site_url(url)
    with app.app_context():
        return db.session.execute(select(func.count(Site.id)).where(Site.url_key == url_key)).scalar_one()


def a_shop_in_use(app, client, store, make_license):
    """A connected shop with orders, an SMS balance, a courier account, OTP on and a blacklist."""
    old_license, old_key = make_license(sites=1)
    shop = as_shop(client, activate(client, old_key, store.url, wc_consumer_key=WC_KEY, wc_consumer_secret=WC_SECRET),
                   old_key, store.url)
    runner.run_job(app, BACKFILL)
    with app.app_context():
        sms.credit(shop.site_id, Decimal("250.50"), kind="operator_credit", reference="before-key-change")
        db.session.add(CourierAccount(site_id=shop.site_id, courier="steadfast", balance=Decimal("999.00"),
                                      next_request_us=0, credentials_enc=encrypt_secret(json.dumps(
                                          {"api_key": "sf-key", "secret_key": "sf-secret"}))))
        db.session.commit()
    set_shop_settings(app, shop, checkout, otp_enabled=True)
    assert shop.post("/api/v1/blacklist", json={"value": "01711234567", "reason": "fake orders"}).status_code == 201
    return old_license, shop


def test_a_new_key_moves_the_site_with_everything_on_it(app, client, store, make_license):
    old_license, shop = a_shop_in_use(app, client, store, make_license)
    orders_before = shop.get("/api/v1/sync/status").json["orders_stored"]
    assert orders_before > 0
    new_license, new_key = make_license(sites=1)

    # what the plugin's License page sends when a key is changed: the new key and the site's token
    answer = activate(client, new_key, store.url, wc_consumer_key=WC_KEY, wc_consumer_secret=WC_SECRET,
                      site_token=shop.token)
    moved = as_shop(client, answer, new_key, store.url)

    assert moved.site_id == shop.site_id and rows_at(app, store.url) == 1
    assert shop.get("/api/v1/license").status_code == 401  # the old token stopped
    assert moved.get("/api/sms/balance").json["balance"] == "250.50"
    config = moved.get("/api/v1/checkout/config").json
    assert config["otp"]["enabled"] is True
    assert config["blacklist"]["phones"] == ["+8801711234567"]
    status = moved.get("/api/v1/sync/status").json
    assert status["orders_stored"] == orders_before
    assert status["backfill"]["status"] == "done"  # no second import of the same orders
    with app.app_context():
        account = db.session.execute(select(CourierAccount).where(CourierAccount.site_id == moved.site_id)).scalar_one()
        assert account.balance == Decimal("999.00")
        assert db.session.get(Site, moved.site_id).license_id == new_license
    # the seat moved: the new license counts the site, the old one is free for another
    assert seats(app, new_license) == 1 and seats(app, old_license) == 0
    assert moved.get("/api/v1/license").json["sites_used"] == 1
    assert activate(client, shop.key, "https://another-shop.example.com").status_code == 201


def test_a_new_key_without_a_free_seat_is_refused_and_the_site_stays(app, client, make_license):
    _old, old_key = make_license(sites=1)
    shop = as_shop(client, activate(client, old_key, "https://one.example.com"), old_key, "https://one.example.com")
    full, full_key = make_license(sites=1)
    assert activate(client, full_key, "https://two.example.com").status_code == 201

    refused = activate(client, full_key, shop.url, site_token=shop.token)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "license_site_limit"
    assert shop.get("/api/v1/license").status_code == 200  # still on its license, token unchanged
    assert seats(app, full) == 1 and rows_at(app, shop.url) == 1


def test_another_key_cannot_take_a_shops_address(app, client, store, make_license):
    """The hijack: someone buys a key and activates a shop's URL, hoping to get its data."""
    victim_license, victim = a_shop_in_use(app, client, store, make_license)
    _attacker_license, attacker_key = make_license(sites=3)
    decoy = as_shop(client, activate(client, attacker_key, "https://attacker.example.com"),
                    attacker_key, "https://attacker.example.com")

    for extra in ({}, {"site_token": decoy.token}, {"site_token": "x" * 40}):
        answer = activate(client, attacker_key, store.url, wc_consumer_key="ck_attacker", wc_consumer_secret="cs_attacker",
                          **extra)
        assert answer.status_code == 409, answer.json
        assert answer.json["error"]["code"] == "site_on_other_license"
        assert "License page" in answer.json["error"]["message"]
        assert "token" not in answer.json  # nothing to authenticate with

    # the victim's shop is untouched: same row, same license, same token, same keys
    assert rows_at(app, store.url) == 1
    assert victim.get("/api/sms/balance").json["balance"] == "250.50"
    assert seats(app, victim_license) == 1
    with app.app_context():
        site = db.session.get(Site, victim.site_id)
        assert site.license_id == victim_license
        assert decrypt_secret(site.wc_consumer_key_enc) == WC_KEY


def test_a_deactivated_shop_keeps_its_data_for_its_old_key_and_can_still_move(app, client, store, make_license):
    """Deactivating frees the address (its token is gone, so nothing can prove the shop): a new
    key starts a new site and takes nothing from the old row. The shop's data waits on its old
    license; coming back with the old key and then entering the new one moves it, and the
    empty site the new key made steps aside."""
    _old_license, shop = a_shop_in_use(app, client, store, make_license)
    assert shop.post("/api/v1/sites/deactivate").status_code == 204
    new_license, new_key = make_license(sites=1)

    fresh = as_shop(client, activate(client, new_key, store.url), new_key, store.url)
    assert fresh.site_id != shop.site_id
    assert fresh.get("/api/sms/balance").json["balance"] == "0.00"
    assert fresh.get("/api/v1/checkout/config").json["otp"]["enabled"] is False

    back = as_shop(client, activate(client, shop.key, store.url), shop.key, store.url)
    assert back.site_id == shop.site_id
    assert fresh.post("/api/v1/sites/deactivate").status_code == 204  # what the plugin does with the token it replaced
    moved = as_shop(client, activate(client, new_key, store.url, site_token=back.token), new_key, store.url)
    assert moved.site_id == shop.site_id
    assert moved.get("/api/sms/balance").json["balance"] == "250.50"
    assert seats(app, new_license) == 1 and rows_at(app, store.url) == 1


def test_the_shops_row_wins_over_an_old_copy_on_the_new_license(app, client, make_license):
    """A key change before this fix left an empty copy on a license; coming back to that license
    with the shop's token moves the shop's row there and retires the copy."""
    url = "https://shop.example.com"
    copy_license, copy_key = make_license(sites=1)
    real_license, real_key = make_license(sites=1)
    shop = as_shop(client, activate(client, real_key, url), real_key, url)
    with app.app_context():
        sms.credit(shop.site_id, Decimal("40"), kind="operator_credit", reference="real-row")
        # the leftover copy, deactivated when the shop went on to the other key
        db.session.add(Site(license_id=copy_license, url=url, url_key="shop.example.com", token_hash=None))
        db.session.commit()
    assert rows_at(app, url) == 2

    moved = as_shop(client, activate(client, copy_key, url, site_token=shop.token), copy_key, url)
    assert moved.site_id == shop.site_id
    assert moved.get("/api/sms/balance").json["balance"] == "40.00"
    assert seats(app, copy_license) == 1 and seats(app, real_license) == 0
    assert rows_at(app, url) == 1  # the copy stepped aside (kept for support, off the address)
