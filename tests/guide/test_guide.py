"""H1: the first-run guide on the home page ticks each step from the shop's own data."""
import re
from decimal import Decimal

from backend.checkout.models import CheckoutSettings
from backend.couriers import service as couriers
from backend.couriers.models import CourierAccount
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms import service as sms
from backend.sms.models import SmsMessage
from tests.embed_helpers import SESSION_HEADER, embed, open_embed


def card(shop, headers):
    response = shop.client.get("/embed/guide/card", headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, dict(re.findall(r'data-step="(\w+)" data-done="(yes|no)"', html))


def test_home_loads_the_guide_card(shop):
    page, headers = open_embed(shop, "home")
    assert 'hx-get="/embed/guide/card"' in page.get_data(as_text=True)
    html, steps = card(shop, headers)
    assert list(steps) == ["license", "courier", "sms_balance", "checkout", "first_booking", "first_status_sms"]
    assert steps == {"license": "yes", "courier": "no", "sms_balance": "no", "checkout": "no",
                     "first_booking": "no", "first_status_sms": "no"}
    assert "1 of 6 steps done" in html
    assert "?page=bikri-couriers" in html and "?page=bikri-sms" in html and "?page=bikri-checkout" in html
    assert 'target="_top"' in html


def test_each_step_ticks_itself_from_the_shops_data(app, shop, make_shop):
    other = make_shop("https://other.example.com")
    headers = embed(shop, "home")
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        db.session.add(CourierAccount(site_id=site.id, courier="steadfast", credentials_enc="x"))
        sms.credit(site.id, Decimal("50"), kind="operator_credit", reference="test")
        db.session.add(CheckoutSettings(site_id=site.id, otp_enabled=True))
        couriers.register_consignment(site, "1001", "steadfast", "C1", "T1", Decimal("500"), 1001)
        db.session.add(SmsMessage(site_id=site.id, phone="+8801711111111", content="Your order shipped", purpose="order_status",
                                  encoding="gsm", segments=1, cost=Decimal("0.45"), gateway_cost=Decimal("0.3"), status="sent"))
        db.session.commit()
    html, steps = card(shop, headers)
    assert set(steps.values()) == {"yes"}
    assert "All set" in html

    _html, other_steps = card(other, embed(other, "home"))
    assert [key for key, done in other_steps.items() if done == "yes"] == ["license"], "another shop's data ticks nothing here"


def test_a_queued_or_other_sms_is_not_the_first_status_sms(app, shop):
    headers = embed(shop, "home")
    with app.app_context():
        for purpose, status in (("order_status", "queued"), ("manual", "sent")):
            db.session.add(SmsMessage(site_id=shop.site_id, phone="+8801711111111", content="x", purpose=purpose,
                                      encoding="gsm", segments=1, cost=Decimal("0.45"), gateway_cost=Decimal("0.3"), status=status))
        db.session.add(CheckoutSettings(site_id=shop.site_id, otp_enabled=False, version=1))  # made on first use: not chosen
        db.session.commit()
    _html, steps = card(shop, headers)
    assert steps["first_status_sms"] == "no" and steps["checkout"] == "no"
    with app.app_context():
        db.session.query(CheckoutSettings).filter_by(site_id=shop.site_id).update({"version": 2})  # saved with OTP off
        db.session.commit()
    assert card(shop, headers)[1]["checkout"] == "yes"


def test_a_role_without_a_page_sees_the_step_without_its_link(shop):
    html, _steps = card(shop, embed(shop, "home", role="subscriber"))
    assert "?page=bikri-checkout" not in html and "Choose checkout protection" in html


def test_the_card_needs_a_session(shop):
    assert shop.client.get("/embed/guide/card").status_code == 401


def test_every_string_of_the_guide_has_bangla():
    """The .mo is built by the lead (make translations-update); the Bangla is in scripts/translate_bn.py."""
    import runpy
    from pathlib import Path

    from backend.guide.service import STEPS

    bn = runpy.run_path(str(Path(__file__).resolve().parents[2] / "scripts/translate_bn.py"))["BN"]
    template = (Path(__file__).resolve().parents[2] / "backend/guide/templates/guide/_card.html").read_text()
    strings = re.findall(r'_\((?:"|\')(.+?)(?:"|\')[,)]', template)
    strings += [text._args[0] for step in STEPS for text in (step.title, step.hint)]
    assert len(strings) > 12
    missing = [text for text in strings if text not in bn]
    assert not missing


def test_the_guide_is_cheap(app, shop):
    from sqlalchemy import event

    headers = embed(shop, "home")
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        card(shop, headers)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    guide = [sql for sql in statements if "courier_accounts" in sql]
    assert len(guide) == 1, "one statement of EXISTS checks"
