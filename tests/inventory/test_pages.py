"""The Inventory page: it opens for every role that may see it, the grid previews what changed and
applies it, staff see stock without the grid, the aging CSV downloads with a ticket."""
import re

from backend.extensions import db
from backend.inventory import product_sync
from tests.embed_helpers import embed, open_embed


def _backfill(app, shop):
    with app.app_context():
        product_sync.backfill(shop.site_id)
        db.session.commit()


def test_page_opens_in_bangla_and_lists_stock(app, connected, store, catalogue):
    _backfill(app, connected)
    page, headers = open_embed(connected, "inventory", locale="bn_BD")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # (the Bangla words come with the lead's translations update: scripts/translate_bn.py has them)
    assert 'lang="bn"' in html and "/embed/inventory/rows" in html
    rows = connected.client.get("/embed/inventory/rows?show=all", headers=headers).get_data(as_text=True)
    sku = store.app.store.products[catalogue["simple"][0]]["sku"]
    assert sku in rows and 'name="stock-' in rows
    assert "GEN-000500-S0" in connected.client.get("/embed/inventory/rows?q=GEN-000500", headers=headers).get_data(as_text=True)


def test_staff_see_stock_without_the_grid_and_cannot_apply(app, connected, store, catalogue):
    _backfill(app, connected)
    headers = embed(connected, "inventory", role="shop_worker")
    rows = connected.client.get("/embed/inventory/rows", headers=headers).get_data(as_text=True)
    assert 'name="stock-' not in rows
    assert connected.client.post("/embed/inventory/batch/preview", headers=headers, data={}).status_code == 403


def test_grid_preview_then_apply_changes_woocommerce(app, connected, store, catalogue):
    _backfill(app, connected)
    headers = embed(connected, "inventory")
    rows = connected.client.get("/embed/inventory/rows?q=GEN-000001", headers=headers).get_data(as_text=True)
    form = dict(re.findall(r'name="((?:was-|modified-)?(?:stock|price|sale)?-?\d+|modified-\d+)" value="([^"]*)"', rows))
    wc_id = catalogue["simple"][0]
    form[f"stock-{wc_id}"] = "17"
    preview = connected.client.post("/embed/inventory/batch/preview", headers=headers, data=form)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "→ 17" in text and "rows_json" in text
    rows_json = re.search(r'name="rows_json" value="([^"]*)"', text).group(1).replace("&#34;", '"').replace("&quot;", '"')
    applied = connected.client.post("/embed/inventory/batch/apply", headers=headers, data={"rows_json": rows_json, "source": "grid"})
    assert applied.status_code == 200 and "1 of 1" in applied.get_data(as_text=True)
    assert store.app.store.products[wc_id]["stock_quantity"] == 17


def test_aging_csv_downloads_with_a_ticket(app, connected, store, catalogue):
    _backfill(app, connected)
    headers = embed(connected, "inventory")
    started = connected.client.post("/embed/inventory/aging/export", headers=headers)
    url = started.headers["HX-Redirect"]
    csv = connected.client.get(url)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("SKU,") and len(lines) > 10
    assert connected.client.get(url).status_code == 410  # one time
