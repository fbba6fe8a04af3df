"""Order tasks (issue 21, T3) in real wp-admin on a 360 px phone: the desk's selection assigned
with "Assign to…" and a due time already past (overdue), the "My orders" tab and the badge in
Bikri's menu, a call recorded as confirmed and one as cancelled, whose offer sets the order
cancelled in WooCommerce through the desk's status change, and the dashboard's Team widget.

Same stand-in as tests/e2e/test_order_desk.py (read its docstring): WordPress, the plugin, the
service on PostgreSQL with its workers and Chromium are real; WooCommerce is the sandbox store
behind the must-use REST stand-in.
"""
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, licensed_admin, site_id_of

ORDERS = 30
SEED = 9  # the sandbox store (conftest.shop)


def settled(frame):
    expect(frame.locator(".htmx-request")).to_have_count(0)


def test_assign_and_confirm_by_phone_on_a_phone(service, shop_wordpress, shop, browser):
    store, wp = shop["store"], shop_wordpress["url"]
    page = licensed_admin(service, shop_wordpress, browser, "tasks@e2e.test", viewport={"width": 360, "height": 740}, plan="tasks-plan")
    context = page.context
    site_id = site_id_of(service, wp)
    assert "backfill done" in service["cli"]("sync", "backfill", str(site_id))

    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-orders")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#order-rows tr.order-row").first).to_be_visible()
    settled(frame)
    # the person who opened Bikri is someone orders can be assigned to
    # on a phone the sticky bar shows only "Assign to…" until someone is chosen
    expect(frame.locator("#assign-selected")).to_be_hidden()
    options = frame.locator("#assign-to option").all_inner_texts()
    me = options[1]
    assert options[0] == "Assign to…" and options[-1] == "Nobody (unassign)" and me

    processing = [int(v) for v in frame.locator("#order-rows tr.order-row").evaluate_all(
        "rows => rows.map(r => r.dataset.wcId)") if store.order(int(v))["status"] == "processing"]
    first, second = processing[:2]
    for wc_id in (first, second):
        frame.locator(f"#order-rows tr.order-row[data-wc-id='{wc_id}'] input[name=order]").check()
    frame.locator("#assign-to").select_option(label=me)
    expect(frame.locator("#assign-selected")).to_be_visible()
    frame.locator("#assign-due").fill("2026-01-05T10:00")  # already past: overdue
    frame.locator("#assign-selected").click()
    expect(frame.locator("#assign-results")).to_contain_text(f"2 orders assigned to {me}.")
    settled(frame)
    row = frame.locator(f"#order-rows tr.order-row[data-wc-id='{first}']")
    expect(row.locator(".task-assignee")).to_contain_text(me)
    expect(row.locator(".badge-overdue")).to_be_visible()

    # My orders: the tab lists the two and counts them
    frame.locator(".desk-tab[data-tab='mine']").click()
    expect(frame.locator("#order-rows tr.order-row")).to_have_count(2)
    expect(frame.locator(".desk-tab[data-tab='mine'] .desk-tab-count")).to_have_text("2")

    # a call that confirmed the first order, from its row
    row = frame.locator(f"#order-rows tr.order-row[data-wc-id='{first}']")
    row.locator(".call-form summary").click()
    row.locator("input[name=outcome][value=confirmed]").check()
    row.locator("input[name=note]").fill("Confirmed for Friday")
    row.locator(".call-form button[type=submit]").click()
    expect(row.locator(".call-outcome")).to_have_text("Confirmed")
    expect(row.locator(".task-call-note")).to_contain_text("Confirmed for Friday")
    expect(row.locator(".task-saved")).to_be_visible()

    # the second customer cancelled: the row offers to cancel the order in WooCommerce
    row = frame.locator(f"#order-rows tr.order-row[data-wc-id='{second}']")
    row.locator(".call-form summary").click()
    row.locator("input[name=outcome][value=cancelled]").check()
    row.locator(".call-form button[type=submit]").click()
    expect(row.locator(".call-outcome")).to_have_text("Cancelled by the customer")
    row.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(_artifacts() / "order-tasks-360.png"))
    row.locator(".task-cancel-offer button").click()
    expect(frame.locator("#status-results")).to_contain_text("1 of 1 orders changed in WooCommerce.")
    assert store.order(second)["status"] == "cancelled"

    # on the phone the desk never scrolls sideways, the task column included
    box = page.locator("iframe.bikri-frame").bounding_box()
    scroll_width = frame.locator("body").evaluate("b => document.documentElement.scrollWidth")
    assert scroll_width <= box["width"] + 1, f"the desk scrolls sideways at 360px ({scroll_width}px)"

    # the badge in Bikri's menu: the one assigned order still open (the other was cancelled)
    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-orders")
    frame = page.frame_locator("iframe.bikri-frame")
    expect(frame.locator("#bikri-nav a[data-page='orders'] .bikri-nav-badge")).to_have_text("1")
    expect(frame.locator(".desk-tab[data-tab='mine'] .desk-tab-count")).to_have_text("1")

    # the dashboard: this person's confirmed orders
    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-dashboard")
    dash = page.frame_locator("iframe.bikri-frame")
    team = dash.locator("#w-team")
    expect(team.locator("tbody tr")).to_have_count(1)
    expect(team.locator("tbody tr td").nth(0)).to_have_text(me)
    expect(team.locator("tbody tr td").nth(1)).to_have_text("1")
    context.close()


def _artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
