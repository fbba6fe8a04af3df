"""The settings page (admin only, S8 on the OTP switch), the order reports and the OTP report with its CSV."""
import csv
import io
import re
from decimal import Decimal

from sqlalchemy import update

from backend.checkout.models import OtpCode
from backend.csvfile import csv_cell
from backend.extensions import db
from tests.csv_checks import assert_formula_safe, read_csv
from tests.checkout.conftest import last_code, send, set_checkout, verify
from tests.embed_helpers import embed

FORM = {
    "cooldown_seconds": "90", "sends_per_phone_per_hour": "4", "sends_per_ip_per_hour": "20", "max_attempts": "3",
    "code_ttl_seconds": "240", "otp_language": "en", "otp_text_en": "", "otp_text_bn": "", "shop_name": "Rongdhonu",
    "blacklist_message": "দুঃখিত, এই অর্ডারটি অনলাইনে নেওয়া যাচ্ছে না। দোকানে ফোন করুন।",
}


def save(client, headers, **changes):
    return client.post("/embed/checkout/settings", data={**FORM, **changes}, headers=headers)


def test_only_the_administrator_opens_the_settings(shop, client):
    assert shop.open_page(page="checkout", role="shop_manager")[0].status_code == 403
    manager = embed(shop, "home", role="shop_manager")
    assert client.post("/embed/checkout/settings", data=FORM, headers=manager).status_code == 403
    page = shop.open_page(page="checkout")[0]
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="cooldown_seconds"' in html and 'value="60"' in html


def test_no_balance_no_switch(shop, client, fund):
    """S8: the page shows the balance and a Recharge link, the switch is disabled, and the
    service refuses to switch codes on however it is asked."""
    html = shop.open_page(page="checkout")[0].get_data(as_text=True)
    assert 'data-balance="0.0000"' in html and "page=bikri-sms" in html and "Recharge" in html
    assert re.search(r'<input type="checkbox" name="otp_enabled" value="1" id="otp-enabled"\s+disabled>', html)
    assert 'id="otp-needs-balance"' in html
    forced = save(client, embed(shop, "checkout"), otp_enabled="1").get_data(as_text=True)
    assert "Recharge your SMS balance before switching checkout codes on." in forced
    assert shop.get("/api/v1/checkout/config").json["otp"]["enabled"] is False

    fund(shop, 5)
    html = shop.open_page(page="checkout")[0].get_data(as_text=True)
    assert 'id="otp-needs-balance"' not in html
    saved = save(client, embed(shop, "checkout"), otp_enabled="1")
    assert "Saved." in saved.get_data(as_text=True)
    assert shop.get("/api/v1/checkout/config").json["otp"]["enabled"] is True


def test_a_switch_that_is_on_stays_switchable_when_the_balance_is_gone(app, shop, client):
    set_checkout(app, shop, otp_enabled=True)
    html = shop.open_page(page="checkout")[0].get_data(as_text=True)
    assert re.search(r'id="otp-enabled"\s+checked\s+>', html), "the shop may still switch codes off"
    save(client, embed(shop, "checkout"))  # unchecked: off
    assert shop.get("/api/v1/checkout/config").json["otp"]["enabled"] is False


def test_saving_settings_bumps_the_plugins_copy_and_says_so(app, shop, client, fund, gateway):
    fund(shop, 5)
    before = shop.get("/api/v1/checkout/config").json["version"]
    saved = save(client, embed(shop, "checkout"), otp_enabled="1", otp_skip_trusted="1")
    assert saved.headers["HX-Trigger"] == "bikri-checkout-changed"
    html = saved.get_data(as_text=True)
    assert "Rongdhonu" in html and "expires in 4 minutes" in html  # the preview
    config = shop.get(f"/api/v1/checkout/config?since={before}").json
    assert config["version"] > before
    assert config["otp"] == {**config["otp"], "enabled": True, "cooldown_seconds": 90, "code_ttl_seconds": 240}
    assert config["blacklist"]["message"] == FORM["blacklist_message"]
    set_checkout(app, shop, sends_per_phone_per_hour=10)
    answer = send(shop)
    assert answer.json["resend_after"] == 90 and answer.json["expires_in"] == 240
    assert list(gateway.sent.values())[0]["sms"].endswith("is your Rongdhonu verification code. It expires in 4 minutes.")


def test_bad_settings_name_each_field(shop, client):
    headers = embed(shop, "checkout")
    html = save(client, headers, cooldown_seconds="5", max_attempts="9", sends_per_ip_per_hour="many",
                otp_text_en="Your code", otp_text_bn="{shop} {cod}").get_data(as_text=True)
    for field in ("cooldown_seconds", "max_attempts", "sends_per_ip_per_hour", "otp_text_en", "otp_text_bn"):
        assert f'data-error-for="{field}"' in html, field
    html = save(client, headers, otp_text_bn="{code} " + "অনেক লম্বা লেখা " * 12).get_data(as_text=True)
    assert 'data-error-for="otp_text_bn"' in html and "SMS" in html
    # nothing was saved
    assert shop.get("/api/v1/checkout/config").json["otp"]["cooldown_seconds"] == 60


def test_custom_bangla_text_is_sent(app, shop, client, fund, gateway):
    fund(shop, 5)
    save(client, embed(shop, "checkout"), otp_enabled="1", otp_language="bn", otp_text_bn="{shop}: কোড {code}")
    send(shop)
    assert re.fullmatch(r"Rongdhonu: কোড \d{6}", list(gateway.sent.values())[0]["sms"])


def test_order_reports_are_kept_once_per_order(shop):
    body = {"wc_order_id": 5001, "phone": "01711234567", "otp": "verified", "status": "processing"}
    assert shop.post("/api/v1/checkout/orders", json=body).json == {"wc_order_id": 5001, "phone": "+8801711234567",
                                                                     "otp": "verified", "status": "processing"}
    later = shop.post("/api/v1/checkout/orders", json={"wc_order_id": 5001, "status": "completed"}).json
    assert (later["otp"], later["status"], later["phone"]) == ("verified", "completed", "+8801711234567")
    foreign = shop.post("/api/v1/checkout/orders", json={"wc_order_id": 5002, "phone": "+44 7700 900123", "status": "on-hold"}).json
    assert (foreign["phone"], foreign["otp"]) == (None, "off")
    assert shop.post("/api/v1/checkout/orders", json={"wc_order_id": 5003, "otp": "maybe", "status": "x"}).status_code == 422


def _report_fixture(app, shop, gateway, clock):
    set_checkout(app, shop, sends_per_ip_per_hour=50)
    # completed and ordered
    send(shop, phone="01711000001")
    verify(shop, last_code(gateway, "8801711000001"), phone="01711000001")
    shop.post("/api/v1/checkout/orders", json={"wc_order_id": 1, "phone": "01711000001", "otp": "verified", "status": "processing"})
    # asked twice, never completed
    send(shop, phone="01711000002")
    clock.advance(61)
    send(shop, phone="01711000002")
    # completed, no order (a block checkout's draft is not one)
    send(shop, phone="01711000003")
    verify(shop, last_code(gateway, "8801711000003"), phone="01711000003")
    shop.post("/api/v1/checkout/orders", json={"wc_order_id": 3, "phone": "01711000003", "otp": "verified", "status": "checkout-draft"})


def test_otp_report_lists_who_completed_and_who_ordered(app, otp_shop, client, gateway, clock):
    _report_fixture(app, otp_shop, gateway, clock)
    headers = embed(otp_shop, "otp-report", role="shop_manager")
    html = client.get("/embed/checkout/otp-report/rows", headers=headers).get_data(as_text=True)
    rows = re.findall(r'data-phone="([^"]+)" data-state="([^"]+)" data-orders="(\d+)"', html)
    assert sorted(rows) == [("+8801711000001", "completed", "1"), ("+8801711000002", "not_completed", "0"),
                            ("+8801711000003", "completed", "0")]

    def phones(query):
        body = client.get(f"/embed/checkout/otp-report/rows?{query}", headers=headers).get_data(as_text=True)
        return sorted(re.findall(r'data-phone="([^"]+)"', body))
    assert phones("state=completed") == ["+8801711000001", "+8801711000003"]
    assert phones("state=not_completed") == ["+8801711000002"]
    assert phones("ordered=yes") == ["+8801711000001"]
    assert phones("state=completed&ordered=no") == ["+8801711000003"]
    assert phones("q=000002") == ["+8801711000002"]
    assert phones("q=01711000003") == ["+8801711000003"]
    assert phones("start=2000-01-01&end=2000-01-02") == []
    bad = client.get("/embed/checkout/otp-report/rows?start=2026-02-01&end=2026-01-01", headers=headers).get_data(as_text=True)
    assert "The start date is after the end date." in bad


def test_otp_report_csv(app, otp_shop, client, gateway, clock):
    _report_fixture(app, otp_shop, gateway, clock)
    response = client.get("/embed/checkout/otp-report.csv?state=completed", headers=embed(otp_shop, "otp-report"))
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0] == ["Phone", "OTP", "Codes asked for", "First asked", "Last asked", "Verified at", "Orders"]
    assert sorted((row[0], row[1], row[6]) for row in table[1:]) == [("+8801711000001", "Completed OTP", "1"),
                                                                    ("+8801711000003", "Completed OTP", "0")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", table[1][3])


def test_otp_report_is_not_for_staff_nor_other_shops(app, otp_shop, make_shop, client, gateway, clock):
    _report_fixture(app, otp_shop, gateway, clock)
    staff = embed(otp_shop, "home", role="editor")
    assert client.get("/embed/checkout/otp-report/rows", headers=staff).status_code == 403
    assert client.get("/embed/checkout/otp-report.csv", headers=staff).status_code == 403
    shop_b = make_shop(url="https://shop-b.example.com")
    other = client.get("/embed/checkout/otp-report/rows", headers=embed(shop_b, "otp-report")).get_data(as_text=True)
    assert "+8801711" not in other and "No checkout codes" in other


def test_skipped_for_no_balance_shows_in_the_report(app, shop, client, gateway):
    set_checkout(app, shop, otp_enabled=True)
    assert send(shop).json["status"] == "skipped"
    html = client.get("/embed/checkout/otp-report/rows?state=skipped", headers=embed(shop, "otp-report")).get_data(as_text=True)
    assert 'data-state="skipped"' in html and "Skipped: no SMS balance" in html


def test_csv_cells_cannot_become_formulas():
    assert csv_cell("+8801711234567") == "+8801711234567"
    assert csv_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert csv_cell("+SUM(A1)") == "'+SUM(A1)"
    assert csv_cell("-1+2") == "'-1+2"
    assert csv_cell("@cmd") == "'@cmd"
    assert csv_cell(None) == ""
    # a tab or CR first is skipped by spreadsheets, and the formula after it runs
    assert csv_cell("\t=1+1") == "'\t=1+1" and csv_cell("\r=1+1") == "'\r=1+1"
    # numbers stay numbers
    assert csv_cell("-12.50") == "-12.50" and csv_cell(Decimal("-3.5")) == "-3.5" and csv_cell(7) == "7"


def test_the_otp_report_csv_writes_no_formula(app, otp_shop, client, gateway, clock):
    """Every cell goes through the formula-safe writer, whatever the stored text is."""
    _report_fixture(app, otp_shop, gateway, clock)
    attacks = ['=HYPERLINK("x")', "\t@SUM(A1)"]  # the phone column holds 16 characters
    with app.app_context():
        for phone, attack in zip(("+8801711000002", "+8801711000003"), attacks):
            db.session.execute(update(OtpCode).where(OtpCode.phone == phone).values(phone=attack))
        db.session.commit()
    text = client.get("/embed/checkout/otp-report.csv", headers=embed(otp_shop, "otp-report")).get_data(as_text=True)
    table = read_csv(text)
    assert sorted(row[0] for row in table[1:]) == sorted(["+8801711000001", *("'" + a for a in attacks)])
    assert_formula_safe(table)


def test_the_pages_speak_bangla(shop):
    settings = shop.open_page(page="checkout", locale="bn_BD")[0].get_data(as_text=True)
    assert "চেকআউট সুরক্ষা" in settings and "এসএমএস অপব্যবহার রোধের সীমা" in settings
    assert "ব্ল্যাকলিস্ট" in shop.open_page(page="blacklist", locale="bn_BD")[0].get_data(as_text=True)
    assert "ওটিপি রিপোর্ট" in shop.open_page(page="otp-report", locale="bn_BD")[0].get_data(as_text=True)
