"""Issue 17 item 2: while the shop's first import runs, the desk says how far it is
("Importing orders: 100 of 250") instead of "No orders match.", and says nothing of it after."""
from backend.sync import service as sync
from tests.embed_helpers import embed


def rows(shop, headers, **query):
    answer = shop.client.get("/embed/orders/list", query_string=query, headers=headers)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def import_one_page(app, site_id):
    """The first page of the import, then the jobs process stops (as if it were still going)."""
    def stop_after_one_page(state):
        raise KeyboardInterrupt("the jobs process stopped here")

    with app.app_context():
        try:
            sync.run_backfill(site_id, on_page=stop_after_one_page)
        except KeyboardInterrupt:
            pass


def test_the_desk_shows_the_import_until_it_is_done(app, make_store, connect_shop):
    store = make_store(orders=250, seed=3)
    shop = connect_shop(store)  # activation queued the import; the jobs process has not run yet
    headers = embed(shop)

    html = rows(shop, headers)
    assert "Importing orders from WooCommerce: starting…" in html
    assert "No orders match." not in html and 'id="import-row"' in html

    import_one_page(app, shop.site_id)
    progress = shop.get("/api/v1/sync/status").json["backfill"]
    assert progress["status"] == "running" and 0 < progress["done"] < progress["total"]
    line = f"Importing orders: {progress['done']:,} of {progress['total']:,}"
    assert line in rows(shop, headers)
    # a search that finds nothing yet says the import is running, not that nothing matches
    nothing_yet = rows(shop, headers, q="no such customer anywhere")
    assert line in nothing_yet and "No orders match." not in nothing_yet
    # the row asks for itself every few seconds
    row = shop.client.get("/embed/orders/import", headers=headers)
    assert row.status_code == 200 and line in row.get_data(as_text=True)
    assert "HX-Trigger" not in row.headers

    with app.app_context():
        assert sync.run_backfill(shop.site_id).status == "done"
    row = shop.client.get("/embed/orders/import", headers=headers)
    assert row.get_data(as_text=True) == "" and row.headers["HX-Trigger"] == "orders-changed"
    html = rows(shop, headers)
    assert "Importing orders" not in html and html.count('class="order-row"') > 0
    empty = rows(shop, headers, q="no such customer anywhere")
    assert "No orders match." in empty and "Importing orders" not in empty


def test_the_import_line_is_in_bangla(app, store, connect_shop):
    shop = connect_shop(store)
    headers = embed(shop, locale="bn_BD")
    import_one_page(app, shop.site_id)
    progress = shop.get("/api/v1/sync/status").json["backfill"]
    html = rows(shop, headers)
    assert f"অর্ডার আনা হচ্ছে: {progress['total']:,}টির মধ্যে {progress['done']:,}টি" in html
    assert "Importing orders" not in html
