"""Export CSV from the order desk in real wp-admin (issue 20, item 3): the button inside the
iframe downloads the filtered orders (the iframe cannot send its session header on a download,
so the page fetches a one-time URL first), and the desk stays where it was.

STAND-IN: as in test_order_desk.py, WooCommerce is the sandbox store behind the must-use
plugin woocommerce_rest_stand_in.php; WordPress, the plugin, the service on PostgreSQL under
gunicorn and Chromium are real.
"""
import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import assert_bangla, licensed_admin, say, set_language, site_id_of

ORDERS = 40
SEED = 3  # the sandbox store (conftest.shop)


def test_export_csv_from_the_desk_downloads_the_filtered_orders(service, shop_wordpress, shop, browser, tmp_path):
    store, wp = shop["store"], shop_wordpress["url"]
    page = licensed_admin(service, shop_wordpress, browser, "export@e2e.test", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context = page.context
    site_id = site_id_of(service, wp)
    assert "backfill done" in service["cli"]("sync", "backfill", str(site_id))

    # English, then the same with the user's wp-admin language set to Bangla: the file speaks it too
    for lang in ("en", "bn"):
        set_language(shop_wordpress, shop_wordpress["user"], lang, tmp_path)
        page.goto(f"{wp}/wp-admin/admin.php?page=bikri-orders")
        frame = page.frame_locator("iframe.bikri-frame")
        expect(frame.locator("#order-rows tr.order-row").first).to_be_visible()
        processing = [i for i in range(1, ORDERS + 1) if store.order(i)["status"] == "processing"]
        assert processing, "the seed gives processing orders"
        frame.locator("#f-status").select_option("processing")
        expect(frame.locator("#order-rows tr.order-row")).to_have_count(len(processing))
        shown = [store.order(int(v))["number"] for v in frame.locator("#order-rows tr.order-row").evaluate_all(
            "rows => rows.map(r => r.dataset.wcId)")]

        expect(frame.locator("#desk-export-csv")).to_have_text(say(lang, "Export CSV"))
        if lang == "bn":
            # tabs, filters, button and the rows in Bangla (the names of customers and products are the shop's)
            assert_bangla(frame.locator("body"), "select[name=product]")
            # the end of the date range, not the SMS list's recipient, which shared its English word
            expect(frame.locator("label[for=f-end]")).to_have_text("পর্যন্ত")
        with page.expect_download() as started:
            frame.locator("#desk-export-csv").click()
        download = started.value
        assert re.fullmatch(r"orders-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
        body = Path(download.path()).read_bytes()
        assert body.startswith(b"\xef\xbb\xbf" + say(lang, "Order number").encode() + b",")
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert [row[0] for row in table[1:]] == shown
        assert {row[2] for row in table[1:]} == {say(lang, "Processing")}
        # amounts in the one format: Latin digits, whatever the language
        total = table[0].index(say(lang, "Total"))
        assert all(re.fullmatch(r"\d+\.\d{2}", row[total]) for row in table[1:]), [row[total] for row in table[1:]]

        # the desk is still there, filter and all; the URL the button used is spent
        expect(frame.locator("#order-rows tr.order-row")).to_have_count(len(processing))
        assert page.locator("iframe.bikri-frame").get_attribute("src").startswith(service["url"] + "/embed/orders?ticket=")
        again = context.request.get(download.url)
        assert again.status == 410
    context.close()
