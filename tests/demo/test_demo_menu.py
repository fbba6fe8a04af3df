"""The demo's stand-in for wp-admin (`make run`) builds its Bikri menu as the plugin does: only
the pages the signed-in demo user's role may open (issue 20 item 5), and it keeps who is signed
in and the language while Bikri's own navigation moves between pages (its links carry only ?page=)."""
import re
from html import unescape

import pytest

from backend.app import create_app
from backend.extensions import db


@pytest.fixture
def demo_client(app, database_url):
    from backend.demo.service import demo_site_url
    from backend.licensing import service as licensing

    demo_app = create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"], "SQLALCHEMY_DATABASE_URI": database_url,
                           "DEMO_MODE": True, "PUBLIC_URL": "http://bikri.test", "ALLOW_PRIVATE_SHOP_HOSTS": True})
    with demo_app.app_context():
        _license, key = licensing.create_license("demo-menu@bikri.test", sites=1, days=30, plan="demo")
        licensing.activate_site(key, demo_site_url())
        db.session.commit()
    yield demo_app.test_client()
    with demo_app.app_context():
        db.session.remove()
        db.engine.dispose()


def menu(html: str) -> list[str]:
    nav = re.search(r'<nav class="wp-menu">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'\?page=([\w-]+)', nav)


def framed(client, html: str) -> str:
    src = unescape(re.search(r'<iframe src="([^"]+)"', html).group(1))
    return client.get(src.removeprefix("http://bikri.test")).get_data(as_text=True)


def test_demo_menu_lists_only_the_roles_pages_and_keeps_the_user(demo_client):
    owner = demo_client.get("/demo-shop/wp-admin/admin.php?page=bikri&as=administrator").get_data(as_text=True)
    assert menu(owner) == ["bikri", "bikri-dashboard", "bikri-orders", "bikri-sms", "bikri-checkout", "bikri-blacklist",
                           "bikri-otp-report", "bikri-couriers", "bikri-abandoned", "bikri-notifications", "bikri-livechat", "bikri-customers", "bikri-campaigns",
                           "bikri-loyalty", "bikri-wishlist", "bikri-inventory", "bikri-ads", "bikri-activity", "bikri-roles", "bikri-help", "bikri-support", "bikri-license"]

    staff = demo_client.get("/demo-shop/wp-admin/admin.php?page=bikri&as=editor&lang=bn_BD").get_data(as_text=True)
    assert menu(staff) == ["bikri", "bikri-dashboard", "bikri-orders", "bikri-notifications", "bikri-livechat", "bikri-customers",
                           "bikri-wishlist", "bikri-inventory", "bikri-help", "bikri-support"]
    inside = framed(demo_client, staff)
    dashboard_link = re.search(r'<a href="([^"]+)" target="_top" data-page="dashboard"', inside).group(1)
    assert dashboard_link == "http://bikri.test/demo-shop/wp-admin/admin.php?page=bikri-dashboard"

    # following Bikri's own link: still the staff member, still in Bangla
    followed = demo_client.get(dashboard_link.removeprefix("http://bikri.test")).get_data(as_text=True)
    assert menu(followed) == ["bikri", "bikri-dashboard", "bikri-orders", "bikri-notifications", "bikri-livechat", "bikri-customers",
                              "bikri-wishlist", "bikri-inventory", "bikri-help", "bikri-support"]
    inside = framed(demo_client, followed)
    assert 'lang="bn"' in inside and 'aria-current="page">ড্যাশবোর্ড' in inside


def test_the_demo_follows_a_pages_question_mark_to_its_article(app, demo_client):
    """The "?" goes through wp-admin like every link; the demo's wp-admin, as the plugin, passes
    the page it was pressed on to the Help page, which opens that page's article."""
    from backend.help.seed import seed_articles

    with app.app_context():
        seed_articles()
        db.session.commit()
    couriers = framed(demo_client, demo_client.get("/demo-shop/wp-admin/admin.php?page=bikri-couriers&as=administrator").get_data(as_text=True))
    question = unescape(re.search(r'class="bikri-help-link" id="bikri-help-link" href="([^"]+)"', couriers).group(1))
    assert question == "http://bikri.test/demo-shop/wp-admin/admin.php?page=bikri-help&topic=couriers"
    help_page = framed(demo_client, demo_client.get(question.removeprefix("http://bikri.test")).get_data(as_text=True))
    assert "Booking parcels with your courier" in help_page and "<h2>Connect your courier account</h2>" in help_page
