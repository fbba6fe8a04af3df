"""`make run`'s demo: the shop it sets up, synced from the sandbox store anchored to today, shows
sales on the dashboard for the last 7 days (the store's orders used to end at a fixed date)."""
import re
import time
from datetime import timedelta

import pytest

from backend.app import create_app
from backend.extensions import db
from backend.sandbox.server import SandboxServer
from backend.sandbox.sms_gateway import create_sms_gateway_app
from backend.sandbox.woocommerce import create_sandbox
from backend.clock import dhaka_today


@pytest.fixture
def demo(app, database_url, monkeypatch, tmp_path):
    """The demo's processes, in this one: the stand-ins on sockets, and a demo-mode app (the
    service calls the demo shop's wp-json on its own address, so the app serves a socket too).
    `demo.start_store(end)` starts the sandbox store as `make run` does, its orders leading up to `end`."""
    import backend.demo.service as demo_service

    monkeypatch.setattr(demo_service, "STATE_FILE", tmp_path / "demo.json")
    stores = []
    with SandboxServer(create_sms_gateway_app()) as sms_url:
        monkeypatch.setenv("BIKRI_DEMO_SMS_URL", sms_url)
        demo_app = create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                               "SQLALCHEMY_DATABASE_URI": database_url, "DEMO_MODE": True})

        def start_store(end):
            for server in stores:
                server.stop()
            stores[:] = [SandboxServer(create_sandbox(orders=500, seed=1, end=int(end)))]
            demo_app.config["DEMO_WOOCOMMERCE_URL"] = stores[0].start()

        demo_app.start_store = start_store
        server = SandboxServer(demo_app)
        demo_app.config["PUBLIC_URL"] = server.url
        with server:
            yield demo_app
        for store in stores:
            store.stop()
        with demo_app.app_context():
            db.session.remove()
            db.engine.dispose()


def run_demo(demo):
    """`make run` once: demo setup, then the backfill the jobs process runs."""
    from backend.demo.service import set_up_demo
    from backend.sync.service import backfill_queued

    with demo.app_context():
        set_up_demo()
        assert backfill_queued()["failed"] == 0  # the jobs process's backfill job: what setup queued


def orders_on_the_dashboard(demo, days):
    client = demo.test_client()
    shop_page = client.get("/demo-shop/wp-admin/admin.php?page=bikri-dashboard").get_data(as_text=True)
    frame = re.search(r'<iframe[^>]+src="([^"]+)"', shop_page).group(1).replace("&amp;", "&")
    page = client.get(frame.removeprefix(demo.config["PUBLIC_URL"]))
    session = re.search(r'name="bikri-session" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    today = dhaka_today()
    sales = client.get(f"/embed/dashboard/sales.json?start={today - timedelta(days=days - 1)}&end={today}",
                       headers={"X-Bikri-Embed-Session": session})
    assert sales.status_code == 200, sales.get_data(as_text=True)
    return sales.json["current"]["orders"]


def test_the_demo_dashboard_has_sales_in_the_last_7_days(demo):
    demo.start_store(time.time())
    run_demo(demo)
    for days in (1, 7, 30):
        assert orders_on_the_dashboard(demo, days) > 0, f"the last {days} days show sales"


def test_make_run_on_a_later_day_shows_that_days_orders(demo):
    demo.start_store(time.time() - 20 * 86400)  # the demo was first run twenty days ago
    run_demo(demo)
    assert orders_on_the_dashboard(demo, 7) == 0
    demo.start_store(time.time())  # and again today: the store's orders lead up to today
    run_demo(demo)
    assert orders_on_the_dashboard(demo, 7) > 0
