"""Words (issue 20 item 6): stored values shown with human labels, districts in Bangla, and one
format for numbers, money and dates per locale, with Latin digits in Bangla too."""
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from backend import formatting
from backend.extensions import db
from backend.labels import label, labels
from tests.walk import seed_couriers, seed_desk, seed_sms

BANGLA_DIGIT = re.compile("[০-৯]")
CATALOG = Path(__file__).resolve().parents[2] / "backend/translations/bn/LC_MESSAGES/messages.po"


def _text(response):
    body = re.sub(r"<script\b.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.parametrize("locale, money, big, day, moment", [
    ("en", "৳123,456.50", "1,234,567", "Dec 7, 2026", "Dec 7, 2026, 4:05\u202fPM"),
    # Bangla: Babel's grouping and the sign after the amount, Bangla month names, Latin digits
    ("bn", "1,23,456.50৳", "12,34,567", "7 ডিসে, 2026", "7 ডিসে, 2026, 4:05 PM"),
])
def test_one_format_per_locale_with_latin_digits(app, locale, money, big, day, moment):
    with app.test_request_context(), force_locale(locale):
        assert formatting.money(Decimal("123456.5")) == money
        assert formatting.money(Decimal("0.4525")).replace("৳", "") == "0.4525"  # an SMS part's price keeps its poisha fraction
        assert formatting.number(1234567) == big
        assert formatting.date(date(2026, 12, 7)) == day
        # stored times are UTC; people read Dhaka time (UTC+6)
        assert formatting.datetime(datetime(2026, 12, 7, 10, 5)).replace("\u202f", " ") == moment.replace("\u202f", " ")
        assert formatting.money(None) == formatting.date(None) == "—"
        assert formatting.money(0.45).replace("৳", "") == "0.45" and formatting.money("1.123456").replace("৳", "") == "1.1235"
        assert formatting.money_input(Decimal("1500")) == "1500.00"


def test_the_catalog_writes_numbers_with_latin_digits():
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="bn")
    found = [m.id for m in catalog if m.id and any(BANGLA_DIGIT.search(s or "") for s in
                                                   (m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert not found, f"Bangla digits in translations (write 0-9, backend/formatting.py says why): {found[:5]}"


def test_labels_for_stored_values(app):
    with app.test_request_context(), force_locale("en"):
        assert label("order_status", "on-hold") == "On hold"
        assert label("courier", "steadfast") == "Steadfast"
        assert label("payment_method", "cod") == "Cash on delivery"
        assert label("payment_method", "bkash") == "bKash"
        assert label("recharge_method", "manual") == "Bank transfer or other"
        assert label("sms_status", "failed") == "Not sent"
        assert label("sms_purpose", "otp") == "Checkout code"
        assert label("parcel_status", "in_review") == "Waiting for the courier's review"
        # a value nobody labelled: the shop's own title, else the value itself
        assert label("payment_method", "my_gateway", "My gateway") == "My gateway"
        assert label("order_status", "packed") == "packed"
        assert label("district", "BD-13") == "Dhaka"
    with app.test_request_context(), force_locale("bn"):
        assert label("order_status", "on-hold") == "স্থগিত"
        assert label("payment_method", "cod") == "ক্যাশ অন ডেলিভারি"
        assert label("district", "BD-13") == label("district", "Dhaka") == "ঢাকা"
        assert label("district", "BD-11") == "কক্সবাজার"
        assert all(not re.search("[A-Za-z]", word) for word in labels("order_status").values())


def test_every_district_has_its_bangla_name(app):
    from backend.districts import WC_STATES

    with app.test_request_context(), force_locale("bn"):
        names = {code: label("district", code) for code in WC_STATES}
    assert len(set(names.values())) == 64
    assert not [name for name in names.values() if re.search("[A-Za-z]", name)]


@pytest.fixture
def bangla_shop(app, make_shop):
    shop = make_shop()
    with app.app_context():
        for seed in (seed_sms, seed_desk, seed_couriers):
            seed(shop.site_id)
        db.session.commit()
    return shop


def test_bangla_pages_show_labels_not_raw_values(client, bangla_shop):
    _page, session = bangla_shop.open_page(page="sms", locale="bn_BD")
    headers = {"X-Bikri-Embed-Session": session}
    messages = _text(client.get("/embed/sms/messages", headers=headers))
    assert "পাঠানো হয়েছে" in messages and not re.search(r"\bsent\b|\bmanual\b", messages)
    recharges = _text(client.get("/embed/sms/recharges", headers=headers))
    assert "বিকাশ" in recharges and "bkash" not in recharges
    consignments = _text(client.get("/embed/couriers/consignments", headers=headers))
    assert "Steadfast" in consignments and "steadfast" not in consignments
    orders, _session = bangla_shop.open_page(page="orders", locale="bn_BD")
    form = orders.get_data(as_text=True)
    assert ">ঢাকা</option>" in form and ">ক্যাশ অন ডেলিভারি</option>" in form and ">Dhaka</option>" not in form


def test_no_bangla_digit_on_any_bangla_page(app, client, bangla_shop):
    from backend.embed.pages import PAGES

    sessions = {}
    for name in PAGES:
        page, sessions[name] = bangla_shop.open_page(page=name, locale="bn_BD")
        assert not BANGLA_DIGIT.search(_text(page)), name
    headers = {"X-Bikri-Embed-Session": sessions["home"]}
    fragments = [rule.rule for rule in app.url_map.iter_rules()
                 if rule.rule.startswith("/embed/") and "GET" in rule.methods and "<" not in rule.rule]
    assert len(fragments) > 10
    for path in fragments:
        response = client.get(path, headers=headers)
        assert not BANGLA_DIGIT.search(_text(response)), path


def test_abandoned_rows_in_bangla_translate_the_stored_note_and_the_district(app, client, make_shop):
    import json

    from backend.abandoned.models import AbandonedCheckout

    shop = make_shop()
    with app.app_context():
        db.session.add(AbandonedCheckout(site_id=shop.site_id, capture_key="w" * 32, phone="+8801711234567", name="Rahima",
                                         district="BD-13", cart=json.dumps([{"product_id": 5, "name": "Saree", "quantity": 1,
                                                                             "total": "1200.00"}]),
                                         value=Decimal("1200.00"), status="abandoned", reason_token="wordstoken" * 3,
                                         reminder_note="Not sent: no SMS balance."))
        db.session.commit()
    _page, session = shop.open_page(page="abandoned", locale="bn_BD")
    rows = _text(client.get("/embed/abandoned/rows", headers={"X-Bikri-Embed-Session": session}))
    assert "পাঠানো হয়নি: এসএমএস ব্যালেন্স নেই।" in rows and "ঢাকা" in rows and "1,200.00৳" in rows


def test_marshmallow_messages_come_out_in_the_readers_language(app):
    from marshmallow import Schema, fields, validate

    class Form(Schema):
        count = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
        amount = fields.Decimal()
        name = fields.String(validate=validate.Length(max=3))
        kind = fields.String(validate=validate.OneOf(["a", "b"]))

    with app.test_request_context(), force_locale("bn"):
        errors = Form().validate({"amount": "x", "name": "abcdef", "kind": "c"})
        assert errors == {"count": ["এই ঘরটি পূরণ করা দরকার।"], "amount": ["সঠিক সংখ্যা নয়।"],
                          "name": ["সর্বোচ্চ 3 অক্ষর হতে পারে।"], "kind": ["এগুলোর একটি হতে হবে: a, b।"]}
        assert Form().validate({"count": 9}) == {"count": ["1 থেকে 5 এর মধ্যে হতে হবে।"]}
    with app.test_request_context(), force_locale("en"):
        assert Form().validate({"count": 9}) == {"count": ["Must be greater than or equal to 1 and less than or equal to 5."]}
