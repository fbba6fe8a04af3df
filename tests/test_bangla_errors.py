"""A Bangla reader never meets an English sentence on an error path.

Opens every embed page as a Bangla-speaking administrator, finds every form on it (hx-post,
hx-get, action) and every embed POST route, sends bad input (garbage, empty, negative,
huge), and reads what comes back: no msgid of the catalog left untranslated, no marshmallow
default message, and no English sentence at all in the visible text.
"""
import html
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from marshmallow import fields, validate

from backend.embed.pages import PAGES

CATALOG = Path(__file__).resolve().parents[1] / "backend/translations/bn/LC_MESSAGES/messages.po"
BAD_VALUES = ["x", "", "-5", "9" * 30, "NaN", "2026-13-45"]
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ACTION = re.compile(r'\b(hx-post|hx-get|action)="([^"]+)"')
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
# Three English words and a full stop: a sentence. Product names, "bKash", "Steadfast" are not.
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,'’:-]+[A-Za-z0-9]+){2,}[.!?]")


def _english_msgids():
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="bn")
    found = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            # only whole sentences: single words ("SMS", "bKash") may stay as they are in Bangla too
            if msgid and len(msgid.split()) >= 3 and not re.search(r"%\(|\{", msgid):
                found.add(msgid)
    return found


def _marshmallow_defaults():
    messages = set()
    for module in (fields, validate):
        for obj in vars(module).values():
            if isinstance(obj, type):
                for value in getattr(obj, "default_error_messages", {}).values():
                    messages.add(value)
                for name in dir(obj):
                    if name.startswith("message") or name == "default_message":
                        value = getattr(obj, name)
                        if isinstance(value, str):
                            messages.add(value)
    # the formatted part before the first placeholder is what shows ("Must be one of: ...")
    return {re.split(r"\{", m)[0].strip() for m in messages if len(re.split(r"\{", m)[0].split()) >= 2}


def _visible_text(body):
    if body.lstrip().startswith(("{", "[")):
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            pass
    body = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", body, flags=re.S)
    # text marked as English on purpose (the English text of a customer message, lang="en") is the
    # shop's content in English, not Bikri's words left untranslated
    body = re.sub(r'<(textarea|div)\b[^>]*\blang="en"[^>]*>.*?</\1>', " ", body, flags=re.S)
    # attribute values (hx-vals, data-*) are not read by people; titles and placeholders are
    readable = " ".join(re.findall(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"', body))
    return html.unescape(re.sub(r"<[^>]+>", " ", body) + " " + readable)


def _forms(page_html):
    for attributes, inner in FORM.findall(page_html):
        for kind, url in ACTION.findall(attributes):
            if url.startswith("/embed/"):
                yield ("GET" if kind == "hx-get" else "POST"), html.unescape(url), sorted(set(FIELD.findall(inner)))


def _post_routes(app):
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/embed/") and "POST" in rule.methods and "<" not in rule.rule})


@pytest.fixture
def bangla_walk(app, client, make_shop):
    shop = make_shop()
    visited = []

    def walk():
        sessions = {}
        targets = set()
        for name in PAGES:
            page, session = shop.open_page(page=name, locale="bn_BD")
            assert page.status_code == 200, name
            sessions[name] = session
            for method, url, names in _forms(page.get_data(as_text=True)):
                targets.add((method, url, tuple(names)))
        for url in _post_routes(app):
            targets.add(("POST", url, ()))
        session = sessions["home"]
        # a staff member in Bangla meets the refusals ("Your role ... cannot do this") instead
        _page, staff = shop.open_page(role="editor", name="Staff", user_id=2, locale="bn_BD")
        for url in _post_routes(app):
            response = client.post(url, data={}, headers={"X-Bikri-Embed-Session": staff, "HX-Request": "true"})
            visited.append((f"POST {url} as staff", response.status_code, response.get_data(as_text=True)))
        for method, url, names in sorted(targets):
            for value in BAD_VALUES:
                data = {name: value for name in names}
                if method == "GET":
                    response = client.get(url, query_string=data, headers={"X-Bikri-Embed-Session": session})
                else:
                    response = client.post(url, data=data, headers={"X-Bikri-Embed-Session": session, "HX-Request": "true"})
                visited.append((f"{method} {url} {value!r}", response.status_code, response.get_data(as_text=True)))
        return visited
    return walk


def test_no_english_on_bangla_error_paths(app, bangla_walk):
    msgids = _english_msgids()
    defaults = _marshmallow_defaults()
    assert "Missing data for required field." in defaults and "Not a valid number." in defaults
    responses = bangla_walk()
    assert len(responses) > 50, "the walk found too few forms"
    problems = set()
    for where, status, body in responses:
        assert status < 500, f"{where}: {status}"
        text = _visible_text(body)
        for msgid in msgids:
            if msgid in text:
                problems.add(f"{where}: untranslated {msgid!r}")
        for message in defaults:
            if message in text:
                problems.add(f"{where}: marshmallow's {message!r}")
        for sentence in ENGLISH_SENTENCE.findall(text):
            problems.add(f"{where}: English {sentence!r}")
    assert not problems, "\n".join(sorted(problems))
