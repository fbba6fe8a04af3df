"""The Wishlist page: it opens in Bangla with the reports, whoever may send campaigns switches
the alerts on (with an SMS balance), staff see the page without the form."""
from backend.extensions import db
from backend.wishlist import service
from tests.embed_helpers import embed, open_embed
from tests.wishlist.test_wishlist import _event, _item, _post, _store_items


def test_page_opens_in_bangla_with_the_reports(app, shop):
    _store_items(app, shop, _item(11, name="Jamdani saree"))
    _post(shop, _event(user_id=1), _event(user_id=2, key="b"))
    page, _headers = open_embed(shop, "wishlist", locale="bn_BD")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="bn"' in html
    assert "Jamdani saree" in html and 'id="wishlist-most"' in html and 'id="wishlist-not-bought"' in html
    # (the Bangla words come with the lead's translations update: scripts/translate_bn.py has them)
    assert 'hx-post="/embed/wishlist/settings"' in html


def test_switching_alerts_on_needs_a_balance_then_saves(app, shop, fund):
    headers = embed(shop, "wishlist")
    form = {"back_in_stock_sms": "1", "language": "bn", "alerts_per_phone_per_day": "2"}
    refused = shop.client.post("/embed/wishlist/settings", headers=headers, data=form)
    assert refused.status_code == 422 and 'role="alert"' in refused.get_data(as_text=True)
    fund(shop, 50)
    saved = shop.client.post("/embed/wishlist/settings", headers=headers, data=form)
    assert saved.status_code == 200 and 'role="status"' in saved.get_data(as_text=True)
    with app.app_context():
        settings = service.settings_for(shop.site_id)
        assert settings.back_in_stock_sms and not settings.price_drop_sms
        db.session.rollback()
    bad = shop.client.post("/embed/wishlist/settings", headers=headers, data={**form, "alerts_per_phone_per_day": "50"})
    assert bad.status_code == 422 and 'data-error-for="alerts_per_phone_per_day"' in bad.get_data(as_text=True)


def test_staff_see_the_page_but_cannot_switch_alerts(app, shop):
    page, headers = open_embed(shop, "wishlist", role="shop_worker")
    assert page.status_code == 200 and "hx-post" not in page.get_data(as_text=True).split('id="wishlist-settings"')[1][:80]
    assert shop.client.post("/embed/wishlist/settings", headers=headers, data={"back_in_stock_sms": "1"}).status_code == 403
