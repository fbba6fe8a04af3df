"""Checkout OTP through the API, with the sandbox SMS gateway on a real socket: the code, its
hash, its proof, every abuse limit, replay, expiry, and the wallet running dry."""
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import select

from backend.checkout import codes, service
from backend.checkout.models import OtpCode
from backend.extensions import db
from backend.jobs import runner
from backend.jobs.table import JOBS
from backend.licensing.models import Site
from backend.security import b64url, b64url_decode
from backend.sms.models import SmsMessage
from tests.checkout.conftest import E164, IP, SESSION, last_code, send, set_checkout, verify


def proof_signed_with(key: bytes, proof: str) -> bool:
    body, signature = proof.split(".")
    return hmac.compare_digest(b64url(hmac.new(key, body.encode(), hashlib.sha256).digest()), signature)


def v1_key(token_hash_hex: str) -> bytes:
    """The version 1 proof key: HMAC-SHA256(key=sha256_hex(token), "bikri-otp-proof-v1"); the
    key is the site's stored token hash, so anyone holding the database can compute it."""
    return hmac.new(token_hash_hex.encode(), b"bikri-otp-proof-v1", hashlib.sha256).digest()


def v2_key(export_key: str) -> bytes:
    """The version 2 proof key: HMAC-SHA256(key=export key, "bikri-otp-proof-v2")."""
    return hmac.new(export_key.encode(), b"bikri-otp-proof-v2", hashlib.sha256).digest()


def plugin_reads_proof(token, proof, export_key=None):
    """What the plugin does with a proof, written again from its description, without the service's code:
    with no export key yet, only version 1 (keyed from sha256(token)); holding the key, only version 2."""
    key = v2_key(export_key) if export_key else v1_key(hashlib.sha256(token.encode()).hexdigest())
    assert proof_signed_with(key, proof)
    payload = json.loads(b64url_decode(proof.split(".")[0]))
    assert payload["v"] == (2 if export_key else 1)
    return payload


def export_key_of(shop):
    """The export key as the plugin gets it: from its config pull."""
    return shop.get("/api/v1/checkout/config").json["export_key"]


def every_stored_value(app):
    """Every non-empty value of every column of every table, as text: what a leaked database gives."""
    values = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                values.update(str(value) for value in row if value not in (None, ""))
    return values


def concurrently(app, shop, path, bodies, workers=8):
    """POST every body at once from `workers` threads; the status codes, in order."""
    def post(body):
        with app.test_client() as client:
            return client.post(path, json=body, headers=shop.auth).status_code
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(post, bodies))


def rows(app):
    with app.app_context():
        return db.session.execute(select(OtpCode).order_by(OtpCode.id)).scalars().all()


def test_send_then_verify_gives_a_proof_the_plugin_can_check(app, otp_shop, gateway, ledger, clock):
    """As a plugin asks that has not got its export key yet (one of before proof version 2, or
    one updated less than 5 minutes ago): it keeps getting version 1, which it can check."""
    sent = send(otp_shop)
    assert sent.status_code == 200, sent.json
    assert sent.json["status"] == "sent" and sent.json["phone"] == E164
    assert (sent.json["expires_in"], sent.json["resend_after"], sent.json["proof"]) == (300, 60, None)
    message = list(gateway.sent.values())[0]
    assert message["msisdn"] == "8801711234567" and "shop-a.example.com" in message["sms"]
    with app.app_context():
        sms_row = db.session.execute(select(SmsMessage)).scalar_one()
        assert (sms_row.purpose, sms_row.encoding) == ("otp", "unicode")  # the default text is Bangla
    assert ledger(otp_shop)[0] == Decimal("50") - Decimal("0.45")

    answer = verify(otp_shop, last_code(gateway))
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "verified"
    payload = plugin_reads_proof(otp_shop.token, answer.json["proof"])
    assert (payload["p"], payload["sid"], payload["m"], payload["v"]) == (E164, SESSION, "verified", 1)
    assert 29 * 60 < payload["exp"] - time.time() <= 30 * 60
    assert answer.json["proof_expires_at"].endswith("Z")


def test_a_plugin_holding_its_key_gets_proofs_a_leaked_database_cannot_sign(app, otp_shop, gateway):
    """Issue 17 item 9, for checkout proofs: with version 1 the proof key was derived from the
    stored token hash alone, so a copy of the database could forge a proof for every shop."""
    key = export_key_of(otp_shop)
    send(otp_shop, proof_version=2)
    answer = verify(otp_shop, last_code(gateway), proof_version=2)
    assert answer.status_code == 200, answer.json
    proof = answer.json["proof"]
    payload = plugin_reads_proof(otp_shop.token, proof, export_key=key)
    assert (payload["v"], payload["p"], payload["sid"], payload["m"]) == (2, E164, SESSION, "verified")

    token_hash = hashlib.sha256(otp_shop.token.encode()).hexdigest()
    assert not proof_signed_with(v1_key(token_hash), proof), "signed with the token hash alone"
    stored = every_stored_value(app)
    assert token_hash in stored  # the scan sees what a leak gives, token hashes and all
    assert not any(key in value for value in stored), "the export key is in the database"
    # no stored value, taken as the key of either version, signs what the service issued
    assert not any(proof_signed_with(v2_key(value), proof) or proof_signed_with(v1_key(value), proof)
                   for value in stored)
    with app.app_context():
        site = db.session.get(Site, otp_shop.site_id)
        assert service.read_proof(site, proof, version=2)["p"] == E164
        assert service.read_proof(site, proof, version=1) is None


def test_the_send_answers_with_a_proof_of_the_version_asked_for(app, otp_shop, gateway, fund, clock):
    """Trusted customers and an empty wallet get their proof from the send: the same version rule."""
    set_checkout(app, otp_shop, otp_skip_trusted=True)
    send(otp_shop)
    verify(otp_shop, last_code(gateway))
    otp_shop.post("/api/v1/checkout/orders", json={"wc_order_id": 101, "phone": "01711234567", "otp": "verified", "status": "completed"})
    clock.advance(61)
    trusted = send(otp_shop, proof_version=2)
    assert trusted.json["status"] == "trusted"
    assert plugin_reads_proof(otp_shop.token, trusted.json["proof"], export_key=export_key_of(otp_shop))["m"] == "trusted"
    clock.advance(61)
    assert plugin_reads_proof(otp_shop.token, send(otp_shop).json["proof"])["m"] == "trusted"  # no key yet: v1


def test_only_proof_versions_1_and_2_are_asked_for(otp_shop, gateway):
    for version in (0, 3, "two"):
        answer = send(otp_shop, proof_version=version)
        assert answer.status_code == 422, (version, answer.json)
        assert "proof_version" in answer.json["error"]["details"]
    assert not gateway.sent


def test_the_code_is_stored_only_as_a_keyed_hash(app, otp_shop, gateway):
    send(otp_shop)
    code = last_code(gateway)
    [row] = rows(app)
    stored = " ".join(str(getattr(row, column.name)) for column in OtpCode.__table__.columns)
    assert code not in stored
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()  # not a plain hash one could brute-force
    with app.app_context():
        assert row.code_hash == service._code_hash(otp_shop.site_id, row.salt, row.phone, row.session_id, code)
    verify(otp_shop, code)
    [row] = rows(app)
    assert row.status == "verified" and row.code_hash is None  # spent: nothing left to guess at


def test_a_used_code_is_refused_when_replayed(otp_shop, gateway):
    send(otp_shop)
    code = last_code(gateway)
    assert verify(otp_shop, code).status_code == 200
    again = verify(otp_shop, code)
    assert again.status_code == 409 and again.json["error"]["code"] == "otp_code_used"
    assert "retry_after" in again.json["error"]["details"]


def test_concurrent_replays_of_one_code_verify_once(app, otp_shop, gateway):
    send(otp_shop)
    code = last_code(gateway)
    codes = concurrently(app, otp_shop, "/api/v1/otp/verify", [{"phone": E164, "session_id": SESSION, "code": code}] * 16)
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 409}


def test_a_code_expires(otp_shop, gateway, clock):
    send(otp_shop)
    code = last_code(gateway)
    clock.advance(301)
    late = verify(otp_shop, code)
    assert late.status_code == 410 and late.json["error"]["code"] == "otp_code_expired"
    assert late.json["error"]["details"]["retry_after"] == 0  # the cooldown is over: a new code may be asked for now


def test_five_wrong_attempts_kill_the_code(otp_shop, gateway):
    send(otp_shop)
    code = last_code(gateway)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for left in (4, 3, 2, 1):
        answer = verify(otp_shop, wrong)
        assert answer.status_code == 422 and answer.json["error"]["code"] == "otp_code_wrong"
        assert answer.json["error"]["details"]["attempts_left"] == left
    fifth = verify(otp_shop, wrong)
    assert fifth.status_code == 429 and fifth.json["error"]["code"] == "otp_attempts_exceeded"
    assert 1 <= int(fifth.headers["Retry-After"]) <= 60
    right_too_late = verify(otp_shop, code)
    assert right_too_late.status_code == 429 and right_too_late.json["error"]["code"] == "otp_attempts_exceeded"


def test_parallel_guesses_cannot_exceed_the_attempt_limit(app, otp_shop, gateway):
    send(otp_shop)
    code = last_code(gateway)
    guesses = [f"{n:06d}" for n in range(40) if f"{n:06d}" != code]
    codes = concurrently(app, otp_shop, "/api/v1/otp/verify",
                         [{"phone": E164, "session_id": SESSION, "code": guess} for guess in guesses])
    assert codes.count(422) + codes.count(429) == len(guesses)
    [row] = rows(app)
    assert row.attempts == 5 and row.status == "locked"


def test_the_attempt_limit_is_the_shops(app, otp_shop, gateway):
    set_checkout(app, otp_shop, max_attempts=2)
    send(otp_shop)
    code = last_code(gateway)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    assert verify(otp_shop, wrong).json["error"]["details"]["attempts_left"] == 1
    assert verify(otp_shop, wrong).status_code == 429


def test_cooldown_between_codes_to_one_number(app, otp_shop, gateway, clock):
    assert send(otp_shop).status_code == 200
    clock.advance(20)
    again = send(otp_shop)
    assert again.status_code == 429 and again.json["error"]["code"] == "otp_cooldown"
    assert again.headers["Retry-After"] == "40" and again.json["error"]["details"]["retry_after"] == 40
    clock.advance(40)
    assert send(otp_shop).json["status"] == "sent"
    set_checkout(app, otp_shop, cooldown_seconds=120)
    clock.advance(100)
    assert send(otp_shop).headers["Retry-After"] == "20"


def test_a_new_code_replaces_the_old_one(otp_shop, gateway, clock):
    send(otp_shop)
    first = last_code(gateway)
    clock.advance(61)
    send(otp_shop)
    second = last_code(gateway)
    if first != second:
        assert verify(otp_shop, first).json["error"]["code"] == "otp_code_wrong"
    assert verify(otp_shop, second).json["status"] == "verified"


def test_codes_per_number_per_hour(app, otp_shop, gateway, clock):
    set_checkout(app, otp_shop, sends_per_phone_per_hour=3, cooldown_seconds=30)
    for _ in range(3):
        assert send(otp_shop).json["status"] == "sent"
        clock.advance(31)
    fourth = send(otp_shop)
    assert fourth.status_code == 429 and fourth.json["error"]["code"] == "otp_phone_limit"
    # the first code of the hour was 93 s ago: the window opens again in 3600 - 93 s
    assert fourth.headers["Retry-After"] == str(3600 - 93)
    clock.advance(3600 - 93)
    assert send(otp_shop).json["status"] == "sent"
    assert len(gateway.sent) == 4


def test_codes_per_connection_per_hour_counting_an_ipv6_64_as_one(app, otp_shop, gateway, clock):
    set_checkout(app, otp_shop, sends_per_ip_per_hour=2)
    assert send(otp_shop, phone="01711000001", ip="2001:db8:1:2::10").json["status"] == "sent"
    assert send(otp_shop, phone="01711000002", ip="2001:db8:1:2:ffff::99").json["status"] == "sent"
    third = send(otp_shop, phone="01711000003", ip="2001:db8:1:2::abcd")
    assert third.status_code == 429 and third.json["error"]["code"] == "otp_ip_limit"
    assert int(third.headers["Retry-After"]) == 3600
    # another connection is not held back
    assert send(otp_shop, phone="01711000003", ip="2001:db8:1:3::1").json["status"] == "sent"
    assert send(otp_shop, phone="01711000004", ip="::ffff:203.0.113.10").json["status"] == "sent"


def test_concurrent_sends_to_one_number_send_one_code(app, otp_shop, gateway):
    codes = concurrently(app, otp_shop, "/api/v1/otp/send", [{"phone": E164, "session_id": SESSION, "ip": IP}] * 12)
    assert codes.count(200) == 1 and codes.count(429) == 11, codes
    assert len(gateway.sent) == 1


def test_concurrent_sends_from_one_address_stay_within_its_limit(app, otp_shop, gateway):
    set_checkout(app, otp_shop, sends_per_ip_per_hour=3)
    codes = concurrently(app, otp_shop, "/api/v1/otp/send",
                         [{"phone": f"0171100{n:04d}", "session_id": SESSION, "ip": IP} for n in range(12)])
    assert codes.count(200) == 3 and codes.count(429) == 9, codes


def test_only_bangladeshi_mobile_numbers(otp_shop, gateway):
    for phone in ("+14155550100", "0171123", "02-9123456", "01211234567", "hello"):
        answer = send(otp_shop, phone=phone)
        assert answer.status_code == 422, phone
        assert "phone" in answer.json["error"]["details"]
    assert send(otp_shop, phone="৮৮০১৭১১২৩৪৫৬৭").json["phone"] == E164  # Bangla digits are fine
    assert len(gateway.sent) == 1


def test_bad_session_and_ip_are_named(otp_shop):
    assert set(send(otp_shop, session="short").json["error"]["details"]) == {"session_id"}
    assert set(send(otp_shop, ip="999.1.1.1").json["error"]["details"]) == {"ip"}
    assert set(verify(otp_shop, "12345").json["error"]["details"]) == {"code"}


def test_a_code_works_only_in_its_checkout_session(otp_shop, gateway):
    send(otp_shop)
    other = verify(otp_shop, last_code(gateway), session="o" * 32)
    assert other.status_code == 404 and other.json["error"]["code"] == "otp_no_code"


def test_codes_are_off_unless_the_shop_switched_them_on(app, otp_shop, gateway):
    set_checkout(app, otp_shop, otp_enabled=False)
    answer = send(otp_shop)
    assert answer.status_code == 409 and answer.json["error"]["code"] == "otp_disabled"
    assert gateway.sent == {}


def test_blacklisted_number_or_address_gets_no_sms(app, otp_shop, gateway):
    otp_shop.post("/api/v1/blacklist", json={"value": "01711234567", "reason": "fake orders"})
    otp_shop.post("/api/v1/blacklist", json={"value": "198.51.100.0/24"})
    refused = send(otp_shop)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "blacklisted"
    assert send(otp_shop, phone="01811234567", ip="198.51.100.9").json["error"]["details"] == {"kind": "ip"}
    assert gateway.sent == {}


def test_gateway_failure_refunds_and_lets_the_shopper_ask_again(app, otp_shop, gateway, ledger):
    gateway.control(mode="down")
    # answered once the code is stored and its SMS queued; the worker's retries run out (at
    # once in the unit tests' inline mode), the SMS is refunded and the code marked failed
    queued = send(otp_shop)
    assert queued.status_code == 200 and queued.json["status"] == "sent"
    assert ledger(otp_shop)[0] == Decimal("50")
    gateway.control(mode="ok")
    assert send(otp_shop).json["status"] == "sent"  # a code that never left does not start the cooldown
    assert [row.status for row in rows(app)] == ["failed", "pending"]


def test_broker_down_refuses_before_a_code_is_stored_or_debited(app, otp_shop, gateway, ledger):
    app.config["BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    refused = send(otp_shop)
    assert refused.status_code == 503 and refused.json["error"]["code"] == "queue_unavailable"
    assert rows(app) == [] and ledger(otp_shop)[0] == Decimal("50")
    assert gateway.attempts == {}


def test_empty_wallet_fails_open_with_a_flagged_proof_and_an_alert(app, shop, gateway, fund):
    fund(shop, Decimal("0.45"))
    set_checkout(app, shop, otp_enabled=True)
    assert send(shop).json["status"] == "sent"  # the last 0.45
    answer = send(shop, phone="01811234567", proof_version=2)
    assert answer.status_code == 200, answer.json
    assert (answer.json["status"], answer.json["reason"]) == ("skipped", "no_balance")
    assert plugin_reads_proof(shop.token, answer.json["proof"], export_key=export_key_of(shop))["m"] == "skipped_no_balance"
    assert len(gateway.sent) == 1
    config = shop.get("/api/v1/checkout/config").json
    assert config["otp"]["balance_ok"] is False and config["otp"]["no_balance_since"]
    page = shop.open_page(page="home")[0].get_data(as_text=True)
    assert "Your SMS balance has run out" in page and "page=bikri-sms" in page

    fund(shop, 10)
    assert send(shop, phone="01911234567").json["status"] == "sent"
    config = shop.get("/api/v1/checkout/config").json
    assert config["otp"]["balance_ok"] is True and config["otp"]["no_balance_since"] is None
    assert "Your SMS balance has run out" not in shop.open_page(page="home")[0].get_data(as_text=True)


def test_operators_cap_across_shops_is_also_a_429(app, otp_shop, gateway, clock):
    from backend.sms import service as sms

    with app.app_context():
        sms.sms_settings().otp_per_phone_per_hour = 1
        db.session.commit()
    send(otp_shop)
    clock.advance(61)
    capped = send(otp_shop)
    assert capped.status_code == 429 and capped.json["error"]["code"] == "rate_limited"
    assert int(capped.headers["Retry-After"]) > 0
    assert [row.status for row in rows(app)] == ["pending", "failed"]


def test_trusted_customer_skips_the_code(app, otp_shop, gateway, clock):
    set_checkout(app, otp_shop, otp_skip_trusted=True)
    send(otp_shop)
    verify(otp_shop, last_code(gateway))
    clock.advance(61)
    # verified before, but no order delivered yet: still a code
    assert send(otp_shop).json["status"] == "sent"
    otp_shop.post("/api/v1/checkout/orders", json={"wc_order_id": 101, "phone": "01711234567", "otp": "verified", "status": "processing"})
    clock.advance(61)
    assert send(otp_shop).json["status"] == "sent"
    otp_shop.post("/api/v1/checkout/orders", json={"wc_order_id": 101, "status": "completed"})
    clock.advance(61)
    trusted = send(otp_shop)
    assert (trusted.json["status"], trusted.json["reason"]) == ("trusted", "trusted_customer")
    assert plugin_reads_proof(otp_shop.token, trusted.json["proof"])["m"] == "trusted"
    assert len(gateway.sent) == 3
    set_checkout(app, otp_shop, otp_skip_trusted=False)
    clock.advance(61)
    assert send(otp_shop).json["status"] == "sent"


def test_delivered_orders_hook_takes_other_sources(app, otp_shop, gateway, clock, monkeypatch):
    """The orders read model plugs in here: its delivered orders make a phone trusted too."""
    set_checkout(app, otp_shop, otp_skip_trusted=True)
    send(otp_shop)
    verify(otp_shop, last_code(gateway))
    monkeypatch.setattr(codes, "DELIVERED_ORDER_SOURCES",
                        codes.DELIVERED_ORDER_SOURCES + [lambda site_id, phone: 2 if phone == E164 else 0])
    clock.advance(61)
    assert send(otp_shop).json["status"] == "trusted"


def test_shops_do_not_share_codes_limits_or_proofs(app, otp_shop, make_shop, gateway, fund, clock):
    shop_b = make_shop(url="https://shop-b.example.com")
    fund(shop_b, 5)
    set_checkout(app, shop_b, otp_enabled=True)
    send(otp_shop)
    code = last_code(gateway)
    # same phone, same session id, another shop: A's code means nothing there
    assert verify(shop_b, code).json["error"]["code"] == "otp_no_code"
    # A's cooldown does not hold B back
    assert send(shop_b).json["status"] == "sent"
    proof = verify(otp_shop, code, proof_version=2).json["proof"]
    with app.app_context():
        assert service.read_proof(db.session.get(Site, otp_shop.site_id), proof)["p"] == E164
        assert service.read_proof(db.session.get(Site, shop_b.site_id), proof) is None


def test_reactivation_invalidates_old_proofs(app, client, otp_shop, gateway):
    send(otp_shop)
    proofs = {1: verify(otp_shop, last_code(gateway)).json["proof"]}
    send(otp_shop, phone="01811234567")  # another number: the first one's cooldown runs
    proofs[2] = verify(otp_shop, last_code(gateway, "8801811234567"), phone="01811234567", proof_version=2).json["proof"]
    with app.app_context():
        assert all(service.read_proof(db.session.get(Site, otp_shop.site_id), proofs[v], version=v) for v in proofs)
    client.post("/api/v1/sites/activate", json={"license_key": otp_shop.key, "site_url": otp_shop.url})
    with app.app_context():
        assert not any(service.read_proof(db.session.get(Site, otp_shop.site_id), proofs[v], version=v) for v in proofs)


def test_old_codes_expire_and_lose_their_hash(app, otp_shop, gateway, clock):
    send(otp_shop)
    clock.advance(301)
    # through the runner: the job's run, not the operation, commits
    assert runner.run_job(app, next(job for job in JOBS if job.name == "expire_otp_codes")) == 1
    [row] = rows(app)
    assert (row.status, row.code_hash) == ("expired", None)


def test_the_sms_names_the_shop_by_its_wordpress_title(app, client, make_license, gateway, fund):
    """Issue 17, item 12: the plugin reports the site title at activation and on every config pull;
    the code's SMS names the shop by it, not by its host ("127.0.0.1")."""
    from tests.conftest import Shop

    _license_id, key = make_license()
    activated = client.post("/api/v1/sites/activate", json={
        "license_key": key, "site_url": "http://127.0.0.1:8080", "site_name": "Rina's  Saree\u00a0Ghor", "locale": "bn_BD"})
    assert activated.status_code == 201, activated.json
    shop = Shop(client, key, activated.json["site_id"], activated.json["token"], "http://127.0.0.1:8080")
    fund(shop, 50)
    set_checkout(app, shop, otp_enabled=True)
    assert send(shop).status_code == 200
    assert "Rina's Saree Ghor" in list(gateway.sent.values())[-1]["sms"]
    assert "127.0.0.1" not in list(gateway.sent.values())[-1]["sms"]
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        assert (site.name, site.locale) == ("Rina's Saree Ghor", "bn_BD")

    # renamed in WordPress: the next config pull brings the new title; a bad locale is not kept
    pulled = shop.get("/api/v1/checkout/config?site_name=%E0%A6%B0%E0%A6%BF%E0%A6%A8%E0%A6%BE%20Shop&locale=x;drop")
    assert pulled.status_code == 200, pulled.json
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        assert (site.name, site.locale) == ("রিনা Shop", "bn_BD")
        assert service.default_shop_name(site) == "রিনা Shop"
        # not known (an older plugin): the host, as before
        site.name = None
        assert service.default_shop_name(site) == "127.0.0.1"
