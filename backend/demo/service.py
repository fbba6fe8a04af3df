import json

from flask import current_app
from sqlalchemy import select

from backend.config import INSTANCE_DIR
from backend.extensions import db
from backend.help.seed import seed_articles
from backend.licensing import service as licensing
from backend.licensing.models import Site
from backend.operator.models import Operator
from backend.operator.service import create_operator

DEMO_EMAIL = "demo-shop@bikri.test"
DEMO_OPERATOR = "operator@bikri.test"
DEMO_OPERATOR_PASSWORD = "demo-operator-pass"
STATE_FILE = INSTANCE_DIR / "demo.json"
# the sandbox store's key pair (backend/sandbox/woocommerce.py), handed over as a plugin would
DEMO_WC_KEY = "ck_sandbox_0000000000000000000000000000000000000000"
DEMO_WC_SECRET = "cs_sandbox_0000000000000000000000000000000000000000"


def demo_site_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}/demo-shop"


def set_up_demo() -> dict:
    """Create (once) a demo license, a demo site activated on it and a demo operator."""
    state = json.loads(STATE_FILE.read_text()) if STATE_FILE.exists() else {}
    license = licensing.find_license_by_key(state["license_key"]) if state.get("license_key") else None
    if license is None:
        license, key = licensing.create_license(DEMO_EMAIL, sites=3, days=365, plan="demo")
        state["license_key"] = key
    site, _token = licensing.activate_site(state["license_key"], demo_site_url(),
                                           wc_consumer_key=DEMO_WC_KEY, wc_consumer_secret=DEMO_WC_SECRET)
    if db.session.execute(select(Operator).where(Operator.email == DEMO_OPERATOR)).scalar_one_or_none() is None:
        create_operator(DEMO_OPERATOR, DEMO_OPERATOR_PASSWORD)
    db.session.commit()
    _set_up_sms(site)
    _set_up_nagad()
    _set_up_checkout(site)
    _set_up_couriers(site)
    _set_up_orders(site)
    _set_up_abandoned(site)
    seed_articles(by=DEMO_OPERATOR)
    db.session.commit()
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state))
    STATE_FILE.chmod(0o600)
    return {"license_key": state["license_key"], "site_id": site.id, "site_url": site.url}


def demo_site() -> Site | None:
    _url, url_key = licensing.normalise_site_url(demo_site_url())
    return db.session.execute(
        select(Site).where(Site.url_key == url_key, Site.token_hash.is_not(None))
    ).scalars().first()


DEMO_SMS = [
    ("order_status", "প্রিয় গ্রাহক, আপনার অর্ডার #{n} কুরিয়ারে দেওয়া হয়েছে। ধন্যবাদ!"),
    ("otp", "Your Demo Shop code is {code}. It expires in 5 minutes."),
    ("order_status", "Your order #{n} is confirmed. Total 1,250 Tk, cash on delivery."),
    ("abandoned_cart", "আপনার কার্টে পণ্য রয়ে গেছে। আজই অর্ডার করুন, ডেলিভারি ফ্রি!"),
]


def _set_up_sms(site) -> None:
    """The sandbox gateway, a funded wallet and a month of sent SMS, so the SMS page has something to show."""
    import os
    from datetime import timedelta
    from decimal import Decimal

    from backend.sandbox.sms_gateway import API_TOKEN, SID
    from backend.sms import service as sms
    from backend.sms.models import SmsMessage
    from backend.clock import utcnow

    sms.configure_gateway("ssl_wireless", {"base_url": os.environ.get("BIKRI_DEMO_SMS_URL", "http://127.0.0.1:5801"),
                                           "sid": SID, "api_token": API_TOKEN})
    db.session.commit()
    if db.session.execute(select(SmsMessage.id).where(SmsMessage.site_id == site.id)).first():
        return
    sms.operator_credit(site, Decimal("500"), operator="demo", note="demo credit")
    db.session.commit()
    for n in range(24):
        purpose, text = DEMO_SMS[n % len(DEMO_SMS)]
        message = sms.send_sms(site, phone=f"0171{n:07d}", content=text.format(n=1000 + n, code=100000 + n * 7919 % 900000),
                               purpose=purpose)
        message.created_at = utcnow() - timedelta(hours=29 * n)
        db.session.commit()


def _set_up_nagad() -> None:
    """Nagad for recharges, as an operator sets it up for real: the merchant's key pair (made once,
    kept in the encrypted settings), its public half registered with the sandbox Nagad (Nagad's
    merchant portal) and the sandbox's public key taken from it. The sandbox starts with new keys
    each run, so this runs each time the demo starts."""
    import os

    import requests

    from backend.integrations.payments.nagad import new_private_key_pem, public_key_pem, load_private_key
    from backend.sandbox.nagad import DEMO_MERCHANT_ID, DEMO_MERCHANT_NUMBER, PREFIX
    from backend.sms import service as sms

    url = os.environ.get("BIKRI_DEMO_NAGAD_URL")
    if not url:
        return
    _enabled, settings = sms.payment_gateway_settings("nagad")
    private_key = settings.get("merchant_private_key") or new_private_key_pem()
    requests.post(f"{url}/__sandbox__/merchants", timeout=10, json={
        "merchantId": DEMO_MERCHANT_ID, "accountNumber": DEMO_MERCHANT_NUMBER,
        "publicKey": public_key_pem(load_private_key(private_key))}).raise_for_status()
    nagad_key = requests.get(f"{url}/__sandbox__/public-key", timeout=10).json()["publicKey"]
    sms.configure_payment_gateway("nagad", {
        "base_url": url + PREFIX, "merchant_id": DEMO_MERCHANT_ID, "merchant_number": DEMO_MERCHANT_NUMBER,
        "nagad_public_key": nagad_key, "merchant_private_key": private_key, "server_ip": "127.0.0.1",
    }, enabled=True, by="demo")
    db.session.commit()


def _set_up_checkout(site) -> None:
    """Checkout codes on, a short blacklist and a week of code requests, so the checkout pages have something to show."""
    from datetime import timedelta

    from backend.checkout import blacklist, service as checkout
    from backend.checkout.models import OtpCode
    from backend.clock import utcnow

    settings = checkout.settings_for(site)
    if db.session.execute(select(OtpCode.id).where(OtpCode.site_id == site.id)).first():
        return
    settings.otp_enabled = True
    settings.blacklist_message = "দুঃখিত, এই অর্ডারটি অনলাইনে নেওয়া যাচ্ছে না। দোকানে ফোন করুন: 01700-000000"
    for kind, value, reason in (("phone", "01811111111", "তিনবার পার্সেল ফেরত"), ("email", "fake@example.com", "fake orders"),
                                ("ip", "203.0.113.0/24", "bot traffic")):
        blacklist.add(site, kind=kind, value=value, reason=reason, added_by="Demo owner (#1)")
    now = utcnow()
    for n in range(30):
        status = ("verified", "verified", "pending", "verified", "locked", "skipped")[n % 6]
        created = now - timedelta(hours=5 * n)
        db.session.add(OtpCode(site_id=site.id, phone=f"+880171200{n:04d}", session_id=f"demo-session-{n:08d}",
                               ip="198.51.100.7", ip_key="198.51.100.7", status=status, created_at=created,
                               expires_at=created + timedelta(minutes=5),
                               verified_at=created + timedelta(seconds=40) if status == "verified" else None))
        if status == "verified" and n % 4:
            checkout.record_order(site, wc_order_id=2000 + n, phone=f"+880171200{n:04d}", otp="verified", status="processing")
    db.session.commit()


DEMO_CARTS = [
    ("রহিমা আক্তার", "ঢাকা", [("জামদানি শাড়ি", 1, "4200.00")]),
    ("Karim Hossain", "Chattogram", [("Panjabi, cotton", 2, "2400.00"), ("Attar 12 ml", 1, "350.00")]),
    ("সুমাইয়া ইসলাম", "সিলেট", [("থ্রি-পিস", 1, "1850.00")]),
    ("Tanvir Ahmed", "Rajshahi", [("Leather wallet", 1, "950.00")]),
    ("নুসরাত জাহান", "খুলনা", [("হিজাব সেট", 3, "1500.00")]),
]


def _set_up_abandoned(site) -> None:
    """Capture on and a few checkouts in each state, so the Abandoned page has something to show."""
    import secrets
    from datetime import timedelta
    from decimal import Decimal

    from backend.abandoned import service as abandoned
    from backend.abandoned.models import AbandonedCheckout
    from backend.clock import utcnow

    if db.session.execute(select(AbandonedCheckout.id).where(AbandonedCheckout.site_id == site.id)).first():
        return
    abandoned.settings_for(site).capture_enabled = True
    now = utcnow()
    states = [("abandoned", None), ("reminded", "delivery_charge"), ("recovered", None), ("lost", "too_expensive"),
              ("reminded", "just_looking")]
    for n, ((name, district, items), (status, reason)) in enumerate(zip(DEMO_CARTS, states)):
        started = now - timedelta(hours=3 + 20 * n)
        cart = [{"product_id": 300 + i, "name": item, "quantity": quantity, "total": total}
                for i, (item, quantity, total) in enumerate(items)]
        db.session.add(AbandonedCheckout(
            site_id=site.id, capture_key=f"demo-checkout-{n:04d}-{secrets.token_hex(4)}", phone=f"+880171300{n:04d}",
            name=name, district=district, address="House 12, Road 4", cart=json.dumps(cart, ensure_ascii=False),
            value=sum((Decimal(c["total"]) for c in cart), Decimal("0")), status=status, created_at=started,
            updated_at=started, abandoned_at=started + timedelta(hours=1),
            reminded_at=started + timedelta(hours=2) if status in ("reminded", "recovered", "lost") else None,
            reminders_sent=1 if status in ("reminded", "recovered", "lost") else 0,
            closed_at=started + timedelta(hours=5) if status in ("recovered", "lost") else None,
            reason_token=secrets.token_urlsafe(12), reason=reason, reason_at=started + timedelta(hours=3) if reason else None))
    db.session.commit()


def _set_up_couriers(site) -> None:
    """The sandbox Steadfast connected and a month of parcels, oldest first, with the sandbox's
    clock moved on between them so each parcel is as far along as its booking date says; then
    the clock runs (an hour a minute) and the jobs process's polling keeps the page moving."""
    from datetime import timedelta
    from decimal import Decimal

    import requests

    from backend.couriers import service as couriers
    from backend.couriers.models import Consignment
    from backend.couriers.polling import poll_due_consignments
    from backend.integrations.couriers import ParcelRequest
    from backend.sandbox.steadfast import API_KEY, SECRET_KEY
    from backend.clock import utcnow

    base_url = current_app.config["COURIERS"]["steadfast"].get("base_url")
    if not base_url:
        return  # no sandbox named: the demo shows the page unconnected
    if couriers.get_account(site, "steadfast") is None:
        couriers.connect_account(site, "steadfast", {"api_key": API_KEY, "secret_key": SECRET_KEY})
        couriers.save_settings(site, {"default_courier": "steadfast", "default_note": "Call before delivery"})
        db.session.commit()
    if db.session.execute(select(Consignment.id).where(Consignment.site_id == site.id)).first():
        return
    control = base_url.removesuffix("/api/v1") + "/__sandbox__/control"
    courier = couriers.courier_for(couriers.get_account(site, "steadfast"))
    step = timedelta(hours=17)
    count = 40
    for n in range(count):
        booked_at = utcnow() - step * (count - n)
        parcel = courier.create_consignment(ParcelRequest(
            invoice=f"DEMO-{2000 + n}", recipient_name=f"Customer {n + 1}", recipient_phone=f"0181{n:07d}",
            recipient_address="House 7, Road 3, Mirpur 10, Dhaka", cod_amount=Decimal(450 + 50 * (n % 9)),
            note="Call before delivery"))
        couriers.register_consignment(site, parcel.invoice, "steadfast", parcel.consignment_id, parcel.tracking_code,
                                      Decimal(450 + 50 * (n % 9)), 2000 + n, status=parcel.status, booked_at=booked_at)
        requests.post(control, json={"advance_seconds": step.total_seconds()}, timeout=5)
    db.session.commit()
    requests.post(control, json={"time_scale": 60}, timeout=5)
    poll_due_consignments(budget_seconds=60)


def _set_up_orders(site) -> None:
    """The demo shop's orders: a backfill from the sandbox store (through the demo's stand-in
    wp-json/wc/v3), queued as for a shop that just connected. The jobs process runs it once the
    web process answers (it serves that stand-in), then keeps the shop in step."""
    from flask import current_app

    from backend.errors import ApiError
    from backend.orders.models import Order
    from backend.sync import service as sync

    if not current_app.config.get("DEMO_WOOCOMMERCE_URL"):
        return
    if db.session.execute(select(Order.id).where(Order.site_id == site.id)).first():
        # `make run`'s store places its orders up to the moment it starts (BIKRI_SANDBOX_WC_END=now),
        # so the orders copied on an earlier day lie that many days back: copy the store again
        # (500 orders; each is newer than its stored copy, so the upsert takes it).
        try:
            sync.request_backfill(site, restart=True)
        except ApiError:  # a copy is still leased by a demo stopped half way; it resumes by itself
            db.session.rollback()
            return
    else:
        sync.request_backfill(site)
    db.session.commit()
