"""The SMS page in real wp-admin: a test SMS with a live price, then a bKash recharge paid on
bKash's (sandbox) page, its callback page confirming with bKash, the balance updated once; and a Nagad recharge paid on Nagad's (sandbox)
page, its callback page confirming with Nagad, then "Recharge complete"."""
import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, activate, sign_in


def test_send_an_sms_and_recharge_with_bkash(service, wordpress, sandboxes, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    # the gateway sandbox is shared by the session: earlier tests may have sent through it
    sent_before = len(sandboxes["sms"].sent)
    sign_in(page, wordpress)
    key = service["cli"]("licenses", "create", "--email", "sms@e2e.test", "--plan", "sms-plan").strip().splitlines()[-1]
    activate(page, wordpress, key)
    service["cli"]("sms", "credit", wordpress["url"], "10")

    sent_before = len(sandboxes["sms"].sent)  # the gateway is shared by the session's tests
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-sms")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#sms-balance")).to_contain_text("10.00")

    frame.locator("#sms-phone").fill("01711-234567")
    frame.locator("#sms-content").fill("আপনার অর্ডার #1001 নিশ্চিত হয়েছে")
    expect(frame.locator("#sms-quote")).to_contain_text("1 SMS")
    expect(frame.locator("#sms-quote")).to_contain_text("Bangla")
    sent_before = len(sandboxes["sms"].sent)  # other browser tests share the sandbox gateway
    frame.locator("#sms-send button[type=submit]").click()
    expect(frame.locator("#sms-send-result")).to_contain_text("Sent to +8801711234567")
    assert [m["sms"] for m in list(sandboxes["sms"].sent.values())[sent_before:]] == ["আপনার অর্ডার #1001 নিশ্চিত হয়েছে"]
    page.screenshot(path=str(ARTIFACTS / "sms-1280.png"), full_page=True)

    # Recharge: bKash's page opens in a new tab; paying there brings the owner back to Bikri.
    frame.locator("#sms-amount").fill("500")
    frame.locator("#sms-balance button[value=bkash]").click()
    pay_link = frame.locator("#sms-recharge-result a")
    expect(pay_link).to_be_visible()
    with context.expect_page() as opened:
        pay_link.click()
    bkash = opened.value
    bkash.wait_for_load_state()
    bkash.locator("button[value=pay], [name=action][value=pay]").first.click()
    bkash.wait_for_url(re.compile(r"/payments/bkash/callback"))
    # the callback page confirms with bKash through a worker (its execute), then shows the outcome
    expect(bkash.locator("[data-status=completed]")).to_contain_text("Recharge complete", timeout=20_000)
    bkash.close()

    page.reload()
    expect(page.frame_locator("iframe.bikri-frame").locator("#sms-balance")).to_contain_text("509.55")
    context.close()


def test_recharge_with_nagad(service, wordpress, browser):
    from backend.integrations.payments.nagad import new_private_key_pem
    from backend.sandbox.nagad import NagadSandbox
    from backend.sandbox.server import SandboxServer

    nagad = NagadSandbox()
    with SandboxServer(nagad) as nagad_url:
        config = json.dumps(nagad.gateway_config(nagad_url, new_private_key_pem()))
        service["python"](f"""
import json
from backend.sms import service as sms
sms.configure_payment_gateway("nagad", json.loads({config!r}), enabled=True, by="e2e")
db.session.commit()
""")
        context = browser.new_context(viewport={"width": 360, "height": 800})
        page = context.new_page()
        try:
            sign_in(page, wordpress)
            key = service["cli"]("licenses", "create", "--email", "nagad@e2e.test").strip().splitlines()[-1]
            activate(page, wordpress, key)
            page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-sms")
            frame = page.frame_locator("iframe.bikri-frame")
            frame.locator("#sms-amount").fill("300")
            frame.locator("#sms-balance button[value=nagad]").click()
            pay_link = frame.locator("#sms-recharge-result a[data-method=nagad]")
            expect(pay_link).to_contain_text("Pay with Nagad")
            with context.expect_page() as opened:
                pay_link.click()
            payer = opened.value
            payer.wait_for_load_state()
            expect(payer.locator("h1")).to_contain_text("Pay with Nagad")
            payer.locator("button[value=pay]").click()
            payer.wait_for_url(re.compile(r"/payments/nagad/callback"))
            # the callback page confirms with Nagad through a worker, then shows the outcome
            expect(payer.locator("[data-status=completed]")).to_contain_text("Recharge complete", timeout=20_000)
            payer.screenshot(path=str(ARTIFACTS / "nagad-callback-360.png"), full_page=True)
            payer.close()
            assert nagad.count("verify") >= 1
            page.reload()
            expect(page.frame_locator("iframe.bikri-frame").locator("#sms-balance")).to_contain_text("300.00")
        finally:
            # the session's WordPress and service are shared: no license left, Nagad off again
            page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-license")
            if page.locator("#bikri-deactivate").count():
                page.locator("#bikri-deactivate").click()
            service["python"]("""
from backend.sms import service as sms
sms.configure_payment_gateway("nagad", {}, enabled=False, by="e2e")
db.session.commit()
""")
            context.close()
