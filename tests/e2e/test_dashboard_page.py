"""The dashboard in real wp-admin: Bikri → Dashboard in the iframe shows the numbers of a small
known set of orders, changing the range changes them, a cost entered in the form lowers the
profit, at 1280 px and 360 px; a staff member sees order counts but no money.

The orders reach the service as the plugin's order events carry them (POST /api/v1/events with
the site's token, read from the WordPress the plugin activated): WooCommerce is not installed
here, and the dashboard only needs the orders to be in the service.
"""
from datetime import date, datetime, time, timedelta, timezone

import requests
from babel.dates import format_date
from playwright.sync_api import expect

from backend.clock import dhaka_today
from tests.e2e.conftest import ADD_STAFF_PHP, ARTIFACTS, licensed_admin, sign_in, wp_eval

DHAKA = timezone(timedelta(hours=6))
STAFF = ("rafi", "staff-pass-123")



def at(day, hour):
    """A Dhaka wall-clock time as the GMT string WooCommerce sends."""
    moment = datetime.combine(day, time(hour), tzinfo=DHAKA).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def order(wc_id, day, hour, status, total, paid=False):
    return {"idempotency_key": f"dash-{wc_id}", "type": "created", "order_id": wc_id, "date_modified_gmt": at(day, hour),
            "order": {"id": wc_id, "number": str(wc_id), "status": status, "date_created_gmt": at(day, hour),
                      "date_paid_gmt": at(day, hour) if paid else None,
                      "date_modified_gmt": at(day, hour), "total": total,
                      "billing": {"first_name": f"Customer {wc_id}", "phone": f"0171100{wc_id:04d}"},
                      "meta_data": [{"key": "_bikri_gclid", "value": "Cj0K"}] if wc_id == 2 else [],
                      "line_items": [{"id": wc_id, "product_id": 7, "name": "Jamdani Saree", "quantity": 1,
                                      "price": total, "subtotal": total, "total": total}]}}


def shown(day):
    """A date as the English pages write it (one format everywhere: Babel's medium, "Dec 7, 2026")."""
    return format_date(day, "medium", locale="en")


def widget(frame, name):
    return frame.locator(f"#w-{name}")


def loaded(frame, name):
    expect(widget(frame, name).locator(".widget-state")).to_be_hidden()
    return widget(frame, name).locator(".widget-body")


def test_dashboard_in_wp_admin(service, wordpress, browser, tmp_path):
    page = licensed_admin(service, wordpress, browser, "dash@e2e.test", viewport={"width": 1280, "height": 900}, plan="dash-plan")
    context = page.context
    token = wp_eval(wordpress, ADD_STAFF_PHP, tmp_path, {"STAFF_USER": STAFF[0], "STAFF_PASS": STAFF[1]})
    assert token

    today = dhaka_today()
    events = [order(1, today, 10, "completed", "1000.00", paid=True),
              # 00:00 in Dhaka is 18:00 the day before in UTC: it counts for today
              order(2, today, 0, "processing", "500.00"),
              order(3, today - timedelta(days=1), 15, "cancelled", "300.00"),  # an order, not a sale
              order(4, today - timedelta(days=20), 12, "completed", "700.00")]  # only in the 30-day range
    answer = requests.post(f"{service['url']}/api/v1/events", json={"events": events},
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert [r["status"] for r in answer.json()["results"]] == ["applied"] * 4, answer.text

    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-dashboard")
    frame = page.frame_locator("iframe.bikri-frame")
    sales = loaded(frame, "sales")  # last 30 days by default
    expect(sales).to_contain_text("3")
    expect(sales).to_contain_text("2,200.00")
    expect(loaded(frame, "ads")).to_contain_text("google")
    expect(loaded(frame, "products")).to_contain_text("Jamdani Saree")
    expect(loaded(frame, "recent")).to_contain_text("#4")

    frame.locator("#dash-preset").select_option("7")
    expect(loaded(frame, "sales")).to_contain_text("1,500.00")
    expect(widget(frame, "sales")).not_to_contain_text("2,200.00")
    statuses = loaded(frame, "statuses")
    expect(statuses).to_contain_text("Cancelled")  # its label, never the raw slug

    # counted like WooCommerce Analytics: only the order paid (1,000.00; the COD order is not paid yet),
    # and the line under the range says so
    expect(frame.locator("#dash-basis-bikri")).to_be_visible()
    frame.locator("#dash-basis").check()
    expect(frame.locator("#dash-basis-woocommerce")).to_be_visible()
    expect(frame.locator("#dash-basis-bikri")).to_be_hidden()
    expect(loaded(frame, "sales")).to_contain_text("1,000.00")
    expect(widget(frame, "sales")).not_to_contain_text("1,500.00")
    frame.locator("#dash-basis").uncheck()
    expect(loaded(frame, "sales")).to_contain_text("1,500.00")

    # the year presets (issue 20, item 7): the last 365 days against the 365 before them; this year
    # against the same dates a year earlier
    frame.locator("#dash-preset").select_option("365")
    expect(frame.locator("#dash-start")).to_have_value((today - timedelta(days=364)).isoformat())
    expect(loaded(frame, "sales")).to_contain_text("2,200.00")
    expect(frame.locator("#dash-compare")).to_contain_text(f"{shown(today - timedelta(days=729))} – {shown(today - timedelta(days=365))}")
    frame.locator("#dash-preset").select_option("year")
    expect(frame.locator("#dash-start")).to_have_value(f"{today.year}-01-01")
    expect(frame.locator("#dash-compare")).to_contain_text(f"{shown(date(today.year - 1, 1, 1))} – ")
    loaded(frame, "sales")
    # a range without orders says so instead of drawing blank axes
    frame.locator("#dash-start").fill((today - timedelta(days=200)).isoformat())
    frame.locator("#dash-end").fill((today - timedelta(days=100)).isoformat())
    frame.locator("#dash-range [type=submit]").click()
    expect(loaded(frame, "sales").locator(".dash-empty")).to_have_text("No sales in this period.")
    expect(widget(frame, "sales").locator("canvas")).to_have_count(0)
    expect(loaded(frame, "statuses").locator(".dash-empty")).to_have_text("No orders in this period.")
    expect(loaded(frame, "cycle").locator(".dash-empty")).to_be_visible()
    frame.locator("#dash-preset").select_option("7")
    expect(loaded(frame, "sales")).to_contain_text("1,500.00")
    expect(widget(frame, "sales").locator("canvas")).to_have_count(1)

    # D12: a cost entered in the form is listed and taken off the profit
    form = widget(frame, "costs").locator(".dash-cost-form")
    expect(form).to_be_visible()
    form.locator("[name=amount]").fill("12.345")
    form.locator("[type=submit]").first.click()
    expect(form.locator(".dash-cost-error")).to_contain_text("Amount (taka)")
    form.locator("[name=category]").select_option("ads")
    form.locator("[name=amount]").fill("200")
    form.locator("[name=note]").fill("Boost")
    form.locator("[type=submit]").first.click()
    expect(loaded(frame, "costs")).to_contain_text("Boost")
    profit = loaded(frame, "profit")
    expect(profit).to_contain_text("1,300.00")
    # the ad cost is the ad spend (no campaign spend entered): sales 1,500 ÷ 200 = 7.50× return
    expect(profit.locator(".dash-ad-source")).to_have_text("Ad spend from the ad costs you entered by hand.")
    expect(profit).to_contain_text("7.50×")
    expect(loaded(frame, "cash")).to_contain_text("awaiting payout")
    page.screenshot(path=str(ARTIFACTS / "dashboard-1280.png"), full_page=True)

    # 360 px: the page fits the phone's width
    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    frame = page.frame_locator("iframe.bikri-frame")
    expect(loaded(frame, "sales")).to_contain_text("2,200.00")
    width = frame.locator("body").evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert width[0] <= width[1] + 1, width
    page.screenshot(path=str(ARTIFACTS / "dashboard-360.png"), full_page=True)
    context.close()

    # staff: counts, no money
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    sign_in(page, {**wordpress, "user": STAFF[0], "password": STAFF[1]})
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-dashboard")
    frame = page.frame_locator("iframe.bikri-frame")
    sales = loaded(frame, "sales")
    expect(sales).to_contain_text("Your role cannot see money figures")
    expect(sales).not_to_contain_text("2,200.00")
    expect(loaded(frame, "profit")).not_to_contain_text("1,300.00")
    expect(widget(frame, "costs")).not_to_contain_text("Boost")
    expect(widget(frame, "costs").locator(".dash-cost-form")).to_have_count(0)
    staff.close()
