"""Abandoned checkouts (O9, U4) in a real browser, against real WordPress (plugin from
dist/bikri.zip), the service under gunicorn on PostgreSQL and the sandbox SMS gateway.

WooCommerce cannot be installed here: the shopper's checkout is the stand-in page
(wp-plugin/tests/stand-ins/checkout-page.php), which renders the classic checkout's fields and
privacy text through WooCommerce's hooks and gives the visitor a WooCommerce session and a cart
(woocommerce-cart.php). The capture script, the AJAX handler, the service and the pages are real.

The owner switches capture on in wp-admin; the shopper types at checkout and, within seconds,
the checkout is in the service; typing more updates the same row. Once the job marks it
abandoned, the owner finds it on the Abandoned page, filters, switches reminders on (only with
an SMS balance: S8), and the shopper's answer on the public reasons page shows in the chart.
"""
import re

import psycopg
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, deactivate, licensed_admin, rows_once

PHONE, STORED = "01812-345678", "+8801812345678"
NOTICE = "What you type at checkout (phone, name, address) is saved with your cart"


def checkouts(service) -> list[dict]:
    with psycopg.connect(service["database_url"]) as conn:
        cursor = conn.execute("SELECT id, phone, name, address, district, cart, value, status, reason_token, reason "
                              "FROM abandoned_checkouts ORDER BY id")
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def wait_for_capture(service, check, seconds=10) -> list[dict]:
    """The rows once `check(rows)` holds; the capture waits 1.5 s after the last key, then goes through WordPress."""
    return rows_once(lambda: checkouts(service), check, seconds)


def no_sideways_scroll(frame, what):
    width = frame.locator("body").evaluate("b => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1] + 1, f"{what} scrolls sideways: {width}"


def test_abandoned_checkout_end_to_end(service, wordpress, sandboxes, browser):
    wp = wordpress["url"]
    admin = licensed_admin(service, wordpress, browser, "abandoned@e2e.test", viewport={"width": 1280, "height": 900})
    admin_context = admin.context

    # Capture is off: the checkout loads no capture script and its privacy text says nothing of it.
    shopper_context = browser.new_context(viewport={"width": 1280, "height": 1000})
    shop = shopper_context.new_page()
    shop.goto(f"{wp}/checkout-stand-in/")
    expect(shop.locator(".woocommerce-privacy-policy-text")).to_be_visible()
    expect(shop.locator(".woocommerce-privacy-policy-text")).not_to_contain_text(NOTICE)
    expect(shop.locator("script[src*='abandoned-capture.js']")).to_have_count(0)

    # The owner switches capture on; wp-admin pulls the checkout copy at once.
    admin.goto(f"{wp}/wp-admin/admin.php?page=bikri-abandoned")
    frame = admin.frame_locator("iframe.bikri-frame")
    frame.locator("#capture-enabled").check()
    frame.locator("#abandoned-settings button[type=submit]").click()
    expect(frame.locator("#abandoned-settings")).to_contain_text("Saved.")
    expect(admin.locator("html[data-bikri-synced=ok]")).to_have_count(1)

    # The shopper types; the privacy text now tells them what is kept.
    shop.goto(f"{wp}/checkout-stand-in/")
    expect(shop.locator(".woocommerce-privacy-policy-text")).to_contain_text(NOTICE)
    answers = []
    shop.on("response", lambda r: answers.append(r) if "admin-ajax.php" in r.url else None)
    shop.locator("#billing_first_name").press_sequentially("Rahima", delay=20)
    shop.locator("#billing_phone").press_sequentially("018", delay=20)
    shop.wait_for_timeout(2000)  # a number not yet plausible is never sent
    assert answers == [] and checkouts(service) == []
    with shop.expect_response(lambda r: "admin-ajax.php" in r.url) as answer:
        shop.locator("#billing_phone").press_sequentially("12-345678", delay=20)
    assert answer.value.json() == {"success": True, "data": {"status": "saved"}}, answer.value.text()
    rows = wait_for_capture(service, lambda rows: len(rows) == 1)
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["phone"], row["name"], row["status"]) == (STORED, "Rahima", "open"), row
    # the cart as WooCommerce holds it, never as the browser says (Money: ten-thousandths of a taka)
    assert "Jamdani Saree" in row["cart"] and row["value"] == 4560 * 10000, row

    # Typing more updates the same row.
    shop.locator("#billing_last_name").press_sequentially("Khatun", delay=20)
    shop.locator("#billing_address_1").press_sequentially("House 7, Road 3", delay=20)
    shop.locator("#billing_city").press_sequentially("Sylhet", delay=20)
    shop.locator("#billing_state").select_option("BD-10")
    rows = wait_for_capture(service, lambda rows: rows and rows[0]["address"] == "House 7, Road 3, Sylhet"
                            and rows[0]["district"] == "Chattogram")
    assert len(rows) == 1, rows
    assert (rows[0]["id"], rows[0]["name"], rows[0]["address"], rows[0]["district"]) == \
        (row["id"], "Rahima Khatun", "House 7, Road 3, Sylhet", "Chattogram"), rows
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (360, 1280):
        shop.set_viewport_size({"width": width, "height": 1000})
        no_sideways_scroll(shop, f"the checkout at {width}px")
        shop.screenshot(path=str(ARTIFACTS / f"abandoned-checkout-{width}.png"), full_page=True)
    shopper_context.close()

    # An hour passes without an order (the shop's delay is 60 minutes): the job marks it abandoned.
    with psycopg.connect(service["database_url"]) as conn:
        conn.execute("UPDATE abandoned_checkouts SET updated_at = updated_at - interval '2 hours', "
                     "created_at = created_at - interval '2 hours'")
    ran = run_abandoned_job(service)
    assert "'abandoned': 1" in ran, ran

    # Another shopper types a number (in Bangla digits) and leaves at once, before the capture's delay: it still goes.
    leaver = browser.new_context().new_page()
    leaver.goto(f"{wp}/checkout-stand-in/")
    leaver.fill("#billing_phone", "০১৯১১-২২২৩৩৩")
    leaver.goto("about:blank")
    rows = wait_for_capture(service, lambda rows: len(rows) == 2)
    assert [r["phone"] for r in rows] == [STORED, "+8801911222333"], rows
    leaver.context.close()

    # The owner sees it on the Abandoned page.
    admin.reload()
    frame = admin.frame_locator("iframe.bikri-frame")
    listed = frame.locator(f"#abandoned-table tr[data-phone='{STORED}']")
    expect(listed).to_have_attribute("data-status", "abandoned")
    expect(listed).to_contain_text("Rahima Khatun")
    expect(listed).to_contain_text("1 × Jamdani Saree")
    expect(frame.locator("#abandoned-totals [data-status=abandoned]")).to_have_attribute("data-count", "1")

    # A filter: none recovered; back to abandoned; a search by phone typed differently.
    frame.locator("#a-status").select_option("recovered")
    frame.locator("#abandoned-filter button[type=submit]").click()
    expect(frame.locator("#abandoned-rows")).to_contain_text("No abandoned checkouts in this range.")
    frame.locator("#a-status").select_option("abandoned")
    frame.locator("#a-q").fill("1812 345678")
    frame.locator("#abandoned-filter button[type=submit]").click()
    expect(frame.locator(f"#abandoned-table tr[data-phone='{STORED}']")).to_have_count(1)

    # S8: reminders stay off without an SMS balance; with one they switch on.
    expect(frame.locator("#reminders-enabled")).to_be_disabled()
    expect(frame.locator("#reminders-need-balance")).to_be_visible()
    service["cli"]("sms", "credit", wp, "10")
    admin.reload()
    frame = admin.frame_locator("iframe.bikri-frame")
    frame.locator("#reminders-enabled").check()
    frame.locator("#reminder1").fill("5")  # below the shop's minimum: the browser holds the form back
    assert frame.locator("#reminder1").evaluate("e => e.validity.rangeUnderflow")
    frame.locator("#reminder1").fill("30")
    frame.locator("#a-language").select_option("en")
    frame.locator("#abandoned-settings button[type=submit]").click()
    expect(frame.locator("#abandoned-settings")).to_contain_text("Saved.")
    expect(frame.locator("#reminders-enabled")).to_be_checked()
    with psycopg.connect(service["database_url"]) as conn:
        saved = conn.execute("SELECT capture_enabled, reminders_enabled, reminder1_minutes, sms_language "
                             "FROM abandoned_settings").fetchall()
    assert saved == [(True, True, 30, "en")], saved

    # Half an hour after it was abandoned, the job sends the reminder through the wallet, with the link.
    with psycopg.connect(service["database_url"]) as conn:
        conn.execute("UPDATE abandoned_checkouts SET abandoned_at = abandoned_at - interval '31 minutes'")
    ran = run_abandoned_job(service)
    assert "'sent': 1" in ran, ran
    texts = [m["sms"] for m in sandboxes["sms"].sent.values() if m["msisdn"] == STORED[1:]]
    assert len(texts) == 1 and texts[0].startswith("Rahima, your cart at "), texts
    link = re.search(r"http\S+/r/\S+", texts[0]).group(0)
    assert link == f"{service['url']}/r/{checkouts(service)[0]['reason_token']}", texts

    # The shopper follows it and answers the one question.
    reason_context = browser.new_context(viewport={"width": 360, "height": 740})
    reason = reason_context.new_page()
    reason.goto(f"{link}?lang=en")
    expect(reason.locator("#reason-form")).to_be_visible()
    no_sideways_scroll(reason, "the reasons page at 360px")
    reason.screenshot(path=str(ARTIFACTS / "abandoned-reason-360.png"), full_page=True)
    reason.locator("#reason-form button[type=submit]").click()  # no answer chosen
    expect(reason.locator("#reason-form [role=alert]")).to_be_visible()
    reason.locator("input[name=reason][value=delivery_charge]").check()
    reason.locator("#reason-form button[type=submit]").click()
    expect(reason.locator("#reason-thanks")).to_be_visible()
    reason_context.close()
    assert checkouts(service)[0]["reason"] == "delivery_charge"

    # The chart counts it, at 1280 px and 360 px, and neither width scrolls sideways.
    for width in (1280, 360):
        admin.set_viewport_size({"width": width, "height": 900})
        admin.reload()
        frame = admin.frame_locator("iframe.bikri-frame")
        expect(frame.locator("#reasons-chart")).to_have_attribute("data-counts", "0,1,0,0")
        expect(frame.locator(f"#abandoned-table tr[data-phone='{STORED}']")).to_have_count(1)
        no_sideways_scroll(frame, f"the Abandoned page at {width}px")
        admin.screenshot(path=str(ARTIFACTS / f"abandoned-page-{width}.png"), full_page=True)
        frame.locator("#abandoned-settings").evaluate("e => e.scrollIntoView({block: 'start'})")
        admin.screenshot(path=str(ARTIFACTS / f"abandoned-settings-{width}.png"))

    deactivate(admin, wordpress)
    admin_context.close()


def run_abandoned_job(service) -> str:
    """The abandoned-checkouts job as the scheduler runs it: through the job runner, which
    commits once after the job returned (the job itself only flushes)."""
    return service["python"]("from backend.jobs.runner import run_job\nfrom backend.jobs.table import JOBS\n"
                             "print(run_job(app, next(job for job in JOBS if job.name == 'abandoned_checkouts')))")
