"""The owner's low-stock email (I1): set on the settings page, sent by a worker through the mail
adapter to the sandbox SMTP server, once per crossing, in the shop's words."""
from sqlalchemy import select

from backend.extensions import db
from backend.inventory import product_sync, service
from backend.inventory.models import InventorySettings, LowStockCrossing, StockItem
from backend.sandbox.smtp import SandboxSmtp
from backend.clock import utcnow
from tests.embed_helpers import embed


def _product(app, site_id, wc_id, name, quantity):
    with app.app_context():
        product_sync.upsert_items(site_id, [product_sync.normalise_item({
            "id": wc_id, "name": name, "sku": f"SKU-{wc_id}", "manage_stock": True, "stock_quantity": quantity,
            "price": "100", "date_modified_gmt": "2026-01-01T00:00:00"})])
        db.session.commit()


def _email_states(app, wc_id):
    with app.app_context():
        return [(c.reset_at is None, c.email_alert) for c in db.session.execute(
            select(LowStockCrossing).join(StockItem, StockItem.id == LowStockCrossing.item_id)
            .where(StockItem.wc_id == wc_id).order_by(LowStockCrossing.id)).scalars()]


def test_one_email_per_crossing_sent_by_a_worker(app, connected, monkeypatch):
    _product(app, connected.site_id, 801, "জামদানি শাড়ি", 30)
    version = product_sync.version_of(utcnow()) + 1_000_000

    def push(quantity):
        nonlocal version
        version += 1
        answer = connected.post("/api/v1/inventory/events", json={"events": [{
            "idempotency_key": f"e{version}", "type": "stock", "product_id": 801, "stock_quantity": quantity,
            "manage_stock": True, "version": version}]})
        assert answer.status_code == 200

    with SandboxSmtp() as (url, mailbox):
        monkeypatch.setitem(app.config, "SMTP_URL", url)  # (the app is the session's)
        answer = connected.client.put("/api/v1/inventory/settings", headers=connected.auth,
                                      json={"default_threshold": 5, "alert_email": "owner@shop.test"})
        assert answer.status_code == 200 and answer.json["alert_email"] == "owner@shop.test"
        push(4)  # crosses: one email, sent by the task after the request committed
        push(3)  # the same crossing: none
        assert len(mailbox.received()) == 1 and _email_states(app, 801) == [(True, "sent")]
        push(20)
        push(2)  # a new crossing: a new email
        sent = mailbox.received()
    assert len(sent) == 2 and [state for _open, state in _email_states(app, 801)] == ["sent", "sent"]
    message = sent[0]["message"]
    assert sent[0]["to"] == ["owner@shop.test"]
    assert "জামদানি শাড়ি" in message["Subject"] and "4" in message.get_content()
    assert message["Message-ID"] != sent[1]["message"]["Message-ID"]


def test_a_refused_address_is_marked_failed_and_not_sent_again(app, connected, monkeypatch):
    _product(app, connected.site_id, 802, "Saree", 30)
    with SandboxSmtp() as (url, mailbox):
        monkeypatch.setitem(app.config, "SMTP_URL", url)  # (the app is the session's)
        with app.app_context():
            service.update_settings(connected.site_id, {"alert_email": "nobody@refused.test"})
            db.session.commit()
        with app.app_context():
            product_sync.apply_stock_events(connected.site_id, [{"product_id": 802, "stock_quantity": 1, "manage_stock": True,
                                                            "version": product_sync.version_of(utcnow()) + 5_000_000}])
            db.session.commit()  # the task runs after the commit (inline broker)
        assert _email_states(app, 802) == [(True, "failed")]
        with app.app_context():
            [crossing] = db.session.execute(select(LowStockCrossing.id).join(StockItem, StockItem.id == LowStockCrossing.item_id)
                                            .where(StockItem.wc_id == 802)).scalars().all()
            assert service.email_low_stock(connected.site_id, [crossing]) is None  # a redelivered task: nothing to do
        assert mailbox.received() == []


def test_the_settings_page_keeps_the_owners_email(app, connected):
    headers = embed(connected, "inventory")
    form = {"default_threshold": "5", "cover_days": "7", "alert_phone": ""}
    bad = connected.client.post("/embed/inventory/settings", headers=headers, data={**form, "alert_email": "owner@"})
    assert bad.status_code == 422 and 'name="alert_email"' in bad.get_data(as_text=True)
    good = connected.client.post("/embed/inventory/settings", headers=headers, data={**form, "alert_email": " owner@shop.test "})
    assert good.status_code == 200 and 'value="owner@shop.test"' in good.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(InventorySettings, connected.site_id).alert_email == "owner@shop.test"
    assert connected.client.put("/api/v1/inventory/settings", headers=connected.auth,
                                json={"alert_email": "not an address"}).status_code == 422
