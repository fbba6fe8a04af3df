"""The Inventory page in real wp-admin at 360 px (issue 23): the stock grid from the keyboard
(Enter moves down the column), a preview, the batch applied by the workers through the sandbox
store's products/batch, and no sideways scrolling on a phone. Same stand-in as the order desk:
the test WordPress forwards wc/v3 to the sandbox store (see tests/e2e/test_order_desk.py)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, licensed_admin, sandbox_shop, site_id_of


@pytest.fixture(scope="module")
def shop():
    """The sandbox store (conftest's `shop_wordpress` serves it), with products to stock."""
    with sandbox_shop(5, seed=3) as shop:
        shop["store"].add_products(8)
        yield shop


def test_stock_grid_at_360px(service, shop_wordpress, shop, browser):
    store, wp = shop["store"], shop_wordpress["url"]
    page = licensed_admin(service, shop_wordpress, browser, "inventory@e2e.test", viewport={"width": 360, "height": 800})
    site_id = site_id_of(service, wp)
    service["python"](f"from backend.inventory import product_sync as inventory\n"
                      f"inventory.backfill({site_id})\ndb.session.commit()")

    page.goto(f"{wp}/wp-admin/admin.php?page=bikri-inventory")
    frame = page.frame_locator("iframe.bikri-frame")
    frame.locator("#inv-q").fill("GEN-")
    frame.locator("#inv-filter button[type=submit]").click()
    cells = frame.locator("#inv-grid input.inv-cell[name^='stock-']")
    expect(cells).to_have_count(8)
    width = frame.locator("body").evaluate("b => b.scrollWidth - b.clientWidth")
    assert width <= 0, f"the page is {width}px wider than a 360px phone"
    page.screenshot(path=str(ARTIFACTS / "inventory-360.png"), full_page=True)

    first, second = cells.nth(0), cells.nth(1)
    first_id = int(first.get_attribute("name").split("-")[1])
    second_id = int(second.get_attribute("name").split("-")[1])
    first.fill("33")
    first.press("Enter")
    expect(second).to_be_focused()
    second.fill("44")
    second.press("Escape")  # put back as loaded
    expect(second).to_have_value(str(store.products[second_id]["stock_quantity"]))

    frame.locator("#inv-preview").click()
    expect(frame.locator("#inv-batch")).to_contain_text("→ 33")
    expect(frame.locator("#inv-apply")).to_be_visible()
    frame.locator("#inv-apply").click()
    expect(frame.locator("#inv-batch")).to_contain_text("1 of 1 rows changed", timeout=30_000)
    assert store.products[first_id]["stock_quantity"] == 33, frame.locator("#inv-batch").inner_text()
    page.screenshot(path=str(ARTIFACTS / "inventory-360-applied.png"), full_page=True)
