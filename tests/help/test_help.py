"""H1: the help centre. Operators write articles in Bangla and English (Markdown, rendered
safely), publish them; shops read and search the published ones on the Help page, and every
page's "?" opens the article about that page (or the help search when there is none)."""
import re
from html.parser import HTMLParser

import pytest

from backend.extensions import db
from backend.help import service
from backend.help.markdown import render
from backend.help.models import HelpArticle
from backend.help.seed import ARTICLES, seed_articles
from tests.embed_helpers import embed

ADMIN_URL = "https://shop-a.example.com/wp-admin/admin.php"


def write(app, slug, language, title, body, page_key=None, published=True):
    with app.app_context():
        article = service.save_article(None, {"slug": slug, "language": language, "title": title, "body": body,
                                              "page_key": page_key}, by="ops@bikri.test")
        service.set_published(article, published)
        db.session.commit()
        return article.id


def found_ids(app, query):
    with app.app_context():
        return [article.id for article, _snippet in service.search_published(query)]


# --- safe Markdown -----------------------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


ATTACKS = [
    "<script>alert(1)</script>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](javascript:alert(1))",
    "![pic](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("body", ATTACKS)
def test_markdown_never_lets_a_script_through(body):
    html = str(render(body))
    parsed = _Elements()
    parsed.feed(html)
    assert set(parsed.tags) <= {"p", "a", "img", "strong", "em", "code", "br"}, html
    for name, value in parsed.attrs:
        assert not name.startswith("on"), html
        if name in ("href", "src"):
            assert re.match(r"^(https?:|mailto:|tel:|/|#|[^:]*$)", value or ""), html


def test_markdown_keeps_what_articles_need():
    html = str(render("# Couriers\n\n**Steadfast** and *bKash*\n\n- one\n- two\n\n"
                      "[Steadfast](https://steadfast.com.bd) · [call](tel:+8801711000000) · [next](/embed/help)\n\n"
                      "| a | b |\n|---|---|\n| 1 | 2 |\n\n`send_sms()`"))
    assert "<h1>Couriers</h1>" in html and "<strong>Steadfast</strong>" in html and "<li>one</li>" in html
    assert '<a href="https://steadfast.com.bd" target="_blank" rel="noopener noreferrer">' in html
    assert 'href="tel:+8801711000000"' in html and 'href="/embed/help"' in html
    assert "<table>" in html and "<code>send_sms()</code>" in html


# --- search ------------------------------------------------------------------------------------------


def test_search_finds_words_in_both_languages_best_first_with_snippets(app):
    courier_en = write(app, "couriers", "en", "Booking parcels with your courier",
                       "Connect **Steadfast** with the API key, then book parcels from the order list.")
    courier_bn = write(app, "couriers", "bn", "কুরিয়ারে পার্সেল বুকিং",
                       "স্টেডফাস্ট মার্চেন্ট প্যানেলের এপিআই কী বসিয়ে কুরিয়ার অ্যাকাউন্ট যুক্ত করুন। তারপর পার্সেল বুক করুন।")
    sms_en = write(app, "sms", "en", "SMS balance", "Recharge with bKash. Each parcel update SMS is paid from the balance.")
    sms_bn = write(app, "sms", "bn", "এসএমএস ব্যালেন্স ও রিচার্জ", "বিকাশ দিয়ে রিচার্জ করুন। প্রতিটি এসএমএস ব্যালেন্স থেকে কাটা হয়।")

    # English words: the article with the word in its title ranks above the one with it in its body
    assert found_ids(app, "parcel") == [courier_en, sms_en]
    assert found_ids(app, "STEADFAST key") == [courier_en], "every word, any case"
    # Bangla words, whole and as the start of an inflected word (কুরিয়ার -> কুরিয়ারে)
    assert found_ids(app, "পার্সেল") == [courier_bn]
    assert found_ids(app, "কুরিয়ার") == [courier_bn]
    assert found_ids(app, "রিচার্জ বিকাশ") == [sms_bn]
    assert found_ids(app, "ব্যালেন্স") == [sms_bn]
    assert found_ids(app, "পার্সেল বিকাশ") == [], "every word must appear"
    assert found_ids(app, "\"' OR 1=1 -- & | ! :* ()") == [], "operators of either engine are only words"
    assert found_ids(app, "   ") == []

    with app.app_context():
        (article, snippet), = service.search_published("মার্চেন্ট")
        assert article.id == courier_bn
        assert "<mark>মার্চেন্ট</mark>" in snippet
        (_article, snippet), = service.search_published("book")
        assert "<mark>book</mark>" in snippet and "**" not in snippet, "plain words, no Markdown"
        # the word's start was asked: the whole word is marked, and only where a word starts
        (_article, snippet), = service.search_published("কুরিয়া")
        assert "<mark>কুরিয়ার</mark>" in snippet


def test_a_snippet_is_the_words_around_the_first_found_one():
    from backend.help.search import snippet

    text = " ".join(f"word{n}" for n in range(200)) + " courier booking ends here"
    quoted = str(snippet(text, ["courier"]))
    assert quoted.startswith("… word") and "<mark>courier</mark> booking ends here" in quoted and not quoted.endswith("…")
    assert len(quoted) < 300
    assert str(snippet("recourier courier", ["courier"])) == "recourier <mark>courier</mark>", "a word's start only"
    assert str(snippet("Short text", ["absent"])) == "Short text", "found in the title only: the body's start"


def test_snippets_escape_the_article_text(app):
    write(app, "tags", "en", "Tags", "Type <script>alert(1)</script> into a tag name: it shows as text.")
    with app.app_context():
        (_article, snippet), = service.search_published("tag")
    assert "<script>" not in snippet and "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet and "<mark>tag</mark>" in snippet


def test_unpublished_articles_are_hidden_from_shops(app, shop, client):
    draft = write(app, "draft", "en", "Secret draft about parcels", "Not ready yet.", published=False)
    live = write(app, "live", "en", "Parcels explained", "Ready.")
    assert found_ids(app, "parcels") == [live]
    headers = embed(shop, "help")
    page = client.get("/embed/help/search?q=parcels", headers=headers).get_data(as_text=True)
    assert "Parcels explained" in page and "Secret draft" not in page
    assert "Secret draft" not in client.get("/embed/help/search", headers=headers).get_data(as_text=True)
    assert client.get(f"/embed/help/articles/{draft}", headers=headers).status_code == 404
    assert client.get(f"/embed/help/articles/{live}", headers=headers).status_code == 200

    with app.app_context():
        service.set_published(db.session.get(HelpArticle, live), False)
        db.session.commit()
    assert found_ids(app, "parcels") == []
    assert client.get(f"/embed/help/articles/{live}", headers=headers).status_code == 404


def test_search_needs_an_embed_session_and_bounds_the_query(client, shop):
    assert client.get("/embed/help/search?q=sms").status_code == 401
    assert client.get("/embed/help/search?q=" + "x" * 201, headers=embed(shop, "help")).status_code == 400


# --- the console -------------------------------------------------------------------------------------


def test_operators_write_preview_and_publish_and_shops_read(app, operator_client, shop, client):
    form = {"slug": "couriers", "language": "en", "title": "Booking parcels", "page_key": "couriers",
            "body": "Connect **Steadfast**.\n\n<script>alert(1)</script> [x](javascript:alert(1))",
            "csrf_token": operator_client.csrf}
    response = operator_client.post("/operator/help/new", data=form)
    assert response.status_code == 302
    assert "/operator/help/new?language=bn&amp;slug=couriers" in operator_client.get(response.location).get_data(as_text=True)
    with app.app_context():
        article = db.session.execute(db.select(HelpArticle)).scalar_one()
        assert (article.published, article.page_key, article.updated_by) == (False, "couriers", "ops@bikri.test")
        article_id = article.id
    edit = operator_client.get(f"/operator/help/{article_id}").get_data(as_text=True)
    assert "<strong>Steadfast</strong>" in edit and "&lt;script&gt;" in edit and 'href="javascript:' not in edit
    assert "Booking parcels" not in client.get("/embed/help/search", headers=embed(shop, "help")).get_data(as_text=True)

    assert operator_client.post(f"/operator/help/{article_id}/publish",
                                data={"published": "1", "csrf_token": operator_client.csrf}).status_code == 302
    headers = embed(shop, "help")
    assert "Booking parcels" in client.get("/embed/help/search", headers=headers).get_data(as_text=True)
    shown = client.get(f"/embed/help/articles/{article_id}", headers=headers).get_data(as_text=True)
    assert "<strong>Steadfast</strong>" in shown and "<script>" not in shown and "&lt;script&gt;" in shown
    assert 'href="javascript:' not in shown

    # the Bangla version, under the same link name: each page links to the other
    bangla = dict(form, language="bn", title="কুরিয়ারে পার্সেল বুকিং", body="**স্টেডফাস্ট** যুক্ত করুন।")
    assert operator_client.post("/operator/help/new", data=bangla).status_code == 302
    with app.app_context():
        bangla_id = db.session.execute(db.select(HelpArticle.id).where(HelpArticle.language == "bn")).scalar_one()
    operator_client.post(f"/operator/help/{bangla_id}/publish", data={"published": "1", "csrf_token": operator_client.csrf})
    shown = client.get(f"/embed/help/articles/{article_id}", headers=headers).get_data(as_text=True)
    assert f'hx-get="/embed/help/articles/{bangla_id}"' in shown and 'data-translation="bn"' in shown
    assert f'data-pair="{bangla_id}"' in operator_client.get(f"/operator/help/{article_id}").get_data(as_text=True)

    # edit, then unpublish from the list
    changed = dict(form, title="Booking parcels with Steadfast")
    assert operator_client.post(f"/operator/help/{article_id}", data=changed).status_code == 302
    assert found_ids(app, "Steadfast") == [article_id]
    assert 'href="/operator/help/"' in operator_client.get("/operator/").get_data(as_text=True), "the console links to it"
    listing = operator_client.get("/operator/help/").get_data(as_text=True)
    assert "Booking parcels with Steadfast" in listing and "কুরিয়ারে পার্সেল বুকিং" in listing
    operator_client.post(f"/operator/help/{article_id}/publish", data={"published": "0", "next": "list", "csrf_token": operator_client.csrf})
    assert found_ids(app, "Steadfast") == []


def test_console_refuses_bad_articles_with_clear_words(app, operator_client):
    good = {"slug": "sms", "language": "en", "title": "SMS", "body": "x", "csrf_token": operator_client.csrf}
    bad_slug = operator_client.post("/operator/help/new", data=dict(good, slug="SMS Balance!"))
    assert bad_slug.status_code == 400 and "small English letters" in bad_slug.get_data(as_text=True)
    assert operator_client.post("/operator/help/new", data=dict(good, language="fr")).status_code == 400
    assert operator_client.post("/operator/help/new", data=dict(good, title="")).status_code == 400
    assert operator_client.post("/operator/help/new", data=good).status_code == 302
    again = operator_client.post("/operator/help/new", data=dict(good, title="SMS again"))
    assert again.status_code == 400 and "exists in this language already" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(HelpArticle).count() == 1


def test_only_operators_write_articles(app, client, shop):
    article_id = write(app, "sms", "en", "SMS", "Original.")
    anonymous = app.test_client()
    assert anonymous.get("/operator/help/").status_code == 302
    assert anonymous.post("/operator/help/new", data={"slug": "x", "language": "en", "title": "Planted"}).status_code in (302, 400)
    assert anonymous.post(f"/operator/help/{article_id}", data={"slug": "sms", "language": "en", "title": "Changed"}).status_code in (302, 400)
    assert anonymous.post(f"/operator/help/{article_id}/publish", data={"published": "0"}).status_code in (302, 400)
    # a shop's embed session opens no console page
    headers = embed(shop, "help")
    assert client.post(f"/operator/help/{article_id}", data={"slug": "sms", "language": "en", "title": "Changed"},
                       headers=headers).status_code in (302, 400)
    with app.app_context():
        rows = db.session.execute(db.select(HelpArticle)).scalars().all()
        assert [(row.title, row.published) for row in rows] == [("SMS", True)]


def test_console_needs_the_form_token(app, operator_client):
    assert operator_client.post("/operator/help/new", data={"slug": "sms", "language": "en", "title": "SMS"}).status_code == 400
    with app.app_context():
        assert db.session.query(HelpArticle).count() == 0


# --- the Help page and the "?" -------------------------------------------------------------------


def help_link(html):
    found = re.search(r'<a class="bikri-help-link" id="bikri-help-link" href="([^"]+)"', html)
    assert found, "no ? in the page's bar"
    return found.group(1).replace("&amp;", "&")


def open_help(shop, topic, locale=None):
    body = {"wp_user_id": 1, "display_name": "Rahima", "role": "administrator", "page": "help"}
    if locale:
        body["locale"] = locale
    ticket = shop.post("/api/v1/embed/tickets", json=body)
    return shop.client.get(ticket.json["url"].removeprefix("http://bikri.test") + f"&topic={topic}").get_data(as_text=True)


def test_every_pages_question_mark_opens_its_article_or_the_help_search(app, shop):
    orders = shop.open_page("orders")[0].get_data(as_text=True)
    assert help_link(orders) == f"{ADMIN_URL}?page=bikri-help", "no article about the page: the help search"

    write(app, "orders", "en", "Working the order desk", "Change an order's **status** from the list.", page_key="orders")
    write(app, "orders", "bn", "অর্ডার ডেস্কে কাজ", "তালিকা থেকেই অর্ডারের **স্ট্যাটাস** বদলান।", page_key="orders")
    write(app, "couriers-draft", "en", "Couriers (draft)", "Soon.", page_key="couriers", published=False)
    orders = shop.open_page("orders")[0].get_data(as_text=True)
    assert help_link(orders) == f"{ADMIN_URL}?page=bikri-help&topic=orders"
    couriers = shop.open_page("couriers")[0].get_data(as_text=True)
    assert help_link(couriers) == f"{ADMIN_URL}?page=bikri-help", "a draft is not there for the shop"

    # the Help page opened from that "?" (the plugin passes the topic on): the article, in the reader's language
    page = open_help(shop, "orders")
    assert "Working the order desk" in page and "<strong>status</strong>" in page
    page = open_help(shop, "orders", locale="bn_BD")
    assert "অর্ডার ডেস্কে কাজ" in page and "<strong>স্ট্যাটাস</strong>" in page
    assert 'data-translation="en"' in page
    # a page without an article: the search and the list, saying so
    page = open_help(shop, "couriers")
    assert 'id="help-q"' in page and "This page has no article yet" in page and "Working the order desk" in page


def test_the_question_mark_is_on_every_page(shop):
    from backend.embed.pages import PAGES

    for name in PAGES:
        html = shop.open_page(name)[0].get_data(as_text=True)
        assert help_link(html).startswith(f"{ADMIN_URL}?page=bikri-help"), name


def test_staff_read_the_help_too(app, shop, client):
    write(app, "sms", "en", "SMS balance", "Recharge with bKash.")
    response, _session = shop.open_page("help", role="shop_staff")
    assert response.status_code == 200 and "SMS balance" in response.get_data(as_text=True)


def test_the_list_shows_each_article_once_in_the_readers_language(app, shop, client):
    write(app, "sms", "en", "SMS balance", "Recharge.")
    write(app, "sms", "bn", "এসএমএস ব্যালেন্স", "রিচার্জ।")
    write(app, "couriers", "en", "Couriers only in English", "Book.")
    bangla = client.get("/embed/help/search", headers=embed(shop, "help", locale="bn_BD")).get_data(as_text=True)
    assert "এসএমএস ব্যালেন্স" in bangla and "SMS balance" not in bangla
    assert '<a href="#" lang="en"' in bangla and "Couriers only in English" in bangla, "no Bangla version: the English one, marked"
    english = client.get("/embed/help/search", headers=embed(shop, "help")).get_data(as_text=True)
    assert "SMS balance" in english and "এসএমএস ব্যালেন্স" not in english


# --- the seed --------------------------------------------------------------------------------------


def test_seeded_articles_cover_license_couriers_sms_and_checkout_in_both_languages(app):
    with app.app_context():
        assert seed_articles() == 2 * len(ARTICLES)
        assert seed_articles() == 0, "a second run writes nothing"
        db.session.commit()
        rows = db.session.execute(db.select(HelpArticle.slug, HelpArticle.language, HelpArticle.page_key,
                                            HelpArticle.published)).all()
    assert {(slug, language) for slug, language, _page, _published in rows} == {
        (slug, language) for slug in ("license", "couriers", "sms", "checkout-protection") for language in ("bn", "en")}
    assert all(published for *_rest, published in rows)
    assert {page for _slug, _language, page, _published in rows} == {"home", "couriers", "sms", "checkout"}
    with app.app_context():
        assert [a.slug for a, _snippet in service.search_published("স্টেডফাস্ট")] == ["couriers"]
        assert [a.slug for a, _snippet in service.search_published("OTP blacklist")] == ["checkout-protection"]
        assert [a.slug for a, _snippet in service.search_published("লাইসেন্স কী")] == ["license"]
