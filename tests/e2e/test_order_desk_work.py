"""The order desk as a work queue (issue 20), in real wp-admin at 360 px and 1280 px: the status
tabs and their counts, one order's status changed from its own row (written to WooCommerce),
and an incomplete (abandoned) checkout worked into a real order through the New-order dialog.

The same STAND-IN as tests/e2e/test_order_desk.py (read its docstring): this WordPress has no
WooCommerce; its wc/v3 REST calls are forwarded to the sandbox store running in this process.
The abandoned checkouts are written into the service's database as the capture would leave
them once the job marked them abandoned (capture itself is tested in test_abandoned_checkout.py).
"""
import secrets

import psycopg
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, assert_bangla, licensed_admin, say, set_language, site_id_of

ORDERS = 40
SEED = 11  # the sandbox store (conftest.shop)
CART = '[{"product_id": 101, "name": "Jamdani Saree", "quantity": 1, "total": "4500.00"}]'


def db_rows(service, sql, params=()):
    with psycopg.connect(service["database_url"]) as conn:
        return conn.execute(sql, params).fetchall()


def add_checkout(service, site_id, phone, name):
    """A checkout as capture and the job leave it: abandoned two hours ago (value ৳4,500, stored
    as Money does, in ten-thousandths of a taka)."""
    with psycopg.connect(service["database_url"]) as conn:
        return conn.execute(
            "INSERT INTO abandoned_checkouts (site_id, capture_key, phone, name, address, district, cart, value, currency,"
            " status, created_at, updated_at, abandoned_at, reminders_sent, opted_out, reason_token)"
            " VALUES (%s, %s, %s, %s, 'House 9, Road 2, Mirpur', 'Dhaka', %s, 45000000, 'BDT', 'abandoned',"
            " now() AT TIME ZONE 'utc' - interval '3 hours', now() AT TIME ZONE 'utc' - interval '3 hours',"
            " now() AT TIME ZONE 'utc' - interval '2 hours', 0, false, %s) RETURNING id",
            (site_id, secrets.token_hex(16), phone, name, CART, secrets.token_hex(8))).fetchone()[0]


def tab_count(frame, key) -> int:
    return int(frame.locator(f".desk-tab[data-tab='{key}']").get_attribute("data-count"))


def settled(frame):
    expect(frame.locator(".htmx-request")).to_have_count(0)


# the shop's own data a Bangla page shows as it was typed: customer and product names, addresses
SHOP_DATA = ".incomplete-who strong, .incomplete-cart, select[name=product], #m-name, #m-address"
TAB_LABELS = {"all": "All", "processing": "Processing", "completed": "Completed", "incomplete": "Incomplete"}


def work(page, wp, store, service, site_id, width, checkout_id, phone, lang="en"):
    page.set_viewport_size({"width": width, "height": 800 if width == 360 else 900})
    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-orders")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#order-rows tr.order-row").first).to_be_visible()
    settled(frame)
    for key, label in TAB_LABELS.items():
        expect(frame.locator(f".desk-tab[data-tab='{key}']")).to_contain_text(say(lang, label))
    expect(frame.locator("#desk-export-csv")).to_have_text(say(lang, "Export CSV"))

    # --- the Processing tab, then one order's status changed from its own row
    processing_before = tab_count(frame, "processing")
    frame.locator(".desk-tab[data-tab='processing']").click()
    expect(frame.locator("#order-rows tr.order-row")).to_have_count(processing_before)
    settled(frame)
    row = frame.locator("#order-rows tr.order-row").first
    wc_id = int(row.get_attribute("data-wc-id"))
    if width == 360:
        page.screenshot(path=str(ARTIFACTS / f"desk-work-360-{lang}-rows.png"))
        heights = frame.locator("#order-rows tr.order-row").evaluate_all(
            "rows => rows.map(r => r.getBoundingClientRect().height)")
        assert max(heights) <= 120, f"order rows at 360 px are up to {max(heights):.0f} px tall"
        assert frame.locator("#desk-filters").is_hidden(), "the filters wait in their drawer"
        frame.locator("#desk-filters-toggle").click()
        expect(frame.locator("#f-q")).to_be_visible()
        frame.locator("#desk-filters-toggle").click()
        expect(frame.locator("#f-q")).to_be_hidden()
        page.screenshot(path=str(ARTIFACTS / f"desk-work-360-{lang}-rows.png"))
    options = row.locator("select.row-status option").evaluate_all("os => os.map(o => o.value)")
    assert {"pending", "processing", "on-hold", "completed", "cancelled"} <= set(options), options
    row.locator("select.row-status").select_option("completed")
    expect(frame.locator("#status-results")).to_contain_text(
        say(lang, "%(ok)d of %(n)d orders changed in WooCommerce.", ok=1, n=1))
    assert store.order(wc_id)["status"] == "completed"
    expect(frame.locator(f"#order-rows tr.order-row[data-wc-id='{wc_id}']")).to_have_count(0)
    expect(frame.locator(".desk-tab[data-tab='processing']")).to_have_attribute("data-count", str(processing_before - 1))
    if lang == "bn":
        assert_bangla(frame.locator("body"), SHOP_DATA)

    # --- the Incomplete tab: the checkout turned into a real order through the New-order dialog
    incomplete_before = tab_count(frame, "incomplete")
    frame.locator(".desk-tab[data-tab='incomplete']").click()
    card = frame.locator(f"#checkout-{checkout_id}")
    expect(card).to_be_visible()
    expect(card.locator("a.call-link")).to_have_attribute("href", f"tel:{phone}")
    # one money format, Latin digits in both languages; the sign where the language puts it
    expect(card.locator(".incomplete-cart strong")).to_have_text("4,500.00৳" if lang == "bn" else "৳4,500.00")
    card.locator("button.make-order").click()
    dialog = frame.locator("#new-order-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#manual-from-checkout")).to_be_visible()
    expect(dialog.locator("#m-phone")).to_have_value(phone.removeprefix("+88"))
    expect(dialog.locator("#m-district")).to_have_value("BD-13")
    expect(dialog.locator("select[name=product]").first).to_have_value("101")
    page.screenshot(path=str(ARTIFACTS / f"desk-work-{width}-order-from-checkout.png"))
    total_before = store.total_orders()
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator("#manual-created")).to_be_visible()
    assert store.total_orders() == total_before + 1
    if lang == "bn":
        assert_bangla(dialog, SHOP_DATA)
    order = store.order(total_before + 1)
    assert order["billing"]["phone"] == phone.removeprefix("+88")
    assert [i["product_id"] for i in order["line_items"]] == [101]
    dialog.locator("[data-close-dialog]").click()
    # the checkout is recovered, the action recorded, and it leaves the tab
    expect(frame.locator(f"#checkout-{checkout_id}")).to_have_count(0)
    expect(frame.locator(".desk-tab[data-tab='incomplete']")).to_have_attribute("data-count", str(incomplete_before - 1))
    status, wc_order = db_rows(service, "SELECT status, wc_order_id FROM abandoned_checkouts WHERE id = %s", (checkout_id,))[0]
    assert (status, wc_order) == ("recovered", order["id"])
    actions = db_rows(service, "SELECT action, by, detail FROM abandoned_checkout_actions WHERE checkout_id = %s",
                      (checkout_id,))
    assert actions == [("ordered", "admin (#1)", str(order["number"]))], actions
    page.screenshot(path=str(ARTIFACTS / f"desk-work-{width}-{lang}.png"))


def test_desk_work_queue_at_360_and_1280(service, shop_wordpress, shop, browser, tmp_path):
    store, wp = shop["store"], shop_wordpress["url"]
    page = licensed_admin(service, shop_wordpress, browser, "work@e2e.test", viewport={"width": 1280, "height": 900}, plan="work-plan")
    context = page.context
    site_id = site_id_of(service, wp)
    assert "backfill done" in service["cli"]("sync", "backfill", str(site_id))
    first = add_checkout(service, site_id, "+8801755000111", "Rahima Akter")
    second = add_checkout(service, site_id, "+8801755000222", "Karim Uddin")
    ARTIFACTS.mkdir(exist_ok=True)
    work(page, wp, store, service, site_id, 1280, first, "+8801755000111")
    work(page, wp, store, service, site_id, 360, second, "+8801755000222")
    # the same work in Bangla (the user's wp-admin language, sent with every ticket)
    set_language(shop_wordpress, shop_wordpress["user"], "bn", tmp_path)
    third = add_checkout(service, site_id, "+8801755000333", "Rahima Akter")
    fourth = add_checkout(service, site_id, "+8801755000444", "Karim Uddin")
    work(page, wp, store, service, site_id, 1280, third, "+8801755000333", "bn")
    work(page, wp, store, service, site_id, 360, fourth, "+8801755000444", "bn")
    context.close()
