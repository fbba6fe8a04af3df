"""The Notifications page in real wp-admin on a phone (issue 21, N1/N2): a status text typed in
Bangla gets its live price (the SMS page's counter), the SMS switch is saved, nothing is wider
than 360 px, and a delivery alert rings the bell on every Bikri page until it is read."""
import psycopg
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, licensed_admin

PHONE = {"width": 360, "height": 800}


def test_notifications_settings_preview_and_bell_on_a_phone(service, wordpress, sandboxes, browser):
    page = licensed_admin(service, wordpress, browser, "notify@e2e.test", viewport=PHONE)
    context = page.context
    service["cli"]("sms", "credit", wordpress["url"], "10")

    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-notifications")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#bikri-bell .bikri-bell-count")).to_have_text("0")
    shipped = frame.locator('.status-rule[data-status="shipped"]')
    shipped.locator('textarea[name="text_bn.shipped"]').fill("{name}, অর্ডার {order} পাঠানো হয়েছে। ট্র্যাক: {tracking_link}")
    preview = shipped.locator("#p-bn-shipped")
    expect(preview).to_contain_text("Rahima, অর্ডার #1024 পাঠানো হয়েছে।")
    expect(preview).to_contain_text("SMS")
    expect(preview.locator("[data-segments]")).to_have_attribute("data-segments", "2")
    shipped.locator('input[name="sms.shipped"]').check()
    frame.locator('#notification-settings button[type=submit]').click()
    expect(frame.locator("#notification-settings .notice-success")).to_be_visible()
    expect(frame.locator('input[name="sms.shipped"]')).to_be_checked()
    width = frame.locator("body").evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert width[0] <= width[1] + 1, width
    page.screenshot(path=str(ARTIFACTS / "notifications-360.png"), full_page=True)

    # a parcel came back (as the couriers' status change records it): the bell on every page says so
    with psycopg.connect(service["database_url"], autocommit=True) as conn:
        site_id = conn.execute("SELECT id FROM sites ORDER BY id DESC LIMIT 1").fetchone()[0]
        conn.execute("INSERT INTO notification_alerts (site_id, kind, consignment_pk, order_wc_id, courier, consignment, created_at)"
                     " VALUES (%s, 'returned', 424242, 1001, 'steadfast', '5001001', now())", (site_id,))
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#bikri-bell .bikri-bell-count")).to_have_text("1")
    frame.locator("#bikri-bell").click()
    page.wait_for_url("**page=bikri-notifications**")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator(".alert-list li")).to_contain_text("#1001")
    frame.locator("#alerts-box button").click()
    expect(frame.locator("#alerts-unread")).to_have_text("0")
    page.reload()
    expect(page.frame_locator("iframe.bikri-frame").locator("#bikri-bell .bikri-bell-count")).to_have_text("0")
    context.close()
